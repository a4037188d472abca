import fs from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Configuration, LoggingOptions, Transaction } from '@mikro-orm/core';
import { SqliteConnection, SqliteDriver, type NativeQueryBuilder, type RawQueryFragment } from '@mikro-orm/sqlite';
import { CompiledQuery, type DatabaseConnection, type Dialect, type Driver, type QueryResult, type TransactionSettings } from 'kysely';

/**
 * SQLite commits made durable off the event loop.
 *
 * With `synchronous = FULL` every COMMIT syncs the WAL inside SQLite, on the thread that runs
 * it: better-sqlite3 runs on the event loop, so each write held every request and stream of
 * the process for the length of a disk flush (0.3 ms on a quiet disk here, 2 ms median and
 * 21 ms p99 measured under load: 200 chat turns ending together stalled each other's tokens).
 *
 * Here the connection runs `synchronous = NORMAL` (in WAL mode a commit writes its frames to
 * the WAL file without syncing it) and every statement that leaves the connection outside a
 * transaction after a write (a COMMIT, or a write in autocommit) is answered only once the WAL
 * file has been flushed with `fdatasync` on libuv's thread pool. The caller sees what FULL
 * gave it, a write that has returned is on disk, while the event loop goes on serving. The
 * flush runs inside the statement, while Kysely still holds its one connection: nothing else
 * reads or writes through it before the commit is on disk, so no request is answered from
 * data a power cut could still take back (as with FULL, commits are flushed one at a time).
 * SQLite still syncs the WAL itself before each checkpoint, and the database file after it.
 *
 * In-memory databases have no WAL, and nothing to flush.
 *
 * Nor does a statement wait for the write lock on the event loop. The document readers write on
 * connections of their own (src/modules/knowledge/extract-worker.ts), and SQLite's busy handler
 * waits out another connection's write by sleeping the thread that asked: a job's bookkeeping or an
 * upload's insert held every request of the process 1 to 8 ms while a reading thread committed.
 * This connection's own busy timeout is 0; a statement that finds the lock taken is tried again on
 * timers (SQLite's own intervals), up to SQLITE_BUSY_TIMEOUT_MS in all, while the loop serves.
 * And it is served before those threads' next transaction (WriteTurns, below): SQLite's lock is
 * not fair, and a thread committing one short transaction after another takes it again before a
 * waiter polling on timers ever finds it free.
 */

/** The little of better-sqlite3 used here (the package ships no types). */
interface SqliteStatement {
  readonly reader: boolean;
  readonly readonly: boolean;
  all(params: readonly unknown[]): unknown[];
  run(params: readonly unknown[]): { changes: number; lastInsertRowid: number | bigint };
}
interface SqliteDatabase {
  readonly name: string;
  readonly memory: boolean;
  readonly inTransaction: boolean;
  prepare(sql: string): SqliteStatement;
  pragma(source: string, options?: { simple: boolean }): unknown;
  function(name: string, options: { deterministic: boolean }, fn: (value: unknown) => unknown): unknown;
}

/** The intervals (ms) between tries for a lock, as SQLite's own busy handler waits them (sqliteDefaultBusyCallback). */
const BUSY_DELAYS_MS = [1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100];

/** Whether `e` is SQLite's "the lock is taken" (not SQLITE_BUSY_SNAPSHOT and its kin, which waiting does not cure). */
export const isBusy = (e: unknown): boolean => (e as { code?: unknown } | null)?.code === 'SQLITE_BUSY';

/**
 * The serving thread's turn at SQLite's write lock, before the worker threads of this process
 * that write the same file (the document writers, src/modules/knowledge/extract-worker.ts).
 * SQLite's lock is not fair: a thread that ends one short transaction and begins the next at
 * once takes the lock again within microseconds, so a statement of the serving thread, trying
 * again on timers, found it free only by chance. While a writing thread ingested documents back
 * to back, uploads and the job queue's bookkeeping waited out their whole busy timeout and failed
 * (503 service_unavailable; `jobs-throughput` with two reading threads at nice 0 did).
 *
 * Two counters shared with the threads (an Int32Array on a SharedArrayBuffer, one per database
 * file and process): [0] the serving thread's statements waiting for the lock, [1] the
 * transactions the threads have ended. A waiting statement counts itself in [0] and is tried
 * again as soon as a thread's transaction ends (Atomics.waitAsync on [1], or SQLite's interval,
 * whichever comes first); a thread begins no transaction while [0] is above 0 (serveFirst), at
 * most SERVE_FIRST_MAX_MS at a time, since the lock may be another process's, for which its
 * waiting changes nothing.
 */
export type WriteTurns = Int32Array;

const turnsByFile = new Map<string, WriteTurns>();

/** The turns of the database file `file` in this process (the same array for every connection to it). */
export function writeTurnsOf(file: string): WriteTurns {
  const key = resolve(file);
  let turns = turnsByFile.get(key);
  if (!turns) turnsByFile.set(key, (turns = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT))));
  return turns;
}

/** The longest a thread holds back its next transaction for the serving thread (ms). */
export const SERVE_FIRST_MAX_MS = 200;

/**
 * A writing thread, before it begins a transaction: waits while the serving thread waits for the
 * lock (at most `maxMs`). Runs in the worker threads as its source reads (no closures, no imports).
 */
export function serveFirst(turns: Int32Array | null | undefined, maxMs: number): void {
  if (!turns) return;
  const deadline = Date.now() + maxMs;
  for (let waiting = Atomics.load(turns, 0); waiting > 0; waiting = Atomics.load(turns, 0)) {
    const left = deadline - Date.now();
    if (left <= 0) return;
    Atomics.wait(turns, 0, waiting, left);
  }
}

/** A writing thread, once its transaction has ended (committed or rolled back): a waiting statement of the serving thread tries again now. */
export function turnEnded(turns: Int32Array | null | undefined): void {
  if (!turns) return;
  Atomics.add(turns, 1, 1);
  Atomics.notify(turns, 1);
}

/** Atomics.waitAsync (ES2024; in Node since 16): resolves when [i] of `a` is no longer `v`, or after `ms`. */
const waitAsync = (a: Int32Array, i: number, v: number, ms: number): { async: boolean; value: Promise<unknown> | string } =>
  (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number, ms: number): { async: boolean; value: Promise<unknown> | string } }).waitAsync(a, i, v, ms);

/**
 * Tries `attempt` (one statement, on a connection whose busy timeout is 0) again after it found
 * the lock it needs taken, waiting SQLite's intervals on timers rather than sleeping the thread,
 * up to `timeoutMs` in all (then it throws what the last attempt threw: SQLITE_BUSY, as SQLite's
 * own busy handler gives up). A statement refused SQLITE_BUSY did nothing, so trying it again is
 * what SQLite's busy handler does; a COMMIT refused leaves its transaction open, to be committed
 * again. With `turns` (the file's WriteTurns), the worker threads writing the file hold back
 * their next transaction meanwhile, and the statement is tried again as soon as theirs ends.
 */
export async function retryWhileBusy<T>(attempt: () => T, timeoutMs: number, sleep: (ms: number) => Promise<unknown> = delay, now: () => number = () => performance.now(), turns?: WriteTurns): Promise<T> {
  const start = now();
  if (turns) Atomics.add(turns, 0, 1);
  try {
    for (let i = 0, seen = turns ? Atomics.load(turns, 1) : 0; ; i++) {
      const ms = Math.max(0, Math.min(BUSY_DELAYS_MS[Math.min(i, BUSY_DELAYS_MS.length - 1)]!, timeoutMs - (now() - start)));
      if (turns) {
        // The end of a thread's transaction, or the interval, whichever comes first: the interval on
        // a timer too, since a pending waitAsync does not keep Node's process alive, and a CLI whose
        // one pending work was this retry exited with its write undone.
        const wait = waitAsync(turns, 1, seen, ms);
        if (wait.async) {
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([wait.value, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
          clearTimeout(timer);
        }
        seen = Atomics.load(turns, 1);
      } else await sleep(ms);
      try {
        return attempt();
      } catch (e) {
        if (!isBusy(e) || now() - start >= timeoutMs) throw e;
      }
    }
  } finally {
    if (turns) {
      Atomics.sub(turns, 0, 1);
      Atomics.notify(turns, 0);
    }
  }
}

/** How a statement on a connection waits for the lock: up to `timeoutMs` in all (0: not at all), the file's `turns` held meanwhile. */
export interface BusyWait {
  timeoutMs: number;
  turns: WriteTurns | undefined;
}

/**
 * Runs `attempt` at once, and while it finds the lock taken, again on timers (retryWhileBusy):
 * synchronous when the lock is free, as nearly every statement finds it.
 */
export function outwaitingBusy<T>(attempt: () => T, wait: BusyWait | undefined): T | Promise<T> {
  try {
    return attempt();
  } catch (e) {
    if (!isBusy(e) || !wait || wait.timeoutMs <= 0) throw e;
    return retryWhileBusy(attempt, wait.timeoutMs, delay, () => performance.now(), wait.turns);
  }
}

/** How statements on the connections opened through FlushingSqliteConnection wait, by database handle. */
const busyWaits = new WeakMap<object, BusyWait>();

/** How long a statement on `db` (this driver's connection) waits for a lock, in all (0: not at all). */
export const busyTimeoutOf = (db: object): number => busyWaits.get(db)?.timeoutMs ?? 0;

/** How a statement on `db` (this driver's connection) waits for a lock (undefined: it does not). */
export const busyWaitOf = (db: object): BusyWait | undefined => busyWaits.get(db);

/** Flushes a WAL file on the thread pool. */
export class WalFlusher {
  #fd: number | null = null;
  #closed = false;
  /** Flushes done, for the tests and the curious. */
  flushes = 0;

  constructor(readonly path: string) {}

  /** Resolves once everything written to the WAL file before the call is on disk. */
  async flush(): Promise<void> {
    if (this.#closed) return;
    const fd = this.#fd ?? (this.#fd = await new Promise<number>((resolve, reject) => fs.open(this.path, 'r', (e, fd) => (e ? reject(e) : resolve(fd)))));
    await new Promise<void>((resolve, reject) =>
      fs.fdatasync(fd, (e) =>
        // As SQLite reports a failed sync (503 service_unavailable, src/common/unavailable.ts): the write may not be on disk.
        e ? reject(Object.assign(new Error(`disk I/O error: flushing ${this.path} failed (${e.message})`), { code: 'SQLITE_IOERR_FSYNC', cause: e })) : resolve(),
      ),
    );
    this.flushes++;
  }

  /** Closes the file (the database is closing: SQLite checkpoints and removes its WAL). */
  close(): void {
    this.#closed = true;
    if (this.#fd !== null) fs.close(this.#fd, () => undefined);
    this.#fd = null;
  }
}

/** Prepared statements kept per connection, by their text: those of statements with bound values, and the transaction's own. */
const STATEMENT_CACHE = 500;
const TRANSACTION_STATEMENTS = new Set(['begin', 'begin immediate', 'commit', 'rollback']);
/** Statements whose changes SQLite counts (with RETURNING, one row each): a count of 0 means nothing was written. */
const DML = /^\s*(?:insert|update|delete|replace)\b/i;

/**
 * A Kysely connection on better-sqlite3 (Kysely's own, statement for statement, its recurring
 * statements prepared once) that answers a write leaving no transaction open only once it is
 * flushed (when the database has a WAL to flush).
 */
class FlushingConnection implements DatabaseConnection {
  /** Something was written since the connection was last outside a transaction. */
  #dirty = false;
  readonly #statements = new Map<string, SqliteStatement>();
  /** Why the transaction just begun could not take the write lock, and whether it was begun deferred instead (see begin). */
  #refused: { error: Error; begun: boolean } | undefined = undefined;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly inner: DatabaseConnection,
    private readonly wal: WalFlusher | null,
  ) {}

  /**
   * The statement for `sql`, prepared once while it is among the last STATEMENT_CACHE kept.
   * Only texts that recur are kept: those with bound values (see bindable) and BEGIN/COMMIT/
   * ROLLBACK; a text with its values written in is prepared for its one use. (SQLite prepares
   * a kept statement again by itself after a schema change.)
   */
  #prepare(query: CompiledQuery): SqliteStatement {
    if (query.parameters.length === 0 && !TRANSACTION_STATEMENTS.has(query.sql)) return this.db.prepare(query.sql);
    let stmt = this.#statements.get(query.sql);
    if (!stmt) {
      stmt = this.db.prepare(query.sql);
      if (this.#statements.size >= STATEMENT_CACHE) this.#statements.delete(this.#statements.keys().next().value!);
      this.#statements.set(query.sql, stmt);
    }
    return stmt;
  }

  /**
   * Begins a transaction that holds the write lock (BEGIN IMMEDIATE, waited for as any statement
   * waits); one declared read-only (`accessMode: 'read only'`, MikroORM's `readOnly`) begins
   * deferred (SQLite does not hold it to that: one that writes anyway meets what a deferred
   * transaction meets, SQLITE_BUSY_SNAPSHOT if a writer committed after it read).
   * Never throws: Kysely keeps the connection for good when beginning a transaction throws (its
   * controlled transactions release it only on COMMIT or ROLLBACK), and every later statement of
   * the process would wait for ever. A BEGIN IMMEDIATE that fails (it waited out its timeout) begins
   * the transaction deferred instead, and its first statement fails with what BEGIN IMMEDIATE failed
   * with, so the caller rolls back. If that BEGIN fails too (a transaction was somehow left open on
   * the handle), every statement fails with the first error, COMMIT too, and the ROLLBACK that ends
   * it rolls back whatever is open, so nothing runs in a transaction nobody will commit.
   */
  async begin(settings?: TransactionSettings): Promise<void> {
    const sql = settings?.accessMode === 'read only' ? 'begin' : 'begin immediate';
    try {
      await this.executeQuery(CompiledQuery.raw(sql));
    } catch (e) {
      let begun = false;
      if (sql !== 'begin') {
        try {
          await this.executeQuery(CompiledQuery.raw('begin'));
          begun = true;
        } catch {
          // Nothing begun: see #refusal.
        }
      }
      this.#refused = { error: e instanceof Error ? e : new Error(String(e)), begun };
    }
  }

  /** What a transaction begin() could not begin properly does with `sql`: throws, answers (nothing was run), or lets it run. */
  #refusal(sql: string): QueryResult<never> | undefined {
    if (this.#refused === undefined) return undefined;
    const { error, begun } = this.#refused;
    if (begun) {
      // Begun deferred: the first statement fails; then the transaction goes on as the caller sees fit.
      this.#refused = undefined;
      if (sql === 'rollback' || sql === 'commit') return undefined;
      throw error;
    }
    // Not begun: every statement fails, COMMIT too; the ROLLBACK ends it, rolling back what is open.
    if (sql !== 'rollback') throw error;
    this.#refused = undefined;
    if (this.db.inTransaction) this.db.prepare('rollback').run([]);
    return { rows: [] };
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const refused = this.#refusal(query.sql);
    if (refused) return refused;
    // (Preparing is inside the attempt: reading the schema may find the database locked too.)
    let writes = false;
    const run = (): QueryResult<R> => {
      const stmt = this.#prepare(query);
      // (BEGIN IMMEDIATE is not read-only to SQLite, since it takes the lock, but writes nothing.)
      const writer = !stmt.readonly && !TRANSACTION_STATEMENTS.has(query.sql);
      // An insert, update or delete that changed no row wrote nothing (SQLite dirtied no page), and
      // needs no flush: the job queue's claim that found nothing due (two of every three claims
      // while documents are ingested), a conditional update that lost its race. Anything else that
      // is not read-only (a schema change) counts as a write.
      const dml = writer && DML.test(query.sql);
      if (stmt.reader) {
        const rows = stmt.all(query.parameters) as R[];
        writes = writer && (!dml || rows.length > 0);
        return { rows };
      }
      const { changes, lastInsertRowid } = stmt.run(query.parameters);
      writes = writer && (!dml || changes > 0);
      return { insertId: lastInsertRowid != null ? BigInt(lastInsertRowid) : undefined, numAffectedRows: changes != null ? BigInt(changes) : undefined, rows: [] };
    };
    const attempt = outwaitingBusy(run, busyWaitOf(this.db));
    const result = attempt instanceof Promise ? await attempt : attempt;
    if (writes) this.#dirty = true;
    if (this.#dirty && !this.db.inTransaction) {
      this.#dirty = false;
      await this.wal?.flush();
    }
    return result;
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    this.#refusal(query.sql);
    // Kysely streams selects only.
    return this.inner.streamQuery<R>(query, chunkSize ?? 100);
  }
}

/** Kysely's SQLite dialect with its one connection wrapped. */
function flushingDialect(inner: Dialect, db: SqliteDatabase, wal: WalFlusher | null): Dialect {
  return {
    createAdapter: () => inner.createAdapter(),
    createQueryCompiler: () => inner.createQueryCompiler(),
    createIntrospector: (k) => inner.createIntrospector(k),
    createDriver: (): Driver => {
      const driver = inner.createDriver();
      const wrapped = new WeakMap<DatabaseConnection, FlushingConnection>();
      const wrap = (c: DatabaseConnection) => {
        let w = wrapped.get(c);
        if (!w) wrapped.set(c, (w = new FlushingConnection(db, c, wal)));
        return w;
      };
      return {
        init: () => driver.init(),
        acquireConnection: async () => wrap(await driver.acquireConnection()),
        // Kysely's SQLite driver runs BEGIN/COMMIT/ROLLBACK and savepoints through the connection
        // it is handed, the wrapped one: a COMMIT after writes waits for its flush.
        // A transaction takes the write lock as it begins (BEGIN IMMEDIATE, waited for as any
        // statement waits: outwaitingBusy). Begun deferred, a transaction that read before it wrote
        // held a snapshot, and when another connection (a document writer) committed before its first
        // write got the lock, that write failed SQLITE_BUSY_SNAPSHOT, which no waiting cures: an upload
        // answered 503. (This connection is the serving thread's one: its transactions run one at a time anyway.)
        beginTransaction: (c: DatabaseConnection, settings: TransactionSettings) => (c as FlushingConnection).begin(settings),
        commitTransaction: (c: DatabaseConnection) => driver.commitTransaction(c),
        rollbackTransaction: (c: DatabaseConnection) => driver.rollbackTransaction(c),
        ...(driver.savepoint ? { savepoint: driver.savepoint.bind(driver) } : {}),
        ...(driver.rollbackToSavepoint ? { rollbackToSavepoint: driver.rollbackToSavepoint.bind(driver) } : {}),
        ...(driver.releaseSavepoint ? { releaseSavepoint: driver.releaseSavepoint.bind(driver) } : {}),
        releaseConnection: (c: DatabaseConnection) => driver.releaseConnection(c),
        destroy: async () => {
          wal?.close();
          await driver.destroy();
        },
      };
    },
  };
}

class FlushingSqliteConnection extends SqliteConnection {
  /** The WAL flusher of the database opened last (undefined in memory). */
  wal: WalFlusher | undefined;

  override createKyselyDialect(options: Record<string, unknown>): Dialect {
    const dialect = super.createKyselyDialect(options);
    const db = (this as unknown as { database: SqliteDatabase }).database;
    // The busy timeout better-sqlite3 was opened with (SQLITE_BUSY_TIMEOUT_MS) is waited out on
    // timers from now on (outwaitingBusy), not by SQLite sleeping the event loop.
    if (!busyWaits.has(db)) {
      busyWaits.set(db, { timeoutMs: Number(db.pragma('busy_timeout', { simple: true })) || 0, turns: db.memory ? undefined : writeTurnsOf(db.name) });
      db.pragma('busy_timeout = 0');
      // SQLite's lower() folds ASCII letters only ('É' stays): Unicode's, as PostgreSQL's does,
      // so a case-insensitive match of a name ('élodie' in 'Élodie') is one on both databases.
      db.function('lower', { deterministic: true }, (v) => (typeof v === 'string' ? v.toLowerCase() : v));
    }
    // (A database in memory has nothing to flush.)
    this.wal = db.memory ? undefined : new WalFlusher(`${db.name}-wal`);
    return flushingDialect(dialect, db, this.wal ?? null);
  }

  /**
   * MikroORM's `execute`, with the statement's values bound rather than written into its text
   * when they can be bound to the same effect (see bindable): the text then recurs, and its
   * prepared statement is kept (FlushingConnection). MikroORM writes every value into the SQL
   * (`formatQuery`) and sends the result as a statement of its own, which better-sqlite3
   * prepared anew every time: as much CPU as running it, for the inserts of a chat turn. What
   * is logged (and traced) is what MikroORM logs (getSql).
   */
  override async execute<T>(
    query: string | NativeQueryBuilder | RawQueryFragment,
    params: readonly unknown[] | Record<string, unknown> = [],
    method: 'all' | 'get' | 'run' = 'all',
    ctx?: Transaction,
    loggerContext?: LoggingOptions,
  ): Promise<T> {
    const abortable = loggerContext as { signal?: unknown; inflightQueryAbortStrategy?: unknown } | undefined;
    // (Queries that can be cancelled keep MikroORM's own path, which handles that.)
    if (abortable?.signal != null || abortable?.inflightQueryAbortStrategy != null) return super.execute<T & object>(query, params, method, ctx, loggerContext);
    await this.ensureConnection();
    const q = (this as unknown as { prepareQuery(query: unknown, params: unknown): { query: string; params: readonly unknown[]; formatted: string } }).prepareQuery(query, params);
    const sql = this.getSql(q.query, q.formatted, loggerContext);
    const bound = bindable(q.query, q.params);
    const compiled = bound ? CompiledQuery.raw(q.query, bound) : CompiledQuery.raw(q.formatted);
    // (In a transaction, MikroORM's context is Kysely's transaction.)
    const client = (ctx ?? this.getClient()) as unknown as { executeQuery(c: CompiledQuery): Promise<QueryResult<unknown>> };
    return this.executeQuery(sql, async () => this.transformRawResult<T>(await client.executeQuery(compiled), method), { ...q, ...loggerContext });
  }
}

const NOT_BINDABLE = Symbol('not bindable');
const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

/** The value better-sqlite3 binds to the same effect as the literal SqlitePlatform.escape writes, or NOT_BINDABLE. */
function bindValue(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'string':
      return v;
    // The literals `true` and `false` are the integers 1 and 0.
    case 'boolean':
      return v ? 1n : 0n;
    case 'bigint':
      return v >= INT64_MIN && v <= INT64_MAX ? v : NOT_BINDABLE;
    case 'number': {
      if (!Number.isFinite(v)) return NOT_BINDABLE;
      // An integral number is written as an integer literal (its shortest digits): bound as that integer, not as a REAL.
      if (Number.isInteger(v)) {
        const digits = String(v);
        // (From 1e21 on, the literal is written with an exponent: a REAL.)
        if (digits.includes('e')) return NOT_BINDABLE;
        const n = BigInt(digits);
        return n >= INT64_MIN && n <= INT64_MAX ? n : NOT_BINDABLE;
      }
      return v;
    }
    default:
      // A date is written as its milliseconds; a buffer as a blob literal.
      if (v instanceof Date) return Number.isFinite(v.getTime()) ? BigInt(v.getTime()) : NOT_BINDABLE;
      if (Buffer.isBuffer(v)) return v;
      // Arrays (written as lists), objects (as JSON), raw fragments: written in, as MikroORM does.
      return NOT_BINDABLE;
  }
}

/**
 * The values of `params` to bind to `sql`, when binding them is the same statement as
 * MikroORM's text with the values written in (Platform.formatQuery): as many plain `?` as
 * values (none of MikroORM's `??` identifiers or `\?` escapes, no numbered `?1`), and every
 * value one SqlitePlatform.escape writes as a single literal. Else null: the text with its
 * values is sent, as before.
 */
export function bindable(sql: string, params: readonly unknown[]): unknown[] | null {
  if (!Array.isArray(params) || params.length === 0) return null;
  let count = 0;
  for (let i = sql.indexOf('?'); i >= 0; i = sql.indexOf('?', i + 1)) {
    const next = sql.charCodeAt(i + 1);
    if (next === 63 /* ? */ || (next >= 48 && next <= 57) /* ?1 */ || sql.charCodeAt(i - 1) === 92 /* \? */) return null;
    count++;
  }
  if (count !== params.length) return null;
  const values = new Array<unknown>(params.length);
  for (let i = 0; i < params.length; i++) {
    const v = bindValue(params[i]);
    if (v === NOT_BINDABLE) return null;
    values[i] = v;
  }
  return values;
}

/** MikroORM's SQLite driver (better-sqlite3), its commits flushed off the event loop; the connection runs `synchronous = NORMAL` (src/db/orm.ts). */
export class FlushingSqliteDriver extends SqliteDriver {
  constructor(config: Configuration) {
    super(config);
    // SqliteDriver names its connection class itself; this one replaces it before anything connects.
    (this as unknown as { connection: SqliteConnection }).connection = new FlushingSqliteConnection(this.config);
  }
}

/** The WAL flusher of an ORM on FlushingSqliteDriver with a file database. */
export function walFlusherOf(connection: unknown): WalFlusher | undefined {
  return connection instanceof FlushingSqliteConnection ? connection.wal : undefined;
}
