import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { signUp } from './helpers/factories.js';
import { restClient, type RestClient } from './helpers/http.js';
import { startServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let api: RestClient;

beforeAll(async () => {
  server = await startServer({ BODY_LIMIT_BYTES: '4096' });
  api = restClient(server.url);
});
afterAll(() => server.close());

const envelope = (body: any, error: string) => {
  expect(Object.keys(body)).toEqual(['detail']);
  expect(body.detail.error).toBe(error);
  expect(typeof body.detail.message).toBe('string');
};

describe('the error envelope at the edges', () => {
  it('answers malformed JSON', async () => {
    const res = await api.post('/api/auth/register', undefined, { raw: '{"email": ', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    envelope(res.body, 'bad_request');
  });

  it('answers a content type the route does not take', async () => {
    const plain = await api.post('/api/auth/register', undefined, { raw: 'hello', headers: { 'content-type': 'text/plain' } });
    expect(plain.status).toBe(415);
    envelope(plain.body, 'unsupported_media_type');
    const xml = await api.post('/api/auth/refresh', undefined, { raw: '<a/>', headers: { 'content-type': 'application/xml' } });
    expect(xml.status).toBe(415);
    envelope(xml.body, 'unsupported_media_type');
    // Form bodies are documented for login only.
    const form = await api.post('/api/auth/register', { email: 'a@b.co' }, { form: true });
    expect(form.status).toBe(415);
  });

  it('answers an oversized body', async () => {
    const res = await api.post('/api/auth/register', { email: 'x'.repeat(10_000) });
    expect(res.status).toBe(413);
    envelope(res.body, 'payload_too_large');
  });

  it('answers a body that is JSON but not an object', async () => {
    const res = await api.post('/api/auth/register', [1, 2]);
    expect(res.status).toBe(400);
    envelope(res.body, 'validation_error');
  });

  it('takes a JSON content type with an empty body as no body: routes without one answer, routes that need one name the fields', async () => {
    const u = await signUp(api);
    const json = { 'content-type': 'application/json' };
    const note = await api.post('/api/core/notes', { title: 'Empty body', content: 'x' }, { token: u.accessToken });
    const deleted = await api.request('DELETE', `/api/core/notes/${note.body.id}`, undefined, { token: u.accessToken, raw: '', headers: json });
    expect(deleted.status).toBe(204);
    const missing = await api.post('/api/core/notes', undefined, { token: u.accessToken, raw: '', headers: json });
    expect(missing.status).toBe(400);
    envelope(missing.body, 'validation_error');
    const out = await api.post('/api/auth/logout', undefined, { token: u.accessToken, raw: '', headers: json });
    expect(out.status).toBeLessThan(300);
    expect((await api.get('/api/auth/me', { token: u.accessToken })).status).toBe(401);
  });

  it('refuses prototype-pollution keys', async () => {
    const res = await api.post('/api/auth/register', undefined, {
      raw: '{"__proto__": {"admin": true}, "email": "p@example.com"}',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('answers an unknown route', async () => {
    const res = await api.get('/api/does-not-exist');
    expect(res.status).toBe(404);
    envelope(res.body, 'not_found');
    const wrongMethod = await api.request('DELETE', '/api/auth/login');
    expect(wrongMethod.status).toBe(404);
    envelope(wrongMethod.body, 'not_found');
  });

  it('echoes a request id, keeping a sensible one from the caller', async () => {
    const own = await api.get('/healthz', { headers: { 'x-request-id': 'trace-abc.123' } });
    expect(own.headers.get('x-request-id')).toBe('trace-abc.123');
    const made = await api.get('/healthz', { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const err = await api.get('/nope');
    expect(err.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('health', () => {
  it('reports liveness and readiness', async () => {
    expect((await api.get('/healthz')).body).toEqual({ status: 'ok' });
    const ready = await api.get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready', database: 'ok', jobs: 'ok', uploads: 'ok' });
  });
});

describe('unknown errors', () => {
  it('are masked as internal_error with the request id, without internals', async () => {
    const s = await startServer();
    const client = restClient(s.url);
    try {
      const u = await signUp(client);
      // Break the schema under the running server: the next refresh hits a database error.
      await s.app.orm.em.fork().getConnection().execute('drop table refresh_tokens');
      const res = await client.post('/api/auth/refresh', { refresh_token: u.refreshToken }, { headers: { 'x-request-id': 'req-500-check' } });
      expect(res.status).toBe(500);
      envelope(res.body, 'internal_error');
      expect(res.body.detail.request_id).toBe('req-500-check');
      expect(JSON.stringify(res.body)).not.toMatch(/refresh_tokens|sqlite|relation|select|stack/i);
    } finally {
      await s.close();
    }
  });

  it('turn /readyz to 503 when the database is gone', async () => {
    const s = await startServer();
    try {
      // The database stops answering (MikroORM 7 reconnects a closed ORM on its next statement,
      // so closing it no longer simulates an outage): every statement fails as a lost server's would.
      const connection = s.app.orm.em.getConnection();
      vi.spyOn(connection, 'execute').mockRejectedValue(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }));
      const res = await restClient(s.url).get('/readyz');
      expect(res.status).toBe(503);
      expect(res.body.status).toBe('unavailable');
      expect((await restClient(s.url).get('/healthz')).status).toBe(200);
    } finally {
      await s.app.server.close();
      await s.close().catch(() => undefined);
    }
  });
});
