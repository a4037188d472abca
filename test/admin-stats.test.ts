import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConversationSession } from '../src/modules/conversations/conversations.entities.js';
import { Membership, Organization } from '../src/modules/organizations/organizations.entities.js';
import { User } from '../src/modules/users/users.entities.js';
import { XelSubmission, XelTask, XelTaskProgress } from '../src/modules/xel/xel.entities.js';
import { EngagementStatsDocument, MemberProgressDocument, MemberStatsDocument } from './generated/graphql.js';
import { ManualClock } from './helpers/clock.js';
import { createSessions } from './helpers/learning-activity.js';
import { signUp } from './helpers/factories.js';
import { errorCode, gql } from './helpers/graphql.js';
import { restClient, type RestClient } from './helpers/http.js';
import { makeCast, makeKey, makeOrg, type Cast } from './helpers/orgs.js';
import { startServer, type TestServer } from './helpers/server.js';
import { countStatements } from './helpers/statements.js';

/**
 * Admin statistics (issue 21, item 5): engagement, one member's figures and the progress list,
 * by the documented date rules (UTC days, start from 00:00:00Z, end up to 00:00:00Z of the day
 * after), for organization admins and owners, computed in SQL in a number of statements that
 * does not grow with the members.
 */
const clock = new ManualClock(Date.parse('2026-03-10T12:00:00Z'));
let server: TestServer;
let api: RestClient;

beforeAll(async () => {
  server = await startServer({}, { clock });
  api = restClient(server.url);
});
afterAll(() => server.close());

const at = (iso: string) => new Date(iso);

interface Activity {
  conversation?: [string, string][];
  live?: [string, string][];
  /** Submissions: when, XP awarded, practice seconds (or null). */
  submissions?: [string, number, number | null][];
  /** Tasks first completed at these instants (one task each, in catalogue order). */
  completions?: string[];
}

/** Rows of each source for a user, written directly (the clock of the past). */
async function seed(userId: string, rows: Activity) {
  const em = server.app.orm.em.fork();
  const user = em.getReference(User, userId);
  const tasks = await em.find(XelTask, { id: { $ne: null } }, { populate: ['module'], orderBy: { id: 'asc' }, limit: 4 });
  createSessions(em, user, rows);
  for (const [createdAt, xp, duration] of rows.submissions ?? []) {
    const task = tasks[0]!;
    em.create(XelSubmission, { user, task, module: task.module, skill: 'reading', response: 'x', durationSeconds: duration, score: 50, maxScore: 100, passed: false, feedback: 'ok', xpAwarded: xp, day: createdAt.slice(0, 10), createdAt: at(createdAt) });
  }
  for (const [i, completedAt] of (rows.completions ?? []).entries()) {
    const task = tasks[i]!;
    em.create(XelTaskProgress, { user, task, module: task.module, attempts: 1, bestScore: 100, completed: true, xpEarned: 0, completedAt: at(completedAt), lastAttemptAt: at(completedAt) });
  }
  await em.flush();
}

describe('admin statistics, figures computed by hand', () => {
  let cast: Cast;
  let org: Awaited<ReturnType<typeof makeOrg>>;
  const range = 'start_date=2026-03-01&end_date=2026-03-02';

  beforeAll(async () => {
    cast = await makeCast(api);
    org = await makeOrg(api, cast);
    // The team: admin, member, extra. The owner has no team.
    await seed(cast.admin.user.id, {
      // 30 minutes before the range (not counted), 30 minutes in it; 60 seconds of practice before a submission.
      conversation: [['2026-02-28T23:30:00Z', '2026-03-01T00:30:00Z']],
      submissions: [['2026-03-01T10:00:00Z', 20, 60]],
      completions: ['2026-03-01T10:00:00Z'],
    });
    await seed(cast.member.user.id, {
      // One minute on the last day, one after it.
      live: [['2026-03-02T23:59:00Z', '2026-03-03T00:01:00Z']],
      // At 00:00:00Z of the day after the end: outside.
      submissions: [['2026-03-03T00:00:00Z', 50, null]],
      completions: ['2026-03-02T23:59:59Z'],
    });
    // At 00:00:00Z of the first day: inside.
    await seed(cast.extra.user.id, { submissions: [['2026-03-01T00:00:00Z', 5, null]] });
    await seed(cast.owner.user.id, { conversation: [['2026-03-02T12:00:00Z', '2026-03-02T13:00:00Z']] });
    // A stranger's activity is nobody's business here.
    await seed(cast.stranger.user.id, { conversation: [['2026-03-01T12:00:00Z', '2026-03-01T13:00:00Z']], submissions: [['2026-03-01T12:00:00Z', 99, null]] });
  });

  it('engagement of the organization and of its team, per UTC day', async () => {
    const r = await api.get(`/api/v1/admin/stats/engagement?organization_id=${org.id}&${range}`, { token: cast.admin.accessToken });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      organization_id: org.id,
      team_id: null,
      start_date: '2026-03-01',
      end_date: '2026-03-02',
      member_count: 4,
      active_members: 4,
      learning_seconds: 1800 + 60 + 60 + 3600,
      xp_total: 25,
      tasks_completed: 2,
      live_seconds: 60,
      by_day: [
        { date: '2026-03-01', active_members: 2, learning_seconds: 1860, live_seconds: 0, xp: 25, tasks_completed: 1 },
        { date: '2026-03-02', active_members: 2, learning_seconds: 3660, live_seconds: 60, xp: 0, tasks_completed: 1 },
      ],
    });
    const team = await api.get(`/api/v1/admin/stats/engagement?organization_id=${org.id}&team_id=${org.teamId}&${range}`, { token: cast.owner.accessToken });
    expect(team.body).toMatchObject({ team_id: org.teamId, member_count: 3, active_members: 3, learning_seconds: 1920, xp_total: 25, tasks_completed: 2, live_seconds: 60 });
    expect(team.body.by_day[1]).toEqual({ date: '2026-03-02', active_members: 1, learning_seconds: 60, live_seconds: 60, xp: 0, tasks_completed: 1 });
    // One day; and the day after the range, where the member's submission at 00:00:00Z falls.
    const one = await api.get(`/api/v1/admin/stats/engagement?organization_id=${org.id}&start_date=2026-03-03&end_date=2026-03-03`, { token: cast.admin.accessToken });
    expect(one.body).toMatchObject({ active_members: 1, learning_seconds: 60, live_seconds: 60, xp_total: 50, tasks_completed: 0, by_day: [{ date: '2026-03-03', active_members: 1, xp: 50 }] });
    // GraphQL: the same figures.
    const g = await gql(server.url, EngagementStatsDocument, { organizationId: org.id, startDate: '2026-03-01', endDate: '2026-03-02' }, cast.admin.accessToken);
    expect(g.errors).toBeUndefined();
    expect(g.data!.engagementStats).toMatchObject({ memberCount: 4, activeMembers: 4, learningSeconds: 5520, liveSeconds: 60, xpTotal: 25, tasksCompleted: 2 });
    expect(g.data!.engagementStats!.byDay.map((d) => [d.date, d.activeMembers, d.learningSeconds])).toEqual([
      ['2026-03-01', 2, 1860],
      ['2026-03-02', 2, 3660],
    ]);
  });

  it("one member's figures, with by_day; 404 (GraphQL null) for a user who is not a member of the organization or the team", async () => {
    const r = await api.get(`/api/v1/admin/stats/users/${cast.member.user.id}?organization_id=${org.id}&${range}`, { token: cast.admin.accessToken });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      user_id: cast.member.user.id,
      username: cast.member.user.username,
      full_name: cast.member.input.full_name,
      organization_id: org.id,
      team_id: null,
      start_date: '2026-03-01',
      end_date: '2026-03-02',
      learning_seconds: 60,
      xp_total: 0,
      tasks_completed: 1,
      live_seconds: 60,
      active_days: 1,
      // The live session ran past the range: its activity counts up to the range's end.
      last_active_at: '2026-03-03T00:00:00.000Z',
      by_day: [
        { date: '2026-03-01', learning_seconds: 0, live_seconds: 0, xp: 0, tasks_completed: 0 },
        { date: '2026-03-02', learning_seconds: 60, live_seconds: 60, xp: 0, tasks_completed: 1 },
      ],
    });
    const admin = await api.get(`/api/v1/admin/stats/users/${cast.admin.user.id}?organization_id=${org.id}&team_id=${org.teamId}&${range}`, { token: cast.owner.accessToken });
    expect(admin.body).toMatchObject({ learning_seconds: 1860, xp_total: 20, tasks_completed: 1, live_seconds: 0, active_days: 1, last_active_at: '2026-03-01T10:00:00.000Z' });
    // The owner is a member, not of the team; the stranger is no member; an unknown id neither.
    expect((await api.get(`/api/v1/admin/stats/users/${cast.owner.user.id}?organization_id=${org.id}&team_id=${org.teamId}&${range}`, { token: cast.admin.accessToken })).status).toBe(404);
    expect((await api.get(`/api/v1/admin/stats/users/${cast.stranger.user.id}?organization_id=${org.id}&${range}`, { token: cast.admin.accessToken })).status).toBe(404);
    expect((await api.get(`/api/v1/admin/stats/users/${randomUUID()}?organization_id=${org.id}&${range}`, { token: cast.admin.accessToken })).status).toBe(404);
    const g = await gql(server.url, MemberStatsDocument, { organizationId: org.id, userId: cast.owner.user.id, startDate: '2026-03-01', endDate: '2026-03-02' }, cast.admin.accessToken);
    expect(g.data!.memberStats).toMatchObject({ learningSeconds: 3600, activeDays: 1, lastActiveAt: '2026-03-02T13:00:00.000Z' });
    const none = await gql(server.url, MemberStatsDocument, { organizationId: org.id, userId: cast.stranger.user.id }, cast.admin.accessToken);
    expect(none.errors).toBeUndefined();
    expect(none.data!.memberStats).toBeNull();
  });

  it('the progress list: sorting, paging, search, organizations and teams the caller can see', async () => {
    // The admin is also in a second organization of the owner's (seen) and in a stranger's (not seen).
    const second = await api.post('/api/organizations', { name: `Second ${randomUUID().slice(0, 8)}` }, { token: cast.owner.accessToken });
    expect((await api.post(`/api/organizations/${second.body.id}/members`, { user_id: cast.admin.user.id, role: 'member' }, { token: cast.owner.accessToken })).status).toBe(201);
    const hidden = await api.post('/api/organizations', { name: `Hidden ${randomUUID().slice(0, 8)}` }, { token: cast.stranger.accessToken });
    expect((await api.post(`/api/organizations/${hidden.body.id}/members`, { user_id: cast.admin.user.id, role: 'member' }, { token: cast.stranger.accessToken })).status).toBe(201);

    const list = (query: string, token = cast.owner.accessToken) => api.get(`/api/v1/admin/stats/progress/members?org_id=${org.id}&${range}${query}`, { token });
    const ids = (body: { items: { user_id: string }[] }) => body.items.map((i) => i.user_id);
    const byId = (...who: (keyof Cast)[]) => who.map((w) => cast[w].user.id);
    const tie = (a: keyof Cast, b: keyof Cast) => (cast[a].user.id < cast[b].user.id ? byId(a, b) : byId(b, a));

    const r = await list('');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ total: 4, page: 1, limit: 20 });
    // Default: XP, most first; ties by user id.
    expect(ids(r.body)).toEqual([...byId('admin', 'extra'), ...tie('member', 'owner')]);
    const admin = r.body.items[0];
    const orgName = (await api.get(`/api/organizations/${org.id}`, { token: cast.owner.accessToken })).body.name as string;
    const names = [orgName, second.body.name as string].sort();
    expect(admin).toMatchObject({ username: cast.admin.user.username, xp: 20, tasks_completed: 1, learning_seconds: 1860, last_active_at: '2026-03-01T10:00:00.000Z', organizations: names, teams: ['Core'] });
    expect(admin.affiliations).toHaveLength(2);
    expect(admin.affiliations).toContainEqual({ organization_id: org.id, organization_name: orgName, team_id: org.teamId, team_name: 'Core', role: 'admin' });
    expect(admin.affiliations).toContainEqual({ organization_id: second.body.id, organization_name: second.body.name, team_id: null, team_name: null, role: 'member' });
    expect(r.body.items.find((i: { user_id: string }) => i.user_id === cast.extra.user.id)).toMatchObject({ xp: 5, learning_seconds: 0, tasks_completed: 0, last_active_at: '2026-03-01T00:00:00.000Z' });

    expect(ids((await list('&sort=learning_seconds&order=desc')).body)).toEqual(byId('owner', 'admin', 'member', 'extra'));
    expect(ids((await list('&sort=learning_seconds&order=asc')).body)).toEqual(byId('extra', 'member', 'admin', 'owner'));
    expect(ids((await list('&sort=last_active_at&order=asc')).body)).toEqual(byId('extra', 'admin', 'owner', 'member'));
    expect(ids((await list('&sort=tasks_completed&order=asc')).body)).toEqual([...tie('extra', 'owner'), ...tie('admin', 'member')]);
    const usernames = [...byId('owner', 'admin', 'member', 'extra')].sort((a, b) => {
      const name = (id: string) => Object.values(cast).find((c) => c.user.id === id)!.user.username.toLowerCase();
      return name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0;
    });
    expect(ids((await list('&sort=username&order=asc')).body)).toEqual(usernames);
    expect(ids((await list('&sort=username&order=desc')).body)).toEqual([...usernames].reverse());

    // Paging: page 2 of 3-member pages holds the fourth; a page past the end is empty with the total.
    const p2 = await list('&sort=learning_seconds&limit=3&page=2');
    expect(p2.body).toMatchObject({ total: 4, page: 2, limit: 3 });
    expect(ids(p2.body)).toEqual(byId('extra'));
    expect((await list('&limit=3&page=5')).body).toEqual({ items: [], total: 4, page: 5, limit: 3 });

    // Search: a part of the member's username (in any case), of their email, of their full name; and nothing.
    const part = cast.member.user.username.slice(5).toUpperCase();
    const found = await list(`&q=${encodeURIComponent(part)}`);
    expect(ids(found.body)).toEqual(byId('member'));
    expect(found.body.total).toBe(1);
    expect(ids((await list(`&q=${encodeURIComponent(cast.extra.user.email.split('@')[0]!)}`)).body)).toEqual(byId('extra'));
    expect(ids((await list(`&q=${encodeURIComponent(cast.owner.input.full_name.toLowerCase())}`)).body)).toEqual(byId('owner'));
    // A wildcard is a character like any other.
    expect((await list('&q=%25')).body.total).toBe(0);
    expect((await list('&q=nobody-is-called-this')).body).toEqual({ items: [], total: 0, page: 1, limit: 20 });

    // GraphQL: the same list as a connection, paged forward and backward.
    const page1 = await gql(server.url, MemberProgressDocument, { organizationId: org.id, startDate: '2026-03-01', endDate: '2026-03-02', sort: 'LEARNING_SECONDS' as never, order: 'DESC' as never, first: 3 }, cast.owner.accessToken);
    expect(page1.errors).toBeUndefined();
    const c = page1.data!.memberProgress!;
    expect(c.totalCount).toBe(4);
    expect(c.edges.map((e) => e.node.userId)).toEqual(byId('owner', 'admin', 'member'));
    expect(c.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const page2 = await gql(server.url, MemberProgressDocument, { organizationId: org.id, startDate: '2026-03-01', endDate: '2026-03-02', sort: 'LEARNING_SECONDS' as never, order: 'DESC' as never, first: 3, after: c.pageInfo.endCursor }, cast.owner.accessToken);
    expect(page2.data!.memberProgress!.edges.map((e) => e.node.userId)).toEqual(byId('extra'));
    expect(page2.data!.memberProgress!.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    const back = await gql(server.url, MemberProgressDocument, { organizationId: org.id, startDate: '2026-03-01', endDate: '2026-03-02', sort: 'LEARNING_SECONDS' as never, order: 'DESC' as never, last: 2, before: page2.data!.memberProgress!.pageInfo.startCursor }, cast.owner.accessToken);
    expect(back.data!.memberProgress!.edges.map((e) => e.node.userId)).toEqual(byId('admin', 'member'));
  });

  it('refuses outsiders (404; GraphQL null, without an error), members (403) and bad dates (validation_error, both doors)', async () => {
    const q = `organization_id=${org.id}&${range}`;
    expect((await api.get(`/api/v1/admin/stats/engagement?${q}`, { token: cast.member.accessToken })).status).toBe(403);
    expect((await api.get(`/api/v1/admin/stats/engagement?${q}`, { token: cast.stranger.accessToken })).status).toBe(404);
    expect((await api.get(`/api/v1/admin/stats/engagement?${q}`)).status).toBe(401);
    expect((await api.get(`/api/v1/admin/stats/progress/members?org_id=${org.id}`, { token: cast.member.accessToken })).status).toBe(403);
    // A team of another organization.
    const other = await makeOrg(api, cast);
    expect((await api.get(`/api/v1/admin/stats/engagement?${q}&team_id=${other.teamId}`, { token: cast.admin.accessToken })).status).toBe(404);
    // An API key: organizations:read, with its creator's role.
    const ownerKey = await makeKey(api, cast.owner, org.id, ['organizations:read']);
    expect((await api.get(`/api/v1/admin/stats/engagement?${q}`, { apiKey: ownerKey.key })).body).toMatchObject({ member_count: 4, xp_total: 25 });
    const narrowKey = await makeKey(api, cast.owner, org.id, ['xel:read']);
    const refused = await api.get(`/api/v1/admin/stats/engagement?${q}`, { apiKey: narrowKey.key });
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toMatchObject({ error: 'INSUFFICIENT_API_KEY_SCOPE', required_scope: 'organizations:read' });
    const memberKey = await makeKey(api, cast.member, org.id, ['organizations:read']);
    expect((await api.get(`/api/v1/admin/stats/engagement?${q}`, { apiKey: memberKey.key })).status).toBe(403);

    for (const bad of ['start_date=2026-3-1', 'start_date=2026-02-30', 'start_date=2026-03-02&end_date=2026-03-01', 'start_date=2025-01-01&end_date=2026-03-01', 'end_date=0000-01-03']) {
      for (const path of [`/api/v1/admin/stats/engagement?organization_id=${org.id}`, `/api/v1/admin/stats/users/${cast.member.user.id}?organization_id=${org.id}`, `/api/v1/admin/stats/progress/members?org_id=${org.id}`]) {
        const res = await api.get(`${path}&${bad}`, { token: cast.admin.accessToken });
        expect(res.status, `${path} ${bad}`).toBe(400);
        expect(res.body.detail.error).toBe('validation_error');
      }
    }
    for (const bad of ['sort=email', 'order=up', 'page=0', 'limit=101']) {
      const res = await api.get(`/api/v1/admin/stats/progress/members?org_id=${org.id}&${bad}`, { token: cast.admin.accessToken });
      expect(res.status, bad).toBe(400);
    }
    const g = await gql(server.url, EngagementStatsDocument, { organizationId: org.id, startDate: '2026-03-02', endDate: '2026-03-01' }, cast.admin.accessToken);
    expect(errorCode(g)).toBe('validation_error');
    // Each door names the field its own way.
    expect(g.errors?.[0]?.extensions?.fields).toEqual([{ path: ['endDate'], message: 'must be on or after the start date' }]);
    const r = await api.get(`/api/v1/admin/stats/engagement?organization_id=${org.id}&start_date=2026-03-02&end_date=2026-03-01`, { token: cast.admin.accessToken });
    expect(r.body.detail.fields).toEqual([{ loc: ['query', 'end_date'], message: 'must be on or after the start date' }]);
    expect(errorCode(await gql(server.url, EngagementStatsDocument, { organizationId: org.id }, cast.member.accessToken))).toBe('forbidden');
    // An outsider gets null, without an error, as organization(id) answers (REST keeps its 404).
    const progress = await gql(server.url, MemberProgressDocument, { organizationId: org.id }, cast.stranger.accessToken);
    expect(progress.errors).toBeUndefined();
    expect(progress.data).toEqual({ memberProgress: null });
    const engagement = await gql(server.url, EngagementStatsDocument, { organizationId: org.id }, cast.stranger.accessToken);
    expect(engagement.errors).toBeUndefined();
    expect(engagement.data).toEqual({ engagementStats: null });
  });

  it('finds a member by a name with accents and other non-ASCII capitals, in any case, on both databases', async () => {
    const named = await signUp(api, { full_name: 'Élodie Ünal' });
    expect((await api.post(`/api/organizations/${org.id}/members`, { user_id: named.user.id, role: 'member' }, { token: cast.owner.accessToken })).status).toBe(201);
    try {
      for (const q of ['Élodie', 'élodie', 'ÉLODIE', 'ünal', 'ÜNAL']) {
        const res = await api.get(`/api/v1/admin/stats/progress/members?org_id=${org.id}&${range}&q=${encodeURIComponent(q)}`, { token: cast.admin.accessToken });
        expect(res.body.items.map((i: { user_id: string }) => i.user_id), q).toEqual([named.user.id]);
      }
    } finally {
      await api.delete(`/api/organizations/${org.id}/members/${named.user.id}`, { token: cast.owner.accessToken });
    }
  });

  it('defaults to the last 7 days ending today (UTC, by the server clock)', async () => {
    const r = await api.get(`/api/v1/admin/stats/engagement?organization_id=${org.id}`, { token: cast.admin.accessToken });
    expect(r.body).toMatchObject({ start_date: '2026-03-04', end_date: '2026-03-10' });
    expect(r.body.by_day).toHaveLength(7);
  });
});

describe('admin statistics, statements flat in the number of members', () => {
  /** An organization whose owner signs up, with `n` members inserted in bulk, each with a conversation session, a submission and a completion. */
  async function orgOf(n: number) {
    const owner = await signUp(api);
    const created = await api.post('/api/organizations', { name: `Flat ${n} ${randomUUID().slice(0, 8)}` }, { token: owner.accessToken });
    const orgId = created.body.id as string;
    const em = server.app.orm.em.fork();
    const task = (await em.find(XelTask, { id: { $ne: null } }, { populate: ['module'], orderBy: { id: 'asc' }, limit: 1 }))[0]!;
    const tag = randomUUID().slice(0, 8);
    const users = Array.from({ length: n }, (_, i) => {
      const username = `f${tag}${i}`;
      return { id: randomUUID(), email: `${username}@example.com`, emailNormalized: `${username}@example.com`, username, usernameNormalized: username, passwordHash: 'x', fullName: `Flat ${i}`, preferredLanguage: 'en', timezone: 'UTC', plan: 'free', publicProfile: false, createdAt: new Date(), updatedAt: new Date() };
    });
    const day = (i: number) => `2026-03-0${1 + (i % 3)}`;
    await em.insertMany(User, users);
    await em.insertMany(Membership, users.map((u) => ({ id: randomUUID(), organization: em.getReference(Organization, orgId), user: em.getReference(User, u.id), role: 'member' as const, joinedAt: new Date() })));
    await em.insertMany(
      ConversationSession,
      users.map((u, i) => ({ id: randomUUID(), user: em.getReference(User, u.id), status: 'ended' as const, startedAt: at(`${day(i)}T10:00:00Z`), lastActivityAt: at(`${day(i)}T10:10:00Z`), endedAt: at(`${day(i)}T10:10:00Z`), activeSeconds: 600 })),
    );
    await em.insertMany(
      XelSubmission,
      users.map((u, i) => ({ id: randomUUID(), user: em.getReference(User, u.id), task, module: task.module, skill: 'reading', response: 'x', durationSeconds: 30, score: 100, maxScore: 100, passed: true, feedback: 'ok', xpAwarded: 10, day: day(i), createdAt: at(`${day(i)}T11:00:00Z`) })),
    );
    await em.insertMany(
      XelTaskProgress,
      users.map((u, i) => ({ id: randomUUID(), user: em.getReference(User, u.id), task, module: task.module, attempts: 1, bestScore: 100, completed: true, xpEarned: 10, completedAt: at(`${day(i)}T11:00:00Z`), lastAttemptAt: at(`${day(i)}T11:00:00Z`) })),
    );
    return { owner, orgId, n };
  }

  it('answers for 1,000 members in as many statements as for 10, with the figures of 1,000', async () => {
    const small = await orgOf(10);
    const large = await orgOf(1000);
    const range = 'start_date=2026-03-01&end_date=2026-03-07';
    const calls = (o: Awaited<ReturnType<typeof orgOf>>, member: string) => [
      () => api.get(`/api/v1/admin/stats/engagement?organization_id=${o.orgId}&${range}`, { token: o.owner.accessToken }),
      () => api.get(`/api/v1/admin/stats/users/${member}?organization_id=${o.orgId}&${range}`, { token: o.owner.accessToken }),
      () => api.get(`/api/v1/admin/stats/progress/members?org_id=${o.orgId}&${range}&limit=100&sort=full_name&order=asc&q=flat`, { token: o.owner.accessToken }),
      () => gql(server.url, MemberProgressDocument, { organizationId: o.orgId, startDate: '2026-03-01', endDate: '2026-03-07', first: 100 }, o.owner.accessToken),
    ];
    const em = server.app.orm.em.fork();
    const anyMember = async (orgId: string) => (await em.findOneOrFail(Membership, { organization: orgId, role: 'member' })).user.id;
    const counts = async (o: Awaited<ReturnType<typeof orgOf>>) => {
      const out: number[] = [];
      for (const call of calls(o, await anyMember(o.orgId))) {
        await call(); // warm: the caller's session and membership lookups as any later request finds them
        let res: unknown;
        out.push(await countStatements(server.app.orm, async () => (res = await call())));
        expect((res as { status: number }).status).toBe(200);
      }
      return out;
    };
    const few = await counts(small);
    const many = await counts(large);
    expect(many).toEqual(few);
    // Fixed and small: the caller's role, the figures in one statement, and the page's affiliations in one.
    for (const n of many) expect(n).toBeLessThanOrEqual(5);

    const e = await api.get(`/api/v1/admin/stats/engagement?organization_id=${large.orgId}&${range}`, { token: large.owner.accessToken });
    expect(e.body).toMatchObject({ member_count: 1001, active_members: 1000, learning_seconds: 1000 * (600 + 30), xp_total: 10_000, tasks_completed: 1000, live_seconds: 0 });
    expect(e.body.by_day.slice(0, 3).map((d: { active_members: number }) => d.active_members)).toEqual([334, 333, 333]);
    const list = await api.get(`/api/v1/admin/stats/progress/members?org_id=${large.orgId}&${range}&limit=100&page=11&sort=username&order=asc`, { token: large.owner.accessToken });
    expect(list.body.total).toBe(1001);
    expect(list.body.items).toHaveLength(1);
  });
});
