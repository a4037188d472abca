import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyNodeDocument, ApiKeysDocument, CreateApiKeyDocument, OrganizationDocument, OrganizationEventsDocument, RevokeApiKeyDocument } from './generated/graphql.js';
import { errorCode, gql, subscribe, until, wsClient } from './helpers/graphql.js';
import { restClient, type RestClient } from './helpers/http.js';
import { makeCast, makeKey, makeOrg, type Cast } from './helpers/orgs.js';
import { afterMembershipCheck, startServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let api: RestClient;
let cast: Cast;

beforeAll(async () => {
  server = await startServer();
  api = restClient(server.url);
  cast = await makeCast(api);
});
afterAll(() => server.close());


describe('API keys', () => {
  it('are shown once, in the documented format, and stored only as a hash', async () => {
    const org = await makeOrg(api, cast);
    const res = await api.post(
      '/api/api-keys',
      { name: 'CI', organization_id: org.id, scopes: ['organizations:read', 'organizations:read'], expires_at: '2999-01-01T00:00:00Z', allowed_ips: ['127.0.0.1', '10.0.0.0/8'] },
      { token: cast.member.accessToken },
    );
    expect(res.status).toBe(201);
    expect(res.body.key).toMatch(/^xntr-[A-Za-z0-9_-]{86}$/);
    expect(res.body).toMatchObject({
      name: 'CI',
      organization_id: org.id,
      scopes: ['organizations:read'],
      created_by: cast.member.user.id,
      expires_at: '2999-01-01T00:00:00.000Z',
      last_used_at: null,
      allowed_ips: ['127.0.0.1', '10.0.0.0/8'],
    });
    expect(res.body.key.startsWith(res.body.prefix)).toBe(true);
    expect(res.body.prefix.length).toBeLessThan(16);

    const listed = await api.get('/api/api-keys', { token: cast.member.accessToken });
    const mine = listed.body.find((k: { id: string }) => k.id === res.body.id);
    expect(mine).toBeDefined();
    expect(mine.key).toBeUndefined();
    const rows = await server.app.orm.em.fork().getConnection().execute('select * from api_keys where id = ?', [res.body.id]);
    expect(JSON.stringify(rows)).not.toContain(res.body.key.slice(5));

    // Two keys never collide: 512 bits of randomness each.
    const other = await makeKey(api, cast.member, org.id, ['organizations:read']);
    expect(other.key).not.toBe(res.body.key);
  });

  it('are listed a page at a time over REST (limit, offset, X-Total-Count), like every list, and so are teams', async () => {
    const u = (await makeCast(api)).owner;
    const org = await makeOrg(api, { ...cast, owner: u });
    for (let i = 0; i < 5; i++) await makeKey(api, u, org.id, ['organizations:read']);
    const t = { token: u.accessToken };
    const all = await api.get('/api/api-keys', t);
    expect(all.body).toHaveLength(5);
    expect(all.headers.get('x-total-count')).toBe('5');
    const page = await api.get('/api/api-keys?limit=2&offset=1', t);
    expect(page.body.map((k: { id: string }) => k.id)).toEqual(all.body.slice(1, 3).map((k: { id: string }) => k.id));
    expect(page.headers.get('x-total-count')).toBe('5');
    expect((await api.get('/api/api-keys?limit=1000', t)).status).toBe(400);

    for (const name of ['Alpha', 'Beta', 'Gamma']) expect((await api.post(`/api/organizations/${org.id}/teams`, { name }, t)).status).toBe(201);
    const teams = await api.get(`/api/organizations/${org.id}/teams`, t);
    expect(teams.body.map((x: { name: string }) => x.name)).toEqual(['Alpha', 'Beta', 'Core', 'Gamma']);
    const second = await api.get(`/api/organizations/${org.id}/teams?limit=2&offset=2`, t);
    expect(second.body.map((x: { name: string }) => x.name)).toEqual(['Core', 'Gamma']);
    expect(second.headers.get('x-total-count')).toBe('4');
    expect((await api.get(`/api/organizations/${org.id}/teams?limit=0`, t)).status).toBe(400);
  });

  it('validates scopes, expiry and address lists', async () => {
    const org = await makeOrg(api, cast);
    const res = await api.post(
      '/api/api-keys',
      { name: 'x', organization_id: org.id, scopes: ['everything'], expires_at: '2001-01-01T00:00:00Z', allowed_ips: ['999.1.1.1'] },
      { token: cast.owner.accessToken },
    );
    expect(res.status).toBe(400);
    expect(res.body.detail.fields.map((f: { loc: (string | number)[] }) => f.loc.join('.'))).toEqual(['body.scopes.0', 'body.allowed_ips.0']);
    // "In the future" is judged by the service, on the app's clock, once the shape is right.
    const past = await api.post('/api/api-keys', { name: 'x', organization_id: org.id, scopes: ['organizations:read'], expires_at: '2001-01-01T00:00:00Z' }, { token: cast.owner.accessToken });
    expect(past.body.detail.fields).toEqual([{ loc: ['body', 'expires_at'], message: 'must be in the future' }]);
    const empty = await api.post('/api/api-keys', { name: 'x', organization_id: org.id, scopes: [] }, { token: cast.owner.accessToken });
    expect(empty.body.detail.fields[0]).toEqual({ loc: ['body', 'scopes'], message: 'must name at least one scope' });
    const outside = await api.post('/api/api-keys', { name: 'x', organization_id: org.id, scopes: ['organizations:read'] }, { token: cast.stranger.accessToken });
    expect(outside.status).toBe(404);
  });

  it('authenticate REST and GraphQL over HTTP, acting for their creator in their organization only', async () => {
    const org = await makeOrg(api, cast);
    const other = await makeOrg(api, cast);
    const key = await makeKey(api, cast.member, org.id, ['organizations:read', 'organizations:write']);
    const got = await api.get(`/api/organizations/${org.id}`, { apiKey: key.key });
    expect(got.status).toBe(200);
    expect(got.body.role).toBe('member');
    // The creator belongs to the other organization too, but the key does not reach it.
    expect((await api.get(`/api/organizations/${other.id}`, { apiKey: key.key })).status).toBe(404);
    const list = await api.get('/api/organizations', { apiKey: key.key });
    expect(list.body.map((o: { id: string }) => o.id)).toEqual([org.id]);
    // Role checks still apply after the scope check: the member's key cannot do admin work.
    const denied = await api.patch(`/api/organizations/${org.id}`, { name: 'nope' }, { apiKey: key.key });
    expect(denied.status).toBe(403);
    expect(denied.body.detail.error).toBe('forbidden');
    const g = await gql(server.url, OrganizationDocument, { id: org.id }, { apiKey: key.key });
    expect(g.data?.organization?.viewerRole).toBe('MEMBER');
    // Bearer-only operations refuse it.
    const me = await api.get('/api/auth/me', { apiKey: key.key });
    expect(me.status).toBe(403);
    const mint = await gql(server.url, CreateApiKeyDocument, { input: { name: 'k', organizationId: org.id, scopes: ['ORGANIZATIONS_READ'] } }, { apiKey: key.key });
    expect(errorCode(mint)).toBe('forbidden');
  });

  it('answer a missing scope with the documented error', async () => {
    const org = await makeOrg(api, cast);
    const key = await makeKey(api, cast.owner, org.id, ['organizations:read', 'xel:read']);
    const res = await api.patch(`/api/organizations/${org.id}`, { name: 'x' }, { apiKey: key.key });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({
      detail: {
        error: 'INSUFFICIENT_API_KEY_SCOPE',
        message: 'This API key lacks the scope organizations:write',
        required_scope: 'organizations:write',
        granted_scopes: ['organizations:read', 'xel:read'],
      },
    });
    // api:read, api:write and api:admin are API metadata and administration, as documented:
    // none of them grants another domain's scope.
    for (const scopes of [['api:read'], ['api:write'], ['api:admin'], ['api:read', 'api:write', 'api:admin']]) {
      const apiKey = (await makeKey(api, cast.owner, org.id, scopes)).key;
      const write = await api.patch(`/api/organizations/${org.id}`, { description: 'w' }, { apiKey });
      expect(write.status, scopes.join()).toBe(403);
      expect(write.body.detail).toMatchObject({ error: 'INSUFFICIENT_API_KEY_SCOPE', required_scope: 'organizations:write' });
      expect((await api.get(`/api/organizations/${org.id}`, { apiKey })).status, scopes.join()).toBe(403);
    }
  });

  it('accept the whole documented catalogue: quiz:read reads XEL modules, quiz:write submits, xel:* include them', async () => {
    const org = await makeOrg(api, cast);
    const created = await api.post('/api/api-keys', { name: 'quiz', organization_id: org.id, scopes: ['quiz:read', 'quiz:write'] }, { token: cast.owner.accessToken });
    expect(created.status).toBe(201);
    expect(created.body.scopes).toEqual(['quiz:read', 'quiz:write']);
    const quiz = created.body.key as string;
    const modules = await api.get('/api/xel/modules?level=A1', { apiKey: quiz });
    expect(modules.status).toBe(200);
    const moduleId = modules.body[0].id as string;
    const module = await api.get(`/api/xel/modules/${moduleId}`, { apiKey: quiz });
    expect(module.status).toBe(200);
    const task = module.body.tasks.find((t: { options: unknown }) => t.options) ?? module.body.tasks[0];
    const submitted = await api.post('/api/xel/submissions', { task_id: task.id, response: task.options?.[0]?.id ?? 'an answer' }, { apiKey: quiz });
    expect(submitted.status).toBe(201);
    // The rest of XEL stays behind xel:*: the dashboard, evaluations.
    const dashboard = await api.get('/api/xel/dashboard', { apiKey: quiz });
    expect(dashboard.status).toBe(403);
    expect(dashboard.body.detail).toMatchObject({ error: 'INSUFFICIENT_API_KEY_SCOPE', required_scope: 'xel:read' });
    expect((await api.post('/api/xel/evaluate', { kind: 'writing', text: 'Hello, this is a short text.' }, { apiKey: quiz })).status).toBe(403);
    // xel:read includes quiz:read; quiz:read alone does not submit.
    const reader = (await makeKey(api, cast.owner, org.id, ['xel:read'])).key;
    expect((await api.get(`/api/xel/modules/${moduleId}`, { apiKey: reader })).status).toBe(200);
    const quizReader = (await makeKey(api, cast.owner, org.id, ['quiz:read'])).key;
    const refused = await api.post('/api/xel/submissions', { task_id: task.id, response: 'x' }, { apiKey: quizReader });
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toMatchObject({ error: 'INSUFFICIENT_API_KEY_SCOPE', required_scope: 'quiz:write' });
  });

  it('with organizations:write create an organization, owned by the key creator', async () => {
    const org = await makeOrg(api, cast);
    const key = (await makeKey(api, cast.owner, org.id, ['organizations:write'])).key;
    const res = await api.post('/api/organizations', { name: `Made by a key ${Date.now()}` }, { apiKey: key });
    expect(res.status).toBe(201);
    const mine = await api.get(`/api/organizations/${res.body.id}`, { token: cast.owner.accessToken });
    expect(mine.status).toBe(200);
    expect(mine.body.role).toBe('owner');
    expect(res.body.role).toBe('owner');
    const reader = (await makeKey(api, cast.owner, org.id, ['organizations:read'])).key;
    const refused = await api.post('/api/organizations', { name: 'Not by a reader' }, { apiKey: reader });
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toMatchObject({ error: 'INSUFFICIENT_API_KEY_SCOPE', required_scope: 'organizations:write' });
  });

  it('stop working at once when revoked, when their creator leaves, or when malformed', async () => {
    const org = await makeOrg(api, cast);
    const key = await makeKey(api, cast.extra, org.id, ['organizations:read']);
    expect((await api.get(`/api/organizations/${org.id}`, { apiKey: key.key })).status).toBe(200);
    // A plain member cannot revoke someone else's key: it does not exist for them.
    expect((await api.delete(`/api/api-keys/${key.id}`, { token: cast.member.accessToken })).status).toBe(404);
    expect((await api.delete(`/api/api-keys/${key.id}`, { token: cast.admin.accessToken })).status).toBe(204);
    const revoked = await api.get(`/api/organizations/${org.id}`, { apiKey: key.key });
    expect(revoked.status).toBe(401);
    expect(revoked.body.detail.error).toBe('invalid_token');
    expect((await api.delete(`/api/api-keys/${key.id}`, { token: cast.extra.accessToken })).status).toBe(204);

    const second = await makeKey(api, cast.extra, org.id, ['organizations:read']);
    expect((await api.delete(`/api/organizations/${org.id}/members/${cast.extra.user.id}`, { token: cast.extra.accessToken })).status).toBe(204);
    expect((await api.get(`/api/organizations/${org.id}`, { apiKey: second.key })).status).toBe(401);

    for (const bad of ['xntr-short', 'sk-' + 'a'.repeat(86), 'xntr-' + 'a'.repeat(86)]) {
      const res = await api.get('/api/organizations', { apiKey: bad });
      expect(res.status).toBe(401);
      expect(res.body.detail.error).toBe('invalid_token');
    }
  });

  it('made while their creator is being removed: refused, never left live for a non-member', async () => {
    const org = await makeOrg(api, cast);
    // The removal commits after the request found the creator a member, before it writes the key.
    let removed = 0;
    afterMembershipCheck(server, org.id, cast.extra.user.id, async () => {
      removed = (await api.delete(`/api/organizations/${org.id}/members/${cast.extra.user.id}`, { token: cast.owner.accessToken })).status;
    });
    const res = await api.post('/api/api-keys', { name: 'late', organization_id: org.id, scopes: ['conversations:read'] }, { token: cast.extra.accessToken });
    expect(removed).toBe(204);
    expect(res.status).toBe(404);
    const rows = await server.app.orm.em.fork().getConnection().execute('select count(*) as n from api_keys where organization_id = ? and created_by_id = ? and revoked_at is null', [org.id, cast.extra.user.id]);
    expect(Number((rows[0] as { n: number | string }).n)).toBe(0);
  });

  it('honour their address allow-list', async () => {
    const org = await makeOrg(api, cast);
    const loopback = await makeKey(api, cast.owner, org.id, ['organizations:read'], { allowed_ips: ['127.0.0.0/8'] });
    expect((await api.get(`/api/organizations/${org.id}`, { apiKey: loopback.key })).status).toBe(200);
    const exact = await makeKey(api, cast.owner, org.id, ['organizations:read'], { allowed_ips: ['127.0.0.1'] });
    expect((await api.get(`/api/organizations/${org.id}`, { apiKey: exact.key })).status).toBe(200);
    const elsewhere = await makeKey(api, cast.owner, org.id, ['organizations:read'], { allowed_ips: ['198.51.100.7', '2001:db8::/32'] });
    const res = await api.get(`/api/organizations/${org.id}`, { apiKey: elsewhere.key });
    expect(res.status).toBe(403);
    expect(res.body.detail.message).toMatch(/address/);
  });

  it('record when they were last used', async () => {
    const org = await makeOrg(api, cast);
    const key = await makeKey(api, cast.owner, org.id, ['organizations:read']);
    await api.get(`/api/organizations/${org.id}`, { apiKey: key.key });
    const list = await api.get(`/api/api-keys?organization_id=${org.id}`, { token: cast.owner.accessToken });
    const row = list.body.find((k: { id: string }) => k.id === key.id);
    expect(Date.now() - Date.parse(row.last_used_at)).toBeLessThan(60_000);
  });

  it('list: members see their own keys, admins see all keys of the organization', async () => {
    const org = await makeOrg(api, cast);
    const a = await makeKey(api, cast.member, org.id, ['organizations:read']);
    const b = await makeKey(api, cast.extra, org.id, ['organizations:read']);
    const ids = async (token: string) => (await api.get(`/api/api-keys?organization_id=${org.id}`, { token })).body.map((k: { id: string }) => k.id).sort();
    expect(await ids(cast.member.accessToken)).toEqual([a.id]);
    expect(await ids(cast.admin.accessToken)).toEqual([a.id, b.id].sort());
    expect((await api.get(`/api/api-keys?organization_id=${org.id}`, { token: cast.stranger.accessToken })).status).toBe(404);
  });

  it('work the same through GraphQL: scopes as enum values, expiry as DateTime, the secret once, pages newest first', async () => {
    const org = await makeOrg(api, cast);
    const owner = cast.owner.accessToken;
    const created = await gql(
      server.url,
      CreateApiKeyDocument,
      { input: { name: 'graph', organizationId: org.id, scopes: ['ORGANIZATIONS_READ', 'XEL_READ', 'XEL_READ'], expiresAt: '2999-01-01T00:00:00Z' } },
      owner,
    );
    expect(created.errors).toBeUndefined();
    const { apiKey, key: secret } = created.data!.createApiKey;
    const listed = (await gql(server.url, ApiKeysDocument, {}, owner)).data!.apiKeys.totalCount;
    expect(created.data!.createApiKey.query.apiKeys.totalCount).toBe(listed);
    expect(secret).toMatch(/^xntr-[A-Za-z0-9_-]{86}$/);
    expect(apiKey).toMatchObject({ name: 'graph', organizationId: org.id, scopes: ['ORGANIZATIONS_READ', 'XEL_READ'], createdById: cast.owner.user.id, expiresAt: '2999-01-01T00:00:00.000Z' });
    // REST shows the same key with the documented scope strings.
    const rest = (await api.get(`/api/api-keys?organization_id=${org.id}`, { token: owner })).body.find((k: { id: string }) => k.id === apiKey.id);
    expect(rest.scopes).toEqual(['organizations:read', 'xel:read']);
    expect((await api.get(`/api/organizations/${org.id}`, { apiKey: secret })).status).toBe(200);

    const past = await gql(server.url, CreateApiKeyDocument, { input: { name: 'old', organizationId: org.id, scopes: ['XEL_READ'], expiresAt: '2001-01-01T00:00:00Z' } }, owner);
    expect(past.errors?.[0]?.extensions).toMatchObject({ code: 'validation_error', fields: [{ path: ['expiresAt'], message: 'must be in the future' }] });

    const second = await gql(server.url, CreateApiKeyDocument, { input: { name: 'newer', organizationId: org.id, scopes: ['XEL_READ'] } }, owner);
    const page = await gql(server.url, ApiKeysDocument, { organizationId: org.id, first: 1 }, owner);
    expect(page.data?.apiKeys.totalCount).toBe(2);
    expect(page.data?.apiKeys.edges.map((e) => e.node.id)).toEqual([second.data!.createApiKey.apiKey.id]);
    const rest2 = await gql(server.url, ApiKeysDocument, { organizationId: org.id, first: 5, after: page.data!.apiKeys.pageInfo.endCursor }, owner);
    expect(rest2.data?.apiKeys.edges.map((e) => e.node.id)).toEqual([apiKey.id]);

    expect((await gql(server.url, ApiKeyNodeDocument, { id: apiKey.id }, owner)).data?.node).toMatchObject({ __typename: 'ApiKey', id: apiKey.id });
    expect((await gql(server.url, ApiKeyNodeDocument, { id: apiKey.id }, cast.member.accessToken)).data).toEqual({ node: null });
    const before = (await gql(server.url, ApiKeysDocument, {}, owner)).data!.apiKeys.totalCount;
    const revoked = await gql(server.url, RevokeApiKeyDocument, { input: { id: apiKey.id } }, owner);
    expect(revoked.data?.revokeApiKey).toEqual({ deletedId: apiKey.id, query: { apiKeys: { totalCount: before - 1 } } });
    expect((await gql(server.url, ApiKeyNodeDocument, { id: apiKey.id }, owner)).data).toEqual({ node: null });
    expect((await api.get(`/api/organizations/${org.id}`, { apiKey: secret })).status).toBe(401);
  });

  it('authenticate GraphQL subscriptions, with the scope and membership checks', async () => {
    const org = await makeOrg(api, cast);
    const reader = await makeKey(api, cast.member, org.id, ['organizations:read']);
    const { client } = wsClient(server.wsUrl, { 'X-API-Key': reader.key });
    const sub = subscribe(client, OrganizationEventsDocument, { organizationId: org.id });
    try {
      await until(() => server.app.services.events.listeners('ORGANIZATION_EVENT', org.id) > 0);
      await api.post(`/api/organizations/${org.id}/teams`, { name: 'Live' }, { token: cast.owner.accessToken });
      await sub.waitFor(1);
      expect(sub.received[0]!.data?.organizationEvents).toMatchObject({ organizationId: org.id, type: 'TEAM_CREATED', actorId: cast.owner.user.id });
    } finally {
      sub.unsubscribe();
      await client.dispose();
    }

    const wrongScope = await makeKey(api, cast.member, org.id, ['xel:read']);
    const ws2 = wsClient(server.wsUrl, { 'X-API-Key': wrongScope.key });
    const denied = subscribe(ws2.client, OrganizationEventsDocument, { organizationId: org.id });
    await denied.settled();
    expect(denied.errorCode).toBe('INSUFFICIENT_API_KEY_SCOPE');
    await ws2.client.dispose();

    const ws3 = wsClient(server.wsUrl, { Authorization: `Bearer ${cast.stranger.accessToken}` });
    const outsider = subscribe(ws3.client, OrganizationEventsDocument, { organizationId: org.id });
    await outsider.settled();
    expect(outsider.errorCode).toBe('not_found');
    await ws3.client.dispose();

    const ws4 = wsClient(server.wsUrl, { 'X-API-Key': 'xntr-' + 'b'.repeat(86) });
    const forged = subscribe(ws4.client, OrganizationEventsDocument, { organizationId: org.id });
    await forged.settled().catch(() => undefined);
    await until(() => ws4.closes.length > 0);
    expect(ws4.closes[0]!.code).toBe(4403);
    await ws4.client.dispose();
  });

  it('stop delivering organization events to someone removed', async () => {
    const org = await makeOrg(api, cast);
    const { client } = wsClient(server.wsUrl, { Authorization: `Bearer ${cast.extra.accessToken}` });
    const sub = subscribe(client, OrganizationEventsDocument, { organizationId: org.id });
    try {
      await until(() => server.app.services.events.listeners('ORGANIZATION_EVENT', org.id) > 0);
      await api.post(`/api/organizations/${org.id}/teams`, { name: 'Before' }, { token: cast.owner.accessToken });
      await sub.waitFor(1);
      await api.delete(`/api/organizations/${org.id}/members/${cast.extra.user.id}`, { token: cast.owner.accessToken });
      await api.post(`/api/organizations/${org.id}/teams`, { name: 'After' }, { token: cast.owner.accessToken });
      await until(() => sub.received.length >= 3 || sub.error !== null || sub.completed);
      const after = sub.received.slice(1);
      expect(after.every((r) => !r.data?.organizationEvents || r.data.organizationEvents.type !== 'TEAM_CREATED')).toBe(true);
      expect(after.some((r) => r.errors?.[0]?.extensions?.code === 'not_found')).toBe(true);
    } finally {
      sub.unsubscribe();
      await client.dispose();
    }
  });
});
