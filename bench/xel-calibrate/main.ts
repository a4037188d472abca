/**
 * XEL calibration harness: the embedded writing evaluator against human scores.
 *
 *   npm run xel:calibrate -- /path/to/ELLIPSE_Final_github_test.csv [options]
 *
 * Essays whose `text_id_kaggle` ends in an even digit are the calibration half (the only essays
 * ever fitted on); an odd digit, the held-out half (measured, never fitted); ids ending in a
 * letter are a second held-out set, reported apart. Options:
 *   --timing N     held-out essays timed end to end, after N calibration essays (default 60; 0: none)
 *   --cache DIR    where grammar-checker results are cached (default $XEL_CACHE or <tmp>/xel-calibrate)
 *   --sets a,b     which sets to evaluate: heldout, calibration, other (default all three)
 *   --limit N      at most N essays per set (quick looks)
 *   --explore      print each measure's rank correlation with each human score on the calibration half
 *   --fit          refit the rubric on the calibration half (after a 5-fold cross-validation on
 *                  it) and write src/modules/xel/evaluator/calibration.json, then measure with it
 *   --rules R      the grammar checker's rules: learner (the shipped set, default) or full (all of
 *                  Harper's default rules, as before the learner set)
 *   --select-rules choose the learner rule set on the calibration half, write
 *                  src/modules/xel/evaluator/harper-rules.json and stop (rebuild, then measure)
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CRITERION_MEASURES, WRITING_CRITERIA, type Calibration } from '../../src/modules/xel/evaluator/calibration.js';
import { EmbeddedEvaluator } from '../../src/modules/xel/evaluator/embedded.js';
import { cefrFromBand } from '../../src/modules/xel/rules.js';
import { measureWriting, promptWords } from '../../src/modules/xel/evaluator/features.js';
import { measureText } from '../../src/modules/xel/evaluator/metrics.js';
import { GrammarChecker, type RuleSet } from '../../src/modules/xel/evaluator/grammar.js';
import type { Evaluation, EvaluationRequest } from '../../src/modules/xel/evaluator/types.js';
import { CachedGrammar } from './cache.js';
import { HUMAN_SCORES, readEllipse, type Essay, type HumanScore } from './ellipse.js';
import { crossValidate, fitAll, type Row, type Scored } from './fit.js';
import { selectRules } from './rules.js';
import { mean, pearson, spearman } from './stats.js';

interface Options {
  csv: string;
  timing: number;
  cache: string;
  sets: Essay['split'][];
  limit: number;
  fit: boolean;
  explore: boolean;
  rules: RuleSet;
  selectRules: boolean;
}

function options(argv: string[]): Options {
  const o: Options = { csv: '', timing: 60, cache: process.env.XEL_CACHE ?? join(tmpdir(), 'xel-calibrate'), sets: ['heldout', 'calibration', 'other'], limit: Infinity, fit: false, explore: false, rules: 'learner', selectRules: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--timing') o.timing = Number(next());
    else if (a === '--cache') o.cache = next();
    else if (a === '--sets') o.sets = next().split(',').filter(Boolean) as Essay['split'][];
    else if (a === '--limit') o.limit = Number(next());
    else if (a === '--fit') o.fit = true;
    else if (a === '--explore') o.explore = true;
    else if (a === '--rules') {
      const r = next();
      if (r !== 'learner' && r !== 'full') throw new Error('--rules is learner or full');
      o.rules = r;
    } else if (a === '--select-rules') o.selectRules = true;
    else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
    else o.csv = a;
  }
  if (!o.csv) throw new Error('usage: npm run xel:calibrate -- /path/to/ELLIPSE.csv [--timing N] [--cache DIR] [--sets heldout,calibration,other] [--limit N] [--fit] [--rules learner|full] [--select-rules]');
  return o;
}

const requestFor = (e: Essay): EvaluationRequest => ({
  kind: 'writing',
  text: e.text,
  prompt: e.prompt || null,
  level: null,
  durationSeconds: null,
  words: null,
  minWords: null,
  maxWords: null,
  targetSeconds: null,
  keywords: [],
});

/** Each criterion and the human score it is compared with. */
const COUNTERPARTS: [criterion: string, human: HumanScore][] = [
  ['Task achievement', 'Overall'],
  ['Coherence and cohesion', 'Cohesion'],
  ['Lexical resource', 'Vocabulary'],
  ['Grammatical range and accuracy', 'Grammar'],
  ['Grammatical range and accuracy', 'Syntax'],
];

const SET_NAMES: Record<Essay['split'], string> = {
  heldout: 'held-out half (id ends in an odd digit; never fitted)',
  calibration: 'calibration half (id ends in an even digit; fitted on: in-sample)',
  other: 'ids ending in a letter (never fitted)',
};

const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '–');

const scoredOf = (e: Evaluation): Scored => ({ overall: e.overallScore, criteria: Object.fromEntries(e.criteria.map((c) => [c.name, c.score ?? NaN])) as Scored['criteria'] });

function report(title: string, essays: Essay[], evaluations: Scored[]): void {
  const overall = evaluations.map((e) => e.overall);
  const human = (s: HumanScore) => essays.map((e) => e.human[s]);
  console.log(`\n### ${title}: ${essays.length} essays\n`);
  console.log('| evaluator figure | human score | Spearman | Pearson |');
  console.log('|---|---|---:|---:|');
  console.log(`| overall band | Overall | ${f2(spearman(overall, human('Overall')))} | ${f2(pearson(overall, human('Overall')))} |`);
  for (const [name, h] of COUNTERPARTS) {
    const scores = evaluations.map((e) => e.criteria[name as keyof Scored['criteria']] ?? NaN);
    console.log(`| ${name} | ${h} | ${f2(spearman(scores, human(h)))} | ${f2(pearson(scores, human(h)))} |`);
  }
  const levels = [...new Set(human('Overall'))].sort((a, b) => a - b);
  console.log('\n| human Overall | essays | mean band | CEFR estimates |');
  console.log('|---:|---:|---:|---|');
  for (const l of levels) {
    const at = evaluations.filter((_, i) => essays[i]!.human.Overall === l);
    const cefr = new Map<string, number>();
    for (const e of at) {
      const k = cefrFromBand(e.overall);
      cefr.set(k, (cefr.get(k) ?? 0) + 1);
    }
    const top = [...cefr.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([k, n]) => `${k} ${n}`).join(', ');
    console.log(`| ${l} | ${at.length} | ${f2(mean(at.map((e) => e.overall)))} | ${top} |`);
  }
}

async function main(): Promise<void> {
  const o = options(process.argv.slice(2));
  const essays = readEllipse(o.csv);
  console.log(`XEL calibration: ${o.csv}, ${essays.length} essays; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} on this machine`);
  if (o.selectRules) {
    await selectRules(essays.filter((e) => e.split === 'calibration'));
    return;
  }
  console.log(`Grammar checker rules: ${o.rules === 'full' ? "all of Harper's default rules" : 'the learner rule set (harper-rules.json)'}`);
  const checker = new GrammarChecker('british', 120_000, o.rules);
  await checker.warm();
  const cached = new CachedGrammar(checker, o.cache, 'british', o.rules);
  try {
    let calibration: Calibration | undefined;
    if (o.fit) calibration = await fit(essays.filter((e) => e.split === 'calibration').slice(0, o.limit), cached, o.csv, o.explore);
    const evaluator = new EmbeddedEvaluator(cached, calibration);
    for (const set of o.sets) {
      const inSet = essays.filter((e) => e.split === set).slice(0, o.limit);
      const evaluations: Evaluation[] = [];
      const t0 = performance.now();
      for (const e of inSet) {
        evaluations.push(await evaluator.evaluate(requestFor(e)));
        if (evaluations.length % 200 === 0) process.stderr.write(`  ${set}: ${evaluations.length}/${inSet.length} (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
      }
      cached.save();
      report(SET_NAMES[set], inSet, evaluations.map(scoredOf));
    }
    if (o.timing > 0) await timing(essays.filter((e) => e.split === 'heldout').slice(0, o.timing), essays.filter((e) => e.split === 'calibration').slice(0, o.timing), calibration, cached, o.rules);
  } finally {
    cached.save();
    await checker.close();
  }
}

const CALIBRATION_FILE = fileURLToPath(new URL('../../../src/modules/xel/evaluator/calibration.json', import.meta.url));

/** Rounds every number in a fitted calibration to 6 significant digits (readable diffs). */
const tidy = (v: unknown): unknown =>
  typeof v === 'number' ? Number(v.toPrecision(6)) : Array.isArray(v) ? v.map(tidy) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, tidy(x)])) : v;

/** Cross-validates on the calibration half, then fits on all of it and writes calibration.json. */
async function fit(essays: Essay[], grammar: CachedGrammar, csv: string, explore: boolean): Promise<Calibration> {
  const rows: Row[] = [];
  for (const e of essays) {
    const issues = await grammar.check(e.text);
    const topic = promptWords(e.prompt || null);
    rows.push({ id: e.id, human: e.human, topicWords: topic.length, measures: measureWriting(e.text, topic, measureText(e.text), issues).measures });
  }
  grammar.save();
  if (explore) {
    console.log('\n### Each measure against each human score (Spearman, calibration half)\n');
    console.log(`| measure | ${HUMAN_SCORES.join(' | ')} |`);
    console.log(`|---|${HUMAN_SCORES.map(() => '---:').join('|')}|`);
    for (const k of Object.keys(rows[0]!.measures) as (keyof Row['measures'])[]) {
      console.log(`| ${k} | ${HUMAN_SCORES.map((h) => f2(spearman(rows.map((r) => r.measures[k]), rows.map((r) => r.human[h])))).join(' | ')} |`);
    }
  }
  const cv = crossValidate(rows, 5);
  report(`5-fold cross-validation on the calibration half (penalties ${WRITING_CRITERIA.map((c) => `${c} ${cv.lambdas[c]}`).join(', ')})`, essays, cv.scored);
  const cal = fitAll(rows, cv.lambdas);
  cal.corpus = `ELLIPSE (Crossley et al., 2023; CC BY-NC-SA 4.0), ${csv.split('/').pop()}: the ${rows.length} essays whose text_id_kaggle ends in an even digit`;
  writeFileSync(CALIBRATION_FILE, `${JSON.stringify(tidy(cal), null, 1)}\n`);
  console.log(`\nWrote ${CALIBRATION_FILE}. Weights (bands per standard deviation of the measure; measures left out: dropped against their expected direction):\n`);
  for (const c of WRITING_CRITERIA) {
    const m = cal.criteria[c];
    const perSd = (w: number) => ((w * m.link.humanSd) / m.link.predictionSd) * cal.bandScale.slope;
    const used = m.measures.map((f) => `${f.key} ${perSd(f.weight) >= 0 ? '+' : ''}${perSd(f.weight).toFixed(2)}`).join(', ');
    const dropped = CRITERION_MEASURES[c].measures.filter((s) => !m.measures.some((f) => f.key === s.key)).map((s) => s.key);
    console.log(`- ${c} (→ ${m.target}): ${used}${dropped.length ? `; left out: ${dropped.join(', ')}` : ''}`);
  }
  console.log(`- overall (→ Overall): ${WRITING_CRITERIA.map((c) => `${c} ${cal.overall.weights[c].weight.toFixed(3)}`).join(', ')}`);
  return cal;
}

interface Sample {
  wall: number;
  cpu: number;
}

async function sample<T>(into: Sample[], fn: () => Promise<T>): Promise<T> {
  const cpu = process.cpuUsage();
  const t = performance.now();
  const r = await fn();
  const used = process.cpuUsage(cpu);
  into.push({ wall: performance.now() - t, cpu: (used.user + used.system) / 1000 });
  return r;
}

/**
 * Time per essay, one at a time, on the same essays under the same load (the machine is shared):
 * end to end with a grammar checker that has not seen the text; the grammar check alone on a
 * second checker that has not seen it either; the evaluator's own work, with the grammar issues
 * already at hand; and, as the reference, end to end with a checker running all of Harper's
 * default rules (the evaluator before the learner rule set). Harper keeps what it has worked out
 * about words it has met, so a fresh checker is much slower than one in service: every checker
 * first checks other essays (the calibration half's), as a running server has, and a text a
 * checker has seen is never timed. The four alternate essay by essay.
 */
async function timing(essays: Essay[], warmup: Essay[], calibration: Calibration | undefined, cached: CachedGrammar, rules: RuleSet): Promise<void> {
  const a = new GrammarChecker('british', 120_000, rules);
  const b = new GrammarChecker('british', 120_000, rules);
  const r = new GrammarChecker('british', 120_000, 'full');
  try {
    await Promise.all([a.warm(), b.warm(), r.warm()]);
    const fresh = new EmbeddedEvaluator(a, calibration);
    const known = new EmbeddedEvaluator(cached, calibration);
    const reference = new EmbeddedEvaluator(r, calibration);
    for (const e of warmup) await Promise.all([fresh.evaluate(requestFor(e)), b.check(e.text), reference.evaluate(requestFor(e))]);
    const before = loadavg()[0]!;
    // Wall time depends on what else the machine runs; CPU time (all the process's threads) much less so.
    const runs = { evaluation: [] as Sample[], grammar: [] as Sample[], own: [] as Sample[], reference: [] as Sample[] };
    const words: number[] = [];
    for (const e of essays) {
      const res = await sample(runs.evaluation, () => fresh.evaluate(requestFor(e)));
      await sample(runs.grammar, () => b.check(e.text));
      await cached.check(e.text);
      await sample(runs.own, () => known.evaluate(requestFor(e)));
      await sample(runs.reference, () => reference.evaluate(requestFor(e)));
      words.push(Number(/Based on (\d+) words/.exec(res.cefrCaveat)?.[1] ?? 0));
    }
    const sorted = (xs: number[]) => [...xs].sort((x, y) => x - y);
    const per430 = (xs: number[]) => (mean(xs) / mean(words)) * 430;
    const cpuOf = (xs: Sample[]) => per430(xs.map((x) => x.cpu));
    const wallOf = (xs: Sample[]) => per430(xs.map((x) => x.wall));
    const row = (name: string, xs: Sample[]) => {
      const wall = xs.map((x) => x.wall);
      console.log(`| ${name} | ${mean(wall).toFixed(1)} | ${sorted(wall)[Math.floor(wall.length / 2)]!.toFixed(1)} | ${sorted(wall)[Math.ceil(wall.length * 0.95) - 1]!.toFixed(1)} | ${wallOf(xs).toFixed(1)} | ${cpuOf(xs).toFixed(1)} | ${(cpuOf(xs) / cpuOf(runs.reference)).toFixed(2)} |`);
    };
    const set = rules === 'full' ? "all of Harper's default rules" : 'the learner rule set';
    console.log(`\n### Time per essay (${essays.length} held-out essays, mean ${mean(words).toFixed(0)} words, one at a time, after ${warmup.length} other essays; grammar checker: ${set})\n`);
    console.log('| | mean ms | median ms | p95 ms | ms per 430 words | CPU ms per 430 words | CPU ratio to the reference |');
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    row('evaluation, text new to the grammar checker', runs.evaluation);
    row('grammar check alone, text new to it', runs.grammar);
    row('evaluation, grammar issues at hand (the evaluator’s own work)', runs.own);
    row("reference: evaluation with all of Harper's default rules, text new to it", runs.reference);
    console.log(`\nLoad average (1 min) ${before.toFixed(2)} before, ${loadavg()[0]!.toFixed(2)} after, on ${cpus().length} cores.`);
    console.log(`Budget: 150 ms per 430-word essay; evaluation ${cpuOf(runs.evaluation).toFixed(0)} ms CPU (${wallOf(runs.evaluation).toFixed(0)} ms wall on this loaded machine).`);
  } finally {
    await Promise.all([a.close(), b.close(), r.close()]);
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
