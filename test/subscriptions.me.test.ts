import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { readFileSync } from 'node:fs';
import { buildSchema, getNamedType, isObjectType, parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from './helpers/factories.js';
import { subscribe, until, wsClient } from './helpers/graphql.js';
import { restClient, type RestClient } from './helpers/http.js';
import { makeCast, makeOrg } from './helpers/orgs.js';
import { startServer, type TestServer } from './helpers/server.js';

/**
 * meUpdated fires once for every change to what `User` shows, whichever door or operation
 * made it: every mutation that changes a user runs here through GraphQL and REST, and each
 * must announce exactly one event to the user it changed (and none for what does not change
 * a user). A mutation whose payload answers a `User` without a case here fails the test.
 */
let server: TestServer;
let api: RestClient;

beforeAll(async () => {
  server = await startServer();
  api = restClient(server.url);
});
afterAll(() => server.close());

type SignedUp = Awaited<ReturnType<typeof signUp>>;

async function graphql(query: string, variables: Record<string, unknown>, token: string): Promise<any> {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: any; errors?: unknown[] };
  expect(body.errors, query).toBeUndefined();
  return body.data;
}

/** What a case can use: Alice (who watches), Bob (who acts on her), and what earlier cases made. */
interface World {
  alice: SignedUp;
  bob: SignedUp;
  password: string;
  /** An organization of Alice's own, made by the create case, deleted by the delete case. */
  own?: string;
  /** An API key of Alice's in it. */
  key?: string;
  /** Bob's organization, which Alice joins and leaves. */
  bobs: string;
}

interface Case {
  /** The mutation (GraphQL) or the route (REST). */
  name: string;
  /** Events Alice must get: 1 when her `User` changed, 0 when not. */
  events: 0 | 1;
  run(w: World): Promise<void>;
}

let fresh = 0;
const next = () => `${Date.now().toString(36)}${++fresh}`;
const ok = (r: { status: number; body: unknown }, status: number) => expect(r.status, JSON.stringify(r.body)).toBe(status);

const graphqlCases: Case[] = [
  { name: 'updateMe', events: 1, run: async (w) => void (await graphql('mutation ($n: String) { updateMe(input: { fullName: $n }) { user { id } } }', { n: `Alice ${next()}` }, w.alice.accessToken)) },
  {
    name: 'updateMe (email)',
    events: 1,
    run: async (w) => void (await graphql('mutation ($e: String, $p: String) { updateMe(input: { email: $e, currentPassword: $p }) { user { id } } }', { e: `alice${next()}@example.com`, p: w.password }, w.alice.accessToken)),
  },
  {
    name: 'updateMe (password)',
    events: 1,
    run: async (w) => {
      const fresh = `a new passphrase ${next()}`;
      await graphql('mutation ($c: String, $n: String) { updateMe(input: { currentPassword: $c, newPassword: $n }) { user { id } } }', { c: w.password, n: fresh }, w.alice.accessToken);
      w.password = fresh;
    },
  },
  { name: 'setLiveNickname', events: 1, run: async (w) => void (await graphql('mutation { setLiveNickname(input: { nickname: "Ally" }) { nickname } }', {}, w.alice.accessToken)) },
  { name: 'updateXelPreferences', events: 1, run: async (w) => void (await graphql('mutation { updateXelPreferences(input: { timezone: "Asia/Tokyo" }) { dashboard { id } } }', {}, w.alice.accessToken)) },
  { name: 'updateXelPreferences (daily goal only: not on User)', events: 0, run: async (w) => void (await graphql('mutation { updateXelPreferences(input: { dailyGoalXp: 40 }) { dashboard { id } } }', {}, w.alice.accessToken)) },
  { name: 'createNote (not on User)', events: 0, run: async (w) => void (await graphql('mutation { createNote(input: { title: "n", content: "c" }) { note { id } } }', {}, w.alice.accessToken)) },
  {
    name: 'createOrganization',
    events: 1,
    run: async (w) => {
      w.own = (await graphql('mutation ($n: String!) { createOrganization(input: { name: $n }) { organization { id } } }', { n: `Alice Co ${next()}` }, w.alice.accessToken)).createOrganization.organization.id;
    },
  },
  { name: 'updateOrganization', events: 1, run: async (w) => void (await graphql('mutation ($id: ID!, $n: String) { updateOrganization(input: { id: $id, name: $n }) { organization { id } } }', { id: w.own, n: `Renamed ${next()}` }, w.alice.accessToken)) },
  {
    name: 'createApiKey',
    events: 1,
    run: async (w) => {
      w.key = (await graphql('mutation ($o: ID!) { createApiKey(input: { organizationId: $o, name: "k", scopes: [API_READ] }) { apiKey { id } } }', { o: w.own }, w.alice.accessToken)).createApiKey.apiKey.id;
    },
  },
  { name: 'revokeApiKey', events: 1, run: async (w) => void (await graphql('mutation ($id: ID!) { revokeApiKey(input: { id: $id }) { deletedId } }', { id: w.key }, w.alice.accessToken)) },
  { name: 'deleteOrganization', events: 1, run: async (w) => void (await graphql('mutation ($id: ID!) { deleteOrganization(input: { id: $id }) { deletedId } }', { id: w.own }, w.alice.accessToken)) },
  { name: 'addMember', events: 1, run: async (w) => void (await graphql('mutation ($o: ID!, $u: ID) { addMember(input: { organizationId: $o, userId: $u }) { member { id } } }', { o: w.bobs, u: w.alice.user.id }, w.bob.accessToken)) },
  {
    name: 'updateMember',
    events: 1,
    run: async (w) => void (await graphql('mutation ($o: ID!, $u: ID!) { updateMember(input: { organizationId: $o, userId: $u, role: ADMIN }) { member { id } } }', { o: w.bobs, u: w.alice.user.id }, w.bob.accessToken)),
  },
  {
    name: 'createApiKey (by another, in an organization Alice administers)',
    events: 1,
    run: async (w) => void (await graphql('mutation ($o: ID!) { createApiKey(input: { organizationId: $o, name: "bob", scopes: [API_READ] }) { apiKey { id } } }', { o: w.bobs }, w.bob.accessToken)),
  },
  {
    name: 'setMember',
    events: 1,
    run: async (w) => void (await graphql('mutation ($o: ID!, $u: ID!) { setMember(input: { organizationId: $o, userId: $u, role: MEMBER }) { member { id } } }', { o: w.bobs, u: w.alice.user.id }, w.bob.accessToken)),
  },
  { name: 'removeMember', events: 1, run: async (w) => void (await graphql('mutation ($o: ID!, $u: ID!) { removeMember(input: { organizationId: $o, userId: $u }) { deletedId } }', { o: w.bobs, u: w.alice.user.id }, w.bob.accessToken)) },
];

const restCases: Case[] = [
  { name: 'PATCH /api/auth/me', events: 1, run: async (w) => ok(await api.patch('/api/auth/me', { full_name: `Alice ${next()}` }, { token: w.alice.accessToken }), 200) },
  { name: 'PATCH /api/auth/me (email)', events: 1, run: async (w) => ok(await api.patch('/api/auth/me', { email: `alice${next()}@example.com`, current_password: w.password }, { token: w.alice.accessToken }), 200) },
  {
    name: 'PATCH /api/auth/me (password)',
    events: 1,
    run: async (w) => {
      const fresh = `a new passphrase ${next()}`;
      ok(await api.patch('/api/auth/me', { current_password: w.password, new_password: fresh }, { token: w.alice.accessToken }), 200);
      w.password = fresh;
    },
  },
  { name: 'PATCH /api/live/nickname', events: 1, run: async (w) => ok(await api.patch('/api/live/nickname', { nickname: 'Al' }, { token: w.alice.accessToken }), 200) },
  { name: 'PATCH /api/xel/preferences', events: 1, run: async (w) => ok(await api.patch('/api/xel/preferences', { timezone: 'Europe/Lisbon' }, { token: w.alice.accessToken }), 200) },
  {
    name: 'POST /api/organizations',
    events: 1,
    run: async (w) => {
      const r = await api.post('/api/organizations', { name: `Alice Co ${next()}` }, { token: w.alice.accessToken });
      ok(r, 201);
      w.own = r.body.id;
    },
  },
  { name: 'PATCH /api/organizations/{org_id}', events: 1, run: async (w) => ok(await api.patch(`/api/organizations/${w.own}`, { name: `Renamed ${next()}` }, { token: w.alice.accessToken }), 200) },
  {
    name: 'POST /api/api-keys',
    events: 1,
    run: async (w) => {
      const r = await api.post('/api/api-keys', { name: 'k', organization_id: w.own, scopes: ['api:read'] }, { token: w.alice.accessToken });
      ok(r, 201);
      w.key = r.body.id;
    },
  },
  { name: 'DELETE /api/api-keys/{key_id}', events: 1, run: async (w) => ok(await api.delete(`/api/api-keys/${w.key}`, { token: w.alice.accessToken }), 204) },
  { name: 'DELETE /api/organizations/{org_id}', events: 1, run: async (w) => ok(await api.delete(`/api/organizations/${w.own}`, { token: w.alice.accessToken }), 204) },
  { name: 'POST /api/organizations/{org_id}/members', events: 1, run: async (w) => ok(await api.post(`/api/organizations/${w.bobs}/members`, { user_id: w.alice.user.id }, { token: w.bob.accessToken }), 201) },
  {
    name: 'PATCH /api/organizations/{org_id}/members/{target_user_id}',
    events: 1,
    run: async (w) => ok(await api.patch(`/api/organizations/${w.bobs}/members/${w.alice.user.id}`, { role: 'admin' }, { token: w.bob.accessToken }), 200),
  },
  {
    name: 'DELETE /api/organizations/{org_id}/members/{target_user_id}',
    events: 1,
    run: async (w) => ok(await api.delete(`/api/organizations/${w.bobs}/members/${w.alice.user.id}`, { token: w.bob.accessToken }), 204),
  },
];

describe('meUpdated', () => {
  it('has a case for every mutation that answers a User (the user it changed), and for those that change another user', () => {
    const schema = buildSchema(readFileSync('schema/schema.graphql', 'utf8'));
    const answersUser = Object.values(schema.getMutationType()!.getFields())
      .filter((f) => {
        const payload = getNamedType(f.type);
        return isObjectType(payload) && Object.values(payload.getFields()).some((p) => getNamedType(p.type).name === 'User');
      })
      .map((f) => f.name);
    // Sign-up, sign-in and refresh answer the user without changing it.
    const changing = answersUser.filter((n) => !['register', 'login', 'refreshToken'].includes(n));
    const covered = new Set(graphqlCases.map((c) => c.name.split(' ')[0]!));
    expect(changing.length).toBeGreaterThan(5);
    expect(changing.filter((n) => !covered.has(n))).toEqual([]);
    // Membership changes answer the Member, and change the member's User: covered too.
    expect(['addMember', 'updateMember', 'setMember', 'removeMember'].filter((n) => !covered.has(n))).toEqual([]);
  });

  for (const [door, cases] of [
    ['GraphQL', graphqlCases],
    ['REST', restCases],
  ] as const) {
    it(`fires once per change through ${door}, to the socket of the user it changed`, async () => {
      const alice = await signUp(api);
      const bob = await signUp(api);
      const bobs = (await api.post('/api/organizations', { name: `Bob's ${next()}` }, { token: bob.accessToken })).body.id as string;
      const w: World = { alice, bob, password: alice.input.password, bobs };
      const events = server.app.services.events;

      const { client, closes } = wsClient(server.wsUrl, { Authorization: `Bearer ${alice.accessToken}` });
      const sub = subscribe(client, parse('subscription { meUpdated { id fullName email nickname timezone organizations { totalCount } apiKeys { totalCount } } }') as TypedDocumentNode<any, any>);
      // Counting what is published for Alice, one case at a time: a fence published after the case
      // arrives after whatever the case published (one channel's events arrive in order).
      const bus = events.subscribe('USER_UPDATED', alice.user.id);
      await until(() => events.listeners('USER_UPDATED', alice.user.id) >= 2);
      try {
        const counts: Record<string, number> = {};
        let fences = 0;
        for (const c of cases) {
          await c.run(w);
          const fence = `fence ${++fences}`;
          events.publish('USER_UPDATED', { userId: alice.user.id, fence } as never);
          let n = 0;
          for (;;) {
            const e = (await bus.next()).value as { fence?: string };
            if (e.fence === fence) break;
            n++;
          }
          counts[c.name] = n;
        }
        expect(counts).toEqual(Object.fromEntries(cases.map((c) => [c.name, c.events])));
        // The graphql-ws client got every one of them (and the fences), the last showing Alice as she is now.
        const total = cases.reduce((s, c) => s + c.events, 0) + fences;
        await sub.waitFor(total);
        expect(sub.received).toHaveLength(total);
        expect(sub.received.every((r) => r.data?.meUpdated.id === alice.user.id)).toBe(true);
        const now = sub.received.at(-1)!.data!.meUpdated;
        expect(now).toMatchObject({ nickname: door === 'GraphQL' ? 'Ally' : 'Al', timezone: door === 'GraphQL' ? 'Asia/Tokyo' : 'Europe/Lisbon', organizations: { totalCount: 0 } });
        expect(closes).toEqual([]);
      } finally {
        await bus.return?.();
        await client.dispose();
      }
    });
  }
});

describe('each event of a meUpdated subscription', () => {
  it('answers the User as it is at that event, not as an earlier event of the same subscription read it', async () => {
    const cast = await makeCast(api);
    const org = await makeOrg(api, cast);
    const me = cast.member;
    const { client } = wsClient(server.wsUrl, { Authorization: `Bearer ${me.accessToken}` });
    const sub = subscribe(client, parse('subscription { meUpdated { organizations { edges { node { id memberCount viewerRole } } } } }') as TypedDocumentNode<any, any>);
    const mine = (i: number) => (sub.received[i]!.data!.meUpdated.organizations.edges as { node: { id: string } }[]).find((e) => e.node.id === org.id)!.node;
    try {
      await until(() => server.app.services.events.listeners('USER_UPDATED', me.user.id) > 0);
      expect((await api.patch('/api/auth/me', { full_name: 'First' }, { token: me.accessToken })).status).toBe(200);
      await sub.waitFor(1);
      expect(mine(0)).toEqual({ id: org.id, memberCount: 4, viewerRole: 'MEMBER' });
      // Someone else joins (no event of hers), then her role changes: one event, which must show both.
      await graphql('mutation($i: AddMemberInput!) { addMember(input: $i) { member { id } } }', { i: { organizationId: org.id, userId: cast.newcomer.user.id } }, cast.owner.accessToken);
      await graphql('mutation($i: UpdateMemberInput!) { updateMember(input: $i) { member { id } } }', { i: { organizationId: org.id, userId: me.user.id, role: 'ADMIN' } }, cast.owner.accessToken);
      await sub.waitFor(2);
      expect(mine(1)).toEqual({ id: org.id, memberCount: 5, viewerRole: 'ADMIN' });
    } finally {
      sub.unsubscribe();
      await client.dispose();
    }
  });
});
