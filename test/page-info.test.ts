import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCursor } from '../src/graphql/relay.js';
import { startFakeGoogle, type FakeGoogle } from './helpers/fake-google.js';
import { signUp } from './helpers/factories.js';
import { postGraphQL } from './helpers/graphql-ops.js';
import { restClient, type RestClient } from './helpers/http.js';
import { connectThroughRest, startGoogleGateway } from './helpers/integrations.js';
import type { TestServer } from './helpers/server.js';
import { countStatements } from './helpers/statements.js';

/**
 * The flags of the direction not paged (Relay cursor connections: `hasNextPage` under
 * `last`/`before`, `hasPreviousPage` under `first`/`after`) say whether edges lie beyond the
 * cursor given, on every paging code path: never true when nothing is there (a cursor past
 * either end, or the cursor of a row since deleted).
 */

interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}
interface Conn {
  edges: { cursor: string; node: { id: string } }[];
  pageInfo: PageInfo;
}

const PAGE = 'edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }';
const ARGS = '$first: Int, $after: String, $last: Int, $before: String';
const PASS = 'first: $first, after: $after, last: $last, before: $before';

let google: FakeGoogle;
let server: TestServer;
let api: RestClient;
let token: string;

beforeAll(async () => {
  google = await startFakeGoogle();
  server = await startGoogleGateway(google);
  api = restClient(server.url);
  token = (await signUp(api)).accessToken;
});
afterAll(async () => {
  await server?.close();
  await google?.close();
});

async function page(query: string, variables: Record<string, unknown>, path: string[]): Promise<Conn> {
  const r = await postGraphQL(server.url, query, variables, { token });
  if (r.body?.errors) throw new Error(JSON.stringify(r.body.errors));
  return path.reduce<any>((d, k) => d?.[k], r.body?.data) as Conn;
}
const ids = (c: Conn) => c.edges.map((e) => e.node.id);

async function ok(res: Promise<{ status: number; body: any }>, what: string): Promise<any> {
  const r = await res;
  if (r.status >= 300) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

describe('pageInfo in the direction not paged', () => {
  it('Conversation.messages: a cursor past the end has nothing after it, one before the start nothing before it', async () => {
    let id: string | undefined;
    for (let i = 0; i < 2; i++) id = (await ok(api.post('/api/core/chat', { message: `Hello ${i}`, ...(id ? { conversation_id: id } : {}) }, { token }), 'chat')).conversation_id;
    const q = `query Messages($id: ID!, ${ARGS}) { conversation(id: $id) { messages(${PASS}) { ${PAGE} } } }`;
    const at = (v: Record<string, unknown>) => page(q, { id, ...v }, ['conversation', 'messages']);
    const all = await at({ first: 10 });
    expect(all.edges).toHaveLength(4);

    const pastEnd = await at({ last: 1, before: encodeCursor([99]) });
    expect(ids(pastEnd)).toEqual([all.edges[3]!.node.id]);
    expect(pastEnd.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    // Before the last message: it follows the page.
    expect((await at({ last: 1, before: all.edges[3]!.cursor })).pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });

    const beforeStart = await at({ first: 1, after: encodeCursor([0]) });
    expect(ids(beforeStart)).toEqual([all.edges[0]!.node.id]);
    expect(beforeStart.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    expect((await at({ first: 1, after: all.edges[0]!.cursor })).pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });
    // Past the end going forward: an empty page, every message before it.
    expect((await at({ first: 1, after: encodeCursor([99]) })).pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
  });

  it('Query.notes (keyset, findConnection): the cursor of a row since deleted at either end', async () => {
    const made: string[] = [];
    for (let i = 0; i < 4; i++) made.push((await ok(api.post('/api/core/notes', { title: `Note ${i}`, content: 'x' }, { token }), 'note')).id);
    const q = `query Notes(${ARGS}) { notes(${PASS}) { ${PAGE} } }`;
    const at = (v: Record<string, unknown>) => page(q, v, ['notes']);
    const all = await at({ first: 10 });
    expect(all.edges).toHaveLength(4);
    const [newest, , , oldest] = all.edges;

    await ok(api.delete(`/api/core/notes/${oldest!.node.id}`, { token }), 'delete');
    const tail = await at({ last: 1, before: oldest!.cursor });
    expect(ids(tail)).toEqual([all.edges[2]!.node.id]);
    expect(tail.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    expect((await at({ last: 1, before: all.edges[2]!.cursor })).pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });
    expect((await at({ last: 0, before: oldest!.cursor })).pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });

    await ok(api.delete(`/api/core/notes/${newest!.node.id}`, { token }), 'delete');
    const head = await at({ first: 1, after: newest!.cursor });
    expect(ids(head)).toEqual([all.edges[1]!.node.id]);
    expect(head.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    expect((await at({ first: 1, after: all.edges[1]!.cursor })).pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    // An empty page past an end still says what lies on its other side.
    expect((await at({ first: 1, after: oldest!.cursor })).pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    expect((await at({ last: 1, before: newest!.cursor })).pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
  });

  it('Query.notes: the flag of the direction not paged is read only when a query selects it ("load more" stays one statement)', async () => {
    for (let i = 0; i < 3; i++) await ok(api.post('/api/core/notes', { title: `Counted ${i}`, content: 'x' }, { token }), 'note');
    const first = await page(`query { notes(first: 1) { ${PAGE} } }`, {}, ['notes']);
    const after = first.pageInfo.endCursor;
    const cost = (fields: string) => countStatements(server.app.orm, () => page(`query N($after: String) { notes(first: 1, after: $after) { edges { node { id } } pageInfo { ${fields} } } }`, { after }, ['notes']));
    const without = await countStatements(server.app.orm, () => page('query { notes(first: 1) { edges { node { id } } pageInfo { hasNextPage endCursor } } }', {}, ['notes']));
    expect(await cost('hasNextPage endCursor')).toBe(without);
    expect(await cost('hasNextPage hasPreviousPage endCursor')).toBe(without + 1);
  });

  it('Organization.teams (keyset pages batched by the loaders): the cursor of a team since deleted at either end', async () => {
    const org = await ok(api.post('/api/organizations', { name: 'Paged flags' }, { token }), 'organization');
    const teams: Record<string, string> = {};
    for (const name of ['Alpha', 'Beta', 'Gamma']) teams[name] = (await ok(api.post(`/api/organizations/${org.id}/teams`, { name }, { token }), 'team')).id;
    const q = `query Teams($id: ID!, ${ARGS}) { organization(id: $id) { teams(${PASS}) { ${PAGE} } } }`;
    const at = (v: Record<string, unknown>) => page(q, { id: org.id, ...v }, ['organization', 'teams']);
    const all = await at({ first: 10 });
    expect(ids(all)).toEqual([teams.Alpha, teams.Beta, teams.Gamma]);

    await ok(api.delete(`/api/organizations/${org.id}/teams/${teams.Gamma}`, { token }), 'delete');
    const tail = await at({ last: 1, before: all.edges[2]!.cursor });
    expect(ids(tail)).toEqual([teams.Beta]);
    expect(tail.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    expect((await at({ last: 1, before: all.edges[1]!.cursor })).pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });

    await ok(api.delete(`/api/organizations/${org.id}/teams/${teams.Alpha}`, { token }), 'delete');
    const head = await at({ first: 1, after: all.edges[0]!.cursor });
    expect(ids(head)).toEqual([teams.Beta]);
    expect(head.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
  });

  it('Query.search (positional cursors, offsetConnection): a cursor past the end has nothing after it, and a backward page from it ends the list', async () => {
    for (let i = 0; i < 3; i++) await ok(api.post('/api/core/notes', { title: `Zebrafinch ${i}`, content: 'zebrafinch' }, { token }), 'note');
    const q = `query Search(${ARGS}) { search(q: "zebrafinch", ${PASS}) { edges { cursor } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`;
    const at = (v: Record<string, unknown>) => page(q, v, ['search']);
    const all = await at({ first: 10 });
    expect(all.edges).toHaveLength(3);
    const pastEnd = await at({ last: 1, before: encodeCursor([3]) });
    expect(pastEnd.edges).toHaveLength(1);
    expect(pastEnd.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    expect((await at({ last: 1, before: encodeCursor([2]) })).pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });
    // Further past the end (a list that shrank below the cursor): the edges before it are the whole
    // list, so the page is its last items, as Relay cuts it.
    const far = await at({ last: 2, before: encodeCursor([10]) });
    expect(far.edges.map((e) => e.cursor)).toEqual(all.edges.slice(1).map((e) => e.cursor));
    expect(far.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    expect((await at({ last: 5, before: encodeCursor([10]) })).edges.map((e) => e.cursor)).toEqual(all.edges.map((e) => e.cursor));
    // Past the end going forward: nothing after, the whole list before.
    expect((await at({ first: 2, after: encodeCursor([10]) })).pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    // An empty list has nothing on either side of any cursor.
    const none = `query None(${ARGS}) { search(q: "nosuchwordanywhere", ${PASS}) { edges { cursor } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`;
    for (const v of [{ first: 2, after: encodeCursor([4]) }, { last: 2, before: encodeCursor([4]) }]) {
      expect((await page(none, v, ['search'])).pageInfo, JSON.stringify(v)).toEqual({ hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null });
    }
  });

  it('Query.calendarEvents (cut in memory): cursors past either end of the window', async () => {
    await connectThroughRest(api, { token });
    const t0 = Date.UTC(2031, 0, 6, 8);
    for (const h of [0, 2, 5]) await ok(api.post('/api/integrations/google-calendar/study-sessions', { title: `At +${h}h`, start: new Date(t0 + h * 3_600_000).toISOString(), duration_minutes: 30 }, { token }), 'session');
    const range = { from: new Date(t0).toISOString(), to: new Date(t0 + 24 * 3_600_000).toISOString() };
    const q = `query Events($from: DateTime, $to: DateTime, ${ARGS}) { calendarEvents(from: $from, to: $to, ${PASS}) { ${PAGE} } }`;
    const at = (v: Record<string, unknown>) => page(q, { ...range, ...v }, ['calendarEvents']);
    const all = await at({ first: 10 });
    expect(all.edges).toHaveLength(3);
    const late = encodeCursor([new Date(t0 + 20 * 3_600_000), 'zzzz']);
    const early = encodeCursor([new Date(t0 - 3_600_000), '']);
    const tail = await at({ last: 1, before: late });
    expect(ids(tail)).toEqual([all.edges[2]!.node.id]);
    expect(tail.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    const head = await at({ first: 1, after: early });
    expect(ids(head)).toEqual([all.edges[0]!.node.id]);
    expect(head.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    expect((await at({ first: 1, after: all.edges[0]!.cursor })).pageInfo).toMatchObject({ hasPreviousPage: true });
  });
});
