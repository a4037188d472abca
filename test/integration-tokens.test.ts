import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchDatabase } from '../src/db/scratch.js';
import { ManualClock } from './helpers/clock.js';
import { subscribe, until, wsClient } from './helpers/graphql.js';
import { restClient, type RestClient } from './helpers/http.js';
import { makeCast, makeKey, makeOrg, type Cast } from './helpers/orgs.js';
import { afterMembershipCheck, driver, PG_ADMIN_URL, startServer, type TestServer } from './helpers/server.js';

const KEYS = `k1:${Buffer.alloc(32, 7).toString('base64')}`;
const ORIGIN = 'https://app.example.com';

let server: TestServer;
let api: RestClient;
let cast: Cast;
let org: { id: string };
const clock = new ManualClock();

beforeAll(async () => {
  server = await startServer({ INTEGRATIONS_ENCRYPTION_KEYS: KEYS, LIVE_PLANS: 'free:600', INTEGRATION_TOKEN_KEY_ROTATION_SECONDS: '600' }, { clock });
  api = restClient(server.url);
  cast = await makeCast(api);
  org = await makeOrg(api, cast);
}, 60_000);
afterAll(() => server?.close());

/** A GraphQL call with the document as text. */
async function gql<T = any>(url: string, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<{ data?: T; errors?: { extensions?: { code?: string } }[] }> {
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify({ query, variables }) });
  return (await res.json()) as never;
}

const grant = async (by: { accessToken: string }, body: Record<string, unknown>) => {
  const r = await api.post('/api/integration/grant', { tenantId: org.id, mode: 'server', ttlSeconds: 600, ...body }, { token: by.accessToken });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as { token: string; token_type: string; expires_in: number; jti: string; tenant_id: string };
};

describe('integration tokens', () => {
  it('grants an RS256 token that a third party verifies against the gateway\'s remote JWKS', async () => {
    const g = await grant(cast.member, { scopes: ['quota:read', 'profile:read'], ttlSeconds: 300 });
    expect(g).toMatchObject({ token_type: 'Bearer', expires_in: 300, tenant_id: org.id });
    const header = decodeProtectedHeader(g.token);
    expect(header.alg).toBe('RS256');
    // A third party: only the public JWKS URL, as jose fetches and caches it.
    const jwks = createRemoteJWKSet(new URL(`${server.url}/api/integration/jwks?tenantId=${org.id}`));
    const { payload } = await jwtVerify(g.token, jwks, { issuer: server.config.auth.issuer, audience: 'xentree-integration', algorithms: ['RS256'], currentDate: new Date(clock.now()) });
    expect(payload).toMatchObject({ sub: cast.member.user.id, jti: g.jti, tenant_id: org.id, scope: 'quota:read profile:read' });
    // Another tenant's JWKS does not verify it.
    const other = await makeOrg(api, cast);
    await grant(cast.owner, { tenantId: other.id, scopes: ['xel:read'] });
    const otherJwks = createRemoteJWKSet(new URL(`${server.url}/api/integration/jwks?tenantId=${other.id}`));
    await expect(jwtVerify(g.token, otherJwks)).rejects.toThrow();
    // The fingerprint names the signing key.
    const fp = await api.get(`/api/integration/fingerprint?tenantId=${org.id}`);
    expect(fp.body).toEqual({ tenant_id: org.id, kid: header.kid, algorithm: 'sha256', fingerprint: header.kid });
  });

  it('keeps the private key sealed at rest', async () => {
    const rows = await server.app.orm.em.fork().getConnection().execute<{ private_key_ciphertext: string; cipher_key_id: string }[]>('select private_key_ciphertext, cipher_key_id from integration_signing_keys');
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      expect(r.cipher_key_id).toBe('k1');
      expect(r.private_key_ciphertext).toMatch(/^v1\./);
      expect(r.private_key_ciphertext).not.toMatch(/PRIVATE KEY/);
    }
  });

  it('is a bearer credential for its scopes only, from its origin', async () => {
    const g = await grant(cast.member, { scopes: ['quota:read', 'profile:read'], mode: 'browser', origin: ORIGIN });
    const quota = await api.get('/api/live/quota', { token: g.token });
    expect(quota.status).toBe(200);
    const profile = await api.get('/api/integration/profile', { token: g.token, headers: { origin: ORIGIN } });
    expect(profile.status).toBe(200);
    expect(profile.body.username).toBe(cast.member.user.username);
    expect(JSON.stringify(profile.body)).not.toContain(cast.member.user.email);
    // Outside its scopes: 403, through both doors.
    for (const path of ['/api/auth/me', '/api/xel/modules', '/api/core/conversations', '/api/organizations']) {
      const r = await api.get(path, { token: g.token });
      expect(r.status, path).toBe(403);
    }
    expect((await api.post('/api/integration/grant', { mode: 'server', scopes: ['xel:read'], tenantId: org.id }, { token: g.token })).status).toBe(403);
    const me = await gql(server.url, '{ me { id } }', {}, g.token);
    expect(me.errors?.[0]?.extensions?.code).toBe('forbidden');
    const q = await gql(server.url, '{ liveQuota { remainingSeconds } }', {}, g.token);
    expect(q.errors).toBeUndefined();
    // From another origin: 403.
    expect((await api.get('/api/live/quota', { token: g.token, headers: { origin: 'https://evil.example.com' } })).status).toBe(403);
    // xel:read reads what an API key with xel:read reads.
    const x = await grant(cast.member, { scopes: ['xel:read'] });
    expect((await api.get('/api/xel/modules', { token: x.token })).status).toBe(200);
    expect((await api.get('/api/live/quota', { token: x.token })).status).toBe(403);
    // A server token with no origin is refused from a browser page.
    expect((await api.get('/api/xel/modules', { token: x.token, headers: { origin: ORIGIN } })).status).toBe(403);
    // Forged: 401.
    const [h, p] = x.token.split('.');
    expect((await api.get('/api/xel/modules', { token: `${h}.${p}.${'A'.repeat(342)}` })).status).toBe(401);
  });

  it("knows an integration token by its header whatever tokens came before, in the shapes jose reads (three or five parts)", async () => {
    const g = await grant(cast.member, { scopes: ['quota:read'] });
    const [h, p, s] = g.token.split('.');
    // Twice: the second round meets the header's answer as kept from the first.
    for (let round = 0; round < 2; round++) {
      expect((await api.get('/api/live/quota', { token: g.token })).status).toBe(200);
      // The same header in four parts is no JWS or JWE: read as an access token, and malformed.
      const four = await api.get('/api/live/quota', { token: `${h}.${p}.${s}.x` });
      expect(four.status).toBe(401);
      expect(four.body.detail).toMatchObject({ error: 'invalid_token', message: 'Access token is malformed' });
      // Five parts is a JWE's shape: an integration token by its header, and not a valid one.
      const five = await api.get('/api/live/quota', { token: `${h}.${p}.${s}.x.y` });
      expect(five.status).toBe(401);
      expect(five.body.detail.message).toMatch(/^The integration token is not valid/);
      // An access token is still one.
      expect((await api.get('/api/auth/me', { token: cast.member.accessToken })).status).toBe(200);
    }
  });

  it('verifies, revokes (both forms) at once, rotates, and lists revocations for admins', async () => {
    const a = await grant(cast.member, { scopes: ['quota:read'] });
    const v = await api.post('/api/integration/verify', { token: a.token, tenantId: org.id }, { token: cast.member.accessToken });
    expect(v.body).toMatchObject({ valid: true, revoked: false, reason: null, claims: { jti: a.jti, tenant_id: org.id, sub: cast.member.user.id, scopes: ['quota:read'] } });
    // Another member cannot revoke it (not found); the grantor can, by the token itself.
    expect((await api.post('/api/integration/revoke', { tenantId: org.id, jti: a.jti, reason: 'x' }, { token: cast.extra.accessToken })).status).toBe(404);
    const r = await api.post('/api/integration/revoke', { integrationToken: a.token, reason: 'leaked' }, { token: cast.member.accessToken });
    expect(r.body).toEqual({ revoked: true, jti: a.jti });
    expect((await api.get('/api/live/quota', { token: a.token })).status).toBe(403);
    const v2 = await api.post('/api/integration/verify', { token: a.token, tenantId: org.id }, { token: cast.member.accessToken });
    expect(v2.body).toMatchObject({ valid: false, revoked: true, reason: 'revoked' });
    // An admin revokes a member's token by tenant and jti.
    const b = await grant(cast.member, { scopes: ['quota:read'] });
    expect((await api.post('/api/integration/revoke', { tenantId: org.id, jti: b.jti, reason: 'offboarding' }, { token: cast.admin.accessToken })).status).toBe(200);
    expect((await api.get('/api/live/quota', { token: b.token })).status).toBe(403);
    // Rotation: the new token works, the old one is revoked.
    const c = await grant(cast.member, { scopes: ['quota:read'] });
    const rot = await api.post('/api/integration/rotate', { mode: 'server', scopes: ['quota:read'], ttlSeconds: 120, integrationToken: c.token }, { token: cast.member.accessToken });
    expect(rot.status).toBe(201);
    expect((await api.get('/api/live/quota', { token: rot.body.token })).status).toBe(200);
    expect((await api.get('/api/live/quota', { token: c.token })).status).toBe(403);
    // Rotations of one token at once: one successor, the others conflict.
    const d = await grant(cast.member, { scopes: ['quota:read'] });
    const rotations = await Promise.all(
      Array.from({ length: 4 }, () => api.post('/api/integration/rotate', { mode: 'server', scopes: ['quota:read'], integrationToken: d.token }, { token: cast.member.accessToken })),
    );
    expect(rotations.map((r) => r.status).sort()).toEqual([201, 409, 409, 409]);
    const successor = rotations.find((r) => r.status === 201)!.body.jti as string;
    const [row] = (await server.app.orm.em.fork().getConnection().execute('select revoked_reason from integration_tokens where id = ?', [d.jti])) as { revoked_reason: string }[];
    expect(row!.revoked_reason).toBe(`rotated: replaced by ${successor}`);
    // The revocation list: admins and owners only.
    const list = await api.get(`/api/admin/integration-token-revocations?tenantId=${org.id}`, { token: cast.admin.accessToken });
    expect(list.status).toBe(200);
    expect(list.body.map((x: { jti: string }) => x.jti)).toEqual(expect.arrayContaining([a.jti, b.jti, c.jti]));
    expect(list.body.find((x: { jti: string }) => x.jti === a.jti)).toMatchObject({ tenant_id: org.id, reason: 'leaked', revoked_by: cast.member.user.id });
    expect((await api.get(`/api/admin/integration-token-revocations?tenantId=${org.id}`, { token: cast.member.accessToken })).status).toBe(403);
    expect((await api.get(`/api/admin/integration-token-revocations?tenantId=${org.id}`, { token: cast.stranger.accessToken })).status).toBe(404);
  });

  it("ends a member's grants with the membership, for good, and an organization's with it: their sockets close, adding the member back revives nothing", async () => {
    const LIVE = parse('subscription { myLiveSessionEvents { __typename } }') as TypedDocumentNode<any, any>;
    const tenant = await makeOrg(api, cast);
    const mine = (body: Record<string, unknown>) => grant(cast.member, { tenantId: tenant.id, scopes: ['live:read', 'profile:read'], ...body });
    const watch = async (token: string) => {
      const ws = wsClient(server.wsUrl, { Authorization: `Bearer ${token}` });
      subscribe(ws.client, LIVE, {});
      await until(() => server.app.services.events.listeners('CREDENTIALS_REVOKED', cast.member.user.id) > 0);
      return ws;
    };
    const verify = async (token: string, tenantId = tenant.id) => (await api.post('/api/integration/verify', { token, tenantId }, { token: cast.owner.accessToken })).body;

    // Removed: the grant is revoked (listed, with its reason), its socket closes, and adding the member back does not bring it back.
    const a = await mine({});
    expect((await api.get('/api/integration/profile', { token: a.token })).status).toBe(200);
    const ws = await watch(a.token);
    try {
      expect((await api.delete(`/api/organizations/${tenant.id}/members/${cast.member.user.id}`, { token: cast.owner.accessToken })).status).toBe(204);
      await until(() => ws.closes.length > 0);
      expect(ws.closes[0]).toEqual({ code: 4401, reason: 'invalid_token: integration_token_revoked' });
    } finally {
      await ws.client.dispose();
    }
    const listed = await api.get(`/api/admin/integration-token-revocations?tenantId=${tenant.id}`, { token: cast.owner.accessToken });
    expect(listed.body.find((x: { jti: string }) => x.jti === a.jti)).toMatchObject({ reason: 'membership ended' });
    expect((await api.post(`/api/organizations/${tenant.id}/members`, { user_id: cast.member.user.id, role: 'member' }, { token: cast.owner.accessToken })).status).toBe(201);
    expect((await api.get('/api/integration/profile', { token: a.token })).status).toBe(403);
    expect(await verify(a.token)).toMatchObject({ valid: false, revoked: true, reason: 'revoked' });

    // The organization deleted: a grant's socket closes.
    const b = await mine({});
    const ws2 = await watch(b.token);
    try {
      expect((await api.delete(`/api/organizations/${tenant.id}`, { token: cast.owner.accessToken })).status).toBe(204);
      await until(() => ws2.closes.length > 0);
      expect(ws2.closes[0]).toEqual({ code: 4401, reason: 'invalid_token: integration_token_revoked' });
    } finally {
      await ws2.client.dispose();
    }
    expect((await api.get('/api/integration/profile', { token: b.token })).status).toBe(403);
  });

  it('refuses a grant whose grantor is removed while it is made: nothing unrevoked is left to revive when they are added back', async () => {
    const tenant = await makeOrg(api, cast);
    // The removal commits after the request found the grantor a member, before it writes the grant.
    let removed = 0;
    afterMembershipCheck(server, tenant.id, cast.extra.user.id, async () => {
      removed = (await api.delete(`/api/organizations/${tenant.id}/members/${cast.extra.user.id}`, { token: cast.owner.accessToken })).status;
    });
    const late = await api.post('/api/integration/grant', { tenantId: tenant.id, mode: 'server', ttlSeconds: 600, scopes: ['profile:read'] }, { token: cast.extra.accessToken });
    expect(removed).toBe(204);
    expect(late.status).toBe(404);
    const rows = await server.app.orm.em.fork().getConnection().execute('select count(*) as n from integration_tokens where organization_id = ? and user_id = ? and revoked_at is null', [tenant.id, cast.extra.user.id]);
    expect(Number((rows[0] as { n: number | string }).n)).toBe(0);
  });

  it('names invalid fields as its camelCase bodies and parameters do', async () => {
    const t = { token: cast.member.accessToken };
    const short = await api.post('/api/integration/grant', { tenantId: org.id, mode: 'server', scopes: ['xel:read'], ttlSeconds: 5 }, t);
    expect(short.status).toBe(400);
    expect(short.body.detail.fields).toEqual([{ loc: ['body', 'ttlSeconds'], message: expect.stringContaining('at least') }]);
    expect(short.body.detail.message).toMatch(/^Invalid input: ttlSeconds /);
    const revoke = await api.post('/api/integration/revoke', {}, t);
    expect(revoke.status).toBe(400);
    expect(revoke.body.detail.fields.map((f: { loc: string[] }) => f.loc)).toContainEqual(['body', 'tenantId']);
    const jwks = await api.get('/api/integration/jwks', t);
    expect(jwks.status).toBe(400);
    expect(jwks.body.detail.fields[0].loc).toEqual(['query', 'tenantId']);
    // Other routes keep snake_case.
    expect((await api.post('/api/api-keys', { name: 'k', scopes: ['xel:read'] }, t)).body.detail.fields[0].loc).toEqual(['body', 'organization_id']);
  });

  it('lets an API key grant only what it holds, in its organization', async () => {
    const key = await makeKey(api, cast.owner, org.id, ['integrations:write', 'xel:read']);
    const ok = await api.post('/api/integration/grant', { mode: 'server', scopes: ['xel:read'] }, { apiKey: key.key });
    expect(ok.status).toBe(201);
    expect(ok.body.tenant_id).toBe(org.id);
    expect((await api.post('/api/integration/grant', { mode: 'server', scopes: ['live:read'] }, { apiKey: key.key })).status).toBe(403);
  });

  it('rotates the tenant key with an overlap: the old key stays published while its tokens may be valid', async () => {
    const tenant = await makeOrg(api, cast);
    const old = await grant(cast.owner, { tenantId: tenant.id, scopes: ['quota:read'], ttlSeconds: 3600 });
    const oldKid = decodeProtectedHeader(old.token).kid;
    clock.advance(server.config.integrationTokens.keyRotationSeconds * 1000 + 1000);
    const fresh = await grant(cast.owner, { tenantId: tenant.id, scopes: ['quota:read'], ttlSeconds: 60 });
    const newKid = decodeProtectedHeader(fresh.token).kid;
    expect(newKid).not.toBe(oldKid);
    const kids = async () => ((await api.get(`/api/integration/jwks?tenantId=${tenant.id}`)).body.keys as { kid: string }[]).map((k) => k.kid);
    expect(await kids()).toEqual([newKid, oldKid]);
    expect((await api.get(`/api/integration/fingerprint?tenantId=${tenant.id}`)).body.kid).toBe(newKid);
    // Both verify against the published set.
    const jwks = createRemoteJWKSet(new URL(`${server.url}/api/integration/jwks?tenantId=${tenant.id}`));
    for (const t of [old.token, fresh.token]) await jwtVerify(t, jwks, { currentDate: new Date(clock.now()) });
    // Once no token the old key signed can be valid, it leaves the set.
    clock.advance(server.config.integrationTokens.maxTtlSeconds * 1000 + 1000);
    expect(await kids()).toEqual([newKid]);
  });

  it('has GraphQL counterparts', async () => {
    // Its own cast and organization: the rotation case above moves the clock past the lifetime of the shared cast's access tokens.
    const cast = await makeCast(api);
    const org = await makeOrg(api, cast);
    const r = await gql<any>(
      server.url,
      'mutation($input: GrantIntegrationTokenInput!) { grantIntegrationToken(input: $input) { grant { token tokenType expiresIn jti tenantId tenant { id } } } }',
      { input: { mode: 'SERVER', scopes: ['QUOTA_READ'], tenantId: org.id } },
      cast.member.accessToken,
    );
    expect(r.errors).toBeUndefined();
    const g = r.data.grantIntegrationToken.grant;
    // References answer their objects: the tenant, and the user who granted it.
    expect(g.tenant).toEqual({ id: org.id });
    const v = await gql<any>(server.url, 'query($t: String!, $id: ID!) { integrationTokenVerification(token: $t, tenantId: $id) { valid reason claims { jti scopes tenant { id } subject { id } } } }', { t: g.token, id: org.id }, cast.member.accessToken);
    expect(v.data.integrationTokenVerification).toMatchObject({ valid: true, reason: null, claims: { jti: g.jti, tenant: { id: org.id }, subject: { id: cast.member.user.id } } });
    const jwks = await gql<any>(server.url, 'query($id: ID!) { integrationJwks(tenantId: $id) { keys { kid alg } } }', { id: org.id });
    expect(jwks.data.integrationJwks.keys[0].alg).toBe('RS256');
    const rv = await gql<any>(server.url, 'mutation($input: RevokeIntegrationTokenInput!) { revokeIntegrationToken(input: $input) { revoked jti } }', { input: { tenantId: org.id, jti: g.jti, reason: 'done' } }, cast.member.accessToken);
    expect(rv.data.revokeIntegrationToken).toEqual({ revoked: true, jti: g.jti });
    const list = await gql<any>(server.url, 'query($id: ID) { integrationTokenRevocations(tenantId: $id, first: 100) { totalCount edges { node { jti reason tenant { id } revokedBy { id } } } } }', { id: org.id }, cast.owner.accessToken);
    expect(list.data.integrationTokenRevocations.edges.map((e: any) => e.node)).toContainEqual({ jti: g.jti, reason: 'done', tenant: { id: org.id }, revokedBy: { id: cast.member.user.id } });
  });
});

describe('integration token revocation across gateway processes', () => {
  let a: TestServer;
  let b: TestServer;
  let drop: (() => Promise<void>) | undefined;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'xt-grants-'));
    let url: string;
    if (driver === 'postgresql') {
      const scratch = await createScratchDatabase(PG_ADMIN_URL, 'xt_grants');
      url = scratch.url;
      drop = scratch.drop;
    } else url = `sqlite:${join(dir, 'shared.sqlite3')}`;
    const env = { DATABASE_URL: url, INTEGRATIONS_ENCRYPTION_KEYS: KEYS };
    a = await startServer(env);
    b = await startServer(env);
  }, 60_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await drop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is refused by the other process at once', async () => {
    const apiA = restClient(a.url);
    const apiB = restClient(b.url);
    const c = await makeCast(apiA);
    const o = await makeOrg(apiA, c);
    const g = await apiA.post('/api/integration/grant', { mode: 'server', scopes: ['quota:read'], tenantId: o.id }, { token: c.member.accessToken });
    expect(g.status).toBe(201);
    expect((await apiB.get('/api/live/quota', { token: g.body.token })).status).toBe(200);
    expect((await apiA.post('/api/integration/revoke', { integrationToken: g.body.token, reason: 'gone' }, { token: c.member.accessToken })).status).toBe(200);
    expect((await apiB.get('/api/live/quota', { token: g.body.token })).status).toBe(403);
  });
});
