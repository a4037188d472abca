import { z } from 'zod';
import { pageSchema } from '../../common/pagination.js';
import { defineListRoute, defineRoute, type RestRoute } from '../../rest/route-table.js';
import type { Evaluation } from './evaluator/types.js';
import { CefrLevel, Skill, TaskType } from './content/types.js';
import type { SubmissionResult } from './xel.service.js';
import { evaluateSchema, listModulesSchema, ModuleStatus, preferencesSchema, submitSchema, type XelDashboardType, type XelModuleType } from './xel.types.js';
import type { ServiceMap } from '../manifest.js';

const tag = 'Xentree English';

/** `XELModuleSummary` of the contract. */
export const moduleSummarySchema = z.object({
  id: z.string(),
  slug: z.string(),
  title: z.string(),
  description: z.string(),
  level: CefrLevel.schema,
  skill: Skill.schema,
  estimated_minutes: z.number().int(),
  task_count: z.number().int(),
  completed_tasks: z.number().int(),
  progress_percent: z.number().int(),
  status: ModuleStatus.schema,
  xp_earned: z.number().int(),
}).meta({ id: 'XELModuleSummary', description: 'An XEL module with the caller\'s progress.', examples: [{ id: 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f', slug: 'a2-present-perfect', title: 'The present perfect', description: 'Talk about experiences and recent events.', level: 'A2', skill: 'grammar', estimated_minutes: 15, task_count: 6, completed_tasks: 2, progress_percent: 33, status: 'in_progress', xp_earned: 40 }] });

const taskSchema = z.object({
  id: z.string(),
  key: z.string(),
  type: TaskType.schema,
  prompt: z.string(),
  passage: z.string().nullable(),
  options: z.array(z.object({ id: z.string(), text: z.string() })).nullable(),
  max_score: z.number().int(),
  attempts: z.number().int(),
  completed: z.boolean(),
  best_score: z.number().int().nullable(),
  min_words: z.number().int().nullable(),
  max_words: z.number().int().nullable(),
  target_seconds: z.number().int().nullable(),
}).meta({ id: 'XELTask' });
const moduleDetailSchema = moduleSummarySchema.extend({ tasks: z.array(taskSchema) }).meta({ id: 'XELModuleDetail' });

const toSummary = (m: XelModuleType): z.infer<typeof moduleSummarySchema> => ({
  id: m.id,
  slug: m.slug,
  title: m.title,
  description: m.description,
  level: m.level,
  skill: m.skill,
  estimated_minutes: m.estimatedMinutes,
  task_count: m.taskCount,
  completed_tasks: m.completedTasks,
  progress_percent: m.progressPercent,
  status: m.status,
  xp_earned: m.xpEarned,
});

const toDetail = (m: XelModuleType): z.infer<typeof moduleDetailSchema> => ({
  ...toSummary(m),
  tasks: m.tasks.map((t) => ({
    id: t.id,
    key: t.key,
    type: t.type,
    prompt: t.prompt,
    passage: t.passage,
    // REST names an option by `id`, and answers null for a task without options.
    options: t.type === 'multiple_choice' || t.type === 'ordering' ? t.options.map((o) => ({ id: o.value, text: o.text })) : null,
    max_score: t.maxScore,
    attempts: t.attempts,
    completed: t.completed,
    best_score: t.bestScore,
    min_words: t.minWords,
    max_words: t.maxWords,
    target_seconds: t.targetSeconds,
  })),
});

const span = z.object({ start: z.number().int(), end: z.number().int(), text: z.string(), message: z.string() }).meta({ id: 'XELTextSpan' });
export const evaluationSchema = z.object({
  overall_score: z.number(),
  cefr_estimate: CefrLevel.schema,
  cefr_caveat: z.string(),
  criteria: z.array(
    z.object({
      name: z.string(),
      score: z.number().nullable(),
      assessed: z.boolean(),
      feedback: z.string(),
      measures: z.array(z.object({ name: z.string(), value: z.number().nullable(), unit: z.string().nullable() })),
      spans: z.array(span),
    }),
  ),
  corrections: z.array(span.extend({ suggestions: z.array(z.string()), kind: z.string() })),
  not_assessed: z.array(z.string()),
  evaluator: z.string(),
}).meta({ id: 'XELEvaluationResponse' });

export const toEvaluation = (e: Evaluation): z.infer<typeof evaluationSchema> => ({
  overall_score: e.overallScore,
  cefr_estimate: e.cefrEstimate,
  cefr_caveat: e.cefrCaveat,
  criteria: e.criteria.map((c) => ({ name: c.name, score: c.score, assessed: c.assessed, feedback: c.feedback, measures: c.measures, spans: c.spans })),
  corrections: e.corrections,
  not_assessed: e.notAssessed,
  evaluator: e.evaluator,
});

const submissionResponseSchema = z.object({
  submission_id: z.string(),
  score: z.number().int(),
  max_score: z.number().int(),
  passed: z.boolean(),
  feedback: z.string(),
  xp_awarded: z.number().int(),
  module_progress: moduleSummarySchema,
  evaluation: evaluationSchema.nullable(),
}).meta({ id: 'XELSubmissionResponse' });

const toSubmission = (r: SubmissionResult): z.infer<typeof submissionResponseSchema> => ({
  submission_id: r.submissionId,
  score: r.score,
  max_score: r.maxScore,
  passed: r.passed,
  feedback: r.feedback,
  xp_awarded: r.xpAwarded,
  module_progress: toSummary(r.module),
  evaluation: r.evaluation ? toEvaluation(r.evaluation) : null,
});

const day = z.object({ date: z.string(), xp: z.number().int(), tasks: z.number().int() }).meta({ id: 'XELActivityDay' });
const dashboardSchema = z.object({
  xp_total: z.number().int(),
  level: z.number().int(),
  xp_into_level: z.number().int(),
  xp_for_next_level: z.number().int(),
  current_streak: z.number().int(),
  longest_streak: z.number().int(),
  timezone: z.string(),
  daily_goal_xp: z.number().int(),
  today_xp: z.number().int(),
  daily_goal_met: z.boolean(),
  modules_completed: z.number().int(),
  modules_in_progress: z.number().int(),
  tasks_completed: z.number().int(),
  average_score: z.number().int().nullable(),
  skill_scores: z.array(z.object({ skill: Skill.schema, score: z.number().int().nullable(), samples: z.number().int() })),
  weekly_activity: z.array(day),
  activity_history: z.array(day),
  recommended_module: moduleSummarySchema.nullable(),
}).meta({ id: 'XELDashboard' });

const toDashboard = (d: XelDashboardType): z.infer<typeof dashboardSchema> => ({
  xp_total: d.xpTotal,
  level: d.level,
  xp_into_level: d.xpIntoLevel,
  xp_for_next_level: d.xpForNextLevel,
  current_streak: d.currentStreak,
  longest_streak: d.longestStreak,
  timezone: d.timezone,
  daily_goal_xp: d.dailyGoalXp,
  today_xp: d.todayXp,
  daily_goal_met: d.dailyGoalMet,
  modules_completed: d.modulesCompleted,
  modules_in_progress: d.modulesInProgress,
  tasks_completed: d.tasksCompleted,
  average_score: d.averageScore,
  skill_scores: d.skillScores,
  weekly_activity: d.weeklyActivity,
  activity_history: d.activityHistory,
  recommended_module: d.recommendedModule ? toSummary(d.recommendedModule) : null,
});

const listQuery = listModulesSchema.extend(pageSchema.shape);

export const xelRoutes = (s: Pick<ServiceMap, 'xel'>): RestRoute[] => [
  defineListRoute({
    method: 'GET',
    path: '/api/xel/modules',
    operationId: 'listXelModules',
    summary: 'Course modules with your progress, in course order',
    description: 'Filter with `level` (A1–C2) and `skill`.',
    tag,
    auth: 'quiz:read',
    query: listQuery,
    handler: async (ctx, { query }) => {
      const all = await s.xel.listModules(ctx, query);
      return { items: all.slice(query.offset, query.offset + query.limit), total: all.length };
    },
    response: { status: 200, description: 'XELModuleSummary[]', schema: moduleSummarySchema, serialize: toSummary },
  }),
  defineRoute({
    method: 'GET',
    path: '/api/xel/modules/{module_id}',
    operationId: 'getXelModule',
    summary: 'One module (by id or slug) with its tasks and your progress on each',
    description: 'Answer keys are never sent.',
    tag,
    auth: 'quiz:read',
    handler: (ctx, { params }) => s.xel.getModule(ctx, params.module_id!),
    response: { status: 200, description: 'Module details', schema: moduleDetailSchema, serialize: toDetail },
    errors: ['not_found'],
  }),
  defineRoute({
    method: 'POST',
    path: '/api/xel/submissions',
    operationId: 'submitXelTask',
    rateLimits: ['evaluation'],
    summary: 'Submit a response to a task: graded, recorded, XP for an improvement only',
    description:
      'Objective tasks are graded exactly; writing and speaking go through the evaluator. A bad response (unknown option, empty, too long, negative duration) answers 400 and records nothing.',
    tag,
    auth: 'quiz:write',
    body: { schema: submitSchema, required: true },
    handler: (ctx, { body }) => s.xel.submit(ctx, body),
    response: { status: 201, description: 'The grade and your progress', schema: submissionResponseSchema, serialize: toSubmission },
    errors: ['not_found', 'service_unavailable'],
  }),
  defineRoute({
    method: 'POST',
    path: '/api/xel/evaluate',
    operationId: 'evaluateXel',
    rateLimits: ['evaluation'],
    summary: 'Evaluate a piece of speaking (a transcript) or writing against the rubric',
    tag,
    auth: 'xel:write',
    body: { schema: evaluateSchema, required: true },
    handler: (ctx, { body }) => s.xel.evaluate(ctx, body),
    response: { status: 200, description: 'The evaluation', schema: evaluationSchema, serialize: toEvaluation },
    errors: ['service_unavailable'],
  }),
  defineRoute({
    method: 'GET',
    path: '/api/xel/dashboard',
    operationId: 'getXelDashboard',
    summary: 'XP, level, streaks, progress, skill scores, activity and the recommended module',
    tag,
    auth: 'xel:read',
    handler: (ctx) => s.xel.dashboard(ctx),
    response: { status: 200, description: 'The dashboard', schema: dashboardSchema, serialize: toDashboard },
  }),
  defineRoute({
    method: 'PATCH',
    path: '/api/xel/preferences',
    operationId: 'updateXelPreferences',
    summary: 'Set your time zone (for days and streaks) and daily XP goal',
    tag,
    auth: 'xel:write',
    body: { schema: preferencesSchema, required: true },
    handler: (ctx, { body }) => s.xel.updatePreferences(ctx, body),
    response: { status: 200, description: 'The dashboard', schema: dashboardSchema, serialize: toDashboard },
  }),
];
