import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createScratchDatabase } from '../src/db/scratch.js';
import { ConversationEventsDocument, LiveSessionEventsDocument, MeUpdatedDocument } from './generated/graphql.js';
import { signUp } from './helpers/factories.js';
import { subscribe, until, wsClient } from './helpers/graphql.js';
import { restClient } from './helpers/http.js';
import { metric, redisPrefix, startProcess, TEST_REDIS_URL, type GatewayProcess } from './helpers/process.js';
import { driver, PG_ADMIN_URL, TEST_JWT_SECRET } from './helpers/server.js';

/**
 * Two gateway processes behind an imaginary load balancer: one scratch PostgreSQL database
 * and one Redis. What a client subscribed on one process hears must include what was caused
 * on the other. Scale-out is a PostgreSQL deployment (SQLite has one writer, in one
 * process), so the SQLite run skips this file.
 */
const scaleOut = driver === 'postgresql';
let a: GatewayProcess;
let b: GatewayProcess;
let dataDir: string;
let drop: (() => Promise<void>) | undefined;
let prefix: string;

const IDLE_SECONDS = 2;

beforeAll(async () => {
  if (!scaleOut) return;
  dataDir = mkdtempSync(join(tmpdir(), 'xt-scale-'));
  const scratch = await createScratchDatabase(PG_ADMIN_URL, 'xt_scale');
  const databaseUrl = scratch.url;
  drop = scratch.drop;
  const env = {
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    JWT_SECRET: TEST_JWT_SECRET,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: (prefix = redisPrefix()),
    LOG_LEVEL: 'info',
    RATE_LIMITS: 'login_ip=1000/60,register_ip=1000/60',
    // Clients told apart by X-Forwarded-For, as behind a load balancer.
    TRUST_PROXY: 'true',
    // Both processes sweep often, so settlement races between them for real.
    LIVE_SWEEP_INTERVAL_MS: '100',
    LIVE_IDLE_TIMEOUT_SECONDS: String(IDLE_SECONDS),
    LIVE_MIN_START_SECONDS: '1',
  };
  // One after the other: the first applies the migrations.
  a = await startProcess(env);
  b = await startProcess(env);
}, 90_000);

afterAll(async () => {
  if (!scaleOut) return;
  expect(await a?.stop()).toBe(0);
  expect(await b?.stop()).toBe(0);
  await drop?.();
  rmSync(dataDir, { recursive: true, force: true });
});

describe.runIf(scaleOut)('two gateway processes on one PostgreSQL database and Redis', () => {
  it('are both ready, each reporting Redis', async () => {
    for (const p of [a, b]) {
      const r = await restClient(p.url).get('/readyz');
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ status: 'ready', database: 'ok', jobs: 'ok', uploads: 'ok', redis: 'ok' });
    }
  });

  it('streams a chat turn run on one process to a conversation watcher on the other', async () => {
    const u = await signUp(restClient(a.url));
    const first = await restClient(a.url).post('/api/core/chat', { message: 'Hello there' }, { token: u.accessToken });
    expect(first.status).toBe(200);
    const conversationId = first.body.conversation_id as string;

    const { client } = wsClient(b.wsUrl, { Authorization: `Bearer ${u.accessToken}` });
    const sub = subscribe(client, ConversationEventsDocument, { conversationId });
    try {
      // The watcher is subscribed once a turn on B itself reaches it: turns on B until one does (a
      // turn run before the subscription was in place reached nobody, and waiting for it hung).
      await until(async () => {
        if (sub.received.some((r) => r.data?.conversationEvents.type === 'DONE')) return true;
        await restClient(b.url).post('/api/core/chat', { message: 'Warm up', conversation_id: conversationId }, { token: u.accessToken });
        return false;
      });

      const turn = await restClient(a.url).post('/api/core/chat', { message: 'What did I say first?', conversation_id: conversationId }, { token: u.accessToken });
      expect(turn.status).toBe(200);
      const isTurnDone = (e: { type: string; response?: { messageId: string } | null }) => e.type === 'DONE' && e.response?.messageId === turn.body.message_id;
      await until(() => sub.received.some((r) => r.data && isTurnDone(r.data.conversationEvents)));
      // This turn's events: from its START to its DONE (a warm-up's may still have arrived before them).
      const all = sub.received.map((r) => r.data!.conversationEvents);
      const end = all.findIndex(isTurnDone);
      const start = all.slice(0, end).map((e) => e.type).lastIndexOf('START');
      expect(start).toBeGreaterThanOrEqual(0);
      const events = all.slice(start, end + 1);
      expect(events[0]!.type).toBe('START');
      expect(events.every((e) => e.conversationId === conversationId)).toBe(true);
      const deltas = events.filter((e) => e.type === 'DELTA').map((e) => e.delta).join('');
      const done = events.at(-1)!;
      expect(done.type).toBe('DONE');
      expect(done.response!.messageId).toBe(turn.body.message_id);
      expect(done.response!.content).toBe(turn.body.content);
      expect(deltas).toBe(turn.body.content);
    } finally {
      sub.unsubscribe();
      await client.dispose();
    }
  });

  it('keeps a session heartbeating on one process alive against the other\'s sweeper, and settles it exactly once when it goes silent', async () => {
    const u = await signUp(restClient(a.url));
    const metersBefore = await Promise.all([a, b].map(async (p) => metric((await restClient(p.url).get('/metrics')).body, 'xentree_live_sessions_ended_total', { reason: 'idle' })));
    const started = await restClient(a.url).post('/api/live/session/start', { session_type: 'voice' }, { token: u.accessToken });
    expect(started.status).toBe(201);
    const sessionId = started.body.session_id as string;

    const watchers = [a, b].map((p) => {
      const { client } = wsClient(p.wsUrl, { Authorization: `Bearer ${u.accessToken}` });
      return { client, sub: subscribe(client, LiveSessionEventsDocument, { sessionId }) };
    });
    try {
      // Heartbeats only on B, for longer than the idle timeout: A's sweeper reads them from the database.
      const until2 = Date.now() + (IDLE_SECONDS + 1.5) * 1000;
      while (Date.now() < until2) {
        const beat = await restClient(b.url).post('/api/live/session/heartbeat', { session_id: sessionId }, { token: u.accessToken });
        expect(beat.status).toBe(200);
        expect(beat.body.status).toBe('active');
        await new Promise((r) => setTimeout(r, 400));
      }
      const lastBeat = await restClient(b.url).post('/api/live/session/heartbeat', { session_id: sessionId }, { token: u.accessToken });
      expect(lastBeat.body.status).toBe('active');
      const metered = Math.floor((Date.parse(lastBeat.body.last_heartbeat_at) - Date.parse(started.body.started_at)) / 1000);

      // Silence: both sweepers race to settle it; each watcher hears one session_ended.
      const ended = (w: (typeof watchers)[number]) => w.sub.received.filter((r) => r.data?.liveSessionEvents.__typename === 'LiveSessionEnded');
      await until(() => watchers.every((w) => ended(w).length > 0));
      // session_ended is a subscription's last event (it completes after it): nothing can follow.
      await until(() => watchers.every((w) => w.sub.completed));
      for (const w of watchers) {
        expect(ended(w)).toHaveLength(1);
        expect(ended(w)[0]!.data!.liveSessionEvents).toMatchObject({ sessionId, endReason: 'IDLE', usedSeconds: metered });
      }

      // Metered once: the month's use is the session's seconds, and one process settled it.
      const quota = await restClient(b.url).get('/api/live/quota', { token: u.accessToken });
      expect(quota.body.used_seconds).toBe(metered);
      const metersAfter = await Promise.all([a, b].map(async (p) => metric((await restClient(p.url).get('/metrics')).body, 'xentree_live_sessions_ended_total', { reason: 'idle' })));
      expect(metersAfter[0]! + metersAfter[1]! - metersBefore[0]! - metersBefore[1]!).toBe(1);
    } finally {
      for (const w of watchers) {
        w.sub.unsubscribe();
        await w.client.dispose();
      }
    }
  });

  it('ends a session once when both processes are asked at the same moment', async () => {
    const u = await signUp(restClient(a.url));
    const started = await restClient(b.url).post('/api/live/session/start', { session_type: 'avatar' }, { token: u.accessToken });
    const ends = await Promise.all(
      [a, b, a, b].map((p) => restClient(p.url).post('/api/live/session/end', { session_id: started.body.session_id }, { token: u.accessToken })),
    );
    expect(ends.map((e) => e.status)).toEqual([200, 200, 200, 200]);
    const used = new Set(ends.map((e) => e.body.used_seconds));
    expect(used.size).toBe(1);
    const quota = await restClient(a.url).get('/api/live/quota', { token: u.accessToken });
    expect(quota.body.used_seconds).toBe([...used][0]);
  });

  it('closes the sockets a session authenticates on the other process when it is logged out, and settles its live session there', async () => {
    const u = await signUp(restClient(a.url));
    const { client, closes } = wsClient(b.wsUrl, { Authorization: `Bearer ${u.accessToken}` });
    const sub = subscribe(client, MeUpdatedDocument);
    const live = new WebSocket(`${b.wsUrl}/api/live/ws?token=${u.accessToken}`);
    const frames: { type: string; data: any }[] = [];
    let liveClose: { code: number; reason: string } | null = null;
    live.on('message', (d) => frames.push(JSON.parse((d as Buffer).toString())));
    live.on('close', (code, reason) => (liveClose = { code, reason: reason.toString() }));
    await new Promise((r) => live.once('open', r));
    live.send(JSON.stringify({ type: 'start-session', data: { session_type: 'voice' } }));
    await until(() => frames.some((f) => f.type === 'session-started'));
    const sessionId = frames.find((f) => f.type === 'session-started')!.data.session_id as string;
    // B listens for this user's revocations in Redis, and its graphql-ws socket is acknowledged and subscribed.
    const redis = new Redis(TEST_REDIS_URL);
    try {
      for (let i = 0; ; i++) {
        const [, listeners] = (await redis.pubsub('NUMSUB', `${prefix}events:CREDENTIALS_REVOKED:${u.user.id}`)) as [string, number];
        const subscribed = metric((await restClient(b.url).get('/metrics')).body, 'xentree_subscriptions_active', { field: 'meUpdated' }) > 0;
        if (Number(listeners) >= 1 && subscribed) break;
        if (i > 500) throw new Error('process B never subscribed');
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      redis.disconnect();
    }

    const t0 = performance.now();
    expect((await restClient(a.url).post('/api/auth/logout', undefined, { token: u.accessToken })).status).toBe(204);
    await until(() => closes.length > 0 && liveClose !== null);
    const ms = performance.now() - t0;
    console.log(`logout on A to both sockets on B closed: ${ms.toFixed(0)} ms`);
    expect(closes[0]).toEqual({ code: 4401, reason: 'invalid_token: logout' });
    expect(liveClose).toEqual({ code: 4401, reason: 'invalid_token: logout' });
    expect(frames.find((f) => f.type === 'session-ended')!.data).toMatchObject({ reason: 'revoked' });
    await until(() => sub.error !== null);
    await client.dispose();

    // Settled on B at that moment, as A reads it from the database.
    const again = await restClient(a.url).post('/api/auth/login', { username: u.input.username, password: u.input.password }, { form: true, headers: { 'x-forwarded-for': '198.51.100.200' } });
    const ended = await restClient(a.url).post('/api/live/session/end', { session_id: sessionId }, { token: again.body.access_token });
    expect(ended.body).toMatchObject({ status: 'ended', end_reason: 'revoked' });
  });

  it('counts rate limits across processes in Redis', async () => {
    const u = await signUp(restClient(a.url));
    // login_account: failures on either process, from any address, add up (10 free per 15
    // minutes, then growing delays for addresses the account never signed in from).
    const attempt = (i: number) =>
      restClient((i % 2 ? b : a).url).post('/api/auth/login', { username: u.input.username, password: 'wrong password' }, { form: true, headers: { 'x-forwarded-for': `198.51.100.${i + 1}` } });
    const statuses: number[] = [];
    for (let i = 0; i < 16 && !statuses.includes(429); i++) statuses.push((await attempt(i)).status);
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses.at(-1)).toBe(429);
    // login_account_ip: failures from one address on either process add up (5 per 15 minutes).
    const u2 = await signUp(restClient(a.url));
    const pair: number[] = [];
    for (let i = 0; i < 6; i++) pair.push((await restClient((i % 2 ? b : a).url).post('/api/auth/login', { username: u2.input.username, password: 'wrong password' }, { form: true, headers: { 'x-forwarded-for': '203.0.113.77' } })).status);
    expect(pair).toEqual([401, 401, 401, 401, 401, 429]);
  });

  it('logged no errors on either process (a lost settlement race is not an error)', () => {
    for (const p of [a, b]) expect(p.output().split('\n').filter((l) => /"level":(50|60)/.test(l))).toEqual([]);
  });
});
