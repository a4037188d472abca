import type { EntityManager } from '@mikro-orm/core';

/** What a handler knows of the job it runs. */
export interface JobRun {
  id: string;
  /** 1 on the first attempt. */
  attempt: number;
  maxAttempts: number;
  /** A fresh entity manager for the job's work. */
  em: EntityManager;
  /** Aborted when this process lost the job's lease (another took it over) or is stopping. */
  signal: AbortSignal;
  /**
   * This run's claim on the job (`jobs.locked_by` while it holds the lease): a handler whose
   * writes must not outlive its lease checks it in their transactions (`claimHolds`), since an
   * aborted signal only says so after the fact.
   */
  claim: string;
}

/**
 * A kind of job. `run` must be idempotent: a job can run twice (its process killed after the
 * work but before the job was marked done, or its lease lost), and two runs leave one result.
 */
export interface JobHandler<P = unknown> {
  run(payload: P, job: JobRun): Promise<void>;
  /** Errors that retrying cannot mend (the job goes straight to `dead`). */
  permanent?(error: unknown): boolean;
  /**
   * The job is dead (attempts spent, or a permanent error): runs in the transaction that marks
   * it so, to leave the domain row saying why (a document `failed` with the reason). The reason
   * is for users: the message of a JobError or AppError, otherwise "internal error (see the
   * server log, job <id>)".
   */
  onDead?(em: EntityManager, payload: P, reason: string, job: { id: string }): Promise<void>;
  /** After that transaction committed (notifications). */
  afterDead?(em: EntityManager, payload: P, reason: string): Promise<void>;
}

export interface EnqueueOptions {
  /** The row the job works on: `cancel(em, ref)` deletes its jobs with it. */
  ref?: string;
  /** Attempts before the job is dead (the configured default otherwise). */
  maxAttempts?: number;
  /** Not before this time (ms since the epoch). */
  runAt?: number;
  /**
   * At most one job per key: while one with this key waits or runs, enqueuing it again adds
   * nothing (a burst of "reindex this transcript" is one job); one left dead is revived with
   * this payload and fresh attempts.
   */
  key?: string;
}

/** A job that comes back by itself (see `JobQueue.recurring`). */
export interface RecurringJob {
  /** The time between the end of one run and the start of the next. */
  everyMs: number;
}

export type JobState = 'pending' | 'running' | 'dead';

/**
 * Jobs by queue and state, for /metrics and the search status (a running job whose lease lapsed
 * counts as pending; a recurring job waiting for its next period is not counted, one due or
 * retrying is).
 */
export interface QueueCount {
  queue: string;
  state: JobState;
  count: number;
}

/**
 * The job queue, behind which the backend may change: jobs are added inside the caller's
 * transaction (the domain write and its job commit or roll back together), run by name,
 * retried with exponential backoff, held under a lease that a heartbeat extends (a killed
 * process's jobs are taken over once it lapses), and left `dead` with the last error.
 */
export interface JobQueue {
  register<P>(queue: string, handler: JobHandler<P>): void;
  /**
   * A job run every `everyMs` by exactly one of the processes sharing the database: one row
   * (key `every:<queue>`, created once by whichever process starts first) that is claimed,
   * leased and retried like any job, and when done, or dead after its retries (counted and
   * logged as dead, its last error kept), is due again `everyMs` later instead of deleted. The
   * schedule is the row, so it survives restarts; changing `everyMs` takes effect at the next start
   * (the next run is then due within one new period at most; a running one's, one new period after
   * it ends). Processes started with different periods share the row: the last started sets it.
   */
  recurring(queue: string, schedule: RecurringJob, handler: JobHandler<null>): void;
  /** Adds a job within `em`'s transaction; call `wake()` once it committed. */
  enqueue(em: EntityManager, queue: string, payload: unknown, options?: EnqueueOptions): Promise<string>;
  /** Deletes the jobs of a row (not one running now: its handler finds the row gone). */
  cancel(em: EntityManager, ref: string): Promise<number>;
  /** Look for work now rather than at the next poll. */
  wake(): void;
  /** Writes the recurring jobs' schedules (once; before `start`, so a request never waits behind it). */
  prepare(): Promise<void>;
  start(): void;
  /**
   * Stops taking jobs and aborts the signal of those running; waits for them to settle, up to
   * `graceMs` (default: however long they take). A job that did not finish (its handler stopped
   * by the signal, or still running at the end of the grace) is given back: pending, due now,
   * its attempt not counted, its lease released, so another process or a restart takes it at once.
   */
  stop(graceMs?: number): Promise<void>;
  /** For tests and shutdown: runs until no job is due now (retries later in time are not waited for). */
  drain(): Promise<void>;
  /** Every registered queue in every state, 0 included, and any other queue the table holds. */
  counts(): Promise<QueueCount[]>;
  /** The backend answers. */
  ready(): Promise<boolean>;
}

/**
 * Thrown by a handler for a failure whose message is meant for the job's users: a dead job's
 * reason (`onDead`, `afterDead`) is the message of such an error or of an AppError; any other
 * error's is a generic one naming the job, since its message may hold a server path or a query
 * (the error itself is logged).
 */
export class JobError extends Error {}

/** Thrown by a handler for an error that retrying cannot mend (its message is meant for users). */
export class PermanentJobError extends JobError {}
