import type { EntityManager } from '@mikro-orm/core';
import { BaseSqliteConnection } from '@mikro-orm/sql';
import { CompiledQuery, type Transaction } from 'kysely';
import { busyWaitOf, outwaitingBusy } from './durable-sqlite.js';

/**
 * Hot reads as statements prepared once (issue 22). MikroORM sends every statement with its
 * values written into the SQL text, so nothing it sends is ever prepared twice: each read on
 * the path of every authenticated request (the session check, the user) paid for query
 * building, SQL parsing and planning every time. These few reads are written once in SQL with
 * placeholders (`?`), and run:
 *
 * - on SQLite, as better-sqlite3 statements prepared once on the ORM's own connection (the same
 *   connection MikroORM uses: it serializes nothing for reads either, so what is seen is the same);
 * - on PostgreSQL, as named prepared statements of `pg` (parsed once per pooled connection),
 *   or, inside a transaction, on the transaction's own connection;
 *
 * and are handed to MikroORM's query logger like its own statements (debug logs and statement
 * counts see them). Values are as the database stores them: SQLite dates as epoch milliseconds,
 * PostgreSQL dates as `Date`; pass dates through `param`.
 */
export interface PreparedRead<Row> {
  /** The first row, or undefined. */
  first(em: EntityManager, params: readonly unknown[]): Promise<Row | undefined>;
  /** Every row. */
  all(em: EntityManager, params: readonly unknown[]): Promise<Row[]>;
}

interface SqliteStatement {
  all(...params: unknown[]): unknown[];
  get(...params: unknown[]): unknown;
}
interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
}
interface PgPool {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}
/** What these reads use of MikroORM's connection: its native client, and its query log (protected in its types). */
interface NativeConnection {
  getNativeClient(): Promise<unknown>;
  logQuery(query: string, context: { params: readonly unknown[]; took: number; results: number }): void;
}

const isSqlite = (em: EntityManager) => em.getConnection() instanceof BaseSqliteConnection;

/** `?` placeholders as PostgreSQL's `$1, $2…`. */
const numbered = (sql: string) => {
  let i = 0;
  return sql.replace(/\?/g, () => `$${++i}`);
};

/** A value as a statement parameter: a Date as this database stores it. */
export const param = (em: EntityManager, value: unknown): unknown => (value instanceof Date && isSqlite(em) ? value.getTime() : value);

let counter = 0;

/** A read written in SQL with `?` placeholders, prepared once per connection. */
export function preparedRead<Row>(sql: string): PreparedRead<Row> {
  const name = `xt_hot_${++counter}`;
  const pgSql = numbered(sql);
  // One statement per better-sqlite3 database (a new one after the ORM reconnects).
  const statements = new WeakMap<object, SqliteStatement>();

  async function run(em: EntityManager, params: readonly unknown[], one: boolean): Promise<unknown[]> {
    const values = params.map((v) => param(em, v));
    const sqlite = isSqlite(em);
    const connection = em.getConnection() as unknown as NativeConnection;
    const started = Date.now();
    let rows: unknown[];
    const trx = em.isInTransaction() ? em.getTransactionContext<Transaction<never>>() : undefined;
    try {
    if (sqlite) {
      const db = (await connection.getNativeClient()) as SqliteDatabase;
      const read = (): unknown[] => {
        let stmt = statements.get(db);
        if (!stmt) statements.set(db, (stmt = db.prepare(sql)));
        if (!one) return stmt.all(...values);
        const row = stmt.get(...values);
        return row === undefined ? [] : [row];
      };
      // (A read in WAL mode takes no lock but while a connection recovers the WAL: waited out as the ORM's statements wait, src/db/durable-sqlite.ts.)
      const attempt = outwaitingBusy(read, busyWaitOf(db));
      rows = attempt instanceof Promise ? await attempt : attempt;
    } else if (trx) {
      rows = (await trx.executeQuery(CompiledQuery.raw(pgSql, values))).rows;
    } else {
      const pool = (await connection.getNativeClient()) as PgPool;
      rows = (await pool.query({ name, text: pgSql, values })).rows;
    }
    } catch (e) {
      // As MikroORM's own statements fail: its exceptions, the driver's code copied on them.
      throw em.getDriver().convertException(e as Error);
    }
    connection.logQuery(sqlite ? sql : pgSql, { params: values, took: Date.now() - started, results: rows.length });
    return rows;
  }

  return {
    first: async (em, params) => (await run(em, params, true))[0] as Row | undefined,
    all: async (em, params) => (await run(em, params, false)) as Row[],
  };
}
