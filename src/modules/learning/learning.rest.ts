import { z } from 'zod';
import { defineRoute, type RestRoute } from '../../rest/route-table.js';
import type { ServiceMap } from '../manifest.js';
import type { LearningTime, PulseDay } from './learning.service.js';
import { learningTimeSchema } from './learning.types.js';

const DATE_RULES = 'Dates are YYYY-MM-DD with UTC day boundaries: start_date included from 00:00:00Z, end_date included up to 00:00:00Z of the day after (exclusive).';

const seconds = (what: string) => z.number().int().describe(what);
const bySourceSchema = z
  .object({
    conversation_sessions: seconds('Seconds of conversation learning sessions (active time only).'),
    live: seconds('Seconds of Xentree Live voice and avatar sessions.'),
    xel: seconds('Seconds of timed Xentree English practice.'),
  })
  .describe('The seconds of the range by source; they add up to `total_seconds`. Time counts once: sources at the same moment (two sessions open at once, practice during a live session) give it to the one that started first.');
export const learningTimeResponseSchema = z.object({
  total_seconds: seconds('All learning seconds of the range (start_date inclusive, end_date inclusive as a day).'),
  by_source: bySourceSchema,
  by_day: z
    .array(
      z.object({
        date: z.string().describe('The day (YYYY-MM-DD, a UTC day from 00:00:00Z to 00:00:00Z of the day after).'),
        seconds: seconds('Learning seconds of that UTC day, all sources together.'),
      }),
    )
    .describe('Every day of the range, oldest first, days without learning included (0).'),
});
const toLearningTime = (t: LearningTime): z.infer<typeof learningTimeResponseSchema> => ({
  total_seconds: t.totalSeconds,
  by_source: { ...t.bySource },
  by_day: t.byDay.map((d) => ({ date: d.date, seconds: d.seconds })),
});

const pulseSchema = z.object({
  date: z.string(),
  xp: z.number().int(),
  active_seconds: seconds('Learning seconds that day (conversation sessions, live and XEL practice).'),
  intensity: z
    .number()
    .int()
    .min(0)
    .max(4)
    .describe('Heatmap intensity 0–4, from one point per XP and per minute of learning: 0 no activity, 1 up to 9 points (any activity, even under a minute), 2 up to 29, 3 up to 59, 4 from 60.'),
});
const toPulse = (days: PulseDay[]) => days.map((d) => ({ date: d.date, xp: d.xp, active_seconds: d.activeSeconds, intensity: d.intensity }));

const tag = 'Learning';

export const learningRoutes = (s: Pick<ServiceMap, 'learningTime'>): RestRoute[] => [
  defineRoute({
    method: 'GET',
    path: '/api/xp/learning-time',
    operationId: 'getLearningTime',
    summary: 'Your learning time over a range of days',
    description: `Seconds spent in conversation learning sessions, live sessions and timed XEL practice: the total, by source, and every day of the range. ${DATE_RULES} At most 366 days.`,
    tag,
    auth: 'conversations:read',
    query: learningTimeSchema,
    handler: (ctx, { query }) => s.learningTime.learningTime(ctx, query),
    response: { status: 200, description: '{total_seconds, by_source: {conversation_sessions, live, xel}, by_day: [{date, seconds}]}', schema: learningTimeResponseSchema, serialize: toLearningTime },
  }),
  defineRoute({
    method: 'GET',
    path: '/api/xp/learning-pulse',
    operationId: 'getLearningPulse',
    summary: 'Your last 365 days, for a heatmap',
    description: '365 entries, oldest first, ending today in your time zone: XP, learning seconds, and an intensity 0-4 (one point per XP and per minute of learning: 0 no activity, 1 up to 9 points and any activity under a minute, 2 up to 29, 3 up to 59, 4 from 60).',
    tag,
    auth: 'xel:read',
    handler: (ctx) => s.learningTime.learningPulse(ctx),
    response: { status: 200, description: '[{date, xp, active_seconds, intensity}]', schema: z.array(pulseSchema), serialize: toPulse },
  }),
];
