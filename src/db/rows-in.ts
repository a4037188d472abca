import type { EntityManager } from '@mikro-orm/core';

/** Ids per statement: well below both drivers' limits on parameters. */
const CHUNK = 500;

/**
 * The rows of `sql` for every id of `ids`, in statements of at most 500 ids each: `sql` gets
 * the placeholders (`?, ?, …`) to put inside its `in (…)`.
 */
export async function rowsIn<Row>(em: EntityManager, ids: readonly string[], sql: (marks: string) => string): Promise<Row[]> {
  const rows: Row[] = [];
  for (let i = 0; i < ids.length; i += CHUNK) {
    const chunk = ids.slice(i, i + CHUNK);
    rows.push(...((await em.getConnection().execute(sql(chunk.map(() => '?').join(', ')), chunk)) as Row[]));
  }
  return rows;
}
