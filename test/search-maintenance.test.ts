import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCommand } from '../scripts/admin.js';
import { conversationsSearchSource } from '../src/modules/conversations/conversations.search.js';
import { signUp } from './helpers/factories.js';
import { restClient, type RestClient } from './helpers/http.js';
import { makeKey, type SignedUp } from './helpers/orgs.js';
import { startServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let api: RestClient;
let admin: SignedUp;
let user: SignedUp;

async function gql<T = any>(query: string, token?: string): Promise<{ data?: T; errors?: { extensions?: { code?: string } }[] }> {
  const res = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify({ query }) });
  return (await res.json()) as never;
}

beforeAll(async () => {
  server = await startServer();
  api = restClient(server.url);
  [admin, user] = [await signUp(api), await signUp(api)];
  expect(await adminCommand(server.app.orm, ['grant', admin.user.email.toUpperCase()])).toContain('is now a platform administrator');
}, 60_000);
afterAll(() => server?.close());

describe('search maintenance', () => {
  it('is not found for anyone but platform administrators, through both doors', async () => {
    const org = await api.post('/api/organizations', { name: `Admin's ${randomUUID()}` }, { token: admin.accessToken });
    const key = await makeKey(api, admin, org.body.id as string, ['conversations:read', 'conversations:write']);
    for (const creds of [{}, { token: user.accessToken }, { apiKey: key.key }]) {
      expect((await api.get('/api/core/search/status', creds)).status).toBe(404);
      expect((await api.post('/api/core/search/reindex', undefined, creds)).status).toBe(404);
    }
    expect((await gql('{ searchStatus { engine } }', user.accessToken)).errors?.[0]?.extensions?.code).toBe('not_found');
    expect((await gql('mutation { reindexSearch { jobId } }', user.accessToken)).errors?.[0]?.extensions?.code).toBe('not_found');
    expect((await gql('{ searchStatus { engine } }')).errors?.[0]?.extensions?.code).toBe('not_found');
    // Nothing on the API grants it: the profile update ignores the field.
    await api.patch('/api/auth/me', { platform_role: 'admin' }, { token: user.accessToken, unchecked: true });
    expect((await api.get('/api/core/search/status', { token: user.accessToken })).status).toBe(404);
  });

  it('reports the index and rebuilds it as a background job, searchable throughout', async () => {
    const notes = [];
    for (let i = 0; i < 5; i++) notes.push((await api.post('/api/core/notes', { title: `Reindex ${i}`, content: `zebracorn number ${i}` }, { token: admin.accessToken })).body.id as string);
    const status = await api.get('/api/core/search/status', { token: admin.accessToken });
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ engine: server.config.db.driver === 'sqlite' ? 'sqlite-fts5' : 'postgresql-tsvector', vector_lane: { enabled: false, model: null }, last_reindex: null });
    expect(status.body.entries.note).toBeGreaterThanOrEqual(5);

    // An entry whose item is gone: the rebuild drops it.
    const em = server.app.orm.em.fork();
    await em.getConnection().execute(
      `insert into search_entries (id, user_id, type, source_id, title, body, created_at) values (?, ?, 'note', ?, 'orphan', 'zebracorn orphan', ?)`,
      [randomUUID(), admin.user.id, randomUUID(), server.config.db.driver === 'sqlite' ? Date.now() : new Date()],
    );
    const found = async () => ((await api.get('/api/core/search?q=zebracorn&limit=100', { token: admin.accessToken })).body.total as number);
    expect(await found()).toBe(6);

    // A probe among the sources: it runs inside the rebuild, after the real sources rewrote their
    // entries and before the stale ones are swept, searches, and writes a note meanwhile.
    // It holds the rebuild until the test has asked again, so the job cannot finish in between.
    const during: number[] = [];
    let written: string | null = null;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    server.app.services.search.registerSource({
      types: [],
      async *entries() {
        await held;
        during.push(await found());
        written = (await api.post('/api/core/notes', { title: 'During', content: 'zebracorn written during the rebuild' }, { token: admin.accessToken })).body.id as string;
        yield [];
      },
      existing: async () => new Set<string>(),
    });

    const r = await api.post('/api/core/search/reindex', undefined, { token: admin.accessToken });
    expect(r.status).toBe(202);
    expect(r.body).toEqual({ job_id: expect.any(String), status: 'queued' });
    // A second request while it is queued answers the same job.
    expect((await api.post('/api/core/search/reindex', undefined, { token: admin.accessToken })).body.job_id).toBe(r.body.job_id);
    // So does the operator's `npm run search:rebuild -- --enqueue`: the same job, whoever asks.
    expect((await server.app.services.searchMaintenance.requestReindex(server.app.orm.em.fork(), null)).jobId).toBe(r.body.job_id);
    release();
    await server.app.services.jobs.drain();

    expect(during).toEqual([expect.any(Number)]);
    expect(during[0]).toBeGreaterThanOrEqual(5);
    expect(written).not.toBeNull();
    // The orphan is gone; the five notes and the one written during the rebuild are found.
    expect(await found()).toBe(6);
    const hits = (await api.get('/api/core/search?q=zebracorn&limit=100', { token: admin.accessToken })).body.results as { id: string }[];
    expect(hits.map((h) => h.id).sort()).toEqual([...notes, written!].sort());

    const after = await api.get('/api/core/search/status', { token: admin.accessToken });
    expect(after.body.last_reindex).toMatchObject({ status: 'succeeded', started_at: expect.any(String), finished_at: expect.any(String) });
    // Nothing left to run: the recurring jobs (sweepers, token refresh) waiting for their period are not pending work.
    expect(after.body.pending_jobs).toBe(0);
    const g = await gql('{ searchStatus { engine pendingJobs entries { note } lastReindex { status } } }', admin.accessToken);
    expect(g.errors).toBeUndefined();
    expect(g.data.searchStatus.lastReindex.status).toBe('SUCCEEDED');
    expect(g.data.searchStatus.engine).toBe(server.config.db.driver === 'sqlite' ? 'SQLITE_FTS5' : 'POSTGRESQL_TSVECTOR');
    const m = await gql('mutation { reindexSearch { jobId status } }', admin.accessToken);
    expect(m.data.reindexSearch.status).toBe('QUEUED');
    await server.app.services.jobs.drain();
  });

  it('keeps what changed between a batch\'s read and its write: a note deleted meanwhile is not brought back, one edited keeps its new text', async () => {
    const u = await signUp(api);
    const note = async (content: string) => (await api.post('/api/core/notes', { title: 'Okapi', content }, { token: u.accessToken })).body.id as string;
    const [gone, edited, kept] = [await note('quagga gone'), await note('quagga old text'), await note('quagga kept')];
    const ids = async (q: string) => ((await api.get(`/api/core/search?q=${q}&limit=100`, { token: u.accessToken })).body.results as { id: string }[]).map((h) => h.id).sort();
    expect(await ids('quagga')).toEqual([gone, edited, kept].sort());
    // The notes' batch is read, then (before the rebuild writes it) one note is deleted and another edited.
    const original = conversationsSearchSource.entries.bind(conversationsSearchSource);
    conversationsSearchSource.entries = async function* (em) {
      for await (const batch of original(em)) {
        if (batch.some((e) => e.sourceId === gone)) {
          expect((await api.delete(`/api/core/notes/${gone}`, { token: u.accessToken })).status).toBe(204);
          expect((await api.request('PUT', `/api/core/notes/${edited}`, { title: 'Okapi', content: 'zorilla new text' }, { token: u.accessToken })).status).toBe(200);
        }
        yield batch;
      }
    };
    try {
      await server.app.services.search.rebuild(server.app.orm.em.fork());
    } finally {
      conversationsSearchSource.entries = original;
    }
    expect(await ids('quagga')).toEqual([kept]);
    expect(await ids('zorilla')).toEqual([edited]);
  });

  it('is granted and revoked by the operator command only', async () => {
    expect(await adminCommand(server.app.orm, ['list'])).toContain(admin.user.email);
    await expect(adminCommand(server.app.orm, ['grant', 'nobody@example.com'])).rejects.toThrow(/no user/);
    await expect(adminCommand(server.app.orm, ['promote', admin.user.email])).rejects.toThrow(/usage/);
    expect(await adminCommand(server.app.orm, ['revoke', admin.user.email])).toContain('no longer');
    expect((await api.get('/api/core/search/status', { token: admin.accessToken })).status).toBe(404);
  });
});
