import { z } from 'zod';
import { defineRoute, type RestRoute } from '../../rest/route-table.js';
import type { ServiceMap } from '../manifest.js';
import { FREEZE_PRICE_TOKENS, MAX_FREEZES } from './xp.rules.js';
import type { PublicXpProfileView, QuestView, StreakStatusView, WeeklyActivityView, XpProfileView } from './xp.service.js';

const tag = 'XP and streaks';
const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

const profileSchema = z.object({
  xp_total: z.number().int(),
  level: z.number().int(),
  xp_into_level: z.number().int(),
  xp_for_next_level: z.number().int(),
  current_streak: z.number().int(),
  longest_streak: z.number().int(),
  booster: z.object({ multiplier: z.number().int(), ends_at: z.iso.datetime() }).nullable(),
  today_xp: z.object({ tasks: z.number().int(), quests: z.number().int(), total: z.number().int() }),
  token_balance: z.number().int(),
});
const toProfile = (v: XpProfileView): z.infer<typeof profileSchema> => ({
  xp_total: v.xpTotal,
  level: v.level,
  xp_into_level: v.xpIntoLevel,
  xp_for_next_level: v.xpForNextLevel,
  current_streak: v.currentStreak,
  longest_streak: v.longestStreak,
  booster: v.booster ? { multiplier: v.booster.multiplier, ends_at: v.booster.endsAt.toISOString() } : null,
  today_xp: v.todayXp,
  token_balance: v.tokenBalance,
});

/** `PublicXPProfileResponse` of the documentation: nothing private (no email, ids or tokens). */
const publicProfileSchema = z.object({
  username: z.string(),
  display_name: z.string(),
  level: z.number().int(),
  xp_total: z.number().int(),
  current_streak: z.number().int(),
  longest_streak: z.number().int(),
  modules_completed: z.number().int(),
  member_since: z.iso.datetime(),
}).meta({ id: 'PublicXPProfileResponse', description: "A learner's public XP profile: nothing private (no email, ids or tokens)." });
const toPublicProfile = (v: PublicXpProfileView): z.infer<typeof publicProfileSchema> => ({
  username: v.username,
  display_name: v.displayName,
  level: v.level,
  xp_total: v.xpTotal,
  current_streak: v.currentStreak,
  longest_streak: v.longestStreak,
  modules_completed: v.modulesCompleted,
  member_since: v.memberSince.toISOString(),
});

const streakSchema = z.object({
  current_streak: z.number().int(),
  longest_streak: z.number().int(),
  freezes_available: z.number().int(),
  freezes_used: z.number().int(),
  last_activity: z.iso.datetime().nullable(),
  streak_at_risk: z.boolean(),
  freeze_price_tokens: z.number().int(),
  token_balance: z.number().int(),
}).meta({ id: 'StreakStatusResponse', description: 'Your streak and streak freezes (buying a freeze answers it too).' });
const toStreak = (v: StreakStatusView): z.infer<typeof streakSchema> => ({
  current_streak: v.currentStreak,
  longest_streak: v.longestStreak,
  freezes_available: v.freezesAvailable,
  freezes_used: v.freezesUsed,
  last_activity: v.lastActivity ? v.lastActivity.toISOString() : null,
  streak_at_risk: v.streakAtRisk,
  freeze_price_tokens: v.freezePriceTokens,
  token_balance: v.tokenBalance,
});

const weeklySchema = z.object({
  week_start: date,
  days: z.array(z.object({ date, xp: z.number().int() })),
  total_xp: z.number().int(),
  freeze_covered_dates: z.array(date),
});
const toWeekly = (v: WeeklyActivityView): z.infer<typeof weeklySchema> => ({ week_start: v.weekStart, days: v.days, total_xp: v.totalXp, freeze_covered_dates: v.freezeCoveredDates });

const questSchema = z.object({
  id: z.string(),
  kind: z.enum(['earn_xp', 'good_scores', 'learning_time']),
  title: z.string(),
  goal: z.number().int(),
  progress: z.number().int(),
  completed: z.boolean(),
  reward_tokens: z.number().int(),
  day: date,
});
const toQuests = (v: QuestView[]): z.infer<typeof questSchema>[] =>
  v.map((q) => ({ id: q.id, kind: q.kind, title: q.title, goal: q.goal, progress: q.progress, completed: q.completed, reward_tokens: q.rewardTokens, day: q.day }));

export const xpRoutes = (s: Pick<ServiceMap, 'xp'>): RestRoute[] => [
  defineRoute({
    method: 'GET',
    path: '/api/xp/profile',
    operationId: 'getXpProfile',
    summary: "XP, level, streaks, the booster running, today's XP and your tokens",
    description: "`today_xp.quests` is the extra XP of boosters (completing all of a day's quests grants 2x XP for 15 minutes); `tasks` the rest.",
    tag,
    auth: 'xel:read',
    handler: (ctx) => s.xp.profile(ctx),
    response: { status: 200, description: 'Your XP profile', schema: profileSchema, serialize: toProfile },
  }),
  defineRoute({
    method: 'GET',
    path: '/api/xp/public-profile/{username}',
    operationId: 'getPublicXpProfile',
    summary: "A learner's public XP profile (PublicXPProfileResponse)",
    description: 'No authentication. 404 unless the learner turned `public_profile` on (PATCH /api/auth/me). No email, ids or tokens.',
    tag,
    auth: 'public',
    handler: (ctx, { params }) => s.xp.publicProfile(ctx, params.username!),
    response: { status: 200, description: 'PublicXPProfileResponse', schema: publicProfileSchema, serialize: toPublicProfile },
    errors: ['not_found'],
  }),
  defineRoute({
    method: 'GET',
    path: '/api/xp/streak-status',
    operationId: 'getXpStreakStatus',
    summary: 'Your streak, streak freezes, last activity and whether the streak is at risk',
    description: 'A day missed while a freeze is held spends it and keeps the streak. `streak_at_risk`: the streak is alive, today has no practice yet and no freeze is held.',
    tag,
    auth: 'xel:read',
    handler: (ctx) => s.xp.streakStatus(ctx),
    response: { status: 200, description: 'Streak status', schema: streakSchema, serialize: toStreak },
  }),
  defineRoute({
    method: 'GET',
    path: '/api/xp/weekly-activity',
    operationId: 'getXpWeeklyActivity',
    summary: 'This week, Sunday to Saturday in your time zone: XP per day and the days a streak freeze covered',
    tag,
    auth: 'xel:read',
    handler: (ctx) => s.xp.weeklyActivity(ctx),
    response: { status: 200, description: 'Weekly activity', schema: weeklySchema, serialize: toWeekly },
  }),
  defineRoute({
    method: 'GET',
    path: '/api/xp/quests',
    operationId: 'listXpQuests',
    summary: "Today's three quests with your progress",
    description: 'Drawn for you for the day (your time zone); each pays tokens once reached (paid on the way). Completing all three grants a 2x XP booster for 15 minutes.',
    tag,
    auth: 'xel:read',
    handler: (ctx) => s.xp.quests(ctx),
    response: { status: 200, description: 'Quests', schema: z.array(questSchema), serialize: toQuests },
  }),
  defineRoute({
    method: 'POST',
    path: '/api/xp/freezes',
    operationId: 'buyStreakFreeze',
    summary: `Buy a streak freeze for ${FREEZE_PRICE_TOKENS} tokens`,
    description: `At most ${MAX_FREEZES} held. 409 (\`reason\`: \`inventory_full\` or \`insufficient_tokens\`) otherwise; nothing is spent then.`,
    tag,
    auth: 'xel:write',
    handler: (ctx) => s.xp.buyFreeze(ctx),
    response: { status: 201, description: 'Your streak status with the freeze', schema: streakSchema, serialize: toStreak },
    errors: ['conflict'],
  }),
];
