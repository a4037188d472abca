import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ERROR_CODES } from '../src/common/errors.js';
import { allRoutes } from '../src/modules/index.js';
import type { RestRoute } from '../src/rest/route-table.js';
import { changedTables, dbState, type DbState } from './helpers/db-state.js';
import { documentFor, postGraphQL, rootFields, subscribeOnce, type Auth, type FieldKey } from './helpers/graphql-ops.js';
import { restClient, type RestClient } from './helpers/http.js';
import { WAIT_MS } from './helpers/wait.js';
import {
  ACTS_AS,
  baseKey,
  expected,
  Fixture,
  graphqlOperations,
  matrixEnv,
  restOperations,
  socketOperations,
  startMatrixServer,
  WHO,
  writes,
  type Env,
  type Outcome,
  type Rule,
  type Who,
} from './helpers/operations.js';
import { startFakeGoogle, type FakeGoogle } from './helpers/fake-google.js';
import type { TestServer } from './helpers/server.js';

/**
 * The permission matrix: every operation of both doors (every route of the REST table,
 * every root field of the GraphQL schema, the live socket) against every kind of caller:
 * anonymous, a stranger, each organization role, API keys with and without the scope (the
 * owner's, a member's, a stranger's), expired, revoked and address-restricted keys, expired
 * and revoked access tokens. The expectations come from one rule per operation
 * (test/helpers/operations.ts). Besides the outcome:
 *
 * - a refused call changes nothing: the whole database is compared around each
 *   operation's refused calls (and a one-statement summary around each call);
 * - no answer, allowed or refused, carries what the caller may not read: the owner's
 *   private things and the organization's things are marked, and the marks are looked for
 *   in every response body;
 * - a stranger gets not_found, never forbidden (the rule says so; the cells check it).
 */

let server: TestServer;
let google: FakeGoogle;
let api: RestClient;
let env: Env;
/** The fixture refused calls and reads run against; calls that change things get their own. */
let shared: Fixture;
let state: DbState;
const tally = { rest: { cells: 0, held: 0 }, graphql: { cells: 0, held: 0 }, socket: { cells: 0, held: 0 } };

beforeAll(async () => {
  google = await startFakeGoogle();
  server = await startMatrixServer(google);
  api = restClient(server.url);
  env = await matrixEnv(server, api, google);
  shared = new Fixture(env);
  await shared.materialize();
  state = await dbState(server);
}, 120_000);

afterAll(async () => {
  const line = (door: string, t: { cells: number; held: number }) => `  ${door.padEnd(8)} ${String(t.cells).padStart(5)} cells, ${t.held} held`;
  console.log(
    [
      `permission matrix (${server.config.db.driver}): ${Object.keys(restOperations).length} REST cases, ${Object.keys(graphqlOperations).length} GraphQL cases, ${Object.keys(socketOperations).length} socket cases × ${WHO.length} callers`,
      line('REST', tally.rest),
      line('GraphQL', tally.graphql),
      line('socket', tally.socket),
    ].join('\n'),
  );
  await server?.close();
  await google?.close();
});

/** Quiet: nothing left running in the background from an earlier cell (documents, partial replies). */
async function settle(): Promise<void> {
  await server.app.services.knowledge.drain();
  await server.app.services.conversations.drain();
}

/** The marks a caller may not see in any answer. */
function forbiddenMarks(who: Who): string[] {
  const role = ACTS_AS[who];
  const out: string[] = [];
  if (role !== 'owner') out.push(env.marks.private);
  if (role === 'stranger' || role === 'platformAdmin' || role === null) out.push(env.marks.org);
  return out;
}

function assertNoLeak(who: Who, door: string, text: string): void {
  for (const mark of forbiddenMarks(who)) {
    expect(text.includes(mark), `${door} as ${who} answered something it may not read (${mark === env.marks.private ? "the owner's private" : "the organization's"} mark): ${text.slice(0, 600)}`).toBe(false);
  }
}

type Result = { outcome: Outcome; text: string; status?: number };
/** Prepares a call (its fixture, its credentials, its input), then returns the call itself. */
type Prepare = (fx: Fixture, who: Who) => Promise<() => Promise<Result>>;

/**
 * Runs one operation's cells: refused callers first, on the shared fixture, each checked to
 * change nothing; then the whole database is compared; then allowed callers, on a fixture of
 * their own when the operation changes things.
 */
function cells(title: string, rule: Rule, readByDefault: boolean, prepare: Prepare, t: { cells: number; held: number }): void {
  describe(title, () => {
    const refused = WHO.filter((w) => expected(rule, w) !== 'ok');
    const allowed = WHO.filter((w) => expected(rule, w) === 'ok');
    const changing = writes(rule, readByDefault);
    const calls = new Map<Who, () => Promise<Result>>();
    let before: Record<string, string>;

    it('(refused calls prepared, database state recorded)', async () => {
      for (const who of refused) calls.set(who, await prepare(shared, who));
      await settle();
      before = await state.full();
    });
    for (const who of refused) {
      const want = expected(rule, who);
      it(`${who} → ${want}`, async () => {
        t.cells++;
        const q0 = await state.quick();
        const got = await calls.get(who)!();
        expect(got.outcome, `${title} as ${who}: ${got.text.slice(0, 600)}`).toBe(want);
        if (got.status !== undefined) expect(got.status).toBe(ERROR_CODES[want as keyof typeof ERROR_CODES]);
        assertNoLeak(who, title, got.text);
        await settle();
        expect(await state.quick(), `${title} as ${who} was refused but changed the database`).toBe(q0);
        t.held++;
      });
    }
    it(`the ${refused.length} refused callers changed nothing`, async () => {
      await settle();
      expect(changedTables(before, await state.full())).toEqual([]);
    });
    for (const who of allowed) {
      it(`${who} → ok`, async () => {
        t.cells++;
        const fx = changing ? new Fixture(env) : shared;
        const got = await (await prepare(fx, who))();
        expect(got.outcome, `${title} as ${who}: ${got.text.slice(0, 600)}`).toBe('ok');
        assertNoLeak(who, title, got.text);
        await settle();
        t.held++;
      });
    }
  });
}

/**
 * The outcome of a GraphQL operation: the error of the root field. Errors deeper down are
 * reads the generated selection asks for beyond the operation itself (a key allowed to
 * create a team, without organizations:read, may not list the team's members): they do not
 * decide the cell, unless they are anything but a missing scope.
 */
function gqlOutcome(errors: readonly { path?: readonly (string | number)[]; extensions?: Record<string, unknown> }[] | undefined, data: unknown, nullMeans?: Outcome): Outcome {
  const root = errors?.find((e) => !e.path || e.path.length <= 1);
  if (root) return root.extensions?.code as Outcome;
  // A lookup by id answers null, without an error, for what the caller may not see (`node`, `note(id:)`...).
  const fields = data && typeof data === 'object' ? Object.values(data) : [];
  if (fields.length === 1 && fields[0] === null) return 'not_found';
  const other = errors?.find((e) => e.extensions?.code !== 'INSUFFICIENT_API_KEY_SCOPE');
  if (other) return `${String(other.extensions?.code)} at ${other.path?.join('.')}` as Outcome;
  // `node` answers null, never an error, for what the caller may not read: the entry says what that null stands for.
  if (nullMeans && !errors?.length && data && Object.values(data).every((v) => v === null)) return nullMeans;
  return errors?.length || data ? 'ok' : ('no data' as Outcome);
}

const routeOf = (operationId: string): RestRoute | undefined => allRoutes.find((r) => r.operationId === operationId);

async function prepareRest(route: RestRoute, fx: Fixture, who: Who, entry: (typeof restOperations)[string]): Promise<() => Promise<Result>> {
  const c = await entry.call(fx, who);
  const auth = await fx.credentials(who, entry.auth);
  const path = route.path.replace(/\{(\w+)\}/g, (_, p: string) => encodeURIComponent(c.params?.[p] ?? `missing-${p}`)) + (c.query ? `?${new URLSearchParams(c.query).toString()}` : '');
  return async () => {
    const res = await api.request(route.method, path, c.body, { ...auth, form: c.form, headers: c.headers });
    const text = typeof res.body === 'string' ? res.body : JSON.stringify(res.body);
    const outcome: Outcome = res.status < 300 ? 'ok' : res.body?.detail?.error;
    return { outcome, text, status: res.status };
  };
}

describe('coverage', () => {
  it('has an entry for every route of the REST table, and no entry for a route that does not exist', () => {
    const ids = allRoutes.map((r) => r.operationId);
    const missing = ids.filter((id) => !Object.keys(restOperations).some((k) => baseKey(k) === id));
    expect(missing, `REST operations without a matrix entry in test/helpers/operations.ts: ${missing.join(', ')}`).toEqual([]);
    const stale = Object.keys(restOperations).filter((k) => !ids.includes(baseKey(k)));
    expect(stale, 'entries for operations the route table does not have').toEqual([]);
  });

  it('has an entry for every root field of the GraphQL schema', async () => {
    const keys = (await rootFields()).map((f) => f.key);
    const missing = keys.filter((k) => !Object.keys(graphqlOperations).some((e) => baseKey(e) === k));
    expect(missing, `GraphQL fields without a matrix entry in test/helpers/operations.ts: ${missing.join(', ')}`).toEqual([]);
    const stale = Object.keys(graphqlOperations).filter((e) => !keys.includes(baseKey(e) as FieldKey));
    expect(stale, 'entries for fields the schema does not have').toEqual([]);
  });

  it('declares in the route table and in the schema what each entry says the service enforces', async () => {
    for (const [key, entry] of Object.entries(restOperations)) {
      expect(routeOf(baseKey(key))!.auth, `route ${key}`).toBe(entry.auth);
    }
    const fields = Object.fromEntries((await rootFields()).map((f) => [f.key, f.field]));
    for (const [key, entry] of Object.entries(graphqlOperations)) {
      if (entry.auth === 'public' || entry.auth === 'optional') continue;
      const description = fields[baseKey(key)]!.description ?? '';
      expect(description, `the description of ${key}`).toContain(entry.auth === 'bearer' ? 'Bearer token only' : `\`${entry.auth}\``);
    }
  });
});

describe('REST', () => {
  for (const [key, entry] of Object.entries(restOperations)) {
    const route = routeOf(baseKey(key));
    if (!route) continue;
    cells(`${route.method} ${route.path}${key.includes('#') ? ` (${key.split('#')[1]})` : ''}`, entry, route.method === 'GET', (fx, who) => prepareRest(route, fx, who, entry), tally.rest);
  }
});

describe('GraphQL', () => {
  for (const [key, entry] of Object.entries(graphqlOperations)) {
    const field = baseKey(key) as FieldKey;
    const subscription = field.startsWith('Subscription.');
    const rule = subscription ? { ...entry, writes: true } : entry;
    cells(
      key,
      rule,
      field.startsWith('Query.'),
      async (fx, who) => {
        const vars = await entry.vars(fx, who);
        const auth: Auth = await fx.credentials(who, entry.auth);
        const query = await documentFor(field, vars);
        return async () => {
        if (subscription) {
          const r = await subscribeOnce(server.wsUrl, query, vars, auth, entry.trigger ? () => entry.trigger!(fx, who) : undefined);
          return { outcome: r.errors || r.first ? gqlOutcome(r.errors ?? undefined, r.first?.data, entry.nullMeans) : (`no result (${JSON.stringify(r.closed)})` as Outcome), text: r.text };
        }
        const r = await postGraphQL(server.url, query, vars, auth);
        expect(r.status, `GraphQL ${key} as ${who}: ${r.text.slice(0, 300)}`).toBeLessThan(500);
        return { outcome: gqlOutcome(r.body?.errors, r.body?.data, entry.nullMeans), text: r.text };
        };
      },
      tally.graphql,
    );
  }
});

describe('the live socket', () => {
  for (const [key, entry] of Object.entries(socketOperations)) {
    cells(
      key,
      entry,
      false,
      async (fx, who) => {
        const frames = await entry.frames(fx, who);
        const auth = await fx.credentials(who, entry.auth);
        return async () => {
        const headers: Record<string, string> = {};
        if (auth.token) headers.authorization = `Bearer ${auth.token}`;
        if (auth.apiKey) headers['x-api-key'] = auth.apiKey;
        const ws = new WebSocket(`${server.wsUrl}/api/live/ws`, { headers });
        const received: { type: string; data: any }[] = [];
        const closed = new Promise<void>((r) => ws.on('close', () => r()));
        ws.on('message', (m: Buffer) => received.push(JSON.parse(m.toString()) as { type: string; data: any }));
        await new Promise<void>((r, j) => {
          ws.on('open', () => r());
          ws.on('error', j);
        });
        for (const f of frames) ws.send(JSON.stringify(f));
        const deadline = Date.now() + WAIT_MS;
        while (!received.length && Date.now() < deadline && ws.readyState === ws.OPEN) await new Promise((r) => setTimeout(r, 20));
        const first = received[0];
        if (first?.type === 'session-started') {
          // Ended here, so the session is settled before the next cell looks at the database.
          ws.send(JSON.stringify({ type: 'end-session' }));
        } else ws.close();
        await closed;
        const outcome = (first?.type === 'session-started' ? 'ok' : first?.type === 'error' ? first.data.error : `no answer`) as Outcome;
        return { outcome, text: JSON.stringify(received) };
        };
      },
      tally.socket,
    );
  }
});
