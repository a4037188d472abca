import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, constants, existsSync, mkdtempSync, open, openSync, read, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { roleOfThread, type ThreadRole } from '../src/common/threads.js';
import { componentOf } from './profile.js';

/**
 * CPU profiles from Linux `perf` (BENCH_PROFILER=perf): where a server's CPU time goes, per
 * operation, by thread and by component.
 *
 * V8's profiler (the benches' other profiler) samples wall time on the main thread: time the
 * thread spent off its core (preempted by the load generator, by a thread it has just woken)
 * lands on whatever function was running, and the profiler's own work is on the same thread.
 * On a loaded 2-core machine that moved whole figures: WebCrypto's HMAC read 177 µs a login
 * (the serving thread preempted by the pool thread it woke), 20 µs of CPU measured alone.
 * `perf record` samples CPU time only (a thread is sampled while it runs), every thread of the
 * process at once, kernel included, at 999 Hz (under 1% of a core); the process is started with
 * `--perf-basic-prof` (PERF_NODE_FLAGS in bench/lib.ts) so that JavaScript frames carry their
 * function and file. Each sample is given to one component:
 *
 * - the kernel, by the system call that entered it and who made it (`kernel: write, for node:
 *   streams and sockets` is a socket write's own cost, TCP on loopback and waking the reader
 *   included; `kernel: fcntl (file locks), for better-sqlite3` SQLite's locks), or page faults
 *   and interrupts when it was entered from anywhere but a system call;
 * - garbage collection, when V8's collector is running (whatever JavaScript caused it);
 * - a native add-on by its package (`native: better-sqlite3`), when its code is running;
 * - otherwise the nearest JavaScript frame's component, as for V8's profiles (an npm package, a
 *   directory of the gateway), Node's internals by area (`node: HTTP`): V8's builtins and runtime
 *   count for the function that called them;
 * - a frame without JavaScript above it: `native: <symbol>` (libuv's loop, Node's C++).
 *
 * Recording needs `perf` on the PATH and permission to trace the process (root, or
 * kernel.perf_event_paranoid ≤ 1); without them `startPerf` fails and says so.
 */

/** How often perf samples each thread (Hz). */
const HZ = 999;

/** One recording of a process, started and stopped exactly (perf's control FIFO acknowledges each). */
export interface PerfRecording {
  /** Stops sampling and waits for perf to write its file. */
  stop(): Promise<string>;
}

let available: boolean | null = null;

/** Whether `perf record` can sample a process here (it is installed and allowed). */
export function perfAvailable(): boolean {
  if (available === null) {
    const probe = spawnSync('perf', ['record', '-q', '-F', String(HZ), '-o', '/dev/null', '--', 'true'], { stdio: 'ignore', timeout: 30_000 });
    available = probe.status === 0;
  }
  return available;
}

/**
 * Starts sampling every thread of `pid` into `file`, call stacks included, and resolves once
 * perf has begun (its control FIFO acknowledged `enable`); fails when perf cannot be used here.
 */
export async function startPerf(pid: number, file: string): Promise<PerfRecording> {
  if (!perfAvailable()) throw new Error('BENCH_PROFILER=perf: perf cannot record here (not installed, or not allowed: kernel.perf_event_paranoid)');
  const dir = mkdtempSync(join(tmpdir(), 'xt-perf-'));
  const ctl = join(dir, 'ctl');
  const ack = join(dir, 'ack');
  if (spawnSync('mkfifo', [ctl, ack]).status !== 0) throw new Error('mkfifo failed');
  // -D -1: events start disabled until `enable` arrives on the control FIFO.
  const perf: ChildProcess = spawn('perf', ['record', '-q', '-F', String(HZ), '-g', '-D', '-1', `--control=fifo:${ctl},${ack}`, '-p', String(pid), '-o', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  perf.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => perf.once('exit', (code) => resolve(code)));
  // Opening a FIFO blocks until the other side opens it: perf opens both as it starts. If perf
  // ends first (no such process, not allowed), the two opens are released from this side.
  const opening = Promise.all([openFifo(ctl, 'w'), openFifo(ack, 'r')]);
  let ctlFd: number;
  let ackFd: number;
  try {
    [ctlFd, ackFd] = await Promise.race([opening, exited.then((code) => Promise.reject(new Error(`perf record could not begin (it ended with ${code}): ${stderr.trim()}`)))]);
  } catch (e) {
    const counterparts = [openSync(ctl, constants.O_RDONLY | constants.O_NONBLOCK), openSync(ack, constants.O_WRONLY | constants.O_NONBLOCK)];
    for (const fd of [...(await opening), ...counterparts]) closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const command = async (c: string) => {
    writeSync(ctlFd, `${c}\n`);
    await readAck(ackFd);
  };
  try {
    await command('enable');
  } catch (e) {
    // perf opened its FIFOs, then ended (the process is gone, or cannot be traced) without acknowledging.
    closeSync(ctlFd);
    closeSync(ackFd);
    perf.kill('SIGKILL');
    const code = await exited;
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`perf record could not begin (it ended with ${code}): ${stderr.trim() || (e as Error).message}`, { cause: e });
  }
  return {
    async stop() {
      await command('disable');
      closeSync(ctlFd);
      closeSync(ackFd);
      perf.kill('SIGINT');
      const code = await exited;
      rmSync(dir, { recursive: true, force: true });
      if (code !== 0 && !existsSync(file)) throw new Error(`perf record exited with ${code}: ${stderr.trim()}`);
      return file;
    },
  };
}

/** Opens a FIFO without holding the event loop (the open blocks until the other end opens it). */
function openFifo(path: string, flags: 'r' | 'w'): Promise<number> {
  return new Promise((resolve, reject) => open(path, flags, (e, fd) => (e ? reject(e) : resolve(fd))));
}

/** Reads perf's `ack\n` (on the thread pool: the read blocks until perf writes it). */
function readAck(fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const buf = Buffer.alloc(16);
    read(fd, buf, 0, buf.length, null, (e, n) => {
      if (e) return reject(e);
      const text = buf.subarray(0, n).toString();
      if (!text.startsWith('ack')) return reject(new Error(`perf answered ${JSON.stringify(text)} on its control FIFO`));
      resolve();
    });
  });
}

/** One sample: the thread's name and its call stack, innermost frame first. */
export interface PerfSample {
  thread: string;
  frames: { symbol: string; dso: string }[];
}

/** The samples of `perf script -F comm,tid,ip,sym,dso` output. */
export function parsePerfScript(text: string): PerfSample[] {
  const samples: PerfSample[] = [];
  let current: PerfSample | null = null;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    if (!/^\s/.test(line)) {
      // "<comm> <tid>": a thread's name may hold spaces.
      const head = /^(.*?)\s+\d+\s*$/.exec(line);
      current = { thread: (head?.[1] ?? line).trim(), frames: [] };
      samples.push(current);
      continue;
    }
    // "\t<ip> <symbol> (<dso>)"
    const frame = /^\s*[0-9a-f]+\s+(.*?)\s+\(([^()]*)\)\s*$/.exec(line);
    if (frame && current) current.frames.push({ symbol: frame[1]!, dso: frame[2]! });
  }
  return samples;
}

/** V8's collector at work (scavenges, marking, sweeping, compaction), by its C++ symbols. */
const GC_SYMBOL = /v8::internal::(?:Scaveng|Heap::|MarkCompact|MarkingVisitor|ConcurrentMarking|Sweeper|MinorMarkSweep|IncrementalMarking|Evacuat|GCTracer|MemoryAllocator|PagedSpace|MainMarkingVisitor|LocalHeap)/;
/** A JavaScript frame named by --perf-basic-prof: `JS:<tier><name> <url>:<line>:<col>`. */
const JS_FRAME = /^JS:\S?\s?.*?\s((?:file:\/\/)?\/\S+?|node:\S+?):\d+:\d+$/;
/** The libc wrappers through which the kernel is entered, as the system call's name. */
const SYSCALL_OF: [RegExp, string][] = [
  [/(?:^|_)p?writev?(?:64)?$/, 'write'],
  [/(?:^|_)(?:p?read|readv)$/, 'read'],
  [/epoll_p?wait/, 'epoll_wait'],
  [/fdatasync|fsync/, 'fsync'],
  [/fcntl/, 'fcntl (file locks)'],
  [/(?:^|_)close$/, 'close'],
  [/(?:^|_)open(?:at)?(?:64)?$/, 'open'],
  [/futex|lll_lock_w|pthread_cond/, 'futex (waking or waiting for a thread)'],
  [/sendmsg|sendto/, 'send'],
  [/recvmsg|recvfrom/, 'recv'],
];

/** Node's internals by area: which module a frame shows depends on what the JIT inlined, the area does not. */
const NODE_AREAS: [RegExp, string][] = [
  [/^(?:net|stream|internal\/stream_base_commons|internal\/streams\/)/, 'streams and sockets'],
  [/^(?:_http_|https?$|internal\/http)/, 'HTTP'],
  [/^(?:timers|internal\/timers|internal\/process\/)/, 'task queues and timers'],
  [/^(?:async_hooks|internal\/async_local_storage|internal\/async_context_frame|internal\/async_hooks)/, 'async context'],
  [/^(?:crypto|internal\/crypto\/)/, 'crypto'],
  [/^(?:fs|internal\/fs\/)/, 'files'],
  [/^(?:events|internal\/event_target|internal\/events\/)/, 'events'],
  [/^(?:worker_threads|internal\/worker|internal\/per_context\/messageport)/, 'worker messages'],
];

/** A JavaScript file's component, as V8's profiles name it, with Node's internals by area (`node: HTTP`). */
function jsComponent(url: string): string {
  // The worker threads' own modules, written out when their pool starts (src/modules/knowledge/extract-worker.ts).
  const worker = /\/xentree-workers\/([a-z-]+?)-[0-9a-f]+\.c?js$/.exec(url);
  if (worker) return `gateway ${worker[1]} (worker module)`;
  if (!url.startsWith('node:')) return componentOf({ url, functionName: '', lineNumber: 0 });
  const module = url.slice(5);
  return `node: ${NODE_AREAS.find(([re]) => re.test(module))?.[1] ?? 'other'}`;
}

/** Who a frame belongs to: a JavaScript frame's component, an add-on's package, or null (Node's own C++, libc, V8). */
function ownerOf(frame: PerfSample['frames'][number]): string | null {
  const js = JS_FRAME.exec(frame.symbol);
  if (js) return jsComponent(js[1]!);
  if (frame.dso.endsWith('.node')) return /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(frame.dso)?.[1] ?? basename(frame.dso);
  return null;
}

/** The component a sample's CPU time belongs to (see the module's comment). */
export function componentOfSample(frames: PerfSample['frames']): string {
  const leaf = frames[0];
  if (!leaf) return 'unknown';
  if (leaf.dso.includes('[kernel')) {
    const at = frames.findIndex((f) => !f.dso.includes('[kernel'));
    if (at < 0) return 'kernel (interrupts)';
    const sym = frames[at]!.symbol.replace(/\+0x[0-9a-f]+$/, '');
    // Entered from libc: a system call, named by its wrapper; from anywhere else (JavaScript, V8): page faults and interrupts.
    const libc = frames[at]!.dso.includes('libc.so');
    const call = libc ? (SYSCALL_OF.find(([re]) => re.test(sym))?.[1] ?? sym) : 'page faults and interrupts';
    // Who asked: SQLite's locks, a socket write of Node's, libuv's loop.
    const above = frames.slice(libc ? at + 1 : at);
    const by = above.map(ownerOf).find((o) => o !== null) ?? (above.some((f) => /^uv_/.test(f.symbol)) ? 'libuv' : 'a caller not unwound');
    return `kernel: ${call}, for ${by}`;
  }
  if (GC_SYMBOL.test(leaf.symbol)) return 'garbage collection';
  if (leaf.dso.endsWith('.node')) return `native: ${ownerOf(leaf)}`;
  for (const f of frames) {
    const js = JS_FRAME.exec(f.symbol);
    if (js) return jsComponent(js[1]!);
  }
  return `native: ${leaf.symbol.replace(/\(.*$/, '').slice(0, 60) || basename(leaf.dso)}`;
}

/** CPU time per operation by thread role and component (µs), largest first. */
export interface PerfSummary {
  /** All the process's samples, per operation (µs). */
  totalUs: number;
  byRole: { role: ThreadRole; us: number }[];
  /** Components of the threads of `role` (the serving thread by default). */
  components: { component: string; us: number; share: number }[];
}

/** Sums parsed samples into CPU time per operation (each sample is 1/HZ s of one thread's CPU). */
export function summarizeSamples(samples: PerfSample[], ops: number, role: ThreadRole = 'serving', hz = HZ): PerfSummary {
  const usPerSample = 1e6 / hz / Math.max(1, ops);
  const roles = new Map<ThreadRole, number>();
  const components = new Map<string, number>();
  let inRole = 0;
  for (const s of samples) {
    const r = roleOfThread(s.thread);
    roles.set(r, (roles.get(r) ?? 0) + 1);
    if (r !== role) continue;
    inRole++;
    const c = componentOfSample(s.frames);
    components.set(c, (components.get(c) ?? 0) + 1);
  }
  return {
    totalUs: samples.length * usPerSample,
    byRole: [...roles.entries()].map(([r, n]) => ({ role: r, us: n * usPerSample })).sort((a, b) => b.us - a.us),
    components: [...components.entries()].map(([component, n]) => ({ component, us: n * usPerSample, share: n / Math.max(1, inRole) })).sort((a, b) => b.us - a.us),
  };
}

/** The samples of a recording (`perf script`); the process's perf map (its JavaScript names) must still be there. */
export function readPerfSamples(file: string): PerfSample[] {
  const out = spawnSync('perf', ['script', '-i', file, '-F', 'comm,tid,ip,sym,dso'], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (out.status !== 0) throw new Error(`perf script failed: ${out.stderr}`);
  return parsePerfScript(out.stdout);
}

/** A recording summarized per operation. */
export function summarizePerf(file: string, ops: number, role: ThreadRole = 'serving'): PerfSummary {
  return summarizeSamples(readPerfSamples(file), ops, role);
}

/** Prints a summary as the benches print V8's: a table of components of the serving thread, and the other threads' totals. */
export function printPerf(title: string, s: PerfSummary, top = 16, role: ThreadRole = 'serving'): void {
  const mine = s.byRole.find((r) => r.role === role)?.us ?? 0;
  console.log(`\n  ${title} (perf: CPU time per operation; all threads ${s.totalUs.toFixed(1)} µs, the ${role} thread${role === 'serving' ? '' : 's'} ${mine.toFixed(1)})\n`);
  console.log(`  | component (the ${role} thread${role === 'serving' ? '' : 's'}) | µs of CPU per op | share |`);
  console.log('  |---|---:|---:|');
  for (const r of s.components.slice(0, top)) console.log(`  | ${r.component} | ${r.us.toFixed(2)} | ${(r.share * 100).toFixed(1)}% |`);
  const rest = s.components.slice(top);
  if (rest.length) console.log(`  | ${rest.length} others | ${rest.reduce((a, b) => a + b.us, 0).toFixed(2)} | ${(rest.reduce((a, b) => a + b.share, 0) * 100).toFixed(1)}% |`);
  const others = s.byRole.filter((r) => r.role !== role);
  if (others.length) console.log(`  other threads, µs of CPU per op: ${others.map((r) => `${r.role} ${r.us.toFixed(1)}`).join('; ')}`);
}

/** What `other` spends beyond `base` per operation, by component of the serving thread and by thread role (µs), largest first. */
export function printPerfDifference(title: string, base: PerfSummary, other: PerfSummary, top = 16): void {
  const b = new Map(base.components.map((c) => [c.component, c.us]));
  const o = new Map(other.components.map((c) => [c.component, c.us]));
  const rows = [...new Set([...b.keys(), ...o.keys()])].map((component) => ({ component, base: b.get(component) ?? 0, other: o.get(component) ?? 0 })).sort((x, y) => y.other - y.base - (x.other - x.base));
  const serving = (s: PerfSummary) => s.byRole.find((r) => r.role === 'serving')?.us ?? 0;
  console.log(`\n  ${title} (perf: CPU time per operation; all threads ${base.totalUs.toFixed(1)} → ${other.totalUs.toFixed(1)} µs, the serving thread ${serving(base).toFixed(1)} → ${serving(other).toFixed(1)})\n`);
  console.log('  | component (the serving thread) | µs of CPU per op, added | before | after |');
  console.log('  |---|---:|---:|---:|');
  for (const r of rows.slice(0, top)) console.log(`  | ${r.component} | ${(r.other - r.base).toFixed(2)} | ${r.base.toFixed(2)} | ${r.other.toFixed(2)} |`);
  const rest = rows.slice(top);
  if (rest.length) console.log(`  | ${rest.length} others | ${rest.reduce((a, r) => a + r.other - r.base, 0).toFixed(2)} | ${rest.reduce((a, r) => a + r.base, 0).toFixed(2)} | ${rest.reduce((a, r) => a + r.other, 0).toFixed(2)} |`);
  const roles = [...new Set([...base.byRole, ...other.byRole].map((r) => r.role))].filter((r) => r !== 'serving');
  const of = (s: PerfSummary, role: ThreadRole) => s.byRole.find((r) => r.role === role)?.us ?? 0;
  if (roles.length) console.log(`  other threads, µs of CPU per op: ${roles.map((r) => `${r} ${of(base, r).toFixed(1)} → ${of(other, r).toFixed(1)}`).join('; ')}`);
}
