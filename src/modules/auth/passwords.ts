import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import * as argon2 from '@node-rs/argon2';
import { NAME_THIS_THREAD, THREAD_NAMES } from '../../common/threads.js';

// The package declares these as const enums, which have no values at run time (and code not
// compiled by tsc, such as the tests', cannot inline them): their numbers, from its typings.
const ARGON2ID: argon2.Algorithm = 2;
const V0x13: argon2.Version = 1;

/**
 * A hashing thread: takes jobs from its port one after another and answers each. Plain
 * CommonJS evaluated by the worker (the gateway's own files may be TypeScript under test).
 * It lowers its own scheduling priority first (on Linux `setpriority` on the calling thread
 * affects that thread only): when a core is contended, requests win over hashing.
 */
const THREAD = `
${NAME_THIS_THREAD}
const { parentPort, workerData } = require('node:worker_threads');
const argon2 = require(workerData.argon2);
try { if (workerData.nice > 0) require('node:os').setPriority(workerData.nice); } catch {}
parentPort.on('message', (job) => {
  let answer;
  try {
    answer = { id: job.id, value: job.hash === undefined ? argon2.hashSync(job.password, workerData.options) : argon2.verifySync(job.hash, job.password) };
  } catch (e) {
    answer = { id: job.id, error: e instanceof Error ? e.message : String(e) };
  }
  parentPort.postMessage(answer);
});
`;

interface Job {
  id: number;
  password: string;
  /** Set: verify against it; absent: hash. */
  hash?: string;
}

interface Thread {
  worker: Worker;
  /** Jobs sent and not yet answered, by id. */
  jobs: Map<number, { resolve(v: string | boolean): void; reject(e: Error): void }>;
}

/**
 * `size` threads that hash and verify, each working through its own queue (its message
 * port): when a hash ends, the thread starts the next at once, without a round trip through
 * the main thread's event loop (which, busy or descheduled, left libuv's hashing slot idle
 * between two logins). A job goes to the thread with the fewest waiting. Threads start on
 * first use and keep the process alive only while they have work.
 */
class HashThreads {
  private threads: Thread[] | null = null;
  private nextId = 0;
  private closed = false;

  constructor(
    private readonly size: number,
    private readonly options: argon2.Options,
    private readonly nice: number,
  ) {}

  run(password: string, hash?: string): Promise<string | boolean> {
    if (this.closed) return Promise.reject(new Error('the password hasher is closed'));
    const threads = (this.threads ??= Array.from({ length: this.size }, () => this.start()));
    let t = threads[0]!;
    for (const other of threads) if (other.jobs.size < t.jobs.size) t = other;
    const job: Job = { id: this.nextId++, password, hash };
    return new Promise((resolve, reject) => {
      if (t.jobs.size === 0) t.worker.ref();
      t.jobs.set(job.id, { resolve, reject });
      t.worker.postMessage(job);
    });
  }

  private start(): Thread {
    const worker = new Worker(THREAD, {
      eval: true,
      // (Node 24 gives the system thread this name too; 22 does not, hence the thread's own renaming.)
      name: THREAD_NAMES.passwords,
      workerData: { argon2: createRequire(import.meta.url).resolve('@node-rs/argon2'), options: this.options, nice: this.nice, threadName: THREAD_NAMES.passwords },
      // A hash needs its memory cost in native memory, not the JS heap: a small heap will do.
      resourceLimits: { maxOldGenerationSizeMb: 16 },
    });
    worker.unref();
    const thread: Thread = { worker, jobs: new Map() };
    worker.on('message', (m: { id: number; value?: string | boolean; error?: string }) => {
      const job = thread.jobs.get(m.id);
      if (!job) return;
      thread.jobs.delete(m.id);
      if (thread.jobs.size === 0) worker.unref();
      if (m.error !== undefined) job.reject(new Error(m.error));
      else job.resolve(m.value!);
    });
    // A thread that dies fails its jobs and is replaced for the next ones.
    const fail = (e: Error) => {
      for (const job of thread.jobs.values()) job.reject(e);
      thread.jobs.clear();
      if (this.threads && !this.closed) this.threads[this.threads.indexOf(thread)] = this.start();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (this.threads?.includes(thread)) fail(new Error(`a password hashing thread exited (${code})`));
    });
    return thread;
  }

  async close(): Promise<void> {
    this.closed = true;
    const threads = this.threads ?? [];
    this.threads = null;
    await Promise.all(threads.map((t) => t.worker.terminate()));
    for (const t of threads) for (const job of t.jobs.values()) job.reject(new Error('the password hasher is closed'));
  }
}

/**
 * argon2id with at least OWASP's parameters (19 MiB, 2 passes, 1 lane), as PHC strings
 * (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`): hashes written by the `argon2` package, which
 * the gateway used before, verify the same.
 */
export class PasswordHasher {
  private readonly options: argon2.Options & Required<Pick<argon2.Options, 'memoryCost' | 'timeCost' | 'parallelism'>>;
  /** A hash of nothing, checked when the account does not exist so timing tells nothing. */
  private dummy: Promise<string> | null = null;
  /**
   * Hashing runs on threads of its own, `concurrency` of them: left unbounded, a login storm
   * takes every core and every other request waits behind it; at a lower priority, so that
   * on a contended core other requests go first.
   */
  private readonly threads: HashThreads;

  /** `concurrency`: hashes computed at once (the rest queue); `nice`: the hashing threads' scheduling priority (0–19, higher yields more). */
  constructor(memoryKib: number, iterations: number, concurrency = 1, nice = 0) {
    this.options = { algorithm: ARGON2ID, version: V0x13, memoryCost: memoryKib, timeCost: iterations, parallelism: 1 };
    this.threads = new HashThreads(Math.max(1, concurrency), this.options, nice);
  }

  async hash(password: string): Promise<string> {
    return (await this.threads.run(password)) as string;
  }

  async verify(hash: string, password: string): Promise<boolean> {
    try {
      return (await this.threads.run(password, hash)) === true;
    } catch {
      return false;
    }
  }

  /** Spends the same work as a real verification, for an account that does not exist. */
  async verifyNobody(password: string): Promise<false> {
    this.dummy ??= this.hash('not a real password: equalises login timing');
    await this.verify(await this.dummy, password);
    return false;
  }

  /** True when the stored hash was made otherwise than the current parameters say (or is not one we can read). */
  needsRehash(hash: string): boolean {
    try {
      const p = argon2.parseOptions(hash);
      return p.algorithm !== ARGON2ID || p.version !== V0x13 || p.memoryCost !== this.options.memoryCost || p.timeCost !== this.options.timeCost || p.parallelism !== this.options.parallelism;
    } catch {
      return true;
    }
  }

  /** Stops the hashing threads (the app's shutdown); later calls fail. */
  close(): Promise<void> {
    return this.threads.close();
  }
}
