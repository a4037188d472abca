/** Whether `day` (`YYYY-MM-DD`) is a day of the calendar: `Date.parse` takes 2026-02-30 for 2 March. */
export function isCalendarDay(day: string): boolean {
  const t = Date.parse(`${day}T00:00:00Z`);
  return Number.isFinite(t) && new Date(t).toISOString().slice(0, 10) === day;
}

/** A timestamp as the drivers return it in raw rows: ms numbers (SQLite), Date or strings (PostgreSQL). */
export const toDate = (v: number | string | Date): Date => (v instanceof Date ? v : new Date(typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v));
