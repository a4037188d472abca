import fs from 'node:fs';
import type { Configuration } from '@mikro-orm/core';
import { SqliteConnection, SqliteDriver } from '@mikro-orm/sqlite';
import type { CompiledQuery, DatabaseConnection, Dialect, Driver, QueryResult, TransactionSettings } from 'kysely';

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
}

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

/** A Kysely connection on better-sqlite3 (Kysely's own, statement for statement) that answers a write leaving no transaction open only once it is flushed. */
class FlushingConnection implements DatabaseConnection {
  /** Something was written since the connection was last outside a transaction. */
  #dirty = false;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly inner: DatabaseConnection,
    private readonly wal: WalFlusher,
  ) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const stmt = this.db.prepare(query.sql);
    let result: QueryResult<R>;
    if (stmt.reader) result = { rows: stmt.all(query.parameters) as R[] };
    else {
      const { changes, lastInsertRowid } = stmt.run(query.parameters);
      result = { insertId: lastInsertRowid != null ? BigInt(lastInsertRowid) : undefined, numAffectedRows: changes != null ? BigInt(changes) : undefined, rows: [] };
    }
    if (!stmt.readonly) this.#dirty = true;
    if (this.#dirty && !this.db.inTransaction) {
      this.#dirty = false;
      await this.wal.flush();
    }
    return result;
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    // Kysely streams selects only.
    return this.inner.streamQuery<R>(query, chunkSize ?? 100);
  }
}

/** Kysely's SQLite dialect with its one connection wrapped. */
function flushingDialect(inner: Dialect, db: SqliteDatabase, wal: WalFlusher): Dialect {
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
        beginTransaction: (c: DatabaseConnection, s: TransactionSettings) => driver.beginTransaction(c, s),
        commitTransaction: (c: DatabaseConnection) => driver.commitTransaction(c),
        rollbackTransaction: (c: DatabaseConnection) => driver.rollbackTransaction(c),
        ...(driver.savepoint ? { savepoint: driver.savepoint.bind(driver) } : {}),
        ...(driver.rollbackToSavepoint ? { rollbackToSavepoint: driver.rollbackToSavepoint.bind(driver) } : {}),
        ...(driver.releaseSavepoint ? { releaseSavepoint: driver.releaseSavepoint.bind(driver) } : {}),
        releaseConnection: (c: DatabaseConnection) => driver.releaseConnection(c),
        destroy: async () => {
          wal.close();
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
    if (db.memory) return dialect;
    this.wal = new WalFlusher(`${db.name}-wal`);
    return flushingDialect(dialect, db, this.wal);
  }
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
