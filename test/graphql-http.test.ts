import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE, ERROR_CODES } from '../src/common/errors.js';
import { APOLLO_CODES } from '../src/graphql/errors.js';
import { COURSE } from '../src/modules/xel/content/modules/index.js';
import { signUp } from './helpers/factories.js';
import { startFakeOpenAI, type FakeAi } from './helpers/fake-ai.js';
import { wsClient } from './helpers/graphql.js';
import { gatewaySchema, graphqlCjs } from './helpers/graphql-ops.js';
import { restClient } from './helpers/http.js';
import { startServer, type TestServer } from './helpers/server.js';

/**
 * POST /graphql with one JSON operation runs on the fast path (graphql-jit); GET, batches
 * and everything unusual run on Apollo. Both must answer alike.
 */
let server: TestServer;
let token: string;
/** The server's log lines, warnings and errors. */
const logged: string[] = [];

beforeAll(async () => {
  server = await startServer({ LOG_LEVEL: 'warn' }, { logStream: { write: (line: string) => void logged.push(line) } });
  token = (await signUp(restClient(server.url))).accessToken;
});
afterAll(() => server.close());

async function post(body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as any };
}

async function get(params: Record<string, string>) {
  const res = await fetch(`${server.url}/graphql?${new URLSearchParams(params).toString()}`, { headers: { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' } });
  return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as any };
}

describe('POST /graphql on the fast path answers as Apollo does on GET', () => {
  it('data', async () => {
    const query = 'query Me { me { id username } }';
    const fast = await post({ query });
    const apollo = await get({ query });
    expect(fast.status).toBe(200);
    expect(fast.type).toBe(apollo.type);
    expect(fast.body).toEqual(apollo.body);
  });

  it('variables that do not fit: 400 bad_user_input', async () => {
    const query = 'query C($id: ID!) { conversation(id: $id) { id } }';
    const fast = await post({ query, variables: { id: { no: 'pe' } } });
    const apollo = await get({ query, variables: JSON.stringify({ id: { no: 'pe' } }) });
    expect(fast.status).toBe(400);
    expect(apollo.status).toBe(400);
    expect(fast.body.errors[0].extensions.code).toBe('bad_user_input');
    expect(apollo.body.errors[0].extensions.code).toBe('bad_user_input');
  });

  it('a service error with its code, and a null result', async () => {
    const query = 'query S($q: String!) { search(q: $q) { totalCount } }';
    const fast = await post({ query, variables: { q: ' ' } });
    const apollo = await get({ query, variables: JSON.stringify({ q: ' ' }) });
    expect(fast.status).toBe(200);
    expect(fast.body).toEqual(apollo.body);
    expect(fast.body.data).toBeNull();
    expect(fast.body.errors[0].extensions.code).toBe('validation_error');
    expect(fast.body.errors[0].path).toEqual(['search']);
  });

  it('a lookup of something unknown: null, without an error', async () => {
    const query = 'query C($id: ID!) { conversation(id: $id) { id } }';
    const fast = await post({ query, variables: { id: '00000000-0000-4000-8000-000000000000' } });
    const apollo = await get({ query, variables: JSON.stringify({ id: '00000000-0000-4000-8000-000000000000' }) });
    expect(fast.status).toBe(200);
    expect(fast.body).toEqual(apollo.body);
    expect(fast.body).toEqual({ data: { conversation: null } });
  });

  it('parse and validation errors: 400 with their codes', async () => {
    for (const query of ['{ me { id ', '{ me { nope } }']) {
      const fast = await post({ query });
      const apollo = await get({ query });
      expect(fast.status).toBe(400);
      expect(fast.status).toBe(apollo.status);
      expect(fast.body.errors[0].extensions.code).toBe(apollo.body.errors[0].extensions.code);
      expect(fast.body.errors[0].message).toBe(apollo.body.errors[0].message);
    }
  });

  it('mutations run on the fast path; an unknown operation name goes to Apollo', async () => {
    const created = await post({ query: 'mutation { createNote(input: { title: "Fast", content: "path" }) { note { id title } } }' });
    expect(created.status).toBe(200);
    expect(created.body.data.createNote.note.title).toBe('Fast');
    const unknown = await post({ query: 'query A { me { id } }', operationName: 'B' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors[0].extensions.code).toBe('operation_resolution_failure');
  });

  it('refuses a form-encoded post (a cross-site "simple" request), as Apollo\'s CSRF prevention does', async () => {
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${token}` },
      body: new URLSearchParams({ query: 'mutation { createNote(input: { title: "csrf", content: "x" }) { note { id } } }' }).toString(),
    });
    expect(res.status).toBe(400);
    const notes = await post({ query: '{ notes { edges { node { title } } } }' });
    expect(notes.body.data.notes.edges.map((e: { node: { title: string } }) => e.node.title)).not.toContain('csrf');
  });
});

describe('error codes', () => {
  it('are one described ErrorCode enum in the schema: every code of both doors, in one casing', async () => {
    const schema = await gatewaySchema();
    const type = schema.getType('ErrorCode');
    expect(graphqlCjs.isEnumType(type)).toBe(true);
    const values = graphqlCjs.isEnumType(type) ? type.getValues() : [];
    expect(values.map((v) => v.name).sort()).toEqual(Object.keys(ERROR_CODES).sort());
    for (const v of values) {
      expect(v.value).toBe(v.name);
      expect(v.description).toContain(ERROR_CATALOGUE[v.name as keyof typeof ERROR_CATALOGUE].description);
      // lower snake_case, the documented INSUFFICIENT_API_KEY_SCOPE aside.
      if (v.name !== 'INSUFFICIENT_API_KEY_SCOPE') expect(v.name).toMatch(/^[a-z][a-z0-9_]*$/);
    }
    // Apollo's own codes all have their lower-case counterpart in the list.
    for (const code of Object.values(APOLLO_CODES)) expect(ERROR_CODES).toHaveProperty(code);
  });

  it('validation errors carry their fields as { path, message }', async () => {
    const res = await post({ query: 'mutation { createNote(input: { title: "", content: "x" }) { __typename } }' });
    expect(res.body.errors[0].extensions.code).toBe('validation_error');
    expect(res.body.errors[0].extensions.fields).toEqual([{ path: ['title'], message: expect.any(String) }]);
  });

  it("automatic persisted queries keep working with the lower-case codes (Apollo Client also reads the message)", async () => {
    const query = '{ me { id } }';
    const sha256Hash = createHash('sha256').update(query).digest('hex');
    const persisted = { persistedQuery: { version: 1, sha256Hash } };
    const miss = await post({ extensions: persisted });
    expect(miss.status).toBe(200);
    expect(miss.body.errors[0]).toMatchObject({ message: 'PersistedQueryNotFound', extensions: { code: 'persisted_query_not_found' } });
    const register = await post({ query, extensions: persisted });
    expect(register.body.errors).toBeUndefined();
    const hit = await post({ extensions: persisted });
    expect(hit.body).toEqual(register.body);
  });
});

describe('subscriptions over HTTP (issue 19, finding 7)', () => {
  const subscriptions = [
    'subscription { meUpdated { id username } }',
    // Someone else's conversation: refused the same way, not executed into an internal error.
    'subscription { conversationEvents(conversationId: "00000000-0000-4000-8000-000000000000") { __typename } }',
    // A directive on its top level with a variable: graphql-js's own subscription rule (which Apollo runs) threw on it, a 500.
    'subscription ($s: Boolean! = true) { meUpdated @include(if: $s) { id } }',
  ];
  const refusal = [{ message: 'Subscriptions are served over WebSocket (the graphql-ws protocol on /graphql), not over HTTP', extensions: { code: 'bad_request' } }];

  it('are refused on POST (fast path), GET and in a batch (Apollo) with bad_request, no data, nothing logged', async () => {
    const before = logged.length;
    for (const query of subscriptions) {
      const fast = await post({ query, variables: { s: true } });
      const apollo = await get({ query, variables: JSON.stringify({ s: true }) });
      expect(fast.status).toBe(400);
      expect(fast.body).not.toHaveProperty('data');
      expect(fast.body.errors).toEqual(refusal);
      // GET and batches are refused before Apollo reads them, the same way.
      expect(apollo.status).toBe(400);
      expect(apollo.body).toEqual({ errors: refusal });
      const batch = await post([{ query, variables: { s: true } }, { query: '{ me { id } }' }]);
      expect(batch.status).toBe(400);
      expect(batch.body).toEqual({ errors: refusal });
    }
    // Named among others, too.
    const named = await post({ query: `query Q { me { id } } ${subscriptions[0]!.replace('subscription', 'subscription S')}`, operationName: 'S' });
    expect(named.body.errors[0].extensions.code).toBe('bad_request');
    expect(logged.slice(before), 'log lines at warn level or above').toEqual([]);
  });
});

describe('field suggestions (issue 19, finding 10)', () => {
  const typos: [string, Record<string, unknown> | undefined][] = [
    ['mutation { creatApiKey { id } }', undefined],
    ['{ me { usernme } }', undefined],
    ['{ conversations(firts: 1) { totalCount } }', undefined],
    ['mutation ($input: CreateNoteInput!) { createNote(input: $input) { note { id } } }', { input: { tilte: 'x', content: 'y' } }],
    ['mutation ($input: UpdateDocumentInput!) { updateDocument(input: $input) { document { id } } }', { input: { id: 'x', visibility: 'PRIVAT' } }],
    ['query ($q: Strin!) { search(q: $q) { totalCount } }', { q: 'x' }],
  ];
  const suggestionsOf = (body: any): string[] => (Array.isArray(body) ? body : [body]).flatMap((b: any) => (b.errors ?? []).map((e: { message: string }) => e.message)).filter((m: string) => m.includes('Did you mean'));

  it('are made outside production (introspection on), as graphql-js makes them', async () => {
    const res = await post({ query: typos[0]![0] });
    expect(suggestionsOf(res.body)).toEqual([expect.stringContaining('Did you mean "createApiKey"')]);
  });

  it('are never made in production (introspection off): not on POST, GET, batches, variables, nor graphql-ws', async () => {
    const prod = await startServer({ NODE_ENV: 'production' });
    try {
      expect(prod.config.graphql.introspection).toBe(false);
      const u = await signUp(restClient(prod.url));
      const headers = { 'content-type': 'application/json', authorization: `Bearer ${u.accessToken}` };
      const seen: string[] = [];
      for (const [query, variables] of typos) {
        const fast = await fetch(`${prod.url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
        const fastBody = (await fast.json()) as { errors?: unknown[] };
        expect(fastBody.errors?.length, query).toBeGreaterThan(0);
        seen.push(...suggestionsOf(fastBody));
        const params = new URLSearchParams({ query, ...(variables ? { variables: JSON.stringify(variables) } : {}) });
        const apollo = await fetch(`${prod.url}/graphql?${params.toString()}`, { headers: { ...headers, 'apollo-require-preflight': 'true' } });
        seen.push(...suggestionsOf(await apollo.json()));
        const batch = await fetch(`${prod.url}/graphql`, { method: 'POST', headers, body: JSON.stringify([{ query, variables }]) });
        seen.push(...suggestionsOf(await batch.json()));
      }
      const { client } = wsClient(prod.wsUrl, { Authorization: `Bearer ${u.accessToken}` });
      try {
        for (const [query, variables] of typos) {
          const errors = await new Promise<readonly { message: string }[]>((resolve) => {
            client.subscribe({ query, variables }, { next: (r) => r.errors && resolve(r.errors), error: (e) => resolve(Array.isArray(e) ? e : [{ message: String((e as Error).message ?? e) }]), complete: () => resolve([]) });
          });
          seen.push(...errors.map((e) => e.message).filter((m) => m.includes('Did you mean')));
        }
      } finally {
        await client.dispose();
      }
      expect(seen).toEqual([]);
    } finally {
      await prod.close();
    }
  });
});

describe('nullability (graphql-conventions.md): lookups by id answer null, a field that fails on its own keeps the rest', () => {
  let s: TestServer;
  let openai: FakeAi;
  beforeAll(async () => {
    openai = await startFakeOpenAI();
    s = await startServer({ OPENAI_BASE_URL: openai.url, OPENAI_API_KEY: 'sk-test', OPENAI_MODELS: 'gpt-test', AI_MAX_RETRIES: '0', AI_RETRY_BASE_MS: '10' });
  });
  afterAll(async () => {
    await s?.close();
    await openai?.close();
  });

  /** The answer through both paths (the fast path on POST, Apollo on GET), which must agree. */
  async function ask(query: string, variables: Record<string, unknown>, bearer: string | null): Promise<any> {
    const auth: Record<string, string> = bearer ? { authorization: `Bearer ${bearer}` } : {};
    const fast = await fetch(`${s.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify({ query, variables }) });
    const apollo = await fetch(`${s.url}/graphql?${new URLSearchParams({ query, variables: JSON.stringify(variables) }).toString()}`, { headers: { ...auth, 'apollo-require-preflight': 'true' } });
    const body = await fast.json();
    expect(fast.status, query).toBe(200);
    expect(await apollo.json(), query).toEqual(body);
    return body;
  }

  /** A mutation (POST only: GET runs queries alone). */
  async function mutate(query: string, variables: Record<string, unknown>, bearer: string): Promise<any> {
    const res = await fetch(`${s.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` }, body: JSON.stringify({ query, variables }) });
    const body = (await res.json()) as { errors?: unknown };
    expect(body.errors, query).toBeUndefined();
    return body;
  }

  it("answers null, without an error, for an unknown, malformed or someone else's id: organization, team, liveSession, liveTranscript, xelModule, the organization's figures, a tenant's key", async () => {
    const rest = restClient(s.url);
    const [owner, other] = await Promise.all([signUp(rest), signUp(rest)]);
    const t = { token: owner.accessToken };
    const org = await rest.post('/api/organizations', { name: `Nulls ${process.pid}` }, t);
    const team = await rest.post(`/api/organizations/${org.body.id}/teams`, { name: 'Core' }, t);
    expect([org.status, team.status]).toEqual([201, 201]);
    const started = await mutate('mutation { startLiveSession(input: { sessionType: VOICE }) { session { id } } }', {}, owner.accessToken);
    const sessionId: string = started.data.startLiveSession.session.id;
    const now = Date.now();
    const saved = await mutate(
      'mutation ($input: SaveLiveTranscriptInput!) { saveLiveTranscript(input: $input) { transcript { id } } }',
      { input: { sessionStartedAt: new Date(now - 60_000).toISOString(), sessionEndedAt: new Date(now).toISOString(), transcripts: [{ role: 'USER', text: 'Hello', timestamp: new Date(now - 30_000).toISOString() }] } },
      owner.accessToken,
    );
    const transcriptId: string = saved.data.saveLiveTranscript.transcript.id;

    const lookups: { field: string; query: string; mine: string | null }[] = [
      { field: 'organization', query: 'query ($id: ID!) { organization(id: $id) { id } }', mine: org.body.id },
      { field: 'team', query: 'query ($id: ID!) { team(id: $id) { id } }', mine: team.body.id },
      { field: 'liveSession', query: 'query ($id: ID!) { liveSession(id: $id) { id } }', mine: sessionId },
      { field: 'liveTranscript', query: 'query ($id: ID!) { liveTranscript(id: $id) { id } }', mine: transcriptId },
      // The course is everyone's: no module is someone else's, so only unknown and malformed ids (and slugs) apply.
      { field: 'xelModule', query: 'query ($id: ID!) { xelModule(id: $id) { id } }', mine: null },
    ];
    for (const { field, query, mine } of lookups) {
      if (mine) {
        expect((await ask(query, { id: mine }, owner.accessToken)).data[field], field).toEqual({ id: mine });
        // Someone else's: null, nothing that tells it exists.
        expect(await ask(query, { id: mine }, other.accessToken), `${field}, someone else's`).toEqual({ data: { [field]: null } });
      }
      for (const id of [randomUUID(), 'not-an-id', 'x'.repeat(200)]) {
        expect(await ask(query, { id }, owner.accessToken), `${field}(${id.slice(0, 40)})`).toEqual({ data: { [field]: null } });
      }
      // The caller's own errors stay errors: no credentials is not_authenticated, not null.
      const anonymous = await ask(query, { id: mine ?? COURSE[0]!.slug }, null);
      expect(anonymous.errors?.[0]?.extensions?.code, `${field}, anonymous`).toBe('not_authenticated');
    }
    const everyones = await ask('query ($id: ID!) { xelModule(id: $id) { slug } }', { id: COURSE[0]!.slug }, other.accessToken);
    expect(everyones).toEqual({ data: { xelModule: { slug: COURSE[0]!.slug } } });

    // An organization's figures, by its id: null as organization(id) for an outsider or an unknown or malformed organization.
    const figures = [
      { field: 'engagementStats', query: 'query ($id: ID!) { engagementStats(organizationId: $id) { memberCount } }' },
      { field: 'memberProgress', query: 'query ($id: ID!) { memberProgress(organizationId: $id) { totalCount } }' },
    ];
    for (const { field, query } of figures) {
      expect((await ask(query, { id: org.body.id }, owner.accessToken)).data[field], field).not.toBeNull();
      for (const [id, who] of [[org.body.id, other], [randomUUID(), owner], ['not-an-id', owner], ['x'.repeat(200), owner]] as const) {
        expect(await ask(query, { id }, who.accessToken), `${field}(${id.slice(0, 40)})`).toEqual({ data: { [field]: null } });
      }
    }
    // An unknown team of the organization, too; a bad date stays a validation error.
    expect(await ask('query ($id: ID!, $team: ID) { engagementStats(organizationId: $id, teamId: $team) { memberCount } }', { id: org.body.id, team: randomUUID() }, owner.accessToken)).toEqual({
      data: { engagementStats: null },
    });
    const badDate = await ask('query ($id: ID!) { engagementStats(organizationId: $id, startDate: "2026-03-02", endDate: "2026-03-01") { memberCount } }', { id: org.body.id }, owner.accessToken);
    expect(badDate.errors?.[0]?.extensions?.code).toBe('validation_error');
    // A tenant's key (public): null for an unknown or malformed tenant, or one without a key yet.
    for (const id of [randomUUID(), 'not-an-id', org.body.id]) {
      expect(await ask('query ($id: ID!) { integrationKeyFingerprint(tenantId: $id) { kid } }', { id }, null), id).toEqual({ data: { integrationKeyFingerprint: null } });
    }
  });

  it('keeps the sibling fields when ragQuery fails (its provider) or searchStatus is refused: the field is null, its error top-level', async () => {
    const rest = restClient(s.url);
    const u = await signUp(rest);
    const doc = await rest.post('/api/knowledge/documents', { title: 'Harbour', content: 'High tide at the harbour is at six in the morning.' }, { token: u.accessToken });
    expect(doc.status).toBe(201);
    await s.app.services.knowledge.drain();
    const query = 'query ($q: String!) { me { id } ragQuery(question: $q, provider: OPENAI) { answer } }';
    // One failure per path (POST, then GET): the provider answers 500 and no retry is allowed.
    openai.enqueue({ kind: 'status', status: 500 }, { kind: 'status', status: 500 });
    const failed = await ask(query, { q: 'When is high tide at the harbour?' }, u.accessToken);
    expect(failed.data).toEqual({ me: { id: u.user.id }, ragQuery: null });
    expect(failed.errors).toHaveLength(1);
    expect(failed.errors[0]).toMatchObject({ path: ['ragQuery'], extensions: { code: 'upstream_unavailable' } });
    // The provider back: the same document answers.
    const answered = await ask(query, { q: 'When is high tide at the harbour?' }, u.accessToken);
    expect(answered.errors).toBeUndefined();
    expect(answered.data.me).toEqual({ id: u.user.id });
    expect(answered.data.ragQuery.answer).toEqual(expect.any(String));

    const status = await ask('{ me { id } searchStatus { engine } }', {}, u.accessToken);
    expect(status.data).toEqual({ me: { id: u.user.id }, searchStatus: null });
    expect(status.errors).toMatchObject([{ path: ['searchStatus'], extensions: { code: 'not_found' } }]);
  });
});
