import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arrayConnection, decodeCursor, encodeCursor, findConnection, pageRequest } from '../src/graphql/relay.js';
import { Note } from '../src/modules/conversations/conversations.entities.js';
import { User } from '../src/modules/users/users.entities.js';
import { signUp } from './helpers/factories.js';
import { restClient } from './helpers/http.js';
import { startServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let userId: string;
beforeAll(async () => {
  server = await startServer();
  const api = restClient(server.url);
  const u = await signUp(api);
  userId = u.user.id;
  const em = server.app.orm.em.fork();
  const base = Date.UTC(2026, 0, 1);
  for (let i = 0; i < 7; i++) em.create(Note, { user: em.getReference(User, userId), title: `n${i}`, content: 'x', createdAt: new Date(base + i * 1000), updatedAt: new Date(base + i * 1000) } as never);
  await em.flush();
});
afterAll(() => server?.close());

const titles = (page: { edges: { node: Note }[] }) => page.edges.map((e) => e.node.title);

describe('connections over entities (findConnection)', () => {
  // The flag of the direction not paged is a promise, read when a query selects it: awaited here as GraphQL would.
  const list = async (req: Parameters<typeof pageRequest>[0]) => {
    const page = await findConnection(server.app.orm.em.fork(), Note, { user: userId }, pageRequest(req), { createdAt: 'desc', id: 'desc' });
    const { hasNextPage, hasPreviousPage, startCursor, endCursor } = page.pageInfo;
    return { edges: page.edges, pageInfo: { hasNextPage: await hasNextPage, hasPreviousPage: await hasPreviousPage, startCursor, endCursor }, totalCount: page.totalCount };
  };

  it('pages forward with first/after and backward with last/before, in the list order both ways', async () => {
    const p1 = await list({ first: 3 });
    expect(titles(p1)).toEqual(['n6', 'n5', 'n4']);
    expect(p1.pageInfo).toMatchObject({ hasNextPage: true, startCursor: p1.edges[0]!.cursor, endCursor: p1.edges[2]!.cursor });
    const p2 = await list({ first: 3, after: p1.pageInfo.endCursor });
    expect(titles(p2)).toEqual(['n3', 'n2', 'n1']);
    const p3 = await list({ first: 3, after: p2.pageInfo.endCursor });
    expect(titles(p3)).toEqual(['n0']);
    expect(p3.pageInfo.hasNextPage).toBe(false);
    const back = await list({ last: 2, before: p3.pageInfo.startCursor });
    expect(titles(back)).toEqual(['n2', 'n1']);
    expect(back.pageInfo.hasPreviousPage).toBe(true);
    const tail = await list({ last: 2 });
    expect(titles(tail)).toEqual(['n1', 'n0']);
    expect(tail.pageInfo.hasPreviousPage).toBe(true);
    const head = await list({ last: 3, before: p1.edges[2]!.cursor });
    expect(titles(head)).toEqual(['n6', 'n5']);
    expect(head.pageInfo.hasPreviousPage).toBe(false);
    expect(await p1.totalCount).toBe(7);
  });

  it('answers last: 0 as an empty backward page, saying whether edges precede it (MikroORM pages forward for a last of 0)', async () => {
    const none = await list({ last: 0 });
    expect(none.edges).toEqual([]);
    expect(none.pageInfo).toEqual({ hasNextPage: false, hasPreviousPage: true, startCursor: null, endCursor: null });
    const first = await list({ first: 1 });
    expect((await list({ last: 0, before: first.pageInfo.endCursor })).pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const second = await list({ first: 1, after: first.pageInfo.endCursor });
    expect((await list({ last: 0, before: second.pageInfo.endCursor })).pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });
    expect(await none.totalCount).toBe(await first.totalCount);
  });

  it('keeps a cursor valid when rows are inserted before it', async () => {
    const p1 = await list({ first: 2 });
    const em = server.app.orm.em.fork();
    em.create(Note, { user: em.getReference(User, userId), title: 'newest', content: 'x' } as never);
    await em.flush();
    expect(titles(await list({ first: 2, after: p1.pageInfo.endCursor }))).toEqual(['n4', 'n3']);
  });

  it('refuses a cursor that is not one, and first with last', async () => {
    await expect(list({ first: 2, after: 'not a cursor' })).rejects.toMatchObject({ code: 'validation_error' });
    expect(() => pageRequest({ first: 2, last: 2 })).toThrow(/not both/);
    expect(() => pageRequest({ first: 101 })).toThrow(/at most 100/);
  });

  it('refuses a cursor of the other direction rather than dropping it: first with before, last with after', async () => {
    const p1 = await list({ first: 3 });
    const cursor = p1.pageInfo.endCursor!;
    const refused = (req: Parameters<typeof pageRequest>[0]) => {
      try {
        pageRequest(req);
      } catch (e) {
        return e;
      }
      return null;
    };
    expect(refused({ first: 2, before: cursor })).toMatchObject({ code: 'validation_error', details: { fields: [{ loc: ['before'] }] } });
    expect(refused({ last: 2, after: cursor })).toMatchObject({ code: 'validation_error', details: { fields: [{ loc: ['after'] }] } });
    // before alone pages backward, after alone forward
    const all = titles(await list({ first: 20 }));
    expect(titles(await list({ before: cursor }))).toEqual(all.slice(0, 2));
    expect(titles(await list({ after: cursor }))).toEqual(all.slice(3));
  });

  it('refuses the cursor of another connection, whose values are not of its sort keys types, before any SQL', async () => {
    // notes by (createdAt, id): a teams cursor (name, id), an offset cursor, a number for the date
    for (const foreign of [encodeCursor(['red', '00000000-0000-4000-8000-000000000000']), encodeCursor([0]), encodeCursor([12, 'x']), encodeCursor([null, 'x'])]) {
      await expect(list({ first: 2, after: foreign })).rejects.toMatchObject({ code: 'validation_error', details: { fields: [{ loc: ['after'] }] } });
      await expect(list({ last: 2, before: foreign })).rejects.toMatchObject({ code: 'validation_error', details: { fields: [{ loc: ['before'] }] } });
    }
    // one of its own shape still pages
    expect(titles(await list({ first: 1, after: encodeCursor([new Date(Date.UTC(2026, 0, 1, 0, 0, 3)), 'ffffffff-ffff-4fff-bfff-ffffffffffff']) }))).toEqual(['n3']);
  });
});

describe('connections over lists in memory (arrayConnection)', () => {
  const items = ['a', 'b', 'c', 'd', 'e'];
  it('pages both ways by item key', () => {
    const p1 = arrayConnection(items, { first: 2 }, (x) => x);
    expect(p1.edges.map((e) => e.node)).toEqual(['a', 'b']);
    const p2 = arrayConnection(items, { first: 2, after: p1.pageInfo.endCursor! }, (x) => x);
    expect(p2.edges.map((e) => e.node)).toEqual(['c', 'd']);
    const back = arrayConnection(items, { last: 2, before: p2.pageInfo.startCursor! }, (x) => x);
    expect(back.edges.map((e) => e.node)).toEqual(['a', 'b']);
    expect(back.pageInfo).toMatchObject({ hasPreviousPage: false, hasNextPage: true });
    expect(decodeCursor(encodeCursor(['x']), 1)).toEqual(['x']);
  });
});
