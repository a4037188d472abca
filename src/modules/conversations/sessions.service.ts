import { ForeignKeyConstraintViolationException, UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core';
import type { EntityManager as SqlEntityManager } from '@mikro-orm/sql';
import { authorize } from '../../common/access.js';
import type { Clock } from '../../common/clock.js';
import type { RequestContext } from '../../common/context.js';
import { AppError } from '../../common/errors.js';
import { isId } from '../../common/ids.js';
import { dbTime, epochMs } from '../../common/sql-time.js';
import type { Config, DbDriver } from '../../config.js';
import type { JobQueue } from '../../jobs/queue.js';
import { User } from '../users/index.js';
import { Conversation, ConversationSession } from './conversations.entities.js';

/** What the status of a conversation's learning session says. */
export interface ConversationSessionStatusResult {
  /** A session is running now. */
  active: boolean;
  /** The running session, else the latest one (null: none yet). */
  session: ConversationSession | null;
  /** Seconds counted over every session of the caller's in this conversation. */
  totalActiveSeconds: number;
}

/** A start: the session, and whether this call created it (false: an active one was already running). */
export interface StartedSession {
  session: ConversationSession;
  created: boolean;
}

const keyOf = (userId: string, conversationId: string) => `${userId}:${conversationId}`;

/**
 * Conversation learning sessions, by the server's clock (the injected `clock`). Activity
 * (an activity call, a chat message in the conversation, the end) adds the time since the
 * previous activity; a session idle longer than the idle timeout is over, ended at its last
 * activity, by the sweeper or by whichever call finds it first (the lazy rule): so the silence
 * is never counted, and the answer does not depend on when the sweeper last ran.
 */
/** The recurring job that ends idle sessions. */
export const SESSION_SWEEP_JOB = 'conversations.session-sweep';

export class ConversationSessionsService {

  constructor(
    private readonly config: Config,
    private readonly clock: Clock,
    jobs: JobQueue,
  ) {
    // The sweeper: a recurring job (src/jobs/), one process at a time, every CONVERSATION_SESSION_SWEEP_INTERVAL_MS.
    jobs.recurring(SESSION_SWEEP_JOB, { everyMs: config.learning.sweepIntervalMs }, { run: async (_p, job) => void (await this.sweep(job.em)) });
  }

  private get idleMs(): number {
    return this.config.learning.sessionIdleSeconds * 1000;
  }

  private now(): Date {
    return new Date(this.clock.now());
  }

  /** Idle longer than the timeout at `now`: over, ending at its last activity. */
  private expired(s: ConversationSession, now: Date): boolean {
    return now.getTime() - s.lastActivityAt.getTime() > this.idleMs;
  }

  private async ownedConversation(ctx: RequestContext, id: string, need: 'conversations:read' | 'conversations:write'): Promise<{ userId: string; conversation: Conversation }> {
    const p = authorize(ctx, need);
    const conversation = isId(id) ? await ctx.em.findOne(Conversation, { id, user: p.userId }) : null;
    if (!conversation) throw AppError.notFound('Conversation');
    return { userId: p.userId, conversation };
  }

  /** Ends `s` at `at` (counting up to it) unless something ended it first; answers the session as stored. */
  private async close(em: EntityManager, s: ConversationSession, at: Date): Promise<ConversationSession> {
    const activeSeconds = Math.max(0, Math.floor((at.getTime() - s.startedAt.getTime()) / 1000));
    await em.nativeUpdate(ConversationSession, { id: s.id, status: 'active' }, { status: 'ended', activeKey: null, endedAt: at, lastActivityAt: at, activeSeconds });
    return em.findOneOrFail(ConversationSession, { id: s.id }, { refresh: true });
  }

  /** The running session of a learner in a conversation, after the lazy rule (an idle one is ended at its last activity: null). */
  private async running(em: EntityManager, userId: string, conversationId: string, now: Date): Promise<ConversationSession | null> {
    const s = await em.findOne(ConversationSession, { activeKey: keyOf(userId, conversationId) }, { refresh: true });
    if (!s) return null;
    if (this.expired(s, now)) {
      await this.close(em, s, s.lastActivityAt);
      return null;
    }
    return s;
  }

  /**
   * Starts a learning session in one of the caller's conversations, or answers the one already
   * running (`created: false`). Two starts at once make one session (a unique index on the
   * running session's key; the loser reads the winner's).
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE (conversations:write), not_found
   */
  async start(ctx: RequestContext, conversationId: string): Promise<StartedSession> {
    const { userId, conversation } = await this.ownedConversation(ctx, conversationId, 'conversations:write');
    const now = this.now();
    const em = ctx.em.fork();
    const existing = await this.running(em, userId, conversation.id, now);
    if (existing) return { session: existing, created: false };
    const s = em.create(ConversationSession, {
      user: em.getReference(User, userId),
      conversation: em.getReference(Conversation, conversation.id),
      activeKey: keyOf(userId, conversation.id),
      startedAt: now,
      lastActivityAt: now,
    });
    try {
      await em.flush();
      return { session: s, created: true };
    } catch (e) {
      // The conversation was deleted after it was checked: no session starts in it.
      if (e instanceof ForeignKeyConstraintViolationException) throw AppError.notFound('Conversation');
      if (!(e instanceof UniqueConstraintViolationException)) throw e;
      const winner = await ctx.em.fork().findOne(ConversationSession, { activeKey: keyOf(userId, conversation.id) });
      if (!winner) throw new AppError('conflict', 'Another start of this session was under way; try again');
      return { session: winner, created: false };
    }
  }

  /**
   * Records activity in the running session: the time since the previous activity is counted.
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE (conversations:write), not_found, conflict (no running session: none was started, or it ended, idle)
   */
  async activity(ctx: RequestContext, conversationId: string): Promise<ConversationSession> {
    const { userId, conversation } = await this.ownedConversation(ctx, conversationId, 'conversations:write');
    const s = await this.touch(ctx.em.fork(), userId, conversation.id);
    if (!s) throw new AppError('conflict', 'No learning session is running in this conversation (none was started, or it ended after being idle): start one');
    return s;
  }

  /**
   * Activity of a learner in a conversation (a chat message): counted in the running session, if
   * any. Concurrent activity keeps the latest instant (the time counted only grows).
   * Answers the running session as it is now, or null when none runs (one ended between the
   * read and the write included).
   */
  async touch(em: EntityManager, userId: string, conversationId: string): Promise<ConversationSession | null> {
    const now = this.now();
    const s = await this.running(em, userId, conversationId, now);
    if (!s) return null;
    const activeSeconds = Math.max(0, Math.floor((now.getTime() - s.startedAt.getTime()) / 1000));
    await em.nativeUpdate(ConversationSession, { id: s.id, status: 'active', lastActivityAt: { $lt: now } }, { lastActivityAt: now, activeSeconds });
    const after = await em.findOneOrFail(ConversationSession, { id: s.id }, { refresh: true });
    return after.status === 'active' ? after : null;
  }

  /**
   * Ends the running session: the time since the last activity is counted when within the idle
   * timeout (else it ends at the last activity). Idempotent: with nothing running, answers the
   * status as it is.
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE (conversations:write), not_found
   */
  async end(ctx: RequestContext, conversationId: string): Promise<ConversationSessionStatusResult> {
    const { userId, conversation } = await this.ownedConversation(ctx, conversationId, 'conversations:write');
    const em = ctx.em.fork();
    const s = await em.findOne(ConversationSession, { activeKey: keyOf(userId, conversation.id) });
    if (s) {
      const now = this.now();
      await this.close(em, s, this.expired(s, now) ? s.lastActivityAt : now);
    }
    return this.statusOf(em, userId, conversation.id);
  }

  /**
   * The caller's session in one of their conversations: the running one (else the latest) and
   * the seconds of all their sessions there.
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE (conversations:read), not_found
   */
  async status(ctx: RequestContext, conversationId: string): Promise<ConversationSessionStatusResult> {
    const { userId, conversation } = await this.ownedConversation(ctx, conversationId, 'conversations:read');
    return this.statusOf(ctx.em.fork(), userId, conversation.id);
  }

  /** As `status`, for GraphQL: null for an unknown conversation or someone else's. */
  async statusOrNull(ctx: RequestContext, conversationId: string): Promise<ConversationSessionStatusResult | null> {
    try {
      return await this.status(ctx, conversationId);
    } catch (e) {
      if (e instanceof AppError && e.code === 'not_found') return null;
      throw e;
    }
  }

  private async statusOf(em: EntityManager, userId: string, conversationId: string): Promise<ConversationSessionStatusResult> {
    const running = await this.running(em, userId, conversationId, this.now());
    const session = running ?? (await em.findOne(ConversationSession, { user: userId, conversation: conversationId }, { orderBy: { startedAt: 'desc', id: 'desc' }, refresh: true }));
    const rows = await (em as SqlEntityManager).execute<{ n: number | string | null }[]>(
      'select coalesce(sum(active_seconds), 0) as n from conversation_sessions where user_id = ? and conversation_id = ?',
      [userId, conversationId],
    );
    return { active: running !== null, session, totalActiveSeconds: Number(rows[0]?.n ?? 0) };
  }

  /**
   * The caller's sessions among `ids` (for `node`): one statement.
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE (conversations:read)
   */
  async visible(ctx: RequestContext, ids: readonly string[]): Promise<ConversationSession[]> {
    const p = authorize(ctx, 'conversations:read');
    const wanted = ids.filter(isId);
    return wanted.length ? ctx.em.find(ConversationSession, { id: { $in: wanted }, user: p.userId }) : [];
  }

  /** When a conversation is deleted: its running sessions end at their last activity (their time stays counted). */
  async endAllIn(em: EntityManager, conversationId: string): Promise<void> {
    // The caller's transaction (the deletion's): `em.execute` runs in it.
    await (em as SqlEntityManager).execute(
      "update conversation_sessions set status = 'ended', active_key = null, ended_at = last_activity_at where conversation_id = ? and status = 'active'",
      [conversationId],
    );
  }

  /**
   * Ends every session idle longer than the timeout, at its last activity (its time is already
   * counted up to there): one statement, idempotent, safe from several processes at once.
   * Answers how many it ended.
   */
  async sweep(em: EntityManager): Promise<number> {
    const cutoff = new Date(this.clock.now() - this.idleMs);
    const result = await (em as SqlEntityManager).execute<{ affectedRows?: number }>(
      "update conversation_sessions set status = 'ended', active_key = null, ended_at = last_activity_at where status = 'active' and last_activity_at < ?",
      [dbTime(this.config.db.driver, cutoff)],
      'run',
    );
    return Number(result.affectedRows ?? 0);
  }
}

/**
 * For the learning-time figures (src/modules/learning/): a select of `(user_id, start_ms, end_ms)`,
 * one row per session of the users in `learning_users(user_id)` overlapping
 * `learning_bounds(lo_at, hi_at)`: from its start to its last activity, the time it counts.
 */
export const conversationSessionIntervalsSql = (driver: DbDriver): string =>
  `select user_id, ${epochMs(driver, 'started_at')} as start_ms, ${epochMs(driver, 'last_activity_at')} as end_ms from conversation_sessions` +
  ' where user_id in (select user_id from learning_users) and started_at < (select hi_at from learning_bounds) and last_activity_at > (select lo_at from learning_bounds)';
