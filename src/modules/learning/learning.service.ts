import type { EntityManager } from '@mikro-orm/core';
import type { EntityManager as SqlEntityManager } from '@mikro-orm/sql';
import { authorize } from '../../common/access.js';
import type { Clock } from '../../common/clock.js';
import type { RequestContext } from '../../common/context.js';
import { AppError } from '../../common/errors.js';
import { dbTime, greatest, least, timeParam } from '../../common/sql-time.js';
import { parseInput } from '../../common/validation.js';
import type { Config, DbDriver } from '../../config.js';
import { conversationSessionIntervalsSql } from '../conversations/index.js';
import { liveSessionIntervalsSql } from '../live/index.js';
import { User } from '../users/index.js';
import { xelPracticeIntervalsSql, type XelService } from '../xel/index.js';
import { addDays, dateRange, dayWindows, rangeIssues, zonedDay, zonedDayStart, type DateRange, type DayWindow } from './dates.js';
import { learningTimeSchema, type LearningTimeData } from './learning.types.js';

/** Where learning time comes from. */
export const LEARNING_SOURCES = ['conversation_sessions', 'live', 'xel'] as const;
export type LearningSource = (typeof LEARNING_SOURCES)[number];
export type SecondsBySource = Record<LearningSource, number>;

/** One user's learning on one day. */
export interface DaySeconds {
  userId: string;
  date: string;
  seconds: number;
  bySource: SecondsBySource;
}

/** `GET /api/xp/learning-time`. */
export interface LearningTime {
  startDate: string;
  endDate: string;
  totalSeconds: number;
  bySource: SecondsBySource;
  byDay: { date: string; seconds: number }[];
}

/** One day of the learning pulse. */
export interface PulseDay {
  date: string;
  xp: number;
  activeSeconds: number;
  intensity: number;
}

/** Who the figures are about: ids, or a select of `user_id` (with its parameters). */
export type UserScope = { ids: readonly string[] } | { sql: string; params: unknown[] };

export const PULSE_DAYS = 365;

/**
 * A day's intensity for a heatmap, 0 to 4, from its activity points (one per XP, one per
 * minute of learning): 0 no activity at all, 1 up to 9 (any activity, even under a minute),
 * 2 up to 29, 3 up to 59, 4 from 60.
 */
export function intensityOf(xp: number, activeSeconds: number): number {
  if (xp <= 0 && activeSeconds <= 0) return 0;
  const points = xp + Math.floor(activeSeconds / 60);
  if (points < 10) return 1;
  if (points < 30) return 2;
  if (points < 60) return 3;
  return 4;
}

const zero = (): SecondsBySource => ({ conversation_sessions: 0, live: 0, xel: 0 });

/**
 * The CTEs every learning-time statement starts with: `learning_users(user_id)`,
 * `learning_bounds(lo_at, hi_at)`, `learning_days(day, lo, hi)` (ms) and
 * `learning_intervals(source, user_id, start_ms, end_ms)`: the three sources' intervals (each
 * module's own select, from its index), each user's time counted once. Time two intervals share
 * (two conversation sessions open at once, a live session during one, practice meanwhile) goes
 * to the one that started first (the longer one on a tie): each interval is cut to begin where
 * every interval of the user that started before it has ended, and dropped when nothing is left,
 * so the intervals no longer overlap and their union is the same. `before` are CTEs of the caller's
 * (`name(cols) as (...)`, with their parameters) written ahead of these, which `users` may read.
 */
export function learningCtes(
  driver: DbDriver,
  users: UserScope,
  start: Date,
  end: Date,
  days: readonly DayWindow[],
  before?: { sql: string; params: unknown[] },
): { sql: string; params: unknown[] } {
  const id = driver === 'postgresql' ? 'cast(? as uuid)' : 'cast(? as text)';
  const usersSql = 'ids' in users ? `values ${users.ids.map(() => `(${id})`).join(', ')}` : users.sql;
  const usersParams = 'ids' in users ? [...users.ids] : users.params;
  const sql =
    `with ${before ? `${before.sql}, ` : ''}learning_users(user_id) as (${usersSql}),` +
    ` learning_bounds(lo_at, hi_at) as (select ${timeParam(driver)}, ${timeParam(driver)}),` +
    ` learning_days(day, lo, hi) as (values ${days.map(() => '(cast(? as text), cast(? as bigint), cast(? as bigint))').join(', ')}),` +
    ' learning_sources(source, user_id, start_ms, end_ms) as (' +
    `select 'conversation_sessions', user_id, start_ms, end_ms from (${conversationSessionIntervalsSql(driver)}) as c` +
    ` union all select 'live', user_id, start_ms, end_ms from (${liveSessionIntervalsSql(driver)}) as l` +
    ` union all select 'xel', user_id, start_ms, end_ms from (${xelPracticeIntervalsSql(driver)}) as x),` +
    // How far the user's earlier intervals reach: the end of the furthest of those before it.
    ' learning_reach(source, user_id, start_ms, end_ms, reach_ms) as (select source, user_id, start_ms, end_ms,' +
    ' max(end_ms) over (partition by user_id order by start_ms, end_ms desc, source rows between unbounded preceding and 1 preceding) from learning_sources),' +
    ` learning_intervals(source, user_id, start_ms, end_ms) as (select source, user_id, ${greatest(driver, 'start_ms', 'coalesce(reach_ms, start_ms)')}, end_ms from learning_reach` +
    ' where end_ms > coalesce(reach_ms, start_ms))';
  return { sql, params: [...(before?.params ?? []), ...usersParams, dbTime(driver, start), dbTime(driver, end), ...days.flatMap((d) => [d.date, d.lo, d.hi])] };
}

/** The milliseconds of an interval inside a day (the join keeps only overlapping pairs). */
export const overlapMs = (driver: DbDriver) => `${least(driver, 'i.end_ms', 'd.hi')} - ${greatest(driver, 'i.start_ms', 'd.lo')}`;

/**
 * Learning time: the seconds a learner spent in conversation learning sessions, live sessions
 * and timed XEL practice, from each module's own rows, summed in SQL (one statement, however
 * many users or days). An interval is split at day boundaries; seconds are whole per source
 * and day, and every total is the sum of those.
 */
export class LearningTimeService {
  constructor(
    private readonly config: Config,
    private readonly clock: Clock,
    private readonly xel: XelService,
  ) {}

  private get driver(): DbDriver {
    return this.config.db.driver;
  }

  /** Seconds per (user, day, source) over `days`, in one statement. */
  async bySourceAndDay(em: EntityManager, users: UserScope, start: Date, end: Date, days: readonly DayWindow[]): Promise<{ userId: string; date: string; source: LearningSource; seconds: number }[]> {
    if (!days.length || ('ids' in users && !users.ids.length)) return [];
    const ctes = learningCtes(this.driver, users, start, end, days);
    const rows = await (em as SqlEntityManager).execute<{ user_id: string; day: string; source: LearningSource; ms: number | string }[]>(
      `${ctes.sql} select i.user_id, d.day, i.source, sum(${overlapMs(this.driver)}) as ms from learning_intervals as i` +
        ' inner join learning_days as d on i.start_ms < d.hi and i.end_ms > d.lo group by i.user_id, d.day, i.source',
      ctes.params,
    );
    return rows.map((r) => ({ userId: String(r.user_id), date: r.day, source: r.source, seconds: Math.floor(Number(r.ms) / 1000) })).filter((r) => r.seconds > 0);
  }

  /** A user's learning seconds in [start, end): one statement. (The XP quests call this: keep the signature.) */
  async secondsBetween(em: EntityManager, userId: string, start: Date, end: Date): Promise<number> {
    if (end.getTime() <= start.getTime()) return 0;
    const rows = await this.bySourceAndDay(em, { ids: [userId] }, start, end, [{ date: 'all', lo: start.getTime(), hi: end.getTime() }]);
    return rows.reduce((n, r) => n + r.seconds, 0);
  }

  /**
   * Learning seconds of each of `userIds` per calendar day of `timeZone` (UTC by default) in
   * [start, end): days without learning are absent. One statement.
   */
  async secondsByDay(em: EntityManager, userIds: string[], start: Date, end: Date, timeZone?: string): Promise<DaySeconds[]> {
    const rows = await this.bySourceAndDay(em, { ids: userIds }, start, end, dayWindows(start, end, timeZone ?? 'UTC'));
    const byKey = new Map<string, DaySeconds>();
    for (const r of rows) {
      const key = `${r.userId}|${r.date}`;
      let d = byKey.get(key);
      if (!d) byKey.set(key, (d = { userId: r.userId, date: r.date, seconds: 0, bySource: zero() }));
      d.seconds += r.seconds;
      d.bySource[r.source] += r.seconds;
    }
    return [...byKey.values()].sort((a, b) => (a.userId === b.userId ? a.date.localeCompare(b.date) : a.userId.localeCompare(b.userId)));
  }

  /** The range of a query by the date rules, or validation_error. */
  range(startDate?: string | null, endDate?: string | null): DateRange {
    const r = dateRange(this.clock.now(), startDate, endDate);
    const issues = rangeIssues(r);
    if (issues.length) throw AppError.validation(issues);
    return r;
  }

  /**
   * The caller's learning time from `start_date` to `end_date` by the date rules (UTC days,
   * both included): the total, by source, and every day of the range.
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE (conversations:read), validation_error
   */
  async learningTime(ctx: RequestContext, data: LearningTimeData = {}): Promise<LearningTime> {
    const p = authorize(ctx, 'conversations:read');
    const input = parseInput(learningTimeSchema, data ?? {});
    const r = this.range(input.startDate, input.endDate);
    const days = await this.secondsByDay(ctx.em, [p.userId], r.start, r.end);
    const bySource = zero();
    const perDay = new Map(days.map((d) => [d.date, d.seconds]));
    for (const d of days) for (const s of LEARNING_SOURCES) bySource[s] += d.bySource[s];
    const byDay = dayWindows(r.start, r.end).map((w) => ({ date: w.date, seconds: perDay.get(w.date) ?? 0 }));
    return { startDate: r.startDate, endDate: r.endDate, totalSeconds: byDay.reduce((n, d) => n + d.seconds, 0), bySource, byDay };
  }

  /**
   * The caller's last 365 days, oldest first, ending today in their time zone: XP (from XEL's
   * days), learning seconds, and an intensity 0-4 for a heatmap.
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE (xel:read)
   */
  async learningPulse(ctx: RequestContext): Promise<PulseDay[]> {
    const p = authorize(ctx, 'xel:read');
    const user = await ctx.em.findOneOrFail(User, { id: p.userId }, { fields: ['timezone'] });
    const tz = user.timezone || 'UTC';
    const today = zonedDay(this.clock.now(), tz);
    const first = addDays(today, -(PULSE_DAYS - 1));
    const start = new Date(zonedDayStart(first, tz));
    const end = new Date(zonedDayStart(addDays(today, 1), tz));
    const [seconds, xp] = await Promise.all([this.secondsByDay(ctx.em.fork(), [p.userId], start, end, tz), this.xel.xpByDay(ctx.em.fork(), p.userId, first, today)]);
    const perDay = new Map(seconds.map((d) => [d.date, d.seconds]));
    const out: PulseDay[] = [];
    for (let i = 0; i < PULSE_DAYS; i++) {
      const date = addDays(first, i);
      const dayXp = xp.get(date) ?? 0;
      const activeSeconds = perDay.get(date) ?? 0;
      out.push({ date, xp: dayXp, activeSeconds, intensity: intensityOf(dayXp, activeSeconds) });
    }
    return out;
  }
}
