import { Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';
import { z } from 'zod';
import { str } from '../../common/validation.js';
import { CEFR_LEVELS, SKILLS } from './content/types.js';
import { isTimeZone } from './rules.js';
import type { Evaluation } from './evaluator/types.js';

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

const wordTimings = z
  .array(
    z
      .object({
        word: str().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
        start: z.number({ error: 'must be seconds' }).finite().min(0, 'must not be negative'),
        end: z.number({ error: 'must be seconds' }).finite().min(0, 'must not be negative'),
      })
      .refine((w) => w.end >= w.start, { message: 'end must not be before start', path: ['end'] }),
    { error: 'must be a list of {word, start, end}' },
  )
  .max(5000, 'at most 5000 words')
  .nullish();

export const submitSchema = z.object({
  taskId: str().uuid('must be a task id'),
  moduleId: str().min(1).max(80).nullish(),
  response: responseText,
  durationSeconds: duration,
  words: wordTimings,
});
export type SubmitData = { [K in keyof z.input<typeof submitSchema>]?: unknown };

export const evaluateSchema = z.object({
  kind: z.enum(['speaking', 'writing'], { error: 'must be speaking or writing' }),
  text: responseText,
  prompt: str().max(2000, 'must be at most 2000 characters').nullish(),
  level: z.enum(CEFR_LEVELS, { error: `must be one of ${CEFR_LEVELS.join(', ')}` }).nullish(),
  durationSeconds: duration,
  words: wordTimings,
});
export type EvaluateData = { [K in keyof z.input<typeof evaluateSchema>]?: unknown };

export const listModulesSchema = z.object({
  level: z.enum(CEFR_LEVELS, { error: `must be one of ${CEFR_LEVELS.join(', ')}` }).nullish(),
  skill: z.enum(SKILLS, { error: `must be one of ${SKILLS.join(', ')}` }).nullish(),
});
export type ListModulesData = { [K in keyof z.input<typeof listModulesSchema>]?: unknown };

export const preferencesSchema = z.object({
  timezone: str()
    .max(64)
    .refine((tz) => isTimeZone(tz), 'must be an IANA time zone such as Europe/Paris')
    .nullish(),
  dailyGoalXp: z.number({ error: 'must be a whole number' }).int('must be a whole number').min(1, 'must be at least 1').max(1000, 'must be at most 1000').nullish(),
});
export type PreferencesData = { [K in keyof z.input<typeof preferencesSchema>]?: unknown };

// ---- GraphQL ----

@ObjectType('XelOption')
export class XelOptionType {
  @Field(() => String) id!: string;
  @Field(() => String) text!: string;
}

@ObjectType('XelTask', { description: 'A task as the learner sees it: answer keys are never sent.' })
export class XelTaskType {
  @Field(() => ID) id!: string;
  @Field(() => String) key!: string;
  @Field(() => String, { description: 'multiple_choice, fill_blank, ordering, writing or speaking.' }) type!: string;
  @Field(() => String) prompt!: string;
  @Field(() => String, { nullable: true, description: 'A reading text, or the transcript of a listening task.' }) passage!: string | null;
  @Field(() => [XelOptionType], { nullable: true, description: 'Choices (multiple_choice), or the pieces to order (ordering).' }) options!: XelOptionType[] | null;
  @Field(() => Int) maxScore!: number;
  @Field(() => Int) attempts!: number;
  @Field(() => Boolean) completed!: boolean;
  @Field(() => Int, { nullable: true }) bestScore!: number | null;
  @Field(() => Int, { nullable: true }) minWords!: number | null;
  @Field(() => Int, { nullable: true }) maxWords!: number | null;
  @Field(() => Int, { nullable: true }) targetSeconds!: number | null;
}

@ObjectType('XelModule')
export class XelModuleType {
  @Field(() => ID) id!: string;
  @Field(() => String) slug!: string;
  @Field(() => String) title!: string;
  @Field(() => String) description!: string;
  @Field(() => String, { description: 'CEFR level, A1 to C2.' }) level!: string;
  @Field(() => String, { description: 'grammar, vocabulary, reading, listening, writing or speaking.' }) skill!: string;
  @Field(() => Int) estimatedMinutes!: number;
  @Field(() => Int) taskCount!: number;
  @Field(() => Int) completedTasks!: number;
  @Field(() => Int) progressPercent!: number;
  @Field(() => String, { description: 'not_started, in_progress or completed.' }) status!: string;
  @Field(() => Int) xpEarned!: number;
  @Field(() => [XelTaskType], { description: 'The tasks with your progress on each.' }) tasks!: XelTaskType[];
}

@ObjectType('XelMeasure')
export class XelMeasureType {
  @Field(() => String) name!: string;
  @Field(() => Float, { nullable: true }) value!: number | null;
  @Field(() => String, { nullable: true }) unit!: string | null;
}

@ObjectType('XelSpan', { description: 'A stretch of the text (UTF-16 offsets) that feedback refers to.' })
export class XelSpanType {
  @Field(() => Int) start!: number;
  @Field(() => Int) end!: number;
  @Field(() => String) text!: string;
  @Field(() => String) message!: string;
}

@ObjectType('XelCriterion')
export class XelCriterionType {
  @Field(() => String) name!: string;
  @Field(() => Float, { nullable: true, description: 'Band 0–9 in halves; null when not assessed.' }) score!: number | null;
  @Field(() => Boolean) assessed!: boolean;
  @Field(() => String) feedback!: string;
  @Field(() => [XelMeasureType]) measures!: XelMeasureType[];
  @Field(() => [XelSpanType]) spans!: XelSpanType[];
}

@ObjectType('XelCorrection')
export class XelCorrectionType {
  @Field(() => Int) start!: number;
  @Field(() => Int) end!: number;
  @Field(() => String) text!: string;
  @Field(() => String) message!: string;
  @Field(() => [String]) suggestions!: string[];
  @Field(() => String) kind!: string;
}

@ObjectType('XelEvaluation')
export class XelEvaluationType {
  @Field(() => Float, { description: 'Band 0–9 in halves: the mean of the assessed criteria.' }) overallScore!: number;
  @Field(() => String) cefrEstimate!: string;
  @Field(() => String) cefrCaveat!: string;
  @Field(() => String, { description: 'embedded, ai:<provider>/<model>, or embedded (fallback: reason).' }) evaluator!: string;
  @Field(() => [XelCriterionType]) criteria!: XelCriterionType[];
  @Field(() => [XelCorrectionType]) corrections!: XelCorrectionType[];
  @Field(() => [String], { description: 'What this evaluation could not measure.' }) notAssessed!: string[];
}

@ObjectType('XelSubmissionResult')
export class XelSubmissionResultType {
  @Field(() => ID) submissionId!: string;
  @Field(() => Int) score!: number;
  @Field(() => Int) maxScore!: number;
  @Field(() => Boolean) passed!: boolean;
  @Field(() => String) feedback!: string;
  @Field(() => Int, { description: 'Only an improvement on your best score earns XP.' }) xpAwarded!: number;
  @Field(() => XelModuleType) moduleProgress!: XelModuleType;
  @Field(() => XelEvaluationType, { nullable: true, description: 'For writing and speaking tasks.' }) evaluation!: Evaluation | null;
}

@ObjectType('XelSkillScore')
export class XelSkillScoreType {
  @Field(() => String) skill!: string;
  @Field(() => Int, { nullable: true, description: 'Mean percent of your last 10 graded attempts in this skill; null without any.' }) score!: number | null;
  @Field(() => Int) samples!: number;
}

@ObjectType('XelActivityDay')
export class XelActivityDayType {
  @Field(() => String, { description: 'YYYY-MM-DD in your time zone at the time.' }) date!: string;
  @Field(() => Int) xp!: number;
  @Field(() => Int) tasks!: number;
}

@ObjectType('XelDashboard')
export class XelDashboardType {
  @Field(() => Int) xpTotal!: number;
  @Field(() => Int) level!: number;
  @Field(() => Int) xpIntoLevel!: number;
  @Field(() => Int) xpForNextLevel!: number;
  @Field(() => Int) currentStreak!: number;
  @Field(() => Int) longestStreak!: number;
  @Field(() => String) timezone!: string;
  @Field(() => Int) dailyGoalXp!: number;
  @Field(() => Int) todayXp!: number;
  @Field(() => Boolean) dailyGoalMet!: boolean;
  @Field(() => Int) modulesCompleted!: number;
  @Field(() => Int) modulesInProgress!: number;
  @Field(() => Int) tasksCompleted!: number;
  @Field(() => Int, { nullable: true, description: 'Mean best score (percent) over the tasks you attempted.' }) averageScore!: number | null;
  @Field(() => [XelSkillScoreType]) skillScores!: XelSkillScoreType[];
  @Field(() => [XelActivityDayType], { description: 'The last 7 days, oldest first.' }) weeklyActivity!: XelActivityDayType[];
  @Field(() => [XelActivityDayType], { description: 'The last 365 days, oldest first.' }) activityHistory!: XelActivityDayType[];
  @Field(() => XelModuleType, { nullable: true }) recommendedModule!: XelModuleType | null;
}

@InputType()
export class XelWordTimingInput {
  @Field(() => String) word!: string;
  @Field(() => Float) start!: number;
  @Field(() => Float) end!: number;
}

@InputType()
export class SubmitXelTaskInput {
  @Field(() => ID) taskId!: string;
  @Field(() => ID, { nullable: true, description: 'Optional check: the module (id or slug) the task must belong to.' }) moduleId?: string | null;
  @Field(() => String, { description: 'The option id (multiple_choice), the sentence or option ids in order (ordering), or the text.' }) response!: string;
  @Field(() => Float, { nullable: true }) durationSeconds?: number | null;
  @Field(() => [XelWordTimingInput], { nullable: true }) words?: XelWordTimingInput[] | null;
}

@InputType()
export class EvaluateXelInput {
  @Field(() => String, { description: 'speaking or writing.' }) kind!: string;
  @Field(() => String) text!: string;
  @Field(() => String, { nullable: true }) prompt?: string | null;
  @Field(() => String, { nullable: true }) level?: string | null;
  @Field(() => Float, { nullable: true }) durationSeconds?: number | null;
  @Field(() => [XelWordTimingInput], { nullable: true }) words?: XelWordTimingInput[] | null;
}

@InputType()
export class XelPreferencesInput {
  @Field(() => String, { nullable: true, description: 'IANA time zone your days (streaks, daily goal) are counted in: your profile’s time zone.' }) timezone?: string | null;
  @Field(() => Int, { nullable: true }) dailyGoalXp?: number | null;
}
