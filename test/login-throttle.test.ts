import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginDocument, MeDocument, UpdateMeDocument } from './generated/graphql.js';
import { newUserInput } from './helpers/factories.js';
import { restClient, type RestClient } from './helpers/http.js';
import { startServer, type TestServer } from './helpers/server.js';

/**
 * Abuse round 2, findings 4 and 5: password guessing that cannot be turned against the owner.
 *
 * Before: 10 failed logins from anywhere made the right password answer 429 for 15 minutes,
 * so 10 requests every 15 minutes kept a known user out; and the current-password check of
 * PATCH /api/auth/me had no limit at all (40 wrong guesses in 1.6 s with a stolen access token).
 *
 * Clients are told apart by their address (TRUST_PROXY, X-Forwarded-For), as behind a proxy.
 */

const HOME = '203.0.113.10';
const stranger = (i: number) => `198.51.100.${i}`;
const LIMITS = 'login_ip=1000/60,register_ip=1000/60,register_account=1000/60,login_account=3/600,login_account_ip=4/600,reauth_session=3/600';

let server: TestServer;
let api: RestClient;

beforeAll(async () => {
  server = await startServer({ RATE_LIMITS_ENABLED: 'true', RATE_LIMITS: LIMITS, TRUST_PROXY: 'true', LOGIN_MAX_DELAY_SECONDS: '60' });
  api = restClient(server.url);
});
afterAll(() => server.close());

const from = (ip: string) => ({ headers: { 'x-forwarded-for': ip } });
const login = (username: string, password: string, ip: string) => api.post('/api/auth/login', { username, password }, { form: true, ...from(ip) });

async function graphql(document: Parameters<typeof print>[0], variables: Record<string, unknown>, ip: string, token?: string) {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': ip, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query: print(document), variables }),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as { data?: any; errors?: { extensions?: Record<string, unknown> }[] } };
}

/** Registers an account and signs in from `home`, which the account then knows. */
async function owner(home: string) {
  const input = newUserInput();
  expect((await api.post('/api/auth/register', input, from(home))).status).toBe(201);
  const first = await login(input.username, input.password, home);
  expect(first.status).toBe(200);
  return { input, accessToken: first.body.access_token as string };
}

/** Wrong guesses from ever new addresses until one is refused; returns the refusal and how many were let through. */
async function guessUntilRefused(username: string, firstAddress: number) {
  for (let i = 0; i < 12; i++) {
    const res = await login(username, `wrong guess ${i}`, stranger(firstAddress + i));
    if (res.status === 429) return { refusal: res, failures: i };
    expect(res.status).toBe(401);
  }
  throw new Error('never refused');
}

describe('sign-in throttling (finding 4)', () => {
  it('slows strangers down with growing delays, and lets the owner in from an address it signed in from', async () => {
    const { input } = await owner(HOME);

    // The attack: wrong passwords from many addresses. Three failures are free (login_account=3),
    // then each failure makes strangers wait (1 s, 2 s, 4 s…): one of them is soon refused.
    const { refusal, failures } = await guessUntilRefused(input.username, 1);
    expect(failures).toBeGreaterThanOrEqual(4);
    expect(refusal.body.detail).toMatchObject({ error: 'rate_limited', limit: 'login_account' });
    const firstWait = Number(refusal.headers.get('retry-after'));
    expect(firstWait).toBeGreaterThanOrEqual(1);
    expect(firstWait).toBeLessThanOrEqual(60);

    // The owner mistypes twice at home: home is not held back, and each failure doubles the wait of strangers.
    expect((await login(input.username, 'typo one', HOME)).status).toBe(401);
    expect((await login(input.username, 'typo two', HOME)).status).toBe(401);
    const later = await login(input.username, 'another guess', stranger(99));
    expect(later.status).toBe(429);
    expect(Number(later.headers.get('retry-after'))).toBeGreaterThan(firstWait);
    expect(Number(later.headers.get('retry-after'))).toBeLessThanOrEqual(60);

    // During the attack, the right password from home works, on both doors.
    expect((await login(input.username, input.password, HOME)).status).toBe(200);
    const g = await graphql(LoginDocument, { input: { username: input.email, password: input.password } }, HOME);
    expect(g.status).toBe(200);
    expect(g.body.data?.login?.accessToken).toEqual(expect.any(String));

    // From an address the account never signed in from, even the right password waits its turn
    // (told how long), on both doors: the price of the attack, paid in seconds, not a lock.
    const newDevice = await login(input.username, input.password, stranger(200));
    expect(newDevice.status).toBe(429);
    expect(newDevice.body.detail).toMatchObject({ error: 'rate_limited', limit: 'login_account' });
    expect(newDevice.headers.get('ratelimit-policy')).toBe('3;w=600');
    const gNew = await graphql(LoginDocument, { input: { username: input.username, password: input.password } }, stranger(201));
    expect(gNew.status).toBe(429);
    expect(gNew.body.errors?.[0]?.extensions).toMatchObject({ code: 'rate_limited', limit: 'login_account' });
  });

  it('believes only the entry the trusted proxy appended: an address the client wrote itself into X-Forwarded-For changes nothing', async () => {
    const input = newUserInput();
    expect((await api.post('/api/auth/register', input, from('192.0.2.10'))).status).toBe(201);
    const signedIn = await login(input.username, input.password, '192.0.2.10');
    const t = { token: signedIn.body.access_token as string, ...from('192.0.2.10') };
    const org = await api.post('/api/organizations', { name: `Proxy ${Date.now()}` }, t);
    const key = await api.post('/api/api-keys', { name: 'office', organization_id: org.body.id, scopes: ['organizations:read'], allowed_ips: ['10.1.2.3'] }, t);
    expect(key.status).toBe(201);
    const read = (xff: string) => api.get(`/api/organizations/${org.body.id as string}`, { apiKey: key.body.key as string, headers: { 'x-forwarded-for': xff } });
    // The proxy (this test's connection, TRUST_PROXY=true: one) appended the client's address last.
    expect((await read('10.1.2.3')).status).toBe(200);
    expect((await read('198.51.100.20, 10.1.2.3')).status).toBe(200);
    // A client claiming the allowed address before the proxy's entry is still the address the proxy saw.
    expect((await read('10.1.2.3, 198.51.100.20')).status).toBe(403);
  });

  it('treats a name that has no account the same way (no telling which exist)', async () => {
    const { refusal, failures } = await guessUntilRefused(`nobody_${Date.now()}`, 50);
    expect(failures).toBeGreaterThanOrEqual(4);
    expect(refusal.body.detail).toMatchObject({ error: 'rate_limited', limit: 'login_account' });
  });
});

describe('re-authentication for sensitive changes (finding 5)', () => {
  it('limits current-password guesses per session, counted with failed sign-ins, on both doors', async () => {
    const victim = await owner(HOME);
    const attacker = stranger(150);
    const newEmail = `taken_over_${Date.now()}@example.com`;
    // A stolen access token, used from the attacker's address: three guesses (reauth_session=3).
    for (const guess of ['guess one', 'guess two']) {
      const res = await api.patch('/api/auth/me', { email: newEmail, current_password: guess }, { token: victim.accessToken, ...from(attacker) });
      expect(res.status).toBe(401);
      expect(res.body.detail.error).toBe('invalid_credentials');
    }
    const third = await graphql(UpdateMeDocument, { input: { newPassword: 'my own passphrase now', currentPassword: 'guess three' } }, attacker, victim.accessToken);
    expect(third.body.errors?.[0]?.extensions?.code).toBe('invalid_credentials');

    // The fourth is refused before the password is even checked, on both doors.
    const fourth = await api.patch('/api/auth/me', { email: newEmail, current_password: 'guess four' }, { token: victim.accessToken, ...from(attacker) });
    expect(fourth.status).toBe(429);
    expect(fourth.body.detail).toMatchObject({ error: 'rate_limited', limit: 'reauth_session' });
    expect(Number(fourth.headers.get('retry-after'))).toBeGreaterThan(0);
    const gFourth = await graphql(UpdateMeDocument, { input: { email: newEmail, currentPassword: 'guess four' } }, attacker, victim.accessToken);
    expect(gFourth.status).toBe(429);
    expect(gFourth.body.errors?.[0]?.extensions).toMatchObject({ code: 'rate_limited', limit: 'reauth_session' });

    // Counted with sign-ins: the attacker's address has one failure left for this account
    // (login_account_ip=4), after which even the right password is refused from there.
    expect((await login(victim.input.username, 'guess five', attacker)).status).toBe(401);
    const fromAttacker = await login(victim.input.username, victim.input.password, attacker);
    expect(fromAttacker.status).toBe(429);
    expect(fromAttacker.body.detail.limit).toBe('login_account_ip');

    // Nothing changed, and the owner still signs in from home.
    const me = await graphql(MeDocument, {}, HOME, victim.accessToken);
    expect(me.body.data?.me?.email).toBe(victim.input.email);
    expect((await login(victim.input.username, victim.input.password, HOME)).status).toBe(200);
  });

  it('needs the current password to change the email (as for the password), on both doors', async () => {
    const u = await owner(HOME);
    const newEmail = `moved_${Date.now()}@example.com`;
    const rest = await api.patch('/api/auth/me', { email: newEmail }, { token: u.accessToken, ...from(HOME) });
    expect(rest.status).toBe(400);
    expect(rest.body.detail.fields).toEqual([{ loc: ['body', 'current_password'], message: 'is required to change the email' }]);
    const g = await graphql(UpdateMeDocument, { input: { email: newEmail } }, HOME, u.accessToken);
    expect(g.body.errors?.[0]?.extensions).toEqual({ code: 'validation_error', fields: [{ path: ['currentPassword'], message: 'is required to change the email' }] });

    // The same email (in another case) is no change and needs nothing; the right password moves it.
    expect((await api.patch('/api/auth/me', { email: u.input.email.toUpperCase() }, { token: u.accessToken, ...from(HOME) })).status).toBe(200);
    const moved = await api.patch('/api/auth/me', { email: newEmail, current_password: u.input.password }, { token: u.accessToken, ...from(HOME) });
    expect(moved.status).toBe(200);
    expect(moved.body.email).toBe(newEmail);
  });
});
