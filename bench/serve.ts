/**
 * A server for the scale benchmarks, in a process of its own (so the load generator does
 * not share its event loop), driven by the parent over IPC. Modes:
 *
 *   gateway    the whole gateway (buildApp), configured by the environment
 *   raw-http   node:http answering every request with the bytes in BENCH_BODY_FILE
 *   jit-http   node:http executing the posted query with graphql-jit on the gateway's schema
 *   raw-ws     a `ws` server that broadcasts frames to every client
 *   login-floor  node:http answering logins (the gateway's password hasher, a jose token) and `GET /api/auth/me` (a fixed profile)
 *
 * IPC commands: publish (events on the gateway's bus, or frames on raw-ws), hash (raw
 * password-hash capacity), loop-start / loop-stop (the event loop's delay in between),
 * cpu-start / cpu-stop (this process's CPU time, each thread's by name and its waits for a core, and HTTP requests in between), profile-start /
 * profile-stop (a V8 CPU profile of the window, written to `file`), gc (collect,
 * then report resident memory, the heap's and external memory in use (external includes array buffers),
 * and its breakdown), memory-start / memory-stop (the breakdown
 * sampled every 50 ms in between: at the resident peak, and each part's own peak), exit.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Session } from 'node:inspector/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import { parse } from 'graphql';
import { WebSocketServer, type WebSocket } from 'ws';
import { buildApp, type App } from '../src/app.js';
import { createContext } from '../src/common/context.js';
import { PasswordHasher } from '../src/modules/auth/passwords.js';
import { AccessTokens } from '../src/modules/auth/tokens.js';
import { loadConfig } from '../src/config.js';
import { onStatement } from '../test/helpers/statements.js';
import { frameOf, stampedEvent } from './frames.js';
import { threadCpuBetween, threadTimes } from './lib.js';

const mode = process.argv[2] ?? 'gateway';
const send = (m: unknown) => process.send?.(m);

let app: App | null = null;
/** The login floor's password hasher (mode login-floor). */
let floorHasher: PasswordHasher | null = null;
let broadcast: ((frame: string) => void) | null = null;
let counting = false;
let hooked = false;
let statements = 0;
let loopDelay: ReturnType<typeof monitorEventLoopDelay> | null = null;
/** HTTP requests this process received, and the CPU time and count at cpu-start. */
let requests = 0;
let cpuFrom = process.cpuUsage();
let requestsFrom = 0;
/** Each thread's run and run-queue times at cpu-start (ns, by thread id), with its name. */
let threadsFrom = threadTimes();
let profiler: Session | null = null;
/** The memory sampler between memory-start and memory-stop. */
let memory: Sampler | null = null;
interface Sampler {
  timer: NodeJS.Timeout;
  atPeak: Breakdown | null;
  max: Breakdown | null;
  /** The threads' heaps as last reported, and whether a report is awaited. */
  threads: ThreadHeap[];
  asking: boolean;
}
const countRequests = (server: ReturnType<typeof createServer>) => server.on('request', () => requests++);

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => resolve(body));
  });
}

async function listen(server: ReturnType<typeof createServer>): Promise<number> {
  countRequests(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

async function main(): Promise<void> {
  let port = 0;
  if (mode === 'gateway' || mode === 'jit-http') {
    app = await buildApp(loadConfig(process.env));
  }
  if (mode === 'gateway') {
    countRequests(app!.server.server);
    await app!.server.listen({ host: '127.0.0.1', port: 0 });
    port = (app!.server.server.address() as AddressInfo).port;
  } else if (mode === 'raw-http') {
    const body = readFileSync(process.env.BENCH_BODY_FILE!);
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
        res.end(body);
      });
    });
    port = await listen(server);
  } else if (mode === 'jit-http') {
    // The same schema and resolvers, executed by graphql-jit with no server framework around them.
    const { schema, root } = app!;
    const compiled = new Map<string, CompiledQuery>();
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      void (async () => {
        const { query, variables } = JSON.parse(await readBody(req)) as { query: string; variables?: Record<string, unknown> };
        let c = compiled.get(query);
        if (!c) {
          const out = compileQuery(schema, parse(query));
          if (!isCompiledQuery(out)) throw new Error(JSON.stringify(out));
          compiled.set(query, (c = out));
        }
        const ctx = createContext(root, { requestId: 'jit', transport: 'graphql' });
        const result = await c.query(undefined, ctx, variables ?? {});
        const body = c.stringify(result);
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      })();
    });
    port = await listen(server);
  } else if (mode === 'login-floor') {
    // The floor of a login storm: what any server must do for a login (the password checked with
    // the gateway's own hasher, same cost, concurrency and priority; an access token signed by jose)
    // and for a read (`GET /api/auth/me`: a token's presence checked, a fixed profile), on node:http,
    // with nothing else: no database, no framework, no limits.
    const a = loadConfig(process.env).auth;
    floorHasher = new PasswordHasher(a.argon2MemoryKib, a.argon2Iterations, a.hashConcurrency, a.hashNice);
    const stored = await floorHasher.hash('bench password');
    const tokens = new AccessTokens(a.jwtSecret, a.issuer, a.audience, a.accessTokenTtlSeconds);
    const profile = JSON.stringify({ id: randomUUID(), email: 'stormy@example.com', username: 'stormy', full_name: null, nickname: null, preferred_language: 'en', timezone: 'UTC', avatar_url: null, plan: 'free', public_profile: false, created_at: new Date().toISOString(), updated_at: new Date().toISOString() });
    const answer = (res: ServerResponse, status: number, body: string) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      void (async () => {
        const body = await readBody(req);
        if (req.url === '/api/auth/me') return answer(res, req.headers.authorization?.startsWith('Bearer ') ? 200 : 401, profile);
        if (req.url === '/api/auth/register') return answer(res, 201, profile);
        const { password } = JSON.parse(body) as { password: string };
        if (!(await floorHasher!.verify(stored, password))) return answer(res, 401, '{"error":"invalid_credentials"}');
        const accessToken = await tokens.sign({ userId: randomUUID(), sessionId: randomUUID() });
        answer(res, 200, JSON.stringify({ access_token: accessToken, token_type: 'bearer', refresh_token: randomUUID(), expires_in: a.accessTokenTtlSeconds, user: JSON.parse(profile) as unknown }));
      })();
    });
    port = await listen(server);
  } else if (mode === 'raw-ws') {
    const http = createServer();
    const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
    const clients = new Set<WebSocket>();
    wss.on('connection', (ws) => {
      clients.add(ws);
      ws.on('close', () => clients.delete(ws));
      ws.on('message', () => undefined);
    });
    broadcast = (frame) => {
      for (const c of clients) c.send(frame);
    };
    port = await listen(http);
  }
  send({ ready: true, port, pid: process.pid });
}

/** A worker thread's heap, as last reported (the thread answers between its tasks' steps). */
interface ThreadHeap {
  used: number;
  total: number;
  external: number;
}

/**
 * Where this process's resident memory is (bytes): the main thread's V8 heap, the memory
 * outside it that V8 knows of (Buffers and ArrayBuffers), the worker threads' heaps (the
 * document readers: same process), and the rest (code, thread stacks, native allocations
 * such as SQLite's page cache, and what malloc holds freed but has not returned).
 */
export interface Breakdown {
  rss: number;
  /** Anonymous (heaps, malloc) and file-backed (code, shared libraries) parts of `rss`, from /proc. */
  rssAnon: number;
  rssFile: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  /** V8's own malloc'd memory outside the heap (the main thread). */
  malloced: number;
  threads: number;
  threadHeapUsed: number;
  threadHeapTotal: number;
  threadExternal: number;
  /** rss − the main heap − external − the threads' heaps and external. */
  other: number;
  /**
   * Resident in glibc malloc's heaps, from /proc/self/smaps: the main arena ([heap]) and the
   * threads' arenas (64 MB-aligned mappings). Buffers, external strings and native libraries
   * (SQLite, pg's parser) allocate there; what is freed stays resident until malloc trims it.
   * Only in `gc`'s answer (NaN in samples).
   */
  mallocHeaps: number;
}

const ARENA = 64 * 2 ** 20;

/** Resident bytes of malloc's heaps: [heap], and anonymous mappings on a 64 MB boundary followed by their reserved remainder (glibc's per-thread arenas). */
function mallocHeaps(): number {
  const maps: { start: number; end: number; perms: string; name: string; rss: number }[] = [];
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) maps.push({ start: parseInt(head[1]!, 16), end: parseInt(head[2]!, 16), perms: head[3]!, name: head[4]!, rss: 0 });
    else if (line.startsWith('Rss:') && maps.length) maps[maps.length - 1]!.rss = Number(/(\d+)/.exec(line)![1]) * 1024;
  }
  let total = 0;
  maps.forEach((m, i) => {
    if (m.name === '[heap]') total += m.rss;
    else if (!m.name && m.start % ARENA === 0 && m.end - m.start <= ARENA) {
      const rest = maps[i + 1];
      const whole = rest && rest.start === m.end && rest.perms.startsWith('---') && rest.end - m.start === ARENA;
      if (whole || m.end - m.start === ARENA) total += m.rss;
    }
  });
  return total;
}

/** The breakdown now; `smaps`: with malloc's heaps too (reading smaps takes milliseconds: not while sampling). */
function breakdown(threads: ThreadHeap[], smaps = false): Breakdown {
  const m = process.memoryUsage();
  const status = readFileSync('/proc/self/status', 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) * 1024;
  const threadHeapUsed = threads.reduce((a, t) => a + t.used, 0);
  const threadHeapTotal = threads.reduce((a, t) => a + t.total, 0);
  const threadExternal = threads.reduce((a, t) => a + t.external, 0);
  return {
    rss: m.rss,
    rssAnon: kb('RssAnon'),
    rssFile: kb('RssFile'),
    heapUsed: m.heapUsed,
    heapTotal: m.heapTotal,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
    malloced: getHeapStatistics().malloced_memory,
    threads: threads.length,
    threadHeapUsed,
    threadHeapTotal,
    threadExternal,
    other: m.rss - m.heapTotal - m.external - threadHeapTotal - threadExternal,
    mallocHeaps: smaps ? mallocHeaps() : NaN,
  };
}

async function threadHeaps(): Promise<ThreadHeap[]> {
  // The servers without the app (the modules alone, the anchors) have no threads of their own.
  if (!app) return [];
  const stats = await app.services.documentReaders.threadStats();
  return stats.map((s) => ({ used: s.heap.used_heap_size, total: s.heap.total_heap_size, external: s.heap.external_memory }));
}

/** The commands the bench sends this child (see `Child.ask`). */
type Command =
  | { cmd: 'publish'; count: number; sessionId: string; userId: string; intervalMs?: number }
  | { cmd: 'hash'; seconds: number; concurrency: number; unbounded?: boolean }
  | { cmd: 'profile-start' }
  | { cmd: 'profile-stop'; file: string }
  | { cmd: 'count-start' | 'count-stop' | 'memory-start' | 'memory-stop' | 'loop-start' | 'loop-stop' | 'cpu-start' | 'cpu-stop' | 'gc' | 'exit' };

async function onCommand(m: Command): Promise<void> {
  try {
    if (m.cmd === 'publish') {
      // count events, `intervalMs` apart (0: as fast as the loop allows, yielding between events).
      for (let i = 0; i < m.count; i++) {
        const e = stampedEvent(m.sessionId, m.userId, i);
        if (broadcast) broadcast(frameOf(e));
        else app!.services.events.publish('LIVE_EVENT', e);
        await new Promise((r) => (m.intervalMs ? setTimeout(r, m.intervalMs) : setImmediate(r)));
      }
      send({ published: m.count });
    } else if (m.cmd === 'hash') {
      // Raw capacity: verifications through the gateway's own hasher (same cost and concurrency bound), or argon2 unbounded.
      const argon2 = await import('@node-rs/argon2');
      const hasher = app ? app.services.auth.passwords : floorHasher!;
      const hash = await hasher.hash('bench password');
      const verify = m.unbounded ? () => argon2.verify(hash, 'bench password') : () => hasher.verify(hash, 'bench password');
      // Verifications still queued at the end finish after it: they count for the CPU per verify (done), not for the rate (inTime).
      let done = 0;
      let inTime = 0;
      const end = performance.now() + m.seconds * 1000;
      await Promise.all(
        Array.from({ length: m.concurrency }, async () => {
          while (performance.now() < end) {
            await verify();
            done++;
            if (performance.now() <= end) inTime++;
          }
        }),
      );
      send({ perSecond: inTime / m.seconds, done });
    } else if (m.cmd === 'count-start') {
      statements = 0;
      if (!hooked) onStatement(app!.orm, () => counting && statements++);
      hooked = true;
      counting = true;
      send({ counting: true });
    } else if (m.cmd === 'count-stop') {
      counting = false;
      send({ statements });
    } else if (m.cmd === 'loop-start') {
      // The event loop's delay in this process, sampled every 10 ms.
      loopDelay?.disable();
      loopDelay = monitorEventLoopDelay({ resolution: 10 });
      loopDelay.enable();
      send({ started: true });
    } else if (m.cmd === 'loop-stop') {
      loopDelay?.disable();
      send({ maxMs: (loopDelay?.max ?? 0) / 1e6, p99Ms: (loopDelay?.percentile(99) ?? 0) / 1e6 });
    } else if (m.cmd === 'profile-start') {
      profiler = new Session();
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.setSamplingInterval', { interval: 100 });
      await profiler.post('Profiler.start');
      cpuFrom = process.cpuUsage();
      threadsFrom = threadTimes();
      requestsFrom = requests;
      send({ started: true });
    } else if (m.cmd === 'profile-stop') {
      const { profile } = await profiler!.post('Profiler.stop');
      const d = process.cpuUsage(cpuFrom);
      profiler!.disconnect();
      writeFileSync(m.file, JSON.stringify(profile));
      send({ cpuUs: d.user + d.system, requests: requests - requestsFrom });
    } else if (m.cmd === 'cpu-start') {
      cpuFrom = process.cpuUsage();
      threadsFrom = threadTimes();
      requestsFrom = requests;
      send({ started: true });
    } else if (m.cmd === 'cpu-stop') {
      const d = process.cpuUsage(cpuFrom);
      const now = threadTimes();
      send({ cpuUs: d.user + d.system, threadsCpuUs: threadCpuBetween(threadsFrom, now), threadsWaitUs: threadCpuBetween(threadsFrom, now, 'waitNs'), requests: requests - requestsFrom });
    } else if (m.cmd === 'gc') {
      for (let i = 0; i < 3; i++) {
        (globalThis as { gc?: () => void }).gc?.();
        await new Promise((r) => setTimeout(r, 50));
      }
      const mu = process.memoryUsage();
      send({ rss: mu.rss, heap: mu.heapUsed + mu.external, breakdown: breakdown(await threadHeaps(), true) });
    } else if (m.cmd === 'memory-start') {
      if (memory) clearInterval(memory.timer);
      const sampler: Sampler = { timer: setInterval(() => sample(sampler), 50), atPeak: null, max: null, threads: [], asking: false };
      memory = sampler;
      send({ started: true });
    } else if (m.cmd === 'memory-stop') {
      if (memory) {
        clearInterval(memory.timer);
        sample(memory);
      }
      send({ atPeak: memory?.atPeak ?? null, max: memory?.max ?? null });
      memory = null;
    } else if (m.cmd === 'exit') {
      await app?.close();
      process.exit(0);
    }
  } catch (e) {
    send({ error: e instanceof Error ? e.message : String(e) });
  }
}

/** One sample: the breakdown now (with the threads' heaps as last reported), kept if it is the resident peak; each part's maximum. */
function sample(s: Sampler): void {
  const b = breakdown(s.threads);
  if (!s.atPeak || b.rss > s.atPeak.rss) s.atPeak = b;
  s.max = s.max ? (Object.fromEntries((Object.entries(b) as [keyof Breakdown, number][]).map(([k, v]) => [k, Math.max(v, s.max![k])])) as unknown as Breakdown) : b;
  // A busy thread answers between its steps: ask again only once it has.
  if (!s.asking) {
    s.asking = true;
    void threadHeaps()
      .then((t) => (s.threads = t))
      .finally(() => (s.asking = false));
  }
}

process.on('message', (m: Command) => void onCommand(m));

main().catch((e: unknown) => {
  send({ error: e instanceof Error ? e.stack : String(e) });
  process.exit(1);
});
