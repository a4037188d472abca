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
} as const;

/**
 * Source run first in a worker thread of the gateway's (piscina starts its threads without a
 * name, and Node 22 does not pass a Worker's `name` on to the system): the thread names itself
 * `workerData.threadName`. On Linux a thread may rename itself through /proc; elsewhere nothing
 * happens.
 */
export const NAME_THIS_THREAD = `try { const n = require('node:worker_threads').workerData?.threadName; if (n) require('node:fs').writeFileSync('/proc/thread-self/comm', String(n).slice(0, 15)); } catch {}`;
