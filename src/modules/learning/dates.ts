import { z } from 'zod';
import { isCalendarDay } from '../../common/time.js';

/**
 * The documented date rules of the statistics: `YYYY-MM-DD`, UTC day boundaries, the start
 * day included from 00:00:00Z, the end day included up to 00:00:00Z of the day after it
 * (exclusive). Calendar days of a time zone are made here too (for the learning pulse).
 */

export const DAY_MS = 86_400_000;
/** The longest range a query may ask for, in days. */
export const MAX_RANGE_DAYS = 366;

/** The earliest day a range may name. */
export const FIRST_DAY = '1970-01-01';

/** A calendar date as the date rules write it. */
export const dateSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date as YYYY-MM-DD')
  .refine(isCalendarDay, 'must be a real calendar date (YYYY-MM-DD)')
  // Nothing here is older than the epoch; a year-0000 end would default its start into year -1.
  .refine((d) => d >= FIRST_DAY, `must be ${FIRST_DAY} or later`);

/**
 * `YYYY-MM-DD` of an instant, in UTC: the whole date part, so an expanded year (`-000001-12-28`,
 * `+010000-01-01`) stays a day `dayStartUtc` reads back and `addDays` always moves on.
 */
export const utcDay = (ms: number): string => new Date(ms).toISOString().split('T')[0]!;

/** The UTC instant a date starts (00:00:00Z). */
export const dayStartUtc = (day: string): number => Date.parse(`${day}T00:00:00Z`);

/** `day` moved by `delta` calendar days. */
export const addDays = (day: string, delta: number): string => utcDay(dayStartUtc(day) + delta * DAY_MS);

/** A range by the date rules: [start 00:00Z, the day after end 00:00Z). */
export interface DateRange {
  startDate: string;
  endDate: string;
  start: Date;
  end: Date;
}

/**
 * The range of `startDate`..`endDate` by the date rules; `endDate` defaults to today (UTC, by
 * `nowMs`) and `startDate` to 6 days before `endDate`.
 * @throws nothing: the caller's schema checked the dates; the order and the span are checked by `rangeIssues`
 */
export function dateRange(nowMs: number, startDate?: string | null, endDate?: string | null): DateRange {
  const end = endDate ?? utcDay(nowMs);
  const start = startDate ?? addDays(end, -6);
  return { startDate: start, endDate: end, start: new Date(dayStartUtc(start)), end: new Date(dayStartUtc(end) + DAY_MS) };
}

/**
 * What is wrong with a range's order or span, as validation fields (empty: nothing). The field is
 * named as the services name inputs (`endDate`): REST answers it `end_date`, GraphQL `endDate`.
 */
export function rangeIssues(r: DateRange): { loc: string[]; message: string }[] {
  if (r.end.getTime() <= r.start.getTime()) return [{ loc: ['endDate'], message: 'must be on or after the start date' }];
  if ((r.end.getTime() - r.start.getTime()) / DAY_MS > MAX_RANGE_DAYS) return [{ loc: ['endDate'], message: `must be at most ${MAX_RANGE_DAYS} days after the start date` }];
  return [];
}

/** The days of a range, each with its UTC boundaries (ms since the epoch). */
export interface DayWindow {
  date: string;
  lo: number;
  hi: number;
}

const formats = new Map<string, Intl.DateTimeFormat>();
function formatOf(timeZone: string): Intl.DateTimeFormat {
  let f = formats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formats.set(timeZone, f);
  }
  return f;
}

/** How far ahead of UTC the zone's wall clock is at `ms`. */
function offsetMs(timeZone: string, ms: number): number {
  const parts = Object.fromEntries(formatOf(timeZone).formatToParts(ms).map((p) => [p.type, p.value]));
  const wall = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  return wall - (ms - (((ms % 1000) + 1000) % 1000));
}

/** The instant a calendar date starts in a time zone (its first existing instant when midnight is skipped). */
export function zonedDayStart(day: string, timeZone: string): number {
  if (timeZone === 'UTC') return dayStartUtc(day);
  const wall = dayStartUtc(day);
  let t = wall - offsetMs(timeZone, wall);
  t = wall - offsetMs(timeZone, t);
  if (zonedDay(t, timeZone) >= day) return t;
  // Midnight is skipped (clocks spring forward at 00:00, as in Santiago or Havana): `t` is still
  // on the day before; the day starts where the clocks jump, within the next day at most.
  let lo = t;
  let hi = t + DAY_MS;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (zonedDay(mid, timeZone) >= day) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** `YYYY-MM-DD` of an instant in a time zone. */
export const zonedDay = (ms: number, timeZone: string): string => {
  const parts = Object.fromEntries(formatOf(timeZone).formatToParts(ms).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day}`;
};

/**
 * The calendar days (of `timeZone`, UTC by default) that [start, end) touches, each with its
 * boundaries clipped to the range: a day across a DST change is 23 or 25 hours long.
 */
export function dayWindows(start: Date, end: Date, timeZone = 'UTC'): DayWindow[] {
  const out: DayWindow[] = [];
  const lo = start.getTime();
  const hi = end.getTime();
  if (hi <= lo) return out;
  let day = timeZone === 'UTC' ? utcDay(lo) : zonedDay(lo, timeZone);
  for (;;) {
    const dayLo = Math.max(lo, zonedDayStart(day, timeZone));
    if (dayLo >= hi) break;
    const next = addDays(day, 1);
    out.push({ date: day, lo: dayLo, hi: Math.min(hi, zonedDayStart(next, timeZone)) });
    day = next;
  }
  return out;
}
