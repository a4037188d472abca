import { GraphQLLocalDate } from 'graphql-scalars';
import { Extensions, Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';
import { QUERY_ROOT_DESCRIPTION, QueryRoot, queryRoot } from '../../graphql/query-root.js';
import { z } from 'zod';
import { derivedId } from '../../common/ids.js';
import { str } from '../../common/validation.js';
import { defineEnum, type ValueOf } from '../../graphql/enums.js';
import { ValidatedBy } from '../../graphql/inputs.js';
import { connectionType, Node } from '../../graphql/relay.js';
import { isTimeZone, User } from '../users/index.js';
import { CefrLevel, Skill, TaskType, type SameSet } from './content/types.js';
import type { Correction, Criterion, Evaluation, EvaluationKind, Measure, Span } from './evaluator/types.js';

export const ModuleStatus = defineEnum('XelModuleStatus', "Where you are in a module.", {
  not_started: 'No task attempted yet.',
  in_progress: 'Some tasks attempted, not every one passed.',
  completed: 'Every task passed.',
});
export type ModuleStatus = ValueOf<typeof ModuleStatus>;

export const XelEvaluationKind = defineEnum(
  'XelEvaluationKind',
  'What an evaluation grades.',
  {
    speaking: 'A speaking transcript, against the IELTS speaking descriptors (pace and pauses from the duration or word timings).',
    writing: 'A piece of writing, against the IELTS writing descriptors.',
  },
  { message: 'must be speaking or writing' },
);
// The evaluator's kinds and this enum are one set (a compile-time check).
true satisfies SameSet<EvaluationKind, ValueOf<typeof XelEvaluationKind>>;

export const MAX_RESPONSE_CHARS = 10_000;

const responseText = str()
  .refine((s) => !s.includes('\u0000'), 'must not contain NUL characters')
  .refine((s) => s.trim().length > 0, 'must not be empty')
  .refine((s) => s.length <= MAX_RESPONSE_CHARS, `must be at most ${MAX_RESPONSE_CHARS} characters`);

const duration = z
  .number({ error: 'must be a number of seconds' })
  .finite('must be a number of seconds')
  .min(0, 'must not be negative')
  .max(4 * 3600, 'must be at most 4 hours')
  .nullish()
  // Milliseconds are plenty; a denormal such as 3e-323 would not survive PostgreSQL's float8.
  .transform((v) => (v === null || v === undefined ? v : Math.round(v * 1000) / 1000));

export const wordTimingSchema = z
  .object({
    word: str().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
    start: z.number({ error: 'must be seconds' }).finite().min(0, 'must not be negative').max(4 * 3600, 'must be at most 4 hours'),
    end: z.number({ error: 'must be seconds' }).finite().min(0, 'must not be negative').max(4 * 3600, 'must be at most 4 hours'),
  })
  .refine((w) => w.end >= w.start, { message: 'end must not be before start', path: ['end'] }).meta({ id: 'WordTiming' });

const wordTimings = z.array(wordTimingSchema, { error: 'must be a list of {word, start, end}' }).max(5000, 'at most 5000 words').nullish();

export const submitSchema = z.object({
  taskId: str().uuid('must be a task id'),
  moduleId: str().min(1).max(80).nullish(),
  response: responseText,
  durationSeconds: duration,
  words: wordTimings,
}).meta({ id: 'XELTaskSubmissionRequest', description: 'An answer to one XEL task.', examples: [{ task_id: 'd4e5f6a7-b8c9-4d0e-8f1a-2b3c4d5e6f70', response: 'have been', duration_seconds: 42 }] });
export type SubmitData = z.input<typeof submitSchema>;

export const evaluateSchema = z.object({
  kind: XelEvaluationKind.schema,
  text: responseText,
  prompt: str().max(2000, 'must be at most 2000 characters').nullish(),
  level: CefrLevel.schema.nullish(),
  durationSeconds: duration,
  words: wordTimings,
}).meta({ id: 'XELEvaluateRequest' });
export type EvaluateData = z.input<typeof evaluateSchema>;

export const listModulesSchema = z.object({
  level: CefrLevel.schema.nullish(),
  skill: Skill.schema.nullish(),
});
export type ListModulesData = z.input<typeof listModulesSchema>;

export const preferencesSchema = z.object({
  timezone: str()
    .max(64)
    .refine((tz) => isTimeZone(tz), 'must be an IANA time zone such as Europe/Paris')
    .nullish(),
  dailyGoalXp: z.number({ error: 'must be a whole number' }).int('must be a whole number').min(1, 'must be at least 1').max(1000, 'must be at most 1000').nullish(),
}).meta({ id: 'XELPreferencesRequest' });
export type PreferencesData = z.input<typeof preferencesSchema>;

// ---- GraphQL ----

/** The id of a user's dashboard: one XelDashboard object per user. */
export const dashboardIdOf = (userId: string): string => derivedId('XelDashboard', userId);

@ObjectType('XelOption', { description: 'A choice of a multiple-choice task, or a piece of an ordering task.' })
export class XelOptionType {
  @Field(() => String, { description: "The option's name within its task (REST's `id`: `a`, `b`… or `w1`, `w2`…): the `response` to send for it." })
  value!: string;

  @Field(() => String, { description: 'What the option says.' })
  text!: string;
}

@ObjectType('XelTask', { implements: Node, description: 'A task as the learner sees it, with your progress on it: answer keys are never sent.' })
export class XelTaskType {
  @Field(() => ID, { description: 'The task id, the same as REST\'s.' })
  id!: string;

  @Field(() => String, { description: 'Its stable name within its module (`t1`, `t2`…): progress follows it across content updates.' })
  key!: string;

  @Field(() => TaskType.graphql, { description: 'How it is answered and graded.' })
  type!: TaskType;

  @Field(() => String, { description: 'What to do. A fill-in task holds one `___`.' })
  prompt!: string;

  @Field(() => String, { nullable: true, description: 'A reading text, or the transcript of a listening task.' })
  passage!: string | null;

  @Field(() => [XelOptionType], { description: 'The choices (multiple choice) or the pieces to order (ordering); empty for other types.' })
  options!: XelOptionType[];

  @Field(() => Int, { description: 'The best score possible (100).' })
  maxScore!: number;

  @Field(() => Int, { description: 'How many times you submitted it.' })
  attempts!: number;

  @Field(() => Boolean, { description: 'You passed it (60 or more) at least once.' })
  completed!: boolean;

  @Field(() => Int, { nullable: true, description: 'Your best score; null before your first attempt.' })
  bestScore!: number | null;

  @Field(() => Int, { nullable: true, description: 'Writing and speaking: the fewest words a complete answer has.' })
  minWords!: number | null;

  @Field(() => Int, { nullable: true, description: 'Writing: the most words the answer should have.' })
  maxWords!: number | null;

  @Field(() => Int, { nullable: true, description: 'Speaking: about how long a good answer speaks, in seconds.' })
  targetSeconds!: number | null;
}

@ObjectType('XelModule', { implements: Node, description: 'A module of the course, with your progress in it.' })
export class XelModuleType {
  @Field(() => ID, { description: 'The module id, the same as REST\'s.' })
  id!: string;

  @Field(() => String, { description: 'Its stable, URL-safe name (e.g. `a1-present-simple`); `xelModule` takes it as well as the id.' })
  slug!: string;

  @Field(() => String, { description: 'The title.' })
  title!: string;

  @Field(() => String, { description: 'What the module covers.' })
  description!: string;

  @Field(() => CefrLevel.graphql, { description: 'Its CEFR level.' })
  level!: CefrLevel;

  @Field(() => Skill.graphql, { description: 'The skill it trains.' })
  skill!: Skill;

  @Field(() => Int, { description: 'About how long it takes, in minutes.' })
  estimatedMinutes!: number;

  @Field(() => Int, { description: 'How many tasks it has.' })
  taskCount!: number;

  @Field(() => Int, { description: 'How many of them you passed.' })
  completedTasks!: number;

  @Field(() => Int, { description: 'The share of its tasks you passed, in whole percent.' })
  progressPercent!: number;

  @Field(() => ModuleStatus.graphql, { description: 'Not started, in progress or completed.' })
  status!: ModuleStatus;

  @Field(() => Int, { description: 'XP you earned in it.' })
  xpEarned!: number;

  @Field(() => [XelTaskType], { description: 'Its tasks, in order, with your progress on each (a fixed handful: 6 to 9).' })
  tasks!: XelTaskType[];
}

export const XelModuleConnection = connectionType<XelModuleType>('XelModule', () => XelModuleType, 'in course order');

@ObjectType('XelMeasure', { description: 'A figure a criterion was judged on.' })
export class XelMeasureType implements Measure {
  @Field(() => String, { description: 'What was measured (e.g. `words`, `errors per 100 words`).' })
  name!: string;

  @Field(() => Float, { nullable: true, description: 'The figure; null when it could not be measured.' })
  value!: number | null;

  @Field(() => String, { nullable: true, description: 'Its unit, if it has one.' })
  unit!: string | null;
}

@ObjectType('XelSpan', { description: 'A stretch of the text (UTF-16 offsets) that feedback refers to.' })
export class XelSpanType implements Span {
  @Field(() => Int, { description: 'Where it starts (UTF-16 code units from the start of the text).' })
  start!: number;

  @Field(() => Int, { description: 'Where it ends (exclusive).' })
  end!: number;

  @Field(() => String, { description: 'The text of the stretch.' })
  text!: string;

  @Field(() => String, { description: 'What the feedback says about it.' })
  message!: string;
}

@ObjectType('XelCriterion', { description: 'One criterion of the rubric (after the public IELTS descriptors), with its band and why.' })
export class XelCriterionType implements Criterion {
  @Field(() => String, {
    description:
      "The criterion's name, for people (e.g. `Task achievement`, `Coherence and cohesion`, `Fluency and coherence`, `Lexical resource`, `Grammatical range and accuracy`, `Pronunciation`). The evaluator sets the list; match on it only to show it.",
  })
  name!: string;

  @Field(() => Float, { nullable: true, description: 'Band 0–9 in halves; null when not assessed.' })
  score!: number | null;

  @Field(() => Boolean, { description: 'Whether it was assessed: a transcript cannot show pronunciation, for one.' })
  assessed!: boolean;

  @Field(() => String, { description: 'Why this band, for the learner.' })
  feedback!: string;

  @Field(() => [XelMeasureType], { description: 'The figures it was judged on.' })
  measures!: XelMeasureType[];

  @Field(() => [XelSpanType], { description: 'The stretches of the text the feedback points at.' })
  spans!: XelSpanType[];
}

@ObjectType('XelCorrection', { description: 'A mistake found in the text, with suggestions.' })
export class XelCorrectionType implements Correction {
  @Field(() => Int, { description: 'Where it starts (UTF-16 code units from the start of the text).' })
  start!: number;

  @Field(() => Int, { description: 'Where it ends (exclusive).' })
  end!: number;

  @Field(() => String, { description: 'The text of the mistake.' })
  text!: string;

  @Field(() => String, { description: 'What is wrong.' })
  message!: string;

  @Field(() => [String], { description: 'What to write instead, best first (possibly none).' })
  suggestions!: string[];

  @Field(() => String, { description: "The kind of mistake, as the grammar checker names it (e.g. `Spelling`, `Agreement`), or `AI` from the AI evaluator: the checker's own open list." })
  kind!: string;
}

@ObjectType('XelEvaluation', { description: 'A writing or speaking evaluation: the band, a CEFR estimate, the criteria and the corrections.' })
export class XelEvaluationType implements Evaluation {
  @Field(() => Float, { description: 'Band 0–9 in halves: the mean of the assessed criteria.' })
  overallScore!: number;

  @Field(() => CefrLevel.graphql, { description: 'The CEFR level the band suggests: an estimate from one sample.' })
  cefrEstimate!: CefrLevel;

  @Field(() => String, { description: 'What the estimate is not (a certified level), for the learner.' })
  cefrCaveat!: string;

  @Field(() => String, { description: 'Who evaluated: `embedded`, `ai:<provider>/<model>`, or `embedded (fallback: <reason>)` when the AI one failed.' })
  evaluator!: string;

  @Field(() => [XelCriterionType], { description: 'The criteria, in the rubric\'s order.' })
  criteria!: XelCriterionType[];

  @Field(() => [XelCorrectionType], { description: 'The mistakes found, in the order of the text.' })
  corrections!: XelCorrectionType[];

  @Field(() => [String], { description: 'What this evaluation could not measure (e.g. `pronunciation`), for people.' })
  notAssessed!: string[];
}

@ObjectType('XelSkillScore', { description: 'How you do in one skill lately.' })
export class XelSkillScoreType {
  @Field(() => Skill.graphql, { description: 'The skill.' })
  skill!: Skill;

  @Field(() => Int, { nullable: true, description: 'Mean percent of your last 10 graded attempts (and free evaluations) in this skill; null without any.' })
  score!: number | null;

  @Field(() => Int, { description: 'How many attempts the score is the mean of.' })
  samples!: number;
}

@ObjectType('XelActivityDay', { description: 'One calendar day of your activity.' })
export class XelActivityDayType {
  @Field(() => GraphQLLocalDate, { description: 'The day, in your time zone at the time of the activity.' })
  date!: string;

  @Field(() => Int, { description: 'XP earned that day.' })
  xp!: number;

  @Field(() => Int, { description: 'Task submissions that day.' })
  tasks!: number;
}

@ObjectType('XelDashboard', { implements: Node, description: "Your Xentree English at a glance: XP, level, streaks, today's goal, progress, skill scores, activity and what to do next." })
export class XelDashboardType {
  @Field(() => ID, { description: 'The id of your dashboard (one per user).' })
  id!: string;

  @Field(() => Int, { description: 'All the XP you earned.' })
  xpTotal!: number;

  @Field(() => Int, { description: 'Your level: level n starts at 50·n·(n−1) XP.' })
  level!: number;

  @Field(() => Int, { description: 'XP earned since your level started.' })
  xpIntoLevel!: number;

  @Field(() => Int, { description: 'XP from the start of your level to the next.' })
  xpForNextLevel!: number;

  @Field(() => Int, { description: 'Days in a row with activity, alive through the day after the last.' })
  currentStreak!: number;

  @Field(() => Int, { description: 'Your longest streak.' })
  longestStreak!: number;

  @Field(() => String, { description: 'The IANA time zone your days are counted in (your profile\'s).' })
  timezone!: string;

  @Field(() => Int, { description: 'XP a day you aim for.' })
  dailyGoalXp!: number;

  @Field(() => Int, { description: 'XP earned today, in your time zone.' })
  todayXp!: number;

  @Field(() => Boolean, { description: "Today's XP reached the goal." })
  dailyGoalMet!: boolean;

  @Field(() => Int, { description: 'Modules with every task passed.' })
  modulesCompleted!: number;

  @Field(() => Int, { description: 'Modules started and not completed.' })
  modulesInProgress!: number;

  @Field(() => Int, { description: 'Tasks passed.' })
  tasksCompleted!: number;

  @Field(() => Int, { nullable: true, description: 'Mean best score (percent) over the tasks you attempted; null before any.' })
  averageScore!: number | null;

  @Field(() => [XelSkillScoreType], { description: 'One score per skill, in a fixed order.' })
  skillScores!: XelSkillScoreType[];

  @Field(() => [XelActivityDayType], { description: 'The last 7 days, oldest first.' })
  weeklyActivity!: XelActivityDayType[];

  @Field(() => [XelActivityDayType], { description: 'The last 365 days, oldest first.' })
  @Extensions({ listSize: 365 })
  activityHistory!: XelActivityDayType[];

  @Field(() => XelModuleType, { nullable: true, description: 'The module to do next: the one in progress touched last, else the first not started at your level; null when all are done.' })
  recommendedModule!: XelModuleType | null;
}

@ValidatedBy(wordTimingSchema)
@InputType('XelWordTimingInput', { description: 'When a word of a speaking transcript was said.' })
export class XelWordTimingInput {
  @Field(() => String, { description: 'The word.' })
  word!: string;

  @Field(() => Float, { description: 'Seconds from the start of the recording.' })
  start!: number;

  @Field(() => Float, { description: 'Seconds from the start of the recording; not before `start`.' })
  end!: number;
}

@ValidatedBy(submitSchema)
@InputType('SubmitXelTaskInput', { description: 'A response to a task.' })
export class SubmitXelTaskInput {
  @Field(() => ID, { description: 'The task.' })
  taskId!: string;

  @Field(() => ID, { nullable: true, description: 'Optional check: the module (id or slug) the task must belong to.' })
  moduleId?: string | null;

  @Field(() => String, { description: 'The option value (multiple choice), the sentence or the option values in order (ordering), or the text (at most 10,000 characters).' })
  response!: string;

  @Field(() => Float, { nullable: true, description: 'Seconds spent (writing) or spoken (speaking), 0 to 4 hours: speaking pace is judged from it.' })
  durationSeconds?: number | null;

  @Field(() => [XelWordTimingInput], { nullable: true, description: 'Speaking: when each word was said (for pace and pauses; at most 5,000).' })
  words?: XelWordTimingInput[] | null;
}

@ValidatedBy(evaluateSchema)
@InputType('EvaluateXelInput', { description: 'A piece of writing or a speaking transcript to evaluate, outside any task.' })
export class EvaluateXelInput {
  @Field(() => XelEvaluationKind.graphql, { description: 'Writing or speaking.' })
  kind!: ValueOf<typeof XelEvaluationKind>;

  @Field(() => String, { description: 'The text, or what was said (at most 10,000 characters).' })
  text!: string;

  @Field(() => String, { nullable: true, description: 'The task it answers, if any (at most 2,000 characters): its words count for task achievement.' })
  prompt?: string | null;

  @Field(() => CefrLevel.graphql, { nullable: true, description: 'The level you aim at: it shapes the feedback, not the scale.' })
  level?: CefrLevel | null;

  @Field(() => Float, { nullable: true, description: 'Speaking: how long it lasted in seconds (0 to 4 hours), for the pace.' })
  durationSeconds?: number | null;

  @Field(() => [XelWordTimingInput], { nullable: true, description: 'Speaking: when each word was said (for pace and pauses; at most 5,000).' })
  words?: XelWordTimingInput[] | null;
}

@ValidatedBy(preferencesSchema)
@InputType('UpdateXelPreferencesInput', { description: 'What to change; what is left out stays.' })
export class UpdateXelPreferencesInput {
  @Field(() => String, { nullable: true, description: 'IANA time zone your days (streaks, daily goal) are counted in: your profile’s time zone. Days already recorded keep their date.' })
  timezone?: string | null;

  @Field(() => Int, { nullable: true, description: 'XP a day you aim for, 1 to 1,000.' })
  dailyGoalXp?: number | null;
}

/** A dashboard computed on first read: only a payload that selects it pays its statements. */
export type LazyDashboard = () => Promise<XelDashboardType>;

const lazily = (load: LazyDashboard): (() => Promise<XelDashboardType>) => {
  let memo: Promise<XelDashboardType> | undefined;
  return () => (memo ??= load());
};

@ObjectType('SubmitXelTaskPayload', { description: 'The grade of a response, and everything it changed: the task, its module and your dashboard.' })
export class SubmitXelTaskPayload {
  @Field(() => ID, { description: 'The submission recorded.' })
  submissionId!: string;

  @Field(() => Int, { description: 'The score, 0 to `maxScore`.' })
  score!: number;

  @Field(() => Int, { description: 'The best score possible.' })
  maxScore!: number;

  @Field(() => Boolean, { description: 'Passed (60 or more): the task is completed.' })
  passed!: boolean;

  @Field(() => String, { description: 'Why, with the explanation of the answer.' })
  feedback!: string;

  @Field(() => Int, { description: 'XP earned by this submission: only an improvement on your best score earns XP.' })
  xpAwarded!: number;

  @Field(() => XelEvaluationType, { nullable: true, description: 'For writing and speaking tasks: the evaluation behind the score.' })
  evaluation!: Evaluation | null;

  @Field(() => XelTaskType, { description: 'The task, with your progress on it now.' })
  task!: XelTaskType;

  @Field(() => XelModuleType, { description: 'Its module, with your progress in it now.' })
  module!: XelModuleType;

  @Field(() => QueryRoot, { description: `${QUERY_ROOT_DESCRIPTION} XP earned here moves your XP profile, quests and streak (\`query { xpProfile { ... } xpQuests { ... } }\`).` })
  query!: QueryRoot;

  private loadDashboard!: () => Promise<XelDashboardType>;

  @Field(() => XelDashboardType, { description: 'Your dashboard now (XP, streak, progress, skill scores).' })
  dashboard(): Promise<XelDashboardType> {
    return this.loadDashboard();
  }

  static of(fields: Omit<SubmitXelTaskPayload, 'dashboard' | 'loadDashboard' | 'query'>, dashboard: LazyDashboard): SubmitXelTaskPayload {
    return Object.assign(new SubmitXelTaskPayload(), fields, { query: queryRoot(), loadDashboard: lazily(dashboard) });
  }
}

@ObjectType('EvaluateXelPayload', { description: 'The evaluation, and your dashboard with it counted in the skill scores.' })
export class EvaluateXelPayload {
  @Field(() => XelEvaluationType, { description: 'The evaluation.' })
  evaluation!: Evaluation;

  private loadDashboard!: () => Promise<XelDashboardType>;

  @Field(() => XelDashboardType, { description: 'Your dashboard now (its skill scores count free evaluations).' })
  dashboard(): Promise<XelDashboardType> {
    return this.loadDashboard();
  }

  static of(evaluation: Evaluation, dashboard: LazyDashboard): EvaluateXelPayload {
    return Object.assign(new EvaluateXelPayload(), { evaluation, loadDashboard: lazily(dashboard) });
  }
}

@ObjectType('UpdateXelPreferencesPayload', { description: 'Your preferences, changed: your profile (the time zone) and your dashboard (the daily goal, and the days counted in the new zone).' })
export class UpdateXelPreferencesPayload {
  @Field(() => User, { nullable: true, description: 'You, with the new time zone; null for an API key, which may not read the profile (`me` is bearer-only).' })
  user!: User | null;

  @Field(() => XelDashboardType, { description: 'Your dashboard now.' })
  dashboard!: XelDashboardType;
}
