import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConversationsWithMessagesDocument, DocumentsDocument, OrganizationsDeepDocument, SearchDocument } from './generated/graphql.js';
import { signUp } from './helpers/factories.js';
import { gql } from './helpers/graphql.js';
import { restClient, type RestClient } from './helpers/http.js';
import { startServer, type TestServer } from './helpers/server.js';
import { countStatements as countSql } from './helpers/statements.js';

let server: TestServer;
let api: RestClient;

beforeAll(async () => {
  // Reading 100 organizations with their members and teams is far over the default cost limit,
  // which is for screens, and connections put two levels (edges, node) in every list: this file
  // counts statements, so both limits are out of its way.
  server = await startServer({ GRAPHQL_MAX_COST: '1000000', GRAPHQL_MAX_DEPTH: '16' });
  api = restClient(server.url);
});
afterAll(() => server.close());

const countStatements = (fn: () => Promise<unknown>) => countSql(server.app.orm, fn);

/** A user in `count` organizations, each with `perOrg` other members spread over two teams. */
async function world(count: number, perOrg: number) {
  const viewer = await signUp(api);
  const others = await Promise.all(Array.from({ length: perOrg }, () => signUp(api)));
  for (let i = 0; i < count; i++) {
    const org = await api.post('/api/organizations', { name: `Org ${i}` }, { token: viewer.accessToken });
    const teams = await Promise.all(['A', 'B'].map((name) => api.post(`/api/organizations/${org.body.id}/teams`, { name }, { token: viewer.accessToken })));
    for (const [j, o] of others.entries()) {
      await api.post(`/api/organizations/${org.body.id}/members`, { user_id: o.user.id, team_id: teams[j % 2]!.body.id }, { token: viewer.accessToken });
    }
  }
  return viewer;
}

describe('the statement counter', () => {
  it('counts each statement sent to the database, transaction statements included, and only while it counts', async () => {
    const em = server.app.orm.em.fork();
    expect(await countStatements(() => em.getConnection().execute('select 1'))).toBe(1);
    // begin, the update, commit.
    expect(await countStatements(() => em.transactional((tx) => tx.getConnection().execute("update users set full_name = full_name where id = '00000000-0000-4000-8000-000000000000'", [], 'run', tx.getTransactionContext())))).toBe(3);
    const outside = countStatements(async () => undefined);
    await em.getConnection().execute('select 1');
    expect(await outside).toBe(0);
  });
});

describe('query counts stay flat', () => {
  it('lists 50 organizations with members and teams in as many statements as 2 organizations', async () => {
    const small = await world(2, 3);
    const large = await world(50, 3);
    const run = (token: string) => gql(server.url, OrganizationsDeepDocument, { first: 100 }, token);

    const smallCount = await countStatements(async () => {
      const r = await run(small.accessToken);
      expect(r.errors).toBeUndefined();
      expect(r.data?.organizations.edges).toHaveLength(2);
    });
    let data: Awaited<ReturnType<typeof run>>['data'];
    const largeCount = await countStatements(async () => {
      const r = await run(large.accessToken);
      expect(r.errors).toBeUndefined();
      data = r.data;
    });
    expect(data?.organizations.edges).toHaveLength(50);
    for (const { node: org } of data!.organizations.edges) {
      expect(org.memberCount).toBe(4);
      expect(org.members.edges).toHaveLength(4);
      expect(org.members.totalCount).toBe(4);
      const teams = org.teams.edges.map((e) => e.node);
      expect(teams.map((t) => t.name)).toEqual(['A', 'B']);
      expect(teams.map((t) => t.memberCount)).toEqual([2, 1]);
      expect(teams[0]!.members.edges).toHaveLength(2);
      expect(teams[0]!.members.totalCount).toBe(2);
    }
    expect(largeCount).toBe(smallCount);
    // A fixed budget, not just equality: authentication, the page, and one or two per kind.
    expect(largeCount).toBeLessThanOrEqual(14);
  }, 300_000); // 150 accounts are made first: minutes on a busy machine; the assertion is on counts, not time.

  it('lists 20 conversations with their latest messages, and search hits with their conversations, in as many statements as 2', async () => {
    const talker = async (conversations: number) => {
      const u = await signUp(api);
      for (let i = 0; i < conversations; i++) {
        const first = await api.post('/api/core/chat', { message: `kumquat question ${i}` }, { token: u.accessToken });
        await api.post('/api/core/chat', { message: `kumquat follow-up ${i}`, conversation_id: first.body.conversation_id }, { token: u.accessToken });
      }
      return u;
    };
    const small = await talker(2);
    const large = await talker(20);
    const page = (token: string) => gql(server.url, ConversationsWithMessagesDocument, { first: 50, last: 3 }, token);
    const hits = (token: string) => gql(server.url, SearchDocument, { q: 'kumquat', types: ['MESSAGE'], first: 50 }, token);
    const counts: Record<string, number[]> = { page: [], hits: [] };
    for (const u of [small, large]) {
      counts.page!.push(
        await countStatements(async () => {
          const r = await page(u.accessToken);
          expect(r.errors).toBeUndefined();
          const conversations = r.data!.conversations.edges;
          expect(conversations).toHaveLength(u === small ? 2 : 20);
          for (const { node } of conversations) {
            expect(node.messages.totalCount).toBe(4);
            expect(node.messages.edges.map((e) => e.node.position)).toEqual([2, 3, 4]);
          }
        }),
      );
      counts.hits!.push(
        await countStatements(async () => {
          const r = await hits(u.accessToken);
          expect(r.errors).toBeUndefined();
          expect(r.data!.search.edges.length).toBeGreaterThanOrEqual(u === small ? 4 : 40);
          expect(r.data!.search.edges.every((e) => e.node.conversation?.id === e.node.conversationId)).toBe(true);
        }),
      );
    }
    expect(counts.page![1]).toBe(counts.page![0]);
    expect(counts.hits![1]).toBe(counts.hits![0]);
    // Authentication, the page of conversations, one statement for all their messages.
    expect(counts.page![1]).toBeLessThanOrEqual(4);
  });

  it('lists documents in a fixed number of statements', async () => {
    const u = await signUp(api);
    for (let i = 0; i < 12; i++) await api.post('/api/knowledge/documents', { title: `Doc ${i}`, content: `Passage ${i}.` }, { token: u.accessToken });
    await server.app.services.knowledge.drain();
    const few = await countStatements(() => gql(server.url, DocumentsDocument, { first: 2 }, u.accessToken));
    const many = await countStatements(() => gql(server.url, DocumentsDocument, { first: 12 }, u.accessToken));
    expect(many).toBe(few);
  });

  it('lists members over REST in a fixed number of statements', async () => {
    const viewer = await world(1, 12);
    const orgs = await api.get('/api/organizations', { token: viewer.accessToken });
    const id = orgs.body[0].id;
    const few = await countStatements(() => api.get(`/api/organizations/${id}/members?limit=2`, { token: viewer.accessToken }));
    const many = await countStatements(() => api.get(`/api/organizations/${id}/members?limit=13`, { token: viewer.accessToken }));
    expect(many).toBe(few);
  });
});
