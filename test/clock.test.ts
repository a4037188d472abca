import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from './helpers/clock.js';
import { signUp } from './helpers/factories.js';
import { restClient, type RestClient } from './helpers/http.js';
import { startServer, type TestServer } from './helpers/server.js';

/**
 * Everything that expires or counts days does so by the app's injected clock: here a
 * ManualClock the tests move, so a fifteen-minute expiry or a month's end takes no time and
 * cannot race a busy machine. It starts ten minutes before the end of January.
 */
const clock = new ManualClock('2027-01-31T23:50:00Z');
let server: TestServer;
let api: RestClient;

beforeAll(async () => {
  server = await startServer({ LIVE_MIN_START_SECONDS: '1', REFRESH_TOKEN_TTL_SECONDS: '3600' }, { clock });
  api = restClient(server.url);
});
afterAll(() => server.close());

describe('live quota periods follow the app clock', () => {
  it('a session started in January counts against January; February starts with a full quota', async () => {
    const u = await signUp(api);
    const t = { token: u.accessToken };
    const jan = await api.get('/api/live/quota', t);
    expect(jan.body).toMatchObject({ period_start: '2027-01-01T00:00:00.000Z', used_seconds: 0, remaining_seconds: 1800 });
    clock.set('2027-01-31T23:58:00Z');
    const start = await api.post('/api/live/session/start', { session_type: 'voice' }, t);
    expect(start.status).toBe(201);
    clock.advance(90_000);
    const beat = await api.post('/api/live/session/heartbeat', { session_id: start.body.session_id }, t);
    expect(beat.body).toMatchObject({ used_seconds: 90, remaining_seconds: 1710 });
    const end = await api.post('/api/live/session/end', { session_id: start.body.session_id }, t);
    expect(end.body).toMatchObject({ status: 'ended', used_seconds: 90 });
    // Past midnight UTC on 1 February: a new period, the January seconds stay in January.
    clock.set('2027-02-01T00:00:30Z');
    const feb = await api.get('/api/live/quota', t);
    expect(feb.body).toMatchObject({ period_start: '2027-02-01T00:00:00.000Z', period_end: '2027-03-01T00:00:00.000Z', used_seconds: 0, remaining_seconds: 1800 });
  });
});

describe('credentials expire by the app clock', () => {
  it('an access token works until its 900 seconds are up, then is refused; its refresh token still works', async () => {
    const u = await signUp(api);
    clock.advance(899_000);
    expect((await api.get('/api/auth/me', { token: u.accessToken })).status).toBe(200);
    clock.advance(1_000);
    const expired = await api.get('/api/auth/me', { token: u.accessToken });
    expect(expired.status).toBe(401);
    expect(expired.body.detail).toMatchObject({ error: 'invalid_token', message: 'Access token has expired' });
    const refreshed = await api.post('/api/auth/refresh', { refresh_token: u.refreshToken });
    expect(refreshed.status).toBe(200);
    expect((await api.get('/api/auth/me', { token: refreshed.body.access_token })).status).toBe(200);
  });

  it('a login ends with its refresh token lifetime: neither refresh nor a fresh access token works past it', async () => {
    const u = await signUp(api);
    clock.advance(3_000_000);
    const rotated = await api.post('/api/auth/refresh', { refresh_token: u.refreshToken });
    expect(rotated.status).toBe(200);
    clock.advance(600_000);
    // The access token is younger than 900 s, but its login session ended at 3600 s.
    const me = await api.get('/api/auth/me', { token: rotated.body.access_token });
    expect(me.status).toBe(401);
    expect((await api.post('/api/auth/refresh', { refresh_token: rotated.body.refresh_token })).status).toBe(401);
  });

  it('an API key works until its expiry, and one expiring in the past is refused at creation', async () => {
    const u = await signUp(api);
    const org = await api.post('/api/organizations', { name: `Clock ${process.pid}` }, { token: u.accessToken });
    expect(org.status).toBe(201);
    const soon = new Date(clock.now() + 60_000).toISOString();
    const key = await api.post('/api/api-keys', { name: 'short', organization_id: org.body.id, scopes: ['organizations:read'], expires_at: soon }, { token: u.accessToken });
    expect(key.status).toBe(201);
    expect((await api.get(`/api/organizations/${org.body.id}`, { apiKey: key.body.key })).status).toBe(200);
    clock.advance(60_000);
    const refused = await api.get(`/api/organizations/${org.body.id}`, { apiKey: key.body.key });
    expect(refused.status).toBe(401);
    expect(refused.body.detail).toMatchObject({ error: 'invalid_token', message: 'API key has expired' });
    // "In the future" is judged by the same clock: the instant that was "soon" is now the past.
    const past = await api.post('/api/api-keys', { name: 'late', organization_id: org.body.id, scopes: ['organizations:read'], expires_at: soon }, { token: u.accessToken });
    expect(past.status).toBe(400);
    expect(past.body.detail.fields).toEqual([{ loc: ['body', 'expires_at'], message: 'must be in the future' }]);
  });
});
