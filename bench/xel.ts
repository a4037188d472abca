import { COURSE } from '../src/modules/xel/content/modules/index.js';
import type { TaskContent } from '../src/modules/xel/content/types.js';
import { countStatements, percentile, printTable, startGateway, userToken } from './lib.js';

const SUBMISSIONS = Number(process.env.BENCH_XEL_SUBMISSIONS ?? 600);
const EVALUATIONS = 30;

const ESSAY = `Many people believe that technology has changed the way students learn. In my opinion, this change is mostly positive, although it brings some problems.

Firstly, the internet gives learners access to information that was once difficult to find. For example, a student in a small village can watch lectures from famous universities, which was impossible twenty years ago. Moreover, online exercises give immediate feedback, so learners can correct their mistakes quickly.

On the other hand, technology can also distract students. Because phones are always nearby, many young people find it hard to concentrate on a single task for long. However, teachers can reduce this problem when they set clear rules and design lessons that use devices purposefully. Last year my teacher teached us with a app and we was very happy with it.

In conclusion, I believe that technology improves education, provided that schools teach students how to use it responsibly and that parents support them at home.`;

const answer = (t: TaskContent): string => (t.type === 'multiple_choice' ? t.answer : t.type === 'fill_blank' ? t.answers[0]! : t.type === 'ordering' ? t.answer : '');

async function timed(n: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<{ perSec: number; p95: number }> {
  const lat: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        const t = performance.now();
        await fn(i);
        lat.push(performance.now() - t);
      }
    }),
  );
  return { perSec: n / ((performance.now() - t0) / 1000), p95: percentile(lat, 95) };
}

/**
 * XEL: graded submissions (a transaction with progress, XP, streak and activity) against plain
 * note writes; the dashboard against /api/auth/me; an embedded evaluation against the grammar
 * check it contains.
 */
export async function xelBench(): Promise<void> {
  const gw = await startGateway({ XEL_GRAMMAR_PRELOAD: 'false' });
  try {
    const token = await userToken(gw.url, 'learner');
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    const tasks: { id: string; response: string }[] = [];
    for (const c of COURSE) {
      const mod = (await (await fetch(`${gw.url}/api/xel/modules/${c.slug}`, { headers })).json()) as { tasks: { id: string; key: string }[] };
      for (const t of c.tasks) if (answer(t)) tasks.push({ id: mod.tasks.find((x) => x.key === t.key)!.id, response: answer(t) });
    }

    const notes = await timed(SUBMISSIONS, 8, async (i) => {
      const r = await fetch(`${gw.url}/api/core/notes`, { method: 'POST', headers, body: JSON.stringify({ title: `n${i}`, content: 'a short note' }) });
      await r.arrayBuffer();
    });
    const subs = await timed(SUBMISSIONS, 8, async (i) => {
      const t = tasks[i % tasks.length]!;
      const r = await fetch(`${gw.url}/api/xel/submissions`, { method: 'POST', headers, body: JSON.stringify({ task_id: t.id, response: t.response }) });
      if (r.status !== 201) throw new Error(`submission: ${r.status}`);
      await r.arrayBuffer();
    });

    const me = await timed(300, 4, async () => {
      await (await fetch(`${gw.url}/api/auth/me`, { headers })).arrayBuffer();
    });
    const dash = await timed(300, 4, async () => {
      await (await fetch(`${gw.url}/api/xel/dashboard`, { headers })).arrayBuffer();
    });
    const statements = await countStatements(gw.app, () => fetch(`${gw.url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query: '{ xelDashboard { xpTotal currentStreak weeklyActivity { date xp } activityHistory { date } skillScores { skill score } recommendedModule { slug } } }' }) }).then((r) => r.arrayBuffer()));

    const grammar = gw.app.services.xel.grammar;
    await grammar.warm();
    // One of each first: the checker's and the evaluator's first calls pay for warming up.
    await grammar.check(ESSAY);
    await fetch(`${gw.url}/api/xel/evaluate`, { method: 'POST', headers, body: JSON.stringify({ kind: 'writing', text: ESSAY }) }).then((r) => r.arrayBuffer());
    const check = await timed(EVALUATIONS, 1, async () => {
      await grammar.check(ESSAY);
    });
    const evaluate = await timed(EVALUATIONS, 1, async () => {
      const r = await fetch(`${gw.url}/api/xel/evaluate`, { method: 'POST', headers, body: JSON.stringify({ kind: 'writing', text: ESSAY, level: 'B2' }) });
      if (r.status !== 200) throw new Error(`evaluate: ${r.status}`);
      await r.arrayBuffer();
    });

    printTable(`XEL (${SUBMISSIONS} submissions over ${tasks.length} objective tasks, 8 clients)`, [
      { scenario: 'graded submissions', figure: `${subs.perSec.toFixed(0)}/s (p95 ${subs.p95.toFixed(1)} ms)`, reference: `note writes ${notes.perSec.toFixed(0)}/s`, ratio: subs.perSec / notes.perSec },
      { scenario: 'dashboard p95 (365 days, skills, recommendation)', figure: `${dash.p95.toFixed(2)} ms`, reference: `GET /api/auth/me ${me.p95.toFixed(2)} ms`, ratio: dash.p95 / me.p95 },
      { scenario: 'dashboard SQL statements (GraphQL)', figure: String(statements), reference: 'constant', ratio: null },
      { scenario: 'embedded evaluation p95 (190-word essay)', figure: `${evaluate.p95.toFixed(1)} ms`, reference: `its grammar check alone ${check.p95.toFixed(1)} ms`, ratio: evaluate.p95 / check.p95 },
    ]);
  } finally {
    await gw.close();
  }
}
