import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from './helpers/factories.js';
import { restClient, type RestClient } from './helpers/http.js';
import { makeCast, makeKey, makeOrg } from './helpers/orgs.js';
import { startServer, type TestServer } from './helpers/server.js';
import { LiveSession } from '../src/modules/live/index.js';
import { withinTranscriptLimits } from '../src/modules/live/live.service.js';
import { ManualClock } from './helpers/clock.js';

let server: TestServer;
let api: RestClient;
/** The server meters by its clock: tests move it instead of sleeping through the seconds. */
const clock = new ManualClock();

beforeAll(async () => {
  server = await startServer({}, { clock });
  api = restClient(server.url);
});
afterAll(() => server.close());

const usageRows = async (s: TestServer, userId: string) =>
  Number(((await s.app.orm.em.fork().getConnection().execute('select coalesce(sum(used_seconds), 0) as n from live_usage where user_id = ?', [userId]))[0] as { n: number }).n);

describe('live sessions', () => {
  it('start, heartbeat and end, one active session at a time, metered by the server', async () => {
    const u = await signUp(api);
    const t = { token: u.accessToken };
    const quota = await api.get('/api/live/quota', t);
    expect(quota.body).toMatchObject({ plan: 'free', limit_seconds: 1800, used_seconds: 0, remaining_seconds: 1800, active_session_id: null });
    expect(quota.body.period_start).toMatch(/^\d{4}-\d\d-01T00:00:00.000Z$/);

    const start = await api.post('/api/live/session/start', { session_type: 'voice', language: 'en' }, t);
    expect(start.status).toBe(201);
    expect(start.body).toMatchObject({ session_type: 'voice', status: 'active', used_seconds: 0, remaining_seconds: 1800, heartbeat_interval_seconds: 15, end_reason: null, ended_at: null, realtime_url: '/api/live/ws' });
    const id = start.body.session_id;
    const again = await api.post('/api/live/session/start', { session_type: 'avatar' }, t);
    expect(again.status).toBe(409);
    expect(again.body.detail).toMatchObject({ error: 'conflict', active_session_id: id });
    expect((await api.get('/api/live/quota', t)).body.active_session_id).toBe(id);

    clock.advance(1100);
    const beat = await api.post('/api/live/session/heartbeat', { session_id: id }, t);
    expect(beat.status).toBe(200);
    expect(beat.body.used_seconds).toBe(1);
    expect(beat.body.remaining_seconds).toBe(1799);
    expect(beat.body.warning).toBeNull();

    const end = await api.post('/api/live/session/end', { session_id: id }, t);
    expect(end.body).toMatchObject({ status: 'ended', end_reason: 'client', used_seconds: 1 });
    const twice = await api.post('/api/live/session/end', { session_id: id, reason: 'idle' }, t);
    expect(twice.body).toMatchObject({ status: 'ended', end_reason: 'client', used_seconds: 1 });
    expect((await api.post('/api/live/session/heartbeat', { session_id: id }, t)).status).toBe(409);
    expect((await api.get('/api/live/quota', t)).body).toMatchObject({ used_seconds: 1, remaining_seconds: 1799, active_session_id: null });
    expect(await usageRows(server, u.user.id)).toBe(1);
  });

  it('validates input and hides other people\'s sessions', async () => {
    const u = await signUp(api);
    const other = await signUp(api);
    const bad = await api.post('/api/live/session/start', { session_type: 'hologram' }, { token: u.accessToken });
    expect(bad.status).toBe(400);
    expect(bad.body.detail.fields[0]).toEqual({ loc: ['body', 'session_type'], message: 'must be voice or avatar' });
    const s = await api.post('/api/live/session/start', { session_type: 'avatar' }, { token: u.accessToken });
    for (const path of ['/api/live/session/heartbeat', '/api/live/session/end']) {
      const res = await api.post(path, { session_id: s.body.session_id }, { token: other.accessToken });
      expect(res.status, path).toBe(404);
    }
    expect((await api.post('/api/live/session/end', { session_id: s.body.session_id }, { token: u.accessToken })).status).toBe(200);
  });

  it('refuses to start, and ends a running session, when the quota is used up', async () => {
    const own = new ManualClock();
    const s = await startServer({ LIVE_PLANS: 'free:2', LIVE_MIN_START_SECONDS: '1' }, { clock: own });
    try {
      const c = restClient(s.url);
      const u = await signUp(c);
      const t = { token: u.accessToken };
      const start = await c.post('/api/live/session/start', { session_type: 'voice' }, t);
      expect(start.body.remaining_seconds).toBe(2);
      own.advance(1100);
      const warn = await c.post('/api/live/session/heartbeat', { session_id: start.body.session_id }, t);
      expect(warn.body.warning).toMatch(/Less than a minute/);
      own.advance(1200);
      const over = await c.post('/api/live/session/heartbeat', { session_id: start.body.session_id }, t);
      expect(over.status).toBe(429);
      expect(over.body.detail.error).toBe('live_quota_exceeded');
      expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
      const ended = await c.post('/api/live/session/end', { session_id: start.body.session_id }, t);
      expect(ended.body).toMatchObject({ status: 'ended', end_reason: 'quota_exceeded', used_seconds: 2 });
      // A heartbeat after the session ended for its quota (most often the sweeper ends it first) says so too.
      const late = await c.post('/api/live/session/heartbeat', { session_id: start.body.session_id }, t);
      expect(late.status).toBe(429);
      expect(late.body.detail.error).toBe('live_quota_exceeded');
      expect(Number(late.headers.get('retry-after'))).toBeGreaterThan(0);
      const refused = await c.post('/api/live/session/start', { session_type: 'voice' }, t);
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBeTruthy();
      expect(await usageRows(s, u.user.id)).toBe(2);
    } finally {
      await s.close();
    }
  });

  it('sweeps a silent session, metered only to its last sign of life', async () => {
    const own = new ManualClock();
    const s = await startServer({ LIVE_IDLE_TIMEOUT_SECONDS: '2' }, { clock: own });
    try {
      const c = restClient(s.url);
      const u = await signUp(c);
      const t = { token: u.accessToken };
      const start = await c.post('/api/live/session/start', { session_type: 'voice' }, t);
      own.advance(1100);
      expect((await c.post('/api/live/session/heartbeat', { session_id: start.body.session_id }, t)).status).toBe(200);
      own.advance(2600);
      // What the sweeper's timer does, run once here: the silent session ends.
      expect(await s.app.services.live.sweep(s.app.orm.em.fork())).toBe(1);
      const q = await c.get('/api/live/quota', t);
      expect(q.body.active_session_id).toBeNull();
      const ended = await c.post('/api/live/session/end', { session_id: start.body.session_id }, t);
      expect(ended.body).toMatchObject({ end_reason: 'idle', used_seconds: 1 });
      expect(await usageRows(s, u.user.id)).toBe(1);
    } finally {
      await s.close();
    }
  });

  it('meters exactly under 50 parallel heartbeats and an end racing a sweep', async () => {
    const own = new ManualClock();
    const s = await startServer({ LIVE_IDLE_TIMEOUT_SECONDS: '1' }, { clock: own });
    try {
      const c = restClient(s.url);
      const u = await signUp(c);
      const t = { token: u.accessToken };
      const start = await c.post('/api/live/session/start', { session_type: 'voice' }, t);
      const id = start.body.session_id;
      own.advance(1100);
      const beats = await Promise.all(Array.from({ length: 50 }, () => c.post('/api/live/session/heartbeat', { session_id: id }, t)));
      expect(beats.every((b) => b.status === 200)).toBe(true);
      own.advance(1300);
      // Silent past the idle timeout: the client's end and the sweeper race to settle it.
      const [end] = await Promise.all([c.post('/api/live/session/end', { session_id: id }, t), s.app.services.live.sweep(s.app.orm.em.fork()), s.app.services.live.sweep(s.app.orm.em.fork())]);
      expect(end.status).toBe(200);
      const final = await c.post('/api/live/session/end', { session_id: id }, t);
      expect(await usageRows(s, u.user.id)).toBe(final.body.used_seconds);
      // Settled once: at the last sign of life (1.1 s, the sweep won) or at the end (2.4 s, the client won).
      expect([1, 2]).toContain(final.body.used_seconds);
    } finally {
      await s.close();
    }
  });
});

describe('nickname', () => {
  it('is validated and kept on the profile', async () => {
    const u = await signUp(api);
    const ok = await api.patch('/api/live/nickname', { nickname: '  Zoë M.  ' }, { token: u.accessToken });
    expect(ok.body).toEqual({ nickname: 'Zoë M.' });
    expect((await api.get('/api/auth/me', { token: u.accessToken })).body.nickname).toBe('Zoë M.');
    for (const bad of ['', '<script>', 'x'.repeat(51), '\u0301x']) {
      expect((await api.patch('/api/live/nickname', { nickname: bad }, { token: u.accessToken })).status, bad).toBe(400);
    }
    // Names written with combining marks: Hindi's vowel signs, a decomposed Vietnamese name (kept composed).
    expect((await api.patch('/api/live/nickname', { nickname: 'प्रिया' }, { token: u.accessToken })).body).toEqual({ nickname: 'प्रिया' });
    expect((await api.patch('/api/live/nickname', { nickname: 'Nguye\u0302\u0303n' }, { token: u.accessToken })).body).toEqual({ nickname: 'Nguyễn' });
  });
});

describe('transcripts', () => {
  const payload = (started: Date) => ({
    session_started_at: started.toISOString(),
    session_ended_at: new Date(started.getTime() + 60_000).toISOString(),
    transcripts: [
      { role: 'ai', text: 'Hello! Which volcano shall we talk about?', timestamp: new Date(started.getTime() + 2000).toISOString() },
      { role: 'user', text: 'Tell me about Stromboli.', timestamp: new Date(started.getTime() + 5000).toISOString() },
    ].reverse(),
  });

  it('are saved sorted, listed newest first, read back, and found by search', async () => {
    const u = await signUp(api);
    const t = { token: u.accessToken };
    const older = await api.post('/api/live/transcripts', payload(new Date(Date.now() - 3_600_000)), t);
    expect(older.status).toBe(201);
    expect(older.body.transcripts.map((x: { role: string }) => x.role)).toEqual(['ai', 'user']);
    expect(older.body).toMatchObject({ duration_seconds: 60, turn_count: 2, preview: 'Hello! Which volcano shall we talk about?' });
    const newer = await api.post('/api/live/transcripts', payload(new Date(Date.now() - 120_000)), t);
    const list = await api.get('/api/live/transcripts', t);
    expect(list.headers.get('x-total-count')).toBe('2');
    expect(list.body.map((x: { id: string }) => x.id)).toEqual([newer.body.id, older.body.id]);
    expect(list.body[0].transcripts).toBeUndefined();
    expect((await api.get(`/api/live/transcripts/${older.body.id}`, t)).body.transcripts).toHaveLength(2);
    // Indexed by a job enqueued with each, off the request.
    await server.app.services.jobs.drain();
    const found = await api.get('/api/core/search?q=stromboli&types=transcript', t);
    expect(found.body.total).toBe(2);
    const other = await signUp(api);
    expect((await api.get(`/api/live/transcripts/${older.body.id}`, { token: other.accessToken })).status).toBe(404);
  });

  it('hold at most a million characters: a larger one is refused, and a live one drops its oldest turns', async () => {
    const u = await signUp(api);
    const started = new Date(Date.now() - 600_000);
    const turn = (i: number, text: string) => ({ role: i % 2 ? 'ai' : 'user', text, timestamp: new Date(started.getTime() + 1000 + i).toISOString() });
    const big = { ...payload(started), session_ended_at: new Date(started.getTime() + 300_000).toISOString(), transcripts: Array.from({ length: 101 }, (_, i) => turn(i, 'w'.repeat(10_000))) };
    const refused = await api.post('/api/live/transcripts', big, { token: u.accessToken });
    expect(refused.status).toBe(400);
    expect(refused.body.detail.fields).toEqual([{ loc: ['body', 'transcripts'], message: 'the turns hold 1010000 characters; at most 1000000 in all' }]);
    expect((await api.get('/api/live/transcripts', { token: u.accessToken })).headers.get('x-total-count')).toBe('0');
    // A live transcript keeps its latest turns within the limit.
    const kept = withinTranscriptLimits(Array.from({ length: 150 }, (_, i) => ({ role: 'user' as const, text: `${i}`.padEnd(10_000, '.'), timestamp: new Date(started.getTime() + i).toISOString() })));
    expect(kept).toHaveLength(100);
    expect(kept[0]!.text.startsWith('50.')).toBe(true);
  });

  it('refuse a day that does not exist rather than moving it (2026-02-30 is not 2 March)', async () => {
    const u = await signUp(api);
    const bad = { ...payload(new Date('2026-02-27T10:00:00Z')), session_started_at: '2026-02-30T10:00:00Z' };
    const res = await api.post('/api/live/transcripts', bad, { token: u.accessToken });
    expect(res.status).toBe(400);
    expect(res.body.detail.fields).toMatchObject([{ loc: ['body', 'session_started_at'] }]);
    for (const when of ['2026-04-31T10:00:00Z', '2025-02-29T10:00:00Z', '2026-01-01T25:00:00Z']) {
      expect((await api.post('/api/live/transcripts', { ...bad, session_started_at: when }, { token: u.accessToken })).status, when).toBe(400);
    }
    // 29 February of a leap year exists.
    const leap = payload(new Date('2024-02-29T10:00:00Z'));
    expect((await api.post('/api/live/transcripts', leap, { token: u.accessToken })).status).toBe(201);
  });

  it('refuse turns outside the session window, unknown roles, and API keys', async () => {
    const u = await signUp(api);
    const started = new Date(Date.now() - 600_000);
    const late = payload(started);
    late.transcripts[0]!.timestamp = new Date(started.getTime() + 3_600_000).toISOString();
    const res = await api.post('/api/live/transcripts', late, { token: u.accessToken });
    expect(res.status).toBe(400);
    expect(res.body.detail.fields).toEqual([{ loc: ['body', 'transcripts', 0, 'timestamp'], message: 'is outside the session window' }]);
    const role = payload(started);
    (role.transcripts[1] as { role: string }).role = 'narrator';
    const bad = await api.post('/api/live/transcripts', role, { token: u.accessToken });
    expect(bad.body.detail.fields).toEqual([{ loc: ['body', 'transcripts', 1, 'role'], message: 'must be user or ai' }]);
    const list = await api.get('/api/live/transcripts', { token: u.accessToken });
    expect(list.body).toEqual([]);
    const cast = await makeCast(api);
    const org = await makeOrg(api, cast);
    const key = await makeKey(api, cast.member, org.id, ['live:write', 'live:read']);
    const viaKey = await api.post('/api/live/transcripts', payload(started), { apiKey: key.key });
    expect(viaKey.status).toBe(403);
    expect((await api.get('/api/live/transcripts', { apiKey: key.key })).status).toBe(200);
  });
});

describe('transcript indexing', () => {
  it('indexes a live turn\'s transcript for search off the turn, one job per transcript while it waits', async () => {
    const u = await signUp(api);
    const t = { token: u.accessToken };
    const start = await api.post('/api/live/session/start', { session_type: 'voice' }, t);
    const { live, jobs } = server.app.services;
    await jobs.stop();
    try {
      const em = server.app.orm.em.fork();
      const session = await em.findOneOrFail(LiveSession, { id: start.body.session_id });
      const at = Date.now();
      await live.appendTurn(em, session, { role: 'user', text: 'Tell me about Krakatoa.', timestamp: new Date(at).toISOString() });
      await live.appendTurn(em, session, { role: 'ai', text: 'Krakatoa erupted in 1883.', timestamp: new Date(at + 1000).toISOString() });
      const queued = await em.getConnection().execute<{ key: string }[]>(`select key from jobs where queue = 'live.index-transcript'`);
      expect(queued).toHaveLength(1);
      // Not yet indexed: the turns did not wait for it.
      expect((await api.get('/api/core/search?q=krakatoa&types=transcript', t)).body.total).toBe(0);
      await jobs.drain();
      const found = await api.get('/api/core/search?q=krakatoa&types=transcript', t);
      expect(found.body.total).toBe(1);
      expect(found.body.results[0].snippet ?? JSON.stringify(found.body.results[0])).toMatch(/1883|Krakatoa/i);
      // Run again (a retry after a crash): still one entry.
      const [{ id: transcriptId }] = await em.getConnection().execute<{ id: string }[]>('select id from live_transcripts where session_id = ?', [session.id]);
      await server.app.orm.em.fork().transactional((tx) => jobs.enqueue(tx, 'live.index-transcript', { transcriptId }));
      await jobs.drain();
      expect((await api.get('/api/core/search?q=krakatoa&types=transcript', t)).body.total).toBe(1);
    } finally {
      jobs.start();
    }
  });
});

describe('live over GraphQL', () => {
  it('starts and ends a session, and streams its events to the owner only', async () => {
    const { EndLiveSessionDocument, LiveQuotaDocument, LiveSessionEventsDocument, StartLiveSessionDocument } = await import('./generated/graphql.js');
    const { errorCode, gql, subscribe, until, wsClient } = await import('./helpers/graphql.js');
    const { listening, PROBE, received } = await import('./helpers/live.js');
    const s = await startServer({ LIVE_PLANS: 'free:50', LIVE_MIN_START_SECONDS: '1' });
    try {
      const c = restClient(s.url);
      const u = await signUp(c);
      const other = await signUp(c);
      const started = await gql(s.url, StartLiveSessionDocument, { input: { sessionType: 'AVATAR' } }, u.accessToken);
      expect(started.data?.startLiveSession).toMatchObject({ usedSeconds: 0, remainingSeconds: 50, heartbeatIntervalSeconds: 15, session: { status: 'ACTIVE', sessionType: 'AVATAR' } });
      const id = started.data!.startLiveSession.session.id;
      expect((await gql(s.url, LiveQuotaDocument, {}, u.accessToken)).data?.liveQuota.activeSession?.id).toBe(id);

      const { client } = wsClient(s.wsUrl, { Authorization: `Bearer ${u.accessToken}` });
      const sub = subscribe(client, LiveSessionEventsDocument, { sessionId: id });
      const intruder = wsClient(s.wsUrl, { Authorization: `Bearer ${other.accessToken}` });
      const denied = subscribe(intruder.client, LiveSessionEventsDocument, { sessionId: id });
      try {
        await denied.settled();
        expect(denied.errorCode).toBe('not_found');
        await listening(s, sub, id, u.user.id);
        // Under a minute left: the heartbeat warns, and so does the subscription.
        await c.post('/api/live/session/heartbeat', { session_id: id }, { token: u.accessToken });
        const ended = await gql(s.url, EndLiveSessionDocument, { input: { sessionId: id } }, u.accessToken);
        expect(ended.data?.endLiveSession.session).toMatchObject({ status: 'ENDED', endReason: 'CLIENT' });
        await until(() => received(sub).length >= 2);
        expect(received(sub).map((r) => r.data?.liveSessionEvents.__typename)).toEqual(['LiveQuotaWarning', 'LiveSessionEnded']);
        expect(received(sub)[1]!.data?.liveSessionEvents).toMatchObject({ sessionId: id, endReason: 'CLIENT' });
        // The subscription completes after the end.
        await until(() => sub.completed);
        expect(received(sub)).toHaveLength(2);
        // Ending again announces nothing: only the ender that settled it publishes (the next thing on the bus is a probe).
        const bus = s.app.services.events.subscribe('LIVE_EVENT', id);
        await gql(s.url, EndLiveSessionDocument, { input: { sessionId: id } }, u.accessToken);
        s.app.services.events.publish('LIVE_EVENT', { type: 'quota_warning', sessionId: id, userId: u.user.id, remainingSeconds: 0, message: PROBE, at: new Date().toISOString() });
        expect((await bus.next()).value).toMatchObject({ message: PROBE });
        await bus.return?.();
        expect(errorCode(await gql(s.url, EndLiveSessionDocument, { input: { sessionId: id } }, other.accessToken))).toBe('not_found');
      } finally {
        sub.unsubscribe();
        await client.dispose();
        await intruder.client.dispose();
      }
    } finally {
      await s.close();
    }
  });
});
