import { DefaultLogger, type LogContext, type MikroORM } from '@mikro-orm/core';

/**
 * MikroORM's logger (it writes what `DB_DEBUG` asks for, as before) that also tells listeners
 * of every statement the ORM sends to the database: queries, and the transaction statements
 * (begin, commit, rollback, savepoints) around them. ormOptions() installs it.
 */
export class StatementLogger extends DefaultLogger {
  private readonly listeners = new Set<() => void>();

  override logQuery(context: { query: string } & LogContext): void {
    // The slow-query log (a namespace of its own) repeats a statement already counted.
    if ((context.namespace ?? 'query') === 'query') for (const listener of this.listeners) listener();
    super.logQuery(context);
  }

  /** Calls `listener` for each statement from now on; returns the function that stops it. */
  onStatement(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** Counts the SQL statements `orm` runs while `fn` runs: for tests and benchmarks that keep query counts flat. */
export async function countStatements(orm: MikroORM, fn: () => Promise<unknown>): Promise<number> {
  const logger = orm.config.getLogger();
  if (!(logger instanceof StatementLogger)) throw new Error('countStatements: the ORM was not opened with ormOptions() (no StatementLogger)');
  let n = 0;
  const stop = logger.onStatement(() => n++);
  try {
    await fn();
  } finally {
    stop();
  }
  return n;
}
