import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readThreads, THREAD_NAMES } from '../src/common/threads.js';
import { COURSE } from '../src/modules/xel/content/modules/index.js';
import type { ModuleContent, TaskContent } from '../src/modules/xel/content/types.js';
import { seedCourse, loadCatalog } from '../src/modules/xel/catalog.js';
import { XelSubmission } from '../src/modules/xel/xel.entities.js';
import { User } from '../src/modules/users/users.entities.js';
import { countStatements } from './helpers/statements.js';
import { EvaluateXelDocument, SubmitXelTaskDocument, UpdateXelPreferencesDocument, XelDashboardDocument, XelModuleDocument, XelModulesDocument, XelNodeDocument } from './generated/graphql.js';
import { CEFR_LEVELS as CEFR } from '../src/modules/xel/content/types.js';
import { signUp } from './helpers/factories.js';
import { errorCode, gql } from './helpers/graphql.js';
import { restClient, type RestClient } from './helpers/http.js';
import { makeCast, makeKey, makeOrg } from './helpers/orgs.js';
import { startServer, type TestServer } from './helpers/server.js';
import { ManualClock } from './helpers/clock.js';
import { startFakeOpenAI } from './helpers/fake-ai.js';
import { CALIBRATION, CRITERION_MEASURES, WRITING_CRITERIA } from '../src/modules/xel/evaluator/calibration.js';
import { EmbeddedEvaluator } from '../src/modules/xel/evaluator/embedded.js';
import { GrammarChecker, LEARNER_RULES_OFF } from '../src/modules/xel/evaluator/grammar.js';
import { learnerSlips } from '../src/modules/xel/evaluator/features.js';
import { analyse, warmLanguage } from '../src/modules/xel/evaluator/language.js';
import type { EvaluationRequest } from '../src/modules/xel/evaluator/types.js';
import {
  AMERICAN_ESSAY,
  BRITISH_ESSAY,
  ERRORS_ESSAY,
  GOOD_ESSAY,
  LOWER_CASE_ESSAY,
  MISSPELT_ESSAY,
  REPETITIVE_ESSAY,
  RUN_ON_ESSAY,
  SHORT_ESSAY,
  SLIPS_ESSAY,
  UNLINKED_ESSAY,
  WEAK_ESSAY,
} from './helpers/xel-essays.js';

let server: TestServer;
let api: RestClient;
/** The app's clock: the streak tests move it across midnights (credentials live a week, so they outlast a move). */
const clock = new ManualClock();

beforeAll(async () => {
  server = await startServer({ ACCESS_TOKEN_TTL_SECONDS: String(7 * 86_400) }, { clock });
  api = restClient(server.url);
  // The grammar checker loads in seconds, the writing measures' language model in a fraction: once, before the tests that need them.
  await server.app.services.xel.grammar.warm();
  warmLanguage();
}, 120_000);
afterAll(() => server.close());


/** A correct answer for an objective task, as a learner would send it. */
function rightAnswer(t: TaskContent, variant: number): string {
  switch (t.type) {
    case 'multiple_choice':
      return t.answer;
    case 'fill_blank': {
      const a = t.answers[variant % t.answers.length]!;
      // Forgiven differences: case, spacing, curly apostrophes.
      return variant % 2 ? `  ${a.toUpperCase().replace(/'/g, '’')} ` : a;
    }
    case 'ordering': {
      if (variant % 2 === 0) return t.answer;
      // By option ids, in the order of the answer: match items (which may be phrases) from the left.
      const used = new Set<number>();
      const ids: string[] = [];
      let rest = t.answer;
      while (rest.length) {
        const i = t.items.findIndex((item, j) => !used.has(j) && (rest === item || rest.startsWith(`${item} `)));
        if (i < 0) throw new Error(`cannot rebuild ${t.answer} from ${t.items.join('|')}`);
        used.add(i);
        ids.push(`w${i + 1}`);
        rest = rest.slice(t.items[i]!.length).trimStart();
      }
      return ids.join(' ');
    }
    default:
      throw new Error('not objective');
  }
}

function wrongAnswer(t: TaskContent): string {
  switch (t.type) {
    case 'multiple_choice':
      return t.options.find((o) => o.id !== t.answer)!.id;
    case 'fill_blank':
      return 'zzzz';
    case 'ordering':
      return [...t.items].reverse().join(' ') === t.answer ? t.items.join(' ') : [...t.items].reverse().join(' ');
    default:
      throw new Error('not objective');
  }
}

/** A response on topic for a writing or speaking task: it uses the task's keywords. */
function openResponse(t: TaskContent & { type: 'writing' | 'speaking' }): string {
  const words = t.keywords.join(', ');
  const sentences = [
    `I would like to talk about ${t.keywords[0]} because it matters to me.`,
    `In my experience, ${t.keywords.slice(1, 3).join(' and ')} are important, although not everyone agrees.`,
    `For example, when I think about ${t.keywords[3] ?? t.keywords[0]}, I remember how much I learned.`,
    `However, there are other things to consider, such as ${words}.`,
    'In conclusion, I believe that it is worth thinking about these ideas carefully.',
  ];
  const text = sentences.join(' ');
  const min = t.minWords;
  let out = text;
  while (out.split(/\s+/).length < min) out += ` ${text}`;
  return out;
}

async function moduleBySlug(token: string, slug: string) {
  const r = await api.get(`/api/xel/modules/${slug}`, { token });
  expect(r.status).toBe(200);
  return r.body as { id: string; tasks: { id: string; key: string; type: string; options: { id: string }[] | null; completed: boolean; attempts: number; best_score: number | null }[]; status: string; progress_percent: number };
}

describe('the shipped course', () => {
  it('has at least 12 modules from A1 to C1 over every skill, each with at least 6 tasks', async () => {
    const u = await signUp(api);
    const r = await api.get('/api/xel/modules?limit=100', { token: u.accessToken });
    expect(r.status).toBe(200);
    expect(r.body.length).toBe(COURSE.length);
    expect(r.headers.get('x-total-count')).toBe(String(COURSE.length));
    expect(COURSE.length).toBeGreaterThanOrEqual(12);
    expect(new Set(COURSE.map((m) => m.level))).toEqual(new Set(['A1', 'A2', 'B1', 'B2', 'C1']));
    expect(new Set(COURSE.map((m) => m.skill))).toEqual(new Set(['grammar', 'vocabulary', 'reading', 'listening', 'writing', 'speaking']));
    for (const m of r.body) {
      expect(m.task_count).toBeGreaterThanOrEqual(6);
      expect(m.status).toBe('not_started');
    }
    const filtered = await api.get('/api/xel/modules?level=B1&skill=writing', { token: u.accessToken });
    expect(filtered.body.map((m: { slug: string }) => m.slug)).toEqual(COURSE.filter((m) => m.level === 'B1' && m.skill === 'writing').map((m) => m.slug));
    expect((await api.get('/api/xel/modules?level=Z9', { token: u.accessToken })).status).toBe(400);
  });

  it('never sends answer keys', async () => {
    const u = await signUp(api);
    for (const c of COURSE) {
      const r = await api.get(`/api/xel/modules/${c.slug}`, { token: u.accessToken });
      for (const task of r.body.tasks as Record<string, unknown>[]) {
        for (const secret of ['answer', 'answers', 'alternatives', 'explanation', 'keywords', 'items']) expect(task).not.toHaveProperty(secret);
        const t = c.tasks.find((x) => x.key === task.key)!;
        // A fill-in answer appears nowhere in its own task (unless the prompt itself lists the choices).
        if (t.type === 'fill_blank' && !t.prompt.includes(t.answers[0]!)) expect(JSON.stringify(task)).not.toContain(`"${t.answers[0]}"`);
      }
    }
  });

  it('grades every task of the whole course: the key right, a wrong answer wrong, writing and speaking through the evaluator', async () => {
    const u = await signUp(api);
    let n = 0;
    for (const c of COURSE) {
      const mod = await moduleBySlug(u.accessToken, c.slug);
      for (const t of c.tasks) {
        const id = mod.tasks.find((x) => x.key === t.key)!.id;
        if (t.type === 'writing' || t.type === 'speaking') {
          const r = await api.post('/api/xel/submissions', { task_id: id, response: openResponse(t), duration_seconds: t.type === 'speaking' ? t.targetSeconds : undefined }, { token: u.accessToken });
          expect(r.status, `${c.slug}/${t.key}: ${JSON.stringify(r.body)}`).toBe(201);
          expect(r.body.evaluation.criteria.length).toBeGreaterThanOrEqual(4);
          expect(r.body.score).toBeGreaterThan(0);
          if (t.type === 'speaking') expect(r.body.evaluation.not_assessed).toContain('pronunciation');
          continue;
        }
        const wrong = await api.post('/api/xel/submissions', { task_id: id, response: wrongAnswer(t) }, { token: u.accessToken });
        expect(wrong.status, `${c.slug}/${t.key}`).toBe(201);
        expect(wrong.body, `${c.slug}/${t.key} wrong`).toMatchObject({ score: 0, passed: false, xp_awarded: 0 });
        expect(wrong.body.feedback).toContain(t.explanation);
        const right = await api.post('/api/xel/submissions', { task_id: id, response: rightAnswer(t, n++) }, { token: u.accessToken });
        expect(right.body, `${c.slug}/${t.key} right`).toMatchObject({ score: 100, max_score: 100, passed: true });
        expect(right.body.xp_awarded).toBeGreaterThan(0);
        expect(right.body.feedback).toContain(t.explanation);
      }
    }
    // Every objective module is now complete.
    const list = await api.get('/api/xel/modules?limit=100', { token: u.accessToken });
    for (const m of list.body) {
      const c = COURSE.find((x) => x.slug === m.slug)!;
      if (c.tasks.every((t) => t.type !== 'writing' && t.type !== 'speaking')) expect(m).toMatchObject({ status: 'completed', progress_percent: 100 });
      else expect(m.status).not.toBe('not_started');
    }
  }, 240_000);
});

describe('bad input records nothing', () => {
  it('answers 400 or 404 for each bad submission, and the learner is untouched', async () => {
    const u = await signUp(api);
    const [a, b] = [COURSE.find((m) => m.tasks.some((t) => t.type === 'multiple_choice'))!, COURSE.find((m) => m.skill === 'writing')!];
    const modA = await moduleBySlug(u.accessToken, a.slug);
    const modB = await moduleBySlug(u.accessToken, b.slug);
    const mc = a.tasks.find((t) => t.type === 'multiple_choice')!;
    const mcId = modA.tasks.find((t) => t.key === mc.key)!.id;
    const writingId = modB.tasks.find((t) => t.type === 'writing')!.id;
    const cases: [string, Record<string, unknown>, number, string][] = [
      ['task from another module', { task_id: mcId, module_id: modB.id, response: 'a' }, 400, 'module_id'],
      ['option that does not exist', { task_id: mcId, response: 'zz' }, 400, 'response'],
      ['empty response', { task_id: mcId, response: '   ' }, 400, 'response'],
      ['20,000-character response', { task_id: writingId, response: 'word '.repeat(4000) }, 400, 'response'],
      ['negative duration', { task_id: writingId, response: 'A short text.', duration_seconds: -5 }, 400, 'duration_seconds'],
      ['response not a string', { task_id: mcId, response: 42 }, 400, 'response'],
      ['task id not an id', { task_id: 'nope', response: 'a' }, 400, 'task_id'],
      ['unknown task', { task_id: '00000000-0000-4000-8000-000000000000', response: 'a' }, 404, ''],
      ['word timing ending before it starts', { task_id: writingId, response: 'Hello there.', words: [{ word: 'Hello', start: 2, end: 1 }] }, 400, 'words'],
      ['a writing task answered in Japanese', { task_id: writingId, response: '日本語のテキストです。'.repeat(20) }, 400, 'response'],
    ];
    for (const [name, body, status, field] of cases) {
      const r = await api.post('/api/xel/submissions', body, { token: u.accessToken });
      expect(r.status, name).toBe(status);
      expect(r.body.detail.error, name).toBe(status === 400 ? 'validation_error' : 'not_found');
      if (field) expect(JSON.stringify(r.body.detail.fields), name).toContain(field);
    }
    const ev = await api.post('/api/xel/evaluate', { kind: 'writing', text: '' }, { token: u.accessToken });
    expect(ev.status).toBe(400);
    // The rubric grades English: text mostly in another script is refused, not scored as fluent English.
    for (const text of ['日本語のテキスト。'.repeat(50), 'Это текст на русском языке, и он довольно длинный.'.repeat(5), 'यह हिंदी में लिखा गया एक लंबा पाठ है।'.repeat(5)]) {
      const foreign = await api.post('/api/xel/evaluate', { kind: 'writing', text }, { token: u.accessToken });
      expect(foreign.status, text.slice(0, 10)).toBe(400);
      expect(foreign.body.detail.fields).toEqual([{ loc: ['body', 'text'], message: 'must be written in English (most of its letters are of another script)' }]);
    }

    expect((await api.post('/api/xel/evaluate', { kind: 'singing', text: 'la la' }, { token: u.accessToken })).status).toBe(400);
    expect((await api.post('/api/xel/evaluate', { kind: 'speaking', text: 'Hello.', duration_seconds: -1 }, { token: u.accessToken })).status).toBe(400);
    // Word timings are bounded like duration_seconds (4 hours): 1e308 s once gave a pace of 0 words a minute and a duration shown as null.
    const far = await api.post('/api/xel/evaluate', { kind: 'speaking', text: 'Hello there, my friend.', words: [{ word: 'Hello', start: 0, end: 1e308 }] }, { token: u.accessToken });
    expect(far.status).toBe(400);
    expect(far.body.detail.fields[0].loc).toEqual(['body', 'words', 0, 'end']);

    const after = await moduleBySlug(u.accessToken, a.slug);
    expect(after.tasks.every((t) => t.attempts === 0)).toBe(true);
    const dash = await api.get('/api/xel/dashboard', { token: u.accessToken });
    expect(dash.body).toMatchObject({ xp_total: 0, tasks_completed: 0, current_streak: 0, today_xp: 0 });
    expect(dash.body.activity_history.every((d: { tasks: number }) => d.tasks === 0)).toBe(true);
    expect(dash.body.skill_scores.every((s: { samples: number }) => s.samples === 0)).toBe(true);
    // English with a few foreign words and names is English (graded, so after the checks above).
    const mixed = await api.post('/api/xel/evaluate', { kind: 'writing', text: 'My friend Yuki taught me to say 東京 and ありがとう when we visited Tokyo last spring with her family.' }, { token: u.accessToken });
    expect(mixed.status).toBe(200);
  });

  it('stores a duration to the millisecond, so a denormal such as 3e-323 is not a database error', async () => {
    const u = await signUp(api);
    const c = COURSE[0]!;
    const mod = await moduleBySlug(u.accessToken, c.slug);
    const t = c.tasks.find((x) => x.type === 'multiple_choice')!;
    const r = await api.post('/api/xel/submissions', { task_id: mod.tasks.find((x) => x.key === t.key)!.id, response: t.answer, duration_seconds: 3e-323 }, { token: u.accessToken });
    expect(r.status).toBe(201);
  });

  it('needs xel scopes for API keys, and a user', async () => {
    const cast = await makeCast(api);
    const org = await makeOrg(api, cast);
    const reader = (await makeKey(api, cast.owner, org.id, ['xel:read'])).key;
    const writer = (await makeKey(api, cast.owner, org.id, ['xel:write'])).key;
    expect((await api.get('/api/xel/dashboard')).status).toBe(401);
    expect((await api.get('/api/xel/dashboard', { apiKey: reader })).status).toBe(200);
    const denied = await api.post('/api/xel/evaluate', { kind: 'writing', text: 'Hello.' }, { apiKey: reader });
    expect(denied.status).toBe(403);
    expect(denied.body.detail).toMatchObject({ error: 'INSUFFICIENT_API_KEY_SCOPE', required_scope: 'xel:write' });
    expect((await api.post('/api/xel/evaluate', { kind: 'writing', text: 'Hello, this is a short text.' }, { apiKey: writer })).status).toBe(200);
  });
});

describe('XP, progress and concurrency', () => {
  it('earns XP only for an improvement, and completes the module when every task is passed', async () => {
    // At noon (UTC, the learner's zone), so that the timed practice below lies within one day.
    const noon = new Date(clock.now());
    noon.setUTCHours(12, 0, 0, 0);
    if (noon.getTime() < clock.now()) noon.setUTCDate(noon.getUTCDate() + 1);
    clock.set(noon.getTime());
    const u = await signUp(api);
    const c = COURSE.find((m) => m.tasks.every((t) => t.type !== 'writing' && t.type !== 'speaking'))!;
    const mod = await moduleBySlug(u.accessToken, c.slug);
    const t = c.tasks[0]!;
    const id = mod.tasks.find((x) => x.key === t.key)!.id;
    // Timed: 20 minutes of XEL practice, the day's learning-time quest (the learning module is
    // wired into the xp module, so one of the three quests is learning time, whatever the draw).
    const first = await api.post('/api/xel/submissions', { task_id: id, response: rightAnswer(t, 0), duration_seconds: 1200 }, { token: u.accessToken });
    const xp = { A1: 10, A2: 15, B1: 20, B2: 25, C1: 30, C2: 35 }[c.level];
    expect(first.body.xp_awarded).toBe(xp);
    const again = await api.post('/api/xel/submissions', { task_id: id, response: rightAnswer(t, 0) }, { token: u.accessToken });
    expect(again.body.xp_awarded).toBe(0);
    const worse = await api.post('/api/xel/submissions', { task_id: id, response: wrongAnswer(t) }, { token: u.accessToken });
    expect(worse.body).toMatchObject({ xp_awarded: 0, score: 0 });
    const detail = await moduleBySlug(u.accessToken, c.slug);
    expect(detail.tasks.find((x) => x.id === id)).toMatchObject({ attempts: 3, best_score: 100, completed: true });
    expect(first.body.module_progress).toMatchObject({ status: 'in_progress', completed_tasks: 1 });
    let awarded: number = first.body.xp_awarded;
    for (const [i, task] of c.tasks.slice(1).entries()) {
      const r = await api.post('/api/xel/submissions', { task_id: detail.tasks.find((x) => x.key === task.key)!.id, response: rightAnswer(task, i) }, { token: u.accessToken });
      awarded += r.body.xp_awarded as number;
    }
    const done = await moduleBySlug(u.accessToken, c.slug);
    expect(done).toMatchObject({ status: 'completed', progress_percent: 100, xp_earned: xp * c.tasks.length });
    const dash = await api.get('/api/xel/dashboard', { token: u.accessToken });
    // The day's quests done (the xp module), a booster doubles the awards after: the total counts them, the module its tasks' own XP.
    expect(awarded).toBeGreaterThan(xp * c.tasks.length);
    expect(dash.body.xp_total).toBe(awarded);
    expect(dash.body.modules_completed).toBe(1);
    expect(dash.body.tasks_completed).toBe(c.tasks.length);
    expect(dash.body.average_score).toBe(100);
    expect(dash.body.skill_scores.find((s: { skill: string }) => s.skill === c.skill).samples).toBe(10);
    expect(dash.body.recommended_module.slug).not.toBe(c.slug);
  });

  it('scores a skill from its last 10 samples, graded attempts and free evaluations together, newest first', async () => {
    const u = await signUp(api);
    const c = COURSE.find((m) => m.skill === 'writing')!;
    const mod = await moduleBySlug(u.accessToken, c.slug);
    const writing = mod.tasks.find((x) => x.type === 'writing')!;
    // Ten writing attempts scored 0 an hour ago, then a free writing evaluation now.
    const em = server.app.orm.em.fork();
    for (let i = 0; i < 10; i++) {
      const createdAt = new Date(clock.now() - 3_600_000 + i * 1000);
      em.create(XelSubmission, { user: em.getReference(User, u.user.id), task: writing.id, module: mod.id, skill: 'writing', response: 'x', durationSeconds: null, score: 0, maxScore: 100, passed: false, feedback: 'x', xpAwarded: 0, evaluation: null, day: createdAt.toISOString().slice(0, 10), createdAt });
    }
    await em.flush();
    const ev = await api.post('/api/xel/evaluate', { kind: 'writing', text: GOOD_ESSAY }, { token: u.accessToken });
    expect(ev.status).toBe(200);
    const dash = await api.get('/api/xel/dashboard', { token: u.accessToken });
    // The evaluation is the newest sample: it and the nine latest attempts make the score.
    expect(dash.body.skill_scores.find((s: { skill: string }) => s.skill === 'writing')).toEqual({ skill: 'writing', samples: 10, score: Math.round(((ev.body.overall_score / 9) * 100) / 10) });
  });

  it('does not double XP for concurrent submissions of the same task', async () => {
    const u = await signUp(api);
    const c = COURSE[1]!;
    const mod = await moduleBySlug(u.accessToken, c.slug);
    const t = c.tasks.find((x) => x.type === 'multiple_choice')!;
    const id = mod.tasks.find((x) => x.key === t.key)!.id;
    const results = await Promise.all(Array.from({ length: 12 }, () => api.post('/api/xel/submissions', { task_id: id, response: rightAnswer(t, 0) }, { token: u.accessToken })));
    expect(results.every((r) => r.status === 201)).toBe(true);
    const awarded = results.reduce((s, r) => s + r.body.xp_awarded, 0);
    const xp = { A1: 10, A2: 15, B1: 20, B2: 25, C1: 30, C2: 35 }[c.level];
    expect(awarded).toBe(xp);
    const dash = await api.get('/api/xel/dashboard', { token: u.accessToken });
    expect(dash.body.xp_total).toBe(xp);
    expect(dash.body.today_xp).toBe(xp);
    expect(dash.body.weekly_activity.at(-1).tasks).toBe(12);
    expect((await moduleBySlug(u.accessToken, c.slug)).tasks.find((x) => x.id === id)!.attempts).toBe(12);
  });
});

describe('streaks and days in the learner’s time zone', () => {
  async function submitAt(token: string, iso: string) {
    clock.set(iso);
    const c = COURSE[0]!;
    const mod = await moduleBySlug(token, c.slug);
    const t = c.tasks.find((x) => x.type === 'multiple_choice')!;
    const r = await api.post('/api/xel/submissions', { task_id: mod.tasks.find((x) => x.key === t.key)!.id, response: wrongAnswer(t) }, { token });
    expect(r.status).toBe(201);
  }

  async function dashboardAt(token: string, iso: string) {
    clock.set(iso);
    const r = await api.get('/api/xel/dashboard', { token });
    return r.body;
  }

  it('counts two days across local midnight in Auckland where UTC sees one', async () => {
    clock.set('2027-01-01T10:00:00Z');
    const nz = await signUp(api);
    const utc = await signUp(api);
    const set = await api.patch('/api/xel/preferences', { timezone: 'Pacific/Auckland' }, { token: nz.accessToken });
    expect(set.status).toBe(200);
    expect(set.body.timezone).toBe('Pacific/Auckland');
    // 10:30Z is 23:30 on 1 January in Auckland (UTC+13); 11:30Z is 00:30 on 2 January.
    for (const u of [nz, utc]) {
      await submitAt(u.accessToken, '2027-01-01T10:30:00Z');
      await submitAt(u.accessToken, '2027-01-01T11:30:00Z');
    }
    const a = await dashboardAt(nz.accessToken, '2027-01-01T12:00:00Z');
    expect(a).toMatchObject({ current_streak: 2, longest_streak: 2 });
    expect(a.weekly_activity.slice(-2)).toEqual([
      { date: '2027-01-01', xp: 0, tasks: 1 },
      { date: '2027-01-02', xp: 0, tasks: 1 },
    ]);
    const b = await dashboardAt(utc.accessToken, '2027-01-01T12:00:00Z');
    expect(b).toMatchObject({ current_streak: 1, longest_streak: 1 });
    expect(b.weekly_activity.at(-1)).toEqual({ date: '2027-01-01', xp: 0, tasks: 2 });
  });

  it('extends the streak across UTC midnight, keeps it through the next day, and breaks it after a missed day', async () => {
    clock.set('2027-03-10T23:00:00Z');
    const u = await signUp(api);
    await submitAt(u.accessToken, '2027-03-10T23:59:30Z');
    await submitAt(u.accessToken, '2027-03-11T00:00:30Z');
    expect(await dashboardAt(u.accessToken, '2027-03-11T08:00:00Z')).toMatchObject({ current_streak: 2, longest_streak: 2 });
    // The next day, before any activity, the streak is still alive.
    expect(await dashboardAt(u.accessToken, '2027-03-12T20:00:00Z')).toMatchObject({ current_streak: 2 });
    // A whole day missed: broken, but the record stays.
    expect(await dashboardAt(u.accessToken, '2027-03-13T00:00:01Z')).toMatchObject({ current_streak: 0, longest_streak: 2 });
    await submitAt(u.accessToken, '2027-03-13T09:00:00Z');
    expect(await dashboardAt(u.accessToken, '2027-03-13T09:00:01Z')).toMatchObject({ current_streak: 1, longest_streak: 2 });
  });

  it('fixes the day at the time of the activity: a later time zone change does not move it', async () => {
    clock.set('2027-05-20T23:00:00Z');
    const u = await signUp(api);
    await submitAt(u.accessToken, '2027-05-20T23:30:00Z');
    await api.patch('/api/xel/preferences', { timezone: 'Asia/Tokyo' }, { token: u.accessToken });
    const d = await dashboardAt(u.accessToken, '2027-05-21T01:00:00Z');
    // In Tokyo it is already the 21st (10:00); the activity stays on the 20th, when and where it happened.
    expect(d.weekly_activity.slice(-2)).toEqual([
      { date: '2027-05-20', xp: 0, tasks: 1 },
      { date: '2027-05-21', xp: 0, tasks: 0 },
    ]);
    expect(d.current_streak).toBe(1);
    expect((await api.patch('/api/xel/preferences', { timezone: 'Mars/Olympus' }, { token: u.accessToken })).status).toBe(400);
    // UTC offsets are not time zones (Intl takes them, up to ±23:59, past the offsets days are counted in): refused on both paths that set it.
    for (const timezone of ['+05:30', '-23:59', '+14', ' -1400']) {
      const prefs = await api.patch('/api/xel/preferences', { timezone }, { token: u.accessToken });
      expect(prefs.status, timezone).toBe(400);
      expect(prefs.body.detail.fields[0].loc).toEqual(['body', 'timezone']);
      expect((await api.patch('/api/auth/me', { timezone }, { token: u.accessToken })).status, timezone).toBe(400);
    }
    expect((await dashboardAt(u.accessToken, '2027-05-21T01:00:00Z')).timezone).toBe('Asia/Tokyo');
  });
});

describe('the embedded evaluator', () => {
  it('checks grammar on a thread of its own, named where the system shows threads (its CPU has its own series in /metrics)', () => {
    if (process.platform !== 'linux') return;
    // Warmed before the tests: the checker's thread is up.
    expect(readThreads().map((t) => t.name)).toContain(THREAD_NAMES.grammar);
  });

  it('replaces the grammar checker after a failure of its own, so one text cannot break it for everyone', async () => {
    const u = await signUp(api);
    // A 7,000-letter word traps Harper's WebAssembly; every later lint on that instance failed.
    const broken = await api.post('/api/xel/evaluate', { kind: 'writing', text: `I wrote ${'a'.repeat(7000)} today.` }, { token: u.accessToken });
    expect(broken.status).toBe(503);
    expect(broken.body.detail.error).toBe('service_unavailable');
    const next = await evaluate(u.accessToken, { kind: 'writing', text: 'I has a apple. She go to school every day and we was happy.' });
    expect(next.corrections.length).toBeGreaterThan(0);
  });

  async function evaluate(token: string, body: Record<string, unknown>) {
    const r = await api.post('/api/xel/evaluate', body, { token });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body as { overall_score: number; cefr_estimate: string; cefr_caveat: string; evaluator: string; not_assessed: string[]; corrections: { text: string }[]; criteria: { name: string; score: number | null; assessed: boolean; feedback: string; measures: { name: string; value: number }[]; spans: { start: number; end: number; text: string }[] }[] };
  }
  const score = (e: Awaited<ReturnType<typeof evaluate>>, name: string) => e.criteria.find((c) => c.name === name)!.score!;

  it('is stable for the same input and explains itself', async () => {
    const u = await signUp(api);
    const body = { kind: 'writing', text: GOOD_ESSAY, prompt: 'Has technology changed the way students learn? Give your opinion.', level: 'B2' };
    const a = await evaluate(u.accessToken, body);
    const b = await evaluate(u.accessToken, body);
    expect(b).toEqual(a);
    expect(a.evaluator).toBe('embedded');
    expect(a.criteria.map((c) => c.name)).toEqual(['Task achievement', 'Coherence and cohesion', 'Lexical resource', 'Grammatical range and accuracy']);
    for (const c of a.criteria) {
      expect(c.assessed).toBe(true);
      expect(c.measures.length).toBeGreaterThan(0);
      expect(c.feedback.length).toBeGreaterThan(10);
      for (const s of c.spans) expect(GOOD_ESSAY.slice(s.start, s.end)).toBe(s.text);
    }
    expect(a.overall_score).toBeGreaterThanOrEqual(5.5);
    expect(a.cefr_caveat).toMatch(/estimate/);
  });

  it('scores seeded grammar errors lower on grammar, and points at them', async () => {
    const u = await signUp(api);
    const good = await evaluate(u.accessToken, { kind: 'writing', text: GOOD_ESSAY, level: 'B2' });
    const bad = await evaluate(u.accessToken, { kind: 'writing', text: ERRORS_ESSAY, level: 'B2' });
    expect(score(bad, 'Grammatical range and accuracy')).toBeLessThan(score(good, 'Grammatical range and accuracy'));
    expect(bad.overall_score).toBeLessThan(good.overall_score);
    const flagged = bad.corrections.map((c) => c.text.toLowerCase());
    expect(flagged).toEqual(expect.arrayContaining(['dificult', 'imposible', 'teached', 'childs']));
    expect(good.corrections).toEqual([]);
    const grammarSpans = bad.criteria.find((c) => c.name === 'Grammatical range and accuracy')!.spans;
    expect(grammarSpans.length).toBeGreaterThan(0);
    for (const s of grammarSpans) expect(ERRORS_ESSAY.slice(s.start, s.end)).toBe(s.text);
  });

  it('scores a too-short answer lower on task achievement', async () => {
    const u = await signUp(api);
    const good = await evaluate(u.accessToken, { kind: 'writing', text: GOOD_ESSAY, level: 'B2' });
    const short = await evaluate(u.accessToken, { kind: 'writing', text: SHORT_ESSAY, level: 'B2' });
    expect(score(short, 'Task achievement')).toBeLessThan(score(good, 'Task achievement'));
    expect(short.criteria.find((c) => c.name === 'Task achievement')!.feedback).toMatch(/at least 150/);
  });

  it('judges speaking fluency from pace, pauses and fillers, and never invents pronunciation', async () => {
    const u = await signUp(api);
    const fluent = 'Well, I usually get up at seven because I start work early. After breakfast I cycle to the office, which takes about twenty minutes. In the evening I often cook with my flatmate, and then we watch a film or go for a walk. At the weekend, however, I sleep late and visit my parents.';
    const halting = 'Um, I usually, uh, get up at seven, um, because I, er, start work early. Uh, after breakfast I, um, cycle to the office. Um, in the evening I, uh, cook. Er, at the weekend, um, I sleep late.';
    const words = (text: string, gap: number) =>
      text
        .split(/\s+/)
        .map((w, i) => ({ word: w.replace(/[^\w']/g, '') || w, start: i * (0.35 + gap), end: i * (0.35 + gap) + 0.3 }));
    const a = await evaluate(u.accessToken, { kind: 'speaking', text: fluent, duration_seconds: 24 });
    const b = await evaluate(u.accessToken, { kind: 'speaking', text: halting, words: words(halting, 1.8) });
    expect(score(b, 'Fluency and coherence')).toBeLessThan(score(a, 'Fluency and coherence'));
    const fa = b.criteria.find((c) => c.name === 'Fluency and coherence')!;
    expect(fa.measures.find((m) => m.name === 'fillers')!.value).toBeGreaterThanOrEqual(10);
    expect(fa.measures.find((m) => m.name === 'pauses of 1.5 s or more')!.value).toBeGreaterThan(5);
    const pron = a.criteria.find((c) => c.name === 'Pronunciation')!;
    expect(pron).toMatchObject({ score: null, assessed: false });
    expect(a.not_assessed).toEqual(expect.arrayContaining(['pronunciation', 'pauses (send word timings)']));
    const noTiming = await evaluate(u.accessToken, { kind: 'speaking', text: fluent });
    expect(noTiming.not_assessed.join(' ')).toMatch(/speech rate/);
  });
});

describe('the calibrated writing rubric', () => {
  const request = (text: string): EvaluationRequest => ({
    kind: 'writing',
    text,
    prompt: 'Has technology changed the way students learn? Give your opinion.',
    level: 'B2',
    durationSeconds: null,
    words: null,
    minWords: null,
    maxWords: null,
    targetSeconds: null,
    keywords: [],
  });
  const evaluate = (text: string) => new EmbeddedEvaluator(server.app.services.xel.grammar).evaluate(request(text));
  type Result = Awaited<ReturnType<typeof evaluate>>;
  const band = (e: Result, name: string) => e.criteria.find((c) => c.name === name)!.score!;
  const figure = (e: Result, criterion: string, measure: string) => e.criteria.find((c) => c.name === criterion)!.measures.find((m) => m.name === measure)!.value!;

  it('orders a weak, a flawed and a good essay the same way overall and on every range criterion', async () => {
    const weak = await evaluate(WEAK_ESSAY);
    const flawed = await evaluate(ERRORS_ESSAY);
    const good = await evaluate(GOOD_ESSAY);
    expect(weak.overallScore).toBeLessThan(flawed.overallScore);
    expect(flawed.overallScore).toBeLessThan(good.overallScore);
    expect(band(weak, 'Grammatical range and accuracy')).toBeLessThan(band(flawed, 'Grammatical range and accuracy'));
    expect(band(flawed, 'Grammatical range and accuracy')).toBeLessThan(band(good, 'Grammatical range and accuracy'));
    for (const c of ['Coherence and cohesion', 'Lexical resource']) expect(band(weak, c), c).toBeLessThan(band(good, c));
    // The weak essay's slips are found and pointed at.
    const slips = weak.criteria.find((c) => c.name === 'Grammatical range and accuracy')!.spans.map((s) => s.text.toLowerCase());
    expect(slips).toEqual(expect.arrayContaining(['he have', 'people is', 'for find']));
    expect(figure(weak, 'Coherence and cohesion', 'sentences starting in lower case')).toBe(100);
  }, 120_000);

  it('moves each criterion with its own measures, one change at a time', async () => {
    const good = await evaluate(GOOD_ESSAY);
    const lex = 'Lexical resource';
    const gra = 'Grammatical range and accuracy';
    const coh = 'Coherence and cohesion';

    const misspelt = await evaluate(MISSPELT_ESSAY);
    expect(figure(misspelt, lex, 'misspelt words')).toBeGreaterThan(figure(good, lex, 'misspelt words'));
    expect(band(misspelt, lex)).toBeLessThan(band(good, lex));
    expect(misspelt.criteria.find((c) => c.name === lex)!.spans.map((s) => s.text)).toEqual(expect.arrayContaining(['peple', 'tecnology', 'dificult']));

    const repetitive = await evaluate(REPETITIVE_ESSAY);
    expect(figure(repetitive, lex, 'lexical diversity (MTLD)')).toBeLessThan(figure(good, lex, 'lexical diversity (MTLD)'));
    expect(band(repetitive, lex)).toBeLessThan(band(good, lex));

    const slips = await evaluate(SLIPS_ESSAY);
    expect(figure(slips, gra, 'subject–verb slips per 100 words')).toBeGreaterThan(0);
    expect(band(slips, gra)).toBeLessThan(band(good, gra));
    expect(band(slips, lex)).toBeGreaterThanOrEqual(band(good, lex));

    const runOn = await evaluate(RUN_ON_ESSAY);
    expect(figure(runOn, gra, 'words in sentences over 35 words')).toBeGreaterThan(50);
    expect(band(runOn, gra)).toBeLessThan(band(good, gra));
    expect(runOn.criteria.find((c) => c.name === coh)!.feedback).toMatch(/past 35 words/);

    const lower = await evaluate(LOWER_CASE_ESSAY);
    expect(figure(lower, coh, 'sentences starting in lower case')).toBe(100);
    expect(band(lower, coh)).toBeLessThan(band(good, coh));
    expect(band(lower, lex)).toBe(band(good, lex));

    const unlinked = await evaluate(UNLINKED_ESSAY);
    expect(figure(unlinked, coh, 'kinds of link')).toBe(0);
    expect(band(unlinked, coh)).toBeLessThan(band(good, coh));

    for (const e of [good, misspelt, repetitive, slips, runOn, lower, unlinked]) for (const c of e.criteria) for (const sp of c.spans) expect(sp.text.length).toBeGreaterThan(0);
  }, 120_000);

  it('does not count the other dialect’s spellings as mistakes', async () => {
    const british = await evaluate(BRITISH_ESSAY);
    const american = await evaluate(AMERICAN_ESSAY);
    // The checker (British by default) still shows them as corrections...
    expect(american.corrections.map((c) => c.text)).toEqual(expect.arrayContaining(['behavior', 'favorite']));
    // ...but they are not mistakes: the same figures and bands either way.
    expect(figure(american, 'Lexical resource', 'spelling mistakes')).toBe(0);
    expect(figure(american, 'Lexical resource', 'misspelt words')).toBe(figure(british, 'Lexical resource', 'misspelt words'));
    expect(american.criteria.map((c) => c.score)).toEqual(british.criteria.map((c) => c.score));
    expect(american.overallScore).toBe(british.overallScore);
  }, 120_000);

  it('finds learner slips by their pattern, not their look-alikes', () => {
    const found = (text: string) => {
      const s = learnerSlips(text, analyse(text));
      return [...s.agreement, ...s.verbForm, ...s.number].map((x) => x.text.toLowerCase());
    };
    expect(found('My brother he have a car. They goes to school. She can helps me.')).toEqual(['he have', 'they goes', 'can helps']);
    expect(found('I want to studied more. I have a books and many friend.')).toEqual(['to studied', 'a books', 'many friend']);
    expect(found('Let it go. Does he have a car? Yesterday he put it there. Many people came. These kinds of people can help. I can realise it, and he has to analyse it.')).toEqual([]);
  });

  it('is deterministic, and the same directly and through the API', async () => {
    const a = await evaluate(ERRORS_ESSAY);
    const b = await evaluate(ERRORS_ESSAY);
    expect(b).toEqual(a);
    const u = await signUp(api);
    const r = await api.post('/api/xel/evaluate', { kind: 'writing', text: ERRORS_ESSAY, prompt: request('').prompt, level: 'B2' }, { token: u.accessToken });
    expect(r.status).toBe(200);
    expect(r.body.overall_score).toBe(a.overallScore);
    expect(r.body.criteria.map((c: { name: string; score: number }) => [c.name, c.score])).toEqual(a.criteria.map((c) => [c.name, c.score]));
  }, 120_000);

  it('reports, for every band, the measures it was computed from, with weights that point the expected way', async () => {
    const e = await evaluate(GOOD_ESSAY);
    for (const c of WRITING_CRITERIA) {
      const model = CALIBRATION.criteria[c];
      const specs = CRITERION_MEASURES[c].measures;
      expect(model.measures.length, c).toBeGreaterThan(0);
      expect(model.link.predictionSd).toBeGreaterThan(0);
      const shown = e.criteria.find((x) => x.name === c)!.measures.map((m) => m.name);
      for (const f of model.measures) {
        const spec = specs.find((x) => x.key === f.key)!;
        expect(spec, `${c}: ${f.key}`).toBeDefined();
        if (spec.direction !== 0) expect(Math.sign(f.weight), `${c}: ${f.key}`).toBe(spec.direction);
        if (f.key !== 'logWords') expect(shown, `${c}: ${f.key}`).toContain(spec.label);
      }
      expect(e.criteria.find((x) => x.name === c)!.feedback, c).toMatch(/Compared with a typical learner essay/);
    }
    for (const c of WRITING_CRITERIA) expect(CALIBRATION.overall.weights[c].weight).toBeGreaterThanOrEqual(0);
  }, 120_000);

  it('runs the learner rule set: the rules learner errors need, not the long tail of idioms, names and jargon', async () => {
    const { LocalLinter, Dialect } = await import('harper.js');
    const { binary } = await import('harper.js/binary');
    const linter = new LocalLinter({ binary, dialect: Dialect.British });
    const defaults = await linter.getDefaultLintConfig();
    await linter.dispose();
    // Every rule turned off is one of this harper.js's default rules (an upgrade that renames them shows here)...
    expect(LEARNER_RULES_OFF.length).toBeGreaterThan(300);
    for (const r of LEARNER_RULES_OFF) expect(defaults[r], r).toBe(true);
    // ...and none of the rules behind the measures is among them.
    for (const r of ['SpellCheck', 'PronounVerbAgreement', 'SentenceCapitalization', 'CapitalizePersonalPronouns', 'CommaFixes', 'AnA', 'ThereToTheir', 'MassNouns', 'LongSentences', 'Regionalisms']) expect(LEARNER_RULES_OFF, r).not.toContain(r);
    // The shipped checker flags exactly what all of Harper's rules flag in the test essays, and leaves a rule that is off alone.
    const full = new GrammarChecker('british', 120_000, 'full');
    try {
      const shipped = server.app.services.xel.grammar;
      expect(shipped.rules).toBe('learner');
      for (const text of [ERRORS_ESSAY, WEAK_ESSAY, MISSPELT_ESSAY, SLIPS_ESSAY, AMERICAN_ESSAY, GOOD_ESSAY]) expect(await shipped.check(text)).toEqual(await full.check(text));
      const idiom = 'Money is only a mean to an end for most people.';
      expect((await full.check(idiom)).map((i) => i.text)).toContain('a mean to an end');
      expect(LEARNER_RULES_OFF).toContain('AMeansToAnEnd');
      expect((await shipped.check(idiom)).map((i) => i.text)).not.toContain('a mean to an end');
    } finally {
      await full.close();
    }
  }, 120_000);
});

describe('the GraphQL door', () => {
  it('lists, shows, submits, evaluates and draws the dashboard like REST', async () => {
    const u = await signUp(api);
    const list = await gql(server.url, XelModulesDocument, { level: 'A1' }, u.accessToken);
    expect(list.errors).toBeUndefined();
    expect(list.data!.xelModules.edges.map((e) => e.node.slug)).toEqual(COURSE.filter((m) => m.level === 'A1').map((m) => m.slug));
    expect(list.data!.xelModules.totalCount).toBe(COURSE.filter((m) => m.level === 'A1').length);
    const bySkill = await gql(server.url, XelModulesDocument, { skill: 'WRITING' }, u.accessToken);
    expect(bySkill.data!.xelModules.edges.map((e) => e.node.slug)).toEqual(COURSE.filter((m) => m.skill === 'writing').map((m) => m.slug));
    const c = COURSE[0]!;
    const mod = await gql(server.url, XelModuleDocument, { id: c.slug }, u.accessToken);
    expect(mod.data!.xelModule).toMatchObject({ level: c.level, skill: c.skill.toUpperCase(), status: 'NOT_STARTED' });
    const t = c.tasks.find((x) => x.type === 'multiple_choice')!;
    const task = mod.data!.xelModule!.tasks.find((x) => x.key === t.key)!;
    expect(task.type).toBe('MULTIPLE_CHOICE');
    expect(task.options.map((o) => o.value)).toEqual(t.options.map((o) => o.id));
    expect(mod.data!.xelModule!.tasks.filter((x) => x.type === 'FILL_BLANK').every((x) => x.options.length === 0)).toBe(true);
    const sub = await gql(server.url, SubmitXelTaskDocument, { input: { taskId: task.id, response: t.answer } }, u.accessToken);
    expect(sub.errors).toBeUndefined();
    // The payload carries what the submission changed: the task, its module and the dashboard.
    expect(sub.data!.submitXelTask).toMatchObject({ score: 100, passed: true, xpAwarded: 10, evaluation: null });
    expect(sub.data!.submitXelTask.query.xpProfile.xpTotal).toBe(10);
    expect(sub.data!.submitXelTask.task).toMatchObject({ id: task.id, attempts: 1, completed: true, bestScore: 100 });
    expect(sub.data!.submitXelTask.module).toMatchObject({ id: mod.data!.xelModule!.id, status: 'IN_PROGRESS', completedTasks: 1, xpEarned: 10 });
    expect(sub.data!.submitXelTask.dashboard).toMatchObject({ xpTotal: 10, tasksCompleted: 1, currentStreak: 1, recommendedModule: { id: mod.data!.xelModule!.id, status: 'IN_PROGRESS' } });
    const bad = await gql(server.url, SubmitXelTaskDocument, { input: { taskId: task.id, response: 'nope' } }, u.accessToken);
    expect(errorCode(bad)).toBe('validation_error');
    // An unknown module is null, without an error (REST answers 404).
    const missing = await gql(server.url, XelModuleDocument, { id: 'no-such-module' }, u.accessToken);
    expect(missing.errors).toBeUndefined();
    expect(missing.data).toEqual({ xelModule: null });
    const ev = await gql(server.url, EvaluateXelDocument, { input: { kind: 'WRITING', text: GOOD_ESSAY, level: 'B2' } }, u.accessToken);
    expect(ev.errors).toBeUndefined();
    expect(ev.data!.evaluateXel.evaluation.criteria).toHaveLength(4);
    expect(CEFR).toContain(ev.data!.evaluateXel.evaluation.cefrEstimate);
    expect(ev.data!.evaluateXel.dashboard.skillScores.find((x) => x.skill === 'WRITING')!.samples).toBe(1);
    const prefs = await gql(server.url, UpdateXelPreferencesDocument, { input: { dailyGoalXp: 10, timezone: 'Europe/Lisbon' } }, u.accessToken);
    expect(prefs.data!.updateXelPreferences.user).toEqual({ id: u.user.id, timezone: 'Europe/Lisbon' });
    expect(prefs.data!.updateXelPreferences.dashboard).toMatchObject({ dailyGoalXp: 10, todayXp: 10, dailyGoalMet: true, xpTotal: 10, currentStreak: 1, timezone: 'Europe/Lisbon' });
    const rest = await api.get('/api/xel/dashboard', { token: u.accessToken });
    const dash = await gql(server.url, XelDashboardDocument, {}, u.accessToken);
    expect(dash.data!.xelDashboard.xpTotal).toBe(rest.body.xp_total);
    expect(dash.data!.xelDashboard.activityHistory).toHaveLength(365);
    expect(dash.data!.xelDashboard.weeklyActivity).toEqual(rest.body.weekly_activity);
    expect(dash.data!.xelDashboard.skillScores.map((x) => ({ ...x, skill: x.skill.toLowerCase() }))).toEqual(rest.body.skill_scores);
  });

  it('pages the modules both ways and answers modules, tasks and the dashboard as nodes, to their learner', async () => {
    const u = await signUp(api);
    const other = await signUp(api);
    const firstPage = await gql(server.url, XelModulesDocument, { first: 3 }, u.accessToken);
    const { edges, pageInfo } = firstPage.data!.xelModules;
    expect(edges.map((e) => e.node.slug)).toEqual(COURSE.slice(0, 3).map((m) => m.slug));
    expect(pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const next = await gql(server.url, XelModulesDocument, { first: 3, after: pageInfo.endCursor }, u.accessToken);
    expect(next.data!.xelModules.edges.map((e) => e.node.slug)).toEqual(COURSE.slice(3, 6).map((m) => m.slug));
    const back = await gql(server.url, XelModulesDocument, { last: 2, before: next.data!.xelModules.pageInfo.startCursor }, u.accessToken);
    expect(back.data!.xelModules.edges.map((e) => e.node.slug)).toEqual(COURSE.slice(1, 3).map((m) => m.slug));
    expect(errorCode(await gql(server.url, XelModulesDocument, { first: 3, after: 'not a cursor' }, u.accessToken))).toBe('validation_error');

    const mod = (await gql(server.url, XelModuleDocument, { id: COURSE[0]!.slug }, u.accessToken)).data!.xelModule!;
    const t = COURSE[0]!.tasks.find((x) => x.type === 'multiple_choice')!;
    const task = mod.tasks.find((x) => x.key === t.key)!;
    await gql(server.url, SubmitXelTaskDocument, { input: { taskId: task.id, response: t.answer } }, u.accessToken);
    const dashboardId = (await gql(server.url, XelDashboardDocument, {}, u.accessToken)).data!.xelDashboard.id;
    expect(dashboardId).not.toBe(u.user.id);
    expect((await gql(server.url, XelNodeDocument, { id: mod.id }, u.accessToken)).data!.node).toEqual({ __typename: 'XelModule', id: mod.id, slug: mod.slug, completedTasks: 1 });
    expect((await gql(server.url, XelNodeDocument, { id: task.id }, u.accessToken)).data!.node).toEqual({ __typename: 'XelTask', id: task.id, key: task.key, attempts: 1 });
    expect((await gql(server.url, XelNodeDocument, { id: dashboardId }, u.accessToken)).data!.node).toEqual({ __typename: 'XelDashboard', id: dashboardId, xpTotal: 10 });
    // Another learner sees the course with their own progress, and not someone else's dashboard.
    expect((await gql(server.url, XelNodeDocument, { id: task.id }, other.accessToken)).data!.node).toMatchObject({ attempts: 0 });
    const foreign = await gql(server.url, XelNodeDocument, { id: dashboardId }, other.accessToken);
    expect(foreign.errors).toBeUndefined();
    expect(foreign.data!.node).toBeNull();
  });

  it('draws the dashboard in the same number of statements for a busy learner as for a new one', async () => {
    const fresh = await signUp(api);
    const busy = await signUp(api);
    for (const c of COURSE.slice(0, 6)) {
      const mod = await moduleBySlug(busy.accessToken, c.slug);
      for (const t of c.tasks.filter((x) => x.type !== 'writing' && x.type !== 'speaking').slice(0, 4)) {
        await api.post('/api/xel/submissions', { task_id: mod.tasks.find((x) => x.key === t.key)!.id, response: rightAnswer(t, 0) }, { token: busy.accessToken });
      }
    }
    const run = (token: string) => gql(server.url, XelDashboardDocument, {}, token);
    const count = (token: string) =>
      countStatements(server.app.orm, async () => {
        const r = await run(token);
        expect(r.errors).toBeUndefined();
      });
    const a = await count(fresh.accessToken);
    const b = await count(busy.accessToken);
    expect(b).toBe(a);
    // Authentication (1), profile, progress, activity days, recent submissions, recent evaluations.
    expect(b).toBeLessThanOrEqual(7);
  });
});

describe('the seeder', () => {
  it('applies a content update without losing progress, and is idempotent', async () => {
    const u = await signUp(api);
    const c = COURSE[0]!;
    const mod = await moduleBySlug(u.accessToken, c.slug);
    const [t1, t2] = [c.tasks[0]!, c.tasks[1]!];
    const id1 = mod.tasks.find((x) => x.key === t1.key)!.id;
    await api.post('/api/xel/submissions', { task_id: id1, response: rightAnswer(t1, 0) }, { token: u.accessToken });

    const em = server.app.orm.em.fork();
    const log = server.app.server.log as never;
    expect(await seedCourse(em, log)).toMatchObject({ created: 0, updated: 0, retired: 0, unchanged: COURSE.length });

    // Version 2: the first task reworded, the second removed, a new one added.
    const updated: ModuleContent = {
      ...c,
      version: c.version + 1,
      title: `${c.title} (revised)`,
      tasks: [{ ...t1, prompt: `${t1.prompt} (revised)` }, ...c.tasks.slice(2), { ...t2, key: 'new1' }],
    };
    const course = COURSE.map((m) => (m.slug === c.slug ? updated : m));
    expect(await seedCourse(em, log, course)).toMatchObject({ updated: 1, created: 0 });
    const catalog = await loadCatalog(em);
    const m = catalog.module(c.slug)!;
    expect(m.title).toBe(`${c.title} (revised)`);
    expect(m.tasks.map((t) => t.key)).toEqual(updated.tasks.map((t) => t.key));
    expect(m.tasks[0]!.id).toBe(id1);
    expect(m.tasks[0]!.prompt).toContain('(revised)');
    // Back to the shipped course for the other tests; progress on task 1 survived both updates.
    await seedCourse(em, log, COURSE.map((x) => (x.slug === c.slug ? { ...c, version: c.version + 2 } : x)));
    await server.app.services.xel.init(server.app.orm.em, log);
    const after = await moduleBySlug(u.accessToken, c.slug);
    expect(after.tasks.find((x) => x.id === id1)).toMatchObject({ completed: true, best_score: 100 });
    expect(after.tasks.map((x) => x.key)).toEqual(c.tasks.map((x) => x.key));
  });
});

describe('the AI evaluator', () => {
  it('asks the provider for strict JSON at temperature 0, validates it, and falls back to the embedded rubric', async () => {
    const fake = await startFakeOpenAI();
    const s = await startServer({ XEL_EVALUATOR: 'ai', OPENAI_BASE_URL: fake.url, OPENAI_MODELS: 'gpt-test', AI_MAX_RETRIES: '0', XEL_GRAMMAR_PRELOAD: 'false' });
    const client = restClient(s.url);
    try {
      const u = await signUp(client);
      const answer = {
        criteria: [
          { name: 'Task achievement', score: 6.5, feedback: 'Addresses the question with a clear opinion.' },
          { name: 'Coherence and cohesion', score: 7, feedback: 'Well organised.' },
          { name: 'Lexical resource', score: 6, feedback: 'Adequate range.' },
          { name: 'Grammatical range and accuracy', score: 6, feedback: 'Some errors.' },
        ],
        overall_score: 8,
        cefr_estimate: 'C2',
        corrections: [
          { text: 'dificult', message: 'spelling', suggestion: 'difficult' },
          { text: 'not in the text at all', message: 'invented', suggestion: 'x' },
        ],
      };
      const json = JSON.stringify(answer);
      fake.enqueue({ kind: 'answer', tokens: [json.slice(0, 40), json.slice(40)] });
      const ok = await client.post('/api/xel/evaluate', { kind: 'writing', text: ERRORS_ESSAY, level: 'B2' }, { token: u.accessToken });
      expect(ok.status).toBe(200);
      expect(ok.body.evaluator).toBe('ai:openai/gpt-test');
      // The overall band is recomputed from the criteria; a quote that is not in the text is dropped.
      expect(ok.body.overall_score).toBe(6.5);
      expect(ok.body.cefr_estimate).toBe('B2');
      expect(ok.body.corrections).toHaveLength(1);
      expect(ERRORS_ESSAY.slice(ok.body.corrections[0].start, ok.body.corrections[0].end)).toBe('dificult');
      const sent = fake.requests.at(-1)!.body;
      expect(sent.temperature).toBe(0);
      expect(sent.response_format).toMatchObject({ type: 'json_schema', json_schema: { name: 'xel_evaluation', strict: true } });

      fake.enqueue({ kind: 'answer', tokens: ['Band 7, well done!'] });
      const prose = await client.post('/api/xel/evaluate', { kind: 'writing', text: ERRORS_ESSAY, level: 'B2' }, { token: u.accessToken });
      expect(prose.status).toBe(200);
      expect(prose.body.evaluator).toMatch(/^embedded \(fallback: the AI answer did not match the schema/);
      expect(prose.body.criteria).toHaveLength(4);

      fake.enqueue({ kind: 'answer', tokens: [JSON.stringify({ ...answer, criteria: answer.criteria.map((c) => ({ ...c, score: 12 })) })] });
      const outOfRange = await client.post('/api/xel/evaluate', { kind: 'writing', text: ERRORS_ESSAY }, { token: u.accessToken });
      expect(outOfRange.body.evaluator).toMatch(/fallback: the AI answer did not match the schema/);

      fake.enqueue({ kind: 'status', status: 500, body: { error: { message: 'boom' } } });
      const failed = await client.post('/api/xel/evaluate', { kind: 'speaking', text: 'I usually get up at seven because I start work early.' }, { token: u.accessToken });
      expect(failed.status).toBe(200);
      expect(failed.body.evaluator).toMatch(/^embedded \(fallback: the AI provider failed/);
      expect(failed.body.not_assessed).toContain('pronunciation');
    } finally {
      await s.close();
      await fake.close();
    }
  });
});

describe('evaluation rate limit', () => {
  it('limits evaluations per user on both doors, with Retry-After, recording nothing', async () => {
    const s = await startServer({ RATE_LIMITS_ENABLED: 'true', RATE_LIMITS: 'evaluation=2/60,login_ip=1000/60,register_ip=1000/60,register_account=1000/60' });
    const client = restClient(s.url);
    try {
      const u = await signUp(client);
      const other = await signUp(client);
      const body = { kind: 'writing', text: 'A short text about my day at school.' };
      // A text refused before any grading (another script) counts against no limit, on either door.
      for (let i = 0; i < 2; i++) {
        expect((await client.post('/api/xel/evaluate', { kind: 'writing', text: '日本語のテキスト。'.repeat(10) }, { token: u.accessToken })).status).toBe(400);
        expect(errorCode(await gql(s.url, EvaluateXelDocument, { input: { kind: 'WRITING', text: 'Это текст на русском языке.'.repeat(3) } }, u.accessToken))).toBe('validation_error');
      }
      expect((await client.post('/api/xel/evaluate', body, { token: u.accessToken })).status).toBe(200);
      const c = COURSE.find((m) => m.skill === 'writing')!;
      const mod = (await client.get(`/api/xel/modules/${c.slug}`, { token: u.accessToken })).body;
      const writing = mod.tasks.find((t: { type: string }) => t.type === 'writing');
      expect((await client.post('/api/xel/submissions', { task_id: writing.id, response: 'My friend and I went to the park.' }, { token: u.accessToken })).status).toBe(201);
      const limited = await client.post('/api/xel/submissions', { task_id: writing.id, response: 'Another try at the task.' }, { token: u.accessToken });
      expect(limited.status).toBe(429);
      expect(limited.body.detail.error).toBe('rate_limited');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      const g = await gql(s.url, EvaluateXelDocument, { input: { kind: 'WRITING', text: body.text } }, u.accessToken);
      expect(errorCode(g)).toBe('rate_limited');
      // Objective tasks are not evaluations; another learner has their own allowance.
      const mc = COURSE[0]!;
      const mcMod = (await client.get(`/api/xel/modules/${mc.slug}`, { token: u.accessToken })).body;
      const t = mc.tasks.find((x) => x.type === 'multiple_choice')!;
      expect((await client.post('/api/xel/submissions', { task_id: mcMod.tasks.find((x: { key: string }) => x.key === t.key).id, response: t.answer }, { token: u.accessToken })).status).toBe(201);
      expect((await client.post('/api/xel/evaluate', body, { token: other.accessToken })).status).toBe(200);
      const after = (await client.get(`/api/xel/modules/${c.slug}`, { token: u.accessToken })).body;
      expect(after.tasks.find((t2: { id: string }) => t2.id === writing.id).attempts).toBe(1);
    } finally {
      await s.close();
    }
  });
});
