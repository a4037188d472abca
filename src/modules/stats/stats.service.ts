import type { EntityManager } from '@mikro-orm/core';
import type { EntityManager as SqlEntityManager } from '@mikro-orm/sql';
import { requireMembership } from '../../common/access.js';
import type { RequestContext } from '../../common/context.js';
import { AppError } from '../../common/errors.js';
import { isId } from '../../common/ids.js';
import { least } from '../../common/sql-time.js';
import { parseInput } from '../../common/validation.js';
import type { Config, DbDriver } from '../../config.js';
import { offsetConnection, type ConnectionPage, type PageRequest } from '../../graphql/relay.js';
import { dayWindows, learningCtes, overlapMs, type DateRange, type LearningTimeService } from '../learning/index.js';
import { affiliationsOf, organizationMembersSql, Team, type Affiliation } from '../organizations/index.js';
import { xelProgressByDaySql } from '../xel/index.js';
import {
  engagementStatsSchema,
  memberProgressSchema,
  memberStatsSchema,
  type EngagementStatsData,
  type MemberProgressData,
  type MemberProgressSortValue,
  type MemberStatsData,
} from './stats.types.js';

/** One day's figures. */
export interface StatsDay {
  date: string;
  activeMembers: number;
  learningSeconds: number;
  liveSeconds: number;
  xp: number;
  tasksCompleted: number;
}

/** `GET /api/v1/admin/stats/engagement`. */
export interface EngagementStats {
  organizationId: string;
  teamId: string | null;
  startDate: string;
  endDate: string;
  memberCount: number;
  activeMembers: number;
  learningSeconds: number;
  liveSeconds: number;
  xpTotal: number;
  tasksCompleted: number;
  byDay: StatsDay[];
}

/** `GET /api/v1/admin/stats/users/{user_id}`. */
export interface MemberStats {
  userId: string;
  username: string;
  fullName: string | null;
  organizationId: string;
  teamId: string | null;
  startDate: string;
  endDate: string;
  learningSeconds: number;
  liveSeconds: number;
  xpTotal: number;
  tasksCompleted: number;
  activeDays: number;
  lastActiveAt: Date | null;
  byDay: Omit<StatsDay, 'activeMembers'>[];
}

/** A row of `GET /api/v1/admin/stats/progress/members`. */
export interface MemberProgress {
  userId: string;
  username: string;
  fullName: string | null;
  organizations: string[];
  teams: string[];
  affiliations: Omit<Affiliation, 'userId'>[];
  xp: number;
  tasksCompleted: number;
  learningSeconds: number;
  lastActiveAt: Date | null;
}

/** One page of the progress list, and the size of the whole list. */
export interface MemberProgressPage {
  items: MemberProgress[];
  total: number;
  page: number;
  limit: number;
}

type Num = number | string | null;
const num = (v: Num | undefined): number => (v === null || v === undefined ? 0 : Number(v));
const instant = (v: Num | undefined): Date | null => (v === null || v === undefined ? null : new Date(Number(v)));

/**
 * The admin statistics of an organization, for its admins and owners: engagement, one member's
 * figures and the members' progress list, over a range of UTC days by the documented date
 * rules. Every figure is computed in SQL from the modules' own rows (learning time from
 * conversation learning sessions, live sessions and timed XEL practice; XP and completed tasks
 * from XEL), in a fixed number of statements whatever the number of members.
 */
export class StatsService {
  constructor(
    private readonly config: Config,
    private readonly learningTime: LearningTimeService,
  ) {}

  private get driver(): DbDriver {
    return this.config.db.driver;
  }

  /**
   * The caller must be an admin or owner of the organization (an API key: of its own
   * organization, with `organizations:read`, acting with its creator's role); the team, when
   * given, one of its teams.
   * @throws as requireMembership (not_found for outsiders, forbidden below admin), not_found (Team)
   */
  private async admit(ctx: RequestContext, organizationId: string, teamId?: string | null): Promise<void> {
    await requireMembership(ctx, organizationId, 'organizations:read', 'admin');
    if (teamId !== undefined && teamId !== null && (!isId(teamId) || !(await ctx.em.count(Team, { id: teamId, organization: organizationId })))) throw AppError.notFound('Team');
  }

  /**
   * The statement every figure comes from: its CTEs end with
   * `stat_members(user_id, username, full_name)` (the members in scope) and
   * `user_days(user_id, day, learning_seconds, live_seconds, xp, tasks_completed, active, last_ms)`,
   * one row per member and day with any activity. Seconds are whole per member, day and source,
   * and every total is the sum of those, so the days add up to the range.
   */
  private figuresSql(members: { sql: string; params: unknown[] }, r: DateRange): { sql: string; params: unknown[] } {
    const d = this.driver;
    const ctes = learningCtes(d, { sql: 'select user_id from stat_members', params: [] }, r.start, r.end, dayWindows(r.start, r.end), {
      sql: `stat_members(user_id, username, full_name) as (${members.sql})`,
      params: members.params,
    });
    const sql =
      `${ctes.sql},` +
      ` learning_parts(user_id, day, source, seconds, last_ms) as (select i.user_id, d.day, i.source, cast(sum(${overlapMs(d)}) as bigint) / 1000, max(${least(d, 'i.end_ms', 'd.hi')})` +
      ' from learning_intervals as i inner join learning_days as d on i.start_ms < d.hi and i.end_ms > d.lo group by i.user_id, d.day, i.source),' +
      ` xel_days(user_id, day, xp, tasks_completed, submissions, last_ms) as (${xelProgressByDaySql(d)}),` +
      ' user_days(user_id, day, learning_seconds, live_seconds, xp, tasks_completed, active, last_ms) as (' +
      'select user_id, day, sum(ls), sum(lv), sum(xp), sum(tc), max(act), max(last_ms) from (' +
      "select user_id, day, seconds as ls, case when source = 'live' then seconds else 0 end as lv, 0 as xp, 0 as tc," +
      ' case when seconds > 0 then 1 else 0 end as act, case when seconds > 0 then last_ms end as last_ms from learning_parts' +
      ' union all select user_id, day, 0, 0, xp, tasks_completed, 1, last_ms from xel_days) as u group by user_id, day)';
    return { sql, params: ctes.params };
  }

  /**
   * Per day and for the whole range: active members, learning and live seconds, XP, tasks.
   * One statement: the range's row has `day` null and carries the members in scope and the last activity.
   */
  private async daysAndTotal(em: EntityManager, members: { sql: string; params: unknown[] }, r: DateRange) {
    const f = this.figuresSql(members, r);
    type Row = { day: string | null; active_members: Num; learning_seconds: Num; live_seconds: Num; xp: Num; tasks_completed: Num; member_count: Num; last_ms: Num; username: string | null; full_name: string | null };
    const figures = 'sum(learning_seconds) as learning_seconds, sum(live_seconds) as live_seconds, sum(xp) as xp, sum(tasks_completed) as tasks_completed';
    const rows = await (em as SqlEntityManager).execute<Row[]>(
      `${f.sql} select day, count(*) as active_members, ${figures}, 0 as member_count, max(last_ms) as last_ms, null as username, null as full_name from user_days where active = 1 group by day` +
        ` union all select null, count(distinct user_id), ${figures}, (select count(*) from stat_members), max(last_ms),` +
        ' (select max(username) from stat_members), (select max(full_name) from stat_members) from user_days where active = 1',
      f.params,
    );
    const perDay = new Map(rows.filter((row) => row.day !== null).map((row) => [row.day!, row]));
    const total = rows.find((row) => row.day === null);
    const byDay: StatsDay[] = dayWindows(r.start, r.end).map((w) => {
      const row = perDay.get(w.date);
      return { date: w.date, activeMembers: num(row?.active_members), learningSeconds: num(row?.learning_seconds), liveSeconds: num(row?.live_seconds), xp: num(row?.xp), tasksCompleted: num(row?.tasks_completed) };
    });
    return {
      memberCount: num(total?.member_count),
      activeMembers: num(total?.active_members),
      learningSeconds: num(total?.learning_seconds),
      liveSeconds: num(total?.live_seconds),
      xpTotal: num(total?.xp),
      tasksCompleted: num(total?.tasks_completed),
      lastActiveAt: instant(total?.last_ms),
      username: total?.username ?? null,
      fullName: total?.full_name ?? null,
      byDay,
    };
  }

  /**
   * An organization's engagement (one team's with `teamId`) over a range of UTC days.
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE (organizations:read), not_found, forbidden, validation_error
   */
  async engagement(ctx: RequestContext, data: EngagementStatsData): Promise<EngagementStats> {
    const input = parseInput(engagementStatsSchema, data);
    await this.admit(ctx, input.organizationId, input.teamId);
    const r = this.learningTime.range(input.startDate, input.endDate);
    const t = await this.daysAndTotal(ctx.em, organizationMembersSql({ organizationId: input.organizationId, teamId: input.teamId }), r);
    return {
      organizationId: input.organizationId,
      teamId: input.teamId ?? null,
      startDate: r.startDate,
      endDate: r.endDate,
      memberCount: t.memberCount,
      activeMembers: t.activeMembers,
      learningSeconds: t.learningSeconds,
      liveSeconds: t.liveSeconds,
      xpTotal: t.xpTotal,
      tasksCompleted: t.tasksCompleted,
      byDay: t.byDay,
    };
  }

  /**
   * One member's figures (a member of `teamId` when given) over a range of UTC days.
   * Null for a user who is not a member (of the team): REST answers 404, GraphQL null.
   * @throws as `engagement`
   */
  async member(ctx: RequestContext, data: MemberStatsData): Promise<MemberStats | null> {
    const input = parseInput(memberStatsSchema, data);
    await this.admit(ctx, input.organizationId, input.teamId);
    const r = this.learningTime.range(input.startDate, input.endDate);
    if (!isId(input.userId)) return null;
    const t = await this.daysAndTotal(ctx.em, organizationMembersSql({ organizationId: input.organizationId, teamId: input.teamId, userId: input.userId }), r);
    if (t.memberCount !== 1 || t.username === null) return null;
    return {
      userId: input.userId,
      username: t.username,
      fullName: t.fullName,
      organizationId: input.organizationId,
      teamId: input.teamId ?? null,
      startDate: r.startDate,
      endDate: r.endDate,
      learningSeconds: t.learningSeconds,
      liveSeconds: t.liveSeconds,
      xpTotal: t.xpTotal,
      tasksCompleted: t.tasksCompleted,
      activeDays: t.byDay.filter((day) => day.activeMembers > 0).length,
      lastActiveAt: t.lastActiveAt,
      byDay: t.byDay.map(({ activeMembers: _, ...day }) => day),
    };
  }

  /** The members' rows `offset`..`offset + limit` in the order asked for, with the list's size: one statement, and one for their affiliations. */
  private async progressRows(ctx: RequestContext, input: ReturnType<typeof memberProgressSchema.parse>, r: DateRange, offset: number, limit: number): Promise<{ items: MemberProgress[]; total: number | null }> {
    const d = this.driver;
    const f = this.figuresSql(organizationMembersSql({ organizationId: input.organizationId, q: input.q || null }), r);
    const text = (col: string) => (d === 'postgresql' ? `lower(${col}) collate "C"` : `lower(${col})`);
    const keys: Record<MemberProgressSortValue, string> = {
      xp: 'coalesce(p.xp, 0)',
      tasks_completed: 'coalesce(p.tasks_completed, 0)',
      learning_seconds: 'coalesce(p.learning_seconds, 0)',
      last_active_at: 'p.last_ms',
      username: text('m.username'),
      full_name: text('m.full_name'),
    };
    const key = keys[input.sort];
    const dir = input.order === 'asc' ? 'asc' : 'desc';
    const nullable = input.sort === 'last_active_at' || input.sort === 'full_name';
    type Row = { user_id: string; username: string; full_name: string | null; xp: Num; tasks_completed: Num; learning_seconds: Num; last_ms: Num; total: Num };
    const rows = await (ctx.em as SqlEntityManager).execute<Row[]>(
      `${f.sql}, per_user(user_id, learning_seconds, xp, tasks_completed, last_ms) as (select user_id, sum(learning_seconds), sum(xp), sum(tasks_completed), max(last_ms) from user_days group by user_id)` +
        ' select m.user_id, m.username, m.full_name, coalesce(p.xp, 0) as xp, coalesce(p.tasks_completed, 0) as tasks_completed, coalesce(p.learning_seconds, 0) as learning_seconds, p.last_ms, count(*) over () as total' +
        ' from stat_members as m left join per_user as p on p.user_id = m.user_id' +
        ` order by ${nullable ? `case when ${key} is null then 1 else 0 end, ` : ''}${key} ${dir}, m.user_id asc limit ? offset ?`,
      [...f.params, limit, offset],
    );
    const ids = rows.map((row) => String(row.user_id));
    const p = ctx.principal!;
    const affiliations = await affiliationsOf(ctx.em, ids, { userId: p.userId, organizationId: p.kind === 'user' ? null : p.organizationId });
    const byUser = new Map<string, Omit<Affiliation, 'userId'>[]>();
    for (const { userId, ...a } of affiliations) byUser.set(userId, [...(byUser.get(userId) ?? []), a]);
    const items = rows.map((row): MemberProgress => {
      const mine = byUser.get(String(row.user_id)) ?? [];
      return {
        userId: String(row.user_id),
        username: row.username,
        fullName: row.full_name,
        organizations: mine.map((a) => a.organizationName),
        teams: mine.flatMap((a) => (a.teamName === null ? [] : [a.teamName])),
        affiliations: mine,
        xp: num(row.xp),
        tasksCompleted: num(row.tasks_completed),
        learningSeconds: num(row.learning_seconds),
        lastActiveAt: instant(row.last_ms),
      };
    });
    return { items, total: rows.length ? num(rows[0]!.total) : null };
  }

  /** How many members the list holds (only asked when a page past its end says nothing). */
  private async progressCount(em: EntityManager, organizationId: string, q: string | null | undefined): Promise<number> {
    const m = organizationMembersSql({ organizationId, q: q || null });
    const rows = await (em as SqlEntityManager).execute<{ n: Num }[]>(`select count(*) as n from (${m.sql}) as m`, m.params);
    return num(rows[0]?.n);
  }

  /**
   * The progress list of an organization's members over a range of UTC days: XP, tasks first
   * completed, learning seconds, last activity, their organizations, teams and roles (those you
   * can see), sorted, searched with `q`, a page at a time (`page` from 1, `limit` up to 100).
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE (organizations:read), not_found, forbidden, validation_error
   */
  async progress(ctx: RequestContext, data: MemberProgressData, page: { page: number; limit: number }): Promise<MemberProgressPage> {
    const input = parseInput(memberProgressSchema, data);
    await this.admit(ctx, input.organizationId);
    const r = this.learningTime.range(input.startDate, input.endDate);
    const res = await this.progressRows(ctx, input, r, (page.page - 1) * page.limit, page.limit);
    return { items: res.items, total: res.total ?? (page.page > 1 ? await this.progressCount(ctx.em, input.organizationId, input.q) : 0), page: page.page, limit: page.limit };
  }

  /**
   * The same list as a connection: a cursor is a position in the list as ordered, as search's
   * (the figures are computed per request, so there is no stored key to page by).
   * @throws as `progress`; validation_error for a cursor of another connection
   */
  async progressConnection(ctx: RequestContext, data: MemberProgressData, request: PageRequest): Promise<ConnectionPage<MemberProgress>> {
    const input = parseInput(memberProgressSchema, data);
    await this.admit(ctx, input.organizationId);
    const r = this.learningTime.range(input.startDate, input.endDate);
    return offsetConnection(
      request,
      (offset, limit) => this.progressRows(ctx, input, r, offset, limit),
      () => this.progressCount(ctx.em.fork(), input.organizationId, input.q),
    );
  }
}
