import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newUserInput, PASSWORD, signUp } from './helpers/factories.js';
import { restClient, type RestClient } from './helpers/http.js';
import { startServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let api: RestClient;

beforeAll(async () => {
  server = await startServer();
  api = restClient(server.url);
});
afterAll(() => server.close());

describe('account lifecycle over REST', () => {
  it('registers, logs in with a form body, reads me, refreshes twice, detects reuse, and logs out', async () => {
    const input = newUserInput({ email: 'Mixed.Case@Example.com' });
    const reg = await api.post('/api/auth/register', input);
    expect(reg.status).toBe(201);
    expect(reg.body).toMatchObject({
      email: 'Mixed.Case@Example.com',
      username: input.username,
      full_name: input.full_name,
      nickname: null,
      preferred_language: 'en',
      timezone: 'UTC',
      avatar_url: null,
      plan: 'free',
    });
    expect(Object.keys(reg.body).sort()).toEqual(
      ['id', 'email', 'username', 'full_name', 'nickname', 'preferred_language', 'timezone', 'avatar_url', 'plan', 'public_profile', 'created_at', 'updated_at'].sort(),
    );
    expect(reg.body.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(JSON.stringify(reg.body)).not.toContain('password');

    // Form-encoded login, with the email in another case.
    const login = await api.post('/api/auth/login', { username: 'mixed.case@example.COM', password: PASSWORD }, { form: true });
    expect(login.status).toBe(200);
    expect(login.body).toMatchObject({ token_type: 'bearer', expires_in: 900 });
    expect(Object.keys(login.body).sort()).toEqual(['access_token', 'expires_in', 'refresh_token', 'token_type']);

    const me = await api.get('/api/auth/me', { token: login.body.access_token });
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(reg.body.id);

    const first = await api.post('/api/auth/refresh', { refresh_token: login.body.refresh_token });
    expect(first.status).toBe(200);
    expect(first.body.refresh_token).not.toBe(login.body.refresh_token);
    // A form body, as login takes (OAuth 2.0 clients send one).
    const second = await api.post('/api/auth/refresh', { refresh_token: first.body.refresh_token }, { form: true });
    expect(second.status).toBe(200);
    expect(Object.keys(second.body).sort()).toEqual(['access_token', 'expires_in', 'refresh_token', 'token_type']);
    expect((await api.get('/api/auth/me', { token: second.body.access_token })).status).toBe(200);

    // The first refresh token again: reuse. The family dies, including the newest tokens.
    const reuse = await api.post('/api/auth/refresh', { refresh_token: login.body.refresh_token });
    expect(reuse.status).toBe(401);
    expect(reuse.body.detail.error).toBe('invalid_token');
    const newest = await api.post('/api/auth/refresh', { refresh_token: second.body.refresh_token });
    expect(newest.status).toBe(401);
    const afterReuse = await api.get('/api/auth/me', { token: second.body.access_token });
    expect(afterReuse.status).toBe(401);
    expect(afterReuse.body.detail.error).toBe('invalid_token');

    // A new login; logout by bearer ends it.
    const again = await api.post('/api/auth/login', { username: input.username, password: PASSWORD });
    expect(again.status).toBe(200);
    const out = await api.post('/api/auth/logout', undefined, { token: again.body.access_token });
    expect(out.status).toBe(204);
    expect(out.body).toBe('');
    expect((await api.get('/api/auth/me', { token: again.body.access_token })).status).toBe(401);
    expect((await api.post('/api/auth/refresh', { refresh_token: again.body.refresh_token })).status).toBe(401);
  });

  it('logs out by refresh token alone, idempotently', async () => {
    const u = await signUp(api);
    expect((await api.post('/api/auth/logout', { refresh_token: u.refreshToken })).status).toBe(204);
    expect((await api.post('/api/auth/logout', { refresh_token: u.refreshToken })).status).toBe(204);
    expect((await api.post('/api/auth/logout', { refresh_token: 'never-issued' })).status).toBe(204);
    expect((await api.get('/api/auth/me', { token: u.accessToken })).status).toBe(401);
  });

  it('refuses logout with no credentials at all, and says so of an access token that is no good', async () => {
    const res = await api.post('/api/auth/logout');
    expect(res.status).toBe(401);
    expect(res.body.detail.error).toBe('not_authenticated');
    // Already logged out, or not a token: invalid_token, as every other route answers it.
    const u = await signUp(api);
    expect((await api.post('/api/auth/logout', undefined, { token: u.accessToken })).status).toBe(204);
    for (const token of [u.accessToken, 'not-a-token']) {
      const again = await api.post('/api/auth/logout', undefined, { token });
      expect(again.status).toBe(401);
      expect(again.body.detail.error).toBe('invalid_token');
    }
  });

  it('does not let a bearer end somebody else\'s session with their refresh token', async () => {
    const a = await signUp(api);
    const b = await signUp(api);
    expect((await api.post('/api/auth/logout', { refresh_token: b.refreshToken }, { token: a.accessToken })).status).toBe(204);
    expect((await api.get('/api/auth/me', { token: b.accessToken })).status).toBe(200);
  });

  it('answers two concurrent refreshes with the same token with exactly one success, and revokes the family', async () => {
    const u = await signUp(api);
    const results = await Promise.all([
      api.post('/api/auth/refresh', { refresh_token: u.refreshToken }),
      api.post('/api/auth/refresh', { refresh_token: u.refreshToken }),
    ]);
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 401]);
  });
});

describe('registration and login rules', () => {
  it('explains every invalid field at once', async () => {
    const res = await api.post('/api/auth/register', { email: 'not-an-email', username: 'a b', password: 'short' });
    expect(res.status).toBe(400);
    expect(res.body.detail.error).toBe('validation_error');
    const locs = res.body.detail.fields.map((f: { loc: string[] }) => f.loc.join('.'));
    expect(locs).toEqual(['body.email', 'body.username', 'body.password']);
    expect(res.body.detail.message).toContain('email must be a valid email address');
    expect(res.body.detail.message).toContain('password must be at least 8 characters');
    expect(res.body.detail.message).toContain('username may contain only');
  });

  it('says which fields are missing', async () => {
    const res = await api.post('/api/auth/register', {});
    expect(res.status).toBe(400);
    expect(res.body.detail.fields).toEqual([
      { loc: ['body', 'email'], message: 'is required' },
      { loc: ['body', 'username'], message: 'is required' },
      { loc: ['body', 'password'], message: 'is required' },
    ]);
  });

  it('treats email and username as unique whatever their case', async () => {
    const base = newUserInput();
    expect((await api.post('/api/auth/register', base)).status).toBe(201);
    const sameEmail = await api.post('/api/auth/register', newUserInput({ email: base.email.toUpperCase() }));
    expect(sameEmail.status).toBe(409);
    expect(sameEmail.body.detail).toMatchObject({ error: 'conflict', field: 'email' });
    const sameName = await api.post('/api/auth/register', newUserInput({ username: base.username.toUpperCase() }));
    expect(sameName.status).toBe(409);
    expect(sameName.body.detail).toMatchObject({ error: 'conflict', field: 'username' });
  });

  it('does not reveal whether an account exists', async () => {
    const u = await signUp(api);
    const wrong = await api.post('/api/auth/login', { username: u.input.username, password: 'wrong password' }, { form: true });
    const nobody = await api.post('/api/auth/login', { username: 'nobody_here', password: 'wrong password' }, { form: true });
    expect(wrong.status).toBe(401);
    expect(nobody.status).toBe(401);
    expect(wrong.body).toEqual(nobody.body);
    expect(wrong.body.detail.error).toBe('invalid_credentials');
  });

  it('stores only an argon2id hash with OWASP parameters', async () => {
    const u = await signUp(api);
    const rows = await server.app.orm.em.fork().getConnection().execute(`select password_hash from users where id = '${u.user.id}'`);
    const hash = (rows[0] as { password_hash: string }).password_hash;
    // A PHC string: algorithm, version, then the parameters (in whatever order the library writes them).
    const [, algorithm, version, params] = hash.split('$');
    expect([algorithm, version]).toEqual(['argon2id', 'v=19']);
    expect(Object.fromEntries(params!.split(',').map((kv) => kv.split('=')))).toEqual({ m: '19456', t: '2', p: '1' });
    expect(hash).not.toContain(PASSWORD);
  });

  it('replaces a weaker stored hash with the current parameters at a successful login', async () => {
    const u = await signUp(api);
    const em = () => server.app.orm.em.fork().getConnection();
    // argon2i with weaker parameters (password "legacy password"), as an older deployment might hold.
    const weak = '$argon2i$v=19$m=4096,p=1,t=3$01h1dr8x1QAK9fUH64Jbog$BLowplR6t2t9SF7ot4e9HEHdRdkqbNMkc5hr8j4yobU';
    await em().execute(`update users set password_hash = '${weak}' where id = '${u.user.id}'`);
    const login = await api.post('/api/auth/login', { username: u.input.username, password: 'legacy password' }, { form: true });
    expect(login.status).toBe(200);
    const [row] = (await em().execute(`select password_hash from users where id = '${u.user.id}'`)) as { password_hash: string }[];
    expect(row!.password_hash.startsWith('$argon2id$v=19$')).toBe(true);
    // The new hash is of the same password, and the session the login opened works.
    expect((await api.post('/api/auth/login', { username: u.input.username, password: 'legacy password' }, { form: true })).status).toBe(200);
    expect((await api.get('/api/auth/me', { token: login.body.access_token })).status).toBe(200);
  });

  it('stores refresh tokens only as hashes', async () => {
    const u = await signUp(api);
    const rows = await server.app.orm.em.fork().getConnection().execute(`select token_hash from refresh_tokens`);
    const hashes = rows.map((r: { token_hash: string }) => r.token_hash);
    expect(hashes.length).toBeGreaterThan(0);
    expect(hashes).not.toContain(u.refreshToken);
    expect(hashes.every((h: string) => /^[0-9a-f]{64}$/.test(h))).toBe(true);
  });
});

describe('updating the profile', () => {
  it('changes profile fields and validates them', async () => {
    const u = await signUp(api);
    const ok = await api.patch(
      '/api/auth/me',
      { full_name: 'Ada L', preferred_language: 'pt-BR', timezone: 'Europe/Paris', avatar_url: 'https://cdn.example.com/a.png' },
      { token: u.accessToken },
    );
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ full_name: 'Ada L', preferred_language: 'pt-BR', timezone: 'Europe/Paris', avatar_url: 'https://cdn.example.com/a.png' });

    const bad = await api.patch('/api/auth/me', { timezone: 'Mars/Olympus', avatar_url: 'javascript:alert(1)' }, { token: u.accessToken });
    expect(bad.status).toBe(400);
    expect(bad.body.detail.fields.map((f: { loc: string[] }) => f.loc.join('.'))).toEqual(['body.timezone', 'body.avatar_url']);
    const unchanged = await api.get('/api/auth/me', { token: u.accessToken });
    expect(unchanged.body.timezone).toBe('Europe/Paris');
  });

  it('refuses taking another user\'s email or username', async () => {
    const a = await signUp(api);
    const b = await signUp(api);
    const res = await api.patch('/api/auth/me', { email: a.input.email.toUpperCase(), current_password: PASSWORD }, { token: b.accessToken });
    expect(res.status).toBe(409);
    expect(res.body.detail.field).toBe('email');
  });

  it('changes the password only with the current one, and ends the other sessions', async () => {
    const u = await signUp(api);
    const other = await api.post('/api/auth/login', { username: u.input.username, password: PASSWORD });

    const missing = await api.patch('/api/auth/me', { new_password: 'a new password' }, { token: u.accessToken });
    expect(missing.status).toBe(400);
    expect(missing.body.detail.fields).toEqual([{ loc: ['body', 'current_password'], message: 'is required to set a new password' }]);

    const wrong = await api.patch('/api/auth/me', { new_password: 'a new password', current_password: 'nope nope' }, { token: u.accessToken });
    expect(wrong.status).toBe(401);
    expect(wrong.body.detail.error).toBe('invalid_credentials');
    // A failed change leaves everything as it was.
    expect((await api.get('/api/auth/me', { token: other.body.access_token })).status).toBe(200);

    const changed = await api.patch('/api/auth/me', { new_password: 'a new password', current_password: PASSWORD }, { token: u.accessToken });
    expect(changed.status).toBe(200);
    expect((await api.get('/api/auth/me', { token: u.accessToken })).status).toBe(200);
    expect((await api.get('/api/auth/me', { token: other.body.access_token })).status).toBe(401);
    expect((await api.post('/api/auth/refresh', { refresh_token: other.body.refresh_token })).status).toBe(401);
    expect((await api.post('/api/auth/login', { username: u.input.username, password: PASSWORD })).status).toBe(401);
    expect((await api.post('/api/auth/login', { username: u.input.username, password: 'a new password' })).status).toBe(200);
  });

  it('is bearer-only', async () => {
    const res = await api.get('/api/auth/me');
    expect(res.status).toBe(401);
    expect(res.body.detail.error).toBe('not_authenticated');
  });
});
