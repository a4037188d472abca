import { randomUUID } from 'node:crypto';
import type { EntityManager as SqlEntityManager } from '@mikro-orm/sql';
import { afterEach, expect, it } from 'vitest';
import { driver } from './helpers/server.js';
import { ormBefore } from './helpers/migrations.js';

/**
 * Migration20261206190000 (SQLite): the full-text index is made again without its
 * two-character prefix index. What was indexed before is found after, by words and by the
 * prefixes search uses (three characters and more), and the triggers keep the new index in
 * step with inserts, updates and deletions.
 */
const MIGRATION = 'Migration20261206190000';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

it.skipIf(driver !== 'sqlite')('remakes the full-text index without two-character prefixes, keeping what it found and its triggers', async () => {
  const orm = await ormBefore(MIGRATION, cleanups);
  const em = orm.em.fork() as unknown as SqlEntityManager;
  const now = Date.now();
  const user = randomUUID();
  await em.execute(`insert into users (id, email, email_normalized, username, username_normalized, password_hash, created_at, updated_at) values (?, 'm@x.io', 'm@x.io', 'm', 'm', 'h', ?, ?)`, [user, now, now]);
  const entry = async (body: string) => {
    const id = randomUUID();
    await em.execute(`insert into search_entries (id, user_id, type, source_id, title, body, created_at) values (?, ?, 'message', ?, 'T', ?, ?)`, [id, user, randomUUID(), body, now]);
    return id;
  };
  const found = async (match: string) =>
    (await em.execute<{ id: string }[]>(`select e.id from search_fts join search_entries e on e.rowid = search_fts.rowid where search_fts match ? order by e.body`, [match])).map((r) => r.id);
  const definition = async () => (await em.execute<{ sql: string }[]>(`select sql from sqlite_master where name = 'search_fts'`))[0]!.sql;

  const okapi = await entry('the okapi grazes');
  const oak = await entry('an oak stands');
  expect(await definition()).toContain("prefix='2 3 4'");

  // Up to this migration only, so that `down` below undoes it (not a later one).
  await orm.migrator.up({ to: MIGRATION });
  expect(await definition()).toContain("prefix='3 4'");
  // What was indexed before the migration is found after it: by word, and by prefixes of 3, 4 and more characters.
  expect(await found('"okapi"')).toEqual([okapi]);
  expect(await found('"oka"*')).toEqual([okapi]);
  expect(await found('"okap"*')).toEqual([okapi]);
  expect(await found('"gra"*')).toEqual([okapi]);
  expect(await found('"oa"*')).toEqual([oak]);
  // The triggers are back: an insert, an update and a deletion reach the new index.
  const later = await entry('a zebra grazes');
  expect(await found('"zeb"*')).toEqual([later]);
  await em.execute(`update search_entries set body = 'a quagga rests' where id = ?`, [later]);
  expect(await found('"zeb"*')).toEqual([]);
  expect(await found('"quag"*')).toEqual([later]);
  await em.execute(`delete from search_entries where id = ?`, [okapi]);
  expect(await found('"okapi"')).toEqual([]);
  expect(await found('"gra"*')).toEqual([]);

  // And back down: the index with its two-character prefixes, the same answers.
  await orm.migrator.down();
  expect(await definition()).toContain("prefix='2 3 4'");
  expect(await found('"quag"*')).toEqual([later]);
  expect(await found('"oak"')).toEqual([oak]);
});
