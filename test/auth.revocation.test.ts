import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { credentialRechecks } from '../src/common/credential-watch.js';
import { ApiKey } from '../src/modules/api-keys/api-keys.entities.js';
import { LoginSession } from '../src/modules/auth/auth.entities.js';
import { LogoutDocument } from './generated/graphql.js';
import { signUp } from './helpers/factories.js';
import { ManualClock } from './helpers/clock.js';
import { gql, subscribe, until, wsClient } from './helpers/graphql.js';
import { restClient, type RestClient } from './helpers/http.js';
import { makeCast, makeKey, makeOrg } from './helpers/orgs.js';
import { afterCredentialCheck, startServer, type TestServer } from './helpers/server.js';

/**
 * Credentials that end while sockets hold them open close those sockets: revoked (logout,
 * password change, refresh-token reuse, API key revoked, its creator removed) at once, by the
 * event bus; expired (access token, login session, API key) at the deadline, by the server's
 * clock, here a ManualClock the tests move. graphql-ws and the live socket close with 4401
 * and `invalid_token: <reason>`; a live session on a revoked socket is settled as REVOKED.
 */
let server: TestServer;
let api: RestClient;
const clock = new ManualClock();

beforeAll(async () => {
  server = await startServer({ LIVE_MIN_START_SECONDS: '1' }, { clock });
  api = restClient(server.url);
});
afterAll(() => server.close());

type SignedUp = Awaited<ReturnType<typeof signUp>>;
const doc = (query: string) => parse(query) as TypedDocumentNode<any, any>;
const ME = doc('subscription { meUpdated { id fullName } }');
const ORGANIZATION = doc('subscription ($id: ID!) { organizationEvents(organizationId: $id) { type } }');
const LIVE_SESSION = doc('query ($id: ID!) { liveSession(id: $id) { status endReason } }');

/** Another login of the same account: a second login session, with its own tokens. */
async function loginAgain(u: SignedUp, password: string = u.input.password) {
  const r = await api.post('/api/auth/login', { username: u.input.username, password }, { form: true });
  expect(r.status).toBe(200);
  return { accessToken: r.body.access_token as string, refreshToken: r.body.refresh_token as string };
}

/** How many sockets of this process watch the user's credentials (each open socket watches its own). */
const watching = (userId: string, n: number) => until(() => server.app.services.events.listeners('CREDENTIALS_REVOKED', userId) >= n);

/** A graphql-ws connection with a meUpdated subscription, open once the subscription listens. */
async function meSocket(params: Record<string, unknown>, userId: string) {
  const { client, closes } = wsClient(server.wsUrl, params);
  const sub = subscribe(client, ME);
  const before = server.app.services.events.listeners('USER_UPDATED', userId);
  await until(() => server.app.services.events.listeners('USER_UPDATED', userId) > before);
  return { client, closes, sub };
}

interface Frame {
  type: string;
  data: any;
}

/** The live socket, with its frames and close code recorded. */
async function liveSocket(query: string, headers: Record<string, string> = {}) {
  const ws = new WebSocket(`${server.wsUrl}/api/live/ws${query}`, { headers });
  const frames: Frame[] = [];
  let close: { code: number; reason: string } | null = null;
  ws.on('message', (d) => frames.push(JSON.parse((d as Buffer).toString()) as Frame));
  ws.on('close', (code, reason) => (close = { code, reason: reason.toString() }));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const frame = async (type: string) => {
    await until(() => frames.some((f) => f.type === type));
    return frames.find((f) => f.type === type)!;
  };
  return { ws, frames, frame, send: (type: string, data: unknown) => ws.send(JSON.stringify({ type, data })), closed: () => close };
}

/** Opens the live socket and starts a voice session on it. */
async function liveSession(query: string, headers: Record<string, string> = {}) {
  const live = await liveSocket(query, headers);
  live.send('start-session', { session_type: 'voice' });
  const started = await live.frame('session-started');
  return { ...live, sessionId: started.data.session_id as string };
}

const expiryOf = (token: string): number => (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { exp: number }).exp * 1000;

describe('revocation closes every socket the credentials authenticate, at once', () => {
  it('logout: the graphql-ws and live sockets of that session close with 4401, the live session is settled as REVOKED, other sessions stay', async () => {
    const u = await signUp(api);
    const other = await loginAgain(u);
    const a = await meSocket({ Authorization: `Bearer ${u.accessToken}` }, u.user.id);
    const b = await meSocket({ Authorization: `Bearer ${other.accessToken}` }, u.user.id);
    const live = await liveSession(`?token=${u.accessToken}`);
    await watching(u.user.id, 3);

    expect((await api.post('/api/auth/logout', undefined, { token: u.accessToken })).status).toBe(204);
    await until(() => a.closes.length > 0 && live.closed() !== null);
    expect(a.closes[0]).toEqual({ code: 4401, reason: 'invalid_token: logout' });
    expect(live.closed()).toEqual({ code: 4401, reason: 'invalid_token: logout' });
    expect(live.frames.slice(-2).map((f) => f.type)).toEqual(['session-ended', 'error']);
    expect(live.frames.at(-2)!.data).toMatchObject({ reason: 'revoked' });
    expect(live.frames.at(-1)!.data).toMatchObject({ error: 'invalid_token', reason: 'logout' });
    // The subscription on the closed socket ended with the close.
    await until(() => a.sub.error !== null);

    // Settled now, as REVOKED, and nothing is active any more.
    const session = await gql(server.url, LIVE_SESSION, { id: live.sessionId }, other.accessToken);
    expect(session.data?.liveSession).toEqual({ status: 'ENDED', endReason: 'REVOKED' });
    expect((await api.get('/api/live/quota', { token: other.accessToken })).body.active_session_id).toBeNull();

    // The other session's socket is open and still hears.
    expect(b.closes).toEqual([]);
    await api.patch('/api/auth/me', { full_name: 'Still here' }, { token: other.accessToken });
    await b.sub.waitFor(1);
    expect(b.sub.received[0]!.data?.meUpdated.fullName).toBe('Still here');
    await a.client.dispose();
    await b.client.dispose();
  });

  it('a password change closes the other sessions\' sockets, not the caller\'s', async () => {
    const u = await signUp(api);
    const other = await loginAgain(u);
    const mine = await meSocket({ Authorization: `Bearer ${u.accessToken}` }, u.user.id);
    const theirs = await meSocket({ Authorization: `Bearer ${other.accessToken}` }, u.user.id);
    const live = await liveSession(`?token=${other.accessToken}`);
    await watching(u.user.id, 3);

    const changed = await api.patch('/api/auth/me', { current_password: u.input.password, new_password: 'a much newer passphrase' }, { token: u.accessToken });
    expect(changed.status).toBe(200);
    await until(() => theirs.closes.length > 0 && live.closed() !== null);
    expect(theirs.closes[0]).toEqual({ code: 4401, reason: 'invalid_token: password_changed' });
    expect(live.closed()).toEqual({ code: 4401, reason: 'invalid_token: password_changed' });
    // The caller's own socket stays, and hears of the change.
    await mine.sub.waitFor(1);
    expect(mine.closes).toEqual([]);
    await mine.client.dispose();
    await theirs.client.dispose();
  });

  it('refresh-token reuse revokes the session: its sockets close', async () => {
    const u = await signUp(api);
    const s = await meSocket({ Authorization: `Bearer ${u.accessToken}` }, u.user.id);
    const live = await liveSession('', { authorization: `Bearer ${u.accessToken}` });
    await watching(u.user.id, 2);
    expect((await api.post('/api/auth/refresh', { refresh_token: u.refreshToken })).status).toBe(200);
    // Rotation alone leaves the sockets open; presenting the spent token again is reuse.
    expect(s.closes).toEqual([]);
    expect((await api.post('/api/auth/refresh', { refresh_token: u.refreshToken })).status).toBe(401);
    await until(() => s.closes.length > 0 && live.closed() !== null);
    expect(s.closes[0]).toEqual({ code: 4401, reason: 'invalid_token: reuse_detected' });
    expect(live.frames.find((f) => f.type === 'session-ended')!.data).toMatchObject({ reason: 'revoked' });
    await s.client.dispose();
  });

  it('an API key revoked, or revoked with its creator\'s membership, closes the graphql-ws and live sockets it authenticates', async () => {
    const cast = await makeCast(api);
    const org = await makeOrg(api, cast);
    const key = await makeKey(api, cast.admin, org.id, ['organizations:read', 'live:write']);
    const spare = await makeKey(api, cast.admin, org.id, ['organizations:read']);
    const { client, closes } = wsClient(server.wsUrl, { 'X-API-Key': key.key });
    const sub = subscribe(client, ORGANIZATION, { id: org.id });
    const kept = wsClient(server.wsUrl, { 'X-API-Key': spare.key });
    const keptSub = subscribe(kept.client, ORGANIZATION, { id: org.id });
    await until(() => server.app.services.events.listeners('ORGANIZATION_EVENT', org.id) >= 2);
    const live = await liveSession('', { 'x-api-key': key.key });
    await watching(cast.admin.user.id, 3);

    expect((await api.delete(`/api/api-keys/${key.id}`, { token: cast.admin.accessToken })).status).toBe(204);
    await until(() => closes.length > 0 && live.closed() !== null);
    expect(closes[0]).toEqual({ code: 4401, reason: 'invalid_token: api_key_revoked' });
    expect(live.closed()).toEqual({ code: 4401, reason: 'invalid_token: api_key_revoked' });
    expect(live.frames.find((f) => f.type === 'session-ended')!.data).toMatchObject({ reason: 'revoked' });
    await until(() => sub.error !== null);
    // Another key of the same creator is untouched...
    expect(kept.closes).toEqual([]);
    // ...until its creator leaves the organization, which revokes their keys there.
    expect((await api.delete(`/api/organizations/${org.id}/members/${cast.admin.user.id}`, { token: cast.owner.accessToken })).status).toBe(204);
    await until(() => kept.closes.length > 0);
    expect(kept.closes[0]).toEqual({ code: 4401, reason: 'invalid_token: api_key_revoked' });
    await until(() => keptSub.error !== null);
    await client.dispose();
    await kept.client.dispose();
  });
});

describe('a revocation whose event was lost (Redis away, on another process)', () => {
  /** Revokes in the database only, as another process does while Redis is away: no event reaches this one. */
  const revokeUnannounced = async (kind: 'session' | 'apiKey', id: string) => {
    const em = server.app.orm.em.fork();
    const at = new Date(clock.now());
    const n = kind === 'session' ? await em.nativeUpdate(LoginSession, { id }, { revokedAt: at, revokedReason: 'logout' }) : await em.nativeUpdate(ApiKey, { id }, { revokedAt: at });
    expect(n).toBe(1);
  };
  /** Moves the clock one recheck interval on, and waits for that recheck to be done. */
  const recheck = async () => {
    const before = credentialRechecks(server.app.services.events);
    clock.advance(server.config.auth.credentialRecheckIntervalMs);
    await until(() => credentialRechecks(server.app.services.events) > before);
  };
  const sessionOf = (token: string): string => (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { sid: string }).sid;

  it('closes the sockets at the next recheck of their credentials against the database, and not before they were revoked', async () => {
    const u = await signUp(api);
    const s = await meSocket({ Authorization: `Bearer ${u.accessToken}` }, u.user.id);
    const live = await liveSession(`?token=${u.accessToken}`);
    const cast = await makeCast(api);
    const org = await makeOrg(api, cast);
    const key = await makeKey(api, cast.member, org.id, ['organizations:read']);
    const byKey = wsClient(server.wsUrl, { 'X-API-Key': key.key });
    const keySub = subscribe(byKey.client, ORGANIZATION, { id: org.id });
    await until(() => server.app.services.events.listeners('ORGANIZATION_EVENT', org.id) > 0);
    await watching(u.user.id, 2);

    // A recheck while the credentials hold closes nothing.
    await recheck();
    expect(s.closes).toEqual([]);
    expect(byKey.closes).toEqual([]);
    expect(live.closed()).toBeNull();

    await revokeUnannounced('session', sessionOf(u.accessToken));
    await revokeUnannounced('apiKey', key.id);
    await recheck();
    await until(() => s.closes.length > 0 && byKey.closes.length > 0 && live.closed() !== null);
    expect(s.closes[0]).toEqual({ code: 4401, reason: 'invalid_token: logout' });
    expect(byKey.closes[0]).toEqual({ code: 4401, reason: 'invalid_token: api_key_revoked' });
    expect(live.closed()).toEqual({ code: 4401, reason: 'invalid_token: logout' });
    expect(live.frames.find((f) => f.type === 'session-ended')!.data).toMatchObject({ reason: 'revoked' });
    await until(() => s.sub.error !== null && keySub.error !== null);
    await s.client.dispose();
    await byKey.client.dispose();
  });
});

describe('a revocation made over the socket it closes', () => {
  it('logout over graphql-ws: the client gets the mutation\'s result, then the socket closes with 4401', async () => {
    const u = await signUp(api);
    const { client, closes } = wsClient(server.wsUrl, { Authorization: `Bearer ${u.accessToken}` });
    const logout = subscribe(client, LogoutDocument, { input: {} });
    await until(() => closes.length > 0);
    expect(logout.received).toEqual([{ data: { logout: { loggedOut: true } } }]);
    expect(logout.completed).toBe(true);
    expect(logout.error).toBeNull();
    expect(closes[0]).toEqual({ code: 4401, reason: 'invalid_token: logout' });
    // It did log out.
    expect((await api.get('/api/auth/me', { token: u.accessToken })).status).toBe(401);
    await client.dispose();
  });
});

describe('a revocation between the check of a socket\'s credentials and its watch', () => {
  it('closes the graphql-ws socket all the same (its event was published before the socket listened)', async () => {
    const u = await signUp(api);
    afterCredentialCheck(server, u.accessToken, () => api.post('/api/auth/logout', undefined, { token: u.accessToken }));
    const { client, closes } = wsClient(server.wsUrl, { Authorization: `Bearer ${u.accessToken}` });
    const sub = subscribe(client, ME);
    await until(() => closes.length > 0);
    expect(closes[0]).toEqual({ code: 4401, reason: 'invalid_token: logout' });
    expect(sub.received).toEqual([]);
    await client.dispose();
  });

  it('closes the live socket all the same, before it starts a session', async () => {
    const u = await signUp(api);
    afterCredentialCheck(server, u.accessToken, () => api.post('/api/auth/logout', undefined, { token: u.accessToken }));
    const live = await liveSocket(`?token=${u.accessToken}`);
    live.send('start-session', { session_type: 'voice' });
    await until(() => live.closed() !== null);
    expect(live.closed()).toEqual({ code: 4401, reason: 'invalid_token: logout' });
    expect(live.frames.map((f) => f.type)).toEqual(['error']);
    expect(live.frames[0]!.data).toMatchObject({ error: 'invalid_token', reason: 'logout' });
  });
});

describe('expiry closes a long-lived socket at the deadline', () => {
  it('an access token: graphql-ws closes at its expiry with 4401 invalid_token: token_expired, not before', async () => {
    const u = await signUp(api);
    const s = await meSocket({ Authorization: `Bearer ${u.accessToken}` }, u.user.id);
    const deadline = expiryOf(u.accessToken);
    clock.advance(deadline - clock.now() - 1000);
    // A second before: open, and hearing.
    await api.patch('/api/auth/me', { full_name: 'Before expiry' }, { token: u.accessToken });
    await s.sub.waitFor(1);
    expect(s.closes).toEqual([]);
    clock.advance(1000);
    await until(() => s.closes.length > 0);
    expect(s.closes[0]).toEqual({ code: 4401, reason: 'invalid_token: token_expired' });
    await s.client.dispose();
  });

  it('an access token on the live socket: it closes with 4401 and the session stays active, so a fresh token binds to it again', async () => {
    const u = await signUp(api);
    const live = await liveSession(`?token=${u.accessToken}`);
    clock.advance(expiryOf(u.accessToken) - clock.now());
    await until(() => live.closed() !== null);
    expect(live.closed()).toEqual({ code: 4401, reason: 'invalid_token: token_expired' });
    expect(live.frames.at(-1)).toMatchObject({ type: 'error', data: { error: 'invalid_token', reason: 'token_expired' } });
    expect(live.frames.some((f) => f.type === 'session-ended')).toBe(false);

    const fresh = await api.post('/api/auth/refresh', { refresh_token: u.refreshToken });
    const again = await liveSocket(`?token=${fresh.body.access_token}`);
    again.send('start-session', { session_id: live.sessionId });
    expect((await again.frame('session-started')).data).toMatchObject({ session_id: live.sessionId, status: 'active' });
    again.send('end-session', {});
    expect((await again.frame('session-ended')).data).toMatchObject({ reason: 'client' });
  });

  it('a login session that ends before its access token does: closed at the session\'s end', async () => {
    const s2clock = new ManualClock();
    const short = await startServer({ REFRESH_TOKEN_TTL_SECONDS: '300' }, { clock: s2clock });
    try {
      // The app's clock stands still between these two reads: the login is at exactly this instant.
      const before = s2clock.now();
      const u = await signUp(restClient(short.url));
      const after = s2clock.now();
      const { client, closes } = wsClient(short.wsUrl, { Authorization: `Bearer ${u.accessToken}` });
      const sub = subscribe(client, ME);
      await until(() => short.app.services.events.listeners('USER_UPDATED', u.user.id) > 0);
      // The session ends 300 s after login, long before the token's 900 s: just before, the socket still hears.
      s2clock.advance(before + 299_000 - s2clock.now());
      await restClient(short.url).patch('/api/auth/me', { full_name: 'Still in time' }, { token: u.accessToken });
      await sub.waitFor(1);
      expect(closes).toEqual([]);
      s2clock.advance(after + 300_000 - s2clock.now());
      await until(() => closes.length > 0);
      expect(closes[0]).toEqual({ code: 4401, reason: 'invalid_token: token_expired' });
      await client.dispose();
    } finally {
      await short.close();
    }
  });

  it('an API key: closed at its expiry with 4401 invalid_token: api_key_expired', async () => {
    const cast = await makeCast(api);
    const org = await makeOrg(api, cast);
    const expiresAt = new Date(clock.now() + 3_600_000);
    const key = await makeKey(api, cast.member, org.id, ['organizations:read'], { expires_at: expiresAt.toISOString() });
    const { client, closes } = wsClient(server.wsUrl, { 'X-API-Key': key.key });
    const sub = subscribe(client, ORGANIZATION, { id: org.id });
    await until(() => server.app.services.events.listeners('ORGANIZATION_EVENT', org.id) > 0);
    clock.advance(expiresAt.getTime() - clock.now() - 1000);
    // A second before: open, and hearing. (The owner's access token expired on the way: a fresh one.)
    const owner = await api.post('/api/auth/refresh', { refresh_token: cast.owner.refreshToken });
    await api.patch(`/api/organizations/${org.id}`, { description: 'before expiry' }, { token: owner.body.access_token });
    await sub.waitFor(1);
    expect(closes).toEqual([]);
    clock.advance(1000);
    await until(() => closes.length > 0);
    expect(closes[0]).toEqual({ code: 4401, reason: 'invalid_token: api_key_expired' });
    await client.dispose();
  });
});
