import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataloaderType, MikroORM, type Options } from '@mikro-orm/core';
import { ReflectMetadataProvider } from '@mikro-orm/decorators/legacy';
import { Migrator } from '@mikro-orm/migrations';
import { PostgreSqlDriver, type PostgreSqlConnection } from '@mikro-orm/postgresql';
import { CompiledQuery, type DatabaseConnection } from 'kysely';
import type { Logger } from 'pino';
import { postgresqlMigrations } from '../../migrations/postgresql/index.js';
import { sqliteMigrations } from '../../migrations/sqlite/index.js';
import type { Config } from '../config.js';
import { FlushingSqliteDriver } from './durable-sqlite.js';
import { Job } from './queue/job.entity.js';

export const MIGRATION_PATHS = {
  sqlite: 'migrations/sqlite',
  postgresql: 'migrations/postgresql',
} as const;

/**
 * Database objects made by raw SQL in the migrations, which the entity metadata cannot
 * describe: the full-text index (FTS5 tables and the triggers that feed them on SQLite, a
 * generated tsvector column with its GIN index on PostgreSQL). Schema diffs leave statements
 * about them out.
 */
export const RAW_SCHEMA_OBJECTS = [/search_fts/, /`search_entries_a[iud]`/, /"tsv"/, /search_entries_tsv_index/];

/** MikroORM options for the configured driver and the entities of the modules (src/modules/index.ts: allEntities). */
export function ormOptions(db: Config['db'], entities: Options['entities'], log?: Logger): Partial<Options> {
  const common = {
    // The job queue's table is the database layer's own (src/db/queue/), beside every module's entities.
    entities: [...(entities ?? []), Job],
    // The entities are decorated classes (legacy decorators) whose property types come from
    // `emitDecoratorMetadata` where a decorator does not name them.
    metadataProvider: ReflectMetadataProvider,
    allowGlobalContext: false,
    dataloader: db.batching === false ? DataloaderType.NONE : DataloaderType.ALL,
    forceUtcTimezone: true,
    // MikroORM 7 defines every property of an entity on its class's prototype as a setter that,
    // on first write, redefines the property on the instance (Object.defineProperty per
    // property per entity): hydrating the user and the login session of one authenticated read
    // cost about 11 µs of its ~150 in a profile. Off, hydration writes plain properties; the
    // to-one relations of every managed entity still propagate to their inverse sides (MikroORM
    // defines those on each instance it creates, hydrates or persists), which is all this app
    // relies on: it makes entities with em.create, never with `new` before persisting them.
    propagationOnPrototype: false,
    extensions: [Migrator],
    // Foreign keys cascade key updates, as MikroORM 6 made them (7 no longer infers it from
    // `cascade: [persist]`): the schema stays what the migrations built.
    schemaGenerator: { skipTables: [/^search_fts/], defaultUpdateRule: 'cascade' },
    debug: db.debug,
    ...(log ? { logger: (msg: string) => log.debug({ orm: true }, msg) } : {}),
  } satisfies Partial<Options>;

  const migrations = {
    // openDatabase() logs what it applied.
    silent: true,
    snapshot: false,
    transactional: true,
    allOrNothing: true,
    emit: 'ts',
  } as const;

  if (db.driver === 'sqlite') {
    if (db.url !== ':memory:') mkdirSync(dirname(db.url), { recursive: true });
    return {
      ...common,
      driver: FlushingSqliteDriver,
      dbName: db.url,
      // better-sqlite3's own options: `timeout` is SQLite's busy timeout, which waits out another
      // writer (another process holding the file) before failing, which then answers 503 service_unavailable.
      driverOptions: { timeout: db.sqliteBusyTimeoutMs },
      // WAL lets readers proceed during a write (and the worker threads that ingest documents write
      // on connections of their own, with synchronous = NORMAL: src/modules/knowledge/extract-worker.ts).
      // NORMAL: SQLite does not sync the WAL at COMMIT on this thread (the event loop); the driver
      // flushes it on the thread pool before the commit returns (src/db/durable-sqlite.ts), so a write
      // is still acknowledged only once it is on disk, with whatever was committed before it.
      // (MikroORM turns foreign keys on itself.)
      onCreateConnection: async (connection) => {
        await (connection as DatabaseConnection).executeQuery(CompiledQuery.raw('pragma journal_mode = WAL'));
        await (connection as DatabaseConnection).executeQuery(CompiledQuery.raw('pragma synchronous = NORMAL'));
      },
      migrations: { ...migrations, path: MIGRATION_PATHS.sqlite, migrationsList: sqliteMigrations },
    };
  }
  return {
    ...common,
    driver: PostgreSqlDriver,
    clientUrl: db.url,
    pool: { min: 0, max: db.poolMax },
    migrations: { ...migrations, path: MIGRATION_PATHS.postgresql, migrationsList: postgresqlMigrations },
  };
}

/** Connects and applies pending migrations. */
export async function openDatabase(db: Config['db'], entities: Options['entities'], log?: Logger): Promise<MikroORM> {
  const orm = await MikroORM.init(ormOptions(db, entities, log));
  const applied = await orm.migrator.up();
  if (applied.length && log) log.info({ migrations: applied.map((m) => m.name) }, 'migrations applied');
  return orm;
}

/** The connection pool's state: PostgreSQL's `pg` pool; SQLite has one connection, and reports only that. */
export async function poolStats(orm: MikroORM): Promise<{ used: number; free: number; pending: number; max: number } | { max: number }> {
  if (!(orm.driver instanceof PostgreSqlDriver)) return { max: 1 };
  const pool = await (orm.em.getConnection() as PostgreSqlConnection).getNativeClient();
  return { used: pool.totalCount - pool.idleCount, free: pool.idleCount, pending: pool.waitingCount, max: pool.options.max ?? 10 };
}
