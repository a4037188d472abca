import { createHash } from 'node:crypto';
import type { TestServer } from './server.js';

/**
 * What is stored, as a value to compare before and after something that must change
 * nothing (a refused call, a rejected body): the content of every row of every table, in
 * one statement. Each table's rows are rendered column by column, each row hashed, the
 * hashes put in order (so no primary key is needed to order by) and hashed again: an
 * insert, delete or update of any column of any table changes the state, whether the table
 * keeps an update time or not.
 *
 * - `quick()`: the whole database as one value (one statement; on SQLite the rows' text is
 *   hashed here, as SQLite has no hash function).
 * - `full()`: the same per table, to name the tables that differ.
 *
 * Left out: the migrations table, SQLite's FTS shadow tables (derived from search_entries),
 * PostgreSQL's generated `tsv` column, and columns a refused call may legitimately touch: an
 * API key's `last_used_at` is written when the key authenticates, before the operation refuses;
 * and rows no request writes: the recurring jobs' schedule rows (`every_ms` set), which the
 * app's runner claims, leases and reschedules in the background whatever the requests do
 * (a one-off job a request enqueues is still counted).
 */
export interface DbState {
  quick(): Promise<string>;
  full(): Promise<Record<string, string>>;
  /** Every row of every table (the same columns), for a test that compares what was stored. */
  rows(): Promise<Record<string, Record<string, unknown>[]>>;
}

const VOLATILE_COLUMNS: Record<string, string[]> = { api_keys: ['last_used_at'] };
/** Rows left out, as a condition on the rows kept. */
const BACKGROUND_ROWS: Record<string, string> = { jobs: 'every_ms is null' };
const where = (t: string): string => (BACKGROUND_ROWS[t] ? ` where ${BACKGROUND_ROWS[t]}` : '');

export async function dbState(server: TestServer): Promise<DbState> {
  const sqlite = server.config.db.driver === 'sqlite';
  const run = async (sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> =>
    (await server.app.orm.em.fork().getConnection().execute(sql, params)) as Record<string, unknown>[];
  const q = (name: string) => (sqlite ? `\`${name}\`` : `"${name}"`);

  const tables = (
    sqlite
      ? await run("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like 'search_fts%' and name <> 'mikro_orm_migrations'")
      : await run("select tablename as name from pg_tables where schemaname = 'public' and tablename <> 'mikro_orm_migrations'")
  )
    .map((r) => String(r.name))
    .sort();
  const columns: Record<string, string[]> = {};
  for (const t of tables) {
    const cols = sqlite
      ? (await run(`pragma table_info(${q(t)})`)).map((r) => String(r.name))
      : (await run('select column_name as name from information_schema.columns where table_schema = ? and table_name = ?', ['public', t])).map((r) => String(r.name));
    // PostgreSQL's generated full-text column is derived from the others.
    columns[t] = cols.filter((c) => c !== 'tsv' && !(VOLATILE_COLUMNS[t] ?? []).includes(c)).sort();
  }
  // One subquery per table: its content as one value (PostgreSQL: an md5 of the ordered row
  // md5s; SQLite: the ordered rows' text, hashed below).
  const contentOf = (t: string): string => {
    const cols = columns[t]!.map(q);
    return sqlite
      ? `(select coalesce(group_concat(r, char(10)), '') from (select ${cols.map((c) => `quote(${c})`).join(` || ',' || `)} as r from ${q(t)}${where(t)} order by r))`
      : `(select md5(coalesce(string_agg(h, '' order by h), '')) from (select md5(row(${cols.join(', ')})::text) as h from ${q(t)}${where(t)}) as x)`;
  };
  const stateSql = 'select ' + tables.map((t, i) => `${contentOf(t)} as t${i}`).join(', ');
  const perTable = async (): Promise<Record<string, string>> => {
    const [row] = await run(stateSql);
    return Object.fromEntries(tables.map((t, i) => [t, sqlite ? createHash('sha1').update(String(row![`t${i}`])).digest('hex') : String(row![`t${i}`])]));
  };

  return {
    async quick() {
      return createHash('sha1').update(JSON.stringify(await perTable())).digest('hex');
    },
    full: perTable,
    async rows() {
      const out: Record<string, Record<string, unknown>[]> = {};
      for (const t of tables) out[t] = await run(`select ${columns[t]!.map(q).join(', ')} from ${q(t)}${where(t)}`);
      return out;
    },
  };
}

/** The tables whose content differs between two full states. */
export const changedTables = (a: Record<string, string>, b: Record<string, string>): string[] =>
  [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((t) => a[t] !== b[t]).sort();
