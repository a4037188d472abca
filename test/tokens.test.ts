import { decodeJwt, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MeDocument } from './generated/graphql.js';
import { signUp } from './helpers/factories.js';
import { errorCode, gql } from './helpers/graphql.js';
import { restClient, type RestClient } from './helpers/http.js';
import { startServer, TEST_JWT_SECRET, type TestServer } from './helpers/server.js';

let server: TestServer;
let api: RestClient;
let claims: { sub: string; sid: string };
let valid: string;

const key = (secret = TEST_JWT_SECRET) => new TextEncoder().encode(secret);
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

/** A token like the server's, with one thing changed. */
function forge(opts: { alg?: string; typ?: string; secret?: string; iss?: string; aud?: string; exp?: number | string; sub?: string; iat?: number } = {}) {
  return new SignJWT({ sid: claims.sid })
    .setProtectedHeader({ alg: opts.alg ?? 'HS256', typ: opts.typ ?? 'at+jwt' })
    .setSubject(opts.sub ?? claims.sub)
    .setIssuer(opts.iss ?? 'xentree-gateway')
    .setAudience(opts.aud ?? 'xentree')
    .setIssuedAt(opts.iat ?? Math.floor(Date.now() / 1000) - 10)
    .setExpirationTime(opts.exp ?? '5m')
    .sign(key(opts.secret));
}

beforeAll(async () => {
  server = await startServer();
  api = restClient(server.url);
  const u = await signUp(api);
  valid = u.accessToken;
  const decoded = decodeJwt(valid);
  claims = { sub: decoded.sub!, sid: decoded.sid as string };
});
afterAll(() => server.close());

describe('access token checks', () => {
  it('accepts a well-formed token (the control case for the forgeries below)', async () => {
    expect((await api.get('/api/auth/me', { token: valid })).status).toBe(200);
    expect((await api.get('/api/auth/me', { token: await forge() })).status).toBe(200);
    // Another process's clock a little ahead of this one's: within the allowed skew.
    expect((await api.get('/api/auth/me', { token: await forge({ iat: Math.floor(Date.now() / 1000) + 30 }) })).status).toBe(200);
  });

  const cases: [string, () => Promise<string>, RegExp][] = [
    ['expired', () => forge({ exp: Math.floor(Date.now() / 1000) - 60 }), /expired/],
    ['signed with another key', () => forge({ secret: 'another-secret-that-is-long-enough-for-hs256' }), /signature/],
    ['signed with another algorithm (HS512)', () => forge({ alg: 'HS512' }), /algorithm/],
    ['unsigned (alg none)', async () => `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64({ sub: claims.sub, sid: claims.sid, iss: 'xentree-gateway', aud: 'xentree', exp: Math.floor(Date.now() / 1000) + 300, iat: Math.floor(Date.now() / 1000) })}.`, /algorithm|malformed/],
    ['from another issuer', () => forge({ iss: 'someone-else' }), /"iss"/],
    ['for another audience', () => forge({ aud: 'other-service' }), /"aud"/],
    ['of another type', () => forge({ typ: 'JWT' }), /"typ"/],
    ['malformed', async () => 'not.a.token', /malformed/],
    // Abuse round 2 (finding 12): a token "issued" an hour from now, valid for two, was accepted.
    ['issued in the future', () => forge({ iat: Math.floor(Date.now() / 1000) + 3600, exp: Math.floor(Date.now() / 1000) + 7200 }), /"iat"/],
    ['for a session that does not exist', () => new SignJWT({ sid: '00000000-0000-4000-8000-000000000000' }).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' }).setSubject(claims.sub).setIssuer('xentree-gateway').setAudience('xentree').setIssuedAt().setExpirationTime('5m').sign(key()), /session/],
  ];

  for (const [name, make, message] of cases) {
    it(`refuses a token ${name}, over REST and GraphQL`, async () => {
      const token = await make();
      const rest = await api.get('/api/auth/me', { token });
      expect(rest.status).toBe(401);
      expect(rest.body.detail.error).toBe('invalid_token');
      expect(rest.body.detail.message).toMatch(message);
      const g = await gql(server.url, MeDocument, {}, token);
      // `me` is nullable: null, with the reason at its path.
      expect(g.data).toEqual({ me: null });
      expect(errorCode(g)).toBe('invalid_token');
      expect(g.errors?.[0]?.path).toEqual(['me']);
      expect(g.errors?.[0]?.message).toBe(rest.body.detail.message);
    });
  }

  it('refuses an Authorization header that is not a bearer token', async () => {
    const res = await api.get('/api/auth/me', { headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } });
    expect(res.status).toBe(401);
    expect(res.body.detail.error).toBe('invalid_token');
  });

  it('lets public operations through even when a stale token is sent', async () => {
    const stale = await forge({ exp: Math.floor(Date.now() / 1000) - 60 });
    const res = await api.post('/api/auth/register', { email: 'stale@example.com', username: 'stale_token', password: 'long enough' }, { token: stale });
    expect(res.status).toBe(201);
  });
});
