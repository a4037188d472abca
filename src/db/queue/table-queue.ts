import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { EntityManager } from '@mikro-orm/core';
import type { EntityManager as SqlEntityManager } from '@mikro-orm/sql';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../../common/clock.js';
import type { DbDriver } from '../../config.js';
import { isAppError } from '../../common/errors.js';
import { JobError, PermanentJobError, type EnqueueOptions, type JobHandler, type JobQueue, type JobState, type QueueCount, type RecurringJob } from '../../jobs/queue.js';

export interface TableQueueOptions {
  driver: DbDriver;
  /** Jobs run at once by this process; 0: it only enqueues. */
  concurrency: number;
  pollIntervalMs: number;
  leaseMs: number;
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  clock?: Clock;
  log?: Logger;
  /**
   * This process, as its claims name it (`locked_by` is `<worker>/<token of the claim>`), so
   * the jobs table says which process holds a running job. Default: `<host>:<pid>`.
   */
  worker?: string;
  /** Each job's outcome and duration (metrics). */
  observe?: (queue: string, outcome: 'completed' | 'retried' | 'dead', seconds: number) => void;
}

interface Claimed {
  id: string;
  queue: string;
  ref: string | null;
  payload: string;
  attempts: number;
  max_attempts: number;
  locked_by: string;
  every_ms: number | null;
}

/** A job this process runs now. */
interface Running {
  job: Claimed;
  abort: AbortController;
  heartbeat?: NodeJS.Timeout;
  /** Aborted by `stop`: a failure now is the stop's doing, not the job's. */
  stopping: boolean;
  /** Its lease given back by `stop`: the job is no longer this process's. */
  released: boolean;
}

/** Retry n (n ≥ 1) waits min(max, base × 2^(n−1)). */
export const backoff = (attempt: number, baseMs: number, maxMs: number): number => Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));

const STATES: readonly JobState[] = ['pending', 'running', 'dead'];

const message = (e: unknown) => (e instanceof Error ? e.message : String(e)).slice(0, 1000);

/** The rows a write changed, as the drivers report it (`otherwise` when they do not say). */
const affected = (r: unknown, otherwise = 0): number => Number((r as { affectedRows?: number }).affectedRows ?? otherwise);

/** A dead job's reason as its users see it (a document's error): only messages written for them, never a server path or a query. */
const toldOf = (e: unknown, jobId: string) => (e instanceof JobError || isAppError(e) ? message(e) : `internal error (see the server log, job ${jobId})`);

/**
 * A durable job queue in the application's own database (the `jobs` table of the migrations),
 * on SQLite and PostgreSQL alike. A job is claimed by one conditional UPDATE … RETURNING that
 * takes a due job (pending and due, or running with a lapsed lease) and stamps it with a token
 * of this claim and a lease; on PostgreSQL the candidate row is locked with SKIP LOCKED, so
 * processes claiming at once take different jobs; SQLite's single writer serialises them. A
 * heartbeat extends the lease while the handler runs; every later write names the claim's token,
 * so a process whose lease was taken over can no longer complete, retry or kill the job. The token
 * starts with the process's name (`<host>:<pid>/…`), so the table tells which process holds a job.
 */
export class TableQueue implements JobQueue {
  private readonly handlers = new Map<string, JobHandler<unknown>>();
  private readonly schedules = new Map<string, RecurringJob>();
  /** The recurring jobs' rows, written once per start. */
  private scheduled: Promise<void> | null = null;
  private readonly active = new Set<Promise<void>>();
  private readonly running = new Set<Running>();
  private readonly clock: Clock;
  private timer: NodeJS.Timeout | null = null;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** The pass claiming jobs now, if any. */
  private pumping: Promise<void> | null = null;
  private again = false;
  private stopped = true;
  private readonly worker: string;

  constructor(
    private readonly em: EntityManager,
    private readonly options: TableQueueOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    // locked_by holds 64 characters: the worker's name, a slash and a 32-digit token.
    this.worker = (options.worker ?? `${hostname().slice(0, 20)}:${process.pid}`).slice(0, 31);
  }

  register<P>(queue: string, handler: JobHandler<P>): void {
    this.handlers.set(queue, handler);
  }

  recurring(queue: string, schedule: RecurringJob, handler: JobHandler<null>): void {
    if (!(schedule.everyMs > 0)) throw new Error(`recurring job ${queue}: everyMs must be positive`);
    this.register(queue, handler);
    this.schedules.set(queue, schedule);
    this.scheduled = null;
  }

  async enqueue(em: EntityManager, queue: string, payload: unknown, options: EnqueueOptions = {}): Promise<string> {
    const id = randomUUID();
    const now = this.clock.now();
    const params = [id, queue, JSON.stringify(payload ?? null), options.ref ?? null, options.key ?? null, options.maxAttempts ?? this.options.maxAttempts, options.runAt ?? now, now, now];
    const insert = `insert into jobs (id, queue, payload, ref, key, state, attempts, max_attempts, run_at, created_at, updated_at) values (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?)`;
    if (!options.key) {
      await (em as SqlEntityManager).execute(insert, params, 'run');
      return id;
    }
    // One job per key: a dead one comes back with fresh attempts, a waiting or running one stays as it is.
    const rows = await (em as SqlEntityManager).execute<{ id: string }[]>(
      `${insert} on conflict (key) do update set state = 'pending', attempts = 0, payload = excluded.payload, max_attempts = excluded.max_attempts, run_at = excluded.run_at, last_error = null, updated_at = excluded.updated_at
       where jobs.state = 'dead' returning id`,
      params,
    );
    if (rows[0]) return rows[0].id;
    const existing = await (em as SqlEntityManager).execute<{ id: string }[]>(`select id from jobs where key = ?`, [options.key]);
    return existing[0]?.id ?? id;
  }

  /**
   * Writes the recurring jobs' rows unless they exist (the first run one period from now); an
   * existing one takes the current period and keeps its time, unless the period changed: then it
   * is due within one new period at most (a running one is left alone: its next run is one new
   * period after it ends). One left dead comes back.
   */
  prepare(): Promise<void> {
    return (this.scheduled ??= (async () => {
      const now = this.clock.now();
      for (const [queue, { everyMs }] of this.schedules) {
        await this.sql(
          `insert into jobs (id, queue, payload, key, every_ms, state, attempts, max_attempts, run_at, created_at, updated_at) values (?, ?, 'null', ?, ?, 'pending', 0, ?, ?, ?, ?)
           on conflict (key) do update set every_ms = excluded.every_ms, state = case when jobs.state = 'dead' then 'pending' else jobs.state end, attempts = case when jobs.state = 'dead' then 0 else jobs.attempts end,
             run_at = case when jobs.state <> 'running' and coalesce(jobs.every_ms, 0) <> excluded.every_ms and excluded.run_at < jobs.run_at then excluded.run_at else jobs.run_at end`,
          [randomUUID(), queue, `every:${queue}`, everyMs, this.options.maxAttempts, now + everyMs, now, now],
          'run',
        );
      }
    })().catch((e: unknown) => {
      this.scheduled = null;
      throw e;
    }));
  }

  async cancel(em: EntityManager, ref: string): Promise<number> {
    const r = await (em as SqlEntityManager).execute(`delete from jobs where ref = ? and state <> 'running'`, [ref], 'run');
    return affected(r);
  }

  wake(): void {
    if (!this.stopped) void this.pump();
  }

  start(): void {
    if (!this.stopped || this.options.concurrency === 0) return;
    this.stopped = false;
    this.timer = setInterval(() => void this.pump(), this.options.pollIntervalMs);
    this.timer.unref();
    for (const { everyMs } of this.schedules.values()) this.later(everyMs);
    void this.pump();
  }

  /** Looks for work in `ms` (a recurring job due then), sooner than the poll would. */
  private later(ms: number): void {
    if (this.stopped || ms >= this.options.pollIntervalMs) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      void this.pump();
    }, ms);
    t.unref();
    this.timers.add(t);
  }

  async stop(graceMs = Infinity): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const r of this.running) {
      r.stopping = true;
      r.abort.abort(new Error('the process is stopping'));
    }
    // A claim under way when stopping starts its job, which then gives it back (run()).
    const settled = (async () => {
      while (this.active.size || this.pumping) await Promise.allSettled([...this.active, this.pumping]);
    })();
    if (graceMs === Infinity) return settled;
    let timer: NodeJS.Timeout | undefined;
    const late = await Promise.race([settled.then(() => false), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), graceMs)))]);
    clearTimeout(timer);
    // Handlers that did not stop in time: their jobs are given back, for another process or the restart to take at once.
    if (late) await Promise.all([...this.running].map((r) => this.release(r)));
  }

  /**
   * Gives a running job back: due now, its attempt not counted, its lease lifted; a no-op when
   * the lease is no longer this claim's. The handler may still be running: nothing it does
   * afterwards is recorded.
   */
  private async release(r: Running): Promise<void> {
    if (r.released) return;
    r.released = true;
    clearInterval(r.heartbeat);
    const { job } = r;
    const now = this.clock.now();
    try {
      const res = await this.sql(`update jobs set state = 'pending', attempts = attempts - 1, run_at = ?, locked_by = null, locked_until = null, updated_at = ? where id = ? and locked_by = ?`, [now, now, job.id, job.locked_by], 'run');
      if (affected(res)) this.options.log?.info({ job: job.id, queue: job.queue, ref: job.ref, attempt: job.attempts }, 'job released: this process is stopping');
    } catch (err) {
      this.options.log?.warn({ err, job: job.id }, 'job queue: could not release the job; its lease will lapse');
    }
  }

  async drain(): Promise<void> {
    const wasStopped = this.stopped;
    if (wasStopped) this.stopped = false;
    try {
      for (;;) {
        await this.pump();
        if (this.active.size) {
          await Promise.race([...this.active]);
          continue;
        }
        const due = await this.sql<{ n: number | string }>(`select count(*) as n from jobs where state = 'pending' and run_at <= ? and queue in (${this.names()})`, [this.clock.now(), ...this.handlers.keys()]);
        if (!Number(due[0]?.n ?? 0) && !this.active.size && !this.pumping) return;
      }
    } finally {
      if (wasStopped) this.stopped = true;
    }
  }

  /**
   * Every registered queue in every state (0 when empty), and any other queue the table holds. A
   * running job whose lease lapsed counts as pending: its process is gone, and it waits to be taken over.
   */
  async counts(): Promise<QueueCount[]> {
    const now = this.clock.now();
    const rows = await this.sql<{ queue: string; state: JobState; n: number | string }>(
      `select queue, case when state = 'running' and locked_until < ? then 'pending' else state end as state, count(*) as n from jobs
       where not (every_ms is not null and state = 'pending' and attempts = 0 and run_at > ?) group by 1, 2`,
      [now, now],
    );
    const byQueue = new Map<string, Record<JobState, number>>();
    const of = (queue: string) => {
      let c = byQueue.get(queue);
      if (!c) byQueue.set(queue, (c = { pending: 0, running: 0, dead: 0 }));
      return c;
    };
    for (const queue of this.handlers.keys()) of(queue);
    for (const r of rows) if (STATES.includes(r.state)) of(r.queue)[r.state] += Number(r.n);
    return [...byQueue].flatMap(([queue, c]) => STATES.map((state) => ({ queue, state, count: c[state] })));
  }

  async ready(): Promise<boolean> {
    try {
      await this.sql(`select count(*) as n from jobs where state = 'dead' and run_at < 0`, []);
      return true;
    } catch {
      return false;
    }
  }

  private names(): string {
    return [...this.handlers.keys()].map(() => '?').join(', ') || `''`;
  }

  private sql<T>(query: string, params: unknown[], method: 'all' | 'run' = 'all'): Promise<T[]> {
    return this.em.getConnection().execute(query, params as never, method) as Promise<T[]>;
  }

  /** Claims and starts jobs while there are free slots and due jobs; a call during a pass makes it go round again, and waits for it. */
  private pump(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.pumping) {
      this.again = true;
      return this.pumping;
    }
    this.pumping = this.pass().finally(() => {
      this.pumping = null;
    });
    return this.pumping;
  }

  private async pass(): Promise<void> {
    try {
      if (this.schedules.size) await this.prepare();
      do {
        this.again = false;
        while (!this.stopped && this.active.size < this.options.concurrency) {
          const job = await this.claim();
          if (!job) break;
          const running: Promise<void> = this.run(job).finally(() => {
            this.active.delete(running);
            void this.pump();
          });
          this.active.add(running);
        }
      } while (this.again && !this.stopped);
    } catch (err) {
      this.options.log?.warn({ err }, 'job queue: claiming failed; trying again at the next poll');
    }
  }

  /** One due job, leased to this claim, or null. */
  private async claim(): Promise<Claimed | null> {
    if (!this.handlers.size) return null;
    const now = this.clock.now();
    const token = `${this.worker}/${randomUUID().replaceAll('-', '')}`;
    const lock = this.options.driver === 'postgresql' ? ' for update skip locked' : '';
    const due = `((state = 'pending' and run_at <= ?) or (state = 'running' and locked_until < ?))`;
    const names = this.names();
    if (this.options.driver === 'sqlite') {
      // A read first: on SQLite the UPDATE takes the database's one write lock even when it changes
      // nothing, and two of every three claims find nothing due (the last of each pass), each waiting
      // for a document writer's transaction and holding the next one back (src/db/durable-sqlite.ts).
      const any = await this.sql(`select 1 from jobs where ${due} and queue in (${names}) limit 1`, [now, now, ...this.handlers.keys()]);
      if (!any.length) return null;
    }
    const rows = await this.sql<Claimed>(
      `update jobs set state = 'running', attempts = attempts + 1, locked_by = ?, locked_until = ?, updated_at = ?
       where id = (select id from jobs where ${due} and queue in (${names}) order by run_at, created_at limit 1${lock}) and ${due}
       returning id, queue, ref, payload, attempts, max_attempts, locked_by, every_ms`,
      [token, now + this.options.leaseMs, now, now, now, ...this.handlers.keys(), now, now],
    );
    const row = rows[0];
    return row ? { ...row, attempts: Number(row.attempts), max_attempts: Number(row.max_attempts), every_ms: row.every_ms === null ? null : Number(row.every_ms) } : null;
  }

  private async run(job: Claimed): Promise<void> {
    const handler = this.handlers.get(job.queue)!;
    const payload: unknown = JSON.parse(job.payload);
    const started = this.clock.now();
    const elapsed = () => (this.clock.now() - started) / 1000;
    if (job.attempts > job.max_attempts) {
      // Claimed again after its lease lapsed, once too often: the process running it kept dying.
      const reason = `stopped ${job.max_attempts} times without finishing (the process running it ended)`;
      await this.kill(job, handler, payload, { reason, told: reason }, elapsed);
      return;
    }
    const abort = new AbortController();
    const running: Running = { job, abort, stopping: false, released: false };
    this.running.add(running);
    // Claimed while the queue was stopping: given back at once.
    if (this.stopped) {
      await this.release(running);
      this.running.delete(running);
      return;
    }
    const heartbeat = setInterval(() => {
      this.sql(`update jobs set locked_until = ? where id = ? and locked_by = ?`, [this.clock.now() + this.options.leaseMs, job.id, job.locked_by], 'run').then(
        (r) => {
          if (!affected(r, 1)) abort.abort(new Error('the job\'s lease was taken over'));
        },
        (err: unknown) => this.options.log?.warn({ err, job: job.id }, 'job queue: heartbeat failed'),
      );
    }, Math.max(250, Math.floor(this.options.leaseMs / 3)));
    heartbeat.unref();
    running.heartbeat = heartbeat;
    try {
      await handler.run(payload, { em: this.em.fork(), id: job.id, attempt: job.attempts, maxAttempts: job.max_attempts, signal: abort.signal, claim: job.locked_by });
      clearInterval(heartbeat);
      // Given back by stop() before the handler finished: the job is no longer this process's to complete.
      if (running.released) return;
      const r = job.every_ms === null ? await this.sql(`delete from jobs where id = ? and locked_by = ?`, [job.id, job.locked_by], 'run') : await this.reschedule(job, null);
      if (job.every_ms !== null) this.later(job.every_ms);
      // Only the claim that holds the job completes it: one that lost its lease finds no row of its own.
      if (affected(r) > 0) {
        // One line per job done, naming the attempt (a job taken over from a killed process says 2); a recurring job's runs at debug.
        const done = { job: job.id, queue: job.queue, ref: job.ref, attempt: job.attempts, worker: this.worker, ms: Math.round(elapsed() * 1000) };
        if (job.every_ms === null) this.options.log?.info(done, 'job done');
        else this.options.log?.debug(done, 'job done');
        this.options.observe?.(job.queue, 'completed', elapsed());
      } else {
        this.options.log?.warn({ job: job.id, queue: job.queue, ref: job.ref, attempt: job.attempts }, 'job finished after its lease was taken over: the completion is the other claim\'s');
      }
    } catch (e) {
      clearInterval(heartbeat);
      // Stopped by stop(), not failed: the job is given back, neither retried nor dead.
      if (running.stopping || running.released) {
        await this.release(running);
        return;
      }
      const reason = message(e);
      const permanent = e instanceof PermanentJobError || (handler.permanent?.(e) ?? false);
      if (!permanent && job.attempts < job.max_attempts) {
        const wait = backoff(job.attempts, this.options.retryBaseMs, this.options.retryMaxMs);
        try {
          const r = await this.sql(
            `update jobs set state = 'pending', run_at = ?, locked_by = null, locked_until = null, last_error = ?, updated_at = ? where id = ? and locked_by = ?`,
            [this.clock.now() + wait, reason, this.clock.now(), job.id, job.locked_by],
            'run',
          );
          // Counted and logged only when this claim scheduled the retry: one that lost its lease retried nothing.
          if (affected(r) > 0) {
            this.options.log?.warn({ job: job.id, queue: job.queue, attempt: job.attempts, retryInMs: wait, reason }, 'job failed; retrying');
            this.options.observe?.(job.queue, 'retried', elapsed());
          } else this.lostLease(job, reason);
        } catch (err) {
          this.options.log?.warn({ err, job: job.id, reason }, 'job queue: could not schedule the retry; the lease will lapse');
        }
      } else {
        await this.kill(job, handler, payload, { reason, told: toldOf(e, job.id), err: e }, elapsed);
      }
    } finally {
      clearInterval(heartbeat);
      this.running.delete(running);
    }
  }

  /** A claim whose lease another took over failed: its outcome is the other claim's to record. */
  private lostLease(job: Claimed, reason: string): void {
    this.options.log?.warn({ job: job.id, queue: job.queue, ref: job.ref, attempt: job.attempts, reason }, 'job failed after its lease was taken over: the outcome is the other claim\'s');
  }

  /**
   * A recurring job's next run, `every_ms` from now, with fresh attempts (and the last error, when
   * it died). The row's period, not the claim's: a process started meanwhile may have changed it.
   */
  private async reschedule(job: Claimed, lastError: string | null, sql: (q: string, p: unknown[]) => Promise<unknown> = (q, p) => this.sql(q, p, 'run')): Promise<unknown> {
    const now = this.clock.now();
    return sql(`update jobs set state = 'pending', attempts = 0, run_at = ? + every_ms, locked_by = null, locked_until = null, last_error = ?, updated_at = ? where id = ? and locked_by = ?`, [
      now,
      lastError,
      now,
      job.id,
      job.locked_by,
    ]);
  }

  /**
   * Marks the job dead with the reason (kept on the row), and lets its handler record it, in one
   * transaction; the handler is `told` the reason its users may read, and the error is logged.
   */
  private async kill(job: Claimed, handler: JobHandler<unknown>, payload: unknown, why: { reason: string; told: string; err?: unknown }, elapsed: () => number): Promise<void> {
    const { reason, told } = why;
    try {
      const marked = await this.em.fork().transactional(async (tx) => {
        // A recurring job is not left dead: its schedule goes on, the failure counted and its reason kept.
        const r =
          job.every_ms !== null
            ? await this.reschedule(job, reason, (q, p) => (tx as SqlEntityManager).execute(q, p as never, 'run'))
            : await (tx as SqlEntityManager).execute(
                `update jobs set state = 'dead', locked_by = null, locked_until = null, last_error = ?, updated_at = ? where id = ? and locked_by = ?`,
                [reason, this.clock.now(), job.id, job.locked_by],
                'run',
              );
        if (!affected(r)) return false;
        await handler.onDead?.(tx, payload, told, { id: job.id });
        return true;
      });
      // Counted and logged only when this claim marked it: one that lost its lease marked nothing.
      if (!marked) return this.lostLease(job, reason);
      this.options.log?.warn({ job: job.id, queue: job.queue, ref: job.ref, attempts: job.attempts, reason, err: why.err }, 'job dead');
      this.options.observe?.(job.queue, 'dead', elapsed());
      await handler.afterDead?.(this.em.fork(), payload, told);
    } catch (err) {
      this.options.log?.error({ err, job: job.id }, 'job queue: could not mark the job dead; the lease will lapse and it is tried again');
    }
  }
}
