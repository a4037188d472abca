import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MikroORM } from '@mikro-orm/core';
import type { EntityManager as SqlEntityManager } from '@mikro-orm/sql';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Clock } from '../src/common/clock.js';
import { openDatabase } from '../src/db/orm.js';
import { allEntities } from '../src/modules/index.js';
import { backoff, TableQueue, type TableQueueOptions } from '../src/db/queue/table-queue.js';
import { createScratchDatabase } from '../src/db/scratch.js';
import { AppError } from '../src/common/errors.js';
import { JobError, PermanentJobError, type JobHandler } from '../src/jobs/queue.js';
import { driver, PG_ADMIN_URL } from './helpers/server.js';
import { until } from './helpers/wait.js';

/** A clock the test moves: retries come due when it says so. */
const manualClock = (start = 1_800_000_000_000) => {
  let t = start;
  const clock: Clock & { advance(ms: number): void } = { now: () => t, at: () => () => undefined, advance: (ms) => (t += ms) };
  return clock;
};

/** Two ORMs on one database stand for two gateway processes. */
let orms: MikroORM[] = [];
let cleanup: () => Promise<void>;
beforeAll(async () => {
  let db: { driver: 'sqlite' | 'postgresql'; url: string };
  if (driver === 'postgresql') {
    const scratch = await createScratchDatabase(PG_ADMIN_URL, 'xt_jobs');
    db = { driver, url: scratch.url };
    cleanup = () => scratch.drop();
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'xt-jobs-'));
    db = { driver, url: join(dir, 'jobs.sqlite3') };
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  }
  const options = { ...db, poolMax: 4, debug: false, batching: true, sqliteBusyTimeoutMs: 5000 };
  orms = [await openDatabase(options, allEntities), await openDatabase(options, allEntities)];
});
afterAll(async () => {
  for (const orm of orms) await orm.close(true);
  await cleanup?.();
});
beforeEach(async () => {
  await orms[0]!.em.getConnection().execute('delete from jobs');
});

const queue = (orm: MikroORM, options: Partial<TableQueueOptions> = {}) =>
  new TableQueue(orm.em, { driver, concurrency: 2, pollIntervalMs: 60_000, leaseMs: 30_000, maxAttempts: 3, retryBaseMs: 1000, retryMaxMs: 8000, ...options });

const rows = async () =>
  (await orms[0]!.em.getConnection().execute('select id, queue, state, attempts, last_error, run_at, locked_by from jobs order by created_at')) as {
    id: string;
    state: string;
    attempts: number;
    last_error: string | null;
    run_at: number | string;
    locked_by: string | null;
  }[];

describe('the table-backed job queue', () => {
  it('enqueues inside the caller\'s transaction: a rollback leaves no job, a commit one that runs', async () => {
    const q = queue(orms[0]!);
    const seen: unknown[] = [];
    q.register('test.echo', { run: async (p) => void seen.push(p) });
    await expect(
      orms[0]!.em.fork().transactional(async (tx) => {
        await q.enqueue(tx, 'test.echo', { n: 1 });
        throw new Error('domain write refused');
      }),
    ).rejects.toThrow('domain write refused');
    expect(await rows()).toEqual([]);
    await orms[0]!.em.fork().transactional((tx) => q.enqueue(tx, 'test.echo', { n: 2 }));
    await q.drain();
    expect(seen).toEqual([{ n: 2 }]);
    // A finished job is gone.
    expect(await rows()).toEqual([]);
  });

  it.runIf(driver === 'sqlite')('finds nothing due without waiting for SQLite’s write lock', async () => {
    const q = queue(orms[0]!);
    q.register('test.echo', { run: async () => undefined });
    const Database = createRequire(import.meta.url)('better-sqlite3') as new (file: string, options: { timeout: number }) => { exec(sql: string): void; close(): void };
    const other = new Database(orms[0]!.config.get('dbName'), { timeout: 0 });
    try {
      // Another connection (a document writer, another process) holds the write lock, and nothing is due.
      other.exec('begin immediate');
      let settled = false;
      const drained = q.drain().then(() => (settled = true));
      // An UPDATE would wait for the lock (on timers, up to the 5 s busy timeout); the read that comes first does not.
      for (let i = 0; i < 50 && !settled; i++) await new Promise((r) => setTimeout(r, 1));
      expect(settled).toBe(true);
      await drained;
    } finally {
      other.exec('rollback');
      other.close();
    }
  });

  it('retries with exponential backoff, then leaves the job dead with the last error, recorded in the same transaction', async () => {
    const clock = manualClock();
    const q = queue(orms[0]!, { clock });
    let calls = 0;
    const dead: string[] = [];
    q.register<{ ref: string }>('test.flaky', {
      run: async () => {
        calls++;
        throw new Error(`boom ${calls}`);
      },
      onDead: async (em, p, reason) => {
        // The job's transaction: the domain row says why.
        await (em as SqlEntityManager).execute('select 1');
        dead.push(`${p.ref}: ${reason}`);
      },
    });
    const t0 = clock.now();
    await orms[0]!.em.fork().transactional((tx) => q.enqueue(tx, 'test.flaky', { ref: 'a' }));
    await q.drain();
    let [job] = await rows();
    expect(job).toMatchObject({ state: 'pending', last_error: 'boom 1' });
    expect(Number(job!.attempts)).toBe(1);
    expect(Number(job!.run_at)).toBe(t0 + backoff(1, 1000, 8000));
    // Not due yet: drain does not wait for it.
    await q.drain();
    expect(calls).toBe(1);
    clock.advance(1000);
    await q.drain();
    [job] = await rows();
    expect(Number(job!.run_at)).toBe(t0 + 1000 + 2000);
    clock.advance(2000);
    await q.drain();
    expect(calls).toBe(3);
    [job] = await rows();
    expect(job).toMatchObject({ state: 'dead', last_error: 'boom 3', locked_by: null });
    // The reason a user may read: not the message of an error written for nobody in particular.
    expect(dead).toEqual([`a: internal error (see the server log, job ${job!.id})`]);
    expect(await q.counts()).toEqual([
      { queue: 'test.flaky', state: 'pending', count: 0 },
      { queue: 'test.flaky', state: 'running', count: 0 },
      { queue: 'test.flaky', state: 'dead', count: 1 },
    ]);
    expect([backoff(1, 1000, 8000), backoff(2, 1000, 8000), backoff(3, 1000, 8000), backoff(5, 1000, 8000)]).toEqual([1000, 2000, 4000, 8000]);
  });

  it('sends a permanent error straight to dead', async () => {
    const q = queue(orms[0]!);
    let calls = 0;
    q.register('test.permanent', {
      run: async () => {
        calls++;
        throw new PermanentJobError('the file cannot be read');
      },
    });
    await orms[0]!.em.fork().transactional((tx) => q.enqueue(tx, 'test.permanent', {}));
    await q.drain();
    expect(calls).toBe(1);
    expect(await rows()).toMatchObject([{ state: 'dead', last_error: 'the file cannot be read' }]);
  });

  it('tells a dead job\'s handler only reasons written for users; any other error is logged and named by the job', async () => {
    const logged: { msg: string; job?: string; err?: { message: string } }[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line) as (typeof logged)[number]) });
    const q = queue(orms[0]!, { log, maxAttempts: 1 });
    const missing = join(tmpdir(), 'xt-jobs-missing', 'uploads', 'sha256', '95', '952e0000');
    const errors: Record<string, () => Promise<unknown>> = {
      // A file the job needs is gone: Node's message names the server's path.
      system: () => readFile(missing),
      plain: async () => {
        throw new Error('select * from documents where secret = 1 - SQLITE_ERROR');
      },
      permanent: async () => {
        throw new PermanentJobError('the PDF has no text layer');
      },
      retryable: async () => {
        throw new JobError('the embeddings endpoint answered 503');
      },
      app: async () => {
        throw new AppError('document_too_large', 'the document is larger than 10 MB');
      },
    };
    const told = new Map<string, string>();
    q.register<{ kind: string }>('test.reasons', { run: async ({ kind }) => void (await errors[kind]!()), onDead: async (_em, { kind }, reason) => void told.set(kind, reason) });
    const ids = new Map<string, string>();
    for (const kind of Object.keys(errors)) ids.set(kind, await orms[0]!.em.fork().transactional((tx) => q.enqueue(tx, 'test.reasons', { kind })));
    await q.drain();
    expect(Object.fromEntries(told)).toEqual({
      system: `internal error (see the server log, job ${ids.get('system')})`,
      plain: `internal error (see the server log, job ${ids.get('plain')})`,
      permanent: 'the PDF has no text layer',
      retryable: 'the embeddings endpoint answered 503',
      app: 'the document is larger than 10 MB',
    });
    // The server keeps the whole error: in the log, with the job, and on the job's row.
    const dead = logged.find((l) => l.msg === 'job dead' && l.job === ids.get('system'));
    expect(dead?.err?.message).toContain(missing);
    const [row] = await orms[0]!.em.getConnection().execute<{ last_error: string }[]>('select last_error from jobs where id = ?', [ids.get('system')]);
    expect(row!.last_error).toContain('ENOENT');
  });

  it('takes over the job of a process that died once its lease lapsed, and not before', async () => {
    const clock = manualClock();
    // Process A claims the job and dies mid-way: its handler never ends and no heartbeat is sent
    // (the lease is far longer than the test; A's heartbeat interval never fires).
    const outcomes: string[] = [];
    const a = queue(orms[0]!, { clock, leaseMs: 600_000, worker: 'proc-a', observe: (_q, outcome) => void outcomes.push(`a ${outcome}`) });
    let startedOnA!: () => void;
    const aStarted = new Promise<void>((r) => (startedOnA = r));
    let finishOnA!: () => void;
    a.register('test.work', { run: () => (startedOnA(), new Promise<void>((r) => (finishOnA = r))) });
    await orms[0]!.em.fork().transactional((tx) => a.enqueue(tx, 'test.work', { doc: 1 }));
    a.start();
    await aStarted;
    // The claim names the process that holds the job.
    expect(await rows()).toMatchObject([{ state: 'running', locked_by: expect.stringMatching(/^proc-a\/[0-9a-f]{32}$/) }]);

    const b = queue(orms[1]!, { clock, leaseMs: 600_000, worker: 'proc-b', observe: (_q, outcome) => void outcomes.push(`b ${outcome}`) });
    const ranOnB: unknown[] = [];
    b.register('test.work', { run: async (p, job) => void ranOnB.push({ p, attempt: job.attempt }) });
    await b.drain();
    expect(ranOnB).toEqual([]);
    clock.advance(600_001);
    await b.drain();
    expect(ranOnB).toEqual([{ p: { doc: 1 }, attempt: 2 }]);
    expect(await rows()).toEqual([]);
    // A's late answer cannot touch what B did (its claim's token no longer holds the row), nor count as a completion.
    finishOnA();
    await a.stop();
    expect(outcomes).toEqual(['b completed']);
  });

  it('gives its running jobs back when it stops: another process takes them at once, their attempt not counted', async () => {
    const clock = manualClock();
    const outcomes: string[] = [];
    // Leases far longer than the test: only giving the jobs back lets B take them.
    const a = queue(orms[0]!, { clock, leaseMs: 600_000, worker: 'proc-a', observe: (_q, outcome) => void outcomes.push(`a ${outcome}`) });
    const b = queue(orms[1]!, { clock, leaseMs: 600_000, worker: 'proc-b', observe: (_q, outcome) => void outcomes.push(`b ${outcome}`) });
    const started: number[] = [];
    let finishIgnoring!: () => void;
    // Job 1 stops on its signal, as ingestion does; job 2 ignores it.
    a.register<{ n: number }>('test.long', {
      run: ({ n }, job) =>
        new Promise<void>((resolve, reject) => {
          started.push(n);
          if (n === 1) job.signal.addEventListener('abort', () => reject(job.signal.reason as Error));
          else finishIgnoring = resolve;
        }),
    });
    const ranOnB: unknown[] = [];
    b.register<{ n: number }>('test.long', { run: async ({ n }, job) => void ranOnB.push({ n, attempt: job.attempt }) });
    const state = async (n: number) =>
      (await orms[0]!.em.getConnection().execute<{ state: string; attempts: number | string; run_at: number | string; locked_by: string | null }[]>(`select state, attempts, run_at, locked_by from jobs where payload = ?`, [JSON.stringify({ n })]))[0];

    await orms[0]!.em.fork().transactional((tx) => a.enqueue(tx, 'test.long', { n: 1 }));
    a.start();
    await until(() => started.length === 1, undefined, 'job 1 started');
    // Stopping aborts the handler, which stops; its job is pending again, due now, its attempt given back.
    const stopped = a.stop();
    await until(async () => (await state(1))?.state === 'pending', undefined, 'job 1 given back');
    await stopped;
    expect(await state(1)).toMatchObject({ locked_by: null });
    expect(Number((await state(1))!.attempts)).toBe(0);
    expect(Number((await state(1))!.run_at)).toBe(clock.now());
    await b.drain();
    expect(ranOnB).toEqual([{ n: 1, attempt: 1 }]);

    // A handler that does not stop is given back at the end of the grace, and what it does later is not recorded.
    await orms[0]!.em.fork().transactional((tx) => a.enqueue(tx, 'test.long', { n: 2 }));
    a.start();
    await until(() => started.length === 2, undefined, 'job 2 started');
    await a.stop(0);
    expect(await state(2)).toMatchObject({ state: 'pending', locked_by: null });
    await b.drain();
    expect(ranOnB).toEqual([{ n: 1, attempt: 1 }, { n: 2, attempt: 1 }]);
    finishIgnoring();
    await a.stop();
    expect(await rows()).toEqual([]);
    expect(outcomes).toEqual(['b completed', 'b completed']);
  });

  it('counts and logs only what its own claim recorded: a claim that lost its lease neither retried nor killed the job', async () => {
    const clock = manualClock();
    const outcomes: string[] = [];
    const logged: { msg: string }[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line) as { msg: string }) });
    const a = queue(orms[0]!, { clock, leaseMs: 600_000, worker: 'proc-a', log, observe: (_q, outcome) => void outcomes.push(`a ${outcome}`) });
    const b = queue(orms[1]!, { clock, leaseMs: 600_000, worker: 'proc-b', observe: (_q, outcome) => void outcomes.push(`b ${outcome}`) });
    const failOnA = new Map<number, (e: Error) => void>();
    // On A, job 1 fails (a retry would follow), job 2 fails permanently (it would die): both after B took them over.
    a.register<{ n: number }>('test.late', { run: ({ n }) => new Promise<void>((_resolve, reject) => void failOnA.set(n, reject)) });
    b.register<{ n: number }>('test.late', { run: async () => undefined });
    await orms[0]!.em.fork().transactional(async (tx) => {
      await a.enqueue(tx, 'test.late', { n: 1 });
      await a.enqueue(tx, 'test.late', { n: 2 });
    });
    a.start();
    await until(() => failOnA.size === 2, undefined, 'both jobs running on A');
    clock.advance(600_001);
    await b.drain();
    expect(await rows()).toEqual([]);
    failOnA.get(1)!(new Error('late failure'));
    failOnA.get(2)!(new PermanentJobError('late permanent failure'));
    // A has seen both failures (whatever it made of them) before it stops.
    await until(() => logged.filter((l) => /lease was taken over|job failed|job dead/.test(l.msg)).length === 2, undefined, 'both failures seen on A');
    await a.stop();
    expect(outcomes).toEqual(['b completed', 'b completed']);
    const messages = logged.map((l) => l.msg);
    expect(messages.filter((m) => /lease was taken over/.test(m))).toHaveLength(2);
    expect(messages).not.toContain('job failed; retrying');
    expect(messages).not.toContain('job dead');
  });

  it('counts every registered queue in every state, and a running job whose lease lapsed as pending', async () => {
    const clock = manualClock();
    const now = clock.now();
    const q = queue(orms[0]!, { clock });
    q.register('test.idle', { run: async () => undefined });
    q.register('test.held', { run: async () => undefined });
    const insert = `insert into jobs (id, queue, payload, state, attempts, max_attempts, run_at, locked_by, locked_until, created_at, updated_at) values (?, 'test.held', '{}', 'running', 1, 3, ?, 'gone', ?, ?, ?)`;
    // One held under a live lease, one whose process died and whose lease lapsed.
    await orms[0]!.em.getConnection().execute(insert, ['5b0c1c4e-8d1c-4d1a-9f77-000000000002', now, now + 1000, now, now]);
    await orms[0]!.em.getConnection().execute(insert, ['5b0c1c4e-8d1c-4d1a-9f77-000000000003', now, now - 1, now, now]);
    expect(await q.counts()).toEqual([
      { queue: 'test.idle', state: 'pending', count: 0 },
      { queue: 'test.idle', state: 'running', count: 0 },
      { queue: 'test.idle', state: 'dead', count: 0 },
      { queue: 'test.held', state: 'pending', count: 1 },
      { queue: 'test.held', state: 'running', count: 1 },
      { queue: 'test.held', state: 'dead', count: 0 },
    ]);
  });

  it('kills a job whose process keeps dying, once its attempts are spent', async () => {
    const clock = manualClock();
    const now = clock.now();
    await orms[0]!.em
      .getConnection()
      .execute(`insert into jobs (id, queue, payload, ref, state, attempts, max_attempts, run_at, locked_by, locked_until, created_at, updated_at) values ('5b0c1c4e-8d1c-4d1a-9f77-000000000001', 'test.crashy', '{}', null, 'running', 3, 3, ?, 'gone', ?, ?, ?)`, [now, now - 1, now, now]);
    const q = queue(orms[1]!, { clock });
    let ran = false;
    const dead: string[] = [];
    q.register('test.crashy', { run: async () => void (ran = true), onDead: async (_em, _p, reason) => void dead.push(reason) });
    await q.drain();
    expect(ran).toBe(false);
    expect(dead[0]).toMatch(/stopped 3 times/);
    expect(await rows()).toMatchObject([{ state: 'dead' }]);
  });

  it('runs each job exactly once when two processes claim at the same time', async () => {
    const a = queue(orms[0]!, { concurrency: 4 });
    const b = queue(orms[1]!, { concurrency: 4 });
    const runs = new Map<number, number>();
    const handler: JobHandler<{ n: number }> = {
      run: async ({ n }) => {
        runs.set(n, (runs.get(n) ?? 0) + 1);
        await new Promise((r) => setImmediate(r));
      },
    };
    a.register('test.many', handler);
    b.register('test.many', handler);
    const N = 60;
    await orms[0]!.em.fork().transactional(async (tx) => {
      for (let n = 0; n < N; n++) await a.enqueue(tx, 'test.many', { n });
    });
    await Promise.all([a.drain(), b.drain()]);
    expect(runs.size).toBe(N);
    expect([...runs.values()].every((c) => c === 1)).toBe(true);
    expect(await rows()).toEqual([]);
  });

  it('cancels the jobs of a row with it, and reports ready', async () => {
    const q = queue(orms[0]!);
    q.register('test.ref', { run: async () => undefined });
    await orms[0]!.em.fork().transactional((tx) => q.enqueue(tx, 'test.ref', {}, { ref: 'doc-1' }));
    expect(await orms[0]!.em.fork().transactional((tx) => q.cancel(tx, 'doc-1'))).toBe(1);
    expect(await rows()).toEqual([]);
    expect(await q.ready()).toBe(true);
  });

  it('runs a recurring job on exactly one of two processes, again after its period, with one row that survives a restart', async () => {
    const clock = manualClock();
    const t0 = clock.now();
    const runs: string[] = [];
    const make = (orm: MikroORM, name: string) => {
      const q = queue(orm, { clock });
      q.recurring('test.tick', { everyMs: 60_000 }, { run: async (p, job) => void runs.push(`${name}:${String(p)}:${job.attempt}`) });
      return q;
    };
    const a = make(orms[0]!, 'a');
    const b = make(orms[1]!, 'b');
    await Promise.all([a.prepare(), b.prepare()]);
    const schedule = () => orms[0]!.em.getConnection().execute<{ key: string; state: string; run_at: number | string; every_ms: number | string }[]>('select key, state, run_at, every_ms from jobs');
    let all = await schedule();
    // One row for both processes, first due one period after the first start.
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ key: 'every:test.tick', state: 'pending' });
    expect(Number(all[0]!.run_at)).toBe(t0 + 60_000);
    await Promise.all([a.drain(), b.drain()]);
    expect(runs).toHaveLength(0);
    // Waiting for its period, it is not work to do (the queue depth, the search status's pending_jobs); due, it is.
    const pending = async () => (await a.counts()).find((c) => c.queue === 'test.tick' && c.state === 'pending')!.count;
    expect(await pending()).toBe(0);
    clock.advance(60_000);
    expect(await pending()).toBe(1);
    await Promise.all([a.drain(), b.drain()]);
    expect(runs).toHaveLength(1);
    all = await schedule();
    expect(all).toMatchObject([{ state: 'pending' }]);
    expect(Number(all[0]!.run_at)).toBe(t0 + 120_000);
    clock.advance(60_000);
    await Promise.all([a.drain(), b.drain()]);
    expect(runs).toHaveLength(2);
    expect(runs.every((r) => r.endsWith(':null:1'))).toBe(true);
    // A restart (a new queue on the same table) keeps the one row and its time.
    const c = make(orms[0]!, 'c');
    await c.drain();
    expect(runs).toHaveLength(2);
    all = await schedule();
    expect(all).toHaveLength(1);
    expect(Number(all[0]!.run_at)).toBe(t0 + 180_000);
  });

  it('moves a recurring job\'s next run when its period changes (a running one when it ends); the last process started sets the period', async () => {
    const clock = manualClock();
    const t0 = clock.now();
    const HOURS_6 = 6 * 3_600_000;
    let started = 0;
    let finish: () => void = () => undefined;
    const make = (orm: MikroORM, everyMs: number) => {
      const q = queue(orm, { clock });
      q.recurring('test.period', { everyMs }, { run: () => (started++, new Promise<void>((r) => (finish = r))) });
      return q;
    };
    const row = async () => {
      const [r] = await orms[0]!.em.getConnection().execute<{ state: string; run_at: number | string; every_ms: number | string }[]>(`select state, run_at, every_ms from jobs where key = 'every:test.period'`);
      return { state: r!.state, runAt: Number(r!.run_at) - t0, everyMs: Number(r!.every_ms) };
    };
    await make(orms[0]!, HOURS_6).prepare();
    expect(await row()).toEqual({ state: 'pending', runAt: HOURS_6, everyMs: HOURS_6 });
    // Restarted with a minute: due within the minute, not six hours away.
    clock.advance(1000);
    await make(orms[1]!, 60_000).prepare();
    expect(await row()).toEqual({ state: 'pending', runAt: 61_000, everyMs: 60_000 });
    // The same period again keeps the time; a longer one keeps the sooner time.
    clock.advance(1000);
    await make(orms[0]!, 60_000).prepare();
    expect(await row()).toMatchObject({ runAt: 61_000 });
    await make(orms[0]!, 120_000).prepare();
    expect(await row()).toEqual({ state: 'pending', runAt: 61_000, everyMs: 120_000 });

    // While it runs, a change of period leaves it alone; its next run is one new period after it ends.
    clock.advance(59_000);
    const running = make(orms[0]!, 120_000);
    const drained = running.drain();
    await until(() => started === 1, undefined, 'the recurring job started');
    await make(orms[1]!, 30_000).prepare();
    expect(await row()).toEqual({ state: 'running', runAt: 61_000, everyMs: 30_000 });
    finish();
    await drained;
    expect(await row()).toEqual({ state: 'pending', runAt: clock.now() - t0 + 30_000, everyMs: 30_000 });
  });

  it('retries a failing recurring job with backoff, then counts it dead and keeps its schedule with the last error', async () => {
    const clock = manualClock();
    const outcomes: string[] = [];
    const q = queue(orms[0]!, { clock, observe: (_q, outcome) => void outcomes.push(outcome) });
    let calls = 0;
    q.recurring('test.sweep', { everyMs: 30_000 }, {
      run: async () => {
        calls++;
        throw new Error(`sweep ${calls} failed`);
      },
    });
    await q.prepare();
    clock.advance(30_000);
    await q.drain();
    clock.advance(1000);
    await q.drain();
    clock.advance(2000);
    await q.drain();
    expect(calls).toBe(3);
    expect(outcomes).toEqual(['retried', 'retried', 'dead']);
    const [row] = await orms[0]!.em.getConnection().execute<{ state: string; attempts: number; last_error: string; run_at: number | string }[]>('select state, attempts, last_error, run_at from jobs');
    expect(row).toMatchObject({ state: 'pending', last_error: 'sweep 3 failed' });
    expect(Number(row!.attempts)).toBe(0);
    expect(Number(row!.run_at)).toBe(clock.now() + 30_000);
  });

  it('keeps one job per key: a second enqueue adds nothing while it waits, a dead one comes back', async () => {
    const q = queue(orms[0]!);
    let calls = 0;
    q.register('test.keyed', {
      run: async () => {
        calls++;
        throw new PermanentJobError('no');
      },
    });
    const first = await orms[0]!.em.fork().transactional((tx) => q.enqueue(tx, 'test.keyed', { v: 1 }, { key: 'k1' }));
    const again = await orms[0]!.em.fork().transactional((tx) => q.enqueue(tx, 'test.keyed', { v: 2 }, { key: 'k1' }));
    expect(again).toBe(first);
    expect(await rows()).toHaveLength(1);
    await q.drain();
    expect(calls).toBe(1);
    expect(await rows()).toMatchObject([{ state: 'dead' }]);
    const revived = await orms[0]!.em.fork().transactional((tx) => q.enqueue(tx, 'test.keyed', { v: 3 }, { key: 'k1' }));
    expect(revived).toBe(first);
    expect(await rows()).toMatchObject([{ state: 'pending', attempts: 0, last_error: null }]);
    await q.drain();
    expect(calls).toBe(2);
  });
});
