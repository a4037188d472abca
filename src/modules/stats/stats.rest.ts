import { z } from 'zod';
import { AppError } from '../../common/errors.js';
import { defineRoute, type RestRoute } from '../../rest/route-table.js';
import type { ServiceMap } from '../manifest.js';
import { OrganizationRole } from '../organizations/index.js';
import type { EngagementStats, MemberProgressPage, MemberStats } from './stats.service.js';
import { engagementStatsSchema, memberProgressSchema } from './stats.types.js';

const DATE_RULES = 'Dates are YYYY-MM-DD with UTC day boundaries: start_date included from 00:00:00Z, end_date included up to 00:00:00Z of the day after (exclusive); at most 366 days.';
const WHO = 'For admins and owners of the organization: anyone else gets 404 (outsiders) or 403 (members).';

const int = (what: string) => z.number().int().describe(what);
const day = z.string().describe('The day (YYYY-MM-DD, a UTC day from 00:00:00Z to 00:00:00Z of the day after).');
const dayFigures = {
  date: day,
  learning_seconds: int('Learning seconds that day, all sources (conversation learning sessions, live sessions, timed XEL practice).'),
  live_seconds: int('The part of learning_seconds spent in live sessions.'),
  xp: int('Xentree English XP earned that day.'),
  tasks_completed: int('Xentree English tasks first completed that day.'),
};

export const engagementResponseSchema = z
  .object({
    organization_id: z.string().describe('The organization.'),
    team_id: z.string().nullable().describe('The team the figures are narrowed to, or null.'),
    start_date: day.describe('The first day of the range (UTC).'),
    end_date: day.describe('The last day of the range (UTC), included.'),
    member_count: int('The members counted (of the team, with team_id), active or not.'),
    active_members: int('Members with any learning second or XEL submission in the range.'),
    learning_seconds: int('Learning seconds of the range, all sources; the sum of by_day.'),
    xp_total: int('Xentree English XP earned in the range.'),
    tasks_completed: int('Xentree English tasks first completed in the range.'),
    live_seconds: int('The part of learning_seconds spent in live sessions.'),
    by_day: z
      .array(z.object({ ...dayFigures, active_members: int('Members with any learning second or XEL submission that day.') }).meta({ id: 'EngagementDay', description: "One UTC day of an organization's engagement." }))
      .describe('Every day of the range, oldest first (days without activity: zeros).'),
  })
  .meta({
    id: 'EngagementStatsResponse',
    description: "An organization's (or one team's) engagement over a range of UTC days.",
    examples: [
      {
        organization_id: '7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d',
        team_id: null,
        start_date: '2026-03-01',
        end_date: '2026-03-01',
        member_count: 12,
        active_members: 5,
        learning_seconds: 7200,
        xp_total: 340,
        tasks_completed: 9,
        live_seconds: 1800,
        by_day: [{ date: '2026-03-01', active_members: 5, learning_seconds: 7200, live_seconds: 1800, xp: 340, tasks_completed: 9 }],
      },
    ],
  });
const toEngagement = (e: EngagementStats): z.infer<typeof engagementResponseSchema> => ({
  organization_id: e.organizationId,
  team_id: e.teamId,
  start_date: e.startDate,
  end_date: e.endDate,
  member_count: e.memberCount,
  active_members: e.activeMembers,
  learning_seconds: e.learningSeconds,
  xp_total: e.xpTotal,
  tasks_completed: e.tasksCompleted,
  live_seconds: e.liveSeconds,
  by_day: e.byDay.map((d) => ({ date: d.date, active_members: d.activeMembers, learning_seconds: d.learningSeconds, live_seconds: d.liveSeconds, xp: d.xp, tasks_completed: d.tasksCompleted })),
});

export const memberStatsResponseSchema = z
  .object({
    user_id: z.string().describe("The member's user id."),
    username: z.string().describe('Their username.'),
    full_name: z.string().nullable().describe('Their full name, or null.'),
    organization_id: z.string().describe('The organization.'),
    team_id: z.string().nullable().describe('The team asked about, or null.'),
    start_date: day.describe('The first day of the range (UTC).'),
    end_date: day.describe('The last day of the range (UTC), included.'),
    learning_seconds: int('Learning seconds of the range, all sources; the sum of by_day.'),
    xp_total: int('XP earned in the range.'),
    tasks_completed: int('Tasks first completed in the range.'),
    live_seconds: int('The part of learning_seconds spent in live sessions.'),
    active_days: int('Days of the range with any learning second or XEL submission.'),
    last_active_at: z.iso.datetime().nullable().describe('Their last activity in the range (the end of learning, a submission, a completion), or null.'),
    by_day: z.array(z.object(dayFigures).meta({ id: 'MemberStatsDay', description: "One UTC day of a member's figures." })).describe('Every day of the range, oldest first (days without activity: zeros).'),
  })
  .meta({ id: 'MemberStatsResponse', description: "One member's figures over a range of UTC days." });
const toMemberStats = (m: MemberStats): z.infer<typeof memberStatsResponseSchema> => ({
  user_id: m.userId,
  username: m.username,
  full_name: m.fullName,
  organization_id: m.organizationId,
  team_id: m.teamId,
  start_date: m.startDate,
  end_date: m.endDate,
  learning_seconds: m.learningSeconds,
  xp_total: m.xpTotal,
  tasks_completed: m.tasksCompleted,
  live_seconds: m.liveSeconds,
  active_days: m.activeDays,
  last_active_at: m.lastActiveAt?.toISOString() ?? null,
  by_day: m.byDay.map((d) => ({ date: d.date, learning_seconds: d.learningSeconds, live_seconds: d.liveSeconds, xp: d.xp, tasks_completed: d.tasksCompleted })),
});

const affiliationSchema = z
  .object({
    organization_id: z.string().describe('The organization.'),
    organization_name: z.string().describe("The organization's name."),
    team_id: z.string().nullable().describe('Their team in it, or null.'),
    team_name: z.string().nullable().describe("The team's name, or null."),
    role: OrganizationRole.schema.describe('Their role in it.'),
  })
  .meta({ id: 'MemberAffiliation', description: "A member's organization, team and role, in an organization the caller belongs to." });

export const memberProgressItemSchema = z
  .object({
    user_id: z.string().describe("The member's user id."),
    username: z.string().describe('Their username.'),
    full_name: z.string().nullable().describe('Their full name, or null.'),
    organizations: z.array(z.string()).describe('The names of their organizations that the caller belongs to too (this one included), by name.'),
    teams: z.array(z.string()).describe('The names of their teams in those organizations.'),
    affiliations: z.array(affiliationSchema).describe('Their organization, team and role in each of those organizations.'),
    xp: int('XP earned in the range.'),
    tasks_completed: int('Tasks first completed in the range.'),
    learning_seconds: int('Learning seconds of the range, all sources.'),
    last_active_at: z.iso.datetime().nullable().describe('Their last activity in the range, or null.'),
  })
  .meta({ id: 'MemberProgressItem', description: "A member's progress over a range of UTC days." });

export const memberProgressResponseSchema = z
  .object({
    items: z.array(memberProgressItemSchema).describe('The members of this page, in the order asked for.'),
    total: int('How many members the whole list holds (after q).'),
    page: int('This page, from 1.'),
    limit: int('The page size asked for.'),
  })
  .meta({ id: 'MemberProgressResponse', description: "A page of an organization's members with their progress." });
const toProgress = (p: MemberProgressPage): z.infer<typeof memberProgressResponseSchema> => ({
  items: p.items.map((m) => ({
    user_id: m.userId,
    username: m.username,
    full_name: m.fullName,
    organizations: m.organizations,
    teams: m.teams,
    affiliations: m.affiliations.map((a) => ({ organization_id: a.organizationId, organization_name: a.organizationName, team_id: a.teamId, team_name: a.teamName, role: a.role })),
    xp: m.xp,
    tasks_completed: m.tasksCompleted,
    learning_seconds: m.learningSeconds,
    last_active_at: m.lastActiveAt?.toISOString() ?? null,
  })),
  total: p.total,
  page: p.page,
  limit: p.limit,
});

const count = (what: string, max: number, fallback: number) =>
  z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(max, `must be at most ${max}`)
    .default(fallback)
    .describe(what);

/** The progress list's query as documented: `org_id` (not organization_id), `page` and `limit`. */
const progressQuerySchema = memberProgressSchema.omit({ organizationId: true }).extend({
  orgId: z.string({ error: 'must be an id' }).max(64, 'must be an id').describe('The organization (you must be one of its admins or owners).'),
  page: count('The page, from 1 (default 1).', 100_000, 1),
  limit: count('Members per page, 1 to 100 (default 20).', 100, 20),
});

const tag = 'Admin statistics';

export const statsRoutes = (s: Pick<ServiceMap, 'stats'>): RestRoute[] => [
  defineRoute({
    method: 'GET',
    path: '/api/v1/admin/stats/engagement',
    operationId: 'getEngagementStats',
    summary: "An organization's engagement over a range of days",
    description: `Active members, learning seconds (and the live part), XP and tasks completed, in total and for every day of the range; with team_id, that team's members only. ${DATE_RULES} ${WHO}`,
    tag,
    auth: 'organizations:read',
    query: engagementStatsSchema,
    handler: (ctx, { query }) => s.stats.engagement(ctx, query),
    response: { status: 200, description: '{active_members, learning_seconds, xp_total, tasks_completed, live_seconds, by_day: [...]}', schema: engagementResponseSchema, serialize: toEngagement },
  }),
  defineRoute({
    method: 'GET',
    path: '/api/v1/admin/stats/users/{user_id}',
    operationId: 'getMemberStats',
    summary: "One member's figures over a range of days",
    description: `Learning seconds (and the live part), XP, tasks completed, active days and the last activity, in total and for every day of the range. 404 for a user who is not a member (of team_id's team, when given). ${DATE_RULES} ${WHO}`,
    tag,
    auth: 'organizations:read',
    query: engagementStatsSchema,
    handler: async (ctx, { query, params }) => {
      const stats = await s.stats.member(ctx, { ...query, userId: params.user_id! });
      if (!stats) throw AppError.notFound('Member');
      return stats;
    },
    response: { status: 200, description: "The member's figures, with by_day.", schema: memberStatsResponseSchema, serialize: toMemberStats },
  }),
  defineRoute({
    method: 'GET',
    path: '/api/v1/admin/stats/progress/members',
    operationId: 'listMemberProgress',
    summary: "The organization's members with their progress",
    description: `XP, tasks completed, learning seconds and the last activity of each member over the range, with their organizations, teams and roles (in the organizations you belong to), sorted (sort, order), searched (q: username, full name or email), a page at a time. ${DATE_RULES} ${WHO}`,
    tag,
    auth: 'organizations:read',
    query: progressQuerySchema,
    handler: (ctx, { query: { orgId, page, limit, ...rest } }) => s.stats.progress(ctx, { ...rest, organizationId: orgId }, { page, limit }),
    response: { status: 200, description: '{items: [{user_id, username, full_name, organizations, teams, affiliations, xp, tasks_completed, learning_seconds, last_active_at}], total, page, limit}', schema: memberProgressResponseSchema, serialize: toProgress },
  }),
];
