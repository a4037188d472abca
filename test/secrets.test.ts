import { randomBytes } from 'node:crypto';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { documentFor, graphqlCjs, postGraphQL, rootFields } from './helpers/graphql-ops.js';

const { getNamedType, isObjectType } = graphqlCjs;
import { startFakeOpenAI, type FakeAi } from './helpers/fake-ai.js';
import { startFakeGoogle, type FakeGoogle } from './helpers/fake-google.js';
import { CookieJar, startGoogleGateway, startInBrowser } from './helpers/integrations.js';
import { restClient, type RestClient } from './helpers/http.js';
import { TEST_JWT_SECRET, type TestServer } from './helpers/server.js';

/**
 * Secrets never leave by the wrong door. The flows that handle them run (sign-up, login
 * with right and wrong passwords, refresh and refresh reuse, logout, password change, API
 * key creation, use, revocation and forgery, tokens in URLs, an AI provider key that the
 * provider echoes in an error, a database error whose statement holds a password hash),
 * every log line the server writes is captured (at trace level), and every response body
 * is kept. Then:
 *
 * - no log line holds a password, a password hash, an access or refresh token, an API key,
 *   a stored token or key hash, the JWT secret, or a provider's API key;
 * - no response holds any of them, except the one response that issued a token or a key to
 *   its owner;
 * - the schema has no field that could carry a password or a hash.
 *
 * The Google Calendar integration's secrets are in the list too: every access token,
 * refresh token, authorization code and PKCE verifier the fake Google issued or saw, and the
 * OAuth client secret.
 */

const OPENAI_KEY = `sk-live-${randomBytes(16).toString('hex')}`;
const PASSWORD = `Correct-horse-${randomBytes(6).toString('hex')}`;
const NEW_PASSWORD = `Battery-staple-${randomBytes(6).toString('hex')}`;
const WRONG_PASSWORD = `Wrong-guess-${randomBytes(6).toString('hex')}`;

let server: TestServer;
let api: RestClient;
let fake: FakeAi;
let google: FakeGoogle;
const logLines: string[] = [];
/** Every response body, with what it was. */
const responses: { label: string; text: string }[] = [];
/** Secrets a response may carry, by the label of the one response that issued them. */
const issued = new Map<string, string>();
/** Secrets of other domains: the OAuth tokens and codes, read from the fake Google at the end. */
const moreSecrets: string[] = [];

beforeAll(async () => {
  fake = await startFakeOpenAI();
  google = await startFakeGoogle();
  server = await startGoogleGateway(
    google,
    { INTEGRATIONS_RETURN_URL: '', LOG_LEVEL: 'trace', OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: OPENAI_KEY, OPENAI_MODELS: 'fake-model', AI_MAX_RETRIES: '0' },
    { logStream: { write: (line: string) => void logLines.push(line) } },
  );
  api = restClient(server.url);
});
afterAll(async () => {
  await server?.close();
  await fake?.close();
  await google?.close();
});

type Res = { status: number; body: any };
/** Keeps the body of a response; `issues` names the secrets this response hands out. */
async function keep(label: string, res: Promise<Res> | Res, issues: (body: any) => string[] = () => []): Promise<Res> {
  const r = await res;
  const text = typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
  responses.push({ label, text });
  for (const secret of issues(r.body)) if (secret) issued.set(secret, label);
  return r;
}

async function gql(label: string, field: `${'Query' | 'Mutation'}.${string}`, vars: Record<string, unknown>, auth: { token?: string; apiKey?: string } = {}, issues?: (body: any) => string[]) {
  const r = await postGraphQL(server.url, await documentFor(field, vars), vars, auth);
  return keep(label, { status: r.status, body: r.body }, issues);
}

describe('secrets', () => {
  it('run through every flow that handles them', async () => {
    const username = `secret_${randomBytes(3).toString('hex')}`;
    const email = `${username}@example.com`;
    await keep('register', api.post('/api/auth/register', { email, username, password: PASSWORD }));
    await keep('register again (conflict)', api.post('/api/auth/register', { email, username, password: PASSWORD }));
    await keep('register, weak password', api.post('/api/auth/register', { email: `x${email}`, username: `x${username}`, password: 'short' }));
    await keep('login, wrong password', api.post('/api/auth/login', { username, password: WRONG_PASSWORD }, { form: true }));
    await keep('login, unknown user', api.post('/api/auth/login', { username: 'nobody_here', password: WRONG_PASSWORD }, { form: true }));
    const login = await keep('login', api.post('/api/auth/login', { username, password: PASSWORD }, { form: true }), (b) => [b.access_token, b.refresh_token]);
    const refresh = login.body.refresh_token as string;
    const rotated = await keep('refresh', api.post('/api/auth/refresh', { refresh_token: refresh }), (b) => [b.access_token, b.refresh_token]);
    await keep('refresh reuse (revokes the session)', api.post('/api/auth/refresh', { refresh_token: refresh }));
    await keep('refresh with a forged token', api.post('/api/auth/refresh', { refresh_token: `${refresh}x` }));
    await keep('me with a revoked session', api.get('/api/auth/me', { token: rotated.body.access_token }));

    // GraphQL door.
    const g = await gql('graphql login', 'Mutation.login', { input: { username, password: PASSWORD } }, {}, (b) => [b.data?.login?.accessToken, b.data?.login?.refreshToken]);
    const token = g.body.data.login.accessToken as string;
    await gql('graphql login, wrong password', 'Mutation.login', { input: { username: email, password: WRONG_PASSWORD } });
    const gRefresh = await gql('graphql refresh', 'Mutation.refreshToken', { input: { refreshToken: g.body.data.login.refreshToken } }, {}, (b) => [b.data?.refreshToken?.accessToken, b.data?.refreshToken?.refreshToken]);
    await gql('graphql me', 'Query.me', {}, { token });
    await gql('graphql password change, wrong current', 'Mutation.updateMe', { input: { currentPassword: WRONG_PASSWORD, newPassword: NEW_PASSWORD } }, { token });
    await keep('password change, weak new', api.patch('/api/auth/me', { current_password: PASSWORD, new_password: 'short' }, { token }));
    await keep('password change', api.patch('/api/auth/me', { current_password: PASSWORD, new_password: NEW_PASSWORD }, { token }));
    await keep('logout with refresh token', api.post('/api/auth/logout', { refresh_token: gRefresh.body.data.refreshToken.refreshToken }));
    const fresh = await keep('login with the new password', api.post('/api/auth/login', { username, password: NEW_PASSWORD }), (b) => [b.access_token, b.refresh_token]);
    const t = fresh.body.access_token as string;

    // API keys.
    const org = await keep('create organization', api.post('/api/organizations', { name: `Secrets ${username}` }, { token: t }));
    const key = await keep('create api key', api.post('/api/api-keys', { name: 'k', organization_id: org.body.id, scopes: ['organizations:read', 'conversations:write'] }, { token: t }), (b) => [b.key]);
    const gKey = await gql('graphql create api key', 'Mutation.createApiKey', { input: { name: 'g', organizationId: org.body.id, scopes: ['ORGANIZATIONS_READ'] } }, { token: t }, (b) => [b.data?.createApiKey?.key]);
    await keep('use api key', api.get('/api/organizations', { apiKey: key.body.key }));
    await keep('list api keys', api.get('/api/api-keys', { token: t }));
    await gql('graphql list api keys', 'Query.apiKeys', {}, { token: t });
    await keep('revoke api key', api.delete(`/api/api-keys/${gKey.body.data.createApiKey.apiKey.id}`, { token: t }));
    await keep('use revoked api key', api.get('/api/organizations', { apiKey: gKey.body.data.createApiKey.key }));
    await keep('use forged api key', api.get('/api/organizations', { apiKey: `${key.body.key.slice(0, -2)}AA` }));
    await keep('use malformed api key', api.get('/api/organizations', { apiKey: 'xntr-short' }));
    await keep('api key without scope', api.get('/api/core/conversations', { apiKey: key.body.key }));
    await keep('members', api.get(`/api/organizations/${org.body.id}/members`, { token: t }));
    await gql('graphql organization', 'Query.organization', { id: org.body.id }, { token: t });

    // Credentials in URLs: GraphQL over GET, and the live socket's ?token=.
    await keep('graphql over GET with a password in the query', api.get(`/graphql?query=${encodeURIComponent(`mutation { login(input: {username: "${username}", password: "${NEW_PASSWORD}"}) { accessToken } }`)}`, { headers: { 'apollo-require-preflight': 'true' } }));
    await keep('graphql over GET with a password in variables', api.get(`/graphql?query=${encodeURIComponent('query($p: String) { __typename }')}&variables=${encodeURIComponent(JSON.stringify({ p: NEW_PASSWORD }))}`, { headers: { 'apollo-require-preflight': 'true' } }));
    await keep('query string token on a REST route', api.get(`/api/auth/me?token=${t}&api_key=${key.body.key}&password=${NEW_PASSWORD}`));
    const ws = new WebSocket(`${server.wsUrl}/api/live/ws?token=${encodeURIComponent(t)}`);
    await new Promise<void>((r) => ws.on('open', () => r()));
    ws.close();
    await new Promise<void>((r) => ws.on('close', () => r()));
    // graphql-ws with a key and a token as connection params (one refused).
    const client = createClient({ url: `${server.wsUrl}/graphql`, webSocketImpl: WebSocket, connectionParams: { Authorization: `Bearer ${rotated.body.access_token}` }, retryAttempts: 0 });
    await new Promise<void>((r) => client.subscribe({ query: 'subscription { meUpdated { id } }' }, { next: () => r(), error: () => r(), complete: () => r() }));
    await client.dispose();

    // The AI provider's key: sent upstream, never back, even when the provider echoes it in an error.
    fake.enqueue({ kind: 'answer', tokens: ['Hi'] });
    await keep('chat through the provider', api.post('/api/core/chat', { message: 'hello', provider: 'openai' }, { token: t }));
    fake.enqueue({ kind: 'status', status: 401, body: { error: { message: `Incorrect API key provided: ${OPENAI_KEY}`, type: 'invalid_request_error' } } });
    await keep('chat, provider refuses the key and quotes it', api.post('/api/core/chat', { message: 'hello again', provider: 'openai' }, { token: t }));
    fake.enqueue({ kind: 'midStreamError', afterTokens: ['x'] });
    await keep('chat, provider fails mid-stream', api.post('/api/core/chat', { message: 'and again', provider: 'openai' }, { token: t }));
    await keep('providers', api.get('/api/core/providers'));
    expect(fake.requests.some((r) => r.headers.authorization === `Bearer ${OPENAI_KEY}`), 'the provider got its key').toBe(true);

    // Google Calendar: the OAuth flow (code and state in the callback URL), events, a study session, disconnection.
    const jar = new CookieJar();
    const { callback } = await startInBrowser(api, { token: t }, jar);
    expect((await keep('OAuth callback', api.get(callback.pathname + callback.search, { headers: { cookie: jar.header(callback) ?? '' } }))).status).toBe(200);
    await keep('OAuth callback replayed', api.get(callback.pathname + callback.search, { headers: { cookie: jar.header(callback) ?? '' } }));
    await keep('integrations', api.get('/api/integrations', { token: t }));
    await gql('graphql integrations', 'Query.integrations', {}, { token: t });
    await keep('calendar events', api.get('/api/integrations/google-calendar/events', { token: t }));
    await keep('study session', api.post('/api/integrations/google-calendar/study-sessions', { title: 'Study', start: '2030-01-01T10:00:00Z', duration_minutes: 30 }, { token: t }));
    await keep('disconnect calendar', api.delete('/api/integrations/google-calendar', { token: t }));
    moreSecrets.push(...google.secrets(), google.clientSecret);
    expect(moreSecrets.length).toBeGreaterThan(2);

    // A database error whose statement carries a password hash: the log keeps the statement, not its values.
    const conn = server.app.orm.em.fork().getConnection();
    const sqlite = server.config.db.driver === 'sqlite';
    await conn.execute(
      sqlite
        ? "create trigger break_insert before insert on users begin select raise(abort, 'broken for the test'); end"
        : "create function break_insert() returns trigger language plpgsql as $$ begin raise exception 'broken for the test'; end $$",
    );
    if (!sqlite) await conn.execute('create trigger break_insert before insert on users for each row execute function break_insert()');
    const broken = await keep('register while inserts fail', api.post('/api/auth/register', { email: `b${email}`, username: `b${username}`, password: PASSWORD }));
    expect(broken.status).toBe(500);
    await conn.execute(sqlite ? 'drop trigger break_insert' : 'drop trigger break_insert on users');
    if (!sqlite) await conn.execute('drop function break_insert()');
    // MikroORM 7's errors carry the driver's reason, not the statement; should one quote it, the
    // serializer withholds the values (src/common/log-safety.ts). Either way: logged, no hash in it.
    const failure = logLines.filter((l) => l.includes('broken for the test'));
    expect(failure.length, 'the failed statement was logged').toBeGreaterThan(0);
    expect(failure.join(''), 'without its values').not.toMatch(/\$argon2/);
  });

  it('never appear in a log line, a response they were not issued by, or an error message', async () => {
    const conn = server.app.orm.em.fork().getConnection();
    const column = async (sql: string) => ((await conn.execute(sql)) as Record<string, string>[]).map((r) => Object.values(r)[0]!).filter(Boolean);
    const stored = {
      'a password hash': await column('select password_hash from users'),
      'a refresh token hash': await column('select token_hash from refresh_tokens'),
      'an API key hash': await column('select key_hash from api_keys'),
    };
    expect(stored['a password hash'].length).toBeGreaterThan(0);
    const secrets: [string, string][] = [
      ...[PASSWORD, NEW_PASSWORD, WRONG_PASSWORD].map((s) => ['a password', s] as [string, string]),
      ...Object.entries(stored).flatMap(([what, values]) => values.map((v) => [what, v] as [string, string])),
      ...[...issued.keys()].map((s) => ['an issued token or key', s] as [string, string]),
      ['the JWT secret', TEST_JWT_SECRET],
      ['the AI provider key', OPENAI_KEY],
      ...moreSecrets.map((s) => ['another secret', s] as [string, string]),
    ];
    const log = logLines.join('');
    expect(logLines.length, 'the server logged (at trace level)').toBeGreaterThan(50);
    const leaks: string[] = [];
    for (const [what, secret] of secrets) {
      if (log.includes(secret)) leaks.push(`the logs hold ${what}: …${log.slice(Math.max(0, log.indexOf(secret) - 120), log.indexOf(secret) + 20)}…`);
      for (const r of responses) {
        if (r.text.includes(secret) && issued.get(secret) !== r.label) leaks.push(`the response "${r.label}" holds ${what}`);
      }
    }
    // Shapes too, whatever their value.
    for (const [shape, what] of [
      [/\$argon2/, 'a password hash'],
      [/xntr-[A-Za-z0-9_-]{86}/, 'an API key'],
      [/eyJ[A-Za-z0-9_-]{10,}\.eyJ/, 'a JWT'],
    ] as const) {
      if (shape.test(log)) leaks.push(`the logs hold something shaped like ${what}: ${shape.exec(log)![0].slice(0, 24)}…`);
    }
    console.log(`secrets: ${secrets.length} secrets looked for in ${logLines.length} log lines and ${responses.length} responses; ${leaks.length} found where they must not be`);
    expect(leaks).toEqual([]);
  });

  /** The fields that hand a secret to its owner, and the harmless ones whose names sound like it. */
  const ISSUING_FIELDS = [
    'LoginPayload.accessToken',
    'LoginPayload.refreshToken',
    'RefreshTokenPayload.accessToken',
    'RefreshTokenPayload.refreshToken',
    'CreateApiKeyPayload.key',
    // An integration token, handed once to whoever grants or rotates it (like an API key's key).
    'IntegrationTokenGrant.token',
    // Its type ("Bearer"), not a secret.
    'IntegrationTokenGrant.tokenType',
    // A task's name within its module.
    'XelTask.key',
  ];

  it('have no field in the schema that could carry them', async () => {
    const seen = new Set<string>();
    const offending: string[] = [];
    const walk = (type: unknown, path: string) => {
      const named = getNamedType(type as never);
      if (!isObjectType(named) || seen.has(named.name)) return;
      seen.add(named.name);
      for (const f of Object.values(named.getFields())) {
        const where = `${named.name}.${f.name}`;
        if (/password|hash|secret/i.test(f.name)) offending.push(where);
        const text = ['String', 'ID'].includes(getNamedType(f.type).name);
        if (text && /token|key$/i.test(f.name) && !ISSUING_FIELDS.includes(where)) offending.push(where);
        walk(f.type, `${path}.${f.name}`);
      }
    };
    for (const { field, key } of await rootFields()) walk(field.type, key);
    expect(offending).toEqual([]);
  });
});
