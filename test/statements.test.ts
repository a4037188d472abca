import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrganizationsDeepDocument } from './generated/graphql.js';
import { signUp } from './helpers/factories.js';
import { gql } from './helpers/graphql.js';
import { restClient, type RestClient } from './helpers/http.js';
import { startServer, type TestServer } from './helpers/server.js';
import { countStatements as countSql } from '../src/db/statements.js';

let server: TestServer;
let api: RestClient;

beforeAll(async () => {
  // Connections put two levels (edges, node) in every list: the deep document here counts
  // statements, not depth, so the depth limit is raised out of its way.
  server = await startServer({ GRAPHQL_MAX_DEPTH: '16' });
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
