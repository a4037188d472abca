import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataloaderType, MikroORM, type Options } from '@mikro-orm/core';
import { BetterSqliteDriver } from '@mikro-orm/better-sqlite';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import type { Logger } from 'pino';
import { postgresqlMigrations } from '../../migrations/postgresql/index.js';
import { sqliteMigrations } from '../../migrations/sqlite/index.js';
import type { Config } from '../config.js';
import { allEntities } from '../modules/index.js';

export const MIGRATION_PATHS = {
  sqlite: 'migrations/sqlite',
  postgresql: 'migrations/postgresql',
} as const;

/**
 * Database objects made by raw SQL in the migrations, which the entity metadata cannot
 * describe: the full-text index (FTS5 tables and triggers on SQLite, a generated tsvector
 * column with its GIN index on PostgreSQL). Schema diffs leave statements about them out.
 */
export const RAW_SCHEMA_OBJECTS = [/search_fts/, /"tsv"/, /search_entries_tsv_index/];

/** MikroORM options for the configured driver; entities come from the module list. */
export function ormOptions(db: Config['db'], log?: Logger): Options {
  const common = {
    entities: allEntities,
    allowGlobalContext: false,
    dataloader: db.batching === false ? DataloaderType.NONE : DataloaderType.ALL,
    forceUtcTimezone: true,
    discovery: { disableDynamicFileAccess: true, requireEntitiesArray: true },
    extensions: [Migrator],
    schemaGenerator: { skipTables: [/^search_fts/] },
    debug: db.debug,
    ...(log ? { logger: (msg: string) => log.debug({ orm: true }, msg) } : {}),
  } satisfies Options;

  if (db.driver === 'sqlite') {
    if (db.url !== ':memory:') mkdirSync(dirname(db.url), { recursive: true });
    return {
      ...common,
      driver: BetterSqliteDriver,
      dbName: db.url,
      pool: {
        // WAL lets readers proceed during a write; the busy timeout waits out another writer (another
        // process holding the file) before failing, which then answers 503 service_unavailable.
        afterCreate: (conn: { pragma(s: string): unknown }, done: (err: Error | null, conn: unknown) => void) => {
          conn.pragma('journal_mode = WAL');
          conn.pragma(`busy_timeout = ${db.sqliteBusyTimeoutMs}`);
          conn.pragma('foreign_keys = ON');
          done(null, conn);
        },
      },
      migrations: {
        path: MIGRATION_PATHS.sqlite,
        migrationsList: sqliteMigrations,
        snapshot: false,
        transactional: true,
        allOrNothing: true,
        emit: 'ts',
      },
    } as Options;
  }
  return {
    ...common,
    driver: PostgreSqlDriver,
    clientUrl: db.url,
    pool: { min: 0, max: db.poolMax },
    migrations: {
      path: MIGRATION_PATHS.postgresql,
      migrationsList: postgresqlMigrations,
      snapshot: false,
      transactional: true,
      allOrNothing: true,
      emit: 'ts',
    },
  } as Options;
}

/** Connects and applies pending migrations. */
export async function openDatabase(db: Config['db'], log?: Logger): Promise<MikroORM> {
  const orm = await MikroORM.init(ormOptions(db, log));
  const applied = await orm.getMigrator().up();
  if (applied.length && log) log.info({ migrations: applied.map((m) => m.name) }, 'migrations applied');
  return orm;
}
