import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { fork, gatewayEnv, PROFILER, removeDir, tempDir } from './lib.js';
import { printPerf, startPerf, summarizePerf } from './perf.js';

/**
 * Where an authenticated read's CPU time goes (issue 22): the gateway in a child process,
 * `GET /api/auth/me` and GraphQL `{ me }` under load, a V8 CPU profile of the timed window
 * only, and its self time by component (an npm package, a directory of the gateway, Node's
 * internals, garbage collection) in microseconds per request.
 *
 *   npm run bench -- profile                     SQLite; BENCH_FLOOR_DRIVERS=sqlite,postgresql for both
 *   BENCH_PROFILE_KEEP=dir npm run bench -- profile   keeps the .cpuprofile files there
 *   BENCH_PROFILER=perf npm run bench -- profile       CPU time from Linux perf instead (bench/perf.ts), every thread
 */

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const TOP = Number(process.env.BENCH_PROFILE_TOP ?? 16);

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The component a frame belongs to. */
export function componentOf(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame;
  if (!url) {
    if (functionName === '(garbage collector)') return 'garbage collection';
    if (functionName === '(idle)') return '(idle)';
    if (functionName === '(program)') return 'V8 / native (program)';
    return `native: ${functionName || '(anonymous)'}`;
  }
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  const own = /\/dist\/((?:src|bench|test)\/(?:modules\/[^/]+|[^/]+))/.exec(url);
  if (own) return `gateway ${own[1]!.replace(/\.js$/, '')}`;
  if (url.startsWith('node:')) return 'node internals';
  return url;
}

/** Self time by component, in microseconds per request, largest first. */
export function summarize(profile: CpuProfile, requests: number): { component: string; us: number; share: number }[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    const frame = byId.get(id)!.callFrame;
    // Idle time, and the profiler's own stop (sampled while it serializes), are not the requests'.
    if (frame.url === 'node:inspector' || frame.url.startsWith('node:inspector/')) return;
    const c = componentOf(frame);
    if (c === '(idle)') return;
    self.set(c, (self.get(c) ?? 0) + dt);
    total += dt;
  });
  return [...self.entries()].map(([component, us]) => ({ component, us: us / requests, share: us / total })).sort((a, b) => b.us - a.us);
}

export async function profileBench(): Promise<void> {
  const drivers = (process.env.BENCH_FLOOR_DRIVERS ?? 'sqlite').split(',');
  for (const driver of drivers) {
    const dir = process.env.BENCH_PROFILE_KEEP ?? tempDir();
    const { createScratchDatabase } = await import('../src/db/scratch.js');
    const db =
      driver === 'postgresql'
        ? await createScratchDatabase(process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres', 'xt_bench')
        : { url: `sqlite:${join(dir, `profile-${Date.now()}.sqlite3`)}`, drop: async () => undefined };
    // The grammar checker loads on first use: its start-up load (seconds, in the background) would be profiled too.
    const gw = await fork('serve', ['gateway'], gatewayEnv(db.url, dir, { XEL_GRAMMAR_PRELOAD: 'false' }));
    try {
      const json = { 'content-type': 'application/json' };
      await fetch(`${gw.url}/api/auth/register`, { method: 'POST', headers: json, body: JSON.stringify({ email: 'prof@example.com', username: 'prof', password: 'bench password' }) });
      const login = (await (await fetch(`${gw.url}/api/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ username: 'prof', password: 'bench password' }) })).json()) as { access_token: string };
      const auth = { authorization: `Bearer ${login.access_token}` };
      const targets = [
        { name: 'GET /api/auth/me', opts: { url: `${gw.url}/api/auth/me`, headers: auth } },
        { name: 'GraphQL { me }', opts: { url: `${gw.url}/graphql`, method: 'POST' as const, headers: { ...json, ...auth }, body: JSON.stringify({ query: '{ me { id email username fullName nickname preferredLanguage timezone avatarUrl plan createdAt updatedAt } }' }) } },
      ];
      for (const t of targets) {
        await autocannon({ ...t.opts, connections: CONNECTIONS, duration: 1 });
        if (PROFILER === 'perf') {
          const file = join(dir, `${driver}-${t.name.replace(/\W+/g, '_')}.perf.data`);
          await gw.ask({ cmd: 'cpu-start' });
          const recording = await startPerf(gw.pid, file);
          const r = await autocannon({ ...t.opts, connections: CONNECTIONS, duration: SECONDS });
          await recording.stop();
          const { cpuUs, requests } = await gw.ask<{ cpuUs: number; requests: number }>({ cmd: 'cpu-stop' });
          if (r.non2xx || r.errors) throw new Error(`${t.name}: ${r.non2xx} non-2xx, ${r.errors} errors`);
          printPerf(`Where ${t.name} spends its CPU on ${driver}: ${requests} requests, ${(cpuUs / requests).toFixed(0)} µs of CPU a request (process.cpuUsage)`, summarizePerf(file, requests), TOP);
          continue;
        }
        const file = join(dir, `${driver}-${t.name.replace(/\W+/g, '_')}.cpuprofile`);
        await gw.ask({ cmd: 'profile-start' });
        const r = await autocannon({ ...t.opts, connections: CONNECTIONS, duration: SECONDS });
        const { cpuUs, requests } = await gw.ask<{ cpuUs: number; requests: number }>({ cmd: 'profile-stop', file });
        if (r.non2xx || r.errors) throw new Error(`${t.name}: ${r.non2xx} non-2xx, ${r.errors} errors`);
        const rows = summarize(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, requests);
        const sampled = rows.reduce((a, b) => a + b.us, 0);
        console.log(`\nWhere ${t.name} spends its CPU on ${driver}: ${requests} requests, ${(cpuUs / requests).toFixed(0)} µs CPU per request (process.cpuUsage; profiled, so above the unprofiled figure), ${sampled.toFixed(0)} µs sampled on the main thread\n`);
        console.log('| component | µs per request (self) | share |');
        console.log('|---|---:|---:|');
        for (const row of rows.slice(0, TOP)) console.log(`| ${row.component} | ${row.us.toFixed(0)} | ${(row.share * 100).toFixed(1)}% |`);
        const rest = rows.slice(TOP);
        if (rest.length) console.log(`| ${rest.length} others | ${rest.reduce((a, b) => a + b.us, 0).toFixed(0)} | ${(rest.reduce((a, b) => a + b.share, 0) * 100).toFixed(1)}% |`);
      }
    } finally {
      await gw.stop();
      await db.drop();
      if (!process.env.BENCH_PROFILE_KEEP) removeDir(dir);
    }
  }
}
