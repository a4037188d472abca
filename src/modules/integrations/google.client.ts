import { AsyncLocalStorage } from 'node:async_hooks';
import * as oidc from 'openid-client';
import type { GoogleConfig } from '../../config.js';
import { systemClock, type Clock } from '../../common/clock.js';

/** What a token endpoint answer leaves us with. */
export interface GoogleTokens {
  accessToken: string;
  /** Google sends one on the first consent (and with prompt=consent); a refresh may omit it. */
  refreshToken: string | null;
  expiresAt: Date | null;
  /** Granted scopes, as Google spells them. */
  scopes: string[];
  /** The Google account (`sub` of the ID token), when one came back. */
  subject: string | null;
}

export type GoogleErrorKind =
  /** The grant (code or refresh token) is invalid, expired or revoked. */
  | 'invalid_grant'
  /** The calendar API refused the access token (401). */
  | 'unauthorized'
  /** Google answered with a refusal that is not about the grant (403, 404, 400 on a resource). */
  | 'refused'
  | 'rate_limited'
  /** Network failure, timeout, 5xx, or an answer that does not conform. */
  | 'unavailable';

/**
 * A failure talking to Google, reduced to what is safe to log and show: a kind, the
 * OAuth error code or HTTP status, and Google's human message. The library's own errors
 * are never passed on, because their causes can carry response bodies.
 */
export class GoogleError extends Error {
  override name = 'GoogleError';
  constructor(
    readonly kind: GoogleErrorKind,
    message: string,
    readonly oauthError: string | null = null,
    readonly status: number | null = null,
  ) {
    super(message);
  }

  /** The fields a log line may carry. */
  toLog(): Record<string, unknown> {
    return { kind: this.kind, oauthError: this.oauthError, status: this.status, message: this.message };
  }
}

const OAUTH_ERROR = /^[\x20-\x7e]{1,64}$/;
/** What this client reads of a Google answer's error (the success body is the caller's `T`). */
interface GoogleAnswer {
  error?: { message?: unknown; status?: unknown; errors?: { reason?: unknown }[] };
}

const safeText = (v: unknown, max = 300): string | null => (typeof v === 'string' && v ? v.replace(/[^\x20-\x7e]/g, ' ').slice(0, max) : null);

/** Translates anything openid-client or fetch throws into a GoogleError. */
function translate(err: unknown, what: string): GoogleError {
  if (err instanceof GoogleError) return err;
  if (err instanceof oidc.ResponseBodyError) {
    const code = typeof err.error === 'string' && OAUTH_ERROR.test(err.error) ? err.error : 'unknown_error';
    const detail = safeText(err.error_description);
    if (code === 'invalid_grant') return new GoogleError('invalid_grant', `${what}: Google refused the grant${detail ? ` (${detail})` : ''}`, code, err.status);
    if (err.status === 429) return new GoogleError('rate_limited', `${what}: Google is rate limiting`, code, err.status);
    if (err.status >= 500) return new GoogleError('unavailable', `${what}: Google answered ${err.status}`, code, err.status);
    return new GoogleError('refused', `${what}: Google answered ${code}${detail ? ` (${detail})` : ''}`, code, err.status);
  }
  if (err instanceof oidc.WWWAuthenticateChallengeError) {
    const challenge = err.cause?.[0];
    const code = safeText(challenge?.parameters?.error, 64);
    if (err.status === 401) return new GoogleError('unauthorized', `${what}: Google refused the access token`, code, 401);
    return new GoogleError('refused', `${what}: Google answered ${err.status}${code ? ` (${code})` : ''}`, code, err.status);
  }
  if (err instanceof oidc.ClientError) {
    const timeout = err.code === 'OAUTH_TIMEOUT';
    return new GoogleError('unavailable', `${what}: ${timeout ? 'Google did not answer in time' : `Google's answer was not usable (${safeText(err.message, 120)})`}`, null, null);
  }
  // fetch's network failures are TypeErrors ("fetch failed"); their causes name the address only.
  return new GoogleError('unavailable', `${what}: Google could not be reached`, null, null);
}

/** The fields of a Google Calendar event this gateway reads. */
export interface GoogleEvent {
  id: string;
  status?: string;
  htmlLink?: string;
  summary?: string;
  description?: string;
  location?: string;
  start?: { dateTime?: string; date?: string; timeZone?: string };
  end?: { dateTime?: string; date?: string; timeZone?: string };
  extendedProperties?: { private?: Record<string, string> };
}

const when = (t: unknown): boolean => {
  if (t === undefined) return true;
  if (!t || typeof t !== 'object') return false;
  const { dateTime, date } = t as { dateTime?: unknown; date?: unknown };
  if (dateTime !== undefined) return typeof dateTime === 'string' && !Number.isNaN(Date.parse(dateTime));
  return date === undefined || (typeof date === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(date) && !Number.isNaN(Date.parse(date)));
};
const text = (v: unknown): boolean => v === undefined || v === null || typeof v === 'string';

/**
 * `value` as a Calendar event this gateway can read (an id, instants or days that parse, text
 * where text goes), or GoogleError `unavailable`: an answer that does not conform is Google's
 * failure, answered `upstream_unavailable`, never a crash of ours.
 */
export function conformingEvent(value: unknown): GoogleEvent {
  const e = value as Record<string, unknown> | null;
  const ok = !!e && typeof e === 'object' && typeof e.id === 'string' && e.id.length > 0 && when(e.start) && when(e.end) && ['status', 'htmlLink', 'summary', 'description', 'location'].every((k) => text(e[k]));
  if (!ok) throw new GoogleError('unavailable', 'Google Calendar answered an event that does not conform', null, null);
  return value as GoogleEvent;
}

/** The events of a Calendar list answer, each conforming (see `conformingEvent`). */
export function conformingEvents(value: unknown): GoogleEvent[] {
  const items = (value as { items?: unknown } | null)?.items;
  if (items === undefined) return [];
  if (!Array.isArray(items)) throw new GoogleError('unavailable', 'Google Calendar answered a list that does not conform', null, null);
  return items.map(conformingEvent);
}

/**
 * Google's OAuth 2.0 endpoints and the Calendar API, through openid-client (PKCE, token
 * requests and their validation, revocation, userinfo, bearer requests). Every endpoint
 * comes from the configuration; plain http is possible only for loopback addresses (the
 * configuration refuses it elsewhere), which is what the local fake in the tests uses.
 */
export class GoogleClient {
  private readonly oauth: oidc.Configuration;
  /** Where the token endpoint's answer to the code exchange under way is kept (see exchangeCode). */
  private readonly exchangeAnswer = new AsyncLocalStorage<{ body: string | null }>();

  constructor(
    private readonly config: GoogleConfig,
    /** Token expiry is reckoned on it. */
    private readonly clock: Clock = systemClock,
  ) {
    this.oauth = new oidc.Configuration(
      {
        issuer: config.issuer,
        authorization_endpoint: config.authorizationUrl,
        token_endpoint: config.tokenUrl,
        revocation_endpoint: config.revocationUrl,
        userinfo_endpoint: config.userinfoUrl,
        code_challenge_methods_supported: ['S256'],
      },
      config.clientId,
      { client_secret: config.clientSecret },
      oidc.ClientSecretPost(config.clientSecret),
    );
    this.oauth.timeout = Math.max(1, Math.ceil(config.timeoutMs / 1000));
    const endpoints = [config.authorizationUrl, config.tokenUrl, config.revocationUrl, config.userinfoUrl, config.calendarApiUrl];
     
    if (endpoints.some((u) => u.startsWith('http:'))) oidc.allowInsecureRequests(this.oauth);
    // The token endpoint's successful answer to a code exchange is kept aside (it is small), so
    // that tokens Google issued in an answer refused afterwards can still be revoked.
    const tokenUrl = new URL(config.tokenUrl).href;
    this.oauth[oidc.customFetch] = async (url, options) => {
      const res = await fetch(url, options);
      const kept = this.exchangeAnswer.getStore();
      if (!kept || !res.ok || new URL(url).href !== tokenUrl) return res;
      kept.body = await res.text();
      return new Response(kept.body, { status: res.status, statusText: res.statusText, headers: res.headers });
    };
  }

  get scopes(): string[] {
    return ['openid', 'email', this.config.calendarScope];
  }

  get calendarScope(): string {
    return this.config.calendarScope;
  }

  /** A fresh PKCE verifier, its S256 challenge, and a 256-bit state. */
  async newFlow(): Promise<{ state: string; verifier: string; challenge: string }> {
    const verifier = oidc.randomPKCECodeVerifier();
    return { state: oidc.randomState(), verifier, challenge: await oidc.calculatePKCECodeChallenge(verifier) };
  }

  /** The consent page: offline access (a refresh token) and a fresh consent, so one is always issued. */
  authorizationUrl(state: string, challenge: string, loginHint?: string | null): URL {
    return oidc.buildAuthorizationUrl(this.oauth, {
      redirect_uri: this.config.redirectUri,
      response_type: 'code',
      scope: this.scopes.join(' '),
      state,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      access_type: 'offline',
      prompt: 'consent',
      ...(loginHint ? { login_hint: loginHint } : {}),
    });
  }

  /**
   * Exchanges the authorization code at the token endpoint, sending the configured
   * redirect URI (exactly as in the authorization request) and the PKCE verifier.
   */
  async exchangeCode(params: { code: string; state: string; iss?: string | null }, verifier: string): Promise<GoogleTokens> {
    const callback = new URL(this.config.redirectUri);
    callback.search = '';
    callback.searchParams.set('code', params.code);
    callback.searchParams.set('state', params.state);
    if (params.iss) callback.searchParams.set('iss', params.iss);
    const answer: { body: string | null } = { body: null };
    try {
      const res = await this.exchangeAnswer.run(answer, () => oidc.authorizationCodeGrant(this.oauth, callback, { pkceCodeVerifier: verifier, expectedState: params.state }));
      return toTokens(res, this.clock.now());
    } catch (err) {
      // Google issued tokens, but its answer is refused here (an ID token that does not verify,
      // a field of the wrong type...): the grant is revoked, else it stays alive at Google with
      // nobody holding it. The refusal is what the caller hears, whatever the revocation does.
      await this.revokeIssued(answer.body);
      throw translate(err, 'Exchanging the authorization code');
    }
  }

  /** Revokes the grant of the tokens in a token endpoint answer, if it holds any; never throws. */
  private async revokeIssued(body: string | null): Promise<void> {
    let issued: { refresh_token?: unknown; access_token?: unknown } | null;
    try {
      issued = body ? (JSON.parse(body) as { refresh_token?: unknown; access_token?: unknown } | null) : null;
    } catch {
      return;
    }
    const token = [issued?.refresh_token, issued?.access_token].find((t): t is string => typeof t === 'string' && t.length > 0);
    if (token) await this.revoke(token).catch(() => undefined);
  }

  async refresh(refreshToken: string): Promise<GoogleTokens> {
    try {
      return toTokens(await oidc.refreshTokenGrant(this.oauth, refreshToken), this.clock.now());
    } catch (err) {
      throw translate(err, 'Refreshing the access token');
    }
  }

  /** Revokes the grant the token belongs to (a refresh token revokes its access tokens too). */
  async revoke(token: string): Promise<void> {
    try {
      await oidc.tokenRevocation(this.oauth, token);
    } catch (err) {
      throw translate(err, 'Revoking the grant');
    }
  }

  async userinfo(accessToken: string, subject: string | null): Promise<{ subject: string; email: string | null }> {
    try {
      const info = await oidc.fetchUserInfo(this.oauth, accessToken, subject ?? oidc.skipSubjectCheck);
      return { subject: info.sub, email: typeof info.email === 'string' ? info.email : null };
    } catch (err) {
      throw translate(err, 'Reading the Google account');
    }
  }

  /** One Calendar API v3 call with the user's access token; Google's error JSON becomes a GoogleError. */
  async calendar<T>(accessToken: string, method: 'GET' | 'POST' | 'PUT', path: string, query: Record<string, string> = {}, body?: unknown): Promise<T> {
    const url = new URL(this.config.calendarApiUrl + path);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    const headers = new Headers({ accept: 'application/json' });
    if (body !== undefined) headers.set('content-type', 'application/json');
    let res: Response;
    try {
      res = await oidc.fetchProtectedResource(this.oauth, accessToken, url, method, body === undefined ? undefined : JSON.stringify(body), headers);
    } catch (err) {
      throw translate(err, 'Calling Google Calendar');
    }
    const text = await answerText(res);
    let json: GoogleAnswer | null;
    try {
      json = text ? (JSON.parse(text) as GoogleAnswer | null) : null;
    } catch {
      json = null;
    }
    if (res.ok && json) return json as T;
    if (res.ok) throw new GoogleError('unavailable', 'Calling Google Calendar: the answer was not JSON', null, res.status);
    const message = safeText(json?.error?.message) ?? `HTTP ${res.status}`;
    const reason = safeText(json?.error?.errors?.[0]?.reason ?? json?.error?.status, 64);
    if (res.status === 401) throw new GoogleError('unauthorized', 'Calling Google Calendar: Google refused the access token', reason, 401);
    if (res.status === 429 || reason === 'rateLimitExceeded' || reason === 'userRateLimitExceeded') {
      throw new GoogleError('rate_limited', 'Calling Google Calendar: Google is rate limiting', reason, res.status);
    }
    if (res.status >= 500) throw new GoogleError('unavailable', `Calling Google Calendar: Google answered ${res.status}`, reason, res.status);
    throw new GoogleError('refused', `Google Calendar refused the request: ${message}`, reason, res.status);
  }
}

/**
 * The longest an access token is taken to live, in seconds. Google's live an hour; a longer
 * expires_in (up to one no date can hold, which the database refuses) is read as this, so the
 * token is refreshed early rather than never.
 */
const MAX_TOKEN_LIFETIME_SECONDS = 24 * 3600;

/**
 * The most of a Calendar answer read, in bytes: a window's 2,500 events are a few MB. Past it
 * Google's answer is not used (an answer that does not conform), and not held in memory.
 */
const MAX_ANSWER_BYTES = 32 * 1024 * 1024;

/** A Calendar answer's body as text ('' when it cannot be read), or GoogleError `unavailable` past MAX_ANSWER_BYTES. */
async function answerText(res: Response): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  try {
    // (Node's web streams are async iterable; the DOM typings of fetch do not say so.)
    for await (const part of (res.body ?? []) as AsyncIterable<Uint8Array>) {
      size += part.length;
      if (size > MAX_ANSWER_BYTES) throw new GoogleError('unavailable', `Calling Google Calendar: the answer was larger than ${MAX_ANSWER_BYTES} bytes`, null, res.status);
      parts.push(Buffer.from(part));
    }
  } catch (e) {
    if (e instanceof GoogleError) throw e;
    return '';
  }
  return Buffer.concat(parts).toString('utf8');
}

function toTokens(res: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers, now: number): GoogleTokens {
  const expiresIn = res.expiresIn();
  return {
    accessToken: res.access_token,
    refreshToken: res.refresh_token ?? null,
    expiresAt: expiresIn === undefined ? null : new Date(now + Math.min(expiresIn, MAX_TOKEN_LIFETIME_SECONDS) * 1000),
    scopes: typeof res.scope === 'string' ? res.scope.split(' ').filter(Boolean) : [],
    subject: res.claims()?.sub ?? null,
  };
}
