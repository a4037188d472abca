import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { freePort } from '../test/helpers/process.js';
import { printPerfDifference, startPerf, summarizePerf } from './perf.js';
import { DB, fork, GATEWAY_NODE_FLAGS, gatewayEnv, PERF_NODE_FLAGS, percentile, PROFILER, removeDir, removePerfMap, scratchDatabase, spread, tempDir, threadCpuBetween, threadGroups, threadTimes, userToken, type ThreadGroup } from './lib.js';

/**
 * The cost of tracing (issue 22): an authenticated read (REST `GET /api/auth/me` and GraphQL
 * `{ me }`) on two gateway processes started as `npm start` starts them (dist/src/main.js,
 * each with a database of its own), one with tracing off and one tracing at 10%
 * (OTEL_TRACES_SAMPLER=parentbased_traceidratio, OTEL_TRACES_SAMPLER_ARG=0.1) and exporting
 * to a local OTLP/HTTP receiver in this process. Rounds alternate between the two so that
 * load from elsewhere falls on both alike; the ratio (traced ÷ off) is taken round by round.
 * Beside it, each server's own CPU time per request (from /proc), steadier on a shared machine.
 * Target: ≥ 0.9 (tracing costs at most 10% of throughput).
 *
 *   npm run bench -- tracing     (BENCH_SECONDS, BENCH_CONNECTIONS, BENCH_ROUNDS, BENCH_PROFILE as for the scale suite;
 *                                 BENCH_TRACING_RATIO another sampling ratio; BENCH_TRACING_AA=1 both processes untraced;
 *                                 BENCH_PROFILER=perf what tracing adds by component, from Linux perf: bench/perf.ts)
 */

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const RATIO = Number(process.env.BENCH_TRACING_RATIO ?? 0.1);
// BENCH_TRACING_AA=1: both processes untraced, to see what the bench reads between two like processes.
const AA = process.env.BENCH_TRACING_AA === '1';

interface Proc {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** dist/src/main.js with `env`, once /healthz answers. */
async function startMain(env: Record<string, string>): Promise<Proc> {
  const port = await freePort();
  // BENCH_PROFILE=dir writes a CPU profile of each gateway there (when it exits).
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  const child = spawn(process.execPath, [...GATEWAY_NODE_FLAGS, ...PERF_NODE_FLAGS, ...profile, 'dist/src/main.js'], { env: { PATH: process.env.PATH ?? '', ...env, PORT: String(port), HOST: '127.0.0.1' }, stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the gateway exited with ${child.exitCode}`);
    if (await fetch(`${url}/healthz`).then((r) => r.ok, () => false)) break;
    if (Date.now() > deadline) throw new Error('the gateway did not start');
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    child,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      removePerfMap(child.pid);
    },
  };
}

/** An OTLP/HTTP receiver that answers at once and counts what it was sent (spans, by counting span ids in the JSON). */
async function receiver(): Promise<{ url: string; spans: () => number; close(): Promise<void> }> {
  let spans = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      spans += Buffer.concat(chunks).toString('utf8').split('"spanId"').length - 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, spans: () => spans, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** A process's CPU time so far (user + system, µs), from /proc: steadier than req/s on a shared machine. */
function cpuUs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of stat (12 and 13 after the command name), in clock ticks (100 per second).
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

/** Requests each server answered in the timed windows, by its pid (to read a profile per request). */
const answered = new Map<number, number>();

/** Requests per second, and the server's CPU microseconds per request over the same window, all threads and by thread (where /proc says). */
async function rate(opts: autocannon.Options, seconds: number, pid: number): Promise<{ rps: number; cpu: number; threads: Record<string, number> }> {
  const before = cpuUs(pid);
  const threadsBefore = threadTimes(pid);
  const r = await autocannon({ connections: CONNECTIONS, duration: seconds, ...opts });
  const threads = threadCpuBetween(threadsBefore, threadTimes(pid));
  answered.set(pid, (answered.get(pid) ?? 0) + r.requests.total);
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${opts.url}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  const n = Math.max(1, r.requests.total);
  return { rps: r.requests.average, cpu: (cpuUs(pid) - before) / n, threads: Object.fromEntries(Object.entries(threads).map(([k, us]) => [k, us / n])) };
}

/** What tracing adds a request by thread group (µs, traced − off, medians of the rounds), as one line; empty without /proc. */
function addedByThread(off: Record<string, number>[], on: Record<string, number>[]): string {
  const groups: ThreadGroup[] = ['serving', 'v8', 'libuv', 'other'];
  const [offRounds, onRounds] = [off, on].map((rounds) => rounds.map((t) => threadGroups(t, groups)));
  const median = (rounds: { us: number }[][], i: number) => percentile(rounds.map((r) => r[i]?.us ?? 0), 50);
  return (offRounds![0] ?? [])
    .map(({ label }, i) => {
      const [a, b] = [median(offRounds!, i), median(onRounds!, i)];
      return `${label} ${(b - a).toFixed(1)} (${b.toFixed(1)} against ${a.toFixed(1)})`;
    })
    .join('; ');
}

/**
 * ROUNDS alternating rounds against two servers (untraced first, traced second), after a second
 * of warm-up each: requests per second, CPU per request, and their ratios round by round.
 */
async function alternate(targets: [autocannon.Options, autocannon.Options], pids: number[]) {
  for (const [i, t] of targets.entries()) await rate(t, 1, pids[i]!);
  const offRates: number[] = [];
  const onRates: number[] = [];
  const ratios: number[] = [];
  const offCpu: number[] = [];
  const onCpu: number[] = [];
  const cpuRatios: number[] = [];
  const offThreads: Record<string, number>[] = [];
  const onThreads: Record<string, number>[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // Which goes first alternates too.
    const order = round % 2 ? [1, 0] : [0, 1];
    const r: { rps: number; cpu: number; threads: Record<string, number> }[] = [];
    for (const i of order) r[i] = await rate(targets[i]!, Math.max(2, Math.round(SECONDS / 2)), pids[i]!);
    offRates.push(r[0]!.rps);
    onRates.push(r[1]!.rps);
    ratios.push(r[1]!.rps / r[0]!.rps);
    offCpu.push(r[0]!.cpu);
    onCpu.push(r[1]!.cpu);
    offThreads.push(r[0]!.threads);
    onThreads.push(r[1]!.threads);
    // Off ÷ traced: the share of throughput left when CPU is the limit.
    cpuRatios.push(r[0]!.cpu / r[1]!.cpu);
  }
  return { offRates, onRates, ratios, offCpu, onCpu, cpuRatios, offThreads, onThreads };
}


export async function tracingBench(): Promise<void> {
  if (AA) console.log('\nBENCH_TRACING_AA=1: the "traced" process is untraced too');
  console.log(`\nTracing cost: authenticated reads, tracing at ${RATIO * 100}% sampling (OTLP/HTTP to a local receiver) vs tracing off, ${DB}, ${ROUNDS} alternating rounds of ${Math.max(2, Math.round(SECONDS / 2))} s, ${CONNECTIONS} connections`);
  const otlp = await receiver();
  const dirs = [tempDir(), tempDir()];
  const dbs = await Promise.all(dirs.map((d) => scratchDatabase(d)));
  const env = (i: number) => ({ ...gatewayEnv(dbs[i]!.url, dirs[i]!), LOG_LEVEL: 'warn', XEL_GRAMMAR_PRELOAD: 'false' });
  const off = await startMain(env(0));
  const on = await startMain(AA ? env(1) : { ...env(1), OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: String(RATIO) });
  try {
    const targets = await Promise.all(
      [off, on].map(async (p) => {
        const auth = { authorization: `Bearer ${await userToken(p.url)}` };
        return {
          rest: { url: `${p.url}/api/auth/me`, headers: auth },
          graphql: { url: `${p.url}/graphql`, method: 'POST' as const, headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ me { id username } }' }) },
        };
      }),
    );
    const pids = [off.child.pid!, on.child.pid!];
    /** The gateway's added CPU a request, by door (traced − off, median of the rounds). */
    const added: Record<string, number> = {};
    for (const door of ['rest', 'graphql'] as const) {
      const spansBefore = otlp.spans();
      // BENCH_PROFILER=perf: both processes recorded over the door's rounds (warm-up included), for what tracing adds by component.
      const answeredBefore = pids.map((p) => answered.get(p) ?? 0);
      const perfFiles = pids.map((p) => join(tmpdir(), `xt-tracing-${door}-${p}.perf.data`));
      const recordings = PROFILER === 'perf' ? await Promise.all(pids.map((p, i) => startPerf(p, perfFiles[i]!))) : [];
      const { offRates, onRates, ratios, offCpu, onCpu, cpuRatios, offThreads, onThreads } = await alternate([targets[0]![door], targets[1]![door]], pids);
      let perf: ReturnType<typeof summarizePerf>[] | null = null;
      if (recordings.length) {
        await Promise.all(recordings.map((r) => r.stop()));
        perf = pids.map((p, i) => summarizePerf(perfFiles[i]!, (answered.get(p) ?? 0) - answeredBefore[i]!));
        for (const f of perfFiles) rmSync(f, { force: true });
      }
      added[door] = percentile(onCpu, 50) - percentile(offCpu, 50);
      const ratio = percentile(ratios, 50);
      const cpuRatio = percentile(cpuRatios, 50);
      const name = door === 'rest' ? 'GET /api/auth/me' : 'GraphQL { me }';
      console.log(
        `  ${name}: traced ${spread(onRates)} req/s | off ${spread(offRates)} req/s | ratio ${spread(ratios, 2)} | target ≥ 0.90 ${ratio >= 0.9 ? 'met' : 'NOT met'} | spans received meanwhile: ${otlp.spans() - spansBefore}`,
      );
      console.log(
        `  ${name}, server CPU per request: traced ${spread(onCpu)} µs | off ${spread(offCpu)} µs | ratio (off ÷ traced) ${spread(cpuRatios, 2)} | target ≥ 0.90 ${cpuRatio >= 0.9 ? 'met' : 'NOT met'}`,
      );
      const byThread = addedByThread(offThreads, onThreads);
      if (byThread) console.log(`  ${name}, what tracing adds a request by thread, µs of CPU (traced against off): ${byThread}`);
      if (perf) printPerfDifference(`${name}, what tracing adds a request by component, off → traced`, perf[0]!, perf[1]!);
    }
    // The floor of tracing the same read: the minimal server (bench/anchor.ts) answering the same
    // bytes from the same databases, untraced and traced at the same ratio with the gateway's SDK
    // set-up, its spans written by hand (HTTP server span, operation, one per statement).
    if (!AA) {
      const anchorEnv = (i: number) => ({ DATABASE_URL: dbs[i]!.url, JWT_SECRET: (env(i) as Record<string, string>).JWT_SECRET!, DB_POOL_MAX: '10' });
      const anchors = [await fork('anchor', [DB === 'sqlite' ? 'sqlite' : 'pg'], anchorEnv(0)), await fork('anchor', [DB === 'sqlite' ? 'sqlite' : 'pg'], { ...anchorEnv(1), OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_TRACES_SAMPLER_ARG: String(RATIO) })];
      try {
        const spansBefore = otlp.spans();
        const floor = await alternate(
          anchors.map((a, i) => ({ url: `${a.url}/api/auth/me`, headers: targets[i]!.rest.headers })) as [autocannon.Options, autocannon.Options],
          anchors.map((a) => a.pid),
        );
        const floorAdded = percentile(floor.onCpu, 50) - percentile(floor.offCpu, 50);
        console.log(
          `  the floor (bench/anchor.ts, the same spans: HTTP, operation, statements), GET /api/auth/me: traced ${spread(floor.onRates)} req/s | off ${spread(floor.offRates)} req/s | ratio ${spread(floor.ratios, 2)} | spans received meanwhile: ${otlp.spans() - spansBefore}`,
        );
        console.log(
          `  the floor, server CPU per request: traced ${spread(floor.onCpu)} µs | off ${spread(floor.offCpu)} µs | ratio (off ÷ traced) ${spread(floor.cpuRatios, 2)} | tracing adds ${floorAdded.toFixed(1)} µs a request`,
        );
        const floorByThread = addedByThread(floor.offThreads, floor.onThreads);
        if (floorByThread) console.log(`  the floor, what tracing adds a request by thread, µs of CPU: ${floorByThread}`);
        console.log(
          `  what tracing adds a request, µs of CPU: gateway REST ${added.rest!.toFixed(1)}, GraphQL ${added.graphql!.toFixed(1)} | the floor ${floorAdded.toFixed(1)} | gateway ÷ floor: REST ${(added.rest! / floorAdded).toFixed(2)}, GraphQL ${(added.graphql! / floorAdded).toFixed(2)}`,
        );
      } finally {
        await Promise.all(anchors.map((a) => a.stop()));
      }
    }
    // (To read a profile per request: BENCH_PROFILE writes each process's whole life.)
    if (process.env.BENCH_PROFILE) console.log(`  requests answered: off (pid ${off.child.pid}) ${answered.get(off.child.pid!)}, traced (pid ${on.child.pid}) ${answered.get(on.child.pid!)}`);
  } finally {
    await Promise.all([off.stop(), on.stop()]);
    await otlp.close();
    await Promise.all(dbs.map((d) => d.drop()));
    for (const d of dirs) removeDir(d);
  }
  console.log(`  load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(', ')}`);
}
