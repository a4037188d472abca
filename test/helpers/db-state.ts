import { createHash } from 'node:crypto';
import type { TestServer } from './server.js';

/**
 * What is stored, as a value to compare before and after something that must change
 * nothing (a refused call, a rejected body). Two grains:
 *
 * - `quick()`: one statement, every table's row count and latest `updated_at`; catches
 *   inserts, deletes and updates of anything that keeps an update time.
 * - `full()`: every row of every table, hashed per table; names the tables that differ.
 *
 * Left out: the migrations table, SQLite's FTS shadow tables (derived from search_entries),
 * and columns a refused call may legitimately touch: an API key's `last_used_at` is written
 * when the key authenticates, before the operation refuses.
 */
export interface DbState {
  quick(): Promise<string>;
  full(): Promise<Record<string, string>>;
}

const VOLATILE_COLUMNS: Record<string, string[]> = { api_keys: ['last_used_at'] };

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
  const quickSql =
    'select ' +
    tables
      .map((t, i) => {
        const parts = [`(select count(*) from ${q(t)}) as c${i}`];
        if (columns[t]!.includes('updated_at')) parts.push(`(select max(updated_at) from ${q(t)}) as u${i}`);
        return parts.join(', ');
      })
      .join(', ');

  return {
    async quick() {
      const [row] = await run(quickSql);
      return JSON.stringify(row, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    },
    async full() {
      const out: Record<string, string> = {};
      for (const t of tables) {
        const rows = await run(`select ${columns[t]!.map(q).join(', ')} from ${q(t)}`);
        const lines = rows.map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v instanceof Date ? v.toISOString() : v))).sort();
        out[t] = createHash('sha1').update(lines.join('\n')).digest('hex');
      }
      return out;
    },
  };
}

/** The tables whose content differs between two full states. */
export const changedTables = (a: Record<string, string>, b: Record<string, string>): string[] =>
  [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((t) => a[t] !== b[t]).sort();
