import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { IDE_CSP } from '../src/graphql/ide.js';
import { signUp } from './helpers/factories.js';
import { restClient, type RestClient } from './helpers/http.js';
import { startServer, type TestServer } from './helpers/server.js';

/**
 * Security headers on every kind of answer, the policies that let the GraphQL IDE and the
 * API reference run, and CORS: off by default (no origin may read answers), on for the
 * configured origins only.
 */

let server: TestServer;
let api: RestClient;
beforeAll(async () => {
  server = await startServer();
  api = restClient(server.url);
});
afterAll(() => server.close());

const EVIL = 'https://evil.example';

describe('security headers', () => {
  it('are on JSON answers, errors and GraphQL alike: nothing loads, frames or is framed', async () => {
    const answers = [
      await api.get('/healthz'),
      await api.get('/api/auth/me'),
      await api.get('/api/does-not-exist'),
      await api.post('/graphql', { query: '{ __typename }' }),
      await api.post('/api/auth/register', undefined, { raw: '{"broken": ', headers: { 'content-type': 'application/json' } }),
    ];
    for (const res of answers) {
      const h = res.headers;
      expect(h.get('content-security-policy')).toContain("default-src 'none'");
      expect(h.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(h.get('x-content-type-options')).toBe('nosniff');
      expect(h.get('strict-transport-security')).toMatch(/max-age=\d+/);
      expect(h.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(h.get('referrer-policy')).toBe('no-referrer');
      expect(h.get('x-powered-by')).toBeNull();
    }
  });

  it('let the GraphQL IDE run from the gateway alone, without inline script', async () => {
    const page = await api.get('/graphql', { headers: { accept: 'text/html' } });
    expect(page.headers.get('content-security-policy')).toBe(IDE_CSP);
    expect(IDE_CSP).toContain("script-src 'self'");
    expect(IDE_CSP).not.toContain('unsafe-eval');
    // Every script of the page is a file of the gateway's: an inline one would be blocked.
    const scripts = [...String(page.body).matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, inline] of scripts) {
      expect(attrs).toMatch(/src="/);
      expect(inline!.trim()).toBe('');
    }
    const options = await api.get('/graphql/ide/initial_options.js');
    expect(options.status).toBe(200);
    expect(options.headers.get('content-type')).toContain('javascript');
    expect(String(options.body)).toContain('AltairGraphQL.init(');
    expect(String(options.body)).toContain('/graphql');
  });

  it('let the API reference run from the gateway alone', async () => {
    const page = await api.get('/docs/', { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(csp).toContain("frame-ancestors 'none'");
  });

  it('can be turned off', async () => {
    const s = await startServer({ SECURITY_HEADERS: 'false' });
    try {
      const res = await restClient(s.url).get('/healthz');
      expect(res.headers.get('content-security-policy')).toBeNull();
      expect(res.headers.get('strict-transport-security')).toBeNull();
    } finally {
      await s.close();
    }
  });
});

describe('CORS', () => {
  it('is off by default: no origin gets an Access-Control-Allow-Origin, preflights included', async () => {
    const simple = await api.get('/api/core/providers', { headers: { origin: EVIL } });
    expect(simple.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await api.request('OPTIONS', '/api/auth/me', undefined, { headers: { origin: EVIL, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' } });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(preflight.headers.get('access-control-allow-headers')).toBeNull();
  });

  it('allows exactly the configured origins, without credentials mode', async () => {
    const s = await startServer({ CORS_ORIGINS: 'https://app.example.com, http://localhost:5173' });
    try {
      const c = restClient(s.url);
      const preflight = await c.request('OPTIONS', '/api/auth/me', undefined, { headers: { origin: 'https://app.example.com', 'access-control-request-method': 'PATCH', 'access-control-request-headers': 'authorization, x-api-key, content-type' } });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      expect(preflight.headers.get('access-control-allow-methods')).toContain('PATCH');
      expect(preflight.headers.get('access-control-allow-headers')!.toLowerCase()).toContain('x-api-key');
      expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();
      const simple = await c.get('/api/core/providers', { headers: { origin: 'http://localhost:5173' } });
      expect(simple.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
      expect(simple.headers.get('access-control-expose-headers')).toContain('X-Request-Id');
      for (const origin of [EVIL, 'https://app.example.com.evil.example', 'http://app.example.com', 'null']) {
        const other = await c.get('/api/core/providers', { headers: { origin } });
        expect(other.headers.get('access-control-allow-origin'), origin).toBeNull();
      }
    } finally {
      await s.close();
    }
  });

  it("lets browsers send Apollo Client's and tracing headers and read the rate-limit headers", async () => {
    const s = await startServer({ CORS_ORIGINS: 'https://app.example.com' });
    try {
      const c = restClient(s.url);
      const asked = ['content-type', 'authorization', 'apollographql-client-name', 'apollographql-client-version', 'x-apollo-operation-name', 'apollo-require-preflight', 'traceparent', 'tracestate', 'baggage', 'sentry-trace'];
      const preflight = await c.request('OPTIONS', '/graphql', undefined, {
        headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': asked.join(', ') },
      });
      expect(preflight.status).toBe(204);
      const allowed = preflight.headers.get('access-control-allow-headers')!.toLowerCase().split(/\s*,\s*/);
      for (const h of asked) expect(allowed, h).toContain(h);
      const answer = await c.post('/graphql', { query: '{ __typename }' }, { headers: { origin: 'https://app.example.com' } });
      const exposed = answer.headers.get('access-control-expose-headers')!.toLowerCase().split(/\s*,\s*/);
      for (const h of ['x-request-id', 'x-total-count', 'retry-after', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'ratelimit-policy']) expect(exposed, h).toContain(h);
    } finally {
      await s.close();
    }
  });

  it('takes the allowed request headers from CORS_ALLOWED_HEADERS (empty: the defaults)', async () => {
    const s = await startServer({ CORS_ORIGINS: 'https://app.example.com', CORS_ALLOWED_HEADERS: 'Authorization, Content-Type, X-Custom-Trace' });
    try {
      const preflight = await restClient(s.url).request('OPTIONS', '/graphql', undefined, {
        headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-custom-trace' },
      });
      expect(preflight.headers.get('access-control-allow-headers')!.split(/\s*,\s*/)).toEqual(['Authorization', 'Content-Type', 'X-Custom-Trace']);
    } finally {
      await s.close();
    }
    const dir = server.config.dataDir;
    expect(loadConfig({ DATA_DIR: dir, CORS_ALLOWED_HEADERS: '' }).corsAllowedHeaders).toContain('traceparent');
    expect(() => loadConfig({ DATA_DIR: dir, CORS_ALLOWED_HEADERS: 'Authorization, bad header' })).toThrow(/CORS_ALLOWED_HEADERS/);
  });

  it('refuses origins that are not origins, at start', () => {
    for (const bad of ['https://app.example.com/path', 'app.example.com', '*.example.com', 'javascript:alert(1)']) {
      expect(() => loadConfig({ DATA_DIR: server.config.dataDir, CORS_ORIGINS: bad }), bad).toThrow(/CORS_ORIGINS/);
    }
    expect(loadConfig({ DATA_DIR: server.config.dataDir, CORS_ORIGINS: '*' }).corsOrigins).toEqual(['*']);
  });
});

describe('Cache-Control', () => {
  const gql = (body: unknown, headers: Record<string, string> = {}) => api.post('/graphql', body, { headers });
  const gqlGet = (query: string, headers: Record<string, string> = {}) => api.get(`/graphql?${new URLSearchParams({ query }).toString()}`, { headers: { 'apollo-require-preflight': 'true', ...headers } });

  it('lets caches keep public REST answers, and nothing else', async () => {
    const providers = await api.get('/api/core/providers');
    expect(providers.status).toBe(200);
    expect(providers.headers.get('cache-control')).toBe('public, max-age=60');
    const u = await signUp(api);
    for (const res of [await api.get('/api/auth/me', { token: u.accessToken }), await api.get('/api/auth/me'), await api.get('/api/core/conversations', { token: u.accessToken }), await api.get('/api/nope'), await api.get('/healthz')]) {
      expect(res.headers.get('cache-control'), `${res.status}`).toBe('no-store');
    }
  });

  it('makes a GraphQL query of public root fields public, on the fast path and through Apollo alike', async () => {
    const query = 'query P { providers { default providers { id available } } }';
    const fast = await gql({ query });
    const apollo = await gqlGet(query);
    for (const res of [fast, apollo]) {
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('public, max-age=60');
    }
    // Through a fragment on the root type too, and with __typename beside it.
    expect((await gql({ query: '{ __typename ...R } fragment R on Query { providers { default } }' })).headers.get('cache-control')).toBe('public, max-age=60');
  });

  it('never lets caches keep per-user answers, mutations, errors or mixed batches', async () => {
    const u = await signUp(api);
    const auth = { authorization: `Bearer ${u.accessToken}` };
    const cases = [
      await gql({ query: '{ me { id } }' }, auth),
      await gqlGet('{ me { id } }', auth),
      await gql({ query: '{ providers { default } me { id } }' }, auth),
      await gql({ query: 'mutation { logout }' }, auth),
      await gql({ query: '{ providers { default } nope }' }),
      await gql({ query: '{ __typename }' }),
      await gql([{ query: '{ providers { default } }' }, { query: '{ me { id } }' }], auth),
    ];
    for (const res of cases) expect(res.headers.get('cache-control'), JSON.stringify(res.body).slice(0, 200)).toBe('no-store');
    // A batch of public queries stays public.
    const batch = await gql([{ query: '{ providers { default } }' }, { query: 'query Q { providers { providers { id } } }' }]);
    expect(batch.status).toBe(200);
    expect(batch.headers.get('cache-control')).toBe('public, max-age=60');
  });
});
