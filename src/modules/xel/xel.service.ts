import { LockMode, type EntityManager } from '@mikro-orm/core';
import type { EntityManager as SqlEntityManager } from '@mikro-orm/sql';
import type { Logger } from 'pino';
import { authorize } from '../../common/access.js';
import type { Clock } from '../../common/clock.js';
import { arrayConnection, type ConnectionPage, type PageRequest } from '../../graphql/relay.js';
import type { RequestContext } from '../../common/context.js';
import { AppError } from '../../common/errors.js';
import { parseInput } from '../../common/validation.js';
import { epochMs } from '../../common/sql-time.js';
import type { Config, DbDriver } from '../../config.js';
import type { ProviderRegistry } from '../ai/index.js';
import type { RateLimits } from '../../common/rate-limits.js';
import { toDate } from '../../common/time.js';
import type { EventBus } from '../../common/pubsub.js';
import { usersChanged } from '../users/index.js';
import { User } from '../users/index.js';
import { loadCatalog, seedCourse, type Catalog, type CatalogModule, type CatalogTask } from './catalog.js';
import { CEFR_LEVELS, SKILLS, type CefrLevel, type SpeakingTask, type WritingTask } from './content/types.js';
import { AiEvaluator } from './evaluator/ai.js';
import { EmbeddedEvaluator } from './evaluator/embedded.js';
import { GrammarChecker } from './evaluator/grammar.js';
import { warmLanguage } from './evaluator/language.js';
import type { Evaluation, EvaluationRequest, Evaluator } from './evaluator/types.js';
import { gradeFillBlank, gradeMultipleChoice, gradeOrdering, orderingOptions } from './grading.js';
import { addDays, advanceStreak, levelOf, localDay, MAX_SCORE, PASS_BAND, PASS_SCORE, scoreFromBand, streakWithFreezes, xpAward } from './rules.js';
import { XelActivityDay, XelEvaluationRecord, XelProfile, XelSubmission, XelTaskProgress } from './xel.entities.js';
import {
  dashboardIdOf,
  evaluateSchema,
  listModulesSchema,
  preferencesSchema,
  submitSchema,
  XelDashboardType,
  XelModuleType,
  XelOptionType,
  XelTaskType,
  type EvaluateData,
  type ListModulesData,
  type PreferencesData,
  type SubmitData,
} from './xel.types.js';

/** A graded submission and what it changed (the task and its module, with the caller's progress now). */
export interface SubmissionResult {
  submissionId: string;
  score: number;
  maxScore: number;
  passed: boolean;
  feedback: string;
  xpAwarded: number;
  evaluation: Evaluation | null;
  task: XelTaskType;
  module: XelModuleType;
}

/**
 * What the gamification (the xp module, which depends on this one) adds where XP is awarded:
 * it registers itself with `useAwardHooks` when it is built, so the awarding stays here.
 */
export interface XpAwardHooks {
  /**
   * Inside the submission's transaction, before the attempt is recorded: takes the learner's
   * gamification lock, settles the days missed since the streak's last day (streak freezes),
   * and answers the XP multiplier in force at `at` (a booster).
   */
  beforeAward(tx: EntityManager, userId: string, timezone: string, at: Date): Promise<{ multiplier: number }>;
  /** Inside the same transaction: the XP counted on `day`, the task's own and the booster's extra. */
  awarded(tx: EntityManager, userId: string, day: string, baseXp: number, bonusXp: number): Promise<void>;
  /** After the transaction committed: quest progress and rewards. A failure here never fails the submission. */
  afterCommit(em: EntityManager, userId: string, at: Date): Promise<void>;
  /** The streak freezes the learner holds (not spent yet): the dashboard counts the missed days they would cover. One statement. */
  freezesHeld(em: EntityManager, userId: string): Promise<number>;
}

/**
 * The rubric grades English: a text whose letters are mostly of another script (Japanese, Hindi,
 * Cyrillic…) would be scored as fluent English without a single error found, so it is refused
 * (validation_error on `field`) before any grading, and counts against no limit. A few foreign
 * words or names in English text, and short answers, pass.
 */
function requireEnglish(text: string, field: string): void {
  const letters = text.match(/\p{L}/gu)?.length ?? 0;
  if (letters < 20) return;
  const latin = text.match(/\p{Script=Latin}/gu)?.length ?? 0;
  if (latin / letters < 0.5) throw AppError.validation([{ loc: [field], message: 'must be written in English (most of its letters are of another script)' }]);
}

/** A learner's totals and streak as stored (the streak as it stands today: `streakOn`). */
export interface XelStanding {
  userId: string;
  username: string;
  fullName: string | null;
  timezone: string;
  memberSince: Date;
  publicProfile: boolean;
  xpTotal: number;
  currentStreak: number;
  longestStreak: number;
  /** The last day the streak reaches: a day with a submission, or a missed day a streak freeze covered. */
  lastActiveDay: string | null;
}

interface TaskProgressRow {
  taskId: string;
  moduleId: string;
  attempts: number;
  bestScore: number;
  completed: boolean;
  xpEarned: number;
  lastAttemptAt: Date | null;
}

export class XelService {
  private catalog: Catalog | null = null;
  readonly grammar: GrammarChecker;
  private evaluator: Evaluator;
  private hooks: XpAwardHooks | null = null;
  private log: Logger | null = null;

  constructor(
    private readonly config: Config,
    private readonly ai: ProviderRegistry,
    private readonly events: EventBus,
    private readonly rateLimits: RateLimits,
    /** Days, streaks and timestamps follow it; tests move a ManualClock across midnights and time zones. */
    private readonly clock: Clock,
  ) {
    // The app's own checker, in its dialect: two apps in one process check with their own settings.
    this.grammar = new GrammarChecker(config.xel.dialect, config.xel.grammarTimeoutMs);
    this.evaluator = new EmbeddedEvaluator(this.grammar);
  }

  private now(): Date {
    return new Date(this.clock.now());
  }

  /** Seeds the shipped course (idempotent, versioned), loads it and picks the evaluator; at start. */
  async init(em: EntityManager, log: Logger): Promise<void> {
    this.log = log.child({ module: 'xel' });
    const embedded = new EmbeddedEvaluator(this.grammar);
    const cfg = this.config.xel;
    this.evaluator = cfg.evaluator === 'ai' ? new AiEvaluator(this.ai, cfg.aiProvider, cfg.aiTimeoutMs, embedded, log.child({ module: 'xel' })) : embedded;
    const report = await seedCourse(em, log);
    this.catalog = await loadCatalog(em);
    log.info({ ...report, modules: this.catalog.modules.length }, 'xel: course ready');
    if (this.config.xel.grammarPreload) {
      this.grammar.warm().then(
        () => {
          // The writing measures' language model and word frequencies (a quarter of a second), off the first request.
          warmLanguage();
          log.info('xel: grammar checker ready');
        },
        (e: unknown) => log.error({ err: e }, 'xel: grammar checker failed to load'),
      );
    }
  }

  /** Stops the grammar checker's worker (with the app). */
  async close(): Promise<void> {
    await this.grammar.close();
  }

  get course(): Catalog {
    if (!this.catalog) throw new AppError('service_unavailable', 'The course is still loading');
    return this.catalog;
  }

  /**
   * Modules with the caller's progress, in course order, optionally by level and skill.
   * @throws validation_error, not_authenticated, INSUFFICIENT_API_KEY_SCOPE (xel:read)
   */
  async listModules(ctx: RequestContext, data: ListModulesData): Promise<XelModuleType[]> {
    const p = authorize(ctx, 'quiz:read');
    const { level, skill } = parseInput(listModulesSchema, data);
    const modules = this.course.modules.filter((m) => (!level || m.level === level) && (!skill || m.skill === skill));
    const progress = await this.progressOf(ctx.em, p.userId, null);
    return modules.map((m) => this.view(m, progress));
  }

  /**
   * The same list as a cursor connection (the course is in memory; cursors are module ids).
   * @throws validation_error (a filter or a cursor), not_authenticated, INSUFFICIENT_API_KEY_SCOPE (xel:read)
   */
  async moduleConnection(ctx: RequestContext, data: ListModulesData, request: PageRequest): Promise<ConnectionPage<XelModuleType>> {
    return arrayConnection(await this.listModules(ctx, data), request, (m) => m.id);
  }

  /**
   * The modules among `ids` with the caller's progress (for `node`): unknown ids simply absent.
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE (xel:read)
   */
  async modulesByIds(ctx: RequestContext, ids: readonly string[]): Promise<XelModuleType[]> {
    const p = authorize(ctx, 'quiz:read');
    const modules = ids.map((id) => this.course.moduleById(id)).filter((m): m is CatalogModule => !!m);
    if (!modules.length) return [];
    const progress = await this.progressOf(ctx.em, p.userId, null);
    return modules.map((m) => this.view(m, progress));
  }

  /**
   * The tasks among `ids` with the caller's progress (for `node`): unknown ids simply absent.
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE (xel:read)
   */
  async tasksByIds(ctx: RequestContext, ids: readonly string[]): Promise<XelTaskType[]> {
    const p = authorize(ctx, 'quiz:read');
    const found = ids.map((id) => this.course.task(id)).filter((t): t is NonNullable<typeof t> => !!t);
    if (!found.length) return [];
    const progress = await this.progressOf(ctx.em, p.userId, null);
    return found.map(({ task }) => this.taskView(task, progress));
  }

  /**
   * One module (by id or slug) with its tasks and the caller's progress on each.
   * @throws not_found, not_authenticated, INSUFFICIENT_API_KEY_SCOPE (xel:read)
   */
  async getModule(ctx: RequestContext, idOrSlug: string): Promise<XelModuleType> {
    const p = authorize(ctx, 'quiz:read');
    const m = typeof idOrSlug === 'string' ? this.course.module(idOrSlug) : undefined;
    if (!m) throw AppError.notFound('Module');
    return this.view(m, await this.progressOf(ctx.em, p.userId, m.id));
  }

  /**
   * Grades a response to a task and records it with the learner's progress, XP and streak, in
   * one transaction. Only an improvement on the best score earns XP; concurrent submissions of
   * the same task cannot both claim the same improvement.
   * @throws validation_error (nothing recorded), not_found, service_unavailable (grammar checker), INSUFFICIENT_API_KEY_SCOPE (xel:write)
   */
  async submit(ctx: RequestContext, data: SubmitData): Promise<SubmissionResult> {
    const p = authorize(ctx, 'quiz:write');
    const input = parseInput(submitSchema, data);
    const found = this.course.task(input.taskId);
    if (!found) throw AppError.notFound('Task');
    const { task, module } = found;
    if (input.moduleId && this.course.module(input.moduleId)?.id !== module.id) {
      throw AppError.validation([{ loc: ['moduleId'], message: 'the task does not belong to this module' }]);
    }
    let score: number;
    let passed: boolean;
    let feedback: string;
    let evaluation: Evaluation | null = null;
    const c = task.content;
    switch (c.type) {
      case 'multiple_choice':
        ({ score, passed, feedback } = gradeMultipleChoice(c, input.response));
        break;
      case 'fill_blank':
        ({ score, passed, feedback } = gradeFillBlank(c, input.response));
        break;
      case 'ordering':
        ({ score, passed, feedback } = gradeOrdering(c, input.response));
        break;
      case 'writing':
      case 'speaking': {
        requireEnglish(input.response, 'response');
        await this.rateLimits.consume('evaluation', p.userId);
        evaluation = await this.evaluator.evaluate(this.requestFor(c, module.level, input.response, input.durationSeconds ?? null, input.words ?? null));
        score = Math.min(MAX_SCORE, scoreFromBand(evaluation.overallScore, module.level));
        passed = score >= PASS_SCORE;
        feedback = `Band ${evaluation.overallScore} (${evaluation.criteria
          .filter((x) => x.assessed)
          .map((x) => `${x.name} ${x.score}`)
          .join(', ')}). ${passed ? 'Passed' : `Not passed yet: this ${module.level} task needs band ${PASS_BAND[module.level]}`}. ${c.explanation}`;
        break;
      }
    }

    const at = this.now();
    const hooks = this.hooks;
    const outcome = await ctx.em.fork().transactional(async (tx) => {
      const profile = await this.profileFor(tx, p.userId);
      const day = localDay(at, profile.user.timezone);
      // Streak freezes settle the missed days first (the streak's day may move); a booster multiplies the award.
      const { multiplier } = hooks ? await hooks.beforeAward(tx, p.userId, profile.user.timezone, at) : { multiplier: 1 };
      const progress = await this.recordAttempt(tx, p.userId, task, module, score, passed, at);
      const bonusXp = progress.xpAwarded * Math.max(0, multiplier - 1);
      const xpAwarded = progress.xpAwarded + bonusXp;
      const durationSeconds = input.durationSeconds ? await this.countedSeconds(tx, p.userId, at, input.durationSeconds) : null;
      const submission = tx.create(XelSubmission, {
        user: tx.getReference(User, p.userId),
        task: task.id,
        module: module.id,
        skill: module.skill,
        response: input.response,
        durationSeconds,
        score,
        maxScore: task.maxScore,
        passed,
        feedback,
        xpAwarded,
        evaluation: evaluation as unknown as Record<string, unknown> | null,
        day,
        createdAt: at,
      });
      await tx.flush();
      const conn = tx.getConnection();
      const trx: unknown = tx.getTransactionContext();
      await conn.execute(
        `insert into xel_activity_days (id, user_id, day, xp, tasks) values (?, ?, ?, ?, 1)
         on conflict (user_id, day) do update set xp = xel_activity_days.xp + excluded.xp, tasks = xel_activity_days.tasks + 1`,
        [crypto.randomUUID(), p.userId, day, xpAwarded],
        'run',
        trx,
      );
      // Read again: the hooks may have moved the streak's day (a freeze covering a missed day).
      const state = hooks ? await this.streakRow(tx, p.userId) : profile;
      const streak = advanceStreak(state, day);
      await conn.execute(
        'update xel_profiles set xp_total = xp_total + ?, current_streak = ?, longest_streak = ?, last_active_day = ?, updated_at = ? where user_id = ?',
        [xpAwarded, streak.currentStreak, streak.longestStreak, streak.lastActiveDay, this.dbDate(at), p.userId],
        'run',
        trx,
      );
      if (hooks) await hooks.awarded(tx, p.userId, day, progress.xpAwarded, bonusXp);
      return { submission, xpAwarded };
    });
    if (hooks) {
      try {
        await hooks.afterCommit(ctx.em.fork(), p.userId, at);
      } catch (e) {
        // Recorded already; quests settle again on the next read.
        this.log?.error({ err: e }, 'xel: settling quests after a submission failed');
      }
    }
    const moduleProgress = this.view(module, await this.progressOf(ctx.em.fork(), p.userId, module.id));
    const taskProgress = moduleProgress.tasks.find((t) => t.id === task.id)!;
    return { submissionId: outcome.submission.id, score, maxScore: task.maxScore, passed, feedback, xpAwarded: outcome.xpAwarded, evaluation, task: taskProgress, module: moduleProgress };
  }

  /**
   * A free writing or speaking evaluation (not tied to a task); recorded for the skill scores.
   * @throws validation_error (nothing recorded), service_unavailable, INSUFFICIENT_API_KEY_SCOPE (xel:write)
   */
  async evaluate(ctx: RequestContext, data: EvaluateData): Promise<Evaluation> {
    const p = authorize(ctx, 'xel:write');
    const input = parseInput(evaluateSchema, data);
    requireEnglish(input.text, 'text');
    await this.rateLimits.consume('evaluation', p.userId);
    const req: EvaluationRequest = {
      kind: input.kind,
      text: input.text,
      prompt: input.prompt ?? null,
      level: input.level ?? null,
      durationSeconds: input.durationSeconds ?? null,
      words: input.words ?? null,
      minWords: null,
      maxWords: null,
      targetSeconds: null,
      keywords: [],
    };
    const evaluation = await this.evaluator.evaluate(req);
    const em = ctx.em.fork();
    em.create(XelEvaluationRecord, {
      user: em.getReference(User, p.userId),
      kind: input.kind,
      overallScore: evaluation.overallScore,
      cefrEstimate: evaluation.cefrEstimate,
      evaluator: evaluation.evaluator.slice(0, 300),
      result: evaluation as unknown as Record<string, unknown>,
      createdAt: this.now(),
    });
    await em.flush();
    return evaluation;
  }

  /**
   * Time zone and daily goal. Days already recorded keep the date they had.
   * @throws validation_error, INSUFFICIENT_API_KEY_SCOPE (xel:write)
   */
  async updatePreferences(ctx: RequestContext, data: PreferencesData): Promise<XelDashboardType> {
    const p = authorize(ctx, 'xel:write');
    const input = parseInput(preferencesSchema, data);
    await ctx.em.fork().transactional(async (tx) => {
      const profile = await this.profileFor(tx, p.userId);
      // The time zone is the user's own (the profile's), shared with the rest of the platform.
      if (input.timezone) profile.user.timezone = input.timezone;
      if (input.dailyGoalXp) profile.dailyGoalXp = input.dailyGoalXp;
      profile.updatedAt = this.now();
    });
    // The time zone is shown on User: its watchers hear of it (the daily goal is not on User).
    if (input.timezone && this.events) usersChanged(this.events, [p.userId]);
    // The answer is the caller's own dashboard: a key allowed to change preferences may see what it changed.
    return this.dashboard(ctx, 'xel:write');
  }

  /**
   * Everything the learner's home screen shows, in a constant number of statements.
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE (xel:read)
   */
  async dashboard(ctx: RequestContext, need: 'xel:read' | 'xel:write' = 'xel:read'): Promise<XelDashboardType> {
    const p = authorize(ctx, need);
    const em = ctx.em;
    const now = this.now();
    const [row] = (await em
      .getConnection()
      .execute(
        'select u.timezone, p.xp_total, p.daily_goal_xp, p.current_streak, p.longest_streak, p.last_active_day from users u left join xel_profiles p on p.user_id = u.id where u.id = ?',
        [p.userId],
      )) as { timezone: string; xp_total: number | null; daily_goal_xp: number | null; current_streak: number | null; longest_streak: number | null; last_active_day: string | null }[];
    const profile = row && row.xp_total !== null ? { xpTotal: Number(row.xp_total), dailyGoalXp: Number(row.daily_goal_xp), currentStreak: Number(row.current_streak), longestStreak: Number(row.longest_streak), lastActiveDay: row.last_active_day } : null;
    const tz = row?.timezone ?? 'UTC';
    const today = localDay(now, tz);
    const from = addDays(today, -364);
    const [progress, days, recent, evaluations, freezesHeld] = await Promise.all([
      this.progressOf(em, p.userId, null),
      em.find(XelActivityDay, { user: p.userId, day: { $gte: from } }, { orderBy: { day: 'asc' } }),
      (em as SqlEntityManager)
        .createQueryBuilder(XelSubmission, 's')
        .select(['s.skill', 's.score', 's.maxScore', 's.createdAt'])
        .where({ user: p.userId })
        .orderBy({ createdAt: 'desc' })
        .limit(200)
        .execute<{ skill: string; score: number; maxScore: number; createdAt: Date | number | string }[]>('all', true),
      (em as SqlEntityManager)
        .createQueryBuilder(XelEvaluationRecord, 'e')
        .select(['e.kind', 'e.overallScore', 'e.createdAt'])
        .where({ user: p.userId })
        .orderBy({ createdAt: 'desc' })
        .limit(20)
        .execute<{ kind: string; overallScore: number; createdAt: Date | number | string }[]>('all', true),
      // Freezes matter only to a streak that has missed days: asked only then.
      this.hooks && profile && profile.currentStreak > 0 && profile.lastActiveDay !== null && addDays(profile.lastActiveDay, 1) < today ? this.hooks.freezesHeld(em, p.userId) : 0,
    ]);

    const views = this.course.modules.map((m) => this.view(m, progress));
    const byDay = new Map(days.map((d: XelActivityDay) => [d.day, d] as const));
    const history = Array.from({ length: 365 }, (_, i) => {
      const date = addDays(from, i);
      const d = byDay.get(date);
      return { date, xp: d?.xp ?? 0, tasks: d?.tasks ?? 0 };
    });

    // The last 10 of each skill, graded attempts and free evaluations together, newest first.
    const skillScores = SKILLS.map((skill) => {
      const samples = [
        ...recent.filter((r) => r.skill === skill).map((r) => ({ at: toDate(r.createdAt).getTime(), score: (r.score / Math.max(1, r.maxScore)) * 100 })),
        ...evaluations.filter((e) => e.kind === skill).map((e) => ({ at: toDate(e.createdAt).getTime(), score: (Number(e.overallScore) / 9) * 100 })),
      ]
        .sort((a, b) => b.at - a.at)
        .slice(0, 10)
        .map((x) => x.score);
      return { skill, score: samples.length ? Math.round(samples.reduce((a, b) => a + b, 0) / samples.length) : null, samples: samples.length };
    });

    const attempted = [...progress.values()].filter((r) => r.attempts > 0);
    const xpTotal = profile?.xpTotal ?? 0;
    const lv = levelOf(xpTotal);
    const todayXp = byDay.get(today)?.xp ?? 0;
    const dailyGoalXp = profile?.dailyGoalXp ?? this.config.xel.defaultDailyGoalXp;
    const streak = profile ? { currentStreak: profile.currentStreak, longestStreak: profile.longestStreak, lastActiveDay: profile.lastActiveDay } : { currentStreak: 0, longestStreak: 0, lastActiveDay: null };
    return Object.assign(new XelDashboardType(), {
      id: dashboardIdOf(p.userId),
      xpTotal,
      level: lv.level,
      xpIntoLevel: lv.xpIntoLevel,
      xpForNextLevel: lv.xpForNextLevel,
      // As the XP profile reads it: missed days a held freeze will cover keep the streak.
      currentStreak: streakWithFreezes(streak, today, freezesHeld),
      longestStreak: streak.longestStreak,
      timezone: tz,
      dailyGoalXp,
      todayXp,
      dailyGoalMet: todayXp >= dailyGoalXp,
      modulesCompleted: views.filter((v) => v.status === 'completed').length,
      modulesInProgress: views.filter((v) => v.status === 'in_progress').length,
      tasksCompleted: attempted.filter((r) => r.completed).length,
      averageScore: attempted.length ? Math.round(attempted.reduce((s, r) => s + r.bestScore, 0) / attempted.length) : null,
      skillScores,
      weeklyActivity: history.slice(-7),
      activityHistory: history,
      recommendedModule: this.recommend(views, progress),
    });
  }

  /** Registers the gamification's hooks (the xp module does, when it is built). */
  useAwardHooks(hooks: XpAwardHooks): void {
    this.hooks = hooks;
  }

  /** A learner's account and stored totals (zeros before the first submission); null for no such user. One statement. */
  async standing(em: EntityManager, where: { userId: string } | { usernameNormalized: string }): Promise<XelStanding | null> {
    const byId = 'userId' in where;
    const [row] = (await em
      .getConnection()
      .execute(
        `select u.id, u.username, u.full_name, u.timezone, u.created_at, u.public_profile, p.xp_total, p.current_streak, p.longest_streak, p.last_active_day
         from users u left join xel_profiles p on p.user_id = u.id where ${byId ? 'u.id' : 'u.username_normalized'} = ?`,
        [byId ? where.userId : where.usernameNormalized],
        'all',
        em.getTransactionContext(),
      )) as {
      id: string;
      username: string;
      full_name: string | null;
      timezone: string;
      created_at: number | string | Date;
      public_profile: number | boolean;
      xp_total: number | null;
      current_streak: number | null;
      longest_streak: number | null;
      last_active_day: string | null;
    }[];
    if (!row) return null;
    return {
      userId: row.id,
      username: row.username,
      fullName: row.full_name,
      timezone: row.timezone,
      memberSince: toDate(row.created_at),
      publicProfile: Boolean(row.public_profile),
      xpTotal: Number(row.xp_total ?? 0),
      currentStreak: Number(row.current_streak ?? 0),
      longestStreak: Number(row.longest_streak ?? 0),
      lastActiveDay: row.last_active_day,
    };
  }

  /**
   * A streak freeze covers the missed days after `from` up to `to`: the streak's day moves to
   * `to` if it still is `from` (a conditional update: of two racing settlements one moves it).
   * The count of streak days does not grow: a covered day keeps the streak, it does not extend it.
   */
  async coverStreak(tx: EntityManager, userId: string, from: string, to: string): Promise<boolean> {
    const res = (await tx
      .getConnection()
      .execute('update xel_profiles set last_active_day = ? where user_id = ? and last_active_day = ?', [to, userId, from], 'run', tx.getTransactionContext())) as { affectedRows: number };
    return res.affectedRows === 1;
  }

  /**
   * A missed day no streak freeze covered ends the streak whose last day is `last`: stored as
   * ended (0 days), so that a freeze bought afterwards finds nothing to cover (a conditional
   * update: of two racing settlements one ends it). The longest streak and the last day stay.
   */
  async endStreak(tx: EntityManager, userId: string, last: string): Promise<boolean> {
    const res = (await tx
      .getConnection()
      .execute('update xel_profiles set current_streak = 0 where user_id = ? and last_active_day = ? and current_streak > 0', [userId, last], 'run', tx.getTransactionContext())) as { affectedRows: number };
    return res.affectedRows === 1;
  }

  /** XP and task submissions per day from `from` to `to` (inclusive, the learner's days). */
  async dailyActivity(em: EntityManager, userId: string, from: string, to: string): Promise<Map<string, { xp: number; tasks: number }>> {
    const days = await em.find(XelActivityDay, { user: userId, day: { $gte: from, $lte: to } });
    return new Map(days.map((d) => [d.day, { xp: d.xp, tasks: d.tasks }] as const));
  }

  /** How many different tasks the learner scored at least `minScore` on during `day`. */
  async tasksScoredOn(em: EntityManager, userId: string, day: string, minScore: number): Promise<number> {
    const [row] = (await em
      .getConnection()
      .execute('select count(distinct task_id) as n from xel_submissions where user_id = ? and day = ? and score >= ?', [userId, day, minScore], 'all', em.getTransactionContext())) as { n: number | string }[];
    return Number(row?.n ?? 0);
  }

  /** When the learner last submitted anything, or null. */
  async lastSubmissionAt(em: EntityManager, userId: string): Promise<Date | null> {
    const last = await em.findOne(XelSubmission, { user: userId }, { orderBy: { createdAt: 'desc' }, fields: ['createdAt'] });
    return last ? last.createdAt : null;
  }

  /** How many modules of the course the learner completed (every task passed). */
  async modulesCompleted(em: EntityManager, userId: string): Promise<number> {
    const progress = await this.progressOf(em, userId, null);
    return this.course.modules.map((m) => this.view(m, progress)).filter((v) => v.status === 'completed').length;
  }

  /**
   * The module to do next: the one in progress touched most recently; else the first not started
   * at the learner's level (the highest level with a completed module, or the next one once half
   * that level is done); else the first not started anywhere.
   */
  private recommend(views: XelModuleType[], progress: Map<string, TaskProgressRow>): XelModuleType | null {
    const lastTouch = new Map<string, number>();
    for (const r of progress.values()) {
      const t = r.lastAttemptAt?.getTime() ?? 0;
      if (t > (lastTouch.get(r.moduleId) ?? 0)) lastTouch.set(r.moduleId, t);
    }
    const inProgress = views.filter((v) => v.status === 'in_progress').sort((a, b) => (lastTouch.get(b.id) ?? 0) - (lastTouch.get(a.id) ?? 0));
    if (inProgress[0]) return inProgress[0];
    const completed = views.filter((v) => v.status === 'completed');
    const rank = (l: string) => CEFR_LEVELS.indexOf(l as CefrLevel);
    let level = completed.reduce((best, v) => Math.max(best, rank(v.level)), 0);
    const atLevel = views.filter((v) => rank(v.level) === level);
    if (atLevel.length && atLevel.filter((v) => v.status === 'completed').length * 2 >= atLevel.length && level < CEFR_LEVELS.length - 1) level++;
    const open = views.filter((v) => v.status === 'not_started');
    return open.find((v) => rank(v.level) >= level) ?? open[0] ?? null;
  }

  // ---- internals ----

  private requestFor(c: WritingTask | SpeakingTask, level: CefrLevel, text: string, durationSeconds: number | null, words: { word: string; start: number; end: number }[] | null): EvaluationRequest {
    return {
      kind: c.type,
      text,
      prompt: c.prompt,
      level,
      durationSeconds,
      words,
      minWords: c.minWords,
      maxWords: c.type === 'writing' ? c.maxWords : null,
      targetSeconds: c.type === 'speaking' ? c.targetSeconds : null,
      keywords: c.keywords,
    };
  }

  /** The stored streak of a learner whose profile exists, as this transaction sees it. */
  private async streakRow(tx: EntityManager, userId: string): Promise<{ currentStreak: number; longestStreak: number; lastActiveDay: string | null }> {
    const [row] = (await tx
      .getConnection()
      .execute('select current_streak, longest_streak, last_active_day from xel_profiles where user_id = ?', [userId], 'all', tx.getTransactionContext())) as {
      current_streak: number;
      longest_streak: number;
      last_active_day: string | null;
    }[];
    if (!row) throw new Error('xel profile vanished');
    return { currentStreak: Number(row.current_streak), longestStreak: Number(row.longest_streak), lastActiveDay: row.last_active_day };
  }

  /** The learner's profile with their user (for the time zone), created on first use (racing creators: one row). */
  /**
   * The practice seconds a timed submission counts (its `duration_seconds`, which learning time
   * adds up): time counts once, so a submission whose practice overlaps the caller's previous
   * timed one (a retry, a double submit, parallel requests) counts only from where that one
   * ended. A user's submissions take turns here: the profile's row is locked on PostgreSQL
   * (SQLite runs one write transaction at a time).
   */
  private async countedSeconds(tx: EntityManager, userId: string, at: Date, seconds: number): Promise<number> {
    if (this.config.db.driver === 'postgresql') await tx.findOne(XelProfile, { user: userId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    const rows = (await tx
      .getConnection()
      .execute('select max(created_at) as last from xel_submissions where user_id = ? and duration_seconds > 0', [userId], 'all', tx.getTransactionContext())) as { last: Date | number | string | null }[];
    const row = rows[0];
    if (row?.last === null || row?.last === undefined) return seconds;
    const since = Math.floor((at.getTime() - toDate(row.last).getTime()) / 1000);
    return Math.max(0, Math.min(seconds, since));
  }

  private async profileFor(tx: EntityManager, userId: string): Promise<XelProfile> {
    await tx
      .getConnection()
      .execute(
        'insert into xel_profiles (id, user_id, xp_total, daily_goal_xp, current_streak, longest_streak, created_at, updated_at) values (?, ?, 0, ?, 0, 0, ?, ?) on conflict (user_id) do nothing',
        [crypto.randomUUID(), userId, this.config.xel.defaultDailyGoalXp, this.dbDate(this.now()), this.dbDate(this.now())],
        'run',
        tx.getTransactionContext(),
      );
    return tx.findOneOrFail(XelProfile, { user: userId }, { refresh: true, populate: ['user'] });
  }

  /**
   * Counts the attempt and, when it beats the best score, claims the XP for the improvement
   * with a conditional update on the old best: of two racing submissions only one can win a
   * given improvement; the other re-reads and claims what is left, if anything.
   */
  private async recordAttempt(tx: EntityManager, userId: string, task: CatalogTask, module: CatalogModule, score: number, passed: boolean, at: Date): Promise<{ xpAwarded: number }> {
    const conn = tx.getConnection();
    const trx: unknown = tx.getTransactionContext();
    await conn.execute(
      'insert into xel_task_progress (id, user_id, task_id, module_id, attempts, best_score, completed, xp_earned) values (?, ?, ?, ?, 0, 0, ?, 0) on conflict (user_id, task_id) do nothing',
      [crypto.randomUUID(), userId, task.id, module.id, this.dbBool(false)],
      'run',
      trx,
    );
    for (let attempt = 0; attempt < 20; attempt++) {
      const rows = (await conn.execute(
        'select best_score, completed from xel_task_progress where user_id = ? and task_id = ?',
        [userId, task.id],
        'all',
        trx,
      )) as { best_score: number; completed: number | boolean }[];
      const row = rows[0];
      if (!row) throw new Error('task progress row vanished');
      const best = Number(row.best_score);
      const award = score > best ? xpAward(module.level, best, score) : 0;
      const nowCompleted = Boolean(row.completed) || passed;
      const res = (await conn.execute(
        score > best
          ? 'update xel_task_progress set attempts = attempts + 1, best_score = ?, completed = ?, xp_earned = xp_earned + ?, completed_at = coalesce(completed_at, ?), last_attempt_at = ? where user_id = ? and task_id = ? and best_score = ?'
          : 'update xel_task_progress set attempts = attempts + 1, completed = ?, completed_at = coalesce(completed_at, ?), last_attempt_at = ? where user_id = ? and task_id = ? and best_score >= ?',
        score > best
          ? [score, this.dbBool(nowCompleted), award, passed ? this.dbDate(at) : null, this.dbDate(at), userId, task.id, best]
          : [this.dbBool(nowCompleted), passed ? this.dbDate(at) : null, this.dbDate(at), userId, task.id, score],
        'run',
        trx,
      )) as { affectedRows: number };
      if (res.affectedRows === 1) return { xpAwarded: award };
    }
    throw new AppError('conflict', 'Too many simultaneous submissions of this task; try again');
  }

  /** Per-task progress of a user (one module, or all), one statement. */
  private async progressOf(em: EntityManager, userId: string, moduleId: string | null): Promise<Map<string, TaskProgressRow>> {
    const qb = (em as SqlEntityManager)
      .createQueryBuilder(XelTaskProgress, 'p')
      .select(['p.task', 'p.module', 'p.attempts', 'p.bestScore', 'p.completed', 'p.xpEarned', 'p.lastAttemptAt'])
      .where({ user: userId, ...(moduleId ? { module: moduleId } : {}) });
    const rows = await qb.execute<Record<string, unknown>[]>('all', false);
    const out = new Map<string, TaskProgressRow>();
    for (const r of rows) {
      const last = r.last_attempt_at;
      out.set(String(r.task_id), {
        taskId: String(r.task_id),
        moduleId: String(r.module_id),
        attempts: Number(r.attempts),
        bestScore: Number(r.best_score),
        completed: Boolean(r.completed),
        xpEarned: Number(r.xp_earned),
        lastAttemptAt: last === null || last === undefined ? null : last instanceof Date ? last : new Date(last as string | number),
      });
    }
    return out;
  }

  private taskView(t: CatalogTask, progress: Map<string, TaskProgressRow>): XelTaskType {
    const pr = progress.get(t.id);
    const c = t.content;
    const options = c.type === 'multiple_choice' ? c.options : c.type === 'ordering' ? orderingOptions(c) : [];
    return Object.assign(new XelTaskType(), {
      id: t.id,
      key: t.key,
      type: t.type,
      prompt: t.prompt,
      passage: t.passage,
      options: options.map((o) => Object.assign(new XelOptionType(), { value: o.id, text: o.text })),
      maxScore: t.maxScore,
      attempts: pr?.attempts ?? 0,
      completed: pr?.completed ?? false,
      bestScore: pr && pr.attempts > 0 ? pr.bestScore : null,
      minWords: c.type === 'writing' || c.type === 'speaking' ? c.minWords : null,
      maxWords: c.type === 'writing' ? c.maxWords : null,
      targetSeconds: c.type === 'speaking' ? c.targetSeconds : null,
    });
  }

  /** A module with the caller's progress; always with its tasks, so a cached module never loses them. */
  private view(m: CatalogModule, progress: Map<string, TaskProgressRow>): XelModuleType {
    const tasks = m.tasks.map((t) => this.taskView(t, progress));
    const completedTasks = tasks.filter((t) => t.completed).length;
    const attempted = tasks.some((t) => t.attempts > 0);
    return Object.assign(new XelModuleType(), {
      id: m.id,
      slug: m.slug,
      title: m.title,
      description: m.description,
      level: m.level,
      skill: m.skill,
      estimatedMinutes: m.estimatedMinutes,
      taskCount: tasks.length,
      completedTasks,
      progressPercent: tasks.length ? Math.floor((completedTasks * 100) / tasks.length) : 0,
      status: tasks.length > 0 && completedTasks === tasks.length ? ('completed' as const) : attempted ? ('in_progress' as const) : ('not_started' as const),
      xpEarned: m.tasks.reduce((s, t) => s + (progress.get(t.id)?.xpEarned ?? 0), 0),
      tasks,
    });
  }

  /**
   * A learner's XP per local day (their days as recorded, in their time zone at the time) from
   * `fromDay` to `toDay` (YYYY-MM-DD, both included): one statement. Days without XP are absent.
   */
  async xpByDay(em: EntityManager, userId: string, fromDay: string, toDay: string): Promise<Map<string, number>> {
    const rows = await em.find(XelActivityDay, { user: userId, day: { $gte: fromDay, $lte: toDay } }, { fields: ['day', 'xp'] });
    return new Map(rows.map((r) => [r.day, r.xp]));
  }

  /** How raw statements write timestamps: what MikroORM's DateTimeType writes on each driver. */
  private dbDate(d: Date): Date | number {
    return this.config.db.driver === 'sqlite' ? d.getTime() : d;
  }

  private dbBool(b: boolean): boolean | number {
    return this.config.db.driver === 'sqlite' ? Number(b) : b;
  }
}


/**
 * For the learning-time figures (src/modules/learning/): a select of `(user_id, start_ms, end_ms)`,
 * one row per timed XEL practice (a graded submission with its `duration_seconds`) of the users in
 * `learning_users(user_id)` ending after `learning_bounds.lo_at`: the practice is the time before
 * its submission.
 */
export const xelPracticeIntervalsSql = (driver: DbDriver): string =>
  `select user_id, ${epochMs(driver, 'created_at')} - cast(duration_seconds * 1000 as bigint) as start_ms, ${epochMs(driver, 'created_at')} as end_ms from xel_submissions` +
  ' where user_id in (select user_id from learning_users) and duration_seconds > 0 and created_at > (select lo_at from learning_bounds)';

/**
 * For the admin statistics (src/modules/stats/): a select of `(user_id, day, xp, tasks_completed,
 * submissions, last_ms)`, one row per user of `learning_users(user_id)` and day of
 * `learning_days(day, lo, hi)` with XEL activity: the XP its submissions awarded (boosts
 * included), the tasks first completed that day (`xel_task_progress.completed_at`, so a task
 * counts once, on the day it was first passed), the submissions made, and the last of them (ms).
 * Only instants within `learning_bounds` count.
 */
export const xelProgressByDaySql = (driver: DbDriver): string =>
  'select a.user_id, d.day, sum(a.xp) as xp, sum(a.tasks) as tasks_completed, sum(a.submissions) as submissions, max(a.at_ms) as last_ms from (' +
  `select user_id, ${epochMs(driver, 'created_at')} as at_ms, xp_awarded as xp, 0 as tasks, 1 as submissions from xel_submissions` +
  ' where user_id in (select user_id from learning_users) and created_at >= (select lo_at from learning_bounds) and created_at < (select hi_at from learning_bounds)' +
  ` union all select user_id, ${epochMs(driver, 'completed_at')} as at_ms, 0 as xp, 1 as tasks, 0 as submissions from xel_task_progress` +
  ' where user_id in (select user_id from learning_users) and completed_at >= (select lo_at from learning_bounds) and completed_at < (select hi_at from learning_bounds)' +
  ') as a inner join learning_days as d on a.at_ms >= d.lo and a.at_ms < d.hi group by a.user_id, d.day';
