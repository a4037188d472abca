import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginDocument, LogoutDocument, MeDocument, ProvidersAndMeDocument, RefreshTokenDocument, RegisterDocument, UpdateMeDocument } from './generated/graphql.js';
import { PASSWORD } from './helpers/factories.js';
import { errorCode, gql } from './helpers/graphql.js';
import { startServer, type TestServer } from './helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

describe('account lifecycle over GraphQL', () => {
  it('registers, logs in, reads me, refreshes twice, detects reuse, updates and logs out', async () => {
    const url = server.url;
    const reg = await gql(url, RegisterDocument, { input: { email: 'gq@Example.com', username: 'graph_user', password: PASSWORD, fullName: 'Graph User' } });
    expect(reg.errors).toBeUndefined();
    expect(reg.data?.register.user).toMatchObject({ email: 'gq@Example.com', username: 'graph_user', fullName: 'Graph User', plan: 'free' });

    const login = await gql(url, LoginDocument, { input: { username: 'GQ@example.com', password: PASSWORD } });
    expect(login.errors).toBeUndefined();
    const pair = login.data!.login;
    expect(pair).toMatchObject({ tokenType: 'BEARER', expiresIn: 900, user: { username: 'graph_user' } });

    const me = await gql(url, MeDocument, {}, pair.accessToken);
    expect(me.data?.me?.id).toBe(reg.data?.register.user.id);

    const r1 = await gql(url, RefreshTokenDocument, { input: { refreshToken: pair.refreshToken } });
    expect(r1.errors).toBeUndefined();
    expect(r1.data?.refreshToken).toMatchObject({ tokenType: 'BEARER', user: { username: 'graph_user' } });
    const r2 = await gql(url, RefreshTokenDocument, { input: { refreshToken: r1.data!.refreshToken.refreshToken } });
    expect(r2.errors).toBeUndefined();

    const reuse = await gql(url, RefreshTokenDocument, { input: { refreshToken: pair.refreshToken } });
    expect(errorCode(reuse)).toBe('invalid_token');
    expect(errorCode(await gql(url, MeDocument, {}, r2.data!.refreshToken.accessToken))).toBe('invalid_token');

    const again = await gql(url, LoginDocument, { input: { username: 'graph_user', password: PASSWORD } });
    const token = again.data!.login.accessToken;
    const upd = await gql(url, UpdateMeDocument, { input: { fullName: 'Renamed', timezone: 'Asia/Tokyo' } }, token);
    expect(upd.errors).toBeUndefined();
    expect(upd.data?.updateMe.user).toMatchObject({ fullName: 'Renamed', timezone: 'Asia/Tokyo' });
    // Absent and null leave a field as it is; null clears fullName.
    const kept = await gql(url, UpdateMeDocument, { input: { timezone: null, username: null, fullName: null } }, token);
    expect(kept.errors).toBeUndefined();
    expect(kept.data?.updateMe.user).toMatchObject({ fullName: null, timezone: 'Asia/Tokyo', username: 'graph_user' });

    const out = await gql(url, LogoutDocument, { input: {} }, token);
    expect(out.data?.logout).toEqual({ loggedOut: true });
    expect(errorCode(await gql(url, MeDocument, {}, token))).toBe('invalid_token');
    // Logging out again with the dead token says why it is refused.
    expect(errorCode(await gql(url, LogoutDocument, { input: {} }, token))).toBe('invalid_token');
  });

  it('reports validation errors with the field paths', async () => {
    const res = await gql(server.url, RegisterDocument, { input: { email: 'nope', username: 'ok_name', password: 'short' } });
    expect(res.data).toBeNull();
    expect(res.errors?.[0]?.extensions).toEqual({
      code: 'validation_error',
      fields: [
        { path: ['email'], message: 'must be a valid email address' },
        { path: ['password'], message: 'must be at least 8 characters' },
      ],
    });
  });

  it('answers an anonymous me with null and not_authenticated at me, keeping the rest of the answer', async () => {
    const res = await gql(server.url, ProvidersAndMeDocument, {});
    expect(res.status).toBe(200);
    expect(res.data).toEqual({ providers: { default: expect.any(String) }, me: null });
    expect(res.errors).toHaveLength(1);
    expect(res.errors![0]).toMatchObject({ path: ['me'], extensions: { code: 'not_authenticated' } });
  });

  it('tells an expired or revoked token apart from no token at me (invalid_token: refresh)', async () => {
    const res = await gql(server.url, ProvidersAndMeDocument, {}, 'not-a-token');
    expect(res.data).toMatchObject({ me: null });
    expect(res.errors![0]).toMatchObject({ path: ['me'], extensions: { code: 'invalid_token' } });
  });

  it('answers documents that do not validate against the schema with graphql_validation_failed', async () => {
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ me { passwordHash } }' }),
    });
    const body = (await res.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]!.extensions.code).toBe('graphql_validation_failed');
  });
});
