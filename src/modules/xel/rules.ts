/**
 * The documented XEL rules, as pure functions: XP, levels, pass marks, local days and streaks.
 * The README's "Xentree English" section states the same rules; change both together.
 */
import type { CefrLevel } from './content/types.js';

/** XP a task is worth at full marks, by the module's CEFR level. */
export const TASK_XP: Record<CefrLevel, number> = { A1: 10, A2: 15, B1: 20, B2: 25, C1: 30, C2: 35 };

/** Every task is scored out of 100. */
export const MAX_SCORE = 100;

/** A task is passed (and so completed) at this score or above. */
export const PASS_SCORE = 60;

/**
 * XP for reaching `score` on a task: proportional to the score, whole points.
 * A resubmission earns only `xpFor(newBest) - xpFor(oldBest)`, so repeating a task adds nothing
 * unless it beats the learner's best.
 */
export function xpFor(level: CefrLevel, score: number): number {
  return Math.floor((TASK_XP[level] * Math.max(0, Math.min(MAX_SCORE, score))) / MAX_SCORE);
}

export function xpAward(level: CefrLevel, previousBest: number, score: number): number {
  return Math.max(0, xpFor(level, score) - xpFor(level, previousBest));
}

/** Level n starts at 50·n·(n−1) XP: level 1 at 0, 2 at 100, 3 at 300, 4 at 600... */
export function levelOf(xp: number): { level: number; xpIntoLevel: number; xpForNextLevel: number } {
  let level = 1;
  while (50 * (level + 1) * level <= xp) level++;
  const start = 50 * level * (level - 1);
  const next = 50 * (level + 1) * level;
  return { level, xpIntoLevel: xp - start, xpForNextLevel: next - start };
}

const dayFormats = new Map<string, Intl.DateTimeFormat>();

/** The calendar day (YYYY-MM-DD) that instant falls on in `tz`. */
export function localDay(at: Date, tz: string): string {
  let f = dayFormats.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' });
    dayFormats.set(tz, f);
  }
  return f.format(at);
}

/** `day` moved by `delta` calendar days (days are dates, not instants: no DST involved). */
export function addDays(day: string, delta: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + delta);
  return d.toISOString().slice(0, 10);
}

export interface StreakState {
  currentStreak: number;
  longestStreak: number;
  lastActiveDay: string | null;
}

/**
 * The streak after activity on `day`. A day already counted changes nothing; the day after the
 * last active day extends the streak; any later day starts a new one. A day before the last
 * active day (possible after a timezone change) does not rewrite history.
 */
export function advanceStreak(s: StreakState, day: string): StreakState {
  if (s.lastActiveDay !== null && day <= s.lastActiveDay) return s;
  const current = s.lastActiveDay !== null && addDays(s.lastActiveDay, 1) === day ? s.currentStreak + 1 : 1;
  return { currentStreak: current, longestStreak: Math.max(s.longestStreak, current), lastActiveDay: day };
}

/**
 * The streak as it stands on `today`: alive if the last active day is today or yesterday, or
 * later than today (a time zone change to the west: the day the streak reached is still ahead).
 */
export function streakOn(s: StreakState, today: string): number {
  if (s.lastActiveDay === null) return 0;
  return s.lastActiveDay >= today || addDays(s.lastActiveDay, 1) === today ? s.currentStreak : 0;
}

/**
 * The streak as it stands on `today` with `freezesHeld` streak freezes not spent yet: the missed
 * days they would cover (they are spent lazily, by the gamification's next read or award) keep it.
 */
export function streakWithFreezes(s: StreakState, today: string, freezesHeld: number): number {
  const alive = streakOn(s, today);
  if (alive > 0 || s.lastActiveDay === null || freezesHeld <= 0) return alive;
  return addDays(s.lastActiveDay, freezesHeld + 1) >= today ? s.currentStreak : 0;
}

/** The band (0–9) a module's level expects for a passing writing or speaking task. */
export const PASS_BAND: Record<CefrLevel, number> = { A1: 3, A2: 3.5, B1: 4, B2: 5.5, C1: 7, C2: 8.5 };

/**
 * A writing or speaking task's score out of 100: reaching the level's pass band gives the pass
 * mark (60), band 9 gives 100, linear in between and below.
 */
export function scoreFromBand(band: number, level: CefrLevel): number {
  const pass = PASS_BAND[level];
  if (band >= pass) return Math.round(PASS_SCORE + ((band - pass) / Math.max(0.5, 9 - pass)) * (MAX_SCORE - PASS_SCORE));
  return Math.round((band / pass) * PASS_SCORE);
}

/** IELTS-style band to CEFR, after the public IELTS–CEFR alignment (an estimate, not a certificate). */
export function cefrFromBand(band: number): CefrLevel {
  if (band >= 8.5) return 'C2';
  if (band >= 7) return 'C1';
  if (band >= 5.5) return 'B2';
  if (band >= 4) return 'B1';
  if (band >= 3) return 'A2';
  return 'A1';
}
