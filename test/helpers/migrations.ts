import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MikroORM } from '@mikro-orm/core';
import { postgresqlMigrations } from '../../migrations/postgresql/index.js';
import { sqliteMigrations } from '../../migrations/sqlite/index.js';
import { loadConfig } from '../../src/config.js';
import { ormOptions } from '../../src/db/orm.js';
import { createScratchDatabase } from '../../src/db/scratch.js';
import { allEntities } from '../../src/modules/index.js';
import { driver, PG_ADMIN_URL } from './server.js';

/**
 * For a migration's own test: the ORM over a database of its own (an SQLite file, or a scratch
 * PostgreSQL database, by the run's driver) migrated up to just before `migration`, so the test
 * can write what earlier versions wrote and then migrate. What it makes is undone by `cleanups`.
 */
export async function ormBefore(migration: string, cleanups: (() => Promise<void>)[]): Promise<MikroORM> {
  const list = driver === 'sqlite' ? sqliteMigrations : postgresqlMigrations;
  const at = list.findIndex((m) => m.name === migration);
  if (at < 1) throw new Error(`${migration} is not a ${driver} migration after the first`);
  const dir = mkdtempSync(join(tmpdir(), 'xt-migration-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  let url = `sqlite:${join(dir, 'x.sqlite3')}`;
  if (driver === 'postgresql') {
    const scratch = await createScratchDatabase(PG_ADMIN_URL, 'xt_migration');
    cleanups.push(scratch.drop);
    url = scratch.url;
  }
  const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: dir, DATABASE_URL: url, JWT_SECRET: 'x'.repeat(40), LOG_LEVEL: 'silent' });
  const orm = await MikroORM.init(ormOptions(config.db, allEntities));
  cleanups.push(() => orm.close(true));
  await orm.migrator.up({ to: list[at - 1]!.name });
  return orm;
}
