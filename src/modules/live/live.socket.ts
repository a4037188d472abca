import { randomUUID } from 'node:crypto';
import type { WebSocket } from '@fastify/websocket';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { createAuthenticatedContext, forkContext, type ContextRoot, type RequestContext } from '../../common/context.js';
import { AppError, INTERNAL_MESSAGE } from '../../common/errors.js';
import { authorize } from '../../common/access.js';
import { closeReasonOf, CREDENTIALS_ENDED, watchCredentials, type CredentialsEnd } from '../../common/credential-watch.js';
import { asKnownError } from '../../common/unavailable.js';
import { parseInput, str } from '../../common/validation.js';
import { toEnvelope } from '../../rest/envelope.js';
import { credentialsOf } from '../../rest/router.js';
import { LiveSession } from './live.entities.js';
import type { SessionView } from './live.service.js';
import { LiveSessionType, type LiveEndReason } from './live.enums.js';
import type { ServiceMap } from '../manifest.js';

/** The frame types; anything else is refused (and never used as a label). */
const FRAME_TYPES = ['start-session', 'audio-input', 'end-session'] as const;
const frameSchema = z.object({ type: z.enum(FRAME_TYPES, { error: 'must be start-session, audio-input or end-session' }), data: z.record(z.string(), z.unknown()).optional() });
const startFrame = z.union([z.object({ session_id: str().uuid('must be an id') }), z.object({ session_type: LiveSessionType.schema, language: str().max(16).optional() })]);

/**
 * The documented realtime socket at /api/live/ws: JSON frames {type, data}. One session per
 * socket, started here or over REST and bound with its id. Each final `audio-input` is a
 * user turn (its text, or its audio through speech-to-text), run by the LiveEngine that the
 * GraphQL door shares: transcript, spoken reply in `audio-response` chunks, avatar
 * expressions. Any frame is a sign of life; the quota and the length limit are enforced on the socket
 * itself; a closed socket ends its session, metered to the last sign of life (its own frames,
 * and heartbeats or turns through REST and GraphQL). A session ended elsewhere (ended through
 * REST or GraphQL, swept as idle, by any gateway process) is announced on the socket with
 * `session-ended`, which then closes, as when it ends here.
 */
export function registerLiveSocket(app: FastifyInstance, root: ContextRoot, services: Pick<ServiceMap, 'live'>): { drain(): Promise<void>; size(): number } {
  const open = new Set<LiveConnection>();
  app.get('/api/live/ws', { websocket: true }, (socket: WebSocket, req: FastifyRequest) => {
    const conn = new LiveConnection(socket, req, root, services);
    open.add(conn);
    socket.on('close', () => void conn.settled.finally(() => open.delete(conn)));
    void conn.open();
  });
  // For shutdown: sockets are closed first; their sessions are then settled before the database closes.
  return { drain: async () => void (await Promise.all([...open].map((c) => c.settled))), size: () => open.size };
}

class LiveConnection {
  private ctx: RequestContext | null = null;
  private session: LiveSession | null = null;
  private lastActivity: Date;
  /** Cancels the quota/length deadline (armed on the app's clock). */
  private deadline: (() => void) | null = null;
  private turns: Promise<void> = Promise.resolve();
  /** Frames received and not yet handled: a turn can take a while, and a flood must not queue without end. */
  private pending = 0;
  private closed = false;
  /** The socket's credentials ended: no frame is taken any more, and a turn under way stops. */
  private ending = false;
  /** Stops watching the socket's credentials (expiry, revocation). */
  private stopWatch: (() => void) | null = null;
  /** Stops watching the session's events (an end made elsewhere). */
  private stopSessionWatch: (() => void) | null = null;
  private markSettled!: () => void;
  /** Resolves once the socket closed and its session was settled. */
  readonly settled = new Promise<void>((resolve) => (this.markSettled = resolve));

  constructor(
    private readonly socket: WebSocket,
    private readonly req: FastifyRequest,
    private readonly root: ContextRoot,
    private readonly services: Pick<ServiceMap, 'live'>,
  ) {
    this.lastActivity = new Date(root.clock.now());
  }



  async open(): Promise<void> {
    // Frames that arrive while authentication runs wait in line behind it.
    const ready = this.authenticate();
    this.socket.on('message', (raw: Buffer) => {
      if (this.pending >= this.root.config.limits.liveMaxPendingFrames) {
        this.fail(new AppError('rate_limited', `Too many frames waiting (${this.pending}); this one was dropped. Send more slowly`));
        return;
      }
      this.pending++;
      this.turns = this.turns
        .then(() => ready)
        .then(() => this.onFrame(raw))
        .catch((e: unknown) => this.fail(e))
        .finally(() => this.pending--);
    });
    this.socket.on('close', () => {
      this.closed = true;
      this.stopWatch?.();
      this.stopSessionWatch?.();
      void this.turns
        .catch(() => undefined)
        .then(() => this.finish('disconnected', this.lastActivity))
        .catch((err: unknown) => this.root.log.error({ err }, 'settling a live session after its socket closed failed'))
        .finally(() => this.markSettled());
    });
    await ready.catch(() => undefined);
  }

  private async authenticate(): Promise<void> {
    const creds = credentialsOf(this.req);
    const token = (this.req.query as { token?: string } | undefined)?.token;
    if (!creds.authorization && token) creds.authorization = `Bearer ${token}`;
    const ctx = await createAuthenticatedContext(this.root, { requestId: randomUUID(), transport: 'internal', log: this.root.log, client: { ip: this.req.ip, userAgent: this.req.headers['user-agent'] ?? null } }, creds);
    try {
      authorize(ctx, 'live:write');
    } catch (e) {
      this.send('error', toEnvelope(e as AppError).detail);
      this.socket.close(4403, (e as AppError).code);
      throw e;
    }
    this.ctx = ctx;
    if (ctx.principal && !this.closed) {
      const watch = watchCredentials(this.root, ctx.principal);
      this.stopWatch = watch.stop;
      watch.onEnd((end) => void this.credentialsEnded(end));
      // Frames wait until revocations reach the watch and the credentials were checked again: one
      // revoked just after the check above, its event published to nobody, ends the socket first.
      await watch.ready;
    }
  }

  /**
   * The socket's credentials ended while it was open. Revoked: the session is settled now
   * (reason `revoked`), then the socket closes. Expired: the socket closes and the session
   * stays active, so the client reconnects with a fresh token and binds to it again
   * (`start-session` with its `session_id`) before the idle timeout ends it. Either way an
   * `error` frame (`invalid_token`, with the reason) comes first, then close code 4401.
   */
  private async credentialsEnded(end: CredentialsEnd): Promise<void> {
    this.ending = true;
    this.root.log.info({ userId: this.ctx?.principal?.userId, reason: end.reason }, 'live socket closed: its credentials ended');
    try {
      if (end.kind === 'revoked') await this.finish('revoked', new Date(this.root.clock.now()));
      else {
        this.deadline?.();
        this.session = null;
      }
    } catch (err) {
      this.root.log.error({ err }, 'settling a live session on revoked credentials failed');
    }
    this.send('error', toEnvelope(new AppError('invalid_token', end.message, { reason: end.reason })).detail);
    this.socket.close(CREDENTIALS_ENDED, closeReasonOf(end));
  }

  private send(type: string, data: unknown): void {
    if (!this.closed && this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify({ type, data }));
  }

  private fail(e: unknown): void {
    // Once the credentials ended, the error frame that says so is the last word.
    if (this.ending) return;
    const known = asKnownError(e);
    const err = known ?? new AppError('internal_error', INTERNAL_MESSAGE);
    if (!known) this.root.log.error({ err: e }, 'live socket frame failed');
    this.send('error', toEnvelope(err).detail);
  }

  private async onFrame(raw: Buffer): Promise<void> {
    if (!this.ctx || this.closed || this.ending) return;
    this.lastActivity = new Date(this.root.clock.now());
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new AppError('bad_request', 'Frames are JSON: {"type": ..., "data": {...}}');
    }
    const frame = parseInput(frameSchema, parsed);
    // A sign of life (audio-input records its own, through the service).
    if (this.session && frame.type !== 'audio-input') await this.services.live.touch(this.root.em, this.session.id);
    switch (frame.type) {
      case 'start-session':
        return this.start(frame.data ?? {});
      case 'audio-input':
        return this.audio(frame.data ?? {});
      case 'end-session':
        return this.end(frame.data ?? {});
    }
  }

  /** This frame's context: the socket's caller, with a fresh unit of work (sessions change under a long-lived socket). */
  private frameContext(): RequestContext {
    return forkContext(this.ctx!);
  }

  /**
   * end-session: through LiveService.end, as the REST and GraphQL doors, so the reason is one
   * of LiveEndReason (default client). Any other reason is refused (validation_error) and the
   * session goes on.
   */
  private async end(data: Record<string, unknown>): Promise<void> {
    const session = this.session;
    if (!session) {
      this.socket.close(1000, 'session ended');
      return;
    }
    const view = await this.services.live.end(this.frameContext(), { sessionId: session.id, reason: data.reason as LiveEndReason | undefined });
    this.deadline?.();
    this.session = null;
    const ended = view.session;
    this.send('session-ended', { reason: ended.endReason, used_seconds: ended.usedSeconds ?? 0, remaining_seconds: view.remainingSeconds });
    this.socket.close(1000, 'session ended');
  }

  private async start(data: Record<string, unknown>): Promise<void> {
    if (this.session) throw new AppError('conflict', 'This socket already carries a session', { active_session_id: this.session.id });
    const input = parseInput(startFrame, data);
    const live = this.services.live;
    const view: SessionView =
      'session_id' in input
        ? await live.summary(this.ctx!.em, await live.bind(this.ctx!, input.session_id))
        : await live.start(this.ctx!, { sessionType: input.session_type, language: input.language ?? null });
    this.session = view.session;
    this.watchSession(view.session.id);
    this.send('session-started', {
      session_id: view.session.id,
      session_type: view.session.sessionType,
      status: view.session.status,
      started_at: view.session.startedAt.toISOString(),
      used_seconds: view.usedSeconds,
      remaining_seconds: view.remainingSeconds,
      heartbeat_interval_seconds: this.root.config.live.heartbeatIntervalSeconds,
    });
    // The meter runs on the server: end the session the moment the quota or the length limit is reached.
    const untilLimit = Math.min(view.remainingSeconds, this.root.config.live.maxSessionSeconds - view.usedSeconds) * 1000;
    this.deadline = this.root.clock.at(this.root.clock.now() + Math.max(0, untilLimit), () => {
      this.turns = this.turns.then(async () => {
        const reason = view.remainingSeconds <= this.root.config.live.maxSessionSeconds - view.usedSeconds ? 'quota_exceeded' : 'max_duration';
        await this.finish(reason, new Date(this.root.clock.now()));
        this.socket.close(1000, reason);
      });
    });
  }

  /**
   * Listens for the end of this socket's session made elsewhere: through REST or GraphQL, by the
   * sweeper (idle, quota), on any process (the event bus, through Redis when configured). The
   * socket then says `session-ended` with the reason and the metered seconds, and closes, as for
   * an end made here; a later `start-session` would otherwise find the socket still holding a
   * dead session. Ends made here have already let go of the session when the event arrives, and
   * send their own frame.
   */
  private watchSession(id: string): void {
    this.stopSessionWatch?.();
    const events = this.root.events.subscribe('LIVE_EVENT', id);
    let stopped = false;
    const stop = () => {
      if (stopped) return;
      stopped = true;
      void events.return?.();
    };
    this.stopSessionWatch = stop;
    void (async () => {
      for (;;) {
        const r = await events.next();
        if (r.done || stopped) return;
        if (r.value.type !== 'session_ended') continue;
        stop();
        // In line with the frames: a turn under way finishes first.
        this.turns = this.turns.then(async () => {
          if (this.session?.id !== id) return;
          this.deadline?.();
          this.session = null;
          const em = this.root.em.fork();
          const view = await this.services.live.summary(em, await em.findOneOrFail(LiveSession, { id }));
          this.send('session-ended', { reason: view.session.endReason, used_seconds: view.session.usedSeconds ?? 0, remaining_seconds: view.remainingSeconds });
          this.socket.close(1000, 'session ended');
        }).catch((err: unknown) => this.root.log.error({ err }, 'announcing a live session ended elsewhere failed'));
        return;
      }
    })();
  }

  /** audio-input: LiveService.sendAudio, as sendLiveAudio (same validation, same errors), its turn spoken on this socket. */
  private async audio(data: Record<string, unknown>): Promise<void> {
    if (!this.session) throw new AppError('conflict', 'Start a session first: send start-session');
    const { audio, text, final } = data as { audio?: string; text?: string; final?: boolean };
    await this.services.live.sendAudio(
      this.frameContext(),
      { sessionId: this.session.id, audio, text, final },
      { emit: (type, d) => this.send(type, d), stopped: () => this.closed || this.ending, cancelled: () => this.ending },
    );
  }

  private async finish(reason: LiveEndReason, at: Date): Promise<void> {
    this.deadline?.();
    const session = this.session;
    if (!session) return;
    this.session = null;
    const ended = await this.services.live.settle(this.root.em, session.id, reason, at);
    const view = await this.services.live.summary(this.root.em.fork(), ended);
    this.send('session-ended', { reason: ended.endReason, used_seconds: ended.usedSeconds ?? 0, remaining_seconds: view.remainingSeconds });
  }
}
