import type { LogContext, Logger, MikroORM } from '@mikro-orm/core';

/**
 * Statement counting for tests and benchmarks, outside the gateway's code: MikroORM hands every
 * statement it sends (queries, and the transaction statements around them: begin, commit,
 * rollback, savepoints) to its logger's `logQuery`, whatever `DB_DEBUG` says. This wraps that
 * method of one ORM's logger once, and tells the listeners.
 */
const listenersOf = new WeakMap<Logger, Set<() => void>>();

/** Calls `listener` for each statement `orm` sends from now on; returns the function that stops it. */
export function onStatement(orm: MikroORM, listener: () => void): () => void {
  const logger = orm.config.getLogger();
  let listeners = listenersOf.get(logger);
  if (!listeners) {
    const all = new Set<() => void>();
    listeners = all;
    listenersOf.set(logger, all);
    const logQuery = logger.logQuery.bind(logger);
    logger.logQuery = (context: { query: string } & LogContext) => {
      // The slow-query log (a namespace of its own) repeats a statement already counted.
      if ((context.namespace ?? 'query') === 'query') for (const l of all) l();
      logQuery(context);
    };
  }
  listeners.add(listener);
  const mine = listeners;
  return () => mine.delete(listener);
}

/** Counts the SQL statements `orm` runs while `fn` runs: for tests and benchmarks that keep query counts flat. */
export async function countStatements(orm: MikroORM, fn: () => Promise<unknown>): Promise<number> {
  let n = 0;
  const stop = onStatement(orm, () => n++);
  try {
    await fn();
  } finally {
    stop();
  }
  return n;
}
