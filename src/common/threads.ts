import { readdirSync, readFileSync } from 'node:fs';

/**
 * The names the gateway's own threads carry where the system shows them (`top -H`, `ps -L`,
 * `/proc/<pid>/task/<tid>/comm`; at most 15 characters): which work a thread's CPU goes to. The
 * serving thread is Node's `MainThread`; V8's helpers (garbage collection, compiling) are
 * `V8Worker`; libuv's pool (file system, the WAL's flushes) `libuv-worker`.
 */
export const THREAD_NAMES = {
  /** The document reading threads (WORKER_THREADS). */
  reading: 'xt-doc-read',
  /** The document writing thread. */
  writing: 'xt-doc-write',
  /** The password hashing threads (PASSWORD_HASH_CONCURRENCY). */
  passwords: 'xt-password',
  /** The XEL grammar checker's thread (essays' grammar, harper.js). */
  grammar: 'xt-grammar',
} as const;

/** What a thread of the process does, by its name: the label of its CPU time in the metrics (and the benches' groups). */
export type ThreadRole = 'serving' | 'reading' | 'writing' | 'passwords' | 'grammar' | 'v8' | 'libuv' | 'other';

export function roleOfThread(name: string): ThreadRole {
  if (name === 'MainThread') return 'serving';
  if (name === THREAD_NAMES.reading) return 'reading';
  if (name === THREAD_NAMES.writing) return 'writing';
  if (name === THREAD_NAMES.passwords) return 'passwords';
  if (name === THREAD_NAMES.grammar) return 'grammar';
  if (name === 'V8Worker') return 'v8';
  if (name.startsWith('libuv-worker')) return 'libuv';
  return 'other';
}

/** One reading of a thread: its id, its name, its run time so far and the time it waited, runnable, for a core (ns). */
export interface ThreadReading {
  tid: string;
  name: string;
  ns: number;
  waitNs: number;
}

/**
 * The threads of a process (this one by default) as /proc shows them: each one's name (comm) and
 * its run and run-queue times (/proc/<pid>/task/<tid>/schedstat). Empty where /proc is not there.
 */
export function readThreads(pid: number | 'self' = 'self'): ThreadReading[] {
  const out: ThreadReading[] = [];
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const [ns, waitNs] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
      if (Number.isFinite(ns) && Number.isFinite(waitNs)) out.push({ tid, name: readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim(), ns: ns!, waitNs: waitNs! });
    } catch {
      // Ended meanwhile.
    }
  }
  return out;
}

/**
 * The process's CPU time by thread role since it started, for a counter: each reading adds what
 * the threads it sees ran since the last one, and a thread that has ended keeps what it ran up to
 * the last reading that saw it (reading threads end after a second idle), so the totals never go
 * down.
 */
export class ThreadCpuTotals {
  /** Each thread's run time (ns) at the last reading, by id. */
  private last = new Map<string, number>();
  private readonly totalNs = new Map<ThreadRole, number>();

  constructor(private readonly read: () => ThreadReading[] = readThreads) {}

  /** Seconds of CPU by role so far (roles never seen are absent). */
  sample(): Map<ThreadRole, number> {
    const seen = new Map<string, number>();
    for (const t of this.read()) {
      // A thread id the system reused for a new thread starts again from its own zero.
      const before = this.last.get(t.tid) ?? 0;
      const ran = t.ns >= before ? t.ns - before : t.ns;
      const role = roleOfThread(t.name);
      this.totalNs.set(role, (this.totalNs.get(role) ?? 0) + ran);
      seen.set(t.tid, t.ns);
    }
    this.last = seen;
    return new Map([...this.totalNs].map(([role, ns]) => [role, ns / 1e9]));
  }
}

/**
 * Source run first in a worker thread of the gateway's (piscina starts its threads without a
 * name, and Node 22 does not pass a Worker's `name` on to the system): the thread names itself
 * `workerData.threadName`. On Linux a thread may rename itself through /proc; elsewhere nothing
 * happens.
 */
export const NAME_THIS_THREAD = `try { const n = require('node:worker_threads').workerData?.threadName; if (n) require('node:fs').writeFileSync('/proc/thread-self/comm', String(n).slice(0, 15)); } catch {}`;
