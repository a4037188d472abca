/**
 * Every essay's full evaluation, to prove that a change to the evaluator (or to the grammar
 * checker's rules) leaves its output alone, or to show exactly what it changes.
 *
 *   npm run xel:outputs -- dump /path/to/ELLIPSE_Final_github_test.csv OUT.jsonl [--sets heldout] [--rules full|learner] [--cache DIR]
 *   npm run xel:outputs -- compare BEFORE.jsonl AFTER.jsonl
 *
 * `dump` writes one line per essay: its id and the evaluation as the API returns it. `--rules full`
 * runs Harper with all its default rules (the checker before the learner rule set), `learner` with
 * the shipped set (the default). Keep OUT outside the repository: it quotes the essays (CC BY-NC-SA).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedEvaluator } from '../src/modules/xel/evaluator/embedded.js';
import { GrammarChecker, type RuleSet } from '../src/modules/xel/evaluator/grammar.js';
import type { Evaluation } from '../src/modules/xel/evaluator/types.js';
import { CachedGrammar } from './xel-calibrate/cache.js';
import { readEllipse, type Essay } from './xel-calibrate/ellipse.js';

interface Line {
  id: string;
  evaluation: Evaluation;
}

async function dump(argv: string[]): Promise<void> {
  const [csv, out] = argv.filter((a, i) => !a.startsWith('--') && !argv[i - 1]?.startsWith('--'));
  if (!csv || !out) throw new Error('usage: dump CSV OUT.jsonl [--sets heldout,calibration,other] [--rules full|learner] [--cache DIR]');
  const opt = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const sets = (opt('--sets') ?? 'heldout').split(',') as Essay['split'][];
  const rules: RuleSet = opt('--rules') === 'full' ? 'full' : 'learner';
  const checker = new GrammarChecker('british', 120_000, rules);
  await checker.warm();
  const cached = new CachedGrammar(checker, opt('--cache') ?? process.env.XEL_CACHE ?? join(tmpdir(), 'xel-calibrate'), 'british', rules);
  const evaluator = new EmbeddedEvaluator(cached);
  const lines: string[] = [];
  try {
    for (const e of readEllipse(csv).filter((x) => sets.includes(x.split))) {
      const evaluation = await evaluator.evaluate({ kind: 'writing', text: e.text, prompt: e.prompt || null, level: null, durationSeconds: null, words: null, minWords: null, maxWords: null, targetSeconds: null, keywords: [] });
      lines.push(JSON.stringify({ id: e.id, evaluation } satisfies Line));
      if (lines.length % 200 === 0) process.stderr.write(`  ${lines.length}\n`);
    }
  } finally {
    cached.save();
    await checker.close();
  }
  writeFileSync(out, `${lines.join('\n')}\n`);
  console.log(`${lines.length} evaluations written to ${out}`);
}

const read = (path: string): Map<string, Evaluation> =>
  new Map(
    readFileSync(path, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Line)
      .map((l) => [l.id, l.evaluation]),
  );

/** What differs between two dumps: whole evaluations, scores, corrections, feedback. */
function compare(argv: string[]): void {
  const [a, b] = argv;
  if (!a || !b) throw new Error('usage: compare BEFORE.jsonl AFTER.jsonl');
  const before = read(a);
  const after = read(b);
  const ids = [...before.keys()].filter((id) => after.has(id));
  const scores = (e: Evaluation) => JSON.stringify([e.overallScore, e.criteria.map((c) => c.score)]);
  const withoutCorrections = (e: Evaluation) => JSON.stringify({ ...e, corrections: [] });
  let identical = 0;
  let sameScores = 0;
  let sameButCorrections = 0;
  let maxOverall = 0;
  const lost = new Map<string, number>();
  const gained = new Map<string, number>();
  const key = (c: Evaluation['corrections'][number]) => `${c.start}:${c.end}:${c.kind}:${c.message}`;
  for (const id of ids) {
    const x = before.get(id)!;
    const y = after.get(id)!;
    if (JSON.stringify(x) === JSON.stringify(y)) identical++;
    if (scores(x) === scores(y)) sameScores++;
    if (withoutCorrections(x) === withoutCorrections(y)) sameButCorrections++;
    maxOverall = Math.max(maxOverall, Math.abs(x.overallScore - y.overallScore));
    const ky = new Set(y.corrections.map(key));
    const kx = new Set(x.corrections.map(key));
    for (const c of x.corrections) if (!ky.has(key(c))) lost.set(c.message, (lost.get(c.message) ?? 0) + 1);
    for (const c of y.corrections) if (!kx.has(key(c))) gained.set(c.message, (gained.get(c.message) ?? 0) + 1);
  }
  const count = (m: Map<string, number>) => [...m.values()].reduce((s, n) => s + n, 0);
  const total = (m: Map<string, Evaluation>) => ids.reduce((s, id) => s + m.get(id)!.corrections.length, 0);
  console.log(`${ids.length} essays in both (${before.size} before, ${after.size} after)`);
  console.log(`identical evaluations: ${identical}`);
  console.log(`identical apart from the corrections listed: ${sameButCorrections}`);
  console.log(`identical overall and criterion bands: ${sameScores}; largest change of the overall band: ${maxOverall}`);
  console.log(`corrections: ${total(before)} before, ${total(after)} after; ${count(lost)} no longer listed, ${count(gained)} newly listed`);
  const top = (m: Map<string, number>) => [...m.entries()].sort((p, q) => q[1] - p[1]).slice(0, 15);
  for (const [msg, n] of top(lost)) console.log(`  - ${n} × ${msg.slice(0, 110)}`);
  for (const [msg, n] of top(gained)) console.log(`  + ${n} × ${msg.slice(0, 110)}`);
}

const [mode, ...rest] = process.argv.slice(2);
const run = mode === 'dump' ? dump(rest) : mode === 'compare' ? Promise.resolve(compare(rest)) : Promise.reject(new Error('usage: dump … | compare …'));
run.then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
