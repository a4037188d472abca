import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core';
import type { Logger } from 'pino';
import { authorize } from '../../common/access.js';
import { systemClock, type Clock } from '../../common/clock.js';
import type { CookieOptions, RequestContext } from '../../common/context.js';
import { AppError } from '../../common/errors.js';
import { pageOf, type Page } from '../../common/pagination.js';
import type { Principal } from '../../common/principal.js';
import { parseInput } from '../../common/validation.js';
import type { Config } from '../../config.js';
import { connectionPage, decodeCursor, DEFAULT_PAGE, encodeCursor, pageRequest, type ConnectionArgs, type ConnectionPage, type PageRequest } from '../../graphql/relay.js';
import { User } from '../users/index.js';
import { conformingEvent, conformingEvents, GoogleClient, GoogleError, type GoogleEvent, type GoogleTokens } from './google.client.js';
import { Integration, PROVIDERS, type Provider } from './integrations.entities.js';
import {
  AuthorizationStart,
  CalendarEventStatus,
  CalendarEventView,
  callbackSchema,
  eventsRangeSchema,
  IntegrationView,
  listEventsSchema,
  scheduleStudySessionSchema,
  type CallbackData,
  type EventsRangeData,
  type ListEventsData,
  type ScheduleStudySessionData,
} from './integrations.types.js';
import { OAuthState } from './integrations.entities.js';
import { TokenCipher } from './token-cipher.js';
import type { JobQueue } from '../../jobs/queue.js';

const GOOGLE: Provider = 'google_calendar';
/** Started flows kept per user; starting more drops the oldest. */
const MAX_PENDING_FLOWS = 5;
/** Google answers at most this many events a page; the event list reads one page. */
const MAX_EVENTS = 2500;
/** Marks events this gateway created, in the event's private extended properties. */
const KIND_PROPERTY = 'xentreeKind';
const STUDY_SESSION = 'study_session';
/** The fingerprint of the request that scheduled a study session, in its private extended properties. */
const REQUEST_PROPERTY = 'xentreeRequest';

interface StoredTokens {
  accessToken: string;
  refreshToken: string | null;
}

const sha256 = (v: string): string => createHash('sha256').update(v).digest('hex');

/** Bytes as base32hex (RFC 4648 §7, lowercase, no padding): the alphabet of Google's event ids. */
function base32hex(bytes: Buffer): string {
  const ALPHABET = '0123456789abcdefghijklmnopqrstuv';
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return bits > 0 ? out + ALPHABET[(value << (5 - bits)) & 31] : out;
}
const tokensAad = (userId: string, provider: Provider): string => `integration:${userId}:${provider}`;
const stateAad = (stateHash: string): string => `oauth-state:${stateHash}`;
const revocationAad = (id: string): string => `revocation:${id}`;

/** Revokes a grant at Google by one of its tokens; a token Google refuses or no longer knows is revoked already. Google failing throws. */
async function revokeAt(google: GoogleClient, token: string): Promise<void> {
  try {
    await google.revoke(token);
  } catch (e) {
    if (e instanceof GoogleError && (e.kind === 'refused' || e.kind === 'invalid_grant')) return;
    throw e;
  }
}
/**
 * The browser-binding cookie of one flow, named after its state's hash so that flows
 * started side by side (several tabs) each keep their own.
 */
export const bindingCookieName = (stateHash: string): string => `xentree_oauth_${stateHash.slice(0, 16)}`;
const sameHash = (a: string, b: string): boolean => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** A failed OAuth callback: `reason` is what the redirect to the return URL carries as `error`. */
const oauthFailure = (reason: string, message: string): AppError => new AppError('bad_request', message, { reason });

const needsReconnection = (): AppError =>
  new AppError('conflict', 'Google Calendar must be connected again: Google no longer accepts this connection (revoked or expired)', {
    reason: 'needs_reconnection',
    provider: GOOGLE,
  });

const notConnected = (): AppError => AppError.notFound('Google Calendar connection');

/**
 * The id of a user's integration with a provider: a name-based UUID (RFC 9562 version 5) of
 * the user and the provider, so it is the same whether or not a connection row exists, and
 * across reconnections (a normalized client cache keeps one object per integration).
 */
export function integrationId(userId: string, provider: Provider): string {
  const NAMESPACE = Buffer.from('6f1c1b2e8a9d4f0c9b7e5d3a2c1b0a99', 'hex');
  const hash = createHash('sha1').update(NAMESPACE).update(`integration:${userId}:${provider}`).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const h = hash.subarray(0, 16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * Google's event ids: base32hex (a-v, 0-9), 5 to 1024 characters; a recurring event's
 * occurrence adds `_` and its start. Node lookups ask Google only for ids of this shape.
 */
const GOOGLE_EVENT_ID = /^[a-v0-9]{5,1024}(_[0-9]{8}(T[0-9]{6}Z)?)?$/;

/** Where an event sits in the list's order: its start instant (all-day: the day at 00:00 UTC), then its id. */
const eventKey = (e: CalendarEventView): [string, string] => [e.start ? e.start.toISOString() : `${e.startDate ?? ''}T00:00:00.000Z`, e.id];
const compareKeys = (a: [string, string], b: [string, string]): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0);

/**
 * Integrations: a user's Google Calendar connected through the OAuth 2.0 authorization
 * code flow (PKCE S256, a single-use state bound to the user, offline access), its tokens
 * sealed at rest and refreshed before they expire, and the calendar used for upcoming
 * events and study sessions.
 */
/** Where a study session's module is described: the XEL course, given by the composition root. */
export interface StudyCatalog {
  module(id: string): { id: string; title: string; description: string; level: string; skill: string; estimatedMinutes: number } | null | undefined;
}

/** What the background refresh runs on (src/jobs/); absent in scripts that only re-encrypt. */
export interface IntegrationsBackground {
  jobs: JobQueue;
  log: Logger;
  clock: Clock;
}

/** Looks for access tokens about to expire and enqueues their refresh: a recurring job, one process at a time. */
export const REFRESH_SCAN_JOB = 'integrations.refresh-scan';
/** Refreshes one connection's access token ahead of its expiry (one job per connection while it waits). */
export const REFRESH_JOB = 'integrations.refresh';
/** Revokes a grant at Google that could not be revoked when asked (Google unreachable), retried with backoff. */
export const REVOKE_JOB = 'integrations.revoke';

/** A token to revoke, sealed (the job table holds no token in the clear), associated data `revocation:<id>`. */
interface RevokePayload {
  id: string;
  keyId: string;
  ciphertext: string;
}

/** Where the background work of a job logs and writes: what the refresh needs of a request context. */
type Worker = Pick<RequestContext, 'em' | 'log'>;
/** A connection's tokens as this process holds them, and the ciphertext they were stored as (what a later write is conditional on). */
interface Held {
  tokens: StoredTokens;
  ciphertext: string | null;
}

export class IntegrationsService {
  private readonly google: GoogleClient | null;
  private readonly cipher: TokenCipher;
  /** One refresh at a time per connection in this process; concurrent callers share it. */
  private readonly refreshing = new Map<string, Promise<Held>>();

  constructor(
    private readonly config: Config,
    private readonly course: StudyCatalog | null = null,
    /** OAuth state and token expiry are reckoned on it. */
    private readonly clock: Clock = systemClock,
    private readonly background: IntegrationsBackground | null = null,
  ) {
    this.google = config.integrations.google ? new GoogleClient(config.integrations.google, clock) : null;
    this.cipher = new TokenCipher(config.integrations.encryptionKeys);
    if (background && this.google) {
      const everyMs = config.integrations.refreshScanSeconds * 1000;
      background.jobs.recurring(REFRESH_SCAN_JOB, { everyMs }, { run: async (_p, job) => void (await this.enqueueDueRefreshes(job.em)) });
      background.jobs.register<{ integrationId: string }>(REFRESH_JOB, { run: (p, job) => this.refreshAhead({ em: job.em, log: background.log }, p.integrationId) });
      background.jobs.register<RevokePayload>(REVOKE_JOB, { run: (p) => this.revokeDeferred(p) });
    }
  }

  /**
   * How far ahead the background refresh looks: the margin a calendar call refreshes within,
   * plus one scan period, so a token is refreshed by a job before any request would have to.
   */
  private aheadMs(): number {
    return (this.config.integrations.refreshMarginSeconds + this.config.integrations.refreshScanSeconds) * 1000;
  }

  /**
   * The scan: a refresh job for every connection whose access token expires within `aheadMs`
   * (one per connection: a refresh already waiting is not added twice), and the expired
   * authorization states swept. Answers how many refreshes were enqueued.
   */
  async enqueueDueRefreshes(em: EntityManager): Promise<number> {
    const { jobs, clock } = this.background!;
    const now = clock.now();
    const due = await em.find(Integration, { provider: GOOGLE, status: 'connected', accessTokenExpiresAt: { $lte: new Date(now + this.aheadMs()) } }, { fields: ['id'] });
    await em.transactional(async (tx) => {
      for (const row of due) await jobs.enqueue(tx, REFRESH_JOB, { integrationId: row.id }, { key: `${REFRESH_JOB}:${row.id}`, ref: row.id });
      await tx.nativeDelete(OAuthState, { expiresAt: { $lte: new Date(now) } });
    });
    if (due.length) jobs.wake();
    return due.length;
  }

  /**
   * One connection's refresh ahead of expiry. Idempotent: a connection refreshed meanwhile (by a
   * calendar call or an earlier run), disconnected or needing reconnection is left as it is. A
   * refused grant marks it as needing reconnection (done, nothing to retry); Google unreachable
   * or failing throws, and the queue retries with backoff.
   */
  private async refreshAhead(worker: Worker, integrationId: string): Promise<void> {
    const google = this.google!;
    const row = await worker.em.findOne(Integration, { id: integrationId });
    if (!row || row.status !== 'connected') return;
    if (row.accessTokenExpiresAt && row.accessTokenExpiresAt.getTime() - this.background!.clock.now() > this.aheadMs()) return;
    const stored = this.openTokens(row, worker.log);
    if (!stored) return;
    try {
      await this.refresh(worker, google, row, { tokens: stored, ciphertext: row.tokenCiphertext });
    } catch (e) {
      const now = await worker.em.fork().findOne(Integration, { id: integrationId });
      if (now?.status === 'needs_reconnection') return;
      throw e;
    }
  }

  /** What to set for Google, when it is not configured. */
  private requireGoogle(): GoogleClient {
    if (this.google) return this.google;
    const missing = this.config.integrations.googleMissing;
    throw new AppError('service_unavailable', `Google Calendar is not configured on this server: set ${missing.join(', ')}`, {
      reason: 'not_configured',
      provider: GOOGLE,
      missing_configuration: [...missing],
    });
  }

  /**
   * The caller's active integrations, as documented: the connected ones (REST's default list;
   * `listAll` gives every provider with its status).
   * @throws the usual authorization errors (scope integrations:read)
   */
  async list(ctx: RequestContext): Promise<IntegrationView[]> {
    const { userId } = authorize(ctx, 'integrations:read');
    const rows = await ctx.em.find(Integration, { user: userId, status: 'connected' }, { orderBy: { provider: 'asc' } });
    return rows.map((r) => this.view(r));
  }

  /**
   * Every provider, each as the caller's integration with it: connected, needing
   * reconnection, not connected, or unavailable on this server. One entry per provider, so
   * the list changes only in place (GraphQL's `integrations`).
   * @throws the usual authorization errors (scope integrations:read)
   */
  async listAll(ctx: RequestContext): Promise<IntegrationView[]> {
    const { userId } = authorize(ctx, 'integrations:read');
    const rows = await ctx.em.find(Integration, { user: userId });
    return PROVIDERS.map((provider) => {
      const row = rows.find((r) => r.provider === provider);
      return row ? this.view(row) : this.absent(userId, provider);
    });
  }

  /**
   * The caller's integrations among `ids` (node lookups: the others are simply absent).
   * @throws the usual authorization errors (scope integrations:read)
   */
  async visible(ctx: RequestContext, ids: readonly string[]): Promise<IntegrationView[]> {
    const { userId } = authorize(ctx, 'integrations:read');
    if (!PROVIDERS.some((p) => ids.includes(integrationId(userId, p)))) return [];
    return (await this.listAll(ctx)).filter((v) => ids.includes(v.id));
  }

  /**
   * The caller's integration with a provider, for the answer of a change they just made
   * (which needed integrations:write, not integrations:read).
   * @throws the usual authorization errors (scope integrations:write)
   */
  async afterWrite(ctx: RequestContext, provider: Provider): Promise<IntegrationView> {
    const { userId } = authorize(ctx, 'integrations:write');
    const row = await ctx.em.findOne(Integration, { user: userId, provider });
    return row ? this.view(row) : this.absent(userId, provider);
  }

  private view(r: Integration): IntegrationView {
    return Object.assign(new IntegrationView(), {
      id: integrationId(r.user.id, r.provider),
      provider: r.provider,
      status: this.google ? r.status : 'unavailable',
      accountEmail: r.accountEmail,
      scopes: r.scopes,
      connectedAt: r.connectedAt,
      expiresAt: r.status === 'connected' ? r.accessTokenExpiresAt : null,
    } satisfies IntegrationView);
  }

  /** A provider the user has no connection with. */
  private absent(userId: string, provider: Provider): IntegrationView {
    return Object.assign(new IntegrationView(), {
      id: integrationId(userId, provider),
      provider,
      status: this.google ? 'not_connected' : 'unavailable',
      accountEmail: null,
      scopes: [],
      connectedAt: null,
      expiresAt: null,
    } satisfies IntegrationView);
  }

  /**
   * Starts the Google Calendar OAuth flow for the caller: a fresh PKCE verifier (sealed)
   * and a 256-bit state (stored as its hash), valid once for INTEGRATIONS_STATE_TTL_SECONDS,
   * and a 256-bit browser-binding nonce (stored as its hash) sent to the caller's browser as
   * a cookie (HttpOnly, SameSite=Lax, Path the callback's, Max-Age the state's lifetime)
   * when the call came over HTTP: the anonymous callback accepts the state only from there.
   * @throws service_unavailable (Google not configured: says what to set), authorization errors (integrations:write)
   */
  async startGoogleCalendar(ctx: RequestContext): Promise<AuthorizationStart> {
    const { userId } = authorize(ctx, 'integrations:write');
    const google = this.requireGoogle();
    const { state, verifier, challenge } = await google.newFlow();
    const stateHash = sha256(state);
    const binding = randomBytes(32).toString('base64url');
    const sealed = this.cipher.seal(verifier, stateAad(stateHash));
    const now = new Date(this.clock.now());
    const expiresAt = new Date(now.getTime() + this.config.integrations.stateTtlSeconds * 1000);

    await ctx.em.nativeDelete(OAuthState, { expiresAt: { $lte: now } });
    // Every start trims to the cap, so this reads at most MAX_PENDING_FLOWS rows. (No `offset`
    // alone: MikroORM 7 writes OFFSET without LIMIT, which SQLite refuses.)
    const pending = await ctx.em.find(OAuthState, { user: userId }, { orderBy: { createdAt: 'desc', id: 'desc' }, fields: ['id'] });
    const older = pending.slice(MAX_PENDING_FLOWS - 1);
    if (older.length) await ctx.em.nativeDelete(OAuthState, { id: { $in: older.map((o) => o.id) } });
    ctx.em.create(OAuthState, {
      stateHash,
      user: ctx.em.getReference(User, userId),
      provider: GOOGLE,
      keyId: sealed.keyId,
      verifierCiphertext: sealed.ciphertext,
      browserBindingHash: sha256(binding),
      expiresAt,
    });
    await ctx.em.flush();
    ctx.http?.setCookie(bindingCookieName(stateHash), binding, { ...this.bindingCookie(ctx), maxAge: this.config.integrations.stateTtlSeconds });
    ctx.log.info({ provider: GOOGLE }, 'integration flow started');
    return Object.assign(new AuthorizationStart(), { authorizationUrl: google.authorizationUrl(state, challenge).toString(), state, expiresAt });
  }

  /** Where and how the browser-binding cookie lives: only sent back to the callback. */
  private bindingCookie(ctx: RequestContext): Omit<CookieOptions, 'maxAge'> {
    const callback = new URL(this.config.integrations.google!.redirectUri);
    return { path: callback.pathname, httpOnly: true, sameSite: 'lax', secure: ctx.http?.secure === true || callback.protocol === 'https:' };
  }

  /**
   * Finishes the flow with what Google sent back: consumes the state (single use, unexpired,
   * and issued to the caller when the call carries credentials, else started by this very
   * browser: its binding cookie must match), exchanges the code with
   * the PKCE verifier, checks that calendar access and a refresh token were granted, reads
   * the account, and stores the tokens sealed. Any failure stores nothing.
   *
   * The browser reaches the REST callback by redirect, without credentials (`anonymous`):
   * there the state names the user and the binding cookie proves that the browser which
   * comes back is the one that started the flow (RFC 9700 §4.7: otherwise someone could start
   * a flow and have a victim consent, attaching the victim's calendar to their own account).
   * Every other call must be authenticated. The flow's cookie, when the browser brings it,
   * is cleared whatever the outcome.
   * @throws bad_request with `reason` (missing_state, invalid_state, state_expired, access_denied
   *   or Google's error, missing_code, invalid_grant, insufficient_scope, no_refresh_token, disconnected),
   *   forbidden (state_user_mismatch, browser_mismatch), upstream_unavailable, service_unavailable
   */
  async finishGoogleCalendar(ctx: RequestContext, data: CallbackData, opts: { anonymous?: boolean } = {}): Promise<IntegrationView> {
    const caller: Principal | null = !opts.anonymous || ctx.principal || ctx.authError ? authorize(ctx, 'integrations:write') : null;
    const google = this.requireGoogle();
    const input = parseInput(callbackSchema, data ?? {});
    if (!input.state) throw oauthFailure('missing_state', 'The callback carries no state: start the connection again');

    const stateHash = sha256(input.state);
    const cookieName = bindingCookieName(stateHash);
    const presented = ctx.http?.cookies[cookieName];
    if (presented !== undefined) ctx.http!.clearCookie(cookieName, this.bindingCookie(ctx));
    const pending = await ctx.em.findOne(OAuthState, { stateHash, provider: GOOGLE });
    // Single use: of concurrent callbacks with the same state, only the one that deletes it goes on.
    const consumed = pending ? await ctx.em.nativeDelete(OAuthState, { id: pending.id }) : 0;
    if (!pending || consumed !== 1) throw oauthFailure('invalid_state', 'The state is unknown or was already used: start the connection again');
    if (pending.expiresAt.getTime() <= this.clock.now()) throw oauthFailure('state_expired', 'The connection took too long and its state expired: start it again');
    const userId = pending.user.id;
    if (caller && caller.userId !== userId) {
      ctx.log.warn({ provider: GOOGLE }, 'integration callback with a state issued to another user');
      throw new AppError('forbidden', 'This state was issued to another user', { reason: 'state_user_mismatch' });
    }
    // Without credentials, only the browser that started the flow may finish it. The state is
    // burnt all the same: whoever started it cannot have it finished with this code later.
    if (!caller && !(presented && pending.browserBindingHash && sameHash(sha256(presented), pending.browserBindingHash))) {
      ctx.log.warn({ provider: GOOGLE, cookie: presented === undefined ? 'absent' : 'wrong' }, 'integration callback from a browser that did not start the flow');
      throw new AppError('forbidden', 'This connection was started in another browser or by another account: start it again from your Xentree settings', {
        reason: 'browser_mismatch',
      });
    }
    if (input.error) {
      const reason = /^[a-z_]{1,64}$/.test(input.error) ? input.error : 'authorization_error';
      throw oauthFailure(reason, reason === 'access_denied' ? 'Access to Google Calendar was not granted' : `Google answered the authorization with ${reason}`);
    }
    if (!input.code) throw oauthFailure('missing_code', 'The callback carries no authorization code');

    const verifier = this.cipher.open({ keyId: pending.keyId, ciphertext: pending.verifierCiphertext }, stateAad(stateHash));
    // The connection as it is before Google is asked: one the user disconnects while this flow
    // waits for Google must not come back when the flow ends (see store).
    const before = await ctx.em.findOne(Integration, { user: userId, provider: GOOGLE }, { fields: ['id'] });
    let tokens: GoogleTokens;
    try {
      tokens = await google.exchangeCode({ code: input.code, state: input.state, iss: input.iss ?? null }, verifier);
    } catch (e) {
      if (e instanceof GoogleError && e.kind === 'invalid_grant') {
        ctx.log.info({ provider: GOOGLE, google: e.toLog() }, 'authorization code refused');
        throw oauthFailure('invalid_grant', 'Google did not accept the authorization code (expired, already used, or not from this flow): start the connection again');
      }
      throw this.upstream(ctx, e);
    }
    const discard = async (reason: string, message: string) => {
      await this.revokeUnlessHeld(ctx, google, userId, tokens.subject, tokens.refreshToken ?? tokens.accessToken);
      return oauthFailure(reason, message);
    };
    if (!tokens.scopes.includes(google.calendarScope)) throw await discard('insufficient_scope', 'Calendar access was not granted: connect again and allow access to your calendar');
    if (!tokens.refreshToken) throw await discard('no_refresh_token', 'Google issued no refresh token: connect again');

    let account: { subject: string; email: string | null };
    try {
      account = await google.userinfo(tokens.accessToken, tokens.subject);
    } catch (e) {
      await this.revokeUnlessHeld(ctx, google, userId, tokens.subject, tokens.refreshToken);
      throw this.upstream(ctx, e);
    }

    let row: Integration;
    try {
      row = await this.store(ctx, userId, tokens, account, before?.id ?? null);
    } catch (e) {
      // Nothing was stored (the database failed, the user is gone, or disconnected meanwhile): the
      // grant would stay alive at Google with nobody holding it, so it is revoked.
      await this.revokeUnlessHeld(ctx, google, userId, account.subject, tokens.refreshToken);
      throw e;
    }
    ctx.log.info({ provider: GOOGLE, integrationId: row.id }, 'integration connected');
    return this.view(row);
  }

  /**
   * Writes the connection, replacing an earlier one; another Google account's grant is revoked.
   * `before` is the id of the connection there was when the flow asked Google: if it is gone
   * now, the user disconnected meanwhile, and disconnecting wins (reason `disconnected`).
   */
  private async store(ctx: RequestContext, userId: string, tokens: GoogleTokens, account: { subject: string; email: string | null }, before: string | null): Promise<Integration> {
    const write = async (em: EntityManager): Promise<{ row: Integration; replaced: StoredTokens | null }> => {
      const existing = await em.findOne(Integration, { user: userId, provider: GOOGLE });
      if (before && existing?.id !== before) {
        throw oauthFailure('disconnected', 'Google Calendar was disconnected while this connection was being completed: connect again if you want it');
      }
      const replaced = existing && existing.accountSubject !== account.subject ? this.openTokens(existing, ctx.log) : null;
      const row = existing ?? em.create(Integration, { user: em.getReference(User, userId), provider: GOOGLE });
      const sealed = this.cipher.seal(JSON.stringify({ access_token: tokens.accessToken, refresh_token: tokens.refreshToken }), tokensAad(userId, GOOGLE));
      Object.assign(row, {
        status: 'connected',
        accountEmail: account.email,
        accountSubject: account.subject,
        scopes: tokens.scopes,
        keyId: sealed.keyId,
        tokenCiphertext: sealed.ciphertext,
        accessTokenExpiresAt: tokens.expiresAt,
        connectedAt: new Date(this.clock.now()),
        lastRefreshedAt: null,
        lastError: null,
      });
      await em.flush();
      return { row, replaced };
    };
    let result: Awaited<ReturnType<typeof write>>;
    try {
      result = await write(ctx.em);
    } catch (e) {
      // Two first connections at once: the loser updates the winner's row.
      if (!(e instanceof UniqueConstraintViolationException)) throw e;
      result = await write(ctx.em.fork({ clear: true }));
    }
    if (result.replaced) await this.revokeQuietly(ctx, this.google!, result.replaced.refreshToken ?? result.replaced.accessToken);
    return result.row;
  }

  /**
   * Disconnects Google Calendar: revokes the grant at Google, then deletes the stored
   * tokens and any started flows. When Google cannot be reached the tokens are deleted all
   * the same (the failure is logged): nothing here can use them afterwards. Returns the
   * integration, not connected now.
   * @throws not_found (nothing connected), authorization errors (integrations:write)
   */
  async disconnectGoogleCalendar(ctx: RequestContext): Promise<IntegrationView> {
    const { userId } = authorize(ctx, 'integrations:write');
    const row = await ctx.em.findOne(Integration, { user: userId, provider: GOOGLE });
    if (!row) throw notConnected();
    const tokens = this.openTokens(row, ctx.log);
    if (tokens && this.google) await this.revokeQuietly(ctx, this.google, tokens.refreshToken ?? tokens.accessToken);
    else if (tokens) ctx.log.warn({ provider: GOOGLE }, 'Google is not configured: tokens deleted without revocation');
    await ctx.em.nativeDelete(OAuthState, { user: userId, provider: GOOGLE });
    ctx.em.remove(row);
    await ctx.em.flush();
    ctx.log.info({ provider: GOOGLE, integrationId: row.id }, 'integration disconnected');
    return this.absent(userId, GOOGLE);
  }

  /**
   * The caller's events in [from, to) on their primary calendar, expanded (recurring events
   * as their occurrences) and ordered by start, then id; `total` counts the range (up to
   * 2,500 events).
   * @throws not_found (not connected), conflict reason needs_reconnection, upstream_unavailable, rate_limited, validation_error
   */
  async listEvents(ctx: RequestContext, data: ListEventsData = {}): Promise<Page<CalendarEventView>> {
    const { userId } = authorize(ctx, 'integrations:read');
    const input = parseInput(listEventsSchema, data ?? {});
    const all = await this.eventsIn(ctx, userId, input.from, input.to);
    return pageOf(all, input);
  }

  /**
   * The same events as a connection. Google pages with tokens of its own that are valid for
   * one listing only; the window holds at most 2,500 events, which Google answers in one
   * page, so each page here reads the window and cuts it after (or before) the cursor's
   * position: the event's start and id. Such a cursor stays valid when events are added or
   * removed, as a keyset cursor does.
   * @throws not_found (not connected), conflict reason needs_reconnection, upstream_unavailable, rate_limited, validation_error
   */
  async eventsConnection(ctx: RequestContext, data: EventsRangeData = {}, args?: ConnectionArgs | PageRequest): Promise<ConnectionPage<CalendarEventView>> {
    const { userId } = authorize(ctx, 'integrations:read');
    const range = parseInput(eventsRangeSchema, data ?? {});
    const request = pageRequest(args);
    const position = (cursor: string, arg: string): [string, string] => {
      const [start, id] = decodeCursor(cursor, 2, arg);
      // Cursors read ISO instants back as Dates.
      const at = start instanceof Date ? start.toISOString() : start;
      if (typeof at !== 'string' || typeof id !== 'string') throw AppError.validation([{ loc: [arg], message: 'must be a cursor from this connection' }]);
      return [at, id];
    };
    const after = request.after !== undefined ? position(request.after, 'after') : null;
    const before = request.before !== undefined ? position(request.before, 'before') : null;
    const all = await this.eventsIn(ctx, userId, range.from, range.to);
    const inside = all.filter((e) => (!after || compareKeys(eventKey(e), after) > 0) && (!before || compareKeys(eventKey(e), before) < 0));
    const backward = request.last !== undefined;
    const size = (backward ? request.last : request.first) ?? DEFAULT_PAGE;
    const items = backward ? inside.slice(Math.max(0, inside.length - size)) : inside.slice(0, size);
    const edges = items.map((node) => ({ cursor: encodeCursor(eventKey(node)), node }));
    return connectionPage(
      edges,
      {
        // The direction not paged by what lies beyond the cursor in the window (nothing, past an end).
        hasNextPage: backward ? before !== null && all.some((e) => compareKeys(eventKey(e), before) >= 0) : inside.length > size,
        hasPreviousPage: backward ? inside.length > size : after !== null && all.some((e) => compareKeys(eventKey(e), after) <= 0),
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges.at(-1)?.cursor ?? null,
      },
      () => all.length,
    );
  }

  /** Every event of the window, in the lists' order. */
  private async eventsIn(ctx: RequestContext, userId: string, from: Date, to: Date): Promise<CalendarEventView[]> {
    const page = await this.withAccessToken(ctx, userId, (google, token) =>
      google
        .calendar<unknown>(token, 'GET', '/calendars/primary/events', {
          timeMin: from.toISOString(),
          timeMax: to.toISOString(),
          singleEvents: 'true',
          orderBy: 'startTime',
          maxResults: String(MAX_EVENTS),
        })
        .then(conformingEvents),
    );
    return page
      .filter((e) => e.status !== 'cancelled')
      .map(toEventView)
      .sort((a, b) => compareKeys(eventKey(a), eventKey(b)));
  }

  /**
   * The caller's events among `ids` (node lookups): only ids shaped like Google's are asked
   * for, one call each, and only when the caller's calendar is connected.
   * @throws the usual authorization errors (scope integrations:read)
   */
  async visibleEvents(ctx: RequestContext, ids: readonly string[]): Promise<CalendarEventView[]> {
    const { userId } = authorize(ctx, 'integrations:read');
    const wanted = ids.filter((id) => GOOGLE_EVENT_ID.test(id));
    if (!wanted.length || !this.google) return [];
    const row = await ctx.em.findOne(Integration, { user: userId, provider: GOOGLE, status: 'connected' });
    if (!row) return [];
    const found = await Promise.all(
      wanted.map(async (id) => {
        try {
          const e = await this.withAccessToken(ctx, userId, (google, token) => google.calendar<unknown>(token, 'GET', `/calendars/primary/events/${encodeURIComponent(id)}`).then(conformingEvent));
          return e.status === 'cancelled' ? null : toEventView(e);
        } catch (e) {
          // An id Google does not know in this calendar is simply not one of the caller's events.
          if (e instanceof AppError && e.details.reason === 'google_refused' && (e.details.google_status === 404 || e.details.google_status === 410)) return null;
          throw e;
        }
      }),
    );
    return found.filter((e): e is CalendarEventView => e !== null);
  }

  /**
   * Puts a study session in the caller's primary calendar, in their time zone (the one
   * given, else their profile's), marked as a Xentree study session. Safe to retry: the same
   * idempotency key (else the same session) answers the event scheduled the first time.
   * @throws not_found (not connected), conflict reason needs_reconnection or idempotency_key_reused, upstream_unavailable, rate_limited, validation_error
   */
  async scheduleStudySession(ctx: RequestContext, data: ScheduleStudySessionData): Promise<CalendarEventView> {
    const { userId } = authorize(ctx, 'integrations:write');
    const input = parseInput(scheduleStudySessionSchema, data ?? {});
    const studied = input.xelModuleId ? (this.course?.module(input.xelModuleId) ?? null) : null;
    if (input.xelModuleId && !studied) throw AppError.notFound('XEL module');
    const timeZone = input.timezone ?? (await ctx.em.findOne(User, { id: userId }, { fields: ['timezone'] }))?.timezone ?? 'UTC';
    const description = input.description ?? (studied ? `${studied.description}\n\nXentree English · ${studied.level} · ${studied.skill} · about ${studied.estimatedMinutes} minutes` : null);
    const session = {
      summary: input.title ?? `Xentree English: ${studied?.title ?? ''}`,
      ...(description ? { description } : {}),
      start: { dateTime: input.start.toISOString(), timeZone },
      end: { dateTime: input.end.toISOString(), timeZone },
      reminders: { useDefault: true },
      extendedProperties: { private: { [KIND_PROPERTY]: STUDY_SESSION, ...(studied ? { xelModuleId: studied.id } : {}) } },
    };
    // Idempotent: Google takes the event's id from us, and answers 409 for an id its calendar
    // has already (deleted events included). The id is derived from the caller's idempotency key,
    // else from the session itself, so a retry after a lost answer (Google created the event, the
    // answer timed out) finds the event instead of creating a second one.
    const fingerprint = sha256(JSON.stringify(session));
    const id = base32hex(createHash('sha256').update(`study-session:${userId}:${input.idempotencyKey !== null ? `key:${input.idempotencyKey}` : `request:${fingerprint}`}`).digest());
    const event = { id, ...session, extendedProperties: { private: { ...session.extendedProperties.private, [REQUEST_PROPERTY]: fingerprint } } };
    const path = `/calendars/primary/events/${id}`;
    const scheduled = await this.withAccessToken(ctx, userId, async (google, token) => {
      try {
        return conformingEvent(await google.calendar<unknown>(token, 'POST', '/calendars/primary/events', {}, event));
      } catch (e) {
        if (!(e instanceof GoogleError && e.kind === 'refused' && e.status === 409)) throw e;
      }
      const existing = conformingEvent(await google.calendar<unknown>(token, 'GET', path));
      if (existing.extendedProperties?.private?.[REQUEST_PROPERTY] !== fingerprint) {
        throw new AppError('conflict', 'This idempotency key was already used to schedule another study session: use a new key for a new session', { reason: 'idempotency_key_reused' });
      }
      if (existing.status !== 'cancelled') return existing;
      // Deleted in the calendar since: scheduling it again puts it back (its id stays taken).
      return conformingEvent(await google.calendar<unknown>(token, 'PUT', path, {}, { ...event, status: 'confirmed' }));
    });
    ctx.log.info({ provider: GOOGLE }, 'study session scheduled');
    return toEventView(scheduled);
  }

  /**
   * Runs a Calendar call with a usable access token: refreshed first when it expires within
   * the margin, and refreshed once more when Google refuses it anyway. A refused refresh
   * marks the connection as needing reconnection.
   */
  private async withAccessToken<T>(ctx: RequestContext, userId: string, call: (google: GoogleClient, accessToken: string) => Promise<T>): Promise<T> {
    const google = this.requireGoogle();
    const row = await ctx.em.findOne(Integration, { user: userId, provider: GOOGLE });
    if (!row) throw notConnected();
    const stored = this.openTokens(row, ctx.log);
    if (row.status !== 'connected' || !stored) throw needsReconnection();

    const marginMs = this.config.integrations.refreshMarginSeconds * 1000;
    const expiring = !row.accessTokenExpiresAt || row.accessTokenExpiresAt.getTime() - this.clock.now() <= marginMs;
    let current: Held = { tokens: stored, ciphertext: row.tokenCiphertext };
    if (expiring) current = await this.refresh(ctx, google, row, current);
    try {
      return await call(google, current.tokens.accessToken);
    } catch (e) {
      if (!(e instanceof GoogleError) || e.kind !== 'unauthorized') throw this.upstream(ctx, e);
    }
    // Refused before its time: revoked access token, or a clock disagreement. One refresh, one retry.
    current = await this.refresh(ctx, google, row, current);
    try {
      return await call(google, current.tokens.accessToken);
    } catch (e) {
      if (e instanceof GoogleError && e.kind === 'unauthorized') {
        // The grant still refreshes but its tokens are refused: it is revoked at Google before its
        // tokens are dropped here (else it would stay live there, with nothing left to disconnect).
        if (await this.markNeedsReconnection(ctx, row.id, 'invalid_token', current.ciphertext)) await this.revokeQuietly(ctx, google, current.tokens.refreshToken ?? current.tokens.accessToken);
        throw needsReconnection();
      }
      throw this.upstream(ctx, e);
    }
  }

  private refresh(ctx: Worker, google: GoogleClient, row: Integration, from: Held): Promise<Held> {
    const running = this.refreshing.get(row.id);
    if (running) return running;
    const job = this.doRefresh(ctx, google, row, from).finally(() => this.refreshing.delete(row.id));
    this.refreshing.set(row.id, job);
    return job;
  }

  /**
   * New tokens for the grant of `from` (the tokens as stored, and their ciphertext). Every write
   * here is conditional on that ciphertext: a connection replaced meanwhile (the user reconnected
   * while Google answered) is left as it is, neither overwritten by the old grant's tokens nor
   * marked as needing reconnection because the old grant was refused; its own tokens are answered.
   */
  private async doRefresh(ctx: Worker, google: GoogleClient, row: Integration, from: Held): Promise<Held> {
    const stored = from.tokens;
    if (!stored.refreshToken) {
      if (await this.markNeedsReconnection(ctx, row.id, 'no_refresh_token', from.ciphertext)) throw needsReconnection();
      return this.held(ctx, row.id);
    }
    let fresh: GoogleTokens;
    try {
      fresh = await google.refresh(stored.refreshToken);
    } catch (e) {
      if (e instanceof GoogleError && e.kind === 'invalid_grant') {
        if (!(await this.markNeedsReconnection(ctx, row.id, 'invalid_grant', from.ciphertext))) return this.held(ctx, row.id);
        ctx.log.warn({ provider: GOOGLE, integrationId: row.id, google: e.toLog() }, 'refresh refused: integration needs reconnection');
        throw needsReconnection();
      }
      throw this.upstream(ctx, e);
    }
    // The grant lost calendar access (a Workspace admin restricted the API, say): its tokens can do
    // nothing here. As a refused grant, the connection needs reconnection, which asks for it again;
    // the grant is revoked before its tokens are dropped (else nothing here could end it).
    if (fresh.scopes.length && !fresh.scopes.includes(google.calendarScope)) {
      if (!(await this.markNeedsReconnection(ctx, row.id, 'insufficient_scope', from.ciphertext))) return this.held(ctx, row.id);
      ctx.log.warn({ provider: GOOGLE, integrationId: row.id }, 'refresh answered without calendar access: integration needs reconnection');
      await this.revokeQuietly(ctx, google, stored.refreshToken);
      throw needsReconnection();
    }
    // Google keeps the refresh token unless it sends a new one. Re-sealing also moves the row to the current key.
    const tokens: StoredTokens = { accessToken: fresh.accessToken, refreshToken: fresh.refreshToken ?? stored.refreshToken };
    const sealed = this.cipher.seal(JSON.stringify({ access_token: tokens.accessToken, refresh_token: tokens.refreshToken }), tokensAad(row.user.id, row.provider));
    const now = new Date(this.clock.now());
    const written = await ctx.em.fork().nativeUpdate(
      Integration,
      { id: row.id, tokenCiphertext: from.ciphertext },
      {
        keyId: sealed.keyId,
        tokenCiphertext: sealed.ciphertext,
        accessTokenExpiresAt: fresh.expiresAt,
        lastRefreshedAt: now,
        updatedAt: now,
        ...(fresh.scopes.length ? { scopes: fresh.scopes } : {}),
      },
    );
    if (!written) {
      ctx.log.info({ provider: GOOGLE, integrationId: row.id }, 'refresh outdated: the connection was replaced meanwhile, its own tokens kept');
      return this.held(ctx, row.id);
    }
    ctx.log.info({ provider: GOOGLE, integrationId: row.id }, 'access token refreshed');
    return { tokens, ciphertext: sealed.ciphertext };
  }

  /** The connection's tokens as stored now (after a refresh found them replaced), or needs_reconnection. */
  private async held(ctx: Worker, id: string): Promise<Held> {
    const now = await ctx.em.fork().findOne(Integration, { id });
    const tokens = now && now.status === 'connected' ? this.openTokens(now, ctx.log) : null;
    if (!now || !tokens) throw needsReconnection();
    return { tokens, ciphertext: now.tokenCiphertext };
  }

  /**
   * The grant is gone: keep the row (so the user sees why), drop the useless tokens; only while it
   * holds the tokens of `ciphertext` (a connection replaced meanwhile stays). Answers whether it did.
   */
  private async markNeedsReconnection(ctx: Worker, id: string, why: string, ciphertext: string | null): Promise<boolean> {
    const n = await ctx.em.fork().nativeUpdate(
      Integration,
      { id, tokenCiphertext: ciphertext },
      { status: 'needs_reconnection', lastError: why, keyId: null, tokenCiphertext: null, accessTokenExpiresAt: null, updatedAt: new Date(this.clock.now()) },
    );
    return n > 0;
  }

  /**
   * The stored tokens, or null when there are none or they cannot be opened (their key was
   * removed from INTEGRATIONS_ENCRYPTION_KEYS before re-encryption: the row is left as it
   * is, so putting the key back recovers it).
   */
  private openTokens(row: Integration, log?: Logger): StoredTokens | null {
    if (!row.tokenCiphertext || !row.keyId) return null;
    try {
      const json = JSON.parse(this.cipher.open({ keyId: row.keyId, ciphertext: row.tokenCiphertext }, tokensAad(row.user.id, row.provider))) as {
        access_token: string;
        refresh_token: string | null;
      };
      return { accessToken: json.access_token, refreshToken: json.refresh_token };
    } catch (e) {
      log?.error({ integrationId: row.id, keyId: row.keyId, reason: e instanceof Error ? e.message : 'unknown' }, 'integration tokens cannot be decrypted');
      return null;
    }
  }

  /**
   * Revokes tokens of a flow that ends without storing them, unless a stored, connected connection
   * of the user holds the same Google account (`subject`; unknown: revoked): Google revokes an
   * app's access to an account whole, so that connection's tokens would die too.
   */
  private async revokeUnlessHeld(ctx: RequestContext, google: GoogleClient, userId: string, subject: string | null, token: string): Promise<void> {
    const holder = subject
      ? await ctx.em
          .fork()
          .findOne(Integration, { user: userId, provider: GOOGLE, status: 'connected', accountSubject: subject }, { fields: ['id'] })
          .catch(() => null)
      : null;
    if (!holder) await this.revokeQuietly(ctx, google, token);
  }

  /**
   * Revocation that must not stop what the user asked for; a token Google no longer knows is
   * already revoked. When Google does not answer, the revocation is left to a job that retries it
   * (else the grant would stay alive at Google with nothing here to end it).
   */
  private async revokeQuietly(ctx: Worker, google: GoogleClient, token: string): Promise<void> {
    try {
      await revokeAt(google, token);
    } catch (e) {
      const g = e instanceof GoogleError ? e : null;
      ctx.log.warn({ provider: GOOGLE, google: g?.toLog() }, 'revocation at Google failed: retried in the background');
      try {
        await this.revokeLater(ctx.em, token);
      } catch (later) {
        ctx.log.error({ provider: GOOGLE, reason: later instanceof Error ? later.message : 'unknown' }, 'revocation could not be left to a job: the grant may stay alive at Google');
      }
    }
  }

  /** Enqueues the revocation of `token`, sealed. */
  private async revokeLater(em: EntityManager, token: string): Promise<void> {
    if (!this.background) throw new Error('no job queue');
    const { jobs } = this.background;
    const id = randomUUID();
    const sealed = this.cipher.seal(token, revocationAad(id));
    await em.fork().transactional((tx) => jobs.enqueue(tx, REVOKE_JOB, { id, keyId: sealed.keyId, ciphertext: sealed.ciphertext } satisfies RevokePayload));
    jobs.wake();
  }

  /** The revocation job: done when Google revoked the grant or no longer knows it; Google failing throws, and the queue retries. */
  private async revokeDeferred(p: RevokePayload): Promise<void> {
    const { log } = this.background!;
    let token: string;
    try {
      token = this.cipher.open({ keyId: p.keyId, ciphertext: p.ciphertext }, revocationAad(p.id));
    } catch (e) {
      log.error({ provider: GOOGLE, keyId: p.keyId, reason: e instanceof Error ? e.message : 'unknown' }, 'a revocation left to a job cannot be decrypted: dropped');
      return;
    }
    await revokeAt(this.google!, token);
    log.info({ provider: GOOGLE }, 'revocation left to a job done');
  }

  /** Google failures other than a refused grant, as the API's codes. Unknown errors pass on. */
  private upstream(ctx: Worker, e: unknown): unknown {
    if (!(e instanceof GoogleError)) return e;
    ctx.log.warn({ provider: GOOGLE, google: e.toLog() }, 'Google call failed');
    if (e.kind === 'rate_limited') return new AppError('rate_limited', 'Google is rate limiting requests; try again shortly', { reason: 'google_rate_limited' }, { 'retry-after': '30' });
    if (e.kind === 'refused') return new AppError('upstream_unavailable', e.message, { reason: 'google_refused', google_status: e.status });
    return new AppError('upstream_unavailable', 'Google Calendar is unavailable right now; try again shortly', { reason: 'google_unavailable' });
  }

  /**
   * Re-seals every stored secret with the current (first) key, so an old key can be
   * dropped from INTEGRATIONS_ENCRYPTION_KEYS (`npm run integrations:reencrypt`).
   */
  async reencryptAll(em: EntityManager): Promise<{ rows: number; droppedFlows: number; unreadable: number }> {
    let count = 0;
    let unreadable = 0;
    const rows = await em.find(Integration, { keyId: { $ne: null } });
    for (const row of rows) {
      if (!row.keyId || !this.cipher.isStale(row.keyId)) continue;
      const tokens = this.openTokens(row);
      if (!tokens) {
        unreadable++;
        continue;
      }
      const sealed = this.cipher.seal(JSON.stringify({ access_token: tokens.accessToken, refresh_token: tokens.refreshToken }), tokensAad(row.user.id, row.provider));
      row.keyId = sealed.keyId;
      row.tokenCiphertext = sealed.ciphertext;
      count++;
    }
    // Started flows live minutes; the ones under an old key are simply dropped.
    const dropped = await em.nativeDelete(OAuthState, { keyId: { $ne: this.cipher.primaryKeyId } });
    await em.flush();
    return { rows: count, droppedFlows: dropped, unreadable };
  }
}

function toEventView(e: GoogleEvent): CalendarEventView {
  const allDay = !e.start?.dateTime && !!e.start?.date;
  const instant = (t: GoogleEvent['start']): Date | null => (t?.dateTime ? new Date(t.dateTime) : null);
  const day = (t: GoogleEvent['start']): string | null => (t?.dateTime ? null : (t?.date ?? null));
  return Object.assign(new CalendarEventView(), {
    id: e.id,
    title: e.summary ?? '(no title)',
    description: e.description ?? null,
    location: e.location ?? null,
    start: instant(e.start),
    end: instant(e.end),
    startDate: day(e.start),
    endDate: day(e.end),
    allDay,
    timezone: e.start?.timeZone ?? null,
    // Google documents these three; anything else it may add reads as confirmed.
    status: CalendarEventStatus.has(e.status) ? e.status : 'confirmed',
    htmlLink: e.htmlLink ?? null,
    studySession: e.extendedProperties?.private?.[KIND_PROPERTY] === STUDY_SESSION,
  } satisfies CalendarEventView);
}
