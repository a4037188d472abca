import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dayWindows, zonedDay } from '../src/modules/learning/dates.js';
import { User } from '../src/modules/users/users.entities.js';
import { XelActivityDay, XelSubmission, XelTask } from '../src/modules/xel/xel.entities.js';
import { ManualClock } from './helpers/clock.js';
import { createSessions } from './helpers/learning-activity.js';
import { signUp } from './helpers/factories.js';
import { restClient, type RestClient } from './helpers/http.js';
import { startServer, type TestServer } from './helpers/server.js';

/**
 * Learning-time analytics (issue 21, item 3): conversation learning sessions, live sessions
 * and timed XEL practice, split at day boundaries by the documented date rules, and the
 * 365-day learning pulse in the learner's time zone.
 */
const clock = new ManualClock();
let server: TestServer;
let api: RestClient;

beforeAll(async () => {
  server = await startServer({}, { clock });
  api = restClient(server.url);
});
afterAll(() => server.close());

const at = (iso: string) => new Date(iso);

/** Rows of each source for a user, written directly (the clock of the past). */
async function seed(userId: string, rows: { conversation?: [string, string][]; live?: [string, string][]; xel?: [string, number][]; xp?: [string, number][] }) {
  const em = server.app.orm.em.fork();
  const user = em.getReference(User, userId);
  createSessions(em, user, rows);
  if (rows.xel?.length) {
    const task = (await em.find(XelTask, { id: { $ne: null } }, { populate: ['module'], orderBy: { id: 'asc' }, limit: 1 }))[0]!;
    for (const [createdAt, duration] of rows.xel) {
      em.create(XelSubmission, {
        user,
        task,
        module: task.module,
        skill: 'reading',
        response: 'x',
        durationSeconds: duration,
        score: 100,
        maxScore: 100,
        passed: true,
        feedback: 'ok',
        xpAwarded: 10,
        day: createdAt.slice(0, 10),
        createdAt: at(createdAt),
      });
    }
  }
  for (const [day, xp] of rows.xp ?? []) em.create(XelActivityDay, { user, day, xp, tasks: 1 });
  await em.flush();
}

describe('learning time', () => {
  it('splits every source at UTC day boundaries: start day from 00:00Z, end day up to 00:00Z of the next', async () => {
    const u = await signUp(api);
    await seed(u.user.id, {
      // 30 minutes before the range (not counted), 30 minutes inside it.
      conversation: [['2026-02-28T23:30:00Z', '2026-03-01T00:30:00Z']],
      // One minute on the last day, one minute after the range (not counted).
      live: [['2026-03-02T23:59:00Z', '2026-03-03T00:01:00Z']],
      // 90 seconds of practice before a submission on the last day; one after the range.
      xel: [
        ['2026-03-02T12:00:00Z', 90],
        ['2026-03-03T00:02:30Z', 20],
      ],
    });
    const t = { token: u.accessToken };
    const r = await api.get('/api/xp/learning-time?start_date=2026-03-01&end_date=2026-03-02', t);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      total_seconds: 1800 + 60 + 90,
      by_source: { conversation_sessions: 1800, live: 60, xel: 90 },
      by_day: [
        { date: '2026-03-01', seconds: 1800 },
        { date: '2026-03-02', seconds: 150 },
      ],
    });
    // One day: the same day as start and end.
    expect((await api.get('/api/xp/learning-time?start_date=2026-03-03&end_date=2026-03-03', t)).body).toMatchObject({ total_seconds: 60 + 20, by_source: { conversation_sessions: 0, live: 60, xel: 20 } });
    // The service's interface for other modules: [start, end) exactly.
    const svc = server.app.services.learningTime;
    const em = server.app.orm.em.fork();
    expect(await svc.secondsBetween(em, u.user.id, at('2026-03-01T00:00:00Z'), at('2026-03-01T00:10:00Z'))).toBe(600);
    expect(await svc.secondsBetween(em, u.user.id, at('2026-02-01T00:00:00Z'), at('2026-04-01T00:00:00Z'))).toBe(3600 + 120 + 110);
    expect(await svc.secondsBetween(em, u.user.id, at('2026-03-05T00:00:00Z'), at('2026-03-06T00:00:00Z'))).toBe(0);
    const byDay = await svc.secondsByDay(em, [u.user.id], at('2026-02-28T00:00:00Z'), at('2026-03-04T00:00:00Z'));
    expect(byDay.map((d) => [d.date, d.seconds])).toEqual([
      ['2026-02-28', 1800],
      ['2026-03-01', 1800],
      ['2026-03-02', 150],
      ['2026-03-03', 80],
    ]);
    // In a time zone, days are its own: 2026-03-01T00:30Z is still 2026-02-28 in New York.
    const ny = await svc.secondsByDay(em, [u.user.id], at('2026-02-28T00:00:00Z'), at('2026-03-04T00:00:00Z'), 'America/New_York');
    expect(ny.find((d) => d.date === '2026-02-28')?.bySource.conversation_sessions).toBe(3600);
  });

  it('UTC rules whatever the learner\'s time zone: a day across a DST change is still 24 hours', async () => {
    const u = await signUp(api);
    expect((await api.patch('/api/auth/me', { timezone: 'Europe/Paris' }, { token: u.accessToken })).status).toBe(200);
    // Europe moves its clocks on 2026-03-29: the UTC day is still 86,400 seconds.
    await seed(u.user.id, { conversation: [['2026-03-29T00:00:00Z', '2026-03-30T00:00:00Z']] });
    const r = await api.get('/api/xp/learning-time?start_date=2026-03-29&end_date=2026-03-29', { token: u.accessToken });
    expect(r.body.by_day).toEqual([{ date: '2026-03-29', seconds: 86_400 }]);
    // By the learner's own days, 2026-03-29 is 23 hours long (23:00Z to 22:00Z): the session covers 22 of them, the rest is on the 30th.
    expect(dayWindows(at('2026-03-29T00:00:00Z'), at('2026-03-31T00:00:00Z'), 'Europe/Paris').map((w) => [w.date, (w.hi - w.lo) / 3_600_000])).toEqual([
      ['2026-03-29', 22],
      ['2026-03-30', 24],
      ['2026-03-31', 2],
    ]);
    expect(dayWindows(at('2026-03-28T23:00:00Z'), at('2026-03-29T22:00:00Z'), 'Europe/Paris').map((w) => [w.date, (w.hi - w.lo) / 3_600_000])).toEqual([['2026-03-29', 23]]);
    const paris = await server.app.services.learningTime.secondsByDay(server.app.orm.em.fork(), [u.user.id], at('2026-03-28T23:00:00Z'), at('2026-03-31T00:00:00Z'), 'Europe/Paris');
    expect(paris.map((d) => [d.date, d.seconds])).toEqual([
      ['2026-03-29', 22 * 3600],
      ['2026-03-30', 2 * 3600],
    ]);
  });

  it('starts a day where the clocks jump when midnight is skipped (Santiago, Havana): no hour of the day before lands on it', async () => {
    // Santiago springs forward at 00:00 on 2026-09-06 (-04 to -03): the 6th starts at 01:00, 04:00Z; 23:00 to 24:00 on the 5th is 03:00Z to 04:00Z.
    expect(dayWindows(at('2026-09-05T04:00:00Z'), at('2026-09-07T03:00:00Z'), 'America/Santiago').map((w) => [w.date, new Date(w.lo).toISOString(), (w.hi - w.lo) / 3_600_000])).toEqual([
      ['2026-09-05', '2026-09-05T04:00:00.000Z', 24],
      ['2026-09-06', '2026-09-06T04:00:00.000Z', 23],
    ]);
    // Havana springs forward at 00:00 on 2026-03-08 (-05 to -04).
    expect(dayWindows(at('2026-03-07T05:00:00Z'), at('2026-03-09T04:00:00Z'), 'America/Havana').map((w) => [w.date, (w.hi - w.lo) / 3_600_000])).toEqual([
      ['2026-03-07', 24],
      ['2026-03-08', 23],
    ]);
    // A learner in Santiago practising from 23:30 to 23:40 on the 5th: those 10 minutes are the 5th's.
    const u = await signUp(api);
    await seed(u.user.id, { conversation: [['2026-09-06T03:30:00Z', '2026-09-06T03:40:00Z']] });
    const days = await server.app.services.learningTime.secondsByDay(server.app.orm.em.fork(), [u.user.id], at('2026-09-01T04:00:00Z'), at('2026-09-10T03:00:00Z'), 'America/Santiago');
    expect(days.map((d) => [d.date, d.seconds])).toEqual([['2026-09-05', 600]]);
  });

  it('counts practice time once: timed submissions that overlap (a double submit, parallel requests, a retry) add only what they do not share', async () => {
    const u = await signUp(api);
    const t = { token: u.accessToken };
    const modules = await api.get('/api/xel/modules', t);
    const mod = await api.get(`/api/xel/modules/${modules.body[0].id}`, t);
    const task = mod.body.tasks[0];
    const submit = (seconds: number) => api.post('/api/xel/submissions', { task_id: task.id, response: task.options?.[0]?.id ?? 'an answer', duration_seconds: seconds }, t);
    const xelSeconds = async () => {
      const day = new Date(clock.now()).toISOString().slice(0, 10);
      return (await api.get(`/api/xp/learning-time?start_date=${day}&end_date=${day}`, t)).body.by_source.xel as number;
    };
    // Five of 60 s at the same moment: 60 s of practice.
    const five = await Promise.all(Array.from({ length: 5 }, () => submit(60)));
    expect(five.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    expect(await xelSeconds()).toBe(60);
    // 30 s later, another 60 s claimed: the 30 s not already counted.
    clock.advance(30_000);
    expect((await submit(60)).status).toBe(201);
    expect(await xelSeconds()).toBe(90);
    // After a pause longer than the practice, all of it.
    clock.advance(120_000);
    expect((await submit(45)).status).toBe(201);
    expect(await xelSeconds()).toBe(135);
  });

  it('counts a learner\'s time once across sources: what two intervals share goes to the one that started first', async () => {
    const u = await signUp(api);
    await seed(u.user.id, {
      // Three conversation sessions open at once (three tabs): 10 minutes, not 25.
      // A live session inside the first and past it, then practice inside that live session.
      conversation: [
        ['2026-05-10T10:00:00Z', '2026-05-10T10:10:00Z'],
        ['2026-05-10T10:00:00Z', '2026-05-10T10:05:00Z'],
        ['2026-05-10T10:02:00Z', '2026-05-10T10:08:00Z'],
      ],
      live: [['2026-05-10T10:05:00Z', '2026-05-10T10:20:00Z']],
      xel: [['2026-05-10T10:15:00Z', 120]],
    });
    const r = await api.get('/api/xp/learning-time?start_date=2026-05-10&end_date=2026-05-10', { token: u.accessToken });
    expect(r.status).toBe(200);
    // 10:00 to 10:20 is 20 minutes: the first conversation session's 10, then the live session's 10.
    expect(r.body).toEqual({ total_seconds: 1200, by_source: { conversation_sessions: 600, live: 600, xel: 0 }, by_day: [{ date: '2026-05-10', seconds: 1200 }] });
    const svc = server.app.services.learningTime;
    expect(await svc.secondsBetween(server.app.orm.em.fork(), u.user.id, at('2026-05-10T10:04:00Z'), at('2026-05-10T10:06:00Z'))).toBe(120);
  });

  it('validates the dates', async () => {
    const u = await signUp(api);
    const t = { token: u.accessToken };
    const bad = await api.get('/api/xp/learning-time?start_date=2026-02-30&end_date=2026-03-02', t);
    expect(bad.status).toBe(400);
    expect(bad.body.detail.fields[0].loc).toEqual(['query', 'start_date']);
    expect((await api.get('/api/xp/learning-time?start_date=03/01/2026', t)).status).toBe(400);
    const reversed = await api.get('/api/xp/learning-time?start_date=2026-03-02&end_date=2026-03-01', t);
    expect(reversed.status).toBe(400);
    expect(reversed.body.detail.fields).toEqual([{ loc: ['query', 'end_date'], message: 'must be on or after the start date' }]);
    expect((await api.get('/api/xp/learning-time?start_date=2025-01-01&end_date=2026-03-01', t)).status).toBe(400);
    // A day before the epoch is refused (year 0000 once defaulted its start into year -1, whose days never advanced: the process ran out of memory).
    for (const q of ['end_date=0000-01-03', 'start_date=1969-12-31&end_date=1970-01-02']) {
      const early = await api.get(`/api/xp/learning-time?${q}`, t);
      expect(early.status, q).toBe(400);
      expect(early.body.detail.fields[0].message).toBe('must be 1970-01-01 or later');
    }
    expect((await api.get('/api/xp/learning-time?start_date=1970-01-01&end_date=1970-01-02', t)).body.by_day).toHaveLength(2);
    // Days of expanded years still follow one another.
    expect(dayWindows(at('-000001-12-30T00:00:00Z'), at('0000-01-02T00:00:00Z')).map((w) => w.date)).toEqual(['-000001-12-30', '-000001-12-31', '0000-01-01']);
    expect(dayWindows(at('9999-12-31T00:00:00Z'), at('+010000-01-02T00:00:00Z')).map((w) => w.date)).toEqual(['9999-12-31', '+010000-01-01']);
    // Without dates: the last 7 UTC days, today included.
    const def = await api.get('/api/xp/learning-time', t);
    expect(def.body.by_day).toHaveLength(7);
    expect(def.body.by_day.at(-1).date).toBe(new Date(clock.now()).toISOString().slice(0, 10));
  });

  it('the learning pulse: 365 days oldest first, ending today in the learner\'s time zone (across the date line)', async () => {
    const u = await signUp(api);
    const t = { token: u.accessToken };
    const tz = 'Pacific/Kiritimati'; // UTC+14
    expect((await api.patch('/api/auth/me', { timezone: tz }, t)).status).toBe(200);
    const today = zonedDay(clock.now(), tz);
    const now = new Date(clock.now());
    // 45 minutes ending now (on today's local date), and XP today and 10 days ago.
    await seed(u.user.id, { conversation: [[new Date(now.getTime() - 45 * 60_000).toISOString(), now.toISOString()]], xp: [[today, 12]] });
    const tenAgo = new Date(Date.parse(`${today}T00:00:00Z`) - 10 * 86_400_000).toISOString().slice(0, 10);
    await seed(u.user.id, { xp: [[tenAgo, 5]] });
    // 30 seconds of learning 20 days ago (local noon): activity under a minute still shows.
    const twentyAgo = new Date(Date.parse(`${today}T00:00:00Z`) - 20 * 86_400_000).toISOString().slice(0, 10);
    const noon = Date.parse(`${twentyAgo}T12:00:00+14:00`);
    await seed(u.user.id, { conversation: [[new Date(noon).toISOString(), new Date(noon + 30_000).toISOString()]] });
    const r = await api.get('/api/xp/learning-pulse', t);
    expect(r.status).toBe(200);
    expect(r.body).toHaveLength(365);
    const last = r.body.at(-1);
    expect(last.date).toBe(today);
    // 45 minutes may straddle local midnight; the day's seconds are those on today's date.
    expect(last.xp).toBe(12);
    expect(last.active_seconds).toBeGreaterThan(0);
    expect(last.intensity).toBeGreaterThanOrEqual(2);
    const ten = r.body.find((d: { date: string }) => d.date === tenAgo);
    expect(ten).toEqual({ date: tenAgo, xp: 5, active_seconds: 0, intensity: 1 });
    expect(r.body[0].date < r.body[1].date).toBe(true);
    expect(r.body.find((d: { date: string }) => d.date === twentyAgo)).toEqual({ date: twentyAgo, xp: 0, active_seconds: 30, intensity: 1 });
    // 0 exactly on the days without any activity (the 45 minutes may leave yesterday a few seconds).
    for (const d of r.body as { date: string; xp: number; active_seconds: number; intensity: number }[]) {
      expect(d.intensity === 0, d.date).toBe(!d.xp && !d.active_seconds);
    }
  });

  it('GraphQL: learningTime and learningPulse', async () => {
    const u = await signUp(api);
    await seed(u.user.id, { live: [['2026-05-10T10:00:00Z', '2026-05-10T10:05:00Z']] });
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${u.accessToken}` },
      body: JSON.stringify({
        query: 'query { learningTime(startDate: "2026-05-10", endDate: "2026-05-11") { startDate endDate totalSeconds bySource { conversationSessions live xel } byDay { date seconds } } learningPulse { date intensity } }',
      }),
    });
    const body = (await res.json()) as { data: any };
    expect(body.data.learningTime).toEqual({
      startDate: '2026-05-10',
      endDate: '2026-05-11',
      totalSeconds: 300,
      bySource: { conversationSessions: 0, live: 300, xel: 0 },
      byDay: [
        { date: '2026-05-10', seconds: 300 },
        { date: '2026-05-11', seconds: 0 },
      ],
    });
    expect(body.data.learningPulse).toHaveLength(365);
  });
});
