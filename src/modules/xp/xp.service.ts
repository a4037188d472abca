import type { EntityManager } from '@mikro-orm/core';
import { authorize } from '../../common/access.js';
import type { Clock } from '../../common/clock.js';
import type { RequestContext } from '../../common/context.js';
import { AppError } from '../../common/errors.js';
import { isId } from '../../common/ids.js';
import { toDate } from '../../common/time.js';
import type { Config } from '../../config.js';
import { normalizeUsername } from '../users/index.js';
import { addDays, levelOf, localDay, streakOn, type XelService, type XelStanding, type XpAwardHooks } from '../xel/index.js';
import { XpBonusDay, XpFreezeDay, XpQuest } from './xp.entities.js';
import {
  BOOSTER_MINUTES,
  BOOSTER_MULTIPLIER,
  dayDiff,
  drawQuests,
  FREEZE_PRICE_TOKENS,
  GOOD_SCORE,
  MAX_FREEZES,
  templateByKey,
  weekStart,
  startOfDay,
  type QuestKind,
} from './xp.rules.js';

/**
 * Seconds a user spent in learning sessions between two instants: the `learningTime` service of
 * the learning module provides it. Optional: without it, no quest asks for learning time.
 */
export interface LearningSeconds {
  secondsBetween(em: EntityManager, userId: string, start: Date, end: Date): Promise<number>;
  /** Seconds per calendar day of `timeZone` in [start, end), days without learning absent: one statement. */
  secondsByDay(em: EntityManager, userIds: string[], start: Date, end: Date, timeZone?: string): Promise<{ date: string; seconds: number }[]>;
}

export interface XpProfileView {
  userId: string;
  xpTotal: number;
  level: number;
  xpIntoLevel: number;
  xpForNextLevel: number;
  currentStreak: number;
  longestStreak: number;
  booster: { multiplier: number; endsAt: Date } | null;
  todayXp: { tasks: number; quests: number; total: number };
  tokenBalance: number;
}

export interface PublicXpProfileView {
  username: string;
  displayName: string;
  level: number;
  xpTotal: number;
  currentStreak: number;
  longestStreak: number;
  modulesCompleted: number;
  memberSince: Date;
}

export interface StreakStatusView {
  currentStreak: number;
  longestStreak: number;
  freezesAvailable: number;
  freezesUsed: number;
  lastActivity: Date | null;
  streakAtRisk: boolean;
  freezePriceTokens: number;
  tokenBalance: number;
}

export interface WeeklyActivityView {
  weekStart: string;
  days: { date: string; xp: number }[];
  totalXp: number;
  freezeCoveredDates: string[];
}

export interface QuestView {
  id: string;
  userId: string;
  day: string;
  kind: QuestKind;
  title: string;
  goal: number;
  progress: number;
  completed: boolean;
  rewardTokens: number;
}

interface WalletRow {
  tokenBalance: number;
  freezesHeld: number;
  freezesUsed: number;
}

type Run = { affectedRows: number };

/**
 * XP profile, streak freezes, daily quests, tokens and the booster, over XEL's XP and streaks.
 * XEL awards the XP; this service is its `XpAwardHooks` (settles missed days before an award,
 * multiplies it while a booster runs, settles quests after it).
 *
 * Races: a learner's wallet row is the lock of everything that spends or moves the streak (an
 * update of it opens every such transaction: PostgreSQL queues the others on the row, SQLite
 * runs one transaction at a time); quest rewards are claimed by a conditional update (paid
 * once); a booster and a covered day are rows on unique keys.
 */
export class XpService implements XpAwardHooks {
  constructor(
    private readonly xel: XelService,
    private readonly clock: Clock,
    private readonly config: Config,
    private readonly learning: LearningSeconds | null = null,
  ) {
    xel.useAwardHooks(this);
  }

  private now(): Date {
    return new Date(this.clock.now());
  }

  // ---- the hooks XEL calls where it awards XP ----

  async beforeAward(tx: EntityManager, userId: string, _timezone: string, at: Date): Promise<{ multiplier: number }> {
    await this.settleFreezes(tx, userId, at);
    const booster = await this.boosterAt(tx, userId, at);
    return { multiplier: booster?.multiplier ?? 1 };
  }

  async awarded(tx: EntityManager, userId: string, day: string, _baseXp: number, bonusXp: number): Promise<void> {
    if (bonusXp <= 0) return;
    await this.exec(
      tx,
      'insert into xp_bonus_days (id, user_id, day, xp) values (?, ?, ?, ?) on conflict (user_id, day) do update set xp = xp_bonus_days.xp + excluded.xp',
      [crypto.randomUUID(), userId, day, bonusXp],
    );
  }

  async afterCommit(em: EntityManager, userId: string, at: Date): Promise<void> {
    await this.settleQuests(em, userId, at);
  }

  async freezesHeld(em: EntityManager, userId: string): Promise<number> {
    return (await this.walletOf(em, userId)).freezesHeld;
  }

  // ---- the operations ----

  /**
   * XP, level, streaks, the booster running, today's XP and the token balance.
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE (xel:read)
   */
  async profile(ctx: RequestContext, need: 'xel:read' | 'xel:write' = 'xel:read'): Promise<XpProfileView> {
    const p = authorize(ctx, need);
    return this.profileOf(ctx.em.fork(), p.userId, this.now());
  }

  /**
   * A user's public XP profile, when they made it public (`publicProfile`); nothing private in it.
   * @throws not_found (no such user, or the profile is not public)
   */
  async publicProfile(ctx: RequestContext, username: string): Promise<PublicXpProfileView> {
    const em = ctx.em.fork();
    const s = typeof username === 'string' && username.length <= 64 ? await this.xel.standing(em, { usernameNormalized: normalizeUsername(username) }) : null;
    if (!s?.publicProfile) throw AppError.notFound('Profile');
    const [wallet, modulesCompleted] = await Promise.all([this.walletOf(em, s.userId), this.xel.modulesCompleted(em, s.userId)]);
    const lv = levelOf(s.xpTotal);
    return {
      username: s.username,
      displayName: s.fullName ?? s.username,
      level: lv.level,
      xpTotal: s.xpTotal,
      // Read without writing: the missed days the freezes held would cover still count as kept.
      currentStreak: this.streakWithFreezes(s, wallet.freezesHeld, localDay(this.now(), s.timezone)),
      longestStreak: s.longestStreak,
      modulesCompleted,
      memberSince: s.memberSince,
    };
  }

  /**
   * The streak, the freezes held and spent, the last activity, and whether the streak ends tonight.
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE (xel:read)
   */
  async streakStatus(ctx: RequestContext, need: 'xel:read' | 'xel:write' = 'xel:read'): Promise<StreakStatusView> {
    const p = authorize(ctx, need);
    return this.streakStatusOf(ctx.em.fork(), p.userId, this.now());
  }

  /**
   * This week (Sunday to Saturday in your time zone): XP per day and the days a freeze covered.
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE (xel:read)
   */
  async weeklyActivity(ctx: RequestContext): Promise<WeeklyActivityView> {
    const p = authorize(ctx, 'xel:read');
    const em = ctx.em.fork();
    const now = this.now();
    const s = await this.settled(em, p.userId, now);
    const start = weekStart(localDay(now, s.timezone));
    const end = addDays(start, 6);
    const [activity, covered] = await Promise.all([
      this.xel.dailyActivity(em, p.userId, start, end),
      em.find(XpFreezeDay, { user: p.userId, day: { $gte: start, $lte: end } }, { orderBy: { day: 'asc' } }),
    ]);
    const days = Array.from({ length: 7 }, (_, i) => {
      const date = addDays(start, i);
      return { date, xp: activity.get(date)?.xp ?? 0 };
    });
    return { weekStart: start, days, totalXp: days.reduce((t, d) => t + d.xp, 0), freezeCoveredDates: covered.map((c) => c.day) };
  }

  /**
   * Today's three quests with their progress; rewards due are paid on the way.
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE (xel:read)
   */
  async quests(ctx: RequestContext): Promise<QuestView[]> {
    const p = authorize(ctx, 'xel:read');
    return this.settleQuests(ctx.em.fork(), p.userId, this.now());
  }

  /**
   * The caller's quests among `ids` (for `node`): others' and unknown ids simply absent.
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE (xel:read)
   */
  async questsByIds(ctx: RequestContext, ids: readonly string[]): Promise<QuestView[]> {
    const p = authorize(ctx, 'xel:read');
    const wanted = ids.filter(isId);
    if (!wanted.length) return [];
    const em = ctx.em.fork();
    const rows = await em.find(XpQuest, { id: { $in: wanted }, user: p.userId });
    if (!rows.length) return [];
    const s = await this.standingOf(em, p.userId);
    const now = this.now();
    const out: QuestView[] = [];
    for (const day of new Set(rows.map((r) => r.day))) {
      const ofDay = rows.filter((r) => r.day === day);
      const progress = await this.measure(em, p.userId, day, s.timezone, now, ofDay);
      ofDay.forEach((q, i) => out.push(this.questView(q, progress[i]!)));
    }
    return out;
  }

  /**
   * Buys a streak freeze with tokens, atomically: refused (conflict) when MAX_FREEZES are held
   * or the tokens are short. Missed days are settled first (a freeze bought now never covers
   * a day already missed).
   * @throws conflict, not_authenticated, INSUFFICIENT_API_KEY_SCOPE (xel:write)
   */
  async buyFreeze(ctx: RequestContext): Promise<StreakStatusView> {
    const p = authorize(ctx, 'xel:write');
    const now = this.now();
    const em = ctx.em.fork();
    await em.transactional(async (tx) => {
      await this.settleFreezes(tx, p.userId, now);
      const res = await this.exec(
        tx,
        'update xp_wallets set token_balance = token_balance - ?, freezes_held = freezes_held + 1, updated_at = ? where user_id = ? and freezes_held < ? and token_balance >= ?',
        [FREEZE_PRICE_TOKENS, this.dbDate(now), p.userId, MAX_FREEZES, FREEZE_PRICE_TOKENS],
      );
      if (res.affectedRows === 1) return;
      const w = await this.walletOf(tx, p.userId);
      if (w.freezesHeld >= MAX_FREEZES) throw new AppError('conflict', `You already hold ${MAX_FREEZES} streak freezes, the most you can`, { reason: 'inventory_full' });
      throw new AppError('conflict', `A streak freeze costs ${FREEZE_PRICE_TOKENS} tokens; you have ${w.tokenBalance}`, { reason: 'insufficient_tokens' });
    });
    return this.streakStatusOf(em, p.userId, now);
  }

  // ---- internals ----

  private async profileOf(em: EntityManager, userId: string, now: Date): Promise<XpProfileView> {
    await this.settleQuests(em, userId, now);
    const s = await this.settled(em, userId, now);
    const today = localDay(now, s.timezone);
    const [wallet, activity, bonus, booster] = await Promise.all([
      this.walletOf(em, userId),
      this.xel.dailyActivity(em, userId, today, today),
      em.findOne(XpBonusDay, { user: userId, day: today }),
      this.boosterAt(em, userId, now),
    ]);
    const lv = levelOf(s.xpTotal);
    const total = activity.get(today)?.xp ?? 0;
    const quests = Math.min(total, bonus?.xp ?? 0);
    return {
      userId,
      xpTotal: s.xpTotal,
      level: lv.level,
      xpIntoLevel: lv.xpIntoLevel,
      xpForNextLevel: lv.xpForNextLevel,
      currentStreak: streakOn(s, today),
      longestStreak: s.longestStreak,
      booster,
      todayXp: { tasks: total - quests, quests, total },
      tokenBalance: wallet.tokenBalance,
    };
  }

  private async streakStatusOf(em: EntityManager, userId: string, now: Date): Promise<StreakStatusView> {
    const s = await this.settled(em, userId, now);
    const today = localDay(now, s.timezone);
    const [wallet, lastActivity] = await Promise.all([this.walletOf(em, userId), this.xel.lastSubmissionAt(em, userId)]);
    const current = streakOn(s, today);
    return {
      currentStreak: current,
      longestStreak: s.longestStreak,
      freezesAvailable: wallet.freezesHeld,
      freezesUsed: wallet.freezesUsed,
      lastActivity,
      // Alive, today not practised yet (nor a later day, after a time zone change), and no freeze to cover today: it ends at midnight.
      streakAtRisk: current > 0 && s.lastActiveDay !== null && s.lastActiveDay < today && wallet.freezesHeld === 0,
      freezePriceTokens: FREEZE_PRICE_TOKENS,
      tokenBalance: wallet.tokenBalance,
    };
  }

  /** The standing after settling the missed days (in a transaction of its own). */
  private async settled(em: EntityManager, userId: string, now: Date): Promise<XelStanding> {
    return em.transactional((tx) => this.settleFreezes(tx, userId, now));
  }

  private async standingOf(em: EntityManager, userId: string): Promise<XelStanding> {
    const s = await this.xel.standing(em, { userId });
    // The credentials were checked a moment ago: an account deleted since is a 401.
    if (!s) throw new AppError('invalid_token', 'The account of this credential no longer exists');
    return s;
  }

  /**
   * Spends streak freezes on the days missed since the streak's last day, oldest first, while
   * freezes are held: each covered day keeps the streak (it does not extend it) and is
   * recorded. A missed day without a freeze ends the streak, stored as ended (a freeze bought
   * later never covers a day already missed); the freezes left are kept.
   * Inside `tx`, under the wallet's lock; answers the standing after.
   */
  private async settleFreezes(tx: EntityManager, userId: string, now: Date): Promise<XelStanding> {
    const wallet = await this.lockWallet(tx, userId, now);
    const s = await this.standingOf(tx, userId);
    if (s.currentStreak <= 0 || s.lastActiveDay === null) return s;
    const today = localDay(now, s.timezone);
    const missed = dayDiff(s.lastActiveDay, today) - 1;
    if (missed <= 0) return s;
    const cover = Math.min(missed, wallet.freezesHeld);
    const to = addDays(s.lastActiveDay, cover);
    if (cover > 0) await this.spendFreezes(tx, userId, s.lastActiveDay, cover, now);
    if (missed > cover) {
      if (!(await this.xel.endStreak(tx, userId, to))) throw new AppError('conflict', 'Your streak changed meanwhile; try again');
      return { ...s, currentStreak: 0, lastActiveDay: to };
    }
    return { ...s, lastActiveDay: to };
  }

  /** Covers the `cover` days after `from` with held freezes (inside settleFreezes' transaction). */
  private async spendFreezes(tx: EntityManager, userId: string, from: string, cover: number, now: Date): Promise<void> {
    const to = addDays(from, cover);
    if (!(await this.xel.coverStreak(tx, userId, from, to))) throw new AppError('conflict', 'Your streak changed meanwhile; try again');
    const spent = await this.exec(tx, 'update xp_wallets set freezes_held = freezes_held - ?, freezes_used = freezes_used + ? where user_id = ? and freezes_held >= ?', [cover, cover, userId, cover]);
    if (spent.affectedRows !== 1) throw new AppError('conflict', 'Your streak freezes changed meanwhile; try again');
    for (let i = 1; i <= cover; i++) {
      await this.exec(tx, 'insert into xp_freeze_days (id, user_id, day, created_at) values (?, ?, ?, ?) on conflict (user_id, day) do nothing', [
        crypto.randomUUID(),
        userId,
        addDays(from, i),
        this.dbDate(now),
      ]);
    }
  }

  /** The streak as it stands today, counting the missed days the freezes held would cover (no writes). */
  private streakWithFreezes(s: XelStanding, held: number, today: string): number {
    if (s.currentStreak <= 0 || s.lastActiveDay === null) return 0;
    const missed = dayDiff(s.lastActiveDay, today) - 1;
    return missed <= held ? s.currentStreak : 0;
  }

  /** Creates the wallet on first use and locks it for the rest of the transaction. */
  private async lockWallet(tx: EntityManager, userId: string, now: Date): Promise<WalletRow> {
    await this.exec(
      tx,
      'insert into xp_wallets (id, user_id, token_balance, freezes_held, freezes_used, created_at, updated_at) values (?, ?, 0, 0, 0, ?, ?) on conflict (user_id) do nothing',
      [crypto.randomUUID(), userId, this.dbDate(now), this.dbDate(now)],
    );
    await this.exec(tx, 'update xp_wallets set updated_at = ? where user_id = ?', [this.dbDate(now), userId]);
    return this.walletOf(tx, userId);
  }

  private async walletOf(em: EntityManager, userId: string): Promise<WalletRow> {
    const [row] = (await em
      .getConnection()
      .execute('select token_balance, freezes_held, freezes_used from xp_wallets where user_id = ?', [userId], 'all', em.getTransactionContext())) as {
      token_balance: number;
      freezes_held: number;
      freezes_used: number;
    }[];
    return { tokenBalance: Number(row?.token_balance ?? 0), freezesHeld: Number(row?.freezes_held ?? 0), freezesUsed: Number(row?.freezes_used ?? 0) };
  }

  private async boosterAt(em: EntityManager, userId: string, at: Date): Promise<{ multiplier: number; endsAt: Date } | null> {
    const [row] = (await em
      .getConnection()
      .execute(
        'select multiplier, ends_at from xp_boosters where user_id = ? and starts_at <= ? and ends_at > ? order by ends_at desc limit 1',
        [userId, this.dbDate(at), this.dbDate(at)],
        'all',
        em.getTransactionContext(),
      )) as { multiplier: number; ends_at: number | string | Date }[];
    return row ? { multiplier: Number(row.multiplier), endsAt: toDate(row.ends_at) } : null;
  }

  /** The day's quests, drawn on first sight (racing drawers insert the same rows; one of each stays). */
  private async questsOf(em: EntityManager, userId: string, day: string): Promise<XpQuest[]> {
    const existing = await em.find(XpQuest, { user: userId, day }, { orderBy: { slot: 'asc' }, refresh: true });
    if (existing.length) return existing;
    const kinds: QuestKind[] = this.learning ? ['earn_xp', 'good_scores', 'learning_time'] : ['earn_xp', 'good_scores'];
    const drawn = drawQuests(userId, day, kinds);
    for (const [slot, t] of drawn.entries()) {
      await this.exec(
        em,
        'insert into xp_quests (id, user_id, day, slot, template, goal, reward_tokens) values (?, ?, ?, ?, ?, ?, ?) on conflict (user_id, day, slot) do nothing',
        [crypto.randomUUID(), userId, day, slot, t.key, t.goal, t.rewardTokens],
      );
    }
    return em.find(XpQuest, { user: userId, day }, { orderBy: { slot: 'asc' }, refresh: true });
  }

  /** Each quest's progress, measured from what was recorded (XP, scores, learning seconds) on its day. */
  private async measure(em: EntityManager, userId: string, day: string, tz: string, now: Date, quests: readonly XpQuest[]): Promise<number[]> {
    const kinds = new Set(quests.map((q) => templateByKey(q.template)?.kind));
    const [xp, good, seconds] = await Promise.all([
      kinds.has('earn_xp') ? this.xel.dailyActivity(em, userId, day, day).then((m) => m.get(day)?.xp ?? 0) : 0,
      kinds.has('good_scores') ? this.xel.tasksScoredOn(em, userId, day, GOOD_SCORE) : 0,
      kinds.has('learning_time') && this.learning ? this.learningSecondsOn(em, userId, day, tz, now) : 0,
    ]);
    return quests.map((q) => {
      const kind = templateByKey(q.template)?.kind;
      return kind === 'earn_xp' ? xp : kind === 'good_scores' ? good : kind === 'learning_time' ? seconds : 0;
    });
  }

  private async learningSecondsOn(em: EntityManager, userId: string, day: string, tz: string, now: Date): Promise<number> {
    const start = startOfDay(day, tz);
    const next = startOfDay(addDays(day, 1), tz);
    const end = now < next ? now : next;
    return end > start ? Math.floor(await this.learning!.secondsBetween(em, userId, start, end)) : 0;
  }

  /**
   * Today's quests with their progress; pays each quest reached and not yet paid (a
   * conditional update: once, whoever races), then grants the booster when all are done.
   * Measured after the caller's own transaction committed, so of racing submissions the last
   * to settle sees them all.
   *
   * "Today" is the learner's local day, but never a day before the latest whose quests were
   * drawn: after a time zone change to the west the learner stays on the day already reached
   * until the new zone's calendar reaches it, so no date's quests are paid twice and the dates
   * behind it (which the learner lived already, in the old zone) do not open again. The days from
   * that latest day up to today ended since their quests were last settled (or were never drawn):
   * learning time (a session ending late in the evening) may have reached a quest after its last
   * read, so each of them with recorded activity is settled first, once and for all, whether or
   * not the learner looked.
   */
  private async settleQuests(em: EntityManager, userId: string, now: Date): Promise<QuestView[]> {
    const s = await this.standingOf(em, userId);
    const latest = await this.latestQuestDay(em, userId);
    const local = localDay(now, s.timezone);
    const day = latest !== null && latest > local ? latest : local;
    if (latest === null || latest < day) {
      const from = latest ?? localDay(s.memberSince, s.timezone);
      for (const ended of await this.activeDays(em, userId, s.timezone, from, addDays(day, -1))) await this.settleDay(em, userId, ended, s.timezone, now);
    }
    return this.settleDay(em, userId, day, s.timezone, now);
  }

  /** The latest day whose quests were drawn, or null. */
  private async latestQuestDay(em: EntityManager, userId: string): Promise<string | null> {
    const [row] = (await em
      .getConnection()
      .execute('select max(day) as day from xp_quests where user_id = ?', [userId], 'all', em.getTransactionContext())) as { day: string | null }[];
    return row?.day ?? null;
  }

  /**
   * The days from `from` to `to` (both included, at most QUEST_SETTLE_DAYS ending on `to`) with
   * XP or learning time recorded, oldest first: the only ones whose quests can have been reached.
   */
  private async activeDays(em: EntityManager, userId: string, tz: string, from: string, to: string): Promise<string[]> {
    const first = dayDiff(from, to) >= this.config.xel.questSettleDays ? addDays(to, 1 - this.config.xel.questSettleDays) : from;
    if (first > to) return [];
    const [xp, learned] = await Promise.all([
      this.xel.dailyActivity(em, userId, first, to),
      this.learning ? this.learning.secondsByDay(em, [userId], startOfDay(first, tz), startOfDay(addDays(to, 1), tz), tz) : [],
    ]);
    return [...new Set([...[...xp.entries()].filter(([, a]) => a.xp > 0 || a.tasks > 0).map(([d]) => d), ...learned.filter((d) => d.seconds > 0).map((d) => d.date)])]
      .filter((d) => d >= first && d <= to)
      .sort();
  }

  /** One day's quests with their progress, paying those reached and granting the booster when all are done. */
  private async settleDay(em: EntityManager, userId: string, day: string, tz: string, now: Date): Promise<QuestView[]> {
    const quests = await this.questsOf(em, userId, day);
    const progress = await this.measure(em, userId, day, tz, now, quests);
    let paid = false;
    for (const [i, q] of quests.entries()) {
      if (q.completedAt || progress[i]! < q.goal) continue;
      await em.transactional(async (tx) => {
        const claim = await this.exec(tx, 'update xp_quests set completed_at = ? where id = ? and completed_at is null', [this.dbDate(now), q.id]);
        if (claim.affectedRows !== 1) return;
        await this.lockWallet(tx, userId, now);
        await this.exec(tx, 'update xp_wallets set token_balance = token_balance + ? where user_id = ?', [q.rewardTokens, userId]);
      });
      paid = true;
    }
    const fresh = paid ? await em.find(XpQuest, { user: userId, day }, { orderBy: { slot: 'asc' }, refresh: true }) : quests;
    if (fresh.length && fresh.every((q) => q.completedAt)) {
      await this.exec(
        em,
        'insert into xp_boosters (id, user_id, day, multiplier, starts_at, ends_at) values (?, ?, ?, ?, ?, ?) on conflict (user_id, day) do nothing',
        [crypto.randomUUID(), userId, day, BOOSTER_MULTIPLIER, this.dbDate(now), this.dbDate(new Date(now.getTime() + BOOSTER_MINUTES * 60_000))],
      );
    }
    return fresh.map((q, i) => this.questView(q, progress[i]!));
  }

  private questView(q: XpQuest, progress: number): QuestView {
    const t = templateByKey(q.template);
    return {
      id: q.id,
      userId: q.user.id,
      day: q.day,
      kind: t?.kind ?? 'earn_xp',
      title: t?.title ?? q.template,
      goal: q.goal,
      progress: Math.min(progress, q.goal),
      completed: q.completedAt !== null,
      rewardTokens: q.rewardTokens,
    };
  }

  private async exec(em: EntityManager, sql: string, params: unknown[]): Promise<Run> {
    return (await em.getConnection().execute(sql, params, 'run', em.getTransactionContext())) as Run;
  }

  /** How raw statements write timestamps: what MikroORM's DateTimeType writes on each driver. */
  private dbDate(d: Date): Date | number {
    return this.config.db.driver === 'sqlite' ? d.getTime() : d;
  }
}
