import { randomUUID } from 'node:crypto';
import type { EntityManager as SqlEntityManager } from '@mikro-orm/sql';
import { afterEach, expect, it } from 'vitest';
import { driver } from './helpers/server.js';
import { ormBefore } from './helpers/migrations.js';

/**
 * Migration20261206010000: the search entries an organization's deletion left behind (its
 * documents gone with it, their entries not) are removed; every other entry stays.
 */
const MIGRATION = 'Migration20261206010000';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

it('removes the search entries of documents that no longer exist, and nothing else', async () => {
  const orm = await ormBefore(MIGRATION, cleanups);
  const em = orm.em.fork() as unknown as SqlEntityManager;
  const now = driver === 'sqlite' ? Date.now() : new Date();
  const user = randomUUID();
  const [doc, gone, chunk, goneChunk, message] = [randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID()];
  await em.execute(`insert into users (id, email, email_normalized, username, username_normalized, password_hash, created_at, updated_at) values (?, 'm@x.io', 'm@x.io', 'm', 'm', 'h', ?, ?)`, [user, now, now]);
  await em.execute(`insert into documents (id, owner_id, title, mime_type, size_bytes, status, created_at, updated_at) values (?, ?, 'Kept', 'text/plain', 4, 'ready', ?, ?)`, [doc, user, now, now]);
  const entry = (type: string, source: string, documentId: string | null, body: string) =>
    em.execute(`insert into search_entries (id, user_id, type, source_id, document_id, title, body, created_at) values (?, ?, ?, ?, ?, 'T', ?, ?)`, [randomUUID(), user, type, source, documentId, body, now]);
  await entry('document', chunk, doc, 'okapi kept');
  await entry('document', goneChunk, gone, 'okapi gone');
  await entry('message', message, null, 'okapi said');

  await orm.migrator.up();
  const rows = await em.execute<{ source_id: string }[]>('select source_id from search_entries order by body');
  expect(rows.map((r) => r.source_id)).toEqual([chunk, message]);
});
