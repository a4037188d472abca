import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresqlMigrations } from '../migrations/postgresql/index.js';
import { sqliteMigrations } from '../migrations/sqlite/index.js';
import { createScratchDatabase } from '../src/db/scratch.js';
import { RAW_SCHEMA_OBJECTS } from '../src/db/orm.js';
import { CreateNoteDocument, KnowledgeSearchDocument, LoginDocument, MeDocument, OrganizationDocument, OrganizationsDocument, OrganizationTeamsDocument, SearchDocument } from './generated/graphql.js';
import { gql } from './helpers/graphql.js';
import { restClient, type RestClient } from './helpers/http.js';
import { driver, PG_ADMIN_URL, startServer, type TestServer } from './helpers/server.js';

/**
 * A database made by release 0.2.0 (MikroORM 6 on Node 20, before the runtime upgrade; see
 * test/fixtures/release-0.2.0/make.mjs) opened by the current code: the migrations it lacks
 * are applied, its schema is what the entities describe, and what it held is still there and
 * still works (passwords hashed by the release log in, the full-text index finds old and new
 * text, the API key it issued opens the door it opened).
 */
const FIXTURE = 'test/fixtures/release-0.2.0';
const fixture = JSON.parse(readFileSync(join(FIXTURE, 'fixture.json'), 'utf8')) as {
  password: string;
  sqlite: Made;
  postgresql: Made;
};
interface Made {
  apiKey: string;
  organizationId: string;
  conversationId: string;
}
const made = fixture[driver];
const RELEASE_MIGRATIONS = 11;

/** A throw-away copy of the release's database, with a raw connection to read it outside the gateway. */
interface Copy {
  url: string;
  query(sql: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

async function copyOfRelease(): Promise<Copy> {
  if (driver === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'xt-forward-'));
    const file = join(dir, 'xentree.sqlite3');
    copyFileSync(join(FIXTURE, 'xentree.sqlite3'), file);
    const Database = createRequire(import.meta.url)('better-sqlite3') as new (file: string) => { prepare(sql: string): { all(): Record<string, unknown>[] }; close(): void };
    const db = new Database(file);
    return {
      url: `sqlite:${file}`,
      query: async (sql) => db.prepare(sql).all(),
      close: async () => {
        db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const scratch = await createScratchDatabase(PG_ADMIN_URL, 'xt_forward');
  const client = new pg.Client({ connectionString: scratch.url });
  await client.connect();
  // A plain pg_dump: it empties search_path for its own session; this connection reads qualified names after.
  await client.query(readFileSync(join(FIXTURE, 'postgresql.sql'), 'utf8'));
  return {
    url: scratch.url,
    query: async (sql) => (await client.query(sql)).rows as Record<string, unknown>[],
    close: async () => {
      await client.end();
      await scratch.drop();
    },
  };
}

const TABLES = ['users', 'login_sessions', 'refresh_tokens', 'organizations', 'teams', 'memberships', 'api_keys', 'conversations', 'messages', 'notes', 'search_entries', 'documents', 'document_chunks', 'live_sessions', 'live_usage', 'xel_profiles', 'xel_submissions', 'xel_task_progress', 'xel_activity_days'];
const table = (name: string) => (driver === 'postgresql' ? `public.${name}` : name);
async function counts(copy: Copy): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of TABLES) out[t] = Number((await copy.query(`select count(*) as n from ${table(t)}`))[0]!.n);
  return out;
}

let copy: Copy;
let before: Record<string, number>;
let executedBefore: string[];
let server: TestServer;
let api: RestClient;

beforeAll(async () => {
  copy = await copyOfRelease();
  executedBefore = (await copy.query(`select name from ${table('mikro_orm_migrations')} order by id`)).map((r) => String(r.name));
  before = await counts(copy);
  server = await startServer({ DATABASE_URL: copy.url });
  api = restClient(server.url);
});
afterAll(async () => {
  await server?.close();
  await copy?.close();
});

describe(`a database made by release 0.2.0 (${driver})`, () => {
  it('held the release: its migrations, and something in every table', () => {
    expect(executedBefore).toHaveLength(RELEASE_MIGRATIONS);
    for (const [t, n] of Object.entries(before)) expect(n, t).toBeGreaterThan(0);
  });

  it('is migrated forward to every migration of the current code, and then matches the entities', async () => {
    const all = (driver === 'sqlite' ? sqliteMigrations : postgresqlMigrations).map((m) => m.name);
    expect(all.slice(0, RELEASE_MIGRATIONS)).toEqual(executedBefore);
    const orm = server.app.orm;
    expect(await orm.migrator.getPending()).toEqual([]);
    expect((await orm.migrator.getExecuted()).map((m) => m.name)).toEqual(all);
    // What the schema generator would still change, leaving out the raw full-text objects it cannot describe.
    const diff = (await orm.schema.getUpdateSchemaSQL({ wrap: false }))
      .split(/;\n/)
      .map((s) => s.trim())
      .filter((s) => s && !/^pragma foreign_keys/.test(s) && !RAW_SCHEMA_OBJECTS.some((re) => re.test(s)));
    expect(diff).toEqual([]);
  });

  it('keeps every row', async () => {
    expect(await counts(copy)).toEqual(before);
  });

  it('logs in with the passwords the release hashed, through both doors', async () => {
    const rest = await api.post('/api/auth/login', { username: 'ann', password: fixture.password }, { form: true });
    expect(rest.status).toBe(200);
    const me = await api.get('/api/auth/me', { token: rest.body.access_token });
    expect(me.body).toMatchObject({ username: 'ann', email: 'ann@example.com', full_name: 'Ann Example' });
    expect((await api.post('/api/auth/login', { username: 'ann', password: 'not the password' }, { form: true })).status).toBe(401);

    const g = await gql(server.url, LoginDocument, { input: { username: 'bob', password: fixture.password } });
    expect(g.errors).toBeUndefined();
    const bob = await gql(server.url, MeDocument, {}, g.data!.login.accessToken);
    expect(bob.data?.me).toMatchObject({ username: 'bob' });
  });

  it("finds the release's text and new text in the full-text index, through both doors", async () => {
    const login = await api.post('/api/auth/login', { username: 'ann', password: fixture.password }, { form: true });
    const token = login.body.access_token as string;
    // What the release indexed (a note, the conversation's messages), as many entries as a scan of them finds.
    const [{ n }] = (await copy.query(`select count(*) as n from ${table('search_entries')} e join ${table('users')} u on u.id = e.user_id where u.username = 'ann' and lower(e.title || ' ' || e.body) like '%eiffel%'`)) as [{ n: unknown }];
    expect(Number(n)).toBeGreaterThanOrEqual(2);
    expect((await api.get('/api/core/search?q=Eiffel', { token })).body.total).toBe(Number(n));
    const old = await gql(server.url, SearchDocument, { q: 'Eiffel', first: 20 }, token);
    expect(old.data?.search.totalCount).toBe(Number(n));
    expect(new Set(old.data?.search.edges.map((e) => e.node.conversationId).filter(Boolean))).toEqual(new Set([made.conversationId]));

    const note = await gql(server.url, CreateNoteDocument, { input: { title: 'Lyon', content: 'The Fourvière basilica overlooks the city.' } }, token);
    expect(note.errors).toBeUndefined();
    expect((await api.get('/api/core/search?q=basilica', { token })).body.total).toBe(1);

    // The release's document, shared with its organization: found by a member too.
    const bob = (await api.post('/api/auth/login', { username: 'bob', password: fixture.password }, { form: true })).body.access_token as string;
    expect((await api.post('/api/knowledge/search', { query: 'oolong' }, { token: bob })).body.results).toHaveLength(1);
    const k = await gql(server.url, KnowledgeSearchDocument, { query: 'matcha' }, bob);
    expect(k.data?.knowledgeSearch.results.map((r) => r.title)).toEqual(['Tea notes — Matcha']);
  });

  it('keeps the organization, its team and members, and the API key the release issued', async () => {
    const token = (await api.post('/api/auth/login', { username: 'ann', password: fixture.password }, { form: true })).body.access_token as string;
    const orgs = await gql(server.url, OrganizationsDocument, { first: 10 }, token);
    expect(orgs.data?.organizations.edges.map((e) => e.node)).toMatchObject([{ id: made.organizationId, name: 'Acme', viewerRole: 'OWNER', memberCount: 2 }]);
    const teams = await gql(server.url, OrganizationTeamsDocument, { id: made.organizationId }, token);
    expect(teams.data?.organization?.teams.edges.map((e) => [e.node.name, e.node.memberCount])).toEqual([['Core', 1]]);
    // The release's organization sorts by its name whatever its case among new ones (the column was filled for it).
    expect(await copy.query(`select name_normalized from ${table('organizations')} where id = '${made.organizationId}'`)).toEqual([{ name_normalized: 'acme' }]);
    for (const name of ['Bravo', 'apple', 'Aardvark']) expect((await api.post('/api/organizations', { name }, { token })).status).toBe(201);
    const sorted = await gql(server.url, OrganizationsDocument, { first: 10 }, token);
    expect(sorted.data?.organizations.edges.map((e) => e.node.name)).toEqual(['Aardvark', 'Acme', 'apple', 'Bravo']);
    const members = await api.get(`/api/organizations/${made.organizationId}/members`, { token });
    expect(members.body).toMatchObject([
      { email: 'ann@example.com', role: 'owner', team_name: null },
      { email: 'bob@example.com', role: 'member', team_name: 'Core' },
    ]);

    const byKey = await api.get(`/api/organizations/${made.organizationId}`, { apiKey: made.apiKey });
    expect(byKey.status).toBe(200);
    expect(byKey.body).toMatchObject({ id: made.organizationId, name: 'Acme' });
    const g = await gql(server.url, OrganizationDocument, { id: made.organizationId }, { apiKey: made.apiKey });
    expect(g.data?.organization).toMatchObject({ id: made.organizationId, name: 'Acme' });
  });
});
