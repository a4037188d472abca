import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AddMemberDocument,
  CreateOrganizationDocument,
  DeleteTeamDocument,
  OrganizationMembersDocument,
  OrganizationNodeDocument,
  OrganizationsDocument,
  RemoveMemberDocument,
  SetMemberDocument,
  TeamDocument,
  UpdateMemberDocument,
} from './generated/graphql.js';
import { signUp } from './helpers/factories.js';
import { errorCode, gql } from './helpers/graphql.js';
import { restClient, type RestClient } from './helpers/http.js';
import { makeCast, makeKey, makeOrg, type Cast } from './helpers/orgs.js';
import { driver, startServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let api: RestClient;
let cast: Cast;

beforeAll(async () => {
  server = await startServer();
  api = restClient(server.url);
  cast = await makeCast(api);
});
afterAll(() => server.close());

describe('organizations', () => {
  it('creates with a derived, unique slug; the creator is owner', async () => {
    const u = await signUp(api);
    const a = await api.post('/api/organizations', { name: 'Acme Learning', description: 'We teach' }, { token: u.accessToken });
    expect(a.status).toBe(201);
    expect(a.body).toMatchObject({ name: 'Acme Learning', description: 'We teach', role: 'owner', member_count: 1 });
    expect(a.body.slug).toMatch(/^acme-learning(-\d+)?$/);
    const b = await api.post('/api/organizations', { name: 'Acme   Learning!' }, { token: u.accessToken });
    expect(b.status).toBe(201);
    expect(b.body.slug).not.toBe(a.body.slug);
    expect(b.body.slug.startsWith('acme-learning-')).toBe(true);
    const accents = await api.post('/api/organizations', { name: 'École Été' }, { token: u.accessToken });
    expect(accents.body.slug).toMatch(/^ecole-ete/);

    const taken = await api.post('/api/organizations', { name: 'Other', slug: a.body.slug }, { token: u.accessToken });
    expect(taken.status).toBe(409);
    expect(taken.body.detail).toMatchObject({ error: 'conflict', field: 'slug' });
    const bad = await api.post('/api/organizations', { name: '', slug: '-Bad Slug-' }, { token: u.accessToken });
    expect(bad.status).toBe(400);
    expect(bad.body.detail.fields.map((f: { loc: string[] }) => f.loc.join('.'))).toEqual(['body.name', 'body.slug']);
  });

  it('lists mine with X-Total-Count and pagination, and the same through GraphQL', async () => {
    const u = await signUp(api);
    for (const name of ['Charlie', 'alpha', 'Bravo']) await api.post('/api/organizations', { name }, { token: u.accessToken });
    const page = await api.get('/api/organizations?limit=2&offset=0', { token: u.accessToken });
    expect(page.status).toBe(200);
    expect(page.headers.get('x-total-count')).toBe('3');
    expect(page.body.map((o: { name: string }) => o.name)).toHaveLength(2);
    const rest = await api.get('/api/organizations?limit=2&offset=2', { token: u.accessToken });
    expect(rest.body).toHaveLength(1);
    const g = await gql(server.url, OrganizationsDocument, { first: 10 }, u.accessToken);
    expect(g.data?.organizations.totalCount).toBe(3);
    // By name whatever its case, as REST orders them, on both databases.
    const byName = (await api.get('/api/organizations', { token: u.accessToken })).body.map((o: { name: string }) => o.name);
    expect(byName).toEqual(['alpha', 'Bravo', 'Charlie']);
    expect(g.data?.organizations.edges.map((e) => e.node.name)).toEqual(byName);
    expect(g.data?.organizations.edges.map((e) => e.node.viewerRole)).toEqual(['OWNER', 'OWNER', 'OWNER']);
    const next = await gql(server.url, OrganizationsDocument, { first: 2, after: g.data!.organizations.edges[0]!.cursor }, u.accessToken);
    expect(next.data?.organizations.edges.map((e) => e.node.name)).toEqual(byName.slice(1));
    expect(next.data?.organizations.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    const back = await gql(server.url, OrganizationsDocument, { last: 2, before: g.data!.organizations.edges[2]!.cursor }, u.accessToken);
    expect(back.data?.organizations.edges.map((e) => e.node.name)).toEqual(['alpha', 'Bravo']);
    // A renamed organization moves to where its new name sorts.
    const alpha = g.data!.organizations.edges[0]!.node.id;
    expect((await api.patch(`/api/organizations/${alpha}`, { name: 'delta' }, { token: u.accessToken })).status).toBe(200);
    expect((await api.get('/api/organizations', { token: u.accessToken })).body.map((o: { name: string }) => o.name)).toEqual(['Bravo', 'Charlie', 'delta']);
    const renamed = await gql(server.url, OrganizationsDocument, { first: 10 }, u.accessToken);
    expect(renamed.data?.organizations.edges.map((e) => e.node.name)).toEqual(['Bravo', 'Charlie', 'delta']);
    const forged = await gql(server.url, OrganizationsDocument, { first: 2, after: 'not a cursor' }, u.accessToken);
    expect(errorCode(forged)).toBe('validation_error');
    const invalid = await api.get('/api/organizations?limit=500', { token: u.accessToken });
    expect(invalid.status).toBe(400);
    expect(invalid.body.detail.fields[0].loc).toEqual(['query', 'limit']);
  });

  it('answers 404, never 403, to people outside and for malformed ids', async () => {
    const org = await makeOrg(api, cast);
    for (const path of [`/api/organizations/${org.id}`, `/api/organizations/${org.id}/members`, `/api/organizations/${org.id}/teams`, `/api/organizations/${org.id}/teams/${org.teamId}/members`]) {
      const res = await api.get(path, { token: cast.stranger.accessToken });
      expect(res.status, path).toBe(404);
      expect(res.body.detail.error).toBe('not_found');
    }
    expect((await api.get('/api/organizations/not-a-uuid', { token: cast.owner.accessToken })).status).toBe(404);
    expect((await api.get('/api/organizations/00000000-0000-4000-8000-000000000000', { token: cast.owner.accessToken })).status).toBe(404);
  });

  it('manages members: add by email or id, change role and team, remove, leave', async () => {
    const org = await makeOrg(api, cast);
    const owner = { token: cast.owner.accessToken };
    const members = await api.get(`/api/organizations/${org.id}/members`, owner);
    expect(members.headers.get('x-total-count')).toBe('4');
    expect(members.body[0]).toMatchObject({ user_id: cast.owner.user.id, role: 'owner', team_id: null, team_name: null });
    expect(members.body[1]).toMatchObject({ user_id: cast.admin.user.id, role: 'admin', team_id: org.teamId, team_name: 'Core', email: cast.admin.user.email });

    const byEmail = await api.post(`/api/organizations/${org.id}/members`, { email: cast.newcomer.input.email.toUpperCase() }, owner);
    expect(byEmail.status).toBe(201);
    expect(byEmail.body).toMatchObject({ user_id: cast.newcomer.user.id, role: 'member', team_id: null });
    expect((await api.post(`/api/organizations/${org.id}/members`, { user_id: cast.newcomer.user.id }, owner)).status).toBe(409);
    expect((await api.post(`/api/organizations/${org.id}/members`, { email: 'nobody@example.com' }, owner)).status).toBe(404);
    const neither = await api.post(`/api/organizations/${org.id}/members`, { role: 'member' }, owner);
    expect(neither.status).toBe(400);
    const otherTeam = await api.post(`/api/organizations/${org.id}/members`, { user_id: cast.stranger.user.id, team_id: '00000000-0000-4000-8000-000000000000' }, owner);
    expect(otherTeam.status).toBe(404);

    const upd = await api.patch(`/api/organizations/${org.id}/members/${cast.newcomer.user.id}`, { role: 'admin', team_id: org.teamId }, owner);
    expect(upd.status).toBe(200);
    expect(upd.body).toMatchObject({ role: 'admin', team_id: org.teamId, team_name: 'Core' });
    const out = await api.patch(`/api/organizations/${org.id}/members/${cast.newcomer.user.id}`, { team_id: null }, owner);
    expect(out.body.team_id).toBeNull();

    // Admins cannot make owners; owners can.
    const adminTries = await api.patch(`/api/organizations/${org.id}/members/${cast.member.user.id}`, { role: 'owner' }, { token: cast.admin.accessToken });
    expect(adminTries.status).toBe(403);
    expect((await api.patch(`/api/organizations/${org.id}/members/${cast.member.user.id}`, { role: 'admin' }, { token: cast.admin.accessToken })).status).toBe(200);

    // A member leaves by removing themselves.
    expect((await api.delete(`/api/organizations/${org.id}/members/${cast.extra.user.id}`, { token: cast.extra.accessToken })).status).toBe(204);
    expect((await api.get(`/api/organizations/${org.id}`, { token: cast.extra.accessToken })).status).toBe(404);
    expect((await api.delete(`/api/organizations/${org.id}/members/${cast.newcomer.user.id}`, owner)).status).toBe(204);
    expect((await api.delete(`/api/organizations/${org.id}/members/${cast.newcomer.user.id}`, owner)).status).toBe(404);
  });

  it('sets a member with PUT: role and team at once, or a move to another organization, admin in both', async () => {
    const owner = { token: cast.owner.accessToken };
    const a = await makeOrg(api, cast);
    const b = await makeOrg(api, cast);
    const url = (org: string, user: string) => `/api/organizations/${org}/members/${user}`;
    // In place: the whole member; no team_id means no team.
    const put = await api.request('PUT', url(a.id, cast.admin.user.id), { role: 'member' }, owner);
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ user_id: cast.admin.user.id, role: 'member', team_id: null });
    expect((await api.request('PUT', url(a.id, cast.admin.user.id), { team_id: a.teamId }, owner)).status).toBe(400);

    // A move: out of b into a new organization c, where b's admin is not an admin (not_found, nothing changed).
    const c = (await api.post('/api/organizations', { name: `Dest ${Date.now()}` }, { token: cast.newcomer.accessToken })).body.id as string;
    const notThere = await api.request('PUT', url(b.id, cast.extra.user.id), { role: 'member', organization_id: c }, owner);
    expect(notThere.status).toBe(404);
    expect(notThere.body.detail.field).toBe('organization_id');
    // The owner of both moves extra from a to b's Core team; extra's API key for a dies with the move.
    const key = await makeKey(api, cast.extra, a.id, ['organizations:read']);
    expect((await api.get(`/api/organizations/${a.id}`, { apiKey: key.key })).status).toBe(200);
    expect((await api.request('PUT', url(a.id, cast.extra.user.id), { role: 'member', organization_id: b.id }, owner)).status).toBe(409);
    await api.delete(url(b.id, cast.extra.user.id), owner);
    const moved = await api.request('PUT', url(a.id, cast.extra.user.id), { role: 'admin', team_id: b.teamId, organization_id: b.id }, owner);
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ user_id: cast.extra.user.id, role: 'admin', team_id: b.teamId, team_name: 'Core' });
    expect((await api.get(`/api/organizations/${a.id}`, { token: cast.extra.accessToken })).status).toBe(404);
    expect((await api.get(`/api/organizations/${b.id}`, { token: cast.extra.accessToken })).body.role).toBe('admin');
    expect((await api.get(`/api/organizations/${a.id}`, { apiKey: key.key })).status).toBe(401);
    // A team of another organization is not found; the last owner cannot be moved out; a non-member of the source finds nothing.
    expect((await api.request('PUT', url(b.id, cast.extra.user.id), { role: 'member', team_id: b.teamId, organization_id: a.id }, owner)).status).toBe(404);
    expect((await api.request('PUT', url(a.id, cast.owner.user.id), { role: 'owner', organization_id: b.id }, owner)).status).toBe(409);
    expect((await api.request('PUT', url(a.id, cast.member.user.id), { role: 'owner', organization_id: c }, { token: cast.newcomer.accessToken })).status).toBe(404);

    // GraphQL: the same, with both organizations' counts for the caches.
    const countOf = async (org: string) => Number((await api.get(`/api/organizations/${org}`, owner)).body.member_count);
    await api.delete(url(b.id, cast.member.user.id), owner);
    const [beforeA, beforeB] = [await countOf(a.id), await countOf(b.id)];
    const g = await gql(server.url, SetMemberDocument, { input: { organizationId: a.id, userId: cast.member.user.id, role: 'MEMBER', toOrganizationId: b.id } }, cast.owner.accessToken);
    expect(g.errors, JSON.stringify(g.errors)).toBeUndefined();
    expect(g.data!.setMember.organization).toEqual({ id: b.id, memberCount: beforeB + 1 });
    expect(g.data!.setMember.previousOrganization).toEqual({ id: a.id, memberCount: beforeA - 1 });
    expect(g.data!.setMember.deletedMemberId).toBeTruthy();
    expect(g.data!.setMember.member.role).toBe('MEMBER');
  });

  it("lets only an owner change an owner's team, by PATCH or PUT", async () => {
    const org = await makeOrg(api, cast);
    const owner = { token: cast.owner.accessToken };
    const admin = { token: cast.admin.accessToken };
    const path = `/api/organizations/${org.id}/members/${cast.owner.user.id}`;
    const teamOf = async () => (await api.get(`/api/organizations/${org.id}/members`, owner)).body.find((m: { user_id: string }) => m.user_id === cast.owner.user.id).team_id;
    expect((await api.patch(path, { team_id: org.teamId }, owner)).status).toBe(200);
    const refused = await api.patch(path, { team_id: null }, admin);
    expect(refused.status).toBe(403);
    expect(refused.body.detail.error).toBe('forbidden');
    // PUT leaves no team when none is given: the same change, the same answer.
    expect((await api.request('PUT', path, { role: 'owner' }, admin)).status).toBe(403);
    expect(await teamOf()).toBe(org.teamId);
    // The same team again changes nothing, and an admin still moves members.
    expect((await api.patch(path, { team_id: org.teamId }, admin)).status).toBe(200);
    expect((await api.patch(`/api/organizations/${org.id}/members/${cast.member.user.id}`, { team_id: null }, admin)).status).toBe(200);
  });

  it('keeps at least one owner', async () => {
    const org = await makeOrg(api, cast);
    const owner = { token: cast.owner.accessToken };
    const demote = await api.patch(`/api/organizations/${org.id}/members/${cast.owner.user.id}`, { role: 'admin' }, owner);
    expect(demote.status).toBe(409);
    expect(demote.body.detail.message).toMatch(/last owner/);
    const leave = await api.delete(`/api/organizations/${org.id}/members/${cast.owner.user.id}`, owner);
    expect(leave.status).toBe(409);
    // An admin cannot remove an owner at all.
    expect((await api.delete(`/api/organizations/${org.id}/members/${cast.owner.user.id}`, { token: cast.admin.accessToken })).status).toBe(403);
    // With a second owner, the first may step down.
    expect((await api.patch(`/api/organizations/${org.id}/members/${cast.admin.user.id}`, { role: 'owner' }, owner)).status).toBe(200);
    expect((await api.patch(`/api/organizations/${org.id}/members/${cast.owner.user.id}`, { role: 'member' }, owner)).status).toBe(200);
    expect((await api.patch(`/api/organizations/${org.id}/members/${cast.admin.user.id}`, { role: 'member' }, { token: cast.admin.accessToken })).status).toBe(409);
  });

  it(`cannot be left ownerless by two owners demoting each other at once (${driver})`, async () => {
    for (let round = 0; round < 5; round++) {
      const org = await makeOrg(api, cast);
      await api.patch(`/api/organizations/${org.id}/members/${cast.admin.user.id}`, { role: 'owner' }, { token: cast.owner.accessToken });
      const results = await Promise.all([
        api.patch(`/api/organizations/${org.id}/members/${cast.admin.user.id}`, { role: 'member' }, { token: cast.owner.accessToken }),
        api.patch(`/api/organizations/${org.id}/members/${cast.owner.user.id}`, { role: 'member' }, { token: cast.admin.accessToken }),
      ]);
      const statuses = results.map((r) => r.status).sort();
      // Exactly one demotion lands; the other sees the last owner (409) or has lost the right (403).
      expect(statuses[0]).toBe(200);
      expect([403, 409]).toContain(statuses[1]);
      const list = await api.get(`/api/organizations/${org.id}/members`, { token: cast.member.accessToken });
      expect(list.body.filter((m: { role: string }) => m.role === 'owner')).toHaveLength(1);
    }
  });

  it(`moves a member into an organization while they are added there directly: one wins, the other conflicts (${driver})`, async () => {
    const from = await makeOrg(api, cast);
    const to = await makeOrg(api, cast);
    const owner = { token: cast.owner.accessToken };
    for (let round = 0; round < 6; round++) {
      const u = await signUp(api);
      expect((await api.post(`/api/organizations/${from.id}/members`, { user_id: u.user.id, role: 'member' }, owner)).status).toBe(201);
      const [moved, added] = await Promise.all([
        api.request('PUT', `/api/organizations/${from.id}/members/${u.user.id}`, { role: 'member', team_id: null, organization_id: to.id }, owner),
        api.post(`/api/organizations/${to.id}/members`, { user_id: u.user.id, role: 'admin' }, owner),
      ]);
      // Never a deadlock answered 500: each waits for the other's lock on the destination.
      expect([moved.status, added.status].sort(), JSON.stringify([moved.body, added.body])).toEqual(moved.status === 200 ? [200, 409] : [201, 409]);
      const rows = await server.app.orm.em.fork().getConnection().execute('select count(*) as n from memberships where organization_id = ? and user_id = ?', [to.id, u.user.id]);
      expect(Number((rows[0] as { n: number | string }).n)).toBe(1);
    }
  });

  it('manages teams: create, rename, list with counts, members per team, delete', async () => {
    const org = await makeOrg(api, cast);
    const owner = { token: cast.owner.accessToken };
    const t = await api.post(`/api/organizations/${org.id}/teams`, { name: 'Research' }, owner);
    expect(t.status).toBe(201);
    expect(t.body).toMatchObject({ name: 'Research', member_count: 0 });
    expect((await api.post(`/api/organizations/${org.id}/teams`, { name: 'research' }, owner)).status).toBe(409);
    const renamed = await api.patch(`/api/organizations/${org.id}/teams/${t.body.id}`, { name: 'R&D' }, owner);
    expect(renamed.body.name).toBe('R&D');
    const teams = await api.get(`/api/organizations/${org.id}/teams`, { token: cast.member.accessToken });
    expect(teams.body.map((x: { name: string; member_count: number }) => [x.name, x.member_count])).toEqual([
      ['Core', 3],
      ['R&D', 0],
    ]);
    const core = await api.get(`/api/organizations/${org.id}/teams/${org.teamId}/members`, { token: cast.member.accessToken });
    expect(core.headers.get('x-total-count')).toBe('3');
    expect((await api.delete(`/api/organizations/${org.id}/teams/${org.teamId}`, owner)).status).toBe(204);
    const after = await api.get(`/api/organizations/${org.id}/members`, owner);
    expect(after.body).toHaveLength(4);
    expect(after.body.every((m: { team_id: string | null }) => m.team_id === null)).toBe(true);
  });

  it('deletes an organization with its memberships, teams and keys, in one go', async () => {
    const org = await makeOrg(api, cast);
    const key = await makeKey(api, cast.owner, org.id, ['organizations:read']);
    expect((await api.get(`/api/organizations/${org.id}`, { apiKey: key.key })).status).toBe(200);
    expect((await api.delete(`/api/organizations/${org.id}`, { token: cast.admin.accessToken })).status).toBe(403);
    expect((await api.delete(`/api/organizations/${org.id}`, { token: cast.owner.accessToken })).status).toBe(204);
    expect((await api.get(`/api/organizations/${org.id}`, { token: cast.owner.accessToken })).status).toBe(404);
    expect((await api.get(`/api/organizations/${org.id}`, { apiKey: key.key })).status).toBe(401);
    const em = server.app.orm.em.fork();
    for (const table of ['memberships', 'teams', 'api_keys']) {
      const rows = await em.getConnection().execute(`select count(*) as n from ${table} where organization_id = ?`, [org.id]);
      expect(Number((rows[0] as { n: number }).n), table).toBe(0);
    }
  });

  it('works the same through GraphQL', async () => {
    const u = await signUp(api);
    const created = await gql(server.url, CreateOrganizationDocument, { input: { name: 'Graph Org' } }, u.accessToken);
    expect(created.data?.createOrganization.organization).toMatchObject({ name: 'Graph Org', viewerRole: 'OWNER', memberCount: 1 });
    // The payload's query root holds the root list it changed, for a normalized cache.
    expect(created.data?.createOrganization.query.organizations.totalCount).toBe(1);
    const id = created.data!.createOrganization.organization.id;
    const members = await gql(server.url, OrganizationMembersDocument, { id }, u.accessToken);
    expect(members.data?.organization?.members.edges[0]?.node.user.id).toBe(u.user.id);
    const demote = await gql(server.url, UpdateMemberDocument, { input: { organizationId: id, userId: u.user.id, role: 'MEMBER' } }, u.accessToken);
    expect(errorCode(demote)).toBe('conflict');
    // Someone else's organization is null, without an error that would tell it exists.
    const stranger = await gql(server.url, OrganizationMembersDocument, { id }, cast.stranger.accessToken);
    expect(stranger.errors).toBeUndefined();
    expect(stranger.data).toEqual({ organization: null });
  });

  it('answers mutations with what they changed, counts included', async () => {
    const org = await makeOrg(api, cast);
    const owner = cast.owner.accessToken;
    const added = await gql(server.url, AddMemberDocument, { input: { organizationId: org.id, userId: cast.newcomer.user.id, teamId: org.teamId } }, owner);
    expect(added.errors).toBeUndefined();
    expect(added.data?.addMember).toMatchObject({ member: { role: 'MEMBER', user: { id: cast.newcomer.user.id }, team: { id: org.teamId } }, organization: { id: org.id, memberCount: 5 } });

    const moved = await gql(server.url, UpdateMemberDocument, { input: { organizationId: org.id, userId: cast.newcomer.user.id, teamId: null } }, owner);
    expect(moved.data?.updateMember).toMatchObject({ member: { team: null }, teams: [{ id: org.teamId, memberCount: 3 }] });
    const unchanged = await gql(server.url, UpdateMemberDocument, { input: { organizationId: org.id, userId: cast.newcomer.user.id, role: 'ADMIN' } }, owner);
    expect(unchanged.data?.updateMember).toMatchObject({ member: { role: 'ADMIN', team: null }, teams: [] });

    const removed = await gql(server.url, RemoveMemberDocument, { input: { organizationId: org.id, userId: cast.newcomer.user.id } }, owner);
    expect(removed.data?.removeMember).toMatchObject({ deletedId: added.data!.addMember.member.id, removedUserId: cast.newcomer.user.id, organization: { memberCount: 4 } });

    const team = await gql(server.url, TeamDocument, { id: org.teamId }, cast.member.accessToken);
    expect(team.data?.team).toMatchObject({ id: org.teamId, memberCount: 3, organization: { id: org.id } });
    const foreign = await gql(server.url, TeamDocument, { id: org.teamId }, cast.stranger.accessToken);
    expect(foreign.errors).toBeUndefined();
    expect(foreign.data).toEqual({ team: null });

    const deleted = await gql(server.url, DeleteTeamDocument, { input: { organizationId: org.id, teamId: org.teamId } }, owner);
    expect(deleted.data?.deleteTeam.deletedId).toBe(org.teamId);
    const gone = await gql(server.url, TeamDocument, { id: org.teamId }, owner);
    expect(gone.data).toEqual({ team: null });
  });

  it('finds organizations, members, teams and users by node id for those who may see them, and null for others', async () => {
    const org = await makeOrg(api, cast);
    const members = await gql(server.url, OrganizationMembersDocument, { id: org.id, first: 10 }, cast.owner.accessToken);
    const memberId = members.data!.organization!.members.edges.find((e) => e.node.user.id === cast.member.user.id)!.node.id;
    for (const [id, typename] of [
      [org.id, 'Organization'],
      [org.teamId, 'Team'],
      [memberId, 'Member'],
      [cast.member.user.id, 'User'],
    ] as const) {
      const seen = await gql(server.url, OrganizationNodeDocument, { id }, cast.admin.accessToken);
      expect(seen.errors, typename).toBeUndefined();
      expect(seen.data?.node, typename).toMatchObject({ __typename: typename, id });
      const hidden = await gql(server.url, OrganizationNodeDocument, { id }, cast.stranger.accessToken);
      expect(hidden, typename).toMatchObject({ data: { node: null } });
      expect(hidden.errors, typename).toBeUndefined();
    }
    // An API key sees its own organization's, with organizations:read only.
    const key = await makeKey(api, cast.owner, org.id, ['organizations:read']);
    expect((await gql(server.url, OrganizationNodeDocument, { id: memberId }, { apiKey: key.key })).data?.node).toMatchObject({ __typename: 'Member' });
    const noScope = await makeKey(api, cast.owner, org.id, ['conversations:read']);
    expect((await gql(server.url, OrganizationNodeDocument, { id: org.id }, { apiKey: noScope.key })).data).toEqual({ node: null });
  });
});
