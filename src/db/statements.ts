import type { MikroORM } from '@mikro-orm/core';

type QueryEvents = { on(e: 'query', f: () => void): void; off(e: 'query', f: () => void): void };

/** Counts the SQL statements `orm` runs while `fn` runs: for tests and benchmarks that keep query counts flat. */
export async function countStatements(orm: MikroORM, fn: () => Promise<unknown>): Promise<number> {
  const knex = (orm.em as unknown as { getKnex(): QueryEvents }).getKnex();
  let n = 0;
  const onQuery = () => n++;
  knex.on('query', onQuery);
  try {
    await fn();
  } finally {
    knex.off('query', onQuery);
  }
  return n;
}
