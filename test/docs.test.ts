import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allRoutes } from '../src/modules/index.js';
import { restClient, type RestClient } from './helpers/http.js';
import { startServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let api: RestClient;
beforeAll(async () => {
  server = await startServer();
  api = restClient(server.url);
});
afterAll(() => server.close());

describe('API documentation', () => {
  it('serves an OpenAPI 3.1 document with every route of the table, in snake_case', async () => {
    const res = await api.get('/openapi.json');
    expect(res.status).toBe(200);
    const doc = res.body;
    expect(doc.openapi).toBe('3.1.0');
    const operations = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(operations.sort()).toEqual(allRoutes.map((r) => `${r.method} ${r.path}`).sort());

    const login = doc.paths['/api/auth/login'].post;
    expect(Object.keys(login.requestBody.content)).toEqual(['application/x-www-form-urlencoded', 'application/json']);
    const me = doc.paths['/api/auth/me'];
    // Shapes are named components: follow the reference.
    const component = (schema: { $ref: string }) => doc.components.schemas[schema.$ref.split('/').pop()!];
    expect(Object.keys(component(me.patch.requestBody.content['application/json'].schema).properties)).toContain('new_password');
    expect(me.get.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/UserProfile' });
    expect(component(me.get.responses['200'].content['application/json'].schema).required).toContain('preferred_language');
    expect(me.get.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/api/auth/register'].post.responses['201']).toBeDefined();

    // Each operation says what it needs: the scope for API keys, or that keys are refused.
    const orgs = doc.paths['/api/organizations'];
    expect(orgs.get['x-required-scope']).toBe('organizations:read');
    expect(orgs.get.security).toEqual([{ bearer: [] }, { apiKey: ['organizations:read'] }]);
    expect(orgs.get.description).toContain('`organizations:read`');
    expect(orgs.get.responses['200'].headers['X-Total-Count']).toBeDefined();
    expect(orgs.get.responses['200'].content['application/json'].schema.type).toBe('array');
    expect(orgs.post['x-required-scope']).toBe('organizations:write');
    expect(orgs.post.description).toContain("the key's creator becomes the owner");
    expect(doc.paths['/api/organizations/{org_id}/members/{target_user_id}'].patch['x-required-scope']).toBe('organizations:write');
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-API-Key' });
    expect(doc.paths['/api/auth/logout'].post.responses['204']).toBeDefined();
  });

  it('serves a browsable reference at /docs from installed packages', async () => {
    const page = await api.get('/docs/', { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.body).toMatch(/swagger/i);
    const asset = await api.get('/docs/static/swagger-ui-bundle.js');
    expect(asset.status).toBe(200);
  });

  it('serves the GraphQL IDE to browsers at GET /graphql, with its assets from the gateway', async () => {
    const page = await api.get('/graphql', { headers: { accept: 'text/html,application/xhtml+xml' } });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<base href="/graphql/ide/">');
    expect(page.body).not.toMatch(/https?:\/\/(cdn|unpkg|jsdelivr)/);
    const script = /src="([^"]+\.js)"/.exec(page.body)?.[1];
    expect(script).toBeTruthy();
    expect((await api.get(`/graphql/ide/${script}`)).status).toBe(200);
    // Non-browser GET queries still reach GraphQL.
    const q = await api.get('/graphql?query=%7B__typename%7D', { headers: { 'apollo-require-preflight': 'true' } });
    expect(q.body).toEqual({ data: { __typename: 'Query' } });
  });

  it('can switch the IDE and introspection off', async () => {
    const s = await startServer({ GRAPHQL_IDE: 'false', GRAPHQL_INTROSPECTION: 'false' });
    try {
      const c = restClient(s.url);
      const page = await c.get('/graphql', { headers: { accept: 'text/html' } });
      expect(String(page.body)).not.toContain('/graphql/ide/');
      expect((await c.get('/graphql/ide/index.html')).status).toBe(404);
      const intro = await c.post('/graphql', { query: '{ __schema { types { name } } }' });
      expect(intro.body.errors[0].extensions.code).toBe('graphql_validation_failed');
    } finally {
      await s.close();
    }
  });
});
