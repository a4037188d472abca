import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allRoutes } from '../src/modules/index.js';
import type { RestRoute } from '../src/rest/route-table.js';
import { dbState, type DbState } from './helpers/db-state.js';
import { startFakeGoogle, type FakeGoogle } from './helpers/fake-google.js';
import { documentFor, graphqlCjs, postGraphQL, rootFields, type FieldKey } from './helpers/graphql-ops.js';
import { restClient, type RestClient } from './helpers/http.js';
import { baseKey, expected, Fixture, graphqlOperations, matrixEnv, restOperations, startMatrixServer, type Env, type RestCall, type Who } from './helpers/operations.js';
import { ManualClock } from './helpers/clock.js';
import type { TestServer } from './helpers/server.js';
import { TWINS } from './helpers/twins.js';

/**
 * Parity generated from the route table: for every REST operation with a GraphQL twin
 * (test/helpers/twins.ts), each door is called on a fixture of its own with the input the
 * matrix uses for it (test/helpers/operations.ts), and
 *
 * - the valid call, by a caller the rule allows (the owner, else the first of member, admin,
 *   stranger, platform administrator), succeeds through both, and stores the same thing: the
 *   rows it added and removed (an update is one of each), every table compared, with what
 *   differs between two fixtures by construction (ids, times, tokens, numbered names) masked;
 * - the same invalid input gives the same error code (and the same fields) through both: a
 *   NUL byte in the first field that is text on both doors (a GraphQL `String`), else the
 *   call from a caller who may not (no credentials, else a stranger).
 * - a value GraphQL's own types refuse (an enum member that does not exist, a malformed
 *   `Date` or `DateTime`) is refused by both doors, each the way its contract says: REST's
 *   `validation_error` naming the field, GraphQL's `bad_user_input` (the request error
 *   graphql-js raises while coercing the variables, before any resolver runs, as the GraphQL
 *   spec has it and the README's error table documents). REST's JSON has no such types, so its
 *   schema validation is where it refuses them; no door answers the other's code for them.
 *
 * Each door has a cast of its own (users, organization, keys), and both run the same cases in
 * the same order: whatever a case leaves behind (a nickname set, a live session ended, a task
 * attempted) it leaves on both sides, so each case starts from the same state through both
 * doors, however the cases are picked or ordered.
 *
 * A route missing from the twins map fails the coverage test, so a new route cannot skip this.
 */

let server: TestServer;
/**
 * The server's clock: caught up with the real time at the start of each case, then still while it
 * runs, so what a case measures in time (a live session's seconds) is the same through both doors
 * however loaded the machine is.
 */
const clock = new ManualClock();
const catchUp = () => clock.advance(Math.max(0, Date.now() - clock.now()));
let google: FakeGoogle;
let api: RestClient;
/** The REST door's cast and the GraphQL door's. */
let envRest: Env;
let envGql: Env;
let state: DbState;
const counted = { valid: 0, invalid: 0 };

beforeAll(async () => {
  google = await startFakeGoogle();
  server = await startMatrixServer(google, {}, { clock });
  api = restClient(server.url);
  [envRest, envGql] = await Promise.all([matrixEnv(server, api, google), matrixEnv(server, api, google)]);
  state = await dbState(server);
});
afterAll(async () => {
  console.log(`parity: ${counted.valid} valid and ${counted.invalid} invalid cases through both doors`);
  await server?.close();
  await google?.close();
});

const routeOf = (operationId: string): RestRoute | undefined => allRoutes.find((r) => r.operationId === operationId);
const twins = Object.entries(TWINS).filter((e): e is [string, FieldKey] => typeof e[1] === 'string');

describe('coverage', () => {
  it('says for every route of the REST table whether it has a GraphQL twin, and names only twins that exist', async () => {
    const ops = Object.keys(restOperations);
    const missing = ops.filter((k) => !(k in TWINS));
    expect(missing, `REST operations missing from test/helpers/twins.ts (name the GraphQL twin, or say why there is none): ${missing.join(', ')}`).toEqual([]);
    expect(Object.keys(TWINS).filter((k) => !ops.includes(k)), 'twins of operations that do not exist').toEqual([]);
    const fields = (await rootFields()).map((f) => f.key);
    for (const [op, field] of twins) {
      expect(fields, `${op}'s twin`).toContain(baseKey(field));
      expect(graphqlOperations[field], `${op}'s twin ${field} has a matrix entry`).toBeDefined();
      expect(routeOf(baseKey(op)), op).toBeDefined();
    }
    // Every operationId of the route table has its matrix entry (permissions.test.ts), and so a line here.
    for (const r of allRoutes) expect(ops.some((k) => baseKey(k) === r.operationId), r.operationId).toBe(true);
  });
});

/** Waits for the work a call started in the background: document ingestion, chat turns, jobs (a search rebuild). */
async function settle(): Promise<void> {
  await server.app.services.knowledge.drain();
  await server.app.services.conversations.drain();
}

/** What a call added and removed, row by row, with what differs between fixtures masked. */
type Change = string[];

const MASKS: [RegExp, string][] = [
  [/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<id>'],
  [/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)?/g, '<time>'],
  [/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?([+-]\d\d(:?\d\d)?)?/g, '<time>'],
  [/[A-Za-z0-9_-]{20,}/g, '<token>'],
  [/\d+/g, '#'],
];
const mask = (v: unknown): unknown => {
  if (v instanceof Date) return '<time>';
  if (typeof v === 'number' && v > 1e12) return '<time>';
  if (typeof v === 'bigint') return mask(Number(v));
  if (typeof v === 'string') return MASKS.reduce((s, [re, by]) => s.replace(re, by), v);
  if (Buffer.isBuffer(v)) return `<bytes ${v.length}>`;
  return v;
};

async function rowsNow(): Promise<Map<string, number>> {
  const all = await state.rows();
  const out = new Map<string, number>();
  for (const [table, rows] of Object.entries(all)) {
    for (const r of rows) {
      const key = `${table} ${JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`;
      out.set(key, (out.get(key) ?? 0) + 1);
    }
  }
  return out;
}

function changeBetween(before: Map<string, number>, after: Map<string, number>): Change {
  const out: string[] = [];
  for (const [k, n] of after) for (let i = (before.get(k) ?? 0); i < n; i++) out.push(`+ ${maskRow(k)}`);
  for (const [k, n] of before) for (let i = (after.get(k) ?? 0); i < n; i++) out.push(`- ${maskRow(k)}`);
  return out.sort();
}
/** Rows added and removed, by table: `{ "+ notes": 1, "- notes": 1 }` for an update of one note. */
const shape = (change: Change): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const line of change) {
    const key = line.split(' ', 2).join(' ');
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
};
const maskRow = (line: string): string => {
  const space = line.indexOf(' ');
  const row = JSON.parse(line.slice(space + 1)) as Record<string, unknown>;
  return `${line.slice(0, space)} ${JSON.stringify(Object.fromEntries(Object.entries(row).map(([c, v]) => [c, mask(v)])))}`;
};

interface Result {
  code: string;
  fields?: string[];
}
const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

async function viaRest(route: RestRoute, c: RestCall, auth: { token?: string; apiKey?: string }): Promise<Result> {
  const path = route.path.replace(/\{(\w+)\}/g, (_, p: string) => encodeURIComponent(c.params?.[p] ?? `missing-${p}`)) + (c.query ? `?${new URLSearchParams(c.query).toString()}` : '');
  const res = await api.request(route.method, path, c.body, { ...auth, form: c.form, headers: c.headers });
  if (res.status < 300) return { code: 'ok' };
  const d = res.body?.detail ?? {};
  return { code: String(d.error), ...(d.fields ? { fields: (d.fields as { loc: string[] }[]).map((f) => f.loc.slice(1).map(camel).join('.')).sort() } : {}) };
}

async function viaGraphQL(field: FieldKey, vars: Record<string, unknown>, auth: { token?: string; apiKey?: string }): Promise<Result> {
  const r = await postGraphQL(server.url, await documentFor(baseKey(field) as FieldKey, vars), vars, auth);
  const errors = r.body?.errors as { path?: string[]; extensions?: Record<string, unknown> }[] | undefined;
  const e = errors?.[0];
  if (!e) {
    const data = r.body?.data as Record<string, unknown> | undefined;
    // A lookup by id answers null for what the caller may not read.
    return data && Object.values(data).every((v) => v === null) ? { code: 'not_found' } : { code: 'ok' };
  }
  const fields = e.extensions?.fields as { path: string[] }[] | undefined;
  return { code: String(e.extensions?.code), ...(fields ? { fields: fields.map((f) => f.path.join('.')).sort() } : {}) };
}

/** Every text leaf of a value, in order, as paths (snake_case keys for REST, camelCase for GraphQL); lists are left out. */
function textLeaves(v: unknown, path: string[] = []): string[][] {
  if (typeof v === 'string') return [path];
  if (v && typeof v === 'object' && !Array.isArray(v)) return Object.entries(v).flatMap(([k, x]) => textLeaves(x, [...path, k]));
  return [];
}
const setAt = (v: unknown, path: string[], value: unknown): unknown => {
  if (!path.length) return value;
  const [head, ...rest] = path;
  const o = { ...(v as Record<string, unknown>) };
  o[head!] = setAt(o[head!], rest, value);
  return o;
};
const getAt = (v: unknown, path: string[]): unknown => path.reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), v);

/** The GraphQL type of the value at `path` in a root field's arguments (in its `input` when it takes one). */
async function gqlTypeAt(field: FieldKey, inInput: boolean, path: string[]): Promise<string | undefined> {
  const f = (await rootFields()).find((r) => r.key === baseKey(field))?.field;
  const [argName, ...rest] = inInput ? ['input', ...path] : path;
  let type = f?.args.find((a) => a.name === argName)?.type;
  for (const key of rest) {
    const named = type && graphqlCjs.getNamedType(type);
    type = named && graphqlCjs.isInputObjectType(named) ? named.getFields()[key]?.type : undefined;
  }
  return type && graphqlCjs.getNamedType(type).name;
}

/** Callers the valid case tries, in order: the first the rule allows calls. */
const VALID_CALLERS: readonly Who[] = ['owner', 'member', 'admin', 'stranger', 'platformAdmin'];

/**
 * Cases that cannot be equal, each with its reason. Each runs as `it.fails`, so it fails the
 * suite the day it passes: then it leaves this list. Nothing may be added to it without a reason.
 */
const NOT_YET_EQUAL = new Set<string>([]);
const test = (op: string, kind: 'valid' | 'invalid') => (NOT_YET_EQUAL.has(`${op} ${kind}`) ? it.fails : it);

describe('REST and its GraphQL twin, generated from the route table', () => {
  for (const [op, field] of twins) {
    const route = routeOf(baseKey(op))!;
    const rest = restOperations[op]!;
    const graph = graphqlOperations[field]!;

    test(op, 'valid')(`${op} ≡ ${field}: the same valid input stores the same rows`, async () => {
      const who = VALID_CALLERS.find((w) => expected(rest, w) === 'ok');
      expect(who, `a caller ${op}'s rule allows`).toBeDefined();
      expect(expected(graph, who!), `${field} allows ${who} as ${op} does`).toBe('ok');
      catchUp();
      const fxRest = new Fixture(envRest);
      const call = await rest.call(fxRest, who!);
      const restAuth = await fxRest.credentials(who!, rest.auth);
      const fxGql = new Fixture(envGql);
      const vars = await graph.vars(fxGql, who!);
      const gqlAuth = await fxGql.credentials(who!, graph.auth);

      // Background work (document ingestion, a chat turn's reply, a search rebuild) finishes before
      // each snapshot: what a call stores includes what it started.
      const settled = async () => (await settle(), await rowsNow());
      const b0 = await settled();
      const r = await viaRest(route, call, restAuth);
      const restChange = changeBetween(b0, await settled());
      const g0 = await settled();
      const g = await viaGraphQL(field, vars, gqlAuth);
      const gqlChange = changeBetween(g0, await settled());
      counted.valid++;
      expect(r, `REST ${op}`).toEqual({ code: 'ok' });
      expect(g, `GraphQL ${field}`).toEqual({ code: 'ok' });
      // The two doors' fixture inputs are written separately (operations.ts), so literal values may
      // differ: what must match is the stored shape, table by table, rows added and removed.
      expect(shape(gqlChange), `what GraphQL ${field} stored, against what REST ${op} stored:\n${gqlChange.join('\n')}\n---\n${restChange.join('\n')}`).toEqual(shape(restChange));
    });

    test(op, 'invalid')(`${op} ≡ ${field}: the same invalid input gives the same error`, async () => {
      const owner = VALID_CALLERS.find((w) => expected(rest, w) === 'ok') ?? 'owner';
      catchUp();
      const fxRest = new Fixture(envRest);
      const fxGql = new Fixture(envGql);
      const call = await rest.call(fxRest, owner);
      const vars = await graph.vars(fxGql, owner);
      // The GraphQL input object holding the REST body's fields (mutations take one `input`), or the arguments.
      const inInput = vars.input !== undefined;
      const gqlBody = (inInput ? vars.input : vars) as Record<string, unknown>;
      const spoil = (restPath: string[], gqlPath: string[], value: string): [RestCall, Record<string, unknown>] => [
        call.body !== undefined ? { ...call, body: setAt(call.body, restPath, value) } : { ...call, query: setAt(call.query, restPath, value) as Record<string, string> },
        inInput ? { ...vars, input: setAt(vars.input, gqlPath, value) } : (setAt(vars, gqlPath, value) as Record<string, unknown>),
      ];
      // The REST input's text fields that GraphQL has as text (String) or as a type of its own (an enum, a date).
      let text: [string[], string[]] | undefined;
      let typed: [string[], string[], string] | undefined;
      for (const restPath of textLeaves(call.body ?? call.query)) {
        const gqlPath = restPath.map(camel);
        if (typeof getAt(gqlBody, gqlPath) !== 'string') continue;
        const type = await gqlTypeAt(field, inInput, gqlPath);
        if (type === 'String') text ??= [restPath, gqlPath];
        else if (type && type !== 'ID') typed ??= [restPath, gqlPath, type];
      }
      const nul = 'a\u0000b';
      let r: Result;
      let g: Result;
      if (text) {
        const [badCall, badVars] = spoil(text[0], text[1], nul);
        r = await viaRest(route, badCall, await fxRest.credentials(owner, rest.auth));
        g = await viaGraphQL(field, badVars, await fxGql.credentials(owner, graph.auth));
        expect(r.code, `REST ${op} with NUL in ${text[0].join('.')}`).toBe('validation_error');
      } else {
        // No text to spoil: the same input from a caller who may not (anonymous, else a stranger; anyone, where anyone may call).
        const who = (['anonymous', 'stranger'] as const).find((w) => expected(rest, w) !== 'ok') ?? 'anonymous';
        r = await viaRest(route, call, await fxRest.credentials(who, rest.auth));
        g = await viaGraphQL(field, vars, await fxGql.credentials(who, graph.auth));
      }
      counted.invalid++;
      expect(g, `GraphQL ${field} against REST ${op}`).toEqual(r);
      if (typed) {
        // A value outside GraphQL's own type: refused before anything runs, each door in its contract's words.
        const [restPath, gqlPath, type] = typed;
        const [badCall, badVars] = spoil(restPath, gqlPath, nul);
        const tr = await viaRest(route, badCall, await fxRest.credentials(owner, rest.auth));
        expect(tr, `REST ${op} with NUL in ${restPath.join('.')}`).toEqual({ code: 'validation_error', fields: [gqlPath.join('.')] });
        const tg = await postGraphQL(server.url, await documentFor(baseKey(field) as FieldKey, badVars), badVars, await fxGql.credentials(owner, graph.auth));
        const e = tg.body?.errors?.[0];
        expect([tg.status, e?.extensions?.code], `GraphQL ${field} with NUL in ${gqlPath.join('.')} (${type})`).toEqual([400, 'bad_user_input']);
        expect(e?.message, 'the refusal names the field').toContain(gqlPath.at(-1));
        expect(tg.body?.data, 'nothing ran').toBeUndefined();
      }
    });
  }
});
