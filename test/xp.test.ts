import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { COURSE } from '../src/modules/xel/content/modules/index.js';
import { TASK_XP } from '../src/modules/xel/rules.js';
import type { LearningSeconds } from '../src/modules/xp/xp.service.js';
import { drawQuests, FREEZE_PRICE_TOKENS, QUEST_TEMPLATES, startOfDay, weekStart } from '../src/modules/xp/xp.rules.js';
import { User } from '../src/modules/users/users.entities.js';
import { ManualClock } from './helpers/clock.js';
import { createSessions } from './helpers/learning-activity.js';
import { signUp } from './helpers/factories.js';
import { BuyStreakFreezeDocument, MakeXpProfilePublicDocument, XelDashboardDocument, PublicXpProfileDocument, XpProfileDocument, XpQuestsDocument, XpStreakStatusDocument, XpWeeklyActivityDocument } from './generated/graphql.js';
import { errorCode, gql } from './helpers/graphql.js';
import { restClient, type RestClient } from './helpers/http.js';
import { startServer, type TestServer } from './helpers/server.js';

/**
 * XP, streaks, freezes, quests and the booster, on the app's clock: a ManualClock the tests
 * move forward (each scenario on dates later than the one before, on users of its own).
 */
const clock = new ManualClock();
let server: TestServer;
let api: RestClient;

/** Every multiple-choice task of the course with its right answer and the XP it is worth. */
const tasks: { id: string; answer: string; xp: number }[] = [];

beforeAll(async () => {
  server = await startServer({}, { clock });
  api = restClient(server.url);
  const u = await signUp(api);
  for (const c of COURSE) {
    const r = await api.get(`/api/xel/modules/${c.slug}`, { token: u.accessToken });
    for (const t of c.tasks) {
      if (t.type !== 'multiple_choice') continue;
      tasks.push({ id: (r.body.tasks as { id: string; key: string }[]).find((x) => x.key === t.key)!.id, answer: t.answer, xp: TASK_XP[c.level] });
    }
  }
}, 60_000);
afterAll(() => server.close());

type Learner = Awaited<ReturnType<typeof signUp>>;
/** The learners of the running test: their access tokens expire by the app's clock. */
const learners: Learner[] = [];
beforeEach(() => {
  learners.length = 0;
});

/**
 * Moves the app's clock forward to `iso` (never back), then signs the running test's learners
 * in again: access tokens (and login sessions) expire by that clock, and the scenarios here are
 * about XP and streaks on the new day, not about tokens that outlived it.
 */
async function goTo(iso: string): Promise<void> {
  const delta = Date.parse(iso) - clock.now();
  if (delta < 0) throw new Error(`the clock is already past ${iso}`);
  clock.advance(delta);
  for (const u of learners) {
    const login = await api.post('/api/auth/login', { username: u.input.username, password: u.input.password }, { form: true });
    expect(login.status).toBe(200);
    u.accessToken = login.body.access_token as string;
    u.refreshToken = login.body.refresh_token as string;
  }
}

async function learner(timezone = 'UTC') {
  const u = await signUp(api);
  const r = await api.patch('/api/auth/me', { timezone }, { token: u.accessToken });
  expect(r.status).toBe(200);
  learners.push(u);
  return u;
}

/** Answers task `i`; `durationSeconds` makes it timed XEL practice (learning time). */
async function submit(token: string, i: number, right = true, durationSeconds?: number) {
  const t = tasks[i]!;
  const body = { task_id: t.id, response: right ? t.answer : t.answer === 'a' ? 'b' : 'a', ...(durationSeconds === undefined ? {} : { duration_seconds: durationSeconds }) };
  const r = await api.post('/api/xel/submissions', body, { token });
  expect(r.status).toBe(201);
  return r.body as { xp_awarded: number; score: number };
}

/** Sets a learner's tokens and freezes directly (what quests would have paid). */
async function setWallet(userId: string, tokens: number, freezes = 0) {
  const conn = server.app.orm.em.fork().getConnection();
  const now = server.config.db.driver === 'sqlite' ? clock.now() : new Date(clock.now());
  await conn.execute(
    'insert into xp_wallets (id, user_id, token_balance, freezes_held, freezes_used, created_at, updated_at) values (?, ?, ?, ?, 0, ?, ?) on conflict (user_id) do update set token_balance = excluded.token_balance, freezes_held = excluded.freezes_held',
    [crypto.randomUUID(), userId, tokens, freezes, now, now],
  );
}

const get = async (path: string, token: string) => {
  const r = await api.get(path, { token });
  expect(r.status).toBe(200);
  return r.body;
};

describe('rules', () => {
  it('finds the first instant of a local day across daylight-saving changes and the date line', () => {
    const cases: [string, string, string][] = [
      ['America/New_York', '2027-03-14', '2027-03-14T05:00:00.000Z'], // the day clocks spring forward: 23 hours
      ['America/New_York', '2027-03-15', '2027-03-15T04:00:00.000Z'],
      ['America/New_York', '2027-11-07', '2027-11-07T04:00:00.000Z'], // fall back: 25 hours
      ['America/New_York', '2027-11-08', '2027-11-08T05:00:00.000Z'],
      ['Pacific/Kiritimati', '2027-03-07', '2027-03-06T10:00:00.000Z'], // UTC+14
      ['Pacific/Pago_Pago', '2027-03-07', '2027-03-07T11:00:00.000Z'], // UTC−11
      ['America/Santiago', '2027-09-05', '2027-09-05T04:00:00.000Z'], // midnight skipped: the day starts at 01:00
    ];
    for (const [tz, day, start] of cases) expect(startOfDay(day, tz).toISOString(), `${tz} ${day}`).toBe(start);
  });

  it('starts weeks on Sunday', () => {
    expect(weekStart('2027-03-07')).toBe('2027-03-07');
    expect(weekStart('2027-03-13')).toBe('2027-03-07');
    expect(weekStart('2027-03-06')).toBe('2027-02-28');
  });

  it('draws three quests per user and day, deterministically, learning time only when measured', () => {
    const a = drawQuests('u1', '2027-01-01', ['earn_xp', 'good_scores']);
    expect(a).toEqual(drawQuests('u1', '2027-01-01', ['earn_xp', 'good_scores']));
    expect(a).toHaveLength(3);
    expect(new Set(a.map((t) => t.key)).size).toBe(3);
    expect(a.every((t) => t.kind !== 'learning_time')).toBe(true);
    const withLearning = drawQuests('u1', '2027-01-01', ['earn_xp', 'good_scores', 'learning_time']);
    expect(withLearning.map((t) => t.kind).sort()).toEqual(['earn_xp', 'good_scores', 'learning_time']);
    // Different users and days get different draws (some of them).
    const draws = new Set(Array.from({ length: 20 }, (_, i) => drawQuests(`u${i}`, '2027-01-01', ['earn_xp', 'good_scores', 'learning_time']).map((t) => t.key).join()));
    expect(draws.size).toBeGreaterThan(1);
    expect(QUEST_TEMPLATES.every((t) => t.rewardTokens > 0)).toBe(true);
  });
});

describe('public profile', () => {
  it('answers 404 until the learner turns it on, then shows nothing private, through both doors', async () => {
    await goTo('2027-01-04T12:00:00Z');
    const u = await learner();
    await submit(u.accessToken, 0);
    expect((await api.get(`/api/xp/public-profile/${u.user.username}`)).status).toBe(404);
    expect((await api.get('/api/xp/public-profile/nobody_at_all')).status).toBe(404);
    expect(errorCode(await gql(server.url, PublicXpProfileDocument, { username: u.user.username }))).toBe('not_found');

    const on = await api.patch('/api/auth/me', { public_profile: true }, { token: u.accessToken });
    expect(on.status).toBe(200);
    expect(on.body.public_profile).toBe(true);
    const r = await api.get(`/api/xp/public-profile/${u.user.username.toUpperCase()}`);
    expect(r.status).toBe(200);
    expect(Object.keys(r.body).sort()).toEqual(['current_streak', 'display_name', 'level', 'longest_streak', 'member_since', 'modules_completed', 'username', 'xp_total']);
    expect(r.body).toMatchObject({ username: u.user.username, display_name: u.input.full_name, level: 1, xp_total: tasks[0]!.xp, current_streak: 1, longest_streak: 1, modules_completed: 0 });
    const text = JSON.stringify(r.body);
    expect(text).not.toContain(u.user.email);
    expect(text).not.toContain(u.user.id);

    const g = await gql(server.url, PublicXpProfileDocument, { username: u.user.username });
    expect(g.data?.publicXpProfile).toMatchObject({ username: u.user.username, xpTotal: tasks[0]!.xp, currentStreak: 1 });

    // Off again through GraphQL's updateMe: 404 again.
    const off = await gql(server.url, MakeXpProfilePublicDocument, { input: { publicProfile: false } }, u.accessToken);
    expect(off.data?.updateMe.user.publicProfile).toBe(false);
    expect((await api.get(`/api/xp/public-profile/${u.user.username}`)).status).toBe(404);
  });
});

describe('quests, tokens and the booster', () => {
  it('draws the same three quests all day, new ones the next day (the learner’s day)', async () => {
    await goTo('2027-01-05T12:00:00Z');
    const u = await learner('Pacific/Kiritimati');
    const a = await get('/api/xp/quests', u.accessToken);
    expect(a).toHaveLength(3);
    // The learning module is wired, so the learning-time quest is among the three.
    expect(a.some((q: { kind: string }) => q.kind === 'learning_time')).toBe(true);
    expect(a.every((q: { completed: boolean; progress: number }) => !q.completed && q.progress === 0)).toBe(true);
    expect(await get('/api/xp/quests', u.accessToken)).toEqual(a);
    const g = await gql(server.url, XpQuestsDocument, {}, u.accessToken);
    expect(g.data?.xpQuests.map((q) => q.id)).toEqual(a.map((q: { id: string }) => q.id));
    expect(a[0].day).toBe('2027-01-06'); // 12:00Z is 02:00 the next day in Kiritimati
    await goTo('2027-01-06T09:59:00Z'); // still 23:59 on the 6th there
    expect((await get('/api/xp/quests', u.accessToken)).map((q: { id: string }) => q.id)).toEqual(a.map((q: { id: string }) => q.id));
    await goTo('2027-01-06T10:00:00Z');
    const b = await get('/api/xp/quests', u.accessToken);
    expect(b[0].day).toBe('2027-01-07');
    expect(b.map((q: { id: string }) => q.id)).not.toEqual(a.map((q: { id: string }) => q.id));
  });

  it('pays every quest once and grants a 2x booster for 15 minutes, whatever races', async () => {
    await goTo('2027-01-08T12:00:00Z');
    const u = await learner();
    const quests = await get('/api/xp/quests', u.accessToken);
    const reward = quests.reduce((t: number, q: { reward_tokens: number }) => t + q.reward_tokens, 0);
    // Enough good scores, XP and learning time for any draw (the goals are at most 4 tasks, 50 XP
    // and 20 minutes), submitted at once: each a timed practice of 20 minutes (the learning module
    // is wired, so a learning-time quest is among the three, and timed XEL practice counts).
    const results = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => submit(u.accessToken, i, true, 1200)));
    const plain = [0, 1, 2, 3, 4, 5].reduce((t, i) => t + tasks[i]!.xp, 0);
    expect(plain).toBeGreaterThanOrEqual(50);
    // The submissions that ran after the quests were done (the booster granted) earned double.
    const earned = results.reduce((t, r) => t + r.xp_awarded, 0);
    expect(earned).toBeGreaterThanOrEqual(plain);
    // Readers racing each other settle nothing twice.
    const reads = await Promise.all(Array.from({ length: 8 }, (_, i) => get(i % 2 ? '/api/xp/quests' : '/api/xp/profile', u.accessToken)));
    expect(reads.filter((_, i) => i % 2).every((qs) => qs.every((q: { completed: boolean }) => q.completed))).toBe(true);
    const profile = await get('/api/xp/profile', u.accessToken);
    expect(profile.token_balance).toBe(reward);
    expect(profile.booster).toEqual({ multiplier: 2, ends_at: '2027-01-08T12:15:00.000Z' });
    expect(profile.today_xp).toEqual({ tasks: plain, quests: earned - plain, total: earned });
    expect(profile.xp_total).toBe(earned);

    // Under the booster: double XP, claimed once by racing submissions of one task.
    const boosted = await Promise.all(Array.from({ length: 6 }, () => submit(u.accessToken, 6)));
    expect(boosted.reduce((t, r) => t + r.xp_awarded, 0)).toBe(2 * tasks[6]!.xp);
    const after = await get('/api/xp/profile', u.accessToken);
    expect(after.today_xp).toEqual({ tasks: plain + tasks[6]!.xp, quests: earned - plain + tasks[6]!.xp, total: earned + 2 * tasks[6]!.xp });
    expect(after.xp_total).toBe(earned + 2 * tasks[6]!.xp);
    expect(after.token_balance).toBe(reward);

    // Fifteen minutes later it is over.
    await goTo('2027-01-08T12:15:00Z');
    expect((await get('/api/xp/profile', u.accessToken)).booster).toBeNull();
    expect((await submit(u.accessToken, 7)).xp_awarded).toBe(tasks[7]!.xp);
    const g = await gql(server.url, XpProfileDocument, {}, u.accessToken);
    expect(g.data?.xpProfile).toMatchObject({ tokenBalance: reward, booster: null, xpTotal: earned + 2 * tasks[6]!.xp + tasks[7]!.xp });
  });
});

describe('streak freezes', () => {
  it('buys atomically: at most two held, tokens spent once, 409 otherwise, through both doors', async () => {
    await goTo('2027-02-01T12:00:00Z');
    const poor = await learner();
    const refused = await api.post('/api/xp/freezes', undefined, { token: poor.accessToken });
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toMatchObject({ error: 'conflict', reason: 'insufficient_tokens' });

    const u = await learner();
    await setWallet(u.user.id, 5 * FREEZE_PRICE_TOKENS);
    const buys = await Promise.all(Array.from({ length: 6 }, () => api.post('/api/xp/freezes', undefined, { token: u.accessToken })));
    expect(buys.filter((r) => r.status === 201)).toHaveLength(2);
    expect(buys.filter((r) => r.status === 409).every((r) => r.body.detail.reason === 'inventory_full')).toBe(true);
    const s = await get('/api/xp/streak-status', u.accessToken);
    expect(s).toMatchObject({ freezes_available: 2, freezes_used: 0, token_balance: 3 * FREEZE_PRICE_TOKENS });

    const v = await learner();
    await setWallet(v.user.id, FREEZE_PRICE_TOKENS);
    const g = await gql(server.url, BuyStreakFreezeDocument, {}, v.accessToken);
    expect(g.data?.buyStreakFreeze.streakStatus).toMatchObject({ freezesAvailable: 1, tokenBalance: 0 });
    expect(g.data?.buyStreakFreeze.profile.tokenBalance).toBe(0);
    expect(errorCode(await gql(server.url, BuyStreakFreezeDocument, {}, v.accessToken))).toBe('conflict');
  });

  it('spends a freeze on a missed day, once however many ask, and keeps the streak (across a DST change)', async () => {
    // New York: Friday the 12th and Saturday the 13th practised; Sunday the 14th (clocks spring forward) missed.
    await goTo('2027-03-12T17:00:00Z');
    const u = await learner('America/New_York');
    await submit(u.accessToken, 0);
    await goTo('2027-03-13T17:00:00Z');
    await submit(u.accessToken, 1);
    await setWallet(u.user.id, FREEZE_PRICE_TOKENS);
    expect((await api.post('/api/xp/freezes', undefined, { token: u.accessToken })).status).toBe(201);
    await goTo('2027-03-14T23:00:00Z'); // 19:00 on Sunday: nothing yet, a freeze held, so not at risk
    expect(await get('/api/xp/streak-status', u.accessToken)).toMatchObject({ current_streak: 2, freezes_available: 1, streak_at_risk: false });
    await goTo('2027-03-15T04:30:00Z'); // 00:30 on Monday (EDT): Sunday was missed
    const reads = await Promise.all(Array.from({ length: 8 }, () => get('/api/xp/streak-status', u.accessToken)));
    for (const r of reads) expect(r).toMatchObject({ current_streak: 2, longest_streak: 2, freezes_available: 0, freezes_used: 1, streak_at_risk: true });
    expect(reads[0].last_activity).toBe('2027-03-13T17:00:00.000Z');
    const week = await get('/api/xp/weekly-activity', u.accessToken);
    expect(week).toMatchObject({ week_start: '2027-03-14', freeze_covered_dates: ['2027-03-14'], total_xp: 0 });
    await submit(u.accessToken, 2);
    expect(await get('/api/xp/streak-status', u.accessToken)).toMatchObject({ current_streak: 3, longest_streak: 3, freezes_used: 1, streak_at_risk: false });
    const g = await gql(server.url, XpStreakStatusDocument, {}, u.accessToken);
    expect(g.data?.xpStreakStatus).toMatchObject({ currentStreak: 3, freezesUsed: 1, freezesAvailable: 0 });
    const pr = await get('/api/xp/profile', u.accessToken);
    expect(pr.current_streak).toBe(3);
  });

  it('spends a freeze once when racing submissions are the first to see the missed day', async () => {
    await goTo('2027-04-01T12:00:00Z');
    const u = await learner();
    await submit(u.accessToken, 0);
    await setWallet(u.user.id, 0, 2);
    await goTo('2027-04-03T12:00:00Z'); // the 2nd missed
    // Read before anything settles the missed day, the dashboard counts the streak a held freeze keeps, as the XP doors do (both doors).
    expect((await get('/api/xel/dashboard', u.accessToken)).current_streak).toBe(1);
    expect((await gql(server.url, XelDashboardDocument, {}, u.accessToken)).data?.xelDashboard.currentStreak).toBe(1);
    const results = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => submit(u.accessToken, i)));
    expect(results).toHaveLength(6);
    expect(await get('/api/xp/streak-status', u.accessToken)).toMatchObject({ current_streak: 2, freezes_available: 1, freezes_used: 1 });
    const week = await get('/api/xp/weekly-activity', u.accessToken);
    expect(week.freeze_covered_dates).toEqual(['2027-04-02']);
  });

  it('two missed days with one freeze: the first is covered, the streak ends on the second', async () => {
    await goTo('2027-05-03T12:00:00Z'); // a Monday
    const u = await learner();
    await submit(u.accessToken, 0);
    await setWallet(u.user.id, 0, 1);
    await goTo('2027-05-06T12:00:00Z'); // the 4th and the 5th missed
    // Read before anything settles the missed days, the dashboard already counts what the held freeze keeps: the streak is over.
    expect((await get('/api/xel/dashboard', u.accessToken)).current_streak).toBe(0);
    expect(await get('/api/xp/streak-status', u.accessToken)).toMatchObject({ current_streak: 0, longest_streak: 1, freezes_available: 0, freezes_used: 1, streak_at_risk: false });
    expect((await get('/api/xp/weekly-activity', u.accessToken)).freeze_covered_dates).toEqual(['2027-05-04']);
    await submit(u.accessToken, 1);
    expect((await get('/api/xp/streak-status', u.accessToken)).current_streak).toBe(1);
  });
});

describe('weekly activity', () => {
  it('runs Sunday to Saturday in each learner’s time zone, across the date line', async () => {
    // 10:30Z on Saturday 5 June: 00:30 on Sunday the 6th in Kiritimati (UTC+14), 23:30 on Friday the 4th in Pago Pago (UTC−11).
    await goTo('2027-06-05T10:30:00Z');
    const k = await learner('Pacific/Kiritimati');
    const p = await learner('Pacific/Pago_Pago');
    await submit(k.accessToken, 0);
    await submit(p.accessToken, 0);
    const kw = await get('/api/xp/weekly-activity', k.accessToken);
    const pw = await get('/api/xp/weekly-activity', p.accessToken);
    expect(kw.week_start).toBe('2027-06-06');
    expect(kw.days.map((d: { date: string }) => d.date)).toEqual(['2027-06-06', '2027-06-07', '2027-06-08', '2027-06-09', '2027-06-10', '2027-06-11', '2027-06-12']);
    expect(kw.days[0].xp).toBe(tasks[0]!.xp);
    expect(pw.week_start).toBe('2027-05-30');
    expect(pw.days[5]).toEqual({ date: '2027-06-04', xp: tasks[0]!.xp });
    expect(pw.total_xp).toBe(tasks[0]!.xp);
    const g = await gql(server.url, XpWeeklyActivityDocument, {}, p.accessToken);
    expect(g.data?.xpWeeklyActivity).toMatchObject({ weekStart: '2027-05-30', totalXp: tasks[0]!.xp, freezeCoveredDates: [] });
  });

  it('puts an hour after a DST change on the right day', async () => {
    // New York falls back on Sunday 7 November 2027.
    await goTo('2027-11-08T04:30:00Z'); // 23:30 on Sunday the 7th (EST); on EDT it would be Monday
    const u = await learner('America/New_York');
    await submit(u.accessToken, 0);
    const w = await get('/api/xp/weekly-activity', u.accessToken);
    expect(w.week_start).toBe('2027-11-07');
    expect(w.days[0]).toEqual({ date: '2027-11-07', xp: tasks[0]!.xp });
    await goTo('2027-11-08T05:30:00Z'); // 00:30 on Monday
    await submit(u.accessToken, 1);
    const w2 = await get('/api/xp/weekly-activity', u.accessToken);
    expect(w2.days[1]).toEqual({ date: '2027-11-08', xp: tasks[1]!.xp });
    expect((await get('/api/xp/streak-status', u.accessToken)).current_streak).toBe(2);
  });
});

describe('the learning-time quest', () => {
  it('counts learning seconds of the learner’s own day when a learning-time service is wired', async () => {
    await goTo('2028-03-12T12:00:00Z'); // New York springs forward that night: its day is 23 hours long
    const u = await learner('America/New_York');
    const calls: { start: string; end: string }[] = [];
    const fake: LearningSeconds = {
      secondsBetween: async (_em, userId, start, end) => {
        if (userId === u.user.id) calls.push({ start: start.toISOString(), end: end.toISOString() });
        return userId === u.user.id ? 1200 : 0;
      },
      secondsByDay: async () => [],
    };
    const xp = server.app.services.xp as unknown as { learning: LearningSeconds | null };
    const wired = xp.learning;
    expect(wired).not.toBeNull(); // the app wires the learning module's service
    xp.learning = fake;
    try {
      const quests = await get('/api/xp/quests', u.accessToken);
      const learning = quests.find((q: { kind: string }) => q.kind === 'learning_time');
      expect(learning).toMatchObject({ completed: true, progress: learning.goal });
      expect(calls.at(-1)).toEqual({ start: '2028-03-12T05:00:00.000Z', end: '2028-03-12T12:00:00.000Z' });
      expect((await get('/api/xp/profile', u.accessToken)).token_balance).toBe(learning.reward_tokens);
    } finally {
      xp.learning = wired;
    }
  });
});

describe('a time zone change to the west', () => {
  it('keeps the streak alive while the day it reached is still ahead, and counts it on', async () => {
    // 11:00Z on 1 August: 01:00 on the 2nd in Kiritimati (UTC+14), 00:00 on the 1st in Pago Pago (UTC-11).
    await goTo('2029-08-01T11:00:00Z');
    const u = await learner('Pacific/Kiritimati');
    await submit(u.accessToken, 0);
    expect((await api.patch('/api/xel/preferences', { timezone: 'Pacific/Pago_Pago' }, { token: u.accessToken })).status).toBe(200);
    // The streak reached the 2nd; it is the 1st here: alive, and not at risk (today's practice is not what keeps it).
    expect(await get('/api/xp/streak-status', u.accessToken)).toMatchObject({ current_streak: 1, longest_streak: 1, streak_at_risk: false });
    expect((await get('/api/xel/dashboard', u.accessToken)).current_streak).toBe(1);
    expect((await get('/api/xp/profile', u.accessToken)).current_streak).toBe(1);
    await submit(u.accessToken, 1); // on the 1st: an earlier day does not rewrite the streak
    expect((await get('/api/xp/streak-status', u.accessToken)).current_streak).toBe(1);
    // 11:00Z on the 3rd: the 3rd in Pago Pago, the day after the streak's last: practice extends it.
    await goTo('2029-08-03T11:00:00Z');
    expect(await get('/api/xp/streak-status', u.accessToken)).toMatchObject({ current_streak: 1, streak_at_risk: true });
    await submit(u.accessToken, 2);
    expect(await get('/api/xp/streak-status', u.accessToken)).toMatchObject({ current_streak: 2, longest_streak: 2, streak_at_risk: false });
  });
});

describe('quests settled after their day', () => {
  /** A learning-time quest's reward for a learner's day (the draw is deterministic). */
  const learningReward = (userId: string, day: string) => drawQuests(userId, day, ['earn_xp', 'good_scores', 'learning_time']).find((t) => t.kind === 'learning_time')!.rewardTokens;

  /** An ended conversation learning session of the learner over `[start, end]`. */
  async function learnedDuring(userId: string, start: string, end: string) {
    const em = server.app.orm.em.fork();
    createSessions(em, em.getReference(User, userId), { conversation: [[start, end]] });
    await em.flush();
  }

  it('pays a learning-time quest reached after the last read, once, when read after the day ended', async () => {
    await goTo('2030-01-10T08:00:00Z');
    const u = await learner('Europe/Berlin');
    const early = await get('/api/xp/quests', u.accessToken);
    const quest = early.find((q: { kind: string }) => q.kind === 'learning_time');
    expect(quest).toMatchObject({ day: '2030-01-10', progress: 0, completed: false });
    // 21 minutes late in the learner's evening (23:30–23:51 in Berlin); nobody reads the quests before midnight.
    await learnedDuring(u.user.id, '2030-01-10T22:30:00Z', '2030-01-10T22:51:00Z');
    await goTo('2030-01-11T09:00:00Z');
    expect((await get('/api/xp/profile', u.accessToken)).token_balance).toBe(quest.reward_tokens);
    // Read again, through both doors: paid once.
    expect((await get('/api/xp/quests', u.accessToken))[0].day).toBe('2030-01-11');
    expect((await gql(server.url, XpProfileDocument, {}, u.accessToken)).data?.xpProfile.tokenBalance).toBe(quest.reward_tokens);
    expect((await get('/api/xp/profile', u.accessToken)).token_balance).toBe(quest.reward_tokens);
  });

  it('pays it when the learner never read that day’s quests, on the day the learning happened', async () => {
    await goTo('2030-01-12T08:00:00Z');
    const u = await learner('America/Los_Angeles');
    // 20 minutes on the 12th in Los Angeles (23:30–23:50 local, 07:30–07:50Z on the 13th); the quests were never drawn.
    await learnedDuring(u.user.id, '2030-01-13T07:30:00Z', '2030-01-13T07:50:00Z');
    await goTo('2030-01-14T20:00:00Z'); // the 14th there: a day without reading in between
    const quests = await get('/api/xp/quests', u.accessToken);
    expect(quests[0].day).toBe('2030-01-14');
    expect((await get('/api/xp/profile', u.accessToken)).token_balance).toBe(learningReward(u.user.id, '2030-01-12'));
  });
});

describe('a time zone change does not reopen a day', () => {
  it('pays a local date’s quests once: switching west keeps the day already reached until the new zone reaches it', async () => {
    // 11:00Z on 1 February: 01:00 on the 2nd in Kiritimati (UTC+14), 00:00 on the 1st in Pago Pago (UTC-11).
    await goTo('2030-02-01T11:00:00Z');
    const u = await learner('Pacific/Kiritimati');
    for (const i of [0, 1, 2, 3, 4, 5]) await submit(u.accessToken, i, true, 1200);
    const done = await get('/api/xp/quests', u.accessToken);
    expect(done.every((q: { day: string; completed: boolean }) => q.day === '2030-02-02' && q.completed)).toBe(true);
    const paid = done.reduce((t: number, q: { reward_tokens: number }) => t + q.reward_tokens, 0);
    expect((await get('/api/xp/profile', u.accessToken)).token_balance).toBe(paid);

    expect((await api.patch('/api/xel/preferences', { timezone: 'Pacific/Pago_Pago' }, { token: u.accessToken })).status).toBe(200);
    // The 1st in Pago Pago: the learner's day stays the 2nd, its quests done; practice now earns XP but no second day of quests.
    expect((await get('/api/xp/quests', u.accessToken)).map((q: { id: string }) => q.id)).toEqual(done.map((q: { id: string }) => q.id));
    for (const i of [6, 7, 8, 9, 10, 11]) await submit(u.accessToken, i, true, 1200);
    expect((await get('/api/xp/profile', u.accessToken)).token_balance).toBe(paid);
    expect((await get('/api/xp/quests', u.accessToken))[0].day).toBe('2030-02-02');

    // The 2nd in Pago Pago: the same day, the same quests; the 3rd: new ones.
    await goTo('2030-02-02T12:00:00Z');
    expect((await get('/api/xp/quests', u.accessToken)).map((q: { id: string }) => q.id)).toEqual(done.map((q: { id: string }) => q.id));
    await goTo('2030-02-03T11:00:00Z');
    expect((await get('/api/xp/quests', u.accessToken))[0].day).toBe('2030-02-03');
    expect((await get('/api/xp/profile', u.accessToken)).token_balance).toBe(paid);
  });
});

describe('a streak already broken', () => {
  it('stays broken: a freeze bought after the missed day does not cover it, through any door', async () => {
    await goTo('2030-03-04T12:00:00Z');
    const u = await learner();
    await submit(u.accessToken, 0);
    await goTo('2030-03-06T12:00:00Z'); // the 5th missed, no freeze held
    expect(await get('/api/xp/streak-status', u.accessToken)).toMatchObject({ current_streak: 0, longest_streak: 1, freezes_available: 0 });
    await setWallet(u.user.id, FREEZE_PRICE_TOKENS);
    expect((await api.post('/api/xp/freezes', undefined, { token: u.accessToken })).status).toBe(201);
    expect(await get('/api/xp/streak-status', u.accessToken)).toMatchObject({ current_streak: 0, freezes_available: 1, freezes_used: 0 });
    expect((await get('/api/xel/dashboard', u.accessToken)).current_streak).toBe(0);
    expect((await get('/api/xp/profile', u.accessToken)).current_streak).toBe(0);
    expect((await get('/api/xp/weekly-activity', u.accessToken)).freeze_covered_dates).toEqual([]);
    await submit(u.accessToken, 1);
    expect(await get('/api/xp/streak-status', u.accessToken)).toMatchObject({ current_streak: 1, freezes_available: 1, freezes_used: 0 });
  });

  it('stays broken after a freeze covered what it could: one bought later does not cover the second missed day', async () => {
    await goTo('2030-03-09T12:00:00Z');
    const u = await learner();
    await submit(u.accessToken, 0);
    await setWallet(u.user.id, FREEZE_PRICE_TOKENS, 1);
    await goTo('2030-03-12T12:00:00Z'); // the 10th and the 11th missed, one freeze held
    expect(await get('/api/xp/streak-status', u.accessToken)).toMatchObject({ current_streak: 0, freezes_available: 0, freezes_used: 1 });
    expect((await api.post('/api/xp/freezes', undefined, { token: u.accessToken })).status).toBe(201);
    expect(await get('/api/xp/streak-status', u.accessToken)).toMatchObject({ current_streak: 0, freezes_available: 1, freezes_used: 1 });
    expect((await get('/api/xp/weekly-activity', u.accessToken)).freeze_covered_dates).toEqual(['2030-03-10']);
  });
});
