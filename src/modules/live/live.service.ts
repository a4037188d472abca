import { LockMode, UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core';
import type { EntityManager as SqlEntityManager } from '@mikro-orm/sql';
import { z } from 'zod';
import { authorize, requireUser } from '../../common/access.js';
import type { Clock } from '../../common/clock.js';
import type { RequestContext } from '../../common/context.js';
import { AppError } from '../../common/errors.js';
import { isId } from '../../common/ids.js';
import { pageSchema, type Page, type PageArgs } from '../../common/pagination.js';
import { findConnection, type ConnectionPage, type PageRequest } from '../../graphql/relay.js';
import { toDate } from '../../common/time.js';
import { fields, parseInput, str } from '../../common/validation.js';
import { epochMs } from '../../common/sql-time.js';
import type { Config, DbDriver } from '../../config.js';
import type { Metrics } from '../../common/metrics.js';
import type { EventBus, LiveEvent } from '../../common/pubsub.js';
import type { ProviderRegistry } from '../ai/index.js';
import type { SearchService } from '../search/index.js';
import { usersChanged } from '../users/index.js';
import { User } from '../users/index.js';
import { LiveSession } from './live.entities.js';
import { LiveEngine, sendAudioSchema, sendTextSchema, type TurnListener, type TurnResult } from './live.engine.js';
import { LiveEndReason, LiveSessionType, LiveTranscriptRole } from './live.enums.js';
import { LiveUsage } from './live.entities.js';
import { LiveTranscript, type TranscriptTurn } from './live.entities.js';
import { transcriptEntry } from './live.search.js';
import type { RateLimits } from '../../common/rate-limits.js';
import type { JobQueue } from '../../jobs/queue.js';

export const startSchema = z.object({
  sessionType: LiveSessionType.schema,
  language: str().regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a language tag such as "en"').nullish(),
  avatarId: str().max(64).regex(/^[A-Za-z0-9_-]+$/, 'may contain letters, digits, _ and -').nullish(),
}).meta({ id: 'LiveStartSessionRequest', description: 'Starts a Xentree Live session.', examples: [{ session_type: 'voice', language: 'en' }] });
export const sessionRefSchema = z.object({ sessionId: str().uuid('must be an id'), reason: LiveEndReason.schema.nullish() }).meta({ id: 'LiveEndSessionRequest' });
export const heartbeatSchema = sessionRefSchema.pick({ sessionId: true }).meta({ id: 'LiveHeartbeatRequest' });
export const nicknameSchema = z.object({
  nickname: str()
    .trim()
    // Composed (NFC), so that a name typed with combining accents and one typed precomposed are one name.
    .transform((v) => v.normalize('NFC'))
    .pipe(str()
    .min(1, 'must not be empty')
    .max(50, 'must be at most 50 characters')
    // Letters with their marks (Devanagari's vowel signs, a decomposed Vietnamese ệ), digits.
    .regex(/^[\p{L}\p{N}][\p{L}\p{M}\p{N} .'_-]*$/u, 'may contain letters, digits, spaces and . \' _ -')),
}).meta({ id: 'LiveNicknameRequest' });
export const MAX_TURNS = 2000;
/** The characters a transcript's turns hold in all (a saved one is refused past it; a live one drops its oldest turns). */
export const MAX_TRANSCRIPT_CHARS = 1_000_000;
/** A transcript's turns within both limits: the latest ones, oldest dropped first. */
export function withinTranscriptLimits(turns: TranscriptTurn[]): TranscriptTurn[] {
  let kept = turns.slice(-MAX_TURNS);
  let chars = kept.reduce((n, t) => n + t.text.length, 0);
  let drop = 0;
  while (chars > MAX_TRANSCRIPT_CHARS && drop < kept.length - 1) chars -= kept[drop++]!.text.length;
  if (drop) kept = kept.slice(drop);
  return kept;
}
export const turnSchema = z.object({
  role: LiveTranscriptRole.schema,
  text: str().max(10_000, 'must be at most 10000 characters').refine((t) => !t.includes('\u0000'), 'must not contain NUL characters'),
  timestamp: fields.instant('must be an ISO-8601 date-time'),
}).meta({ id: 'TranscriptTurn', description: 'One turn of a live conversation.', examples: [{ role: 'user', text: 'Hello, can we practise ordering food?', timestamp: '2026-03-02T09:15:00Z' }] });
export const transcriptSchema = z
  .object({
    sessionStartedAt: fields.instant('must be an ISO-8601 date-time'),
    sessionEndedAt: fields.instant('must be an ISO-8601 date-time'),
    transcripts: z.array(turnSchema, { error: 'must be a list of {role, text, timestamp}' }).max(MAX_TURNS, `at most ${MAX_TURNS} turns`),
    sessionId: str().uuid('must be an id').nullish(),
  })
  .superRefine((v, ctx) => {
    // Zod runs this even when a field above failed: only whole values are compared.
    if (Array.isArray(v.transcripts)) {
      const chars = v.transcripts.reduce((n, t) => n + (typeof t?.text === 'string' ? t.text.length : 0), 0);
      if (chars > MAX_TRANSCRIPT_CHARS) ctx.addIssue({ code: 'custom', path: ['transcripts'], message: `the turns hold ${chars} characters; at most ${MAX_TRANSCRIPT_CHARS} in all` });
    }
    if (!(v.sessionStartedAt instanceof Date) || !(v.sessionEndedAt instanceof Date) || !Array.isArray(v.transcripts)) return;
    if (v.sessionEndedAt < v.sessionStartedAt) ctx.addIssue({ code: 'custom', path: ['sessionEndedAt'], message: 'must not be before the session\'s start' });
    if (v.sessionEndedAt.getTime() - v.sessionStartedAt.getTime() > 24 * 3600_000) ctx.addIssue({ code: 'custom', path: ['sessionEndedAt'], message: 'a session lasts at most 24 hours' });
    // A little clock skew between client and server is tolerated at both ends.
    const from = v.sessionStartedAt.getTime() - 5000;
    const to = v.sessionEndedAt.getTime() + 5000;
    v.transcripts.forEach((t, i) => {
      if (!(t?.timestamp instanceof Date)) return;
      const at = t.timestamp.getTime();
      if (at < from || at > to) ctx.addIssue({ code: 'custom', path: ['transcripts', i, 'timestamp'], message: 'is outside the session window' });
    });
  }).meta({ id: 'SaveLiveTranscriptsRequest', description: 'A live session\'s transcript, saved once it ended.', examples: [{ session_started_at: '2026-03-02T09:00:00Z', session_ended_at: '2026-03-02T09:15:00Z', transcripts: [{ role: 'user', text: 'Hello, can we practise ordering food?', timestamp: '2026-03-02T09:00:05Z' }, { role: 'ai', text: 'Of course! What would you like to order?', timestamp: '2026-03-02T09:00:08Z' }] }] });

export type StartData = z.input<typeof startSchema>;

/** The event that says a session ended, from the session as it was settled. */
export function endedEvent(s: LiveSession): Extract<LiveEvent, { type: 'session_ended' }> {
  return {
    type: 'session_ended',
    sessionId: s.id,
    userId: s.user.id,
    usedSeconds: s.usedSeconds ?? 0,
    endReason: s.endReason ?? 'client',
    // An ended session always has endedAt; its last sign of life stands in otherwise.
    at: (s.endedAt ?? s.lastSeenAt).toISOString(),
  };
}
export type TranscriptData = z.input<typeof transcriptSchema>;

/** The first instant of the UTC calendar month of `d`. */
export const periodOf = (d: Date): Date => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
export const nextPeriod = (d: Date): Date => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1));

export interface Quota {
  plan: string;
  periodStart: Date;
  periodEnd: Date;
  limitSeconds: number;
  usedSeconds: number;
  remainingSeconds: number;
  activeSession: LiveSession | null;
}

export interface SessionView {
  session: LiveSession;
  /** The caller's quota at the same instant. */
  quota: Quota;
  /** Seconds of this session so far (or metered, once ended). */
  usedSeconds: number;
  /** Seconds left in the whole monthly quota. */
  remainingSeconds: number;
  warning: string | null;
}

/**
 * Live sessions metered by the server's clock. Heartbeats only record a sign of life;
 * seconds are counted once, when a session ends (by the client, the sweeper, the quota or
 * the length limit), by a conditional update that exactly one of any racing enders wins.
 *
 * The one API of both doors, GraphQL and the realtime socket: `sendText`, `sendAudio` and
 * `end` (with a reason from the closed set LiveEndReason), each validating its input the
 * same way whichever door it came through. Turns are run by the LiveEngine it owns.
 */
/** The sweeper: a recurring job (src/jobs/), run by one process at a time. */
export const LIVE_SWEEP_JOB = 'live.sweep';
/** Indexes a live session's transcript for search, off the turn (one job per transcript while it waits). */
export const TRANSCRIPT_INDEX_JOB = 'live.index-transcript';

export class LiveService {
  /** Runs turns: the reply, its speech, the transcript. */
  private readonly engine: LiveEngine;

  constructor(
    private readonly config: Config,
    private readonly search: SearchService,
    private readonly events: EventBus,
    private readonly metrics: Metrics,
    ai: ProviderRegistry,
    private readonly clock: Clock,
    private readonly jobs: JobQueue,
    /** Each turn is a provider's turn: it counts against the user's `chat` limit, as a chat turn does. */
    private readonly rateLimits: RateLimits,
  ) {
    this.engine = new LiveEngine(config, ai, search, this, events, clock);
    jobs.recurring(LIVE_SWEEP_JOB, { everyMs: config.live.sweepIntervalMs }, { run: async (_p, job) => void (await this.sweep(job.em)) });
    jobs.register<{ transcriptId: string }>(TRANSCRIPT_INDEX_JOB, { run: (p, job) => this.indexTranscriptJob(job.em, p.transcriptId) });
  }

  /**
   * sendLiveText: a turn of the caller's active session, answered before this returns.
   * @throws not_found, conflict (ended), validation_error, upstream_unavailable, INSUFFICIENT_API_KEY_SCOPE (live:write)
   */
  async sendText(ctx: RequestContext, data: z.input<typeof sendTextSchema>, listener?: TurnListener): Promise<{ session: LiveSession } & TurnResult> {
    // The session first: someone else's session is not_found whatever the text.
    const session = await this.bind(ctx, data.sessionId);
    const input = parseInput(sendTextSchema, data);
    await this.touch(ctx.em, session.id);
    const result = await this.runTurn(ctx, session, input.text, listener);
    return { session: await this.reload(ctx.em, session), ...result };
  }

  /**
   * sendLiveAudio and the socket's audio-input: a chunk of the turn's audio (or its text); the
   * final one is answered before this returns.
   * @throws not_found, conflict (ended), validation_error, upstream_unavailable, INSUFFICIENT_API_KEY_SCOPE (live:write)
   */
  async sendAudio(ctx: RequestContext, data: z.input<typeof sendAudioSchema>, listener?: TurnListener): Promise<{ session: LiveSession; turn: TurnResult | null }> {
    const session = await this.bind(ctx, data.sessionId);
    const input = parseInput(sendAudioSchema, data);
    await this.touch(ctx.em, session.id);
    const words = await this.engine.acceptAudio(session, { audio: input.audio ?? undefined, text: input.text ?? undefined, final: input.final ?? false });
    const turn = words ? await this.runTurn(ctx, session, words, listener) : null;
    return { session: await this.reload(ctx.em, session), turn };
  }

  private async runTurn(ctx: RequestContext, session: LiveSession, text: string, listener?: TurnListener): Promise<TurnResult> {
    await this.rateLimits.consume('chat', session.user.id);
    return this.engine.turn(ctx, session, text, listener?.emit ?? (() => undefined), listener?.stopped, listener?.cancelled);
  }

  /** Releases the voice (with the app). */
  close(): void {
    this.engine.close();
  }

  /**
   * A session's lifecycle event (started, quota warning, ended): on the session's channel
   * (liveSessionEvents) and on its user's (myLiveSessionEvents, which a client opens before
   * it starts a session, so LiveSessionStarted reaches it too).
   */
  private lifecycle(e: LiveEvent): void {
    this.events.publish('LIVE_EVENT', e);
    this.events.publish('USER_LIVE_EVENT', e);
  }

  private limitFor(plan: string): number {
    const plans = this.config.live.plans;
    return plans[plan] ?? plans.free ?? 0;
  }

  private async settledUsage(em: EntityManager, userId: string, period: Date): Promise<number> {
    const row = await em.findOne(LiveUsage, { user: userId, periodStart: period });
    return row?.usedSeconds ?? 0;
  }

  private quotaExceeded(now: Date): AppError {
    const retry = Math.max(1, Math.ceil((nextPeriod(now).getTime() - now.getTime()) / 1000));
    return new AppError('live_quota_exceeded', 'Your live minutes for this month are used up', { retry_after_seconds: retry }, { 'retry-after': String(retry) });
  }

  /**
   * The caller's plan, this month's entitlement and use, and the active session.
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE (live:read)
   */
  async quota(ctx: RequestContext): Promise<Quota> {
    const p = authorize(ctx, 'live:read', 'quota:read');
    return this.quotaOf(ctx.em, p.userId, new Date(this.clock.now()));
  }

  private async quotaOf(em: EntityManager, userId: string, now: Date): Promise<Quota> {
    const user = await em.findOneOrFail(User, { id: userId });
    const period = periodOf(now);
    const limit = this.limitFor(user.plan);
    const settled = await this.settledUsage(em, userId, period);
    const active = await em.findOne(LiveSession, { activeUserId: userId });
    const running = active && active.periodStart.getTime() === period.getTime() ? Math.floor((now.getTime() - active.startedAt.getTime()) / 1000) : 0;
    const used = Math.min(limit, settled + Math.max(0, running));
    return { plan: user.plan, periodStart: period, periodEnd: nextPeriod(now), limitSeconds: limit, usedSeconds: used, remainingSeconds: Math.max(0, limit - used), activeSession: active };
  }

  /**
   * Starts a session. One active session per user; too little quota left answers 429.
   * @throws live_quota_exceeded (429, Retry-After), conflict (409, active_session_id), validation_error
   */
  async start(ctx: RequestContext, data: StartData): Promise<SessionView> {
    const p = authorize(ctx, 'live:write');
    const input = parseInput(startSchema, data);
    const now = new Date(this.clock.now());
    await this.sweep(ctx.em.fork(), { userId: p.userId });
    const q = await this.quotaOf(ctx.em, p.userId, now);
    if (q.activeSession) throw new AppError('conflict', 'You already have an active live session', { active_session_id: q.activeSession.id });
    if (q.remainingSeconds < Math.max(1, this.config.live.minStartSeconds)) throw this.quotaExceeded(now);
    const session = ctx.em.create(LiveSession, {
      user: ctx.em.getReference(User, p.userId),
      activeUserId: p.userId,
      sessionType: input.sessionType,
      language: input.language ?? null,
      avatarId: input.avatarId ?? null,
      startedAt: now,
      lastSeenAt: now,
      periodStart: periodOf(now),
    });
    try {
      await ctx.em.flush();
    } catch (e) {
      if (!(e instanceof UniqueConstraintViolationException)) throw e;
      const active = await ctx.em.fork().findOne(LiveSession, { activeUserId: p.userId });
      throw new AppError('conflict', 'You already have an active live session', { active_session_id: active?.id ?? null });
    }
    this.lifecycle({ type: 'session_started', sessionId: session.id, userId: p.userId, remainingSeconds: q.remainingSeconds, at: now.toISOString() });
    return { session, quota: { ...q, activeSession: session }, usedSeconds: 0, remainingSeconds: q.remainingSeconds, warning: null };
  }

  private async owned(ctx: RequestContext, id: string, need: 'live:read' | 'live:write'): Promise<LiveSession> {
    const p = authorize(ctx, need);
    const s = isId(id) ? await ctx.em.findOne(LiveSession, { id, user: p.userId }) : null;
    if (!s) throw AppError.notFound('Live session');
    return s;
  }

  /**
   * Records a sign of life and reports the meter. When the quota is used up the server ends
   * the session itself and answers live_quota_exceeded.
   * @throws not_found, conflict (already ended), live_quota_exceeded
   */
  async heartbeat(ctx: RequestContext, data: z.input<typeof heartbeatSchema>): Promise<SessionView> {
    const { sessionId } = parseInput(heartbeatSchema, data);
    const s = await this.owned(ctx, sessionId, 'live:write');
    const now = new Date(this.clock.now());
    // Ended because the month's minutes ran out (by the sweeper, usually before this heartbeat):
    // the documented quota error, with when they come back, rather than a bare conflict.
    if (s.status === 'ended' && s.endReason === 'quota_exceeded') throw this.quotaExceeded(now);
    if (s.status === 'ended') throw new AppError('conflict', `This session has ended (${s.endReason})`, { end_reason: s.endReason });
    await ctx.em.nativeUpdate(LiveSession, { id: s.id, status: 'active' }, { lastSeenAt: now });
    const q = await this.quotaOf(ctx.em, s.user.id, now);
    const elapsed = Math.floor((now.getTime() - s.startedAt.getTime()) / 1000);
    if (q.remainingSeconds <= 0) {
      await this.settle(ctx.em, s.id, 'quota_exceeded', now);
      throw this.quotaExceeded(now);
    }
    if (elapsed >= this.config.live.maxSessionSeconds) {
      const ended = await this.settle(ctx.em, s.id, 'max_duration', now);
      return this.view(ctx.em, ended, now);
    }
    const fresh = await ctx.em.findOneOrFail(LiveSession, { id: s.id }, { refresh: true });
    const warning = q.remainingSeconds < 60 ? `Less than a minute of live time left (${q.remainingSeconds} s)` : null;
    if (warning) this.lifecycle({ type: 'quota_warning', sessionId: s.id, userId: s.user.id, remainingSeconds: q.remainingSeconds, message: warning, at: now.toISOString() });
    return { session: fresh, quota: q, usedSeconds: elapsed, remainingSeconds: q.remainingSeconds, warning };
  }

  /**
   * Ends a session; ending an ended session answers its summary again.
   * @throws not_found, validation_error
   */
  async end(ctx: RequestContext, data: z.input<typeof sessionRefSchema>): Promise<SessionView> {
    const { sessionId, reason } = parseInput(sessionRefSchema, data);
    const s = await this.owned(ctx, sessionId, 'live:write');
    const now = new Date(this.clock.now());
    const ended = s.status === 'ended' ? s : await this.settle(ctx.em, s.id, reason ?? 'client', now);
    return this.view(ctx.em, ended, now);
  }

  /**
   * An active session of the caller's, for the realtime socket to bind to.
   * @throws not_found, conflict (ended)
   */
  async bind(ctx: RequestContext, sessionId: string): Promise<LiveSession> {
    const s = await this.owned(ctx, sessionId, 'live:write');
    if (s.status !== 'active') throw new AppError('conflict', `This session has ended (${s.endReason})`, { end_reason: s.endReason });
    return s;
  }

  /** The session as stored now (after a sign of life written elsewhere). */
  reload(em: EntityManager, session: LiveSession): Promise<LiveSession> {
    return em.findOneOrFail(LiveSession, { id: session.id }, { refresh: true });
  }

  /** A sign of life from the socket. */
  async touch(em: EntityManager, sessionId: string): Promise<void> {
    await em.fork().nativeUpdate(LiveSession, { id: sessionId, status: 'active' }, { lastSeenAt: new Date(this.clock.now()) });
  }

  /** The state of a session now, as heartbeats and ends report it. */
  summary(em: EntityManager, s: LiveSession): Promise<SessionView> {
    return this.view(em, s, new Date(this.clock.now()));
  }

  /**
   * Appends a turn to the session's transcript as it happens (one transcript per socket
   * session), so a dropped connection loses nothing said. Its search entry is rewritten by a
   * job enqueued in the same transaction, off the turn: turns in a row while it waits make one job.
   */
  async appendTurn(em: EntityManager, session: LiveSession, turn: TranscriptTurn): Promise<LiveTranscript> {
    const saved = await em.fork().transactional(async (tx) => {
      // One turn at a time per session (PostgreSQL locks the session's row; SQLite runs one write
      // transaction at a time): turns sent at once each read the transcript, and the last write
      // kept only its own turns, or each made a transcript of its own for the session.
      if (this.config.db.driver === 'postgresql') await tx.findOne(LiveSession, { id: session.id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      let t = await tx.findOne(LiveTranscript, { sessionId: session.id }, { refresh: true });
      const now = new Date(turn.timestamp);
      if (!t) {
        t = tx.create(LiveTranscript, { user: tx.getReference(User, session.user.id), sessionId: session.id, sessionStartedAt: session.startedAt, sessionEndedAt: now, turns: [] });
      }
      t.turns = withinTranscriptLimits([...t.turns, turn]);
      t.sessionEndedAt = now;
      await this.jobs.enqueue(tx, TRANSCRIPT_INDEX_JOB, { transcriptId: t.id }, { key: `${TRANSCRIPT_INDEX_JOB}:${t.id}`, ref: t.id });
      return t;
    });
    this.jobs.wake();
    return saved;
  }

  /** The transcript's entry as it is now (idempotent: the entry is replaced; a transcript gone meanwhile has none). */
  private async indexTranscriptJob(em: EntityManager, transcriptId: string): Promise<void> {
    await em.transactional(async (tx) => {
      const t = await tx.findOne(LiveTranscript, { id: transcriptId });
      if (t) await this.indexTranscript(tx, t.user.id, t);
    });
  }

  /** A transcript's search entry: its turns as "You: …" / "AI: …" lines (nothing to index for no turns). */
  private async indexTranscript(tx: EntityManager, userId: string, t: LiveTranscript): Promise<void> {
    const entry = transcriptEntry(userId, t);
    if (entry) await this.search.index(tx, entry);
  }

  private async view(em: EntityManager, s: LiveSession, now: Date): Promise<SessionView> {
    const q = await this.quotaOf(em, s.user.id, now);
    const used = s.usedSeconds ?? Math.floor((now.getTime() - s.startedAt.getTime()) / 1000);
    return { session: s, quota: q, usedSeconds: used, remainingSeconds: q.remainingSeconds, warning: null };
  }

  /**
   * Ends a session once: metered in whole seconds from its start to `endAt`, within what is
   * left of the quota and the longest session allowed. Of racing enders exactly one writes;
   * the others get the session as that one left it.
   */
  async settle(em: EntityManager, sessionId: string, reason: LiveEndReason, endAt: Date): Promise<LiveSession> {
    let won = false;
    const session = await em.fork().transactional(async (tx) => {
      const s = await tx.findOneOrFail(LiveSession, { id: sessionId });
      if (s.status === 'ended') return s;
      const user = await tx.findOneOrFail(User, { id: s.user.id });
      const left = Math.max(0, this.limitFor(user.plan) - (await this.settledUsage(tx, s.user.id, s.periodStart)));
      // Never metered to before its last sign of life: a socket that closes knows only its own frames,
      // while heartbeats and turns through REST or GraphQL moved lastSeenAt on.
      if (s.lastSeenAt && s.lastSeenAt.getTime() > endAt.getTime()) endAt = s.lastSeenAt;
      const raw = Math.max(0, Math.floor((endAt.getTime() - s.startedAt.getTime()) / 1000));
      const metered = Math.min(raw, left, this.config.live.maxSessionSeconds);
      const claimed = await tx.nativeUpdate(
        LiveSession,
        { id: s.id, status: 'active' },
        // Cut short by the quota or the length limit, the session ends where the meter stopped.
        { status: 'ended', endedAt: metered < raw ? new Date(s.startedAt.getTime() + metered * 1000) : endAt, endReason: reason, usedSeconds: metered, activeUserId: null },
      );
      if (claimed !== 1) return tx.findOneOrFail(LiveSession, { id: s.id }, { refresh: true });
      won = true;
      const conn = tx.getConnection();
      const added: unknown = await conn.execute('update live_usage set used_seconds = used_seconds + ? where user_id = ? and period_start = ?', [metered, s.user.id, this.config.db.driver === 'sqlite' ? s.periodStart.getTime() : s.periodStart], 'run', tx.getTransactionContext());
      const changed = (added as { affectedRows?: number; changes?: number }).affectedRows ?? (added as { changes?: number }).changes ?? 0;
      if (!changed) {
        tx.create(LiveUsage, { user: tx.getReference(User, s.user.id), periodStart: s.periodStart, usedSeconds: metered });
        await tx.flush();
      }
      return tx.findOneOrFail(LiveSession, { id: s.id }, { refresh: true });
    });
    // Announced after commit, by the one ender that wrote.
    if (won) {
      this.metrics.liveMeteredSeconds.inc(session.usedSeconds ?? 0);
      // The label comes from the closed set only, whatever the row holds.
      const label = LiveEndReason.has(session.endReason) ? session.endReason : reason;
      this.metrics.liveSessionsEnded.inc({ reason: label });
      this.lifecycle({ ...endedEvent(session), endReason: session.endReason ?? reason, at: new Date(this.clock.now()).toISOString() });
    }
    return session;
  }

  /**
   * For the session-events subscription: the caller's own session, or not_found.
   * @throws not_found, INSUFFICIENT_API_KEY_SCOPE (live:read)
   */
  async watch(ctx: RequestContext, sessionId: string): Promise<LiveSession> {
    return this.owned(ctx, sessionId, 'live:read');
  }

  /**
   * Ends what must end: sessions silent past the idle timeout (metered to their last sign of
   * life), past the longest session, or past the quota. Safe to run from several places at once.
   */
  async sweep(em: EntityManager, only: { userId?: string } = {}): Promise<number> {
    const now = this.clock.now();
    // One statement reads every active session with what the decision needs; only those that
    // must end are touched, so a sweep over thousands of live sessions stays cheap.
    const rows = await (em as SqlEntityManager).execute<{ id: string; started_at: number | string | Date; last_seen_at: number | string | Date; plan: string; used_seconds: number | null }[]>(
      'select s.id, s.started_at, s.last_seen_at, u.plan, lu.used_seconds from live_sessions as s' +
        ' inner join users as u on u.id = s.user_id' +
        ' left join live_usage as lu on lu.user_id = s.user_id and lu.period_start = s.period_start' +
        ` where s.status = 'active'${only.userId ? ' and s.user_id = ?' : ''}`,
      only.userId ? [only.userId] : [],
    );
    let ended = 0;
    for (const r of rows) {
      const startedAt = toDate(r.started_at);
      const lastSeenAt = toDate(r.last_seen_at);
      const elapsed = Math.floor((now - startedAt.getTime()) / 1000);
      if (now - lastSeenAt.getTime() > this.config.live.idleTimeoutSeconds * 1000) {
        await this.settle(em, r.id, 'idle', lastSeenAt);
      } else if (elapsed >= this.config.live.maxSessionSeconds) {
        await this.settle(em, r.id, 'max_duration', new Date(startedAt.getTime() + this.config.live.maxSessionSeconds * 1000));
      } else if (Number(r.used_seconds ?? 0) + elapsed >= this.limitFor(r.plan)) {
        await this.settle(em, r.id, 'quota_exceeded', new Date(now));
      } else continue;
      ended++;
    }
    return ended;
  }

  /**
   * Sets the name the AI calls the user by.
   * @throws validation_error, INSUFFICIENT_API_KEY_SCOPE (live:write)
   */
  async setNickname(ctx: RequestContext, data: z.input<typeof nicknameSchema>): Promise<User> {
    const p = authorize(ctx, 'live:write');
    const { nickname } = parseInput(nicknameSchema, data);
    const user = await ctx.em.findOneOrFail(User, { id: p.userId });
    user.nickname = nickname;
    await ctx.em.flush();
    usersChanged(this.events, [user.id]);
    return user;
  }

  /**
   * Stores a transcript (bearer only, as documented): turns sorted by time, inside the
   * session window, and indexed for search in the same transaction.
   * @throws forbidden (API key), validation_error, not_found (session of someone else)
   */
  async saveTranscript(ctx: RequestContext, data: TranscriptData): Promise<LiveTranscript> {
    const { userId } = requireUser(ctx);
    const input = parseInput(transcriptSchema, data);
    if (input.sessionId) await this.owned(ctx, input.sessionId, 'live:write');
    const turns: TranscriptTurn[] = [...input.transcripts]
      .map((t) => ({ role: t.role, text: t.text, timestamp: t.timestamp.toISOString() }))
      .sort((a, b) => a.timestamp.localeCompare(b.timestamp));
    // Indexed for search by a job enqueued with it, off the request: a large transcript's
    // full-text entry (SQLite writes on the serving thread) held the event loop for seconds.
    const saved = await ctx.em.transactional(async (tx) => {
      const t = tx.create(LiveTranscript, { user: tx.getReference(User, userId), sessionId: input.sessionId ?? null, sessionStartedAt: input.sessionStartedAt, sessionEndedAt: input.sessionEndedAt, turns });
      await tx.flush();
      await this.jobs.enqueue(tx, TRANSCRIPT_INDEX_JOB, { transcriptId: t.id }, { key: `${TRANSCRIPT_INDEX_JOB}:${t.id}`, ref: t.id });
      return t;
    });
    this.jobs.wake();
    return saved;
  }

  /**
   * The caller's transcripts, newest first (REST's offset pages).
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE (live:read), validation_error
   */
  async transcripts(ctx: RequestContext, args: PageArgs = {}): Promise<Page<LiveTranscript>> {
    const p = authorize(ctx, 'live:read');
    const { limit, offset } = parseInput(pageSchema, args);
    const [items, total] = await ctx.em.findAndCount(LiveTranscript, { user: p.userId }, { orderBy: { sessionStartedAt: 'desc', id: 'desc' }, limit, offset });
    return { items, total };
  }

  /**
   * The caller's transcripts as a cursor connection, in the same order as `transcripts`.
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE (live:read), validation_error (a cursor)
   */
  async transcriptConnection(ctx: RequestContext, request: PageRequest): Promise<ConnectionPage<LiveTranscript>> {
    const p = authorize(ctx, 'live:read');
    return findConnection(ctx.em, LiveTranscript, { user: p.userId }, request, { sessionStartedAt: 'desc', id: 'desc' });
  }

  /**
   * @throws not_found (also someone else's), INSUFFICIENT_API_KEY_SCOPE (live:read)
   */
  async transcript(ctx: RequestContext, id: string): Promise<LiveTranscript> {
    const p = authorize(ctx, 'live:read');
    const t = isId(id) ? await ctx.em.findOne(LiveTranscript, { id, user: p.userId }) : null;
    if (!t) throw AppError.notFound('Transcript');
    return t;
  }

  /**
   * The caller's transcripts among `ids` (for `node`): one statement, others' simply absent.
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE (live:read)
   */
  async transcriptsByIds(ctx: RequestContext, ids: readonly string[]): Promise<LiveTranscript[]> {
    const p = authorize(ctx, 'live:read');
    const wanted = ids.filter(isId);
    return wanted.length ? ctx.em.find(LiveTranscript, { id: { $in: wanted }, user: p.userId }) : [];
  }

  /**
   * One of the caller's sessions.
   * @throws not_found (also someone else's), INSUFFICIENT_API_KEY_SCOPE (live:read)
   */
  session(ctx: RequestContext, id: string): Promise<LiveSession> {
    return this.owned(ctx, id, 'live:read');
  }

  /**
   * The caller's sessions among `ids` (for `node`): one statement, others' simply absent.
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE (live:read)
   */
  async sessionsByIds(ctx: RequestContext, ids: readonly string[]): Promise<LiveSession[]> {
    const p = authorize(ctx, 'live:read');
    const wanted = ids.filter(isId);
    return wanted.length ? ctx.em.find(LiveSession, { id: { $in: wanted }, user: p.userId }) : [];
  }
}

/**
 * For the learning-time figures (src/modules/learning/): a select of `(user_id, start_ms, end_ms)`,
 * one row per live session of the users in `learning_users(user_id)` overlapping
 * `learning_bounds(lo_at, hi_at)`: from its start to its end (to its last sign of life while active).
 */
export const liveSessionIntervalsSql = (driver: DbDriver): string =>
  `select user_id, ${epochMs(driver, 'started_at')} as start_ms, ${epochMs(driver, 'coalesce(ended_at, last_seen_at)')} as end_ms from live_sessions` +
  ' where user_id in (select user_id from learning_users) and started_at < (select hi_at from learning_bounds) and coalesce(ended_at, last_seen_at) > (select lo_at from learning_bounds)';
