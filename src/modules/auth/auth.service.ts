import type { EntityManager } from '@mikro-orm/core';
import type { Clock } from '../../common/clock.js';
import type { RequestContext } from '../../common/context.js';
import { AppError } from '../../common/errors.js';
import type { Credentials, Principal } from '../../common/principal.js';
import type { CredentialsRevoked, EventBus, RevocationReason } from '../../common/pubsub.js';
import { hashedKey, type RateLimits } from '../../common/rate-limits.js';
import { toDate } from '../../common/time.js';
import { preparedRead } from '../../db/prepared.js';
import { parseInput } from '../../common/validation.js';
import type { Config } from '../../config.js';
import { flushOrConflict } from '../../db/flush.js';
import { rowsIn } from '../../db/rows-in.js';
import { isId } from '../../common/ids.js';
import type { ApiKeysService } from '../api-keys/index.js';
import { normalizeEmail, normalizeUsername, User, userForSignIn } from '../users/index.js';
import {
  loginSchema,
  logoutSchema,
  refreshSchema,
  registerSchema,
  type LoginData,
  type LogoutData,
  type RefreshData,
  type RegisterData,
  type TokenPair,
} from './auth.types.js';
import { LoginSession } from './auth.entities.js';
import { LoginThrottle } from './login-throttle.js';
import { PasswordHasher } from './passwords.js';
import { RefreshToken } from './auth.entities.js';
import { AccessTokens, hashToken, newRefreshToken } from './tokens.js';

const INVALID_REFRESH = 'Refresh token is not valid; log in again';

/**
 * The session check of every authenticated request: the session named by the token is the
 * token's user's, not revoked, not expired. A statement prepared once (src/db/prepared.ts),
 * read from the database every time: a revocation is seen by the next request, on every process.
 */
const LIVE_SESSION = preparedRead<{ id: string; expires_at: Date | number | string }>(
  'select id, expires_at from login_sessions where id = ? and user_id = ? and revoked_at is null and expires_at > ? limit 1',
);

/**
 * Integration tokens (RS256 JWTs a user granted for a tenant, src/modules/integration-tokens)
 * as bearer credentials: the auth service hands them over by their JWT type, and gets the
 * principal, or the reason they are refused.
 */
export interface BearerGrants {
  /** Whether this bearer token is an integration token (by its header's `typ`; nothing verified yet). */
  claims(token: string): boolean;
  /** @throws invalid_token (forged, expired, revoked, unknown), forbidden (from another origin) */
  authenticate(em: EntityManager, token: string, origin: string | undefined): Promise<Principal>;
  /** Which of these token ids are still granted (expiry aside). */
  liveAmong(em: EntityManager, ids: readonly string[]): Promise<Set<string>>;
}

/** A revoked login session's reason, as its sockets and streams are told (any other: logout). */
const SESSION_REASONS = new Set<string>(['logout', 'password_changed', 'reuse_detected']);

/** Registration, login, token rotation and logout. */
export class AuthService {
  readonly passwords: PasswordHasher;
  readonly accessTokens: AccessTokens;
  /** Password guessing, at sign-in and at re-authentication, throttled without locking anyone out. */
  readonly throttle: LoginThrottle;

  constructor(
    private readonly config: Config,
    private readonly apiKeys: ApiKeysService,
    private readonly rateLimits: RateLimits,
    private readonly events: EventBus,
    private readonly clock: Clock,
    private readonly grants: BearerGrants | null = null,
  ) {
    const a = config.auth;
    this.passwords = new PasswordHasher(a.argon2MemoryKib, a.argon2Iterations, a.hashConcurrency, a.hashNice);
    this.accessTokens = new AccessTokens(a.jwtSecret, a.issuer, a.audience, a.accessTokenTtlSeconds, clock);
    this.throttle = new LoginThrottle(rateLimits, config.rateLimits, clock);
  }

  /**
   * Checks the caller's current password before a sensitive change (email, password), with
   * the sign-in throttling: per login session, per (account, address) and per account,
   * counted with failed sign-ins.
   * @throws validation_error (missing), invalid_credentials (wrong), rate_limited
   */
  async reauthenticate(ctx: RequestContext, user: User, sessionId: string, currentPassword: string | undefined, why: string): Promise<void> {
    if (!currentPassword) {
      throw AppError.validation([{ loc: ['currentPassword'], message: `is required to ${why}` }]);
    }
    const attempt = { account: user.id, userId: user.id, ip: ctx.client.ip, sessionId };
    await this.throttle.before(ctx.em, attempt);
    if (!(await this.passwords.verify(user.passwordHash, currentPassword))) {
      ctx.log.info({ event: 'reauthentication_failed', userId: user.id }, 'wrong current password');
      await this.throttle.failed(attempt);
      throw new AppError('invalid_credentials', 'Current password is incorrect', {
        fields: [{ loc: ['currentPassword'], message: 'is incorrect' }],
      });
    }
    await this.throttle.succeeded(attempt);
  }

  /**
   * Creates an account. Anyone may call it, within the registration limits (per client
   * address, and per email address and per username asked for).
   * @throws validation_error, conflict (email or username taken, case-insensitively), rate_limited
   */
  async register(ctx: RequestContext, data: RegisterData): Promise<User> {
    if (ctx.client.ip) await this.rateLimits.consume('register_ip', ctx.client.ip);
    const input = parseInput(registerSchema, data);
    const emailNormalized = normalizeEmail(input.email);
    const usernameNormalized = normalizeUsername(input.username);
    // A 409 names what is taken: probing for accounts is bounded per address (above) and per
    // email and per username asked for, whoever asks.
    await this.rateLimits.consume('register_account', hashedKey(emailNormalized));
    await this.rateLimits.consume('register_account', hashedKey(`username:${usernameNormalized}`));
    await this.assertAvailable(ctx.em, { emailNormalized, usernameNormalized });
    const passwordHash = await this.passwords.hash(input.password);
    const user = ctx.em.create(User, {
      email: input.email,
      emailNormalized,
      username: input.username,
      usernameNormalized,
      passwordHash,
      fullName: input.fullName ?? null,
    });
    // Two registrations raced past the check above; the unique index decided.
    await flushOrConflict(ctx.em, 'Email or username is already registered');
    ctx.log.info({ userId: user.id }, 'user registered');
    return user;
  }

  /**
   * Checks that no other account uses this email or username.
   * @throws conflict naming the field
   */
  async assertAvailable(
    em: EntityManager,
    wanted: { emailNormalized?: string; usernameNormalized?: string },
    exceptUserId?: string,
  ): Promise<void> {
    const or = [];
    if (wanted.emailNormalized) or.push({ emailNormalized: wanted.emailNormalized });
    if (wanted.usernameNormalized) or.push({ usernameNormalized: wanted.usernameNormalized });
    if (!or.length) return;
    const taken = await em.find(User, { $or: or, ...(exceptUserId ? { id: { $ne: exceptUserId } } : {}) });
    const field = taken.some((u) => u.emailNormalized === wanted.emailNormalized) ? 'email' : 'username';
    if (taken.length) {
      throw new AppError('conflict', `This ${field} is already registered`, { field });
    }
  }

  /**
   * Exchanges a username (or email) and password for a token pair, opening a login session.
   * The failure never says whether the account exists. Guessing is throttled per address,
   * per (account, address) and per account with growing delays that spare the addresses the
   * account signed in from (LoginThrottle), whether the account exists or not.
   * @throws validation_error, invalid_credentials, rate_limited
   */
  async login(ctx: RequestContext, data: LoginData): Promise<TokenPair> {
    if (ctx.client.ip) await this.rateLimits.consume('login_ip', ctx.client.ip);
    const input = parseInput(loginSchema, data);
    const id = input.username;
    const byEmail = id.includes('@');
    const name = byEmail ? normalizeEmail(id) : normalizeUsername(id);
    const user = await userForSignIn(ctx.em, byEmail ? { emailNormalized: name } : { usernameNormalized: name });
    // One count per account whether it is named by username or email; an unknown name counts on its own.
    const attempt = {
      account: user ? user.id : hashedKey(name),
      userId: user?.id ?? null,
      ip: ctx.client.ip,
    };
    await this.throttle.before(ctx.em, attempt);
    const ok = user ? await this.passwords.verify(user.passwordHash, input.password) : await this.passwords.verifyNobody(input.password);
    if (!user || !ok) {
      ctx.log.info({ event: 'login_failed' }, 'login failed');
      await this.throttle.failed(attempt);
      throw new AppError('invalid_credentials', 'Incorrect username or password');
    }
    await this.throttle.succeeded(attempt);
    if (this.passwords.needsRehash(user.passwordHash)) {
      user.passwordHash = await this.passwords.hash(input.password);
      await ctx.em.flush();
    }

    // The session's times come from the server's clock, as a refresh's do.
    const now = this.clock.now();
    const session = ctx.em.create(
      LoginSession,
      {
        user,
        createdAt: new Date(now),
        lastUsedAt: new Date(now),
        expiresAt: new Date(now + this.config.auth.refreshTokenTtlSeconds * 1000),
        userAgent: ctx.client.userAgent?.slice(0, 512) ?? null,
        ip: ctx.client.ip,
      },
      { persist: false },
    );
    const refreshToken = newRefreshToken();
    const token = ctx.em.create(RefreshToken, { session, tokenHash: hashToken(refreshToken), createdAt: new Date(now) }, { persist: false });
    // Two inserts in one transaction, as entities never registered with the unit of work: a flush
    // of the same two (change sets computed for every managed entity, the user's included) cost
    // the serving thread more a login (issue 22: a login storm's reads wait behind that thread;
    // `npm run bench -- login`, "the serving thread": 1.83-1.93 against 1.69-1.75 ms on a quiet
    // host, 3.5 against 2.2-2.5 where the thread is short of a core).
    // (`clear`: the transaction's fork starts empty, with nothing of the request's to check and merge back.)
    await ctx.em.transactional(
      async (tx) => {
        await tx.insert(session);
        await tx.insert(token);
      },
      { clear: true },
    );
    ctx.log.info({ userId: user.id, sessionId: session.id }, 'login');
    return this.pair(user, session, refreshToken);
  }

  /**
   * Rotates a refresh token: the presented one is spent, a new one is returned. Presenting
   * a spent token again revokes the whole login session (reuse detection).
   * @throws validation_error, invalid_token
   */
  async refresh(ctx: RequestContext, data: RefreshData): Promise<TokenPair> {
    const input = parseInput(refreshSchema, data);
    const now = new Date(this.clock.now());
    const outcome = await ctx.em.transactional(async (em) => {
      const token = await em.findOne(RefreshToken, { tokenHash: hashToken(input.refreshToken) }, { populate: ['session.user'] });
      if (!token) return { kind: 'invalid' as const };
      const session = token.session;
      if (session.revokedAt || session.expiresAt <= now) return { kind: 'invalid' as const };
      // The conditional update is the claim: of two racing presentations, exactly one wins.
      const claimed = token.usedAt ? 0 : await em.nativeUpdate(RefreshToken, { id: token.id, usedAt: null }, { usedAt: now });
      if (claimed !== 1) return { kind: 'reuse' as const, sessionId: session.id, userId: session.user.id };
      const value = newRefreshToken();
      em.create(RefreshToken, { session, tokenHash: hashToken(value), createdAt: now });
      session.lastUsedAt = now;
      return { kind: 'ok' as const, user: session.user, session, value };
    });
    if (outcome.kind === 'invalid') throw new AppError('invalid_token', INVALID_REFRESH);
    if (outcome.kind === 'reuse') {
      this.announce(await this.revokeSessions(ctx.em, { id: outcome.sessionId }, 'reuse_detected'));
      ctx.log.warn({ userId: outcome.userId, sessionId: outcome.sessionId }, 'refresh token reuse: session revoked');
      throw new AppError('invalid_token', 'Refresh token was already used; the session has been revoked for safety');
    }
    return this.pair(outcome.user, outcome.session, outcome.value);
  }

  /**
   * Ends a login session: the one the refresh token belongs to, else the caller's current one.
   * An unknown or already revoked refresh token is not an error: logout is idempotent.
   * @throws validation_error, not_authenticated (neither a refresh token nor a bearer token)
   */
  async logout(ctx: RequestContext, data: LogoutData = {}): Promise<void> {
    const input = parseInput(logoutSchema, data ?? {});
    if (input.refreshToken) {
      const token = await ctx.em.findOne(RefreshToken, { tokenHash: hashToken(input.refreshToken) });
      if (!token) return;
      // A refresh token alone may end its own session; with a bearer it must be the caller's.
      const sessionId = token.session.id;
      if (ctx.principal?.kind === 'user') {
        const owned = await ctx.em.count(LoginSession, { id: sessionId, user: ctx.principal.userId });
        if (!owned) return;
      }
      this.announce(await this.revokeSessions(ctx.em, { id: sessionId }, 'logout'));
      return;
    }
    // An access token that was sent but is no good (expired, revoked, forged) is answered as
    // everywhere else (invalid_token, with its reason), not as if none had been sent.
    if (!ctx.principal && ctx.authError) throw ctx.authError;
    if (ctx.principal?.kind !== 'user') throw new AppError('not_authenticated', 'Send the refresh token, or an access token, to log out');
    this.announce(await this.revokeSessions(ctx.em, { id: ctx.principal.sessionId }, 'logout'));
  }

  /**
   * Revokes live sessions: one by id, or every session of a user but one. Revoked ones keep
   * their first reason. Answers what was revoked, for `announce` once the change is committed
   * (null when nothing was).
   */
  async revokeSessions(
    em: EntityManager,
    where: { id: string } | { user: string; idNot: string },
    reason: 'logout' | 'reuse_detected' | 'password_changed',
  ): Promise<CredentialsRevoked | null> {
    if ('id' in where) {
      const session = await em.findOne(LoginSession, { id: where.id, revokedAt: null }, { fields: ['id', 'user'] });
      if (!session) return null;
      const n = await em.nativeUpdate(LoginSession, { id: where.id, revokedAt: null }, { revokedAt: new Date(this.clock.now()), revokedReason: reason });
      return n ? { userId: session.user.id, reason, sessionIds: [where.id] } : null;
    }
    const n = await em.nativeUpdate(LoginSession, { user: where.user, id: { $ne: where.idNot }, revokedAt: null }, { revokedAt: new Date(this.clock.now()), revokedReason: reason });
    return n ? { userId: where.user, reason, exceptSessionId: where.idNot } : null;
  }

  /**
   * Tells every gateway process that credentials were revoked, after the change is committed:
   * the sockets they authenticate close (graphql-ws and the live socket, see CredentialWatch).
   */
  announce(revoked: CredentialsRevoked | null): void {
    if (revoked) this.events.publish('CREDENTIALS_REVOKED', revoked);
  }

  /**
   * Which of these credentials were revoked (or are gone: a session with its account, a key with
   * its organization, a grant with its grantor's membership), and why: one statement per kind of
   * credential and 500 ids, whatever the number of sockets that hold them. Expiry is not looked
   * at: each holder keeps its own deadline. For the rechecks of open sockets and streams
   * (src/common/credential-watch.ts).
   */
  async revokedAmong(em: EntityManager, principals: readonly Principal[]): Promise<Map<Principal, RevocationReason>> {
    const ids = (kind: Principal['kind']) => [...new Set(principals.flatMap((p) => (p.kind !== kind ? [] : [p.kind === 'user' ? p.sessionId : p.kind === 'apiKey' ? p.apiKeyId : p.tokenId])))];
    const [sessions, keys, tokens] = [ids('user'), ids('apiKey'), ids('integration')];
    const sessionEnds = new Map<string, RevocationReason | null>();
    for (const r of await rowsIn<{ id: string; revoked_at: unknown; revoked_reason: string | null }>(em, sessions.filter(isId), (m) => `select id, revoked_at, revoked_reason from login_sessions where id in (${m})`)) {
      sessionEnds.set(r.id, r.revoked_at === null ? null : r.revoked_reason && SESSION_REASONS.has(r.revoked_reason) ? (r.revoked_reason as RevocationReason) : 'logout');
    }
    const liveKeys = keys.length ? await this.apiKeys.liveAmong(em, keys) : new Set<string>();
    const liveTokens = tokens.length && this.grants ? await this.grants.liveAmong(em, tokens) : new Set<string>();
    const revoked = new Map<Principal, RevocationReason>();
    for (const p of principals) {
      if (p.kind === 'user') {
        // A session that is gone went with its account.
        const reason = sessionEnds.has(p.sessionId) ? sessionEnds.get(p.sessionId) : 'logout';
        if (reason) revoked.set(p, reason);
      } else if (p.kind === 'apiKey') {
        if (!liveKeys.has(p.apiKeyId)) revoked.set(p, 'api_key_revoked');
      } else if (!liveTokens.has(p.tokenId)) revoked.set(p, 'integration_token_revoked');
    }
    return revoked;
  }

  /**
   * Resolves credentials to a principal: null when none were sent. A bearer token wins
   * over an API key; an integration token is checked by the integration-token service. Runs on
   * every authenticated request, so the session check is one narrow query with no hydration.
   * @throws invalid_token for a malformed, expired, forged or revoked credential; forbidden
   *   for an API key used from an address it does not allow
   */
  async authenticate(em: EntityManager, credentials: Credentials): Promise<Principal | null> {
    const header = credentials.authorization?.trim();
    if (!header) {
      const key = credentials.apiKey?.trim();
      return key ? this.apiKeys.authenticate(em, key, credentials.ip) : null;
    }
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) throw new AppError('invalid_token', 'Authorization header must be "Bearer <access_token>"');
    if (this.grants?.claims(match[1])) return this.grants.authenticate(em, match[1], credentials.origin);
    const claims = await this.accessTokens.verify(match[1]);
    const live = await LIVE_SESSION.first(em, [claims.sessionId, claims.userId, new Date(this.clock.now())]);
    if (!live) throw new AppError('invalid_token', 'Access token belongs to a session that has ended; log in again');
    const sessionEnds = toDate(live.expires_at);
    const expiresAt = sessionEnds < claims.expiresAt ? sessionEnds : claims.expiresAt;
    return { kind: 'user', userId: claims.userId, sessionId: claims.sessionId, expiresAt };
  }

  private async pair(user: User, session: LoginSession, refreshToken: string): Promise<TokenPair> {
    const accessToken = await this.accessTokens.sign({ userId: user.id, sessionId: session.id });
    return { accessToken, tokenType: 'bearer', refreshToken, expiresIn: this.accessTokens.ttlSeconds, user };
  }
}
