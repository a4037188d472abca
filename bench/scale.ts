import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { Pool } from 'undici';
import { FANOUT_QUERY } from './frames.js';
import { DB, fork, gatewayEnv, median, percentile, PROFILER, range, removeDir, rssOf, scratchDatabase, spread, targetTable, tempDir, threadGroups, type Child } from './lib.js';
import { printPerf, startPerf, summarizePerf, type PerfRecording } from './perf.js';
import { summarize, type CpuProfile } from './profile.js';

/**
 * The scale-out suite (issue 9): each figure next to a reference measured in the same run,
 * with the ratio and the target. Servers run in child processes (bench/serve.js), the load
 * generator here, so a server's event loop is its own; on a 2-core machine the two still
 * share the CPU, which every reference shares too.
 */

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1000);
const REDIS_URL = process.env.BENCH_REDIS_URL ?? process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const table = targetTable('Scale-out suite');
const row = table.row;
export const printScaleTable = table.print;

async function cannon(opts: autocannon.Options): Promise<autocannon.Result> {
  const r = await autocannon({ connections: CONNECTIONS, duration: SECONDS, ...opts });
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${opts.url}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  return r;
}

const json = { 'content-type': 'application/json' };

/**
 * GET `url` at a steady `rate` a second for `seconds` over `connections` kept-alive
 * connections; answers each request's latency in milliseconds, to the microsecond, from the
 * moment it was due to its whole answer (a request waiting for a busy connection waits on the
 * clock, as a client would). autocannon's latencies are whole milliseconds, which made a p99
 * of 1 ms against 3 ms a ratio of 3.
 */
async function paced(url: string, headers: Record<string, string>, rate: number, seconds: number, connections: number): Promise<number[]> {
  const { origin, pathname } = new URL(url);
  const pool = new Pool(origin, { connections });
  const latencies: number[] = [];
  const pending: Promise<void>[] = [];
  const start = performance.now();
  try {
    for (let i = 0; i < Math.round(rate * seconds); i++) {
      const due = start + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      pending.push(
        (async () => {
          const res = await pool.request({ path: pathname, method: 'GET', headers });
          await res.body.text();
          if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode}`);
          latencies.push(performance.now() - due);
        })(),
      );
    }
    await Promise.all(pending);
  } finally {
    await pool.close();
  }
  return latencies;
}

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

/** Throughputs taken round by round (each target in turn, ROUNDS times over, so that load from elsewhere falls on all alike), and their median. */
interface Rates {
  rate: number;
  rates: number[];
}

/** Registers and logs in through REST; returns the access token and the user id. */
async function account(url: string, name: string): Promise<{ token: string; userId: string }> {
  const reg = await fetch(`${url}/api/auth/register`, { method: 'POST', headers: json, body: JSON.stringify({ email: `${name}@example.com`, username: name, password: 'bench password' }) });
  const user = (await reg.json()) as { id: string };
  const login = await fetch(`${url}/api/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ username: name, password: 'bench password' }) });
  return { token: ((await login.json()) as { access_token: string }).access_token, userId: user.id };
}

/** PostgreSQL when it answers (the scale-out database), else what BENCH_DB says. */
async function database(dir: string) {
  if (DB === 'postgresql') return { ...(await scratchDatabase(dir)), driver: 'postgresql' };
  try {
    const { createScratchDatabase } = await import('../src/db/scratch.js');
    const pg = await createScratchDatabase(process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres', 'xt_bench');
    return { ...pg, driver: 'postgresql' };
  } catch {
    return { ...(await scratchDatabase(dir)), driver: 'sqlite' };
  }
}

// 0. The floor of an authenticated read (issue 22) -----------------------------------------

interface Measured extends Rates {
  /** The server's own CPU time per request (µs), round by round, and its median. */
  cpus: number[];
  cpu: number;
}

/**
 * BENCH_PROFILE_SCALE=dir: every timed window of a server is also a V8 CPU profile (written
 * there), and the last one of each target is printed as self time by component per operation.
 * Profiling costs CPU: the figures of such a run are for reading shares, not for the table.
 */
const PROFILE_DIR = process.env.BENCH_PROFILE_SCALE;
const profiled = new Map<string, { file: string; ops: number; perf?: boolean }>();
/** BENCH_PROFILER=perf: each window is recorded with Linux perf instead (bench/perf.ts), the last one of each target printed. */
const perfWindows = new Map<Child, { recording: PerfRecording; file: string }>();

/** Starts a timed window on a server: its CPU time (and, with BENCH_PROFILE_SCALE, a profile). */
async function windowStart(server: Child): Promise<void> {
  if (PROFILER === 'perf') {
    await server.ask({ cmd: 'cpu-start' });
    const file = join(tmpdir(), `xt-scale-${server.pid}-${Date.now()}.perf.data`);
    perfWindows.set(server, { recording: await startPerf(server.pid, file), file });
    return;
  }
  await server.ask({ cmd: PROFILE_DIR ? 'profile-start' : 'cpu-start' });
}

/** Ends it: the server's CPU time (µs, all its threads; without a profile, by thread name too where /proc is) and the HTTP requests it received. */
async function windowStop(server: Child, name: string): Promise<{ cpuUs: number; requests: number; threadsCpuUs?: Record<string, number> }> {
  const window = perfWindows.get(server);
  if (window) {
    perfWindows.delete(server);
    await window.recording.stop();
    const r = await server.ask<{ cpuUs: number; requests: number; threadsCpuUs?: Record<string, number> }>({ cmd: 'cpu-stop' });
    const before = profiled.get(name);
    if (before?.perf) rmSync(before.file, { force: true });
    profiled.set(name, { file: window.file, ops: r.requests, perf: true });
    return r;
  }
  if (!PROFILE_DIR) return server.ask({ cmd: 'cpu-stop' });
  mkdirSync(PROFILE_DIR, { recursive: true });
  const file = join(PROFILE_DIR, `${name.replace(/\W+/g, '_')}.cpuprofile`);
  const r = await server.ask<{ cpuUs: number; requests: number }>({ cmd: 'profile-stop', file });
  profiled.set(name, { file, ops: r.requests });
  return r;
}

/** With BENCH_PROFILE_SCALE: the profile of the window `name`, as self time per operation (`ops`, else its HTTP requests). */
function printProfile(name: string, ops?: number, top = 14): void {
  const p = profiled.get(name);
  if (!p) return;
  const n = ops ?? p.ops;
  if (p.perf) {
    printPerf(`profile of ${name}, over ${n} operations`, summarizePerf(p.file, n), top);
    rmSync(p.file, { force: true });
    profiled.delete(name);
    return;
  }
  const rows = summarize(JSON.parse(readFileSync(p.file, 'utf8')) as CpuProfile, n);
  console.log(`\n  profile of ${name} (main thread, self time per operation over ${n} operations; ${p.file})\n`);
  console.log('  | component | µs per op (self) | share |');
  console.log('  |---|---:|---:|');
  for (const r of rows.slice(0, top)) console.log(`  | ${r.component} | ${r.us.toFixed(1)} | ${(r.share * 100).toFixed(1)}% |`);
}

/**
 * Like `alternate`, with each server's own CPU time per request over each timed window (its
 * process.cpuUsage and its request count, reported by the server over IPC).
 */
async function alternateCpu(targets: { opts: autocannon.Options; server: Child; name?: string }[]): Promise<Measured[]> {
  for (const t of targets) await cannon({ ...t.opts, duration: 1 });
  const out = targets.map(() => ({ rates: [] as number[], cpus: [] as number[] }));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, t] of targets.entries()) {
      await windowStart(t.server);
      const r = await cannon({ ...t.opts, duration: Math.max(2, Math.round(SECONDS / 2)) });
      const { cpuUs, requests } = await windowStop(t.server, t.name ?? `target ${i}`);
      out[i]!.rates.push(r.requests.average);
      out[i]!.cpus.push(cpuUs / Math.max(1, requests));
    }
  }
  for (const [i, t] of targets.entries()) printProfile(t.name ?? `target ${i}`);
  return out.map((o) => ({ ...o, rate: median(o.rates), cpu: median(o.cpus) }));
}

const perRound = (a: number[], b: number[]) => a.map((x, i) => x / b[i]!);
/** A server's req/s and CPU per request, each as `median [min–max]` over the rounds. */
const fig = (m: Measured) => `${spread(m.rates)} req/s, ${spread(m.cpus)} µs CPU/req`;

/** The scratch database of one driver: a SQLite file (shared by the gateway and the anchor), or PostgreSQL. */
async function driverDatabase(driver: 'sqlite' | 'postgresql', dir: string) {
  if (driver === 'sqlite') return { url: `sqlite:${join(dir, 'floor.sqlite3')}`, drop: async () => undefined };
  const { createScratchDatabase } = await import('../src/db/scratch.js');
  return createScratchDatabase(process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres', 'xt_bench');
}

const FLOOR_DRIVERS = (process.env.BENCH_FLOOR_DRIVERS ?? 'sqlite,postgresql').split(',') as ('sqlite' | 'postgresql')[];

async function floor(): Promise<void> {
  for (const driver of FLOOR_DRIVERS) {
    console.log(`\n0. The floor of an authenticated read on ${driver}: GET /api/auth/me and GraphQL { me } vs a minimal server (Fastify + jose + ${driver === 'sqlite' ? 'better-sqlite3' : 'pg'} prepared statements) answering the same bytes from the same database`);
    const dir = tempDir();
    const db = await driverDatabase(driver, dir);
    const children: Child[] = [];
    try {
      // The grammar checker loads on first use: its start-up load (seconds, in the background) would fall on the first rounds.
      const env = gatewayEnv(db.url, dir, { XEL_GRAMMAR_PRELOAD: 'false' });
      const gw = await fork('serve', ['gateway'], env);
      children.push(gw);
      const { token } = await account(gw.url, 'floor');
      const anchor = await fork('anchor', [driver === 'sqlite' ? 'sqlite' : 'pg'], { DATABASE_URL: db.url, JWT_SECRET: env.JWT_SECRET!, DB_POOL_MAX: '10' });
      children.push(anchor);
      const auth = { authorization: `Bearer ${token}` };
      const bytes = async (url: string) => {
        const res = await fetch(url, { headers: auth });
        if (res.status !== 200) throw new Error(`${url}: ${res.status} ${await res.text()}`);
        return Buffer.from(await res.arrayBuffer());
      };
      const [mine, floorBytes] = [await bytes(`${gw.url}/api/auth/me`), await bytes(`${anchor.url}/api/auth/me`)];
      if (!mine.equals(floorBytes)) throw new Error(`the anchor answered other bytes:\n${floorBytes.toString()}\n${mine.toString()}`);
      const gql = { url: `${gw.url}/graphql`, method: 'POST' as const, headers: { ...json, ...auth }, body: JSON.stringify({ query: ME_QUERY }) };
      const answer = (await (await fetch(gql.url, { ...gql })).json()) as { data?: { me?: { id: string } }; errors?: unknown };
      if (answer.errors || answer.data?.me?.id !== (JSON.parse(mine.toString()) as { id: string }).id) throw new Error(`GraphQL me: ${JSON.stringify(answer)}`);

      const [rest, graph, floorR] = await alternateCpu([
        { opts: { url: `${gw.url}/api/auth/me`, headers: auth }, server: gw },
        { opts: gql, server: gw },
        { opts: { url: `${anchor.url}/api/auth/me`, headers: auth }, server: anchor },
      ]);
      for (const [name, m] of [['GET /api/auth/me', rest], ['GraphQL { me } (11 fields)', graph]] as const) {
        const ratios = perRound(m!.rates, floorR!.rates);
        row({ n: 0, figure: `${name} vs the floor, ${driver} (req/s; ratio median [range])`, value: fig(m!), reference: fig(floorR!), ratio: median(ratios), target: `≥ 0.5 (stretch 0.7); range ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}`, met: median(ratios) >= 0.5 });
        row({ n: 0, figure: `${name} vs the floor, ${driver}: server CPU per request (floor ÷ gateway)`, value: `${m!.cpu.toFixed(0)} µs`, reference: `${floorR!.cpu.toFixed(0)} µs`, ratio: floorR!.cpu / m!.cpu, target: 'report', met: null });
      }
    } finally {
      for (const c of children) await c.stop();
      await db.drop();
      removeDir(dir);
    }
  }
}

// 1. GraphQL overhead -----------------------------------------------------------------------

const MEMORY_QUERY = '{ providers { default providers { id name models defaultModel configured available capabilities description } } }';

async function overhead(): Promise<void> {
  console.log('\n1. GraphQL overhead: a query answered from memory');
  const dir = tempDir();
  const children: Child[] = [];
  try {
    const gw = await fork('serve', ['gateway'], gatewayEnv('sqlite::memory:', dir));
    children.push(gw);
    const body = JSON.stringify({ query: MEMORY_QUERY });
    const res = await fetch(`${gw.url}/graphql`, { method: 'POST', headers: json, body });
    const bytes = Buffer.from(await res.arrayBuffer());
    const parsed = JSON.parse(bytes.toString()) as { errors?: unknown };
    if (parsed.errors) throw new Error(bytes.toString());
    writeFileSync(join(dir, 'body.json'), bytes);
    const raw = await fork('serve', ['raw-http'], { BENCH_BODY_FILE: join(dir, 'body.json') });
    children.push(raw);
    const jit = await fork('serve', ['jit-http'], gatewayEnv('sqlite::memory:', dir));
    children.push(jit);
    const jitAnswer = await (await fetch(`${jit.url}/graphql`, { method: 'POST', headers: json, body })).json();
    if (JSON.stringify(jitAnswer) !== JSON.stringify(parsed)) throw new Error(`graphql-jit answered differently: ${JSON.stringify(jitAnswer)}`);

    const post = (c: Child) => ({ url: `${c.url}/graphql`, method: 'POST' as const, headers: json, body });
    const [gwR, jitR, rawR] = (await alternateCpu([
      { opts: post(gw), server: gw, name: 'in-memory query, full stack' },
      { opts: post(jit), server: jit, name: 'in-memory query, node:http + graphql-jit' },
      { opts: post(raw), server: raw, name: 'in-memory query, bare node:http' },
    ])) as [Measured, Measured, Measured];
    const vsJit = perRound(gwR.rates, jitR.rates);
    row({ n: 1, figure: 'full stack vs node:http + graphql-jit (same schema and resolvers; req/s, µs CPU/req)', value: fig(gwR), reference: fig(jitR), ratio: median(vsJit), target: `≥ 0.60; range ${range(vsJit)}`, met: median(vsJit) >= 0.6 });
    row({ n: 1, figure: 'same: server CPU per request (graphql-jit ÷ full stack)', value: `${gwR.cpu.toFixed(0)} µs`, reference: `${jitR.cpu.toFixed(0)} µs`, ratio: jitR.cpu / gwR.cpu, target: 'report', met: null });
    row({ n: 1, figure: 'full stack vs bare node:http, same bytes', value: `${gwR.rate.toFixed(0)} req/s`, reference: `${rawR.rate.toFixed(0)} req/s; ${rawR.cpu.toFixed(0)} µs CPU/req`, ratio: median(perRound(gwR.rates, rawR.rates)), target: 'report', met: null });
    row({ n: 1, figure: 'graphql-jit vs bare node:http', value: `${jitR.rate.toFixed(0)} req/s`, reference: `${rawR.rate.toFixed(0)} req/s`, ratio: median(perRound(jitR.rates, rawR.rates)), target: 'report', met: null });
  } finally {
    for (const c of children) await c.stop();
    removeDir(dir);
  }
}

// 2. REST door vs GraphQL door ------------------------------------------------------------

const ME_QUERY = '{ me { id email username fullName nickname preferredLanguage timezone avatarUrl plan createdAt updatedAt } }';

async function doors(): Promise<void> {
  console.log('\n2. The REST door vs the GraphQL door, same data (the caller\'s profile)');
  const dir = tempDir();
  const gw = await fork('serve', ['gateway'], gatewayEnv('sqlite::memory:', dir));
  try {
    const { token } = await account(gw.url, 'doors');
    const auth = { authorization: `Bearer ${token}` };
    const rest = { url: `${gw.url}/api/auth/me`, headers: auth };
    const gql = { url: `${gw.url}/graphql`, method: 'POST' as const, headers: { ...json, ...auth }, body: JSON.stringify({ query: ME_QUERY }) };
    const [r, q] = (await alternateCpu([
      { opts: rest, server: gw, name: 'GET /api/auth/me' },
      { opts: gql, server: gw, name: 'GraphQL { me }' },
    ])) as [Measured, Measured];
    const ratios = perRound(r.rates, q.rates);
    row({ n: 2, figure: 'GET /api/auth/me vs GraphQL { me { …the same 11 fields } } (req/s, µs CPU/req)', value: fig(r), reference: fig(q), ratio: median(ratios), target: `≥ 1.0; range ${range(ratios)}`, met: median(ratios) >= 1 });
    row({ n: 2, figure: 'same: server CPU per request (GraphQL ÷ REST)', value: `${r.cpu.toFixed(0)} µs`, reference: `${q.cpu.toFixed(0)} µs`, ratio: q.cpu / r.cpu, target: '≥ 1.0', met: q.cpu / r.cpu >= 1 });
  } finally {
    await gw.stop();
    removeDir(dir);
  }
}

// 3. Nested reads ------------------------------------------------------------------------

const NESTED_QUERY =
  'query Nested { organizations(first: 20) { edges { node { id name teams { edges { node { id name members(first: 20) { edges { node { id role user { id username } } } } } } } } } } }';
const NESTED_DEPTH = 4; // organizations -> teams -> members -> user
const NESTED_RUNS = Number(process.env.BENCH_RUNS ?? 60);

async function nested(): Promise<void> {
  const dir = tempDir();
  const db = await database(dir);
  console.log(`\n3. Nested reads on ${db.driver}: 20 organizations x 2 teams x 5 members, each member's user (depth ${NESTED_DEPTH})`);
  const children: Child[] = [];
  try {
    // 20 organizations x every team x 20 members is priced at 8,421, over the default cost limit
    // (5,000, for screens), and connections put two levels (edges, node) in each of the four lists
    // (11 levels in all): this scenario measures batching, so both limits are raised for it.
    const limit = { GRAPHQL_MAX_COST: '100000', GRAPHQL_MAX_DEPTH: '12' };
    const on = await fork('serve', ['gateway'], gatewayEnv(db.url, dir, { DB_POOL_MAX: '10', ...limit }));
    children.push(on);
    const off = await fork('serve', ['gateway'], gatewayEnv(db.url, dir, { DATALOADER_BATCHING: 'false', ...limit }));
    children.push(off);
    const viewer = await account(on.url, 'nested');
    const h = { ...json, authorization: `Bearer ${viewer.token}` };
    const members = await Promise.all(Array.from({ length: 100 }, async (_, i) => account(on.url, `member${i}`)));
    for (let o = 0; o < 20; o++) {
      const org = (await (await fetch(`${on.url}/api/organizations`, { method: 'POST', headers: h, body: JSON.stringify({ name: `Org ${o}` }) })).json()) as { id: string };
      const teams = await Promise.all(['A', 'B'].map(async (name) => ((await (await fetch(`${on.url}/api/organizations/${org.id}/teams`, { method: 'POST', headers: h, body: JSON.stringify({ name }) })).json()) as { id: string }).id));
      await Promise.all(
        members.slice(o * 5, o * 5 + 5).map((m, i) => fetch(`${on.url}/api/organizations/${org.id}/members`, { method: 'POST', headers: h, body: JSON.stringify({ user_id: m.userId, team_id: teams[i % 2] }) })),
      );
    }
    const measure = async (c: Child) => {
      const run = async () => {
        const res = await fetch(`${c.url}/graphql`, { method: 'POST', headers: h, body: JSON.stringify({ query: NESTED_QUERY }) });
        const body = (await res.json()) as { errors?: unknown; data?: { organizations: { edges: { node: { teams: { edges: unknown[] } } }[] } } };
        const items = body.data?.organizations.edges ?? [];
        if (body.errors || items.length !== 20 || items.some((o) => o.node.teams.edges.length !== 2)) throw new Error(`unexpected: ${JSON.stringify(body).slice(0, 300)}`);
      };
      for (let i = 0; i < 5; i++) await run();
      await c.ask({ cmd: 'count-start' });
      await run();
      const { statements } = await c.ask<{ statements: number }>({ cmd: 'count-stop' });
      const times: number[] = [];
      for (let i = 0; i < NESTED_RUNS; i++) {
        const t = performance.now();
        await run();
        times.push(performance.now() - t);
      }
      return { statements, p50: percentile(times, 50), p95: percentile(times, 95) };
    };
    const b = await measure(on);
    const u = await measure(off);
    row({ n: 3, figure: `SQL statements per request (1 + depth = ${1 + NESTED_DEPTH})`, value: String(b.statements), reference: `${u.statements} unbatched`, ratio: b.statements / u.statements, target: `= ${1 + NESTED_DEPTH}`, met: b.statements <= 1 + NESTED_DEPTH });
    row({ n: 3, figure: `latency p50, ${db.driver} (ms)`, value: b.p50.toFixed(2), reference: `${u.p50.toFixed(2)} unbatched`, ratio: b.p50 / u.p50, target: '≤ 0.10', met: b.p50 / u.p50 <= 0.1 });
    row({ n: 3, figure: `latency p95, ${db.driver} (ms)`, value: b.p95.toFixed(2), reference: `${u.p95.toFixed(2)} unbatched`, ratio: b.p95 / u.p95, target: '≤ 0.10', met: b.p95 / u.p95 <= 0.1 });
  } finally {
    for (const c of children) await c.stop();
    await db.drop();
    removeDir(dir);
  }
}

// 4. Subscription fan-out ----------------------------------------------------------------

const BURST = Number(process.env.BENCH_FANOUT_BURST ?? 100);
const PACED = Number(process.env.BENCH_FANOUT_PACED ?? 60);
const PACE_MS = Number(process.env.BENCH_FANOUT_PACE_MS ?? 100);
const BURSTS = Number(process.env.BENCH_FANOUT_BURSTS ?? 5);

interface Delivery {
  perSecond: number;
  /** Bursts' delivered messages/s, one per burst. */
  rates: number[];
  /** The servers' CPU time (all their processes) per delivered message in each burst, µs. */
  cpus: number[];
  p50: number;
  p99: number;
  delivered: number;
  expected: number;
}

/** A burst (throughput) and a paced run (latency) from `publisher` to the connected clients. */
async function deliver(clients: Child, publisher: Child, session: { sessionId: string; userId: string }, subscribers: number, servers: Child[] = [publisher], name = 'fan-out'): Promise<Delivery> {
  const waitFor = async (n: number, ms: number) => {
    const end = Date.now() + ms;
    let r = await clients.ask<{ received: number; first: number; last: number; latencies: number[] }>({ cmd: 'report' });
    while (r.received < n && Date.now() < end) {
      await new Promise((res) => setTimeout(res, 100));
      r = await clients.ask({ cmd: 'report' });
    }
    return r;
  };
  // Warm-up, and proof that every subscriber is listening.
  await clients.ask({ cmd: 'reset' });
  await publisher.ask({ cmd: 'publish', count: 3, intervalMs: 100, ...session });
  await waitFor(3 * subscribers, 20_000);

  // Bursts are short: three of them, and the median.
  const rates: number[] = [];
  const cpus: number[] = [];
  let delivered = 0;
  for (let i = 0; i < BURSTS; i++) {
    await clients.ask({ cmd: 'reset' });
    for (const s of servers) await windowStart(s);
    const start = performance.timeOrigin + performance.now();
    await publisher.ask({ cmd: 'publish', count: BURST, intervalMs: 0, ...session });
    const burst = await waitFor(BURST * subscribers, 60_000);
    let cpuUs = 0;
    for (const [k, s] of servers.entries()) cpuUs += (await windowStop(s, `${name} ${k}`)).cpuUs;
    rates.push(burst.received / ((burst.last - start) / 1000));
    cpus.push(cpuUs / Math.max(1, burst.received));
    delivered += burst.received;
    await new Promise((r) => setTimeout(r, 200));
  }
  for (const k of servers.keys()) printProfile(`${name} ${k}`, (BURST * subscribers) / servers.length);
  const perSecond = median(rates);

  await clients.ask({ cmd: 'reset' });
  await publisher.ask({ cmd: 'publish', count: PACED, intervalMs: PACE_MS, ...session });
  const paced = await waitFor(PACED * subscribers, 30_000);
  return { perSecond, rates, cpus, p50: percentile(paced.latencies, 50), p99: percentile(paced.latencies, 99), delivered: delivered + paced.received, expected: (BURSTS * BURST + PACED) * subscribers };
}

async function fanout(): Promise<void> {
  const dir = tempDir();
  const db = await database(dir);
  console.log(`\n4. Subscription fan-out: one publisher, ${SUBSCRIBERS} graphql-ws subscribers on one topic (${BURST}-event burst; ${PACED} events every ${PACE_MS} ms for latency)`);
  const children: Child[] = [];
  const prefix = `xt-bench-${process.pid}-${Date.now()}:`;
  try {
    const clients = await fork('ws-clients');
    children.push(clients);
    const subscribe = async (urls: string[], gw: Child) => {
      const owner = await account(gw.url, `watcher${Date.now()}`);
      const started = await fetch(`${gw.url}/api/live/session/start`, { method: 'POST', headers: { ...json, authorization: `Bearer ${owner.token}` }, body: JSON.stringify({ session_type: 'voice' }) });
      const sessionId = ((await started.json()) as { session_id: string }).session_id;
      await clients.ask({ cmd: 'connect', urls: urls.map((u) => `${u.replace('http', 'ws')}/graphql`), count: SUBSCRIBERS, protocol: 'graphql-ws', token: owner.token, query: FANOUT_QUERY, variables: { id: sessionId } });
      return { sessionId, userId: owner.userId };
    };

    // The gateway, one process, events in memory.
    const one = await fork('serve', ['gateway'], gatewayEnv(db.url, dir, { LIVE_IDLE_TIMEOUT_SECONDS: '3600' }));
    children.push(one);
    const single = await deliver(clients, one, await subscribe([one.url], one), SUBSCRIBERS, [one], 'fan-out, gateway');
    await clients.ask({ cmd: 'close' });
    await one.stop();

    // The reference: a raw `ws` broadcast of the same frames.
    const raw = await fork('serve', ['raw-ws']);
    children.push(raw);
    await clients.ask({ cmd: 'connect', urls: [`ws://127.0.0.1:${raw.port}`], count: SUBSCRIBERS, protocol: 'raw' });
    const reference = await deliver(clients, raw, { sessionId: 'raw', userId: 'raw' }, SUBSCRIBERS, [raw], 'fan-out, raw ws');
    await clients.ask({ cmd: 'close' });
    await raw.stop();

    // Two processes through Redis: subscribers split between them, events published on the first.
    const redisEnv = { REDIS_URL, REDIS_KEY_PREFIX: prefix, LIVE_IDLE_TIMEOUT_SECONDS: '3600' };
    const a = await fork('serve', ['gateway'], gatewayEnv(db.url, dir, redisEnv));
    children.push(a);
    const b = await fork('serve', ['gateway'], gatewayEnv(db.url, dir, redisEnv));
    children.push(b);
    const cross = await deliver(clients, a, await subscribe([a.url, b.url], a), SUBSCRIBERS, [a, b], 'fan-out, two processes through Redis');
    await clients.ask({ cmd: 'close' });

    const complete = (d: Delivery) => (d.delivered === d.expected ? '' : ` (${d.delivered} of ${d.expected} delivered)`);
    const dfig = (d: Delivery) => `${spread(d.rates)}${complete(d)}; ${spread(d.cpus, 1)} µs CPU/msg`;
    row({ n: 4, figure: `delivered messages/s, gateway vs raw ws broadcast (median of ${BURSTS} bursts [range]; server CPU per message)`, value: dfig(single), reference: dfig(reference), ratio: single.perSecond / reference.perSecond, target: '≥ 0.5', met: single.perSecond / reference.perSecond >= 0.5 });
    row({ n: 4, figure: 'same: server CPU per delivered message (raw ÷ gateway)', value: `${median(single.cpus).toFixed(1)} µs`, reference: `${median(reference.cpus).toFixed(1)} µs`, ratio: median(reference.cpus) / median(single.cpus), target: 'report', met: null });
    row({ n: 4, figure: `delivery p99 at ${(1000 / PACE_MS) * SUBSCRIBERS} msg/s (ms)`, value: single.p99.toFixed(1), reference: reference.p99.toFixed(1), ratio: single.p99 / reference.p99, target: '≤ 2', met: single.p99 / reference.p99 <= 2 });
    row({ n: 4, figure: 'delivery p50 (ms)', value: single.p50.toFixed(1), reference: reference.p50.toFixed(1), ratio: single.p50 / reference.p50, target: 'report', met: null });
    row({ n: 4, figure: 'delivered messages/s, two processes through Redis vs one (CPU: both processes)', value: dfig(cross), reference: dfig(single), ratio: cross.perSecond / single.perSecond, target: '≥ 0.9', met: cross.perSecond / single.perSecond >= 0.9 });
    row({ n: 4, figure: 'same: server CPU per delivered message (one ÷ two through Redis)', value: `${median(cross.cpus).toFixed(1)} µs`, reference: `${median(single.cpus).toFixed(1)} µs`, ratio: median(single.cpus) / median(cross.cpus), target: 'report', met: null });
    row({ n: 4, figure: 'delivery p99, two processes through Redis (ms)', value: cross.p99.toFixed(1), reference: single.p99.toFixed(1), ratio: cross.p99 / single.p99, target: 'report', met: null });
  } finally {
    for (const c of children) await c.stop();
    await db.drop();
    removeDir(dir);
  }
}

// 5. Login -------------------------------------------------------------------------------

async function login(): Promise<void> {
  const dir = tempDir();
  console.log(`\n5. Login storm (argon2id 19 MiB, 2 passes; ${availableParallelism()} cores)`);
  const children: Child[] = [];
  try {
    const measure = async (concurrency: number | null, mode: 'gateway' | 'login-floor' = 'gateway') => {
      const label = `${concurrency === null ? 'default concurrency' : `concurrency ${concurrency}`}${mode === 'gateway' ? '' : ', login floor'}`;
      const env: Record<string, string> = concurrency === null ? {} : { PASSWORD_HASH_CONCURRENCY: String(concurrency) };
      const gw = await fork('serve', [mode], gatewayEnv('sqlite::memory:', dir, env));
      children.push(gw);
      const { token } = await account(gw.url, 'stormy');
      const loginReq = { url: `${gw.url}/api/auth/login`, method: 'POST' as const, headers: json, body: JSON.stringify({ username: 'stormy', password: 'bench password' }), connections: 8 };
      // The other requests: GET /api/auth/me, 100 a second over 2 connections, timed to the microsecond.
      const other = (secs: number) => paced(`${gw.url}/api/auth/me`, { authorization: `Bearer ${token}` }, 100, secs, 2);
      await other(1);
      await cannon({ ...loginReq, duration: 1 });
      // Round by round, so load from elsewhere falls on all three alike: the raw hash capacity,
      // the reads alone, the reads during a login storm.
      const m = { raw: [] as number[], rawCpu: [] as number[], logins: [] as number[], loginCpu: [] as number[], idleP99: [] as number[], stormP99: [] as number[], loginThreads: [] as Record<string, number>[] };
      const seconds = Math.max(2, Math.round(SECONDS / 2));
      // The logins of the last storm: its profile is printed per login (the reads during it included).
      let lastLogins = 0;
      for (let round = 0; round < ROUNDS; round++) {
        await windowStart(gw);
        const raw = await gw.ask<{ perSecond: number; done: number }>({ cmd: 'hash', seconds, concurrency: 8 });
        m.raw.push(raw.perSecond);
        m.rawCpu.push((await windowStop(gw, `raw verifies, ${label}`)).cpuUs / raw.done);
        m.idleP99.push(percentile(await other(seconds), 99));
        await windowStart(gw);
        const [storm, during] = await Promise.all([cannon({ ...loginReq, duration: seconds }), other(seconds)]);
        // The storm window's CPU (the other reads' included: a few percent of it) per login, all threads and by thread.
        const stormCpu = await windowStop(gw, `login storm, ${label}`);
        m.loginCpu.push(stormCpu.cpuUs / Math.max(1, storm.requests.total));
        if (stormCpu.threadsCpuUs) m.loginThreads.push(Object.fromEntries(Object.entries(stormCpu.threadsCpuUs).map(([k, us]) => [k, us / Math.max(1, storm.requests.total)])));
        m.logins.push(storm.requests.total / seconds);
        m.stormP99.push(percentile(during, 99));
        lastLogins = storm.requests.total;
      }
      printProfile(`login storm, ${label}`, lastLogins);
      await gw.stop();
      return m;
    };
    type Storm = Awaited<ReturnType<typeof measure>>;
    const rows5 = (s: Storm, all: boolean) => {
      const hashing = perRound(s.logins, s.raw);
      const p99 = perRound(s.stormP99, s.idleP99);
      const cpu = perRound(s.rawCpu, s.loginCpu);
      const name = all ? `same, hashing on all ${availableParallelism()} cores (PASSWORD_HASH_CONCURRENCY=${availableParallelism()})` : `hashing bounded to ${Math.max(1, availableParallelism() - 1)} at once, the default`;
      row({ n: 5, figure: `logins/s vs raw hash capacity of the process, ${name} (median of ${ROUNDS} rounds [range])`, value: spread(s.logins, 1), reference: `${spread(s.raw, 1)} verifies/s`, ratio: median(hashing), target: all ? 'report' : `≥ 0.9; range ${range(hashing)}`, met: all ? null : median(hashing) >= 0.9 });
      row({ n: 5, figure: `GET /api/auth/me p99 during the storm vs idle, 100 req/s (ms), ${name}`, value: spread(s.stormP99, 2), reference: `${spread(s.idleP99, 2)} idle`, ratio: median(p99), target: all ? 'report' : `≤ 1.5; range ${range(p99)}`, met: all ? null : median(p99) <= 1.5 });
      row({ n: 5, figure: `process CPU per login (all threads over the storm, the other reads included) vs per raw verify (ms), ${name}`, value: spread(s.loginCpu.map((x) => x / 1000), 1), reference: spread(s.rawCpu.map((x) => x / 1000), 1), ratio: median(cpu), target: 'report', met: null });
      threadRows(s, name);
    };
    /** The storm's CPU per login by thread (median of the rounds), where the server reported it. */
    const threadRows = (s: Storm, name: string) => {
      if (!s.loginThreads.length || !Object.keys(s.loginThreads[0]!).length) return;
      const rounds = s.loginThreads.map((t) => threadGroups(t, ['serving', 'passwords', 'v8', 'libuv', 'other']));
      const parts = rounds[0]!.map((g, i) => `${g.label} ${spread(rounds.map((r) => r[i]!.us / 1000), 2)}`);
      row({ n: 5, figure: `same, by thread (ms per login), ${name}`, value: parts.join('; '), reference: '', ratio: null, target: 'report', met: null });
    };
    rows5(await measure(null), false);
    // The floor: the same storm and reads against a server that does only what a login must (the
    // same hasher, a token) and answers reads from memory, on the same machine: what two cores allow.
    const floor = await measure(null, 'login-floor');
    const floorHashing = perRound(floor.logins, floor.raw);
    const floorP99 = perRound(floor.stormP99, floor.idleP99);
    row({ n: 5, figure: `login floor (node:http, the gateway's hasher, no database): logins/s vs its raw hash capacity (median of ${ROUNDS} rounds [range])`, value: spread(floor.logins, 1), reference: `${spread(floor.raw, 1)} verifies/s`, ratio: median(floorHashing), target: `report; range ${range(floorHashing)}`, met: null });
    row({ n: 5, figure: `login floor: GET /api/auth/me p99 during its storm vs idle, 100 req/s (ms)`, value: spread(floor.stormP99, 2), reference: `${spread(floor.idleP99, 2)} idle`, ratio: median(floorP99), target: `report; range ${range(floorP99)}`, met: null });
    threadRows(floor, 'login floor');
    rows5(await measure(availableParallelism()), true);
  } finally {
    for (const c of children) await c.stop();
    removeDir(dir);
  }
}

// 6. Memory ------------------------------------------------------------------------------

async function memory(): Promise<void> {
  const dir = tempDir();
  console.log(`\n6. Memory: resident at idle, and per idle graphql-ws subscriber (${SUBSCRIBERS})`);
  const children: Child[] = [];
  try {
    const bare = await fork('serve', ['raw-ws']);
    children.push(bare);
    const gw = await fork('serve', ['gateway'], gatewayEnv(`sqlite:${join(dir, 'memory.sqlite3')}`, dir));
    children.push(gw);
    const owner = await account(gw.url, 'memory');
    const started = await fetch(`${gw.url}/api/live/session/start`, { method: 'POST', headers: { ...json, authorization: `Bearer ${owner.token}` }, body: JSON.stringify({ session_type: 'voice' }) });
    const sessionId = ((await started.json()) as { session_id: string }).session_id;
    for (let i = 0; i < 50; i++) await fetch(`${gw.url}/graphql`, { method: 'POST', headers: json, body: JSON.stringify({ query: MEMORY_QUERY }) });
    const idleGc = await gw.ask<{ rss: number; heap: number }>({ cmd: 'gc' });
    const idle = idleGc.rss;
    const bareIdle = (await bare.ask<{ rss: number }>({ cmd: 'gc' })).rss;

    const clients = await fork('ws-clients');
    children.push(clients);
    await clients.ask({ cmd: 'connect', urls: [`${gw.url.replace('http', 'ws')}/graphql`], count: SUBSCRIBERS, protocol: 'graphql-ws', token: owner.token, query: FANOUT_QUERY, variables: { id: sessionId } });
    await new Promise((r) => setTimeout(r, 1000));
    const busyGc = await gw.ask<{ rss: number; heap: number }>({ cmd: 'gc' });
    const busy = busyGc.rss;
    // A second thousand on the same process: what a subscriber costs once the process has grown
    // to serve the first (compiled code, malloc's arenas, the heap's reserve), i.e. at scale.
    const more = await fork('ws-clients');
    children.push(more);
    await more.ask({ cmd: 'connect', urls: [`${gw.url.replace('http', 'ws')}/graphql`], count: SUBSCRIBERS, protocol: 'graphql-ws', token: owner.token, query: FANOUT_QUERY, variables: { id: sessionId } });
    await new Promise((r) => setTimeout(r, 1000));
    const busy2 = await gw.ask<{ rss: number; heap: number }>({ cmd: 'gc' });
    await clients.ask({ cmd: 'connect', urls: [`ws://127.0.0.1:${bare.port}`], count: SUBSCRIBERS, protocol: 'raw' });
    await new Promise((r) => setTimeout(r, 1000));
    const bareBusy = (await bare.ask<{ rss: number }>({ cmd: 'gc' })).rss;
    const mb = (b: number) => (b / 1024 / 1024).toFixed(1);
    row({ n: 6, figure: 'resident memory at idle (MB)', value: mb(idle), reference: `${mb(bareIdle)} same modules, no app`, ratio: idle / bareIdle, target: 'report', met: null });
    const per = (busy - idle) / SUBSCRIBERS;
    const perBare = (bareBusy - bareIdle) / SUBSCRIBERS;
    row({ n: 6, figure: `${SUBSCRIBERS} idle subscribers (MB; KB each)`, value: `${mb(busy - idle)} (${(per / 1024).toFixed(1)} KB)`, reference: `${mb(bareBusy - bareIdle)} (${(perBare / 1024).toFixed(1)} KB) raw ws`, ratio: null, target: '≤ 50 MB', met: (busy - idle) * (1000 / SUBSCRIBERS) <= 50 * 1024 * 1024 });
    // The JavaScript heap and external memory (after a collection) per subscriber: the part the gateway's objects make, beside RSS's malloc arenas and pages.
    row({ n: 6, figure: `heap + external per idle subscriber (KB)`, value: ((busyGc.heap - idleGc.heap) / SUBSCRIBERS / 1024).toFixed(1), reference: '', ratio: null, target: 'report', met: null });
    const next = busy2.rss - busy;
    row({
      n: 6,
      figure: `the next ${SUBSCRIBERS} idle subscribers on the same process (MB of RSS, KB each; heap + external KB each)`,
      value: `${mb(next)} (${(next / SUBSCRIBERS / 1024).toFixed(1)} KB; heap ${((busy2.heap - busyGc.heap) / SUBSCRIBERS / 1024).toFixed(1)} KB)`,
      reference: `${mb(busy - idle)} the first ${SUBSCRIBERS}`,
      ratio: null,
      target: '≤ 50 MB',
      met: next * (1000 / SUBSCRIBERS) <= 50 * 1024 * 1024,
    });
    await rssOf(gw.pid);
  } finally {
    for (const c of children) await c.stop();
    removeDir(dir);
  }
}

export const scaleScenarios: Record<string, () => Promise<void>> = {
  floor,
  'graphql-overhead': overhead,
  doors,
  nested,
  fanout,
  login,
  memory,
};

/** The whole suite, then its table. */
export async function scaleBench(only?: string[]): Promise<void> {
  console.log(`load average at the start: ${loadavg().map((l) => l.toFixed(1)).join(', ')} (${availableParallelism()} cores; other work on the machine moves every figure)`);
  for (const [name, run] of Object.entries(scaleScenarios)) if (!only?.length || only.includes(name)) await run();
  printScaleTable();
}
