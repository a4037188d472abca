import type { LogContext, Logger, MikroORM } from '@mikro-orm/core';

/**
 * Statement counting for tests and benchmarks, outside the gateway's code: MikroORM hands every
 * statement it sends (queries, and the transaction statements around them: begin, commit,
 * rollback, savepoints) to its logger's `logQuery`, whatever `DB_DEBUG` says. This wraps that
 * method of one ORM's logger once, and tells the listeners.
 */
const listenersOf = new WeakMap<Logger, Set<() => void>>();
/** Statements of the job runner (src/db/queue/table-queue.ts) reading or updating the jobs table. */
const RUNNER = /^\s*(select\b[\s\S]*\bfrom\s+"?jobs"?\b|update\s+"?jobs"?\b|with\b[\s\S]*\bjobs\b)/i;

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
      // The slow-query log (a namespace of its own) repeats a statement already counted. The job
      // runner's own polling (claims, heartbeats, counts on the jobs table) is the process's
      // background, not any request's: left out. Enqueueing (an insert into jobs) still counts.
      if ((context.namespace ?? 'query') === 'query' && !RUNNER.test(context.query)) for (const l of all) l();
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
