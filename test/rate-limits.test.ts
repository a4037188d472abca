import { randomUUID } from 'node:crypto';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatDocument, ChatStreamDocument, LoginDocument, RegisterDocument, StartChatTurnDocument } from './generated/graphql.js';
import { newUserInput, signUp } from './helpers/factories.js';
import { subscribe, wsClient } from './helpers/graphql.js';
import { restClient, type RestClient } from './helpers/http.js';
import { makeCast, makeOrg } from './helpers/orgs.js';
import { redisPrefix, TEST_REDIS_URL } from './helpers/process.js';
import { startServer, type TestServer } from './helpers/server.js';

/** A 429 as both doors answer it: Retry-After and the RateLimit headers. */
function expectLimited(headers: Headers, limit: number, window: number): void {
  const retry = Number(headers.get('retry-after'));
  expect(retry).toBeGreaterThanOrEqual(1);
  expect(retry).toBeLessThanOrEqual(window);
  expect(headers.get('ratelimit-limit')).toBe(String(limit));
  expect(headers.get('ratelimit-remaining')).toBe('0');
  expect(Number(headers.get('ratelimit-reset'))).toBe(retry);
  expect(headers.get('ratelimit-policy')).toBe(`${limit};w=${window}`);
}

/** POST /graphql, keeping the status and headers. */
async function graphql(url: string, document: Parameters<typeof print>[0], variables: Record<string, unknown>, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query: print(document), variables }) });
  return { status: res.status, headers: res.headers, body: (await res.json()) as { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] } };
}

const LIMITS = 'login_ip=10/60,login_account=2/60,login_account_ip=2/60,register_ip=4/60,register_account=2/60,chat=2/60,api_key=3/60';

async function gqlPost(url: string, query: string, token: string): Promise<{ data?: unknown; errors?: { extensions?: { code?: string } }[] }> {
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query }) });
  return (await res.json()) as never;
}

describe('rate limits (in memory)', () => {
  let server: TestServer;
  let api: RestClient;
  /** Limits on chat and API keys only, so the accounts and keys these tests need can be made. */
  let busy: TestServer;
  let busyApi: RestClient;

  beforeAll(async () => {
    server = await startServer({ RATE_LIMITS_ENABLED: 'true', RATE_LIMITS: LIMITS });
    api = restClient(server.url);
    busy = await startServer({ RATE_LIMITS_ENABLED: 'true', RATE_LIMITS: 'login_ip=1000/60,register_ip=1000/60,chat=2/60,api_key=3/60' });
    busyApi = restClient(busy.url);
  });
  afterAll(async () => {
    await server.close();
    await busy.close();
  });

  it('limits failed logins per account and address, on both doors, until a success there forgets them', async () => {
    const input = newUserInput();
    expect((await api.post('/api/auth/register', input)).status).toBe(201);
    const wrong = { username: input.username, password: 'not the password' };

    expect((await api.post('/api/auth/login', wrong, { form: true })).status).toBe(401);
    // A success forgets this address's failure.
    expect((await api.post('/api/auth/login', { username: input.username, password: input.password }, { form: true })).status).toBe(200);
    expect((await api.post('/api/auth/login', wrong, { form: true })).status).toBe(401);
    // Named by email this time: the same account, the same count.
    const second = await graphql(server.url, LoginDocument, { input: { username: input.email, password: 'still not it' } });
    expect(second.body.errors?.[0]?.extensions?.code).toBe('invalid_credentials');

    // Used up for this account from this address (login_account_ip=2): even the right password
    // is refused here until the window passes. Other addresses are not (login-throttle.test.ts).
    const rest = await api.post('/api/auth/login', { username: input.username, password: input.password }, { form: true });
    expect(rest.status).toBe(429);
    expect(rest.body.detail).toMatchObject({ error: 'rate_limited', limit: 'login_account_ip' });
    expectLimited(rest.headers, 2, 60);
    const gql = await graphql(server.url, LoginDocument, { input: { username: input.username, password: input.password } });
    expect(gql.status).toBe(429);
    expect(gql.body.errors?.[0]?.extensions).toMatchObject({ code: 'rate_limited', limit: 'login_account_ip' });
    expect(gql.body.data).toBeNull();
    expectLimited(gql.headers, 2, 60);
  });

  it('limits registrations per address and per email', async () => {
    const input = newUserInput();
    // register_account=2: the same email twice (the second a conflict), then refused.
    expect((await api.post('/api/auth/register', input)).status).toBe(201);
    expect((await api.post('/api/auth/register', input)).status).toBe(409);
    const third = await api.post('/api/auth/register', input);
    expect(third.status).toBe(429);
    expect(third.body.detail).toMatchObject({ error: 'rate_limited', limit: 'register_account' });
    expectLimited(third.headers, 2, 60);
    // register_ip=4 (one used by the test above, three here): the next registration from this address is refused.
    const gql = await graphql(server.url, RegisterDocument, { input: { email: `x${input.email}`, username: `x${input.username}`, password: input.password } });
    expect(gql.status).toBe(429);
    expect(gql.body.errors?.[0]?.extensions).toMatchObject({ code: 'rate_limited', limit: 'register_ip' });
    expectLimited(gql.headers, 4, 60);
  });

  it('limits chat turns per user through REST, the chat mutation and the chatStream subscription', async () => {
    const u = await signUp(busyApi);
    const token = { authorization: `Bearer ${u.accessToken}` };
    expect((await busyApi.post('/api/core/chat', { message: 'one' }, { token: u.accessToken })).status).toBe(200);
    expect((await graphql(busy.url, ChatDocument, { input: { message: 'two' } }, token)).body.errors).toBeUndefined();

    const rest = await busyApi.post('/api/core/chat', { message: 'three' }, { token: u.accessToken });
    expect(rest.status).toBe(429);
    expect(rest.body.detail.error).toBe('rate_limited');
    expectLimited(rest.headers, 2, 60);
    const gql = await graphql(busy.url, ChatDocument, { input: { message: 'three' } }, token);
    expect(gql.status).toBe(429);
    expectLimited(gql.headers, 2, 60);

    const { client } = wsClient(busy.wsUrl, { Authorization: `Bearer ${u.accessToken}` });
    const sub = subscribe(client, ChatStreamDocument, { input: { message: 'three' } });
    try {
      await sub.settled();
      expect(sub.errorCode).toBe('rate_limited');
    } finally {
      sub.unsubscribe();
      await client.dispose();
    }

    // Another user is not affected.
    const other = await signUp(busyApi);
    expect((await busyApi.post('/api/core/chat', { message: 'mine' }, { token: other.accessToken })).status).toBe(200);
  });

  it("counts every provider's turn against chat: grounded answers (REST and GraphQL) and live turns", async () => {
    const u = await signUp(busyApi);
    const t = { token: u.accessToken };
    await busyApi.post('/api/knowledge/documents', { title: 'Tides', content: 'High tide at the harbour is at six in the morning.' }, t);
    await busy.app.services.knowledge.drain();
    const ask = () => busyApi.post('/api/rag/query', { question: 'When is high tide at the harbour?' }, t);
    expect((await ask()).status).toBe(200);
    expect((await ask()).status).toBe(200);
    const refused = await ask();
    expect(refused.status).toBe(429);
    expect(refused.body.detail).toMatchObject({ error: 'rate_limited' });
    const graphql = await gqlPost(busy.url, 'query { ragQuery(question: "When is high tide at the harbour?") { answer } }', u.accessToken);
    expect(graphql.errors?.[0]?.extensions?.code).toBe('rate_limited');

    const v = await signUp(busyApi);
    const started = await busyApi.post('/api/live/session/start', { session_type: 'voice' }, { token: v.accessToken });
    expect(started.status).toBe(201);
    const send = () => gqlPost(busy.url, `mutation { sendLiveText(input: { sessionId: "${started.body.session_id as string}", text: "Hello there" }) { turnId } }`, v.accessToken);
    expect((await send()).errors).toBeUndefined();
    expect((await send()).errors).toBeUndefined();
    expect((await send()).errors?.[0]?.extensions?.code).toBe('rate_limited');
  });

  it('counts a resumable chat turn once: a retry with the same turn id is free, and a refused start keeps nothing', async () => {
    const u = await signUp(busyApi);
    const turnId = randomUUID();
    const first = await busyApi.post('/api/core/chat/turns', { message: 'one', turn_id: turnId }, { token: u.accessToken });
    expect(first.body).toMatchObject({ turn_id: turnId, started: true });
    for (let i = 0; i < 3; i++) {
      const retry = await busyApi.post('/api/core/chat/turns', { message: 'one', turn_id: turnId }, { token: u.accessToken });
      expect(retry.status).toBe(202);
      expect(retry.body.started).toBe(false);
    }
    const second = await graphql(busy.url, StartChatTurnDocument, { input: { message: 'two' } }, { authorization: `Bearer ${u.accessToken}` });
    expect(second.body.errors).toBeUndefined();
    const refusedId = randomUUID();
    const third = await busyApi.post('/api/core/chat/turns', { message: 'three', turn_id: refusedId }, { token: u.accessToken });
    expect(third.status).toBe(429);
    expect(third.body.detail.error).toBe('rate_limited');
    expectLimited(third.headers, 2, 60);
    // The refused turn id was not kept: it is unknown, and still refused (not answered as started).
    expect((await busyApi.get(`/api/core/chat/turns/${refusedId}/events`, { token: u.accessToken })).status).toBe(404);
    expect((await busyApi.post('/api/core/chat/turns', { message: 'three', turn_id: refusedId }, { token: u.accessToken })).status).toBe(429);
  });

  it('limits each API key, on both doors and over graphql-ws', async () => {
    const cast = await makeCast(busyApi);
    const org = await makeOrg(busyApi, cast);
    const created = await busyApi.post('/api/api-keys', { name: 'limited', organization_id: org.id, scopes: ['organizations:read'] }, { token: cast.member.accessToken });
    const key = created.body.key as string;
    const other = (await busyApi.post('/api/api-keys', { name: 'other', organization_id: org.id, scopes: ['organizations:read'] }, { token: cast.member.accessToken })).body.key as string;

    expect((await busyApi.get('/api/organizations', { apiKey: key })).status).toBe(200);
    const q = await fetch(`${busy.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body: JSON.stringify({ query: '{ organizations { totalCount } }' }) });
    expect(q.status).toBe(200);

    const { client } = wsClient(busy.wsUrl, { 'X-API-Key': key });
    try {
      const third = await new Promise<unknown>((resolve) => {
        let result: unknown = null;
        client.subscribe({ query: '{ organizations { totalCount } }' }, { next: (v) => (result = v), error: (e) => resolve(e), complete: () => resolve(result) });
      });
      expect((third as { data?: unknown }).data).toBeTruthy();
      // The fourth request of the key, whichever door: refused.
      const fourth = await new Promise<unknown>((resolve) => {
        client.subscribe({ query: '{ organizations { totalCount } }' }, { next: () => undefined, error: (e) => resolve(e), complete: () => resolve(null) });
      });
      expect((fourth as { extensions?: { code?: string } }[])[0]?.extensions?.code).toBe('rate_limited');
    } finally {
      await client.dispose();
    }
    const rest = await busyApi.get('/api/organizations', { apiKey: key });
    expect(rest.status).toBe(429);
    expect(rest.body.detail).toMatchObject({ error: 'rate_limited', limit: 'api_key' });
    expectLimited(rest.headers, 3, 60);
    // Refused before any route runs, the answer still carries the security headers and its request id.
    expect(rest.headers.get('x-content-type-options')).toBe('nosniff');
    expect(rest.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(rest.headers.get('x-request-id')).toBeTruthy();
    const gql = await fetch(`${busy.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body: JSON.stringify({ query: '{ organizations { totalCount } }' }) });
    expect(gql.status).toBe(429);
    expect(((await gql.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('rate_limited');
    expectLimited(gql.headers, 3, 60);
    // Another key of the same organization is counted apart.
    expect((await busyApi.get('/api/organizations', { apiKey: other })).status).toBe(200);
  });

  it('are off when configured off', async () => {
    const open = await startServer({ RATE_LIMITS_ENABLED: 'false', RATE_LIMITS: LIMITS });
    try {
      const openApi = restClient(open.url);
      const input = newUserInput();
      await openApi.post('/api/auth/register', input);
      for (let i = 0; i < 5; i++) expect((await openApi.post('/api/auth/login', { username: input.username, password: 'wrong' }, { form: true })).status).toBe(401);
    } finally {
      await open.close();
    }
  });
});

describe('rate limits in Redis', () => {
  it('are counted together by every gateway sharing the Redis', async () => {
    const env = { RATE_LIMITS_ENABLED: 'true', RATE_LIMITS: 'login_ip=3/60', REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: redisPrefix() };
    const [one, two] = await Promise.all([startServer(env), startServer(env)]);
    try {
      const attempt = (s: TestServer) => restClient(s.url).post('/api/auth/login', { username: 'nobody', password: 'nothing at all' }, { form: true });
      expect((await attempt(one)).status).toBe(401);
      expect((await attempt(two)).status).toBe(401);
      expect((await attempt(one)).status).toBe(401);
      const fourth = await attempt(two);
      expect(fourth.status).toBe(429);
      expectLimited(fourth.headers, 3, 60);
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });
});
