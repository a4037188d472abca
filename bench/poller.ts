/**
 * GET /healthz one request after another (lib.ts pollHealth), in a process of its own, driven over
 * IPC: `start` (with the gateway's `url`), `stop` (answers the latencies, ms, and this process's
 * own event-loop delay, max ms, in between), `exit`. The jobs-load bench polls from here, so that
 * a slow answer it reads is the gateway's, not the congestion of the process that sends the
 * uploads (100 MB of them, encoded and written on its own event loop).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pollHealth } from './lib.js';

const send = (m: unknown) => process.send?.(m);
let stop: (() => Promise<number[]>) | null = null;
let loop: ReturnType<typeof monitorEventLoopDelay> | null = null;

process.on('message', (m: { cmd: string; url?: string }) => {
  void (async () => {
    if (m.cmd === 'start' && m.url) {
      loop = monitorEventLoopDelay({ resolution: 10 });
      loop.enable();
      stop = pollHealth(m.url);
      send({ started: true });
    } else if (m.cmd === 'stop' && stop) {
      const latencies = await stop();
      loop?.disable();
      send({ latencies, loopMaxMs: (loop?.max ?? 0) / 1e6 });
      stop = null;
    } else if (m.cmd === 'exit') {
      process.exit(0);
    } else {
      send({ error: `poller: unexpected ${JSON.stringify(m)}` });
    }
  })().catch((e: unknown) => send({ error: e instanceof Error ? e.message : String(e) }));
});
send({ pid: process.pid });
