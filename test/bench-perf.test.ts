import { fork, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { componentOfSample, parsePerfScript, perfAvailable, startPerf, summarizePerf, summarizeSamples } from '../bench/perf.js';

/** `perf script -F comm,tid,ip,sym,dso` as perf prints it: a thread's line, then its frames, innermost first. */
const SCRIPT = `MainThread 101
\t ffffffff81e0 _raw_spin_unlock_irqrestore ([kernel.kallsyms])
\t ffffffff81a0 tcp_sendmsg ([kernel.kallsyms])
\t 11a2f0 __GI___libc_write (/usr/lib/x86_64-linux-gnu/libc.so.6)
\t 5a1f00 node::StreamBase::WriteString<(node::encoding)1> (/usr/bin/node)
\t 7f00aa JS:*'writeGeneric node:internal/stream_base_commons:145:22 (/tmp/perf-101.map)
\t 7f00bb JS:*'end node:_http_outgoing:1143:45 (/tmp/perf-101.map)

MainThread 101
\t 9c2b10 v8::internal::ScavengerCollector::CollectGarbage (/usr/bin/node)
\t 163593 Builtins_AllocateInYoungGeneration (/usr/bin/node)
\t 7f00cc JS:+'create file:///srv/app/node_modules/@mikro-orm/core/entity/EntityFactory.js:31:9 (/tmp/perf-101.map)

MainThread 101
\t 15de7d sqlite3VdbeExec (/srv/app/node_modules/better-sqlite3/prebuilds/linux-x64.node)
\t 1c0010 Statement::JS_get (/srv/app/node_modules/better-sqlite3/prebuilds/linux-x64.node)
\t 7f00dd JS:^read file:///srv/app/dist/src/db/prepared.js:29:22 (/tmp/perf-101.map)

MainThread 101
\t 160000 Builtins_LoadIC (/usr/bin/node)
\t 7f00ee JS:^Reply.send /srv/app/node_modules/fastify/lib/reply.js:156:33 (/tmp/perf-101.map)

MainThread 101
\t ffffffff8200 do_fcntl ([kernel.kallsyms])
\t fcf60 __fcntl64_nocancel_adjusted (/usr/lib/x86_64-linux-gnu/libc.so.6)
\t bd682 walTryBeginRead (/srv/app/node_modules/better-sqlite3/prebuilds/linux-x64.node)
\t 7f00dd JS:^read file:///srv/app/dist/src/db/prepared.js:29:22 (/tmp/perf-101.map)

MainThread 101
\t ffffffff8300 asm_exc_page_fault ([kernel.kallsyms])
\t 7f00ff JS:*compare file:///srv/app/node_modules/pdfjs-dist/legacy/build/pdf.worker.mjs:37081:37 (/tmp/perf-101.map)

xt-doc-read 105
\t 7f00ff JS:*compare file:///srv/app/node_modules/pdfjs-dist/legacy/build/pdf.worker.mjs:37081:37 (/tmp/perf-101.map)

V8Worker 103
\t 9c3000 v8::internal::ConcurrentMarking::RunMajor (/usr/bin/node)

node main loop 107
\t 162278 uv__io_poll (/usr/bin/node)
`;

describe('perf profiles (bench/perf.ts)', () => {
  const samples = parsePerfScript(SCRIPT);

  it('reads every sample with its thread and its frames, innermost first', () => {
    expect(samples.map((s) => s.thread)).toEqual(['MainThread', 'MainThread', 'MainThread', 'MainThread', 'MainThread', 'MainThread', 'xt-doc-read', 'V8Worker', 'node main loop']);
    expect(samples[0]!.frames).toHaveLength(6);
    expect(samples[0]!.frames[2]).toEqual({ symbol: '__GI___libc_write', dso: '/usr/lib/x86_64-linux-gnu/libc.so.6' });
  });

  it('gives each sample to one component: the kernel by system call and caller, the collector, an add-on, else the nearest JavaScript', () => {
    expect(samples.map((s) => componentOfSample(s.frames))).toEqual([
      'kernel: write, for node: streams and sockets',
      'garbage collection',
      'native: better-sqlite3',
      'fastify',
      'kernel: fcntl (file locks), for better-sqlite3',
      'kernel: page faults and interrupts, for pdfjs-dist',
      'pdfjs-dist',
      'garbage collection',
      'native: uv__io_poll',
    ]);
  });

  it('sums samples into CPU time per operation, by thread role and by component of one role', () => {
    // 9 samples at 1000 Hz over 2 operations: 500 µs each per operation.
    const s = summarizeSamples(samples, 2, 'serving', 1000);
    expect(s.totalUs).toBe(4500);
    expect(s.byRole).toEqual([
      { role: 'serving', us: 3000 },
      { role: 'reading', us: 500 },
      { role: 'v8', us: 500 },
      { role: 'other', us: 500 },
    ]);
    expect(s.components[0]).toEqual({ component: 'kernel: write, for node: streams and sockets', us: 500, share: 1 / 6 });
    expect(s.components.reduce((a, c) => a + c.us, 0)).toBe(3000);
    expect(summarizeSamples(samples, 2, 'reading', 1000).components).toEqual([{ component: 'pdfjs-dist', us: 500, share: 1 }]);
  });
});

describe.skipIf(!perfAvailable())('recording a process with perf', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xt-perf-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('records a running process between start and stop, its JavaScript named', async () => {
    // A child that burns CPU in a named function and reports how many rounds it has run.
    const script = join(dir, 'busy.cjs');
    writeFileSync(script, `function busyRound() { let x = 0; for (let i = 0; i < 2e6; i++) x += Math.sqrt(i); return x; }
let rounds = 0; process.on('message', () => process.send(rounds));
(function loop() { busyRound(); rounds++; setImmediate(loop); })();`);
    const child = fork(script, [], { execArgv: ['--perf-basic-prof'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const rounds = () => new Promise<number>((resolve) => { child.once('message', (n) => resolve(n as number)); child.send('rounds'); });
    try {
      // Once it has run (and optimized) its function, record while it runs 20 more rounds.
      while ((await rounds()) < 20);
      const file = join(dir, 'busy.perf.data');
      const recording = await startPerf(child.pid!, file);
      const from = await rounds();
      while ((await rounds()) < from + 20);
      await recording.stop();
      const s = summarizePerf(file, 1);
      expect(s.byRole.find((r) => r.role === 'serving')!.us).toBeGreaterThan(0);
      expect(s.components[0]!.component).toBe(script);
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill();
      await exited;
      // Node leaves the map of the child's JavaScript names behind.
      rmSync(`/tmp/perf-${child.pid}.map`, { force: true });
    }
  });

  it('fails, without waiting forever, when perf cannot attach to the process', async () => {
    // A process that has exited: perf record ends at once, before it opens its control FIFOs.
    const gone = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    await new Promise((resolve) => gone.once('exit', resolve));
    await expect(startPerf(gone.pid!, join(dir, 'gone.perf.data'))).rejects.toThrow(/perf record could not begin/);
  });
});
