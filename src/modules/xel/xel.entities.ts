import { randomUUID } from 'node:crypto';
import { DateTimeType, JsonType, OptionalProps } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { User } from '../users/index.js';

/**
 * The XEL tables. Course content (modules, tasks) is written only by the seeder from
 * `content/`; everything else is one learner's progress and history.
 */

@Entity({ tableName: 'xel_modules' })
export class XelModule {
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'retiredAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Unique({ name: 'xel_modules_slug_unique' })
  @Property({ type: 'string', length: 80 })
  slug!: string;

  @Property({ type: 'integer' })
  version!: number;

  @Property({ type: 'integer' })
  position!: number;

  @Property({ type: 'string', length: 200 })
  title!: string;

  @Property({ type: 'text' })
  description!: string;

  @Property({ type: 'string', length: 2 })
  level!: string;

  @Property({ type: 'string', length: 20 })
  skill!: string;

  @Property({ type: 'integer' })
  estimatedMinutes!: number;

  /** Set when a content update drops the module; progress on it is kept. */
  @Property({ type: DateTimeType, nullable: true })
  retiredAt: Date | null = null;

  @Property({ type: DateTimeType })
  createdAt: Date = new Date();

  @Property({ type: DateTimeType })
  updatedAt: Date = new Date();
}

@Entity({ tableName: 'xel_tasks' })
@Unique({ name: 'xel_tasks_module_key_unique', properties: ['module', 'key'] })
export class XelTask {
  [OptionalProps]?: 'retiredAt' | 'passage';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => XelModule, { deleteRule: 'cascade' })
  module!: XelModule;

  @Property({ type: 'string', length: 20 })
  key!: string;

  @Property({ type: 'integer' })
  position!: number;

  @Property({ type: 'string', length: 20 })
  type!: string;

  @Property({ type: 'text' })
  prompt!: string;

  @Property({ type: 'text', nullable: true })
  passage: string | null = null;

  /** The rest of the task's content, answer key included (never sent to clients). */
  @Property({ type: JsonType })
  content!: Record<string, unknown>;

  @Property({ type: 'integer' })
  maxScore!: number;

  @Property({ type: DateTimeType, nullable: true })
  retiredAt: Date | null = null;
}

/** One learner's standing on one task. */
@Entity({ tableName: 'xel_task_progress' })
@Unique({ name: 'xel_task_progress_user_task_unique', properties: ['user', 'task'] })
@Index({ name: 'xel_task_progress_user_module_index', properties: ['user', 'module'] })
export class XelTaskProgress {
  [OptionalProps]?: 'attempts' | 'bestScore' | 'completed' | 'xpEarned' | 'completedAt' | 'lastAttemptAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => User, { deleteRule: 'cascade' })
  user!: User;

  @ManyToOne(() => XelTask, { deleteRule: 'cascade' })
  task!: XelTask;

  @ManyToOne(() => XelModule, { deleteRule: 'cascade' })
  module!: XelModule;

  @Property({ type: 'integer' })
  attempts: number = 0;

  @Property({ type: 'integer' })
  bestScore: number = 0;

  @Property({ type: 'boolean' })
  completed: boolean = false;

  @Property({ type: 'integer' })
  xpEarned: number = 0;

  @Property({ type: DateTimeType, nullable: true })
  completedAt: Date | null = null;

  @Property({ type: DateTimeType, nullable: true })
  lastAttemptAt: Date | null = null;
}

/** Every graded attempt, as it was graded. */
@Entity({ tableName: 'xel_submissions' })
@Index({ name: 'xel_submissions_user_created_index', properties: ['user', 'createdAt'] })
export class XelSubmission {
  [OptionalProps]?: 'createdAt' | 'durationSeconds' | 'evaluation';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => User, { deleteRule: 'cascade' })
  user!: User;

  @ManyToOne(() => XelTask, { deleteRule: 'cascade' })
  task!: XelTask;

  @ManyToOne(() => XelModule, { deleteRule: 'cascade' })
  module!: XelModule;

  @Property({ type: 'string', length: 20 })
  skill!: string;

  @Property({ type: 'text' })
  response!: string;

  @Property({ type: 'float', nullable: true })
  durationSeconds: number | null = null;

  @Property({ type: 'integer' })
  score!: number;

  @Property({ type: 'integer' })
  maxScore!: number;

  @Property({ type: 'boolean' })
  passed!: boolean;

  @Property({ type: 'text' })
  feedback!: string;

  @Property({ type: 'integer' })
  xpAwarded!: number;

  @Property({ type: JsonType, nullable: true })
  evaluation: Record<string, unknown> | null = null;

  /** The learner's local calendar day when it happened (their timezone then). */
  @Property({ type: 'string', length: 10 })
  day!: string;

  @Property({ type: DateTimeType })
  createdAt: Date = new Date();
}

/** A free speaking or writing evaluation (not tied to a task). */
@Entity({ tableName: 'xel_evaluations' })
@Index({ name: 'xel_evaluations_user_created_index', properties: ['user', 'createdAt'] })
export class XelEvaluationRecord {
  [OptionalProps]?: 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => User, { deleteRule: 'cascade' })
  user!: User;

  @Property({ type: 'string', length: 10 })
  kind!: string;

  @Property({ type: 'float' })
  overallScore!: number;

  @Property({ type: 'string', length: 2 })
  cefrEstimate!: string;

  @Property({ type: 'string', length: 300 })
  evaluator!: string;

  @Property({ type: JsonType })
  result!: Record<string, unknown>;

  @Property({ type: DateTimeType })
  createdAt: Date = new Date();
}

/** A learner's totals and settings; one row per user, created on first use. Days are counted in the user's own time zone (`users.timezone`). */
@Entity({ tableName: 'xel_profiles' })
export class XelProfile {
  [OptionalProps]?: 'xpTotal' | 'currentStreak' | 'longestStreak' | 'lastActiveDay' | 'dailyGoalXp' | 'createdAt' | 'updatedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Unique({ name: 'xel_profiles_user_unique' })
  @ManyToOne(() => User, { deleteRule: 'cascade' })
  user!: User;

  @Property({ type: 'integer' })
  xpTotal: number = 0;

  @Property({ type: 'integer' })
  dailyGoalXp: number = 30;

  @Property({ type: 'integer' })
  currentStreak: number = 0;

  @Property({ type: 'integer' })
  longestStreak: number = 0;

  /** The last day the streak reaches: a day with a submission, or a missed day a streak freeze covered (the xp module). */
  @Property({ type: 'string', length: 10, nullable: true })
  lastActiveDay: string | null = null;

  @Property({ type: DateTimeType })
  createdAt: Date = new Date();

  @Property({ type: DateTimeType })
  updatedAt: Date = new Date();
}

/** XP and tasks per learner per local day: the streak, the daily goal and the activity history. */
@Entity({ tableName: 'xel_activity_days' })
@Unique({ name: 'xel_activity_days_user_day_unique', properties: ['user', 'day'] })
export class XelActivityDay {
  [OptionalProps]?: 'xp' | 'tasks';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => User, { deleteRule: 'cascade' })
  user!: User;

  @Property({ type: 'string', length: 10 })
  day!: string;

  @Property({ type: 'integer' })
  xp: number = 0;

  @Property({ type: 'integer' })
  tasks: number = 0;
}

export const XEL_ENTITIES = [XelModule, XelTask, XelTaskProgress, XelSubmission, XelEvaluationRecord, XelProfile, XelActivityDay];
