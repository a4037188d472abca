import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Note } from '../src/modules/conversations/conversations.entities.js';
import { User } from '../src/modules/users/users.entities.js';
import { startFakeGoogle, type FakeGoogle } from './helpers/fake-google.js';
import { signUp } from './helpers/factories.js';
import { postGraphQL } from './helpers/graphql-ops.js';
import { restClient, type RestClient } from './helpers/http.js';
import { connectThroughRest, startGoogleGateway } from './helpers/integrations.js';
import type { TestServer } from './helpers/server.js';

/**
 * Pages walked forward and backward, compared with a model of the ordered list, on each of the
 * paging code paths (findConnection in relay.ts, for notes and organizations; the messages of
 * conversations.service; the nested keyset pages of organizations.loaders; the calendar events
 * of integrations.service),
 * with rows inserted anywhere in the order and deleted (the cursor's own row too) between pages.
 * Every page must be exactly what the model holds beyond the cursor at that moment, with exact
 * flags and totalCount; the walk must give every row that existed throughout exactly once, in order.
 *
 * PAGING_RUNS sets the walks per path (default 10, for the normal run on two drivers); the normal
 * run replays one fixed seed; PAGING_SEED=random explores, PAGING_SEED=<n> replays one.
 */
const RUNS = Number(process.env.PAGING_RUNS ?? 10);
const SEED = process.env.PAGING_SEED === 'random' ? undefined : Number(process.env.PAGING_SEED ?? 20261207);
const params = { numRuns: RUNS, ...(SEED !== undefined ? { seed: SEED } : {}), endOnFailure: true };

type Key = readonly (string | number)[];
interface Row {
  id: string;
  key: Key;
  gone: boolean;
}
interface Conn {
  totalCount: number;
  edges: { cursor: string; node: { id: string } }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}
type Request = { first?: number; after?: string; last?: number; before?: string };

/** One connection under test: how its list is ordered, how rows are made and removed, how a page is asked for. */
interface Subject {
  /** List order: negative when `a` comes first. */
  compare: (a: Key, b: Key) => number;
  /** A fresh, empty list for one walk. */
  reset: () => Promise<void>;
  /** Adds rows with a sort key drawn from `seed` (small seeds: ties, broken by id); returns them. */
  insert: (seed: number, upper: boolean) => Promise<Row[]>;
  /** Removes a row, or says the connection has no way to (then the op does nothing). */
  remove: ((row: Row) => Promise<void>) | null;
  page: (request: Request) => Promise<Conn>;
}

const cmp = (a: string | number, b: string | number): number => (a < b ? -1 : a > b ? 1 : 0);
const asc = (a: Key, b: Key): number => cmp(a[0]!, b[0]!) || cmp(a[1] ?? '', b[1] ?? '');
const desc = (a: Key, b: Key): number => -asc(a, b);

type Op = { kind: 'insert'; seed: number; upper: boolean } | { kind: 'delete'; pick: number } | { kind: 'deleteCursor' } | { kind: 'deleteBehind' } | { kind: 'peek' };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('insert' as const), seed: fc.nat(4), upper: fc.boolean() }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('delete' as const), pick: fc.nat(1000) }), weight: 2 },
  // The row of the cursor the next page starts from.
  { arbitrary: fc.record({ kind: fc.constant('deleteCursor' as const) }), weight: 2 },
  // That row and every one already walked past: nothing is left behind the cursor.
  { arbitrary: fc.record({ kind: fc.constant('deleteBehind' as const) }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('peek' as const) }), weight: 1 },
);
const walkArb = fc.record({
  initial: fc.array(fc.record({ seed: fc.nat(4), upper: fc.boolean() }), { minLength: 0, maxLength: 7 }),
  backward: fc.boolean(),
  size: fc.integer({ min: 1, max: 3 }),
  ops: fc.array(opArb, { maxLength: 10 }),
});

/** What the model says a page from `cursor` holds, with its flags and the list's size. */
function expectedPage(s: Subject, rows: Row[], backward: boolean, size: number, cursor: Key | null) {
  const live = rows.filter((r) => !r.gone).sort((a, b) => s.compare(a.key, b.key));
  if (!backward) {
    const after = cursor ? live.filter((r) => s.compare(r.key, cursor) > 0) : live;
    return { ids: after.slice(0, size).map((r) => r.id), hasNextPage: after.length > size, hasPreviousPage: cursor !== null && live.some((r) => s.compare(r.key, cursor) <= 0), total: live.length };
  }
  const before = cursor ? live.filter((r) => s.compare(r.key, cursor) < 0) : live;
  return { ids: size ? before.slice(-size).map((r) => r.id) : [], hasPreviousPage: before.length > size, hasNextPage: cursor !== null && live.some((r) => s.compare(r.key, cursor) >= 0), total: live.length };
}

type Walk = typeof walkArb extends fc.Arbitrary<infer T> ? T : never;

async function walk(s: Subject, w: Walk): Promise<void> {
  await s.reset();
  const rows: Row[] = [];
  for (const i of w.initial) rows.push(...(await s.insert(i.seed, i.upper)));
  const initial = rows.map((r) => r.id);
  const byId = () => new Map(rows.map((r) => [r.id, r]));

  const ask = async (size: number, cursor: { value: string; key: Key } | null, why: string) => {
    const req: Request = w.backward ? { last: size, ...(cursor ? { before: cursor.value } : {}) } : { first: size, ...(cursor ? { after: cursor.value } : {}) };
    const got = await s.page(req);
    const want = expectedPage(s, rows, w.backward, size, cursor?.key ?? null);
    const at = `${why} ${JSON.stringify(req)} over ${JSON.stringify(rows)}`;
    expect(got.edges.map((e) => e.node.id), at).toEqual(want.ids);
    expect(got.pageInfo, at).toEqual({
      hasNextPage: want.hasNextPage,
      hasPreviousPage: want.hasPreviousPage,
      startCursor: got.edges[0]?.cursor ?? null,
      endCursor: got.edges.at(-1)?.cursor ?? null,
    });
    expect(got.totalCount, at).toBe(want.total);
    return got;
  };

  const walked: string[] = [];
  let cursor: { value: string; key: Key } | null = null;
  let next = 0;
  for (let guard = 0; ; guard++) {
    if (guard > 60) throw new Error('the walk does not end');
    const got = await ask(w.size, cursor, 'page');
    const ids = got.edges.map((e) => e.node.id);
    walked.push(...(w.backward ? ids.reverse() : ids));
    const edge = w.backward ? got.edges[0] : got.edges.at(-1);
    if (edge) cursor = { value: edge.cursor, key: byId().get(edge.node.id)!.key };
    if (!(w.backward ? got.pageInfo.hasPreviousPage : got.pageInfo.hasNextPage)) break;
    const op = w.ops[next++];
    if (!op) continue;
    if (op.kind === 'insert') rows.push(...(await s.insert(op.seed, op.upper)));
    else if (op.kind === 'peek') await ask(0, cursor, 'empty page');
    else if (s.remove) {
      const live = rows.filter((r) => !r.gone);
      const at = (r: Row) => (cursor ? s.compare(r.key, cursor.key) * (w.backward ? -1 : 1) : 1);
      const victims =
        op.kind === 'delete' ? live.slice(op.pick % Math.max(1, live.length)).slice(0, 1) : live.filter((r) => (op.kind === 'deleteCursor' ? at(r) === 0 : at(r) <= 0));
      for (const victim of victims) {
        await s.remove(victim);
        victim.gone = true;
      }
    }
  }
  // The walk order, each row once, and every row that was there throughout.
  expect(new Set(walked).size, 'a row repeated').toBe(walked.length);
  const order = walked.map((id) => byId().get(id)!.key);
  const sorted = [...order].sort(s.compare);
  expect(w.backward ? order.reverse() : order).toEqual(sorted);
  const throughout = initial.filter((id) => !byId().get(id)!.gone);
  expect(throughout.filter((id) => !walked.includes(id)), 'rows skipped').toEqual([]);
}

const PAGE = 'totalCount edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }';
const ARGS = '$first: Int, $after: String, $last: Int, $before: String';
const PASS = 'first: $first, after: $after, last: $last, before: $before';

let google: FakeGoogle;
let server: TestServer;
let api: RestClient;
let me: { token: string; userId: string };

beforeAll(async () => {
  google = await startFakeGoogle();
  server = await startGoogleGateway(google, { GRAPHQL_MAX_COST: '1000000' });
  api = restClient(server.url);
  const u = await signUp(api);
  me = { token: u.accessToken, userId: u.user.id };
});
afterAll(async () => {
  await server?.close();
  await google?.close();
});

async function query(q: string, variables: Record<string, unknown>, path: string[]): Promise<Conn> {
  const r = await postGraphQL(server.url, q, variables, { token: me.token });
  if (r.body?.errors || !r.body?.data) throw new Error(r.text);
  return path.reduce<any>((d, k) => d?.[k], r.body.data) as Conn;
}
async function ok(res: Promise<{ status: number; body: any }>, what: string): Promise<any> {
  const r = await res;
  if (r.status >= 300) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Lower-case letters only, so SQLite's binary order, PostgreSQL's collation and JavaScript's agree. */
const letters = (n: number): string => {
  let s = '';
  do {
    s = String.fromCharCode(97 + (n % 26)) + s;
    n = Math.floor(n / 26);
  } while (n > 0);
  return s;
};

describe('paging walks against a model of the list, rows inserted and deleted between pages', () => {
  it('Query.notes (findConnection: updatedAt desc, id desc)', async () => {
    const base = Date.UTC(2026, 0, 1);
    const subject: Subject = {
      compare: desc,
      reset: async () => {
        await server.app.orm.em.fork().nativeDelete(Note, { user: me.userId });
      },
      insert: async (seed) => {
        const em = server.app.orm.em.fork();
        const at = new Date(base + seed * 1000);
        const n = em.create(Note, { user: em.getReference(User, me.userId), title: `n${seed}`, content: 'x', createdAt: at, updatedAt: at } as never);
        await em.flush();
        return [{ id: n.id, key: [at.getTime(), n.id], gone: false }];
      },
      remove: async (row) => {
        await ok(api.delete(`/api/core/notes/${row.id}`, { token: me.token }), 'delete note');
      },
      page: (req) => query(`query Notes(${ARGS}) { notes(${PASS}) { ${PAGE} } }`, req, ['notes']),
    };
    await fc.assert(fc.asyncProperty(walkArb, (w) => walk(subject, w)), params);
  });

  it('Organization.teams (organizations.loaders: name whatever its case, then id)', async () => {
    let org = '';
    let made = 0;
    const subject: Subject = {
      compare: asc,
      reset: async () => {
        org = (await ok(api.post('/api/organizations', { name: `Walk ${++made}` }, { token: me.token }), 'organization')).id;
      },
      insert: async (seed, upper) => {
        // The seed's letter first (teams of one seed are neighbours), then a unique tail.
        const lower = `${letters(seed)}${letters(++made)}`;
        const name = upper ? lower[0]!.toUpperCase() + lower.slice(1) : lower;
        const t = await ok(api.post(`/api/organizations/${org}/teams`, { name }, { token: me.token }), 'team');
        return [{ id: t.id as string, key: [lower, t.id as string], gone: false }];
      },
      remove: async (row) => {
        await ok(api.delete(`/api/organizations/${org}/teams/${row.id}`, { token: me.token }), 'delete team');
      },
      page: (req) => query(`query Teams($id: ID!, ${ARGS}) { organization(id: $id) { teams(${PASS}) { ${PAGE} } } }`, { id: org, ...req }, ['organization', 'teams']),
    };
    await fc.assert(fc.asyncProperty(walkArb, (w) => walk(subject, w)), params);
  });

  it('Query.organizations (findConnection: name whatever its case, then id)', async () => {
    // A user of its own: the teams' walks make organizations of the main one.
    const owner = (await signUp(api)).accessToken;
    let made = 0;
    const mine = async () => (await ok(api.get('/api/organizations?limit=100', { token: owner }), 'list')) as { id: string }[];
    const subject: Subject = {
      compare: asc,
      reset: async () => {
        for (const o of await mine()) await ok(api.delete(`/api/organizations/${o.id}`, { token: owner }), 'delete organization');
      },
      insert: async (seed, upper) => {
        const lower = `${letters(seed)}${letters(++made)}`;
        const name = upper ? lower[0]!.toUpperCase() + lower.slice(1) : lower;
        const o = await ok(api.post('/api/organizations', { name }, { token: owner }), 'organization');
        return [{ id: o.id as string, key: [lower, o.id as string], gone: false }];
      },
      remove: async (row) => {
        await ok(api.delete(`/api/organizations/${row.id}`, { token: owner }), 'delete organization');
      },
      page: async (req) => {
        const r = await postGraphQL(server.url, `query Orgs(${ARGS}) { organizations(${PASS}) { ${PAGE} } }`, req, { token: owner });
        if (r.body?.errors || !r.body?.data) throw new Error(r.text);
        return (r.body.data as { organizations: Conn }).organizations;
      },
    };
    await fc.assert(fc.asyncProperty(walkArb, (w) => walk(subject, w)), params);
  });

  it('Conversation.messages (conversations.service: position; turns only append)', async () => {
    let conversation = '';
    const subject: Subject = {
      compare: asc,
      reset: async () => {
        conversation = (await ok(api.post('/api/core/conversations', { title: 'Walk' }, { token: me.token }), 'conversation')).id;
      },
      insert: async (seed) => {
        await ok(api.post('/api/core/chat', { message: `Turn ${seed}`, conversation_id: conversation }, { token: me.token }), 'chat');
        const all = await query(`query All($id: ID!) { conversation(id: $id) { messages(last: 100) { edges { node { id position } } } } }`, { id: conversation }, ['conversation', 'messages']);
        return all.edges.slice(-2).map((e) => {
          const node = e.node as { id: string; position: number };
          return { id: node.id, key: [node.position], gone: false };
        });
      },
      remove: null,
      page: (req) => query(`query Messages($id: ID!, ${ARGS}) { conversation(id: $id) { messages(${PASS}) { ${PAGE} } } }`, { id: conversation, ...req }, ['conversation', 'messages']),
    };
    await fc.assert(fc.asyncProperty(walkArb, (w) => walk(subject, w)), params);
  });

  it('Query.calendarEvents (integrations.service: start, then id; events only added)', async () => {
    await connectThroughRest(api, { token: me.token });
    const HOUR = 3_600_000;
    let day = 0;
    let t0 = 0;
    // Each insert is a new session: scheduling is idempotent, so the same title and time twice would be one event.
    let made = 0;
    const subject: Subject = {
      compare: asc,
      // Each walk its own day of the calendar.
      reset: async () => {
        t0 = Date.UTC(2031, 0, 6 + ++day, 8);
      },
      insert: async (seed) => {
        const start = new Date(t0 + seed * HOUR).toISOString();
        const e = await ok(api.post('/api/integrations/google-calendar/study-sessions', { title: `At ${seed} (${++made})`, start, duration_minutes: 30 }, { token: me.token }), 'session');
        return [{ id: e.id as string, key: [start, e.id as string], gone: false }];
      },
      remove: null,
      page: (req) =>
        query(
          `query Events($from: DateTime, $to: DateTime, ${ARGS}) { calendarEvents(from: $from, to: $to, ${PASS}) { ${PAGE} } }`,
          { from: new Date(t0).toISOString(), to: new Date(t0 + 12 * HOUR).toISOString(), ...req },
          ['calendarEvents'],
        ),
    };
    await fc.assert(fc.asyncProperty(walkArb, (w) => walk(subject, w)), params);
  });
});
