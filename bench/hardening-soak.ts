import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import type { App } from '../src/app.js';
import { collectGarbage, eventually, graphqlWs, liveWs, sleep } from './hardening-clients.js';
import { DB, printTable, startGateway } from './lib.js';

/**
 * Soak: thousands of WebSocket lives, clean and abrupt, on both sockets (GraphQL
 * subscriptions, the live socket), then a check that nothing stayed behind: sockets,
 * graphql-ws connections and their operations, live connections, HTTP connections, database
 * connections (the pool's, and PostgreSQL's own count), handles, and the heap.
 *
 * Each cycle is one of:
 *   subscribe-complete   connect, subscribe to meUpdated, get an event, complete, close
 *   subscribe-vanish     the same, then the TCP connection is destroyed (no close frame)
 *   vanish-mid-subscribe subscribe and destroy the connection at once
 *   refused              connection_init with a bad token (closed 4403 by the server)
 *   vanish-before-init   open the socket and destroy it before connection_init
 *   live-session         the live socket: start a session, then vanish (the server settles it)
 *
 * test/soak.test.ts runs a few hundred cycles and checks the counts; `npm run bench --
 * hardening-soak` runs SOAK_CYCLES (default 3000) and prints every figure before and after.
 */

export interface Figures {
  heapUsedMB: number;
  rssMB: number;
  webSockets: number;
  graphqlWsConnections: number;
  graphqlWsOperations: number;
  liveSockets: number;
  httpConnections: number;
  dbPoolUsed: number;
  dbPoolFree: number;
  /** PostgreSQL's own count of connections to the database (null on SQLite). */
  pgConnections: number | null;
  activeLiveSessions: number;
  handles: Record<string, number>;
}

export const CYCLE_KINDS = ['subscribe-complete', 'subscribe-vanish', 'vanish-mid-subscribe', 'refused', 'vanish-before-init', 'live-session'] as const;
export type CycleKind = (typeof CYCLE_KINDS)[number];

export interface SoakResult {
  before: Figures;
  after: Figures;
  cycles: Record<CycleKind, number>;
  failures: string[];
  seconds: number;
}

async function count(app: App, sql: string): Promise<number> {
  const rows = (await app.orm.em.fork().getConnection().execute(sql)) as Record<string, unknown>[];
  return Number(Object.values(rows[0] ?? {})[0] ?? 0);
}

export async function measure(app: App): Promise<Figures> {
  collectGarbage();
  const stats = await app.stats();
  const mem = process.memoryUsage();
  const httpConnections = await new Promise<number>((r) => app.server.server.getConnections((_e, n) => r(n)));
  return {
    heapUsedMB: mem.heapUsed / 1048576,
    rssMB: mem.rss / 1048576,
    webSockets: stats.webSockets,
    graphqlWsConnections: stats.graphqlWs.connections,
    graphqlWsOperations: stats.graphqlWs.operations,
    liveSockets: stats.liveSockets,
    httpConnections,
    dbPoolUsed: stats.db.used,
    dbPoolFree: stats.db.free,
    pgConnections: app.config.db.driver === 'postgresql' ? await count(app, 'select count(*) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()') : null,
    activeLiveSessions: await count(app, "select count(*) from live_sessions where status = 'active'"),
    handles: stats.handles,
  };
}

/** Waits until the server holds no socket and no live session, then measures. */
async function settledFigures(app: App, quietMs: number): Promise<Figures> {
  await eventually(async () => {
    const s = await app.stats();
    const http = await new Promise<number>((r) => app.server.server.getConnections((_e, n) => r(n)));
    return s.webSockets === 0 && s.liveSockets === 0 && s.graphqlWs.connections === 0 && http === 0 && (await count(app, "select count(*) from live_sessions where status = 'active'")) === 0;
  }, quietMs);
  return measure(app);
}

interface Worker {
  userId: string;
  token: string;
}

async function makeWorkers(url: string, n: number): Promise<Worker[]> {
  const json = { 'content-type': 'application/json', connection: 'close' };
  const out: Worker[] = [];
  for (let i = 0; i < n; i++) {
    const username = `soak_${randomBytes(4).toString('hex')}`;
    const reg = await fetch(`${url}/api/auth/register`, { method: 'POST', headers: json, body: JSON.stringify({ email: `${username}@example.com`, username, password: 'soak password' }) });
    const userId = ((await reg.json()) as { id: string }).id;
    const login = (await (await fetch(`${url}/api/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ username, password: 'soak password' }) })).json()) as { access_token: string };
    out.push({ userId, token: login.access_token });
  }
  return out;
}

async function cycle(app: App, wsUrl: string, w: Worker, kind: CycleKind): Promise<string | null> {
  const auth = { Authorization: `Bearer ${w.token}` };
  switch (kind) {
    case 'subscribe-complete':
    case 'subscribe-vanish': {
      const c = await graphqlWs(wsUrl, auth);
      if (!c.acked) return `${kind}: not acknowledged`;
      c.subscribe('1', 'subscription { meUpdated { id } }');
      // The subscription is live once an event comes through it.
      let got = null;
      for (let i = 0; i < 50 && !got; i++) {
        app.services.events.publish('USER_UPDATED', { userId: w.userId });
        got = await c.next('next', '1', 100);
      }
      if (!got) {
        c.ws.terminate();
        return `${kind}: no event`;
      }
      if (kind === 'subscribe-complete') {
        c.complete('1');
        c.ws.close(1000);
      } else c.ws.terminate();
      await c.closed;
      return null;
    }
    case 'vanish-mid-subscribe': {
      const c = await graphqlWs(wsUrl, auth);
      c.subscribe('1', 'subscription { meUpdated { id } }');
      c.ws.terminate();
      await c.closed;
      return null;
    }
    case 'refused': {
      const c = await graphqlWs(wsUrl, { Authorization: 'Bearer not-a-token' });
      const closed = await c.closed;
      return closed.code === 4403 ? null : `refused: closed with ${closed.code}`;
    }
    case 'vanish-before-init': {
      const ws = new WebSocket(`${wsUrl}/graphql`, 'graphql-transport-ws');
      ws.on('error', () => undefined);
      await new Promise<void>((r) => {
        ws.once('open', () => r());
        ws.once('error', () => r());
      });
      ws.terminate();
      return null;
    }
    case 'live-session': {
      for (let attempt = 0; ; attempt++) {
        const l = await liveWs(wsUrl, w.token);
        l.send('start-session', { session_type: 'voice' });
        const started = await Promise.race([l.next('session-started'), l.next('error')]);
        if (started?.type === 'session-started') {
          l.ws.terminate();
          await l.closed;
          return null;
        }
        l.ws.terminate();
        await l.closed;
        // The session of this user's previous cycle may still be settling after its socket vanished.
        if (started?.data?.error === 'conflict' && attempt < 40) {
          await sleep(50);
          continue;
        }
        return `live-session: ${JSON.stringify(started)}`;
      }
    }
  }
}

export async function runSoak(app: App, url: string, opts: { cycles: number; workers: number; quietMs?: number }): Promise<SoakResult> {
  const wsUrl = url.replace(/^http/, 'ws');
  const workers = await makeWorkers(url, opts.workers);
  const cycles = Object.fromEntries(CYCLE_KINDS.map((k) => [k, 0])) as Record<CycleKind, number>;
  const failures: string[] = [];
  const run = async (n: number) => {
    let next = 0;
    await Promise.all(
      workers.map(async (w) => {
        for (;;) {
          const i = next++;
          if (i >= n) return;
          const kind = CYCLE_KINDS[i % CYCLE_KINDS.length]!;
          cycles[kind]++;
          const f = await cycle(app, wsUrl, w, kind).catch((e: unknown) => `${kind}: ${String(e)}`);
          if (f) failures.push(f);
        }
      }),
    );
  };
  // Warm-up: the first cycles load code and fill caches, which is not growth.
  await run(Math.min(60, opts.cycles));
  const before = await settledFigures(app, opts.quietMs ?? 15_000);
  for (const k of CYCLE_KINDS) cycles[k] = 0;
  const t0 = performance.now();
  await run(opts.cycles);
  const seconds = (performance.now() - t0) / 1000;
  const after = await settledFigures(app, opts.quietMs ?? 15_000);
  return { before, after, cycles, failures, seconds };
}

/** `npm run bench -- hardening-soak`. */
export async function soakBench(): Promise<void> {
  const cycles = Number(process.env.SOAK_CYCLES ?? 3000);
  const gw = await startGateway({ LIVE_PLANS: 'free:100000000', LIVE_MIN_START_SECONDS: '1' });
  try {
    const r = await runSoak(gw.app, gw.url, { cycles, workers: Number(process.env.SOAK_WORKERS ?? 8) });
    const row = (scenario: string, b: number | null, a: number | null, target = 'same') => ({ scenario, figure: `${a ?? '-'}`, reference: `${b ?? '-'} before`, ratio: a !== null && b ? a / b : null, target });
    printTable(
      `Soak (${DB}): ${cycles} WebSocket cycles in ${r.seconds.toFixed(1)} s (${Object.entries(r.cycles).map(([k, n]) => `${n} ${k}`).join(', ')}); ${r.failures.length} failed cycles; reference: the same figures before, after a warm-up`,
      [
        row('heap used after GC (MB)', Number(r.before.heapUsedMB.toFixed(1)), Number(r.after.heapUsedMB.toFixed(1)), 'no growth'),
        row('resident set (MB)', Number(r.before.rssMB.toFixed(1)), Number(r.after.rssMB.toFixed(1)), ''),
        row('open WebSockets', r.before.webSockets, r.after.webSockets, '0'),
        row('graphql-ws connections', r.before.graphqlWsConnections, r.after.graphqlWsConnections, '0'),
        row('graphql-ws operations (subscriptions)', r.before.graphqlWsOperations, r.after.graphqlWsOperations, '0'),
        row('live sockets', r.before.liveSockets, r.after.liveSockets, '0'),
        row('HTTP connections', r.before.httpConnections, r.after.httpConnections, '0'),
        row('active live sessions', r.before.activeLiveSessions, r.after.activeLiveSessions, '0'),
        row('database pool: in use', r.before.dbPoolUsed, r.after.dbPoolUsed, 'same'),
        row('database pool: idle', r.before.dbPoolFree, r.after.dbPoolFree, 'same'),
        row('PostgreSQL connections', r.before.pgConnections, r.after.pgConnections, 'same'),
        ...[...new Set([...Object.keys(r.before.handles), ...Object.keys(r.after.handles)])].sort().map((k) => row(`handles: ${k}`, r.before.handles[k] ?? 0, r.after.handles[k] ?? 0, 'same')),
      ],
    );
    console.log(`  heap per cycle: ${(((r.after.heapUsedMB - r.before.heapUsedMB) * 1048576) / cycles).toFixed(1)} bytes`);
    for (const f of r.failures.slice(0, 10)) console.log(`  failed cycle: ${f}`);
  } finally {
    await gw.close();
  }
}
