/**
 * The gamification rules, as data and pure functions: streak freezes, daily quests, the
 * booster, weeks and local days. The README's "XP, streaks and quests" section states the
 * same rules; change both together.
 */
import { createHash } from 'node:crypto';
import { addDays, localDay } from '../xel/index.js';

/** Streak freezes held at most. */
export const MAX_FREEZES = 2;
/** What a streak freeze costs, in tokens. */
export const FREEZE_PRICE_TOKENS = 20;
/** Completing all of a day's quests multiplies the XP awarded for this long. */
export const BOOSTER_MULTIPLIER = 2;
export const BOOSTER_MINUTES = 15;
/** A task finished "with a good score": at least this (out of 100). */
export const GOOD_SCORE = 80;
/** Quests drawn per user per day. */
export const QUESTS_PER_DAY = 3;

export type QuestKind = 'earn_xp' | 'good_scores' | 'learning_time';

export interface QuestTemplate {
  /** Stable name, stored with each quest drawn from it. */
  key: string;
  kind: QuestKind;
  /** XP, tasks, or seconds. */
  goal: number;
  rewardTokens: number;
  title: string;
}

/** Every quest template, two goals of each kind. */
export const QUEST_TEMPLATES: readonly QuestTemplate[] = [
  { key: 'earn_xp_20', kind: 'earn_xp', goal: 20, rewardTokens: 5, title: 'Earn 20 XP' },
  { key: 'earn_xp_50', kind: 'earn_xp', goal: 50, rewardTokens: 10, title: 'Earn 50 XP' },
  { key: 'good_scores_2', kind: 'good_scores', goal: 2, rewardTokens: 5, title: `Finish 2 tasks with a score of ${GOOD_SCORE} or more` },
  { key: 'good_scores_4', kind: 'good_scores', goal: 4, rewardTokens: 10, title: `Finish 4 tasks with a score of ${GOOD_SCORE} or more` },
  { key: 'learning_time_600', kind: 'learning_time', goal: 600, rewardTokens: 5, title: 'Spend 10 minutes in a learning session' },
  { key: 'learning_time_1200', kind: 'learning_time', goal: 1200, rewardTokens: 10, title: 'Spend 20 minutes in a learning session' },
];

export const templateByKey = (key: string): QuestTemplate | undefined => QUEST_TEMPLATES.find((t) => t.key === key);

/**
 * A user's quests for a day, the same whoever asks and however often: the kinds in an order
 * and the goals from a hash of the user and the day. Each kind once while there are kinds
 * enough (learning time only when learning seconds can be measured); then the other goal of
 * a kind already drawn.
 */
export function drawQuests(userId: string, day: string, kinds: readonly QuestKind[]): QuestTemplate[] {
  const h = createHash('sha256').update(`xentree:quests:${userId}:${day}`).digest();
  const order = [...kinds].map((k, i) => ({ k, r: h[i]! })).sort((a, b) => a.r - b.r || a.k.localeCompare(b.k)).map((x) => x.k);
  const drawn: QuestTemplate[] = [];
  for (let slot = 0; slot < QUESTS_PER_DAY && order.length; slot++) {
    const kind = order[slot % order.length]!;
    const options = QUEST_TEMPLATES.filter((t) => t.kind === kind && !drawn.includes(t));
    if (!options.length) break;
    drawn.push(options[h[8 + slot]! % options.length]!);
  }
  return drawn;
}

/** The Sunday that starts the week of `day` (weeks run Sunday to Saturday). */
export function weekStart(day: string): string {
  return addDays(day, -new Date(`${day}T00:00:00Z`).getUTCDay());
}

/**
 * The first instant of `day` in `tz`: usually local midnight; where a daylight-saving change
 * skips midnight, the first instant that is on that day. Searched with Intl (no offsets
 * assumed), to the millisecond.
 */
export function startOfDay(day: string, tz: string): Date {
  const base = Date.parse(`${day}T00:00:00Z`);
  // Every time zone's offset is within −12h…+14h: the day starts in this window.
  let lo = base - 15 * 3600_000;
  let hi = base + 13 * 3600_000;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (localDay(new Date(mid), tz) >= day) hi = mid;
    else lo = mid;
  }
  return new Date(hi);
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function dayDiff(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}
