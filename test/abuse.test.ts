import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegisterDocument, UpdateMeDocument } from './generated/graphql.js';
import { newUserInput, PASSWORD, signUp } from './helpers/factories.js';
import { errorCode, gql } from './helpers/graphql.js';
import { restClient, type RestClient } from './helpers/http.js';
import { startServer, type TestServer } from './helpers/server.js';

/**
 * Abuse round 2 (issue 19): findings of an attacker's pass that need no special server, each
 * tried as the attacker did. Others have files of their own: log redaction
 * (log-redaction.test.ts), login throttling and re-authentication (login-throttle.test.ts), a
 * database outage (db-outage.test.ts), a future `iat` (tokens.test.ts), a slow body
 * (slow-clients.test.ts).
 */

let server: TestServer;
let api: RestClient;

beforeAll(async () => {
  server = await startServer();
  api = restClient(server.url);
});
afterAll(() => server.close());

describe('password policy (finding 11: NIST SP 800-63B)', () => {
  /** Accepted before: eight characters of anything. */
  const weak: [string, RegExp][] = [
    ['12345678', /sequence/],
    ['password', /too common/],
    ['        ', /repeated/],
    ['Password1', /too common/],
    ['qwertyuiop', /too common/],
    ['abcdefgh', /sequence/],
    ['aaaaaaaaaaaa', /repeated/],
  ];

  for (const [password, message] of weak) {
    it(`refuses ${JSON.stringify(password)} at registration and as a new password, on both doors`, async () => {
      const input = newUserInput({ password });
      const rest = await api.post('/api/auth/register', input);
      expect(rest.status).toBe(400);
      expect(rest.body.detail.error).toBe('validation_error');
      expect(rest.body.detail.fields).toEqual([{ loc: ['body', 'password'], message: expect.stringMatching(message) }]);
      expect(rest.body.detail.message).toMatch(/^Invalid input: password /);

      const g = await gql(server.url, RegisterDocument, { input: { email: input.email, username: input.username, password } });
      expect(g.data).toBeNull();
      expect(g.errors?.[0]?.extensions).toEqual({ code: 'validation_error', fields: [{ path: ['password'], message: expect.stringMatching(message) }] });

      const me = await signUp(api);
      const patch = await api.patch('/api/auth/me', { current_password: PASSWORD, new_password: password }, { token: me.accessToken });
      expect(patch.status).toBe(400);
      expect(patch.body.detail.fields).toEqual([{ loc: ['body', 'new_password'], message: expect.stringMatching(message) }]);
      const update = await gql(server.url, UpdateMeDocument, { input: { currentPassword: PASSWORD, newPassword: password } }, me.accessToken);
      expect(errorCode(update)).toBe('validation_error');
      expect(update.errors?.[0]?.extensions?.fields).toEqual([{ path: ['newPassword'], message: expect.stringMatching(message) }]);
      // Nothing changed: the old password still signs in.
      expect((await api.post('/api/auth/login', { username: me.input.username, password: PASSWORD }, { form: true })).status).toBe(200);
    });
  }

  it('refuses the account\'s own username or email as its password', async () => {
    const input = newUserInput();
    const res = await api.post('/api/auth/register', { ...input, password: input.username });
    expect(res.status).toBe(400);
    expect(res.body.detail.fields).toEqual([{ loc: ['body', 'password'], message: 'must not be your username or email address' }]);
    const byEmail = await api.post('/api/auth/register', { ...input, password: input.email.toUpperCase() });
    expect(byEmail.status).toBe(400);
  });

  it('accepts long passphrases of any characters, with no composition rule, up to 256 characters', async () => {
    for (const password of ['correct horse battery', 'zwölf boxkämpfer jagen', 'ünïcödé ☃ snow man 🙂', 'long passphrase '.repeat(16)]) {
      const res = await api.post('/api/auth/register', newUserInput({ password }));
      expect(res.status, password.slice(0, 20)).toBe(201);
    }
    const tooLong = await api.post('/api/auth/register', newUserInput({ password: 'abc def '.repeat(33) }));
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.detail.fields[0].message).toBe('must be at most 256 characters');
  });
});

describe('registration answers (finding 12: 409 names the taken email or username)', () => {
  it('keeps the 409, and bounds probing per username as it does per email and per address', async () => {
    const limited = await startServer({ RATE_LIMITS_ENABLED: 'true', RATE_LIMITS: 'register_ip=100/3600,register_account=2/3600' });
    try {
      const lapi = restClient(limited.url);
      const taken = newUserInput();
      expect((await lapi.post('/api/auth/register', taken)).status).toBe(201);
      // Someone probing whether the username exists, with a fresh email each time.
      const probe = await lapi.post('/api/auth/register', newUserInput({ username: taken.username }));
      expect(probe.status).toBe(409);
      expect(probe.body.detail).toMatchObject({ error: 'conflict', field: 'username' });
      const again = await lapi.post('/api/auth/register', newUserInput({ username: taken.username }));
      expect(again.status).toBe(429);
      expect(again.body.detail).toMatchObject({ error: 'rate_limited', limit: 'register_account' });
      expect(Number(again.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await limited.close();
    }
  });
});

describe('malformed multipart bodies (finding 6) and bodies of the wrong type (finding 12)', () => {
  const BOUNDARY = 'xt-boundary-7MA4YWxkTrZu0gW';
  const part = (name: string, value: string, filename?: string) =>
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"${filename ? `; filename="${filename}"` : ''}\r\n${filename ? 'Content-Type: text/plain\r\n' : ''}\r\n${value}\r\n`;
  const upload = (body: string, contentType = `multipart/form-data; boundary=${BOUNDARY}`, path = '/api/knowledge/documents') =>
    api.request('POST', path, undefined, { token: owner.accessToken, raw: body, headers: { 'content-type': contentType }, unchecked: true });
  let owner: Awaited<ReturnType<typeof signUp>>;
  beforeAll(async () => {
    owner = await signUp(api);
  });

  const cases: [string, () => string, string?][] = [
    ['more than 20 fields', () => Array.from({ length: 25 }, (_, i) => part(`field_${i}`, 'x')).join('') + part('file', 'hello', 'a.txt') + `--${BOUNDARY}--\r\n`],
    ['an unclosed boundary', () => part('title', 'Notes') + `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nhello, and then nothing`],
    ['multipart/form-data without a boundary', () => part('file', 'hello', 'a.txt') + `--${BOUNDARY}--\r\n`, 'multipart/form-data'],
    ['a boundary that never appears', () => 'just some bytes, no parts at all', `multipart/form-data; boundary=${BOUNDARY}`],
    ['a part without its headers', () => `--${BOUNDARY}\r\n\r\nno disposition\r\n--${BOUNDARY}--\r\n`],
  ];
  for (const [name, body, contentType] of cases) {
    it(`answers ${name} with a 4xx envelope, not 500, and stores nothing`, async () => {
      const before = await api.get('/api/knowledge/documents', { token: owner.accessToken });
      const res = await upload(body(), contentType);
      expect([400, 413]).toContain(res.status);
      expect(res.body.detail.error).toMatch(/^(bad_request|validation_error|payload_too_large)$/);
      expect(typeof res.body.detail.message).toBe('string');
      const after = await api.get('/api/knowledge/documents', { token: owner.accessToken });
      expect(after.headers.get('x-total-count')).toBe(before.headers.get('x-total-count'));
      // The server is fine afterwards.
      expect((await api.get('/api/auth/me', { token: owner.accessToken })).status).toBe(200);
    });
  }

  it('answers 415 when a JSON-only route is sent a multipart body', async () => {
    const body = part('username', 'someone') + part('password', 'not a password') + `--${BOUNDARY}--\r\n`;
    for (const path of ['/api/auth/login', '/api/auth/register', '/api/core/notes']) {
      const res = await upload(body, undefined, path);
      expect(res.status, path).toBe(415);
      expect(res.body.detail.error).toBe('unsupported_media_type');
    }
    // A text body on a JSON route, too.
    const text = await api.request('POST', '/api/auth/register', undefined, { raw: 'email=a@b.c', headers: { 'content-type': 'text/plain' }, unchecked: true });
    expect(text.status).toBe(415);
  });
});
