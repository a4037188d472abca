import { request as httpRequest } from 'node:http';
import fc from 'fast-check';
import type { GraphQLInputType } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../src/common/errors.js';
import { toSnake } from '../src/common/case.js';
import { allRoutes } from '../src/modules/index.js';
import type { RestRoute } from '../src/rest/route-table.js';
import { dbState, type DbState } from './helpers/db-state.js';
import { authHeaders } from './helpers/graphql.js';
import { documentFor, graphqlCjs, rootFields, subscribeOnce, type Auth } from './helpers/graphql-ops.js';
import { Deep, deepValue, hostileKey, hostileNumber, hostileString, hostileValue, jsonText, rawBody, withProtoKey } from './helpers/hostile.js';
import { restClient } from './helpers/http.js';
import { startFakeGoogle, type FakeGoogle } from './helpers/fake-google.js';
import { Fixture, graphqlOperations, matrixEnv, restOperations, startMatrixServer, type Env, type RestCall } from './helpers/operations.js';
import type { TestServer } from './helpers/server.js';

/**
 * Property-based fuzzing (fast-check) of every REST body, query string and path parameter,
 * and of every GraphQL argument and document: random, boundary and hostile values, wrong
 * types, injection syntax, path traversal in file names, prototype-pollution keys, NUL
 * bytes, invalid UTF-8, huge strings and deep nesting, each applied to a valid call of the
 * operation (from test/helpers/operations.ts, so a new operation is fuzzed once it has its
 * matrix entry). What must hold for every case:
 *
 * - never a 5xx, never `internal_error`;
 * - every REST rejection is the documented envelope `{"detail": {"error", "message", ...}}`
 *   with the status of its code; every GraphQL error carries a known `extensions.code`;
 * - a rejected call stores nothing (the database's summary is the same before and after),
 *   except where the operation's entry says why it must (`rejectionConsumes`: a single-use
 *   OAuth state burnt by a failed completion).
 *
 * FUZZ_RUNS sets the cases per operation (default 8, for the normal run on two drivers);
 * a nightly or bench run can ask for thousands. The normal run replays one fixed seed, so CI
 * is reproducible; FUZZ_SEED=random explores new cases (a failure prints its seed), and
 * FUZZ_SEED=<n> replays one.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 8);
const DEFAULT_SEED = 20261125;
const SEED = process.env.FUZZ_SEED === 'random' ? undefined : Number(process.env.FUZZ_SEED ?? DEFAULT_SEED);
const params = { numRuns: RUNS, ...(SEED !== undefined ? { seed: SEED } : {}), endOnFailure: true };

// One list for both doors, GraphQL's document errors included (src/common/errors.ts).
const KNOWN_CODES = new Set(Object.keys(ERROR_CODES).filter((c) => c !== 'internal_error'));

let server: TestServer;
let google: FakeGoogle;
let env: Env;
let state: DbState;
/** Cases run, by kind; `nested` counts those (REST and GraphQL) that put the hostile value below the root: a nested field or a list item. */
const cases = { rest: 0, graphql: 0, documents: 0, subscriptions: 0, nested: 0 };

beforeAll(async () => {
  google = await startFakeGoogle();
  server = await startMatrixServer(google);
  env = await matrixEnv(server, restClient(server.url), google);
  state = await dbState(server);
}, 120_000);

afterAll(async () => {
  const total = cases.rest + cases.graphql + cases.documents + cases.subscriptions;
  console.log(
    `fuzz (${server.config.db.driver}, ${RUNS} per operation${SEED !== undefined ? `, seed ${SEED}` : ''}): ${total} cases: ` +
      `${cases.rest} REST, ${cases.graphql} GraphQL arguments, ${cases.documents} GraphQL documents, ${cases.subscriptions} subscriptions (${cases.nested} of them below the root: nested fields, list items); no 5xx, every rejection enveloped, nothing stored by a rejection`,
  );
  await server?.close();
  await google?.close();
});

async function settle(): Promise<void> {
  await server.app.services.knowledge.drain();
  await server.app.services.conversations.drain();
}

/* ---------------------------------------------------------------------------------------- */
/* REST                                                                                     */

interface Sent {
  status: number;
  text: string;
}

/** A request exactly as given: raw path (no normalisation), raw body bytes. */
function send(method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<Sent> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method, path, headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    // The server may answer (413, 415) before it read the whole body and close: that is an answer.
    req.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' || e.code === 'ECONNRESET' ? resolve({ status: -1, text: e.code }) : reject(e)));
    if (body) req.end(body);
    else req.end();
  });
}

/** Percent-encodes every byte but the unreserved characters, so any string can be a path segment. */
const segment = (s: string): string =>
  [...Buffer.from(s, 'utf8')].map((b) => (/[A-Za-z0-9._~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, '0').toUpperCase()}`)).join('');

/** The field names a zod object schema takes (snake_case, as REST callers send them). */
function keysOf(schema: unknown): string[] {
  const s = schema as { shape?: Record<string, unknown>; _zod?: { def?: { in?: unknown; innerType?: unknown; schema?: unknown } } } | undefined;
  if (!s) return [];
  if (s.shape) return Object.keys(s.shape).map(toSnake);
  const def = s._zod?.def;
  return keysOf(def?.in ?? def?.innerType ?? def?.schema);
}

/**
 * Where a value can go below a body's root, from the valid call's own shape: each field of a
 * nested object and the first item of each list (and that item's fields), at any depth.
 */
function nestedPaths(v: unknown, path: string[] = []): string[][] {
  const out: string[][] = [];
  const children: [string, unknown][] = Array.isArray(v) ? (v.length ? [['0', v[0]]] : []) : v && typeof v === 'object' ? Object.entries(v) : [];
  for (const [k, x] of children) {
    const p = [...path, k];
    if (p.length >= 2) out.push(p);
    if (p.length < 6) out.push(...nestedPaths(x, p));
  }
  return out;
}

/** A copy of `v` with `value` at `path` (numeric keys index lists), made on the way where missing. */
function setDeep(v: unknown, path: readonly string[], value: unknown): unknown {
  if (!path.length) return value;
  const [head, ...rest] = path as [string, ...string[]];
  if (Array.isArray(v)) {
    const copy = [...(v as unknown[])];
    copy[Number(head)] = setDeep(copy[Number(head)], rest, value);
    return copy;
  }
  const copy: Record<string, unknown> = v && typeof v === 'object' ? { ...(v as Record<string, unknown>) } : {};
  Object.defineProperty(copy, head, { value: setDeep(copy[head], rest, value), enumerable: true, configurable: true, writable: true });
  return copy;
}

type RestCase =
  | { kind: 'field'; key: string; value: unknown }
  | { kind: 'nested'; path: string[]; value: unknown }
  | { kind: 'extra'; key: string; value: unknown }
  | { kind: 'proto'; value: unknown }
  | { kind: 'body'; value: unknown }
  | { kind: 'raw'; raw: { kind: string; bytes: Buffer } }
  | { kind: 'contentType'; type: string }
  | { kind: 'query'; key: string; value: string }
  | { kind: 'param'; key: string; value: string }
  | { kind: 'multipart'; filename: string; mime: string; bytes: Uint8Array; title: string };

function restCases(route: RestRoute, base: RestCall): fc.Arbitrary<RestCase> {
  const bodyKeys = [...new Set([...Object.keys((base.body as Record<string, unknown>) ?? {}), ...keysOf(route.body?.schema)])];
  const queryKeys = [...new Set([...Object.keys(base.query ?? {}), ...keysOf(route.query)])];
  const paramKeys = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  const options: fc.Arbitrary<RestCase>[] = [];
  if (route.body) {
    if (bodyKeys.length) options.push(fc.record({ kind: fc.constant('field' as const), key: fc.constantFrom(...bodyKeys), value: hostileValue }));
    const nested = nestedPaths(base.body);
    // As likely as a root field: a list item's text or a nested object's field is where a door forgets to look.
    if (nested.length) options.push(fc.record({ kind: fc.constant('nested' as const), path: fc.constantFrom(...nested), value: fc.oneof(hostileValue, deepValue, fc.constant(null)) }));
    options.push(
      fc.record({ kind: fc.constant('extra' as const), key: hostileKey, value: hostileValue }),
      fc.record({ kind: fc.constant('proto' as const), value: fc.oneof(fc.constant({ polluted: true }), hostileValue) }),
      fc.record({ kind: fc.constant('body' as const), value: fc.oneof(hostileValue, deepValue) }),
      fc.record({ kind: fc.constant('raw' as const), raw: rawBody }),
      fc.record({ kind: fc.constant('contentType' as const), type: fc.constantFrom('text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', '') }),
    );
    if (route.body.multipart) {
      options.push(
        fc.record({
          kind: fc.constant('multipart' as const),
          filename: hostileString.filter((s) => s.length < 2000),
          mime: fc.oneof(fc.constantFrom('application/pdf', 'text/plain', 'text/html', 'application/octet-stream', 'image/png', ''), hostileString.filter((s) => s.length < 200)),
          bytes: fc.oneof(fc.uint8Array({ maxLength: 2000 }), fc.constant(new TextEncoder().encode('%PDF-1.7\n%truncated')), fc.constant(new TextEncoder().encode('# A heading\n\nplain text'))),
          title: hostileString.filter((s) => s.length < 2000),
        }),
      );
    }
  }
  if (queryKeys.length) options.push(fc.record({ kind: fc.constant('query' as const), key: fc.constantFrom(...queryKeys), value: hostileString.filter((s) => s.length < 20_000) }));
  if (paramKeys.length) options.push(fc.record({ kind: fc.constant('param' as const), key: fc.constantFrom(...paramKeys), value: hostileString.filter((s) => s.length < 4000) }));
  if (!options.length) options.push(fc.record({ kind: fc.constant('query' as const), key: hostileKey, value: hostileString.filter((s) => s.length < 20_000) }));
  return fc.oneof(...options);
}

function describeCase(c: RestCase): string {
  const v = (x: unknown) => {
    const s = jsonText(x);
    return s && s.length > 120 ? `${s.slice(0, 120)}… (${s.length} chars)` : s;
  };
  switch (c.kind) {
    case 'field':
    case 'extra':
      return `${c.kind} ${v(c.key)} = ${v(c.value)}`;
    case 'nested':
      return `nested ${c.path.join('.')} = ${v(c.value)}`;
    case 'proto':
    case 'body':
      return `${c.kind} = ${v(c.value)}`;
    case 'raw':
      return `raw body: ${c.raw.kind}`;
    case 'contentType':
      return `content-type ${v(c.type)}`;
    case 'query':
    case 'param':
      return `${c.kind} ${c.key} = ${v(c.value)}`;
    case 'multipart':
      return `multipart file ${v(c.filename)} (${v(c.mime)}, ${c.bytes.length} bytes), title ${v(c.title)}`;
  }
}

async function sendRestCase(route: RestRoute, base: RestCall, auth: Auth, c: RestCase): Promise<Sent> {
  const headers: Record<string, string> = { ...(base.headers ?? {}) };
  if (auth.token) headers.authorization = `Bearer ${auth.token}`;
  if (auth.apiKey) headers['x-api-key'] = auth.apiKey;
  const paramsOf = { ...(base.params ?? {}) };
  if (c.kind === 'param') paramsOf[c.key] = c.value;
  const query = new URLSearchParams(base.query ?? {});
  let path = route.path.replace(/\{(\w+)\}/g, (_, p: string) => segment(paramsOf[p] ?? ''));
  let qs = query.toString();
  if (c.kind === 'query') qs = `${qs ? `${qs}&` : ''}${segment(c.key)}=${segment(c.value)}`;
  if (qs) path += `?${qs}`;

  const baseBody = (base.body ?? {}) as Record<string, unknown>;
  const json = (text: string, type = 'application/json') => {
    headers['content-type'] = type;
    return Buffer.from(text, 'utf8');
  };
  let body: Buffer | undefined;
  switch (c.kind) {
    case 'nested':
      body = json(jsonText(setDeep(baseBody, c.path, c.value)));
      break;
    case 'field':
      body = json(jsonText({ ...baseBody, [c.key]: c.value }));
      break;
    case 'extra': {
      const b: Record<string, unknown> = { ...baseBody };
      Object.defineProperty(b, c.key, { value: c.value, enumerable: true, configurable: true, writable: true });
      body = json(jsonText(b));
      break;
    }
    case 'proto':
      body = json(withProtoKey(baseBody, c.value));
      break;
    case 'body':
      body = json(jsonText(c.value));
      break;
    case 'raw':
      json('');
      body = c.raw.bytes;
      break;
    case 'contentType':
      body = json(JSON.stringify(baseBody), c.type);
      if (!c.type) delete headers['content-type'];
      break;
    case 'multipart': {
      const form = new FormData();
      form.append('file', new Blob([c.bytes], { type: c.mime }), c.filename);
      form.append('title', c.title);
      const req = new Request('http://x/', { method: 'POST', body: form });
      headers['content-type'] = req.headers.get('content-type')!;
      body = Buffer.from(await req.arrayBuffer());
      break;
    }
    default:
      if (route.body && base.body !== undefined) {
        body = base.form ? json(new URLSearchParams(baseBody as Record<string, string>).toString(), 'application/x-www-form-urlencoded') : json(JSON.stringify(baseBody));
      }
  }
  return send(route.method, path, headers, body);
}

/** What every REST answer must be: no 5xx; a rejection is the envelope with its code's status. */
function checkRest(res: Sent, what: string): boolean {
  if (res.status === -1) return false; // the server closed while the body was still being sent: an early answer
  expect(res.status, `${what}: ${res.text.slice(0, 300)}`).toBeLessThan(500);
  expect(res.status, what).toBeGreaterThanOrEqual(200);
  if (res.status < 400) return true;
  let body: { detail?: { error?: unknown; message?: unknown } };
  try {
    body = JSON.parse(res.text) as typeof body;
  } catch {
    throw new Error(`${what}: a ${res.status} that is not JSON: ${res.text.slice(0, 200)}`);
  }
  expect(Object.keys(body), `${what}: ${res.text.slice(0, 300)}`).toEqual(['detail']);
  expect(typeof body.detail?.message, what).toBe('string');
  const code = body.detail?.error as keyof typeof ERROR_CODES;
  expect(KNOWN_CODES.has(code), `${what}: unknown error code ${String(code)}`).toBe(true);
  expect(ERROR_CODES[code], `${what}: ${code} answered with ${res.status}`).toBe(res.status);
  return false;
}

describe('REST: every route, hostile bodies, query strings and path parameters', () => {
  for (const route of allRoutes) {
    it(`${route.method} ${route.path}`, async () => {
      const entry = restOperations[route.operationId];
      expect(entry, `${route.operationId} has no entry in test/helpers/operations.ts`).toBeDefined();
      // A fixture of its own: accepted cases may change or delete what the valid call names.
      const fx = new Fixture(env);
      const base = await entry!.call(fx, 'owner');
      const auth = await fx.credentials('owner', entry!.auth);
      await fc.assert(
        fc.asyncProperty(restCases(route, base), async (c) => {
          cases.rest++;
          if (c.kind === 'nested') cases.nested++;
          await settle();
          const before = await state.quick();
          const res = await sendRestCase(route, base, auth, c);
          const what = `${route.method} ${route.path} with ${describeCase(c)}`;
          const accepted = checkRest(res, what);
          await settle();
          if (!accepted && !entry!.rejectionConsumes) expect(await state.quick(), `${what} was rejected (${res.status}) but stored something`).toBe(before);
        }),
        params,
      );
    });
  }
});

/* ---------------------------------------------------------------------------------------- */
/* GraphQL                                                                                  */

const { getNamedType, isEnumType, isInputObjectType, isListType, isNonNullType, isScalarType } = graphqlCjs;

/** A value of the declared type: the schema lets it through, so the service must judge it. */
function typedValue(type: GraphQLInputType, depth = 0): fc.Arbitrary<unknown> {
  if (isNonNullType(type)) return typedValue(type.ofType, depth);
  if (isListType(type)) return fc.array(typedValue(type.ofType, depth + 1), { maxLength: depth > 1 ? 2 : 6 });
  const named = getNamedType(type);
  if (isEnumType(named)) return fc.constantFrom(...named.getValues().map((v) => v.name));
  if (isInputObjectType(named)) {
    if (depth > 2) return fc.constant({});
    const fields = Object.values(named.getFields());
    return fc.record(Object.fromEntries(fields.map((f) => [f.name, typedValue(f.type, depth + 1)])), { requiredKeys: fields.filter((f) => isNonNullType(f.type)).map((f) => f.name) });
  }
  if (isScalarType(named)) {
    switch (named.name) {
      case 'Int':
        return fc.oneof(fc.constantFrom(0, -1, 1, 2 ** 31 - 1, -(2 ** 31)), fc.integer());
      case 'Float':
        return hostileNumber;
      case 'Boolean':
        return fc.boolean();
      case 'DateTime':
        return fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), hostileString);
      default:
        return hostileString;
    }
  }
  return hostileValue;
}

/** Where a value can be put in the variables: each argument, and each field of an input object argument. */
interface Slot {
  path: string[];
  type: GraphQLInputType;
}
function slotsOf(args: readonly { name: string; type: GraphQLInputType }[]): Slot[] {
  const out: Slot[] = [];
  // Every argument, every field of an input object at any depth, and the first item of every
  // list (and its fields): nested inputs get the hostile values the root arguments get.
  const visit = (path: string[], type: GraphQLInputType, seen: ReadonlySet<string>): void => {
    out.push({ path, type });
    if (path.length >= 6) return;
    const inner = isNonNullType(type) ? type.ofType : type;
    if (isListType(inner)) return visit([...path, '0'], inner.ofType, seen);
    const named = getNamedType(type);
    if (!isInputObjectType(named) || seen.has(named.name)) return;
    for (const f of Object.values(named.getFields())) visit([...path, f.name], f.type, new Set([...seen, named.name]));
  };
  for (const a of args) visit([a.name], a.type, new Set());
  return out;
}

function setAt(vars: Record<string, unknown>, path: string[], value: unknown): Record<string, unknown> {
  return setDeep(structuredClone<Record<string, unknown>>(vars), path, value) as Record<string, unknown>;
}

/** Did the case change something below the root (a nested field or a list item)? */
function nestedIn(base: Record<string, unknown>, vars: Record<string, unknown>): boolean {
  const changedRoot = Object.keys({ ...base, ...vars }).filter((k) => jsonText(base[k]) !== jsonText(vars[k]));
  return changedRoot.some((k) => {
    const [b, v] = [base[k], vars[k]];
    if (!b || !v || typeof b !== 'object' || typeof v !== 'object') return false;
    // An input object argument with one of its fields changed: one level is a root field of the input; deeper counts as nested.
    const inner = Object.keys({ ...(b), ...(v) }).filter((f) => jsonText((b as Record<string, unknown>)[f]) !== jsonText((v as Record<string, unknown>)[f]));
    return inner.some((f) => {
      const [bf, vf] = [(b as Record<string, unknown>)[f], (v as Record<string, unknown>)[f]];
      return bf !== null && vf !== null && typeof bf === 'object' && typeof vf === 'object';
    });
  });
}

/** POST /graphql with variables that may hold Deep values. */
async function postRaw(query: string, vars: unknown, auth: Auth) {
  const res = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...authHeaders(auth) }, body: `{"query": ${JSON.stringify(query)}, "variables": ${jsonText(vars)}}` });
  const text = await res.text();
  let body: { errors?: { extensions?: Record<string, unknown> }[] } | null = null;
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    body = null;
  }
  return { status: res.status, text, body };
}

function checkGraphQL(status: number, text: string, body: { errors?: { extensions?: Record<string, unknown> }[] } | null, what: string): boolean {
  expect(status, `${what}: ${text.slice(0, 300)}`).toBeLessThan(500);
  expect(body, `${what}: not JSON: ${text.slice(0, 200)}`).not.toBeNull();
  for (const e of body!.errors ?? []) {
    const code = String(e.extensions?.code);
    expect(KNOWN_CODES.has(code), `${what}: error code ${code}: ${text.slice(0, 400)}`).toBe(true);
  }
  return !(body!.errors?.length);
}

describe('GraphQL: every argument of every query and mutation', () => {
  it.each([['Query'], ['Mutation']] as const)('%s fields', async (kind) => {
    const fields = (await rootFields()).filter((f) => f.kind === kind);
    for (const { key, field } of fields) {
      const entry = graphqlOperations[key];
      expect(entry, `${key} has no entry in test/helpers/operations.ts`).toBeDefined();
      const fx = new Fixture(env);
      const base = await entry!.vars(fx, 'owner');
      const auth = await fx.credentials('owner', entry!.auth);
      const slots = slotsOf(field.args);
      const variables: fc.Arbitrary<Record<string, unknown>> = slots.length
        ? fc.constantFrom(...slots).chain((slot) =>
            fc.oneof(typedValue(slot.type), hostileValue, fc.constant(null), fc.constant(undefined)).map((v) => (v === undefined ? setAt(base, [...slot.path.slice(0, -1), `unknown_${slot.path.at(-1)}`], 'x') : setAt(base, slot.path, v))),
          )
        : fc.dictionary(hostileKey, hostileValue, { maxKeys: 3 });
      await fc.assert(
        fc.asyncProperty(variables, async (vars) => {
          cases.graphql++;
          if (nestedIn(base, vars)) cases.nested++;
          await settle();
          const before = await state.quick();
          const query = await documentFor(key, Object.fromEntries(field.args.filter((a) => a.name in vars).map((a) => [a.name, true])));
          const res = await postRaw(query, vars, auth);
          const what = `${key} with ${jsonText(vars).slice(0, 300)}`;
          const accepted = checkGraphQL(res.status, res.text, res.body, what);
          await settle();
          if (!accepted && kind === 'Mutation' && !entry!.rejectionConsumes) expect(await state.quick(), `${what} was refused but stored something`).toBe(before);
        }),
        params,
      );
    }
    // Every field of a kind in one test: about 25 s on an idle machine, so the 30 s default is too tight under load.
  }, 300_000);

  it('documents: garbage, bottomless, huge and self-referencing', async () => {
    const fx = new Fixture(env);
    const auth = await fx.credentials('owner', 'bearer');
    const documents = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.constantFrom(
        `{ ${'me { '.repeat(3000)}id${' }'.repeat(3000)} }`,
        `${'{'.repeat(50_000)}${'}'.repeat(50_000)}`,
        `query { ${Array.from({ length: 20_000 }, (_, i) => `a${i}: __typename`).join(' ')} }`,
        'query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }',
        `query { __typename ${'@skip(if: false) '.repeat(5000)} }`,
        `query { __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } }`,
        'query { me { id } } mutation { logout }',
        'subscription { meUpdated { id } }',
        `query ($a: String = "${'x'.repeat(500_000)}") { __typename }`,
        'query { me(id: "\u0000") { id } }',
        '"\ud800" { me { id } }',
        '{ organizations(first: 99999999999999) { totalCount } }',
        '{ organizations(first: -1, last: -1, after: "\u0000", before: "x") { totalCount } }',
        `{ search(q: ${JSON.stringify("' OR 1=1 -- NEAR(a b) \"x*")}) { totalCount edges { node { snippet } } } }`,
      ),
    );
    const bodies = fc.oneof(
      documents.map((query) => ({ query })),
      fc.record({ query: fc.constant('query ($v: String) { __typename }'), variables: hostileValue }),
      fc.record({ query: hostileValue, operationName: hostileValue }),
      fc.constantFrom<unknown>([{ query: '{ __typename }' }, { query: '{ me { id } }' }], 'query', null, new Deep(100_000, 'object'), { query: '{ __typename }', variables: new Deep(100_000, 'array') }),
    );
    await fc.assert(
      fc.asyncProperty(bodies, async (body) => {
        cases.documents++;
        const res = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${auth.token}` }, body: jsonText(body) });
        const text = await res.text();
        let parsed: { errors?: { extensions?: Record<string, unknown> }[] } | null = null;
        try {
          parsed = JSON.parse(text) as typeof parsed;
        } catch {
          parsed = null;
        }
        checkGraphQL(res.status, text, parsed, `document ${jsonText(body).slice(0, 200)}`);
      }),
      { ...params, numRuns: RUNS * 6 },
    );
  });

  it('subscriptions: every argument, over graphql-ws', async () => {
    const fields = (await rootFields()).filter((f) => f.kind === 'Subscription');
    for (const { key, field } of fields) {
      const entry = graphqlOperations[key];
      expect(entry, `${key} has no entry in test/helpers/operations.ts`).toBeDefined();
      const fx = new Fixture(env);
      const base = await entry!.vars(fx, 'owner');
      const auth = await fx.credentials('owner', entry!.auth);
      const slots = slotsOf(field.args);
      if (!slots.length) continue;
      const variables = fc.constantFrom(...slots).chain((slot) => fc.oneof(typedValue(slot.type), hostileValue, fc.constant(null)).map((v) => setAt(base, slot.path, v)));
      await fc.assert(
        fc.asyncProperty(variables, async (vars) => {
          cases.subscriptions++;
          const query = await documentFor(key, Object.fromEntries(field.args.map((a) => [a.name, true])));
          // An accepted subscription waits for events that do not come: a short wait says it was accepted.
          const r = await subscribeOnce(server.wsUrl, query, vars, auth, undefined, 1500);
          const what = `${key} with ${jsonText(vars).slice(0, 300)}`;
          for (const e of r.errors ?? []) {
            const code = String(e.extensions?.code);
            // No answer in the short wait: accepted, waiting for events. 1009: a message over WS_MAX_PAYLOAD_BYTES.
            if (code === 'TIMEOUT' || code === 'CLOSED_1009') continue;
            expect(KNOWN_CODES.has(code), `${what}: error code ${code}: ${r.text.slice(0, 400)}`).toBe(true);
          }
          expect(r.closed?.code ?? 1000, `${what}: socket closed with ${JSON.stringify(r.closed)}`).not.toBe(4500);
          await settle();
        }),
        { ...params, numRuns: Math.max(2, Math.ceil(RUNS / 2)) },
      );
    }
  });
});
