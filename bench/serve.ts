/**
 * A server for the scale benchmarks, in a process of its own (so the load generator does
 * not share its event loop), driven by the parent over IPC. Modes:
 *
 *   gateway    the whole gateway (buildApp), configured by the environment
 *   raw-http   node:http answering every request with the bytes in BENCH_BODY_FILE
 *   jit-http   node:http executing the posted query with graphql-jit on the gateway's schema
 *   raw-ws     a `ws` server that broadcasts frames to every client
 *
 * IPC commands: publish (events on the gateway's bus, or frames on raw-ws), hash (raw
 * password-hash capacity), loop-start / loop-stop (the event loop's delay in between),
 * cpu-start / cpu-stop (this process's CPU time and HTTP requests in between), profile-start /
 * profile-stop (a V8 CPU profile of the window, written to `file`), gc (collect,
 * then report resident memory, and the heap's and external memory in use (external includes array buffers)), exit.
 */
import 'reflect-metadata';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Session } from 'node:inspector/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import { parse } from 'graphql';
import { WebSocketServer, type WebSocket } from 'ws';
import { buildApp, type App } from '../src/app.js';
import { createContext } from '../src/common/context.js';
import { loadConfig } from '../src/config.js';
import { onStatement } from '../test/helpers/statements.js';
import { frameOf, stampedEvent } from './frames.js';

const mode = process.argv[2] ?? 'gateway';
const send = (m: unknown) => process.send?.(m);

let app: App | null = null;
let broadcast: ((frame: string) => void) | null = null;
let counting = false;
let hooked = false;
let statements = 0;
let loopDelay: ReturnType<typeof monitorEventLoopDelay> | null = null;
/** HTTP requests this process received, and the CPU time and count at cpu-start. */
let requests = 0;
let cpuFrom = process.cpuUsage();
let requestsFrom = 0;
let profiler: Session | null = null;
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

/** The commands the bench sends this child (see `Child.ask`). */
type Command =
  | { cmd: 'publish'; count: number; sessionId: string; userId: string; intervalMs?: number }
  | { cmd: 'hash'; seconds: number; concurrency: number; unbounded?: boolean }
  | { cmd: 'profile-start' }
  | { cmd: 'profile-stop'; file: string }
  | { cmd: 'count-start' | 'count-stop' | 'loop-start' | 'loop-stop' | 'cpu-start' | 'cpu-stop' | 'gc' | 'exit' };

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
      const hasher = app!.services.auth.passwords;
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
      requestsFrom = requests;
      send({ started: true });
    } else if (m.cmd === 'cpu-stop') {
      const d = process.cpuUsage(cpuFrom);
      send({ cpuUs: d.user + d.system, requests: requests - requestsFrom });
    } else if (m.cmd === 'gc') {
      for (let i = 0; i < 3; i++) {
        (globalThis as { gc?: () => void }).gc?.();
        await new Promise((r) => setTimeout(r, 50));
      }
      const m = process.memoryUsage();
      send({ rss: m.rss, heap: m.heapUsed + m.external });
    } else if (m.cmd === 'exit') {
      await app?.close();
      process.exit(0);
    }
  } catch (e) {
    send({ error: e instanceof Error ? e.message : String(e) });
  }
}

process.on('message', (m: Command) => void onCommand(m));

main().catch((e: unknown) => {
  send({ error: e instanceof Error ? e.stack : String(e) });
  process.exit(1);
});
