import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from './helpers/factories.js';
import { wsClient } from './helpers/graphql.js';
import { restClient } from './helpers/http.js';
import { startServer, type TestServer } from './helpers/server.js';

type Answer = { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };

/** POST /graphql with a raw body. */
async function post(url: string, body: unknown, token?: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** Runs one operation over graphql-ws; resolves with its result or its errors. */
function overWs(wsUrl: string, query: string, token: string): Promise<Answer> {
  const { client } = wsClient(wsUrl, { Authorization: `Bearer ${token}` });
  return new Promise<Answer>((resolve) => {
    let last: Answer = {};
    client.subscribe({ query }, { next: (v) => (last = v as Answer), error: (e) => resolve({ errors: e as Answer['errors'] }), complete: () => resolve(last) });
  }).finally(() => client.dispose());
}

const code = (a: Answer) => a.errors?.[0]?.extensions?.code;

/** `organization { members { items { team { members { … } } } } }`, `levels` times over. */
function deep(levels: number): string {
  let inner = 'id';
  for (let i = 0; i < levels; i++) inner = `members { items { team { ${inner} } } }`;
  return `query Deep($id: ID!) { organization(id: $id) { ${inner} } }`;
}

let strict: TestServer;
let token: string;

beforeAll(async () => {
  // Small limits, to show they are configuration and hold on both transports.
  strict = await startServer({
    GRAPHQL_MAX_DEPTH: '5',
    GRAPHQL_MAX_ALIASES: '3',
    GRAPHQL_MAX_COST: '40',
    GRAPHQL_MAX_TOKENS: '200',
    GRAPHQL_MAX_DIRECTIVES: '3',
    GRAPHQL_MAX_BATCH: '2',
    GRAPHQL_MAX_QUERY_BYTES: '2000',
  });
  token = (await signUp(restClient(strict.url))).accessToken;
});
afterAll(() => strict.close());

describe('GraphQL document limits', () => {
  const cases: { name: string; query: string; status: number; code: string; message: RegExp }[] = [
    { name: 'depth', query: deep(2), status: 400, code: 'GRAPHQL_VALIDATION_FAILED', message: /depth limit of 5 exceeded/ },
    { name: 'aliases', query: '{ a: me { id } b: me { id } c: me { id } d: me { id } }', status: 400, code: 'GRAPHQL_VALIDATION_FAILED', message: /Aliases limit of 3 exceeded, found 4/ },
    {
      name: 'cost',
      query: '{ organizations { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id name slug description createdAt updatedAt memberCount viewerRole } } } }',
      status: 400,
      code: 'GRAPHQL_VALIDATION_FAILED',
      message: /Cost limit of 40 exceeded, found 47.75/,
    },
    { name: 'directives', query: '{ me @include(if: true) @include(if: true) @skip(if: false) @skip(if: false) { id } }', status: 400, code: 'GRAPHQL_VALIDATION_FAILED', message: /Directives limit of 3 exceeded/ },
    { name: 'tokens', query: `{ me { ${'id '.repeat(250)}} }`, status: 400, code: 'GRAPHQL_PARSE_FAILED', message: /200 tokens/ },
    { name: 'size', query: `# ${'x'.repeat(2100)}\n{ me { id } }`, status: 413, code: 'payload_too_large', message: /2000/ },
  ];

  for (const c of cases) {
    it(`refuses a document over the ${c.name} limit over HTTP and over graphql-ws`, async () => {
      const http = await post(strict.url, { query: c.query, variables: { id: 'x' } }, token);
      expect(http.status).toBe(c.status);
      expect(code(http.body)).toBe(c.code);
      expect(http.body.errors[0].message).toMatch(c.message);
      const ws = await overWs(strict.wsUrl, c.query.replace('query Deep($id: ID!)', 'query Deep').replace('(id: $id)', '(id: "x")'), token);
      expect(code(ws)).toBe(c.code);
      expect(ws.errors?.[0]?.message).toMatch(c.message);
    });
  }

  it('answers documents within the limits', async () => {
    const ok = await post(strict.url, { query: '{ a: me { id } b: me { username } }' }, token);
    expect(ok.status).toBe(200);
    expect(ok.body.errors).toBeUndefined();
    const ws = await overWs(strict.wsUrl, '{ me { id } }', token);
    expect(ws.errors).toBeUndefined();
  });

  it('accepts batches up to the limit and refuses larger ones', async () => {
    const op = { query: '{ me { id } }' };
    const two = await post(strict.url, [op, op], token);
    expect(two.status).toBe(200);
    expect(two.body).toHaveLength(2);
    expect(two.body.every((r: Answer) => !r.errors)).toBe(true);
    const three = await post(strict.url, [op, op, op], token);
    expect(three.status).toBe(400);
    expect(code(three.body)).toBe('bad_request');
    expect(three.body.errors[0].message).toMatch(/At most 2 operations/);
    // Each operation of a batch meets the size limit too.
    const big = await post(strict.url, [op, { query: `# ${'x'.repeat(2100)}\n{ me { id } }` }], token);
    expect(big.status).toBe(413);
  });

  it('keeps introspection within the default limits (the IDE works in development)', async () => {
    const dev = await startServer();
    try {
      const r = await post(dev.url, { query: getIntrospectionQuery() });
      expect(r.status).toBe(200);
      expect(r.body.errors).toBeUndefined();
      expect(r.body.data.__schema.queryType.name).toBe('Query');
    } finally {
      await dev.close();
    }
  });

  it('turns introspection and the IDE off by configuration, on both transports', async () => {
    const prod = await startServer({ GRAPHQL_INTROSPECTION: 'false', GRAPHQL_IDE: 'false' });
    try {
      const t = (await signUp(restClient(prod.url))).accessToken;
      const query = '{ __schema { queryType { name } } }';
      const http = await post(prod.url, { query }, t);
      expect(http.status).toBe(400);
      expect(code(http.body)).toBe('GRAPHQL_VALIDATION_FAILED');
      const ws = await overWs(prod.wsUrl, query, t);
      expect(code(ws)).toBe('GRAPHQL_VALIDATION_FAILED');
      const ide = await fetch(`${prod.url}/graphql`, { headers: { accept: 'text/html' } });
      expect(ide.headers.get('content-type') ?? '').not.toContain('text/html');
      expect((await post(prod.url, { query: '{ me { id } }' }, t)).body.errors).toBeUndefined();
    } finally {
      await prod.close();
    }
  });
});
