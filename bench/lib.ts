import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { readThreads, roleOfThread, type ThreadReading, type ThreadRole } from '../src/common/threads.js';
import { createScratchDatabase } from '../src/db/scratch.js';
import { GATEWAY_NODE_FLAGS } from '../test/helpers/process.js';
import { countStatements as countSql } from '../test/helpers/statements.js';

export const DB = process.env.BENCH_DB === 'postgresql' ? 'postgresql' : 'sqlite';
const PG_ADMIN = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface Gateway {
  app: App;
  url: string;
  close(): Promise<void>;
}

/** A gateway on 127.0.0.1 with a database of its own (in-memory SQLite, or a scratch PostgreSQL database). */
export async function startGateway(env: Record<string, string> = {}): Promise<Gateway> {
  const dataDir = mkdtempSync(join(tmpdir(), 'xt-bench-'));
  const scratch = DB === 'postgresql' ? await createScratchDatabase(PG_ADMIN, 'xt_bench') : null;
  const config = loadConfig({
    NODE_ENV: 'production',
    JWT_SECRET: 'bench-secret-that-is-long-enough-for-hs256',
    DATA_DIR: dataDir,
    DATABASE_URL: scratch?.url ?? 'sqlite::memory:',
    // BENCH_GATEWAY_LOG_LEVEL=warn: the gateway's warnings and errors, to see why a request failed.
    LOG_LEVEL: process.env.BENCH_GATEWAY_LOG_LEVEL ?? 'silent',
    PORT: '0',
    // Background sweeps would add statements to the counted ones; the live benchmark sets its own.
    LIVE_SWEEP_INTERVAL_MS: '3600000',
    // Load from one address would trip the login and registration limits; the bench measures the work.
    RATE_LIMITS_ENABLED: 'false',
    ...env,
  });
  const app = await buildApp(config);
  await app.server.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.server.address();
  return {
    app,
    url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`,
    async close() {
      await app.close();
      await scratch?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Registers and logs in a user; returns the access token. */
export async function userToken(url: string, name = 'bench'): Promise<string> {
  const json = { 'content-type': 'application/json' };
  await fetch(`${url}/api/auth/register`, { method: 'POST', headers: json, body: JSON.stringify({ email: `${name}@example.com`, username: name, password: 'bench password' }) });
  const login = (await (await fetch(`${url}/api/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ username: name, password: 'bench password' }) })).json()) as { access_token: string };
  return login.access_token;
}

export const machine = () => `${cpus().length} cores (${cpus()[0]?.model ?? '?'}), node ${process.version}, ${DB}`;

/** GET /healthz one request after another until stopped: each answer's latency (ms). */
export function pollHealth(url: string): () => Promise<number[]> {
  const latencies: number[] = [];
  let running = true;
  const client = (async () => {
    while (running) {
      const t = performance.now();
      const r = await fetch(`${url}/healthz`);
      await r.arrayBuffer();
      latencies.push(performance.now() - t);
    }
  })();
  return async () => {
    running = false;
    await client;
    return latencies;
  };
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/** The median of figures taken round by round. */
export const median = (xs: number[]): number => percentile(xs, 50);
/** `min–max` of figures taken round by round. */
export const range = (xs: number[], digits = 2): string => `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;
/** `median [min–max]` of figures taken round by round. */
export const spread = (xs: number[], digits = 0): string => `${median(xs).toFixed(digits)} [${range(xs, digits)}]`;

export interface Row {
  scenario: string;
  figure: string;
  reference: string;
  ratio: number | null;
  target?: string;
}

export function printTable(title: string, rows: Row[]): void {
  console.log(`\n${title}\n`);
  console.log('| scenario | figure | reference (same run) | ratio | target |');
  console.log('|---|---:|---:|---:|---|');
  for (const r of rows) {
    const ratio = r.ratio === null ? '' : r.ratio.toFixed(3);
    console.log(`| ${r.scenario} | ${r.figure} | ${r.reference} | ${ratio} | ${r.target ?? ''} |`);
  }
}

/** Counts the SQL statements the gateway runs while `fn` runs. */
export const countStatements = (app: App, fn: () => Promise<unknown>): Promise<number> => countSql(app.orm, fn);

export interface Child {
  url: string;
  port: number;
  pid: number;
  /** Sends an IPC command and resolves with the child's next message. */
  ask<T = unknown>(message: Record<string, unknown>): Promise<T>;
  stop(): Promise<void>;
}

/** The tables a bench reads or seeds directly through Kysely, column by column as untyped values (the bench has no Kysely schema of its own). */
export type RawTables = Record<string, Record<string, unknown>>;

/** What a bench child sends over IPC: its readiness (url, port, pid) first, then the answers to `ask`. */
export type ChildMessage = { port?: number; pid?: number; error?: unknown; [key: string]: unknown };

/**
 * The Node flags `npm start` gives the gateway (test/helpers/process.ts): the benches start every
 * gateway with them (BENCH_NODE_FLAGS, after them, overrides); the floors and clients they measure
 * against run with Node's defaults.
 */
export { GATEWAY_NODE_FLAGS };

/**
 * BENCH_PROFILER=perf: the benches that profile (profile, tracing, jobs-throughput) record their
 * servers with Linux `perf` (bench/perf.ts: CPU time, every thread) instead of V8's profiler, and
 * their children name JavaScript frames for it.
 */
export const PROFILER: 'perf' | 'v8' = process.env.BENCH_PROFILER === 'perf' ? 'perf' : 'v8';
/** The Node flags a process recorded by perf needs: its JavaScript frames named (`/tmp/perf-<pid>.map`). */
export const PERF_NODE_FLAGS: readonly string[] = PROFILER === 'perf' ? ['--perf-basic-prof'] : [];

/** Forks a compiled bench script (dist/bench/NAME.js) and waits for its first message. */
export async function fork(script: string, args: string[] = [], env: Record<string, string> = {}): Promise<Child & { first: ChildMessage }> {
  const { fork: forkProcess } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const child = forkProcess(fileURLToPath(new URL(`./${script}.js`, import.meta.url)), args, {
    env: { PATH: process.env.PATH ?? '', ...env },
    // BENCH_PROFILE=dir writes a CPU profile of each child there.
    execArgv: ['--expose-gc', ...(script === 'serve' && (args[0] ?? 'gateway') === 'gateway' ? GATEWAY_NODE_FLAGS : []), ...(process.env.BENCH_NODE_FLAGS ? process.env.BENCH_NODE_FLAGS.split(' ') : []), ...PERF_NODE_FLAGS, ...(process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = () =>
    new Promise<ChildMessage>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`${script} exited with ${code}`));
      child.once('exit', onExit);
      child.once('message', (m: ChildMessage) => {
        child.off('exit', onExit);
        if (m && typeof m === 'object' && 'error' in m) reject(new Error(`${script}: ${String(m.error)}`));
        else resolve(m);
      });
    });
  const first = await next();
  return {
    first,
    url: `http://127.0.0.1:${first.port ?? 0}`,
    port: first.port ?? 0,
    pid: first.pid ?? child.pid ?? 0,
    ask: <T>(message: Record<string, unknown>) => {
      const reply = next() as Promise<T>;
      child.send(message);
      return reply;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      // A child that is already going away has closed its IPC channel before its exit event:
      // sending would throw (ERR_IPC_CHANNEL_CLOSED) and end the run, so wait for the exit instead.
      if (child.connected) child.send({ cmd: 'exit' }, (err) => err && child.kill('SIGKILL'));
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
      removePerfMap(child.pid);
    },
  };
}

/** With BENCH_PROFILER=perf, the map of a process's JavaScript names (`/tmp/perf-<pid>.map`, megabytes) once it has exited: Node leaves it. */
export function removePerfMap(pid: number | undefined): void {
  if (PROFILER === 'perf' && pid) rmSync(`/tmp/perf-${pid}.map`, { force: true });
}

/** The environment of a gateway child process (bench/serve.js gateway): production, silent, limits off. */
export function gatewayEnv(databaseUrl: string, dataDir: string, env: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'production',
    JWT_SECRET: 'bench-secret-that-is-long-enough-for-hs256',
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    // BENCH_GATEWAY_LOG_LEVEL=warn: the gateway's warnings and errors, to see why a request failed.
    LOG_LEVEL: process.env.BENCH_GATEWAY_LOG_LEVEL ?? 'silent',
    PORT: '0',
    LIVE_SWEEP_INTERVAL_MS: '3600000',
    RATE_LIMITS_ENABLED: 'false',
    // The grammar checker loads on first use: its start-up (seconds of CPU in the background) would fall on the first timed rounds.
    XEL_GRAMMAR_PRELOAD: 'false',
    ...env,
  };
}

/** A scratch database for child gateways: PostgreSQL when BENCH_DB=postgresql, else a SQLite file (shared by the children). */
export async function scratchDatabase(dataDir: string): Promise<{ url: string; drop(): Promise<void> }> {
  if (DB === 'postgresql') return createScratchDatabase(PG_ADMIN, 'xt_bench');
  return { url: `sqlite:${join(dataDir, 'bench.sqlite3')}`, drop: async () => undefined };
}

export const tempDir = () => mkdtempSync(join(tmpdir(), 'xt-bench-'));
export const removeDir = (dir: string) => rmSync(dir, { recursive: true, force: true });

/** A process's threads as src/common/threads.ts reads them (readThreads), by thread id. */
export type ThreadTimes = Map<string, ThreadReading>;

/** The threads of a process (this one by default), by thread id; empty where /proc is not there. */
export const threadTimes = (pid: number | 'self' = 'self'): ThreadTimes => new Map(readThreads(pid).map((t) => [t.tid, t]));

/**
 * µs by thread name between two readings of threadTimes: run time (`ns`, the default) or time
 * waited, runnable, for a core (`waitNs`). A thread that ended in between is not counted; one
 * started in between counts whole.
 */
export function threadCpuBetween(from: ThreadTimes, to: ThreadTimes, field: 'ns' | 'waitNs' = 'ns'): Record<string, number> {
  const by: Record<string, number> = {};
  for (const [tid, t] of to) by[t.name] = (by[t.name] ?? 0) + (t[field] - (from.get(tid)?.[field] ?? 0)) / 1000;
  return by;
}

/** What each thread role (src/common/threads.ts) is called in the benches' tables. */
const ROLE_LABELS: Record<ThreadRole, string> = {
  serving: 'the serving thread',
  reading: 'the reading threads',
  writing: 'the writing thread',
  passwords: 'the password hashing threads',
  grammar: "XEL's grammar checker thread",
  v8: "V8's helper threads (garbage collection, compiling)",
  libuv: "libuv's pool (file system, WAL flushes)",
  other: 'other threads',
};
export type ThreadGroup = ThreadRole;

/**
 * A server's CPU time by thread name (serve.ts cpu-stop's `threadsCpuUs`) summed by role into
 * `groups`, in that order. Empty without the figures (no /proc).
 */
export function threadGroups(byName: Record<string, number> | undefined, groups: ThreadGroup[]): { group: ThreadGroup; label: string; us: number }[] {
  const names = Object.keys(byName ?? {});
  if (!byName || !names.length) return [];
  return groups.map((group) => ({ group, label: ROLE_LABELS[group], us: names.filter((n) => roleOfThread(n) === group).reduce((t, k) => t + byName[k]!, 0) }));
}

/** Resident memory of a process, from /proc (bytes). */
export async function rssOf(pid: number): Promise<number> {
  const { readFileSync } = await import('node:fs');
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** A figure beside its reference measured in the same run, the ratio, and its target (`met` null: a report only). */
export interface TargetRow {
  /** The numbered target it belongs to, when the table numbers them. */
  n?: number;
  figure: string;
  value: string;
  reference: string;
  ratio: number | null;
  target: string;
  met: boolean | null;
}

/**
 * The rows of a suite's table of targets: `row` prints each as it is measured, `print` the
 * table at the end (with a `#` column when the rows are numbered) and empties it.
 */
export function targetTable(title: string): { row: (r: TargetRow) => void; print: () => void } {
  const rows: TargetRow[] = [];
  return {
    row: (r) => {
      rows.push(r);
      const met = r.met === null ? '' : r.met ? 'met' : 'NOT met';
      console.log(`  ${r.figure}: ${r.value} | ref ${r.reference} | ratio ${r.ratio === null ? '-' : r.ratio.toFixed(2)} | ${r.target} ${met}`);
    },
    print: () => {
      const numbered = rows.some((r) => r.n !== undefined);
      console.log(`\n${title}: each figure, its reference measured in the same run, the ratio, the target (load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(', ')})\n`);
      console.log(numbered ? '| # | figure | value | reference (same run) | ratio | target | |' : '| figure | value | reference (same run) | ratio | target | |');
      console.log(numbered ? '|---|---|---:|---:|---:|---|---|' : '|---|---:|---:|---:|---|---|');
      for (const r of rows) {
        const met = r.met === null ? '' : r.met ? 'met' : '**not met**';
        console.log(`| ${numbered ? `${r.n ?? ''} | ` : ''}${r.figure} | ${r.value} | ${r.reference} | ${r.ratio === null ? '' : r.ratio.toFixed(2)} | ${r.target} | ${met} |`);
      }
      rows.length = 0;
    },
  };
}
