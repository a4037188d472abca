import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from './helpers/factories.js';
import { wsClient } from './helpers/graphql.js';
import { restClient } from './helpers/http.js';
import { startServer, type TestServer } from './helpers/server.js';

type Answer = { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> & { code?: string } }[] };

/** POST /graphql with a raw body (a single JSON operation: the fast path). */
async function post(url: string, body: unknown, token?: string): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

/** GET /graphql (Apollo's pipeline). */
async function get(url: string, query: string, variables: Record<string, unknown>, token: string): Promise<{ status: number; body: any }> {
  const params = new URLSearchParams({ query, variables: JSON.stringify(variables) });
  const res = await fetch(`${url}/graphql?${params.toString()}`, { headers: { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' } });
  return { status: res.status, body: await res.json() };
}

/** Runs one operation over graphql-ws; resolves with its result or its errors. */
function overWs(wsUrl: string, query: string, token: string, variables?: Record<string, unknown>): Promise<Answer> {
  const { client } = wsClient(wsUrl, { Authorization: `Bearer ${token}` });
  return new Promise<Answer>((resolve) => {
    let last: Answer = {};
    client.subscribe({ query, ...(variables ? { variables } : {}) }, { next: (v) => (last = v as Answer), error: (e) => resolve({ errors: e as Answer['errors'] }), complete: () => resolve(last) });
  }).finally(() => client.dispose());
}

const code = (a: Answer) => a.errors?.[0]?.extensions?.code;

/** Introspection of `levels` nested types: deep without depending on the gateway's own types. */
function deep(levels: number): string {
  let inner = 'name';
  for (let i = 0; i < levels; i++) inner = `ofType { ${inner} }`;
  return `{ __type(name: "Query") { fields { type { ${inner} } } } }`;
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
  // Each refusal has its own code, with the figure found and the limit beside it.
  const cases: { name: string; query: string; status: number; extensions: Record<string, unknown>; message: RegExp }[] = [
    { name: 'depth', query: deep(2), status: 400, extensions: { code: 'query_too_deep', depth: 6, max_depth: 5 }, message: /nests 6 levels deep; the limit is 5/ },
    { name: 'aliases', query: '{ a: me { id } b: me { id } c: me { id } d: me { id } }', status: 400, extensions: { code: 'too_many_aliases', aliases: 4, max_aliases: 3 }, message: /uses 4 aliases; the limit is 3/ },
    {
      name: 'directives',
      query: '{ me @include(if: true) @include(if: true) @skip(if: false) @skip(if: false) { id } }',
      status: 400,
      extensions: { code: 'too_many_directives', directives: 4, max_directives: 3 },
      message: /uses 4 directives; the limit is 3/,
    },
    {
      name: 'cost',
      query: '{ conversations(first: 40) { edges { node { id } } } }',
      status: 400,
      extensions: { code: 'query_too_costly', cost: 41, max_cost: 40, breakdown: [{ path: 'conversations', cost: 41, multiplier: 1 }, { path: 'conversations.edges', cost: 40, multiplier: 40 }] },
      message: /costs 41; the limit is 40/,
    },
    { name: 'tokens', query: `{ me { ${'id '.repeat(250)}} }`, status: 400, extensions: { code: 'graphql_parse_failed', max_tokens: 200 }, message: /more than 200 lexical tokens, the limit/ },
    { name: 'size', query: `# ${'x'.repeat(2100)}\n{ me { id } }`, status: 413, extensions: { code: 'payload_too_large', limit_bytes: 2000 }, message: /2000/ },
  ];

  for (const c of cases) {
    it(`refuses a document over the ${c.name} limit over HTTP (fast path and Apollo) and over graphql-ws`, async () => {
      const http = await post(strict.url, { query: c.query }, token);
      expect(http.status).toBe(c.status);
      expect(http.body.errors[0].extensions).toEqual(c.extensions);
      expect(http.body.errors[0].message).toMatch(c.message);
      expect(http.headers.get('cache-control')).toBe('no-store');
      const apollo = await get(strict.url, c.query, {}, token);
      expect(apollo.status).toBe(c.status);
      expect(apollo.body.errors[0].extensions).toEqual(c.extensions);
      const ws = await overWs(strict.wsUrl, c.query, token);
      expect(ws.errors?.[0]?.extensions).toEqual(c.extensions);
      expect(ws.errors?.[0]?.message).toMatch(c.message);
    });
  }

  it('counts the cost of page sizes given as variables as it does literals, on all three doors', async () => {
    const query = 'query Page($n: Int) { conversations(first: $n) { edges { node { id } } } }';
    const refused = { code: 'query_too_costly', cost: 41, max_cost: 40, breakdown: [{ path: 'conversations', cost: 41, multiplier: 1 }, { path: 'conversations.edges', cost: 40, multiplier: 40 }] };
    // The fast path (a JSON POST), Apollo (GET) and graphql-ws.
    const fast = await post(strict.url, { query, variables: { n: 40 } }, token);
    expect(fast.status).toBe(400);
    expect(fast.body.errors[0].extensions).toEqual(refused);
    const apollo = await get(strict.url, query, { n: 40 }, token);
    expect(apollo.status).toBe(400);
    expect(apollo.body.errors[0].extensions).toEqual(refused);
    expect((await overWs(strict.wsUrl, query, token, { n: 40 })).errors?.[0]?.extensions).toEqual(refused);
    // One item fewer fits, through every door; the same document, compiled once, is checked again with new variables.
    for (const n of [39, 40, 39]) {
      const again = await post(strict.url, { query, variables: { n } }, token);
      expect(again.status, `first: ${n}`).toBe(n === 39 ? 200 : 400);
    }
    expect((await get(strict.url, query, { n: 39 }, token)).body.errors).toBeUndefined();
    expect((await overWs(strict.wsUrl, query, token, { n: 39 })).errors).toBeUndefined();
    // No page size given: the default page of 20 (cost 21) fits.
    expect((await post(strict.url, { query }, token)).body.errors).toBeUndefined();
  });

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
      expect(code(http.body)).toBe('graphql_validation_failed');
      const ws = await overWs(prod.wsUrl, query, t);
      expect(code(ws)).toBe('graphql_validation_failed');
      const ide = await fetch(`${prod.url}/graphql`, { headers: { accept: 'text/html' } });
      expect(ide.headers.get('content-type') ?? '').not.toContain('text/html');
      expect((await post(prod.url, { query: '{ me { id } }' }, t)).body.errors).toBeUndefined();
    } finally {
      await prod.close();
    }
  });
});
