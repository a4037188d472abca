import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

/**
 * A local stand-in for Google's OAuth 2.0 server, OpenID userinfo and Calendar API v3 on
 * 127.0.0.1, answering as Google does, errors included:
 *
 * - GET  /o/oauth2/v2/auth   the consent page: checks client, exact redirect URI, S256
 *        challenge, then redirects back with code+state (or error=access_denied)
 * - POST /token              authorization_code (client auth, single-use code, exact
 *        redirect_uri, PKCE verifier) and refresh_token grants; Google's error JSON
 * - POST /revoke             revokes the app's access to the token's account (every grant of it)
 * - GET  /v1/userinfo        sub and email for a live access token
 * - GET/POST /calendar/v3/calendars/primary/events   list (time range, expanded, ordered) and insert
 *        (a client-supplied `id`: base32hex, 5-1024 characters, 409 duplicate when the calendar
 *        has it already, deleted events included, as Google keeps their ids);
 *        GET .../events/{id} one event (404 when unknown; a deleted one reads as cancelled);
 *        PUT .../events/{id} replaces one (events.update);
 *        401 in Google's error shape once a token is expired or revoked
 *
 * Consent is scripted: each authorization request takes the next queued decision, or
 * consents as a new account.
 */

export interface FakeAccount {
  sub: string;
  email: string;
}

export interface Consent {
  decision?: 'allow' | 'deny';
  account?: FakeAccount;
  /** Scopes the user leaves ticked (Google's granular consent); default: all asked. */
  grantScopes?: string[];
}

export interface FakeEvent {
  id: string;
  status: string;
  htmlLink: string;
  summary?: string;
  description?: string;
  location?: string;
  start: { dateTime?: string; date?: string; timeZone?: string };
  end: { dateTime?: string; date?: string; timeZone?: string };
  extendedProperties?: { private?: Record<string, string> };
  created: string;
  updated: string;
}

export interface Recorded {
  method: string;
  path: string;
  query: Record<string, string>;
  form: Record<string, string>;
  headers: IncomingMessage['headers'];
}

interface Grant {
  id: string;
  account: FakeAccount;
  scopes: string[];
  refreshToken: string | null;
  revoked: boolean;
}

interface Code {
  grantId: string;
  clientId: string;
  redirectUri: string;
  challenge: string;
  used: boolean;
  expiresAt: number;
}

export interface FakeGoogle {
  url: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The env a gateway needs to talk to this fake (plus GOOGLE_REDIRECT_URI). */
  env(redirectUri: string): Record<string, string>;
  /** Redirect URIs registered for the client; the authorization endpoint refuses others. */
  redirectUris: Set<string>;
  /** A fresh Google account; consent without a scripted account signs in as a new one each time. */
  newAccount(): FakeAccount;
  consent(...next: Consent[]): void;
  /** expires_in of the access tokens issued from now on. */
  accessTokenTtlSeconds: number;
  requests: Recorded[];
  /** Every access token, refresh token, code and verifier issued or seen: none may leak. */
  secrets(): string[];
  /** The user removes the app's access in their Google account: every token of theirs stops working. */
  revokeUserAccess(email: string): void;
  grantsOf(email: string): { scopes: string[]; revoked: boolean }[];
  /** The account's grants keep only these scopes from now on (a Workspace admin restricting an API, say): refreshes answer them. */
  narrowGrants(email: string, scopes: string[]): void;
  /** The next Calendar API calls answer this status (503 backendError, 429 rateLimitExceeded...) in Google's shape. */
  failCalendar(status: 429 | 500 | 503, times?: number): void;
  /** The next events list answers these items as they are (what a broken or changed Google might send). */
  answerCalendarWith(items: unknown[]): void;
  /** The next Calendar API calls are carried out, but their answers are lost (the connection drops before any byte). */
  loseCalendarAnswers(times?: number): void;
  /** The next authorization-code token answer is passed through `change` before it is sent (an answer of an unexpected shape). */
  alterNextCodeAnswer(change: (answer: Record<string, unknown>) => Record<string, unknown>): void;
  /** The next revocation requests answer 503, revoking nothing (Google down). */
  failRevocations(times?: number): void;
  /** The user deletes an event in Google Calendar: it stays, cancelled, under its id. */
  deleteEvent(email: string, id: string): void;
  events(email: string): FakeEvent[];
  addEvent(email: string, event: Partial<FakeEvent> & Pick<FakeEvent, 'start' | 'end'>): FakeEvent;
  close(): Promise<void>;
}

const CALENDAR_SCOPE_PREFIX = 'https://www.googleapis.com/auth/calendar';
const token = (prefix: string) => `${prefix}${randomBytes(24).toString('base64url')}`;
const s256 = (v: string) => createHash('sha256').update(v).digest('base64url');

async function readForm(req: IncomingMessage): Promise<{ form: Record<string, string>; json: any }> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  const type = req.headers['content-type'] ?? '';
  if (type.includes('application/json')) return { form: {}, json: text ? JSON.parse(text) : null };
  return { form: Object.fromEntries(new URLSearchParams(text)), json: null };
}

const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
};

/** Google's API error shape, as the Calendar API answers it. */
const apiError = (res: ServerResponse, status: number, message: string, reason: string, statusText: string, headers: Record<string, string> = {}) =>
  send(res, status, { error: { code: status, message, errors: [{ message, domain: 'global', reason }], status: statusText } }, headers);

const unauthenticated = (res: ServerResponse) =>
  apiError(
    res,
    401,
    'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
    'authError',
    'UNAUTHENTICATED',
    { 'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"' },
  );

export async function startFakeGoogle(opts: { clientId?: string; clientSecret?: string } = {}): Promise<FakeGoogle> {
  const clientId = opts.clientId ?? `${randomBytes(6).toString('hex')}.apps.googleusercontent.com`;
  const clientSecret = opts.clientSecret ?? `GOCSPX-${randomBytes(12).toString('base64url')}`;
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const kid = randomBytes(8).toString('hex');
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };

  const queue: Consent[] = [];
  const calendarFailures: number[] = [];
  const rawAnswers: unknown[][] = [];
  let lostAnswers = 0;
  let revocationFailures = 0;
  const codeAnswerChanges: ((answer: Record<string, unknown>) => Record<string, unknown>)[] = [];
  const requests: Recorded[] = [];
  const codes = new Map<string, Code>();
  const grants = new Map<string, Grant>();
  const accessTokens = new Map<string, { grantId: string; expiresAt: number }>();
  const refreshTokens = new Map<string, string>();
  const events = new Map<string, FakeEvent[]>();
  const seen = new Set<string>();
  const sockets = new Set<Socket>();
  const redirectUris = new Set<string>();
  let accountsMade = 0;
  const newAccount = (): FakeAccount => {
    accountsMade++;
    return { sub: `1${String(accountsMade).padStart(6, '0')}${randomBytes(6).readUIntBE(0, 6)}`, email: `student${accountsMade}.${randomBytes(3).toString('hex')}@gmail.example` };
  };
  let base = '';

  const idToken = (grant: Grant) =>
    new SignJWT({ email: grant.account.email, email_verified: true, azp: clientId, at_hash: randomBytes(16).toString('base64url') })
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .setIssuer(base)
      .setAudience(clientId)
      .setSubject(grant.account.sub)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(privateKey);

  /** Google lists the email scope by its long name in token responses. */
  const grantedScopeString = (scopes: string[]) => scopes.map((s) => (s === 'email' ? 'https://www.googleapis.com/auth/userinfo.email' : s)).join(' ');

  const clientAuthenticated = (req: IncomingMessage, form: Record<string, string>): boolean => {
    const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '');
    if (basic) {
      const [id, secret] = Buffer.from(basic[1]!, 'base64').toString().split(':').map(decodeURIComponent);
      return id === clientId && secret === clientSecret;
    }
    return form.client_id === clientId && form.client_secret === clientSecret;
  };

  const liveAccess = (req: IncomingMessage): Grant | null => {
    const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const at = bearer ? accessTokens.get(bearer) : undefined;
    if (!at || at.expiresAt <= Date.now()) return null;
    const grant = grants.get(at.grantId);
    return grant && !grant.revoked ? grant : null;
  };

  const issueAccess = (grant: Grant) => {
    const at = token('ya29.');
    seen.add(at);
    accessTokens.set(at, { grantId: grant.id, expiresAt: Date.now() + fake.accessTokenTtlSeconds * 1000 });
    return at;
  };

  const authorize = (res: ServerResponse, q: Record<string, string>) => {
    // Google shows its own error page (no redirect) for a bad client or redirect URI.
    if (q.client_id !== clientId) return send(res, 401, { error: 'invalid_client', error_description: 'The OAuth client was not found.' });
    if (!q.redirect_uri || !redirectUris.has(q.redirect_uri)) return send(res, 400, { error: 'redirect_uri_mismatch', error_description: 'Bad Request' });
    const back = new URL(q.redirect_uri);
    const redirect = (params: Record<string, string>) => {
      for (const [k, v] of Object.entries(params)) back.searchParams.set(k, v);
      res.writeHead(302, { location: back.toString() });
      res.end();
    };
    if (q.response_type !== 'code') return redirect({ error: 'unsupported_response_type', ...(q.state ? { state: q.state } : {}) });
    if (!q.code_challenge || q.code_challenge_method !== 'S256') return redirect({ error: 'invalid_request', error_description: 'Missing or plain code_challenge', ...(q.state ? { state: q.state } : {}) });
    const step = queue.shift() ?? {};
    if (step.decision === 'deny') return redirect({ error: 'access_denied', ...(q.state ? { state: q.state } : {}) });
    const asked = (q.scope ?? '').split(' ').filter(Boolean);
    const scopes = step.grantScopes ?? asked;
    const offline = q.access_type === 'offline';
    const grant: Grant = { id: randomUUID(), account: step.account ?? newAccount(), scopes, refreshToken: offline ? token('1//') : null, revoked: false };
    if (grant.refreshToken) {
      seen.add(grant.refreshToken);
      refreshTokens.set(grant.refreshToken, grant.id);
    }
    grants.set(grant.id, grant);
    const code = token('4/0A');
    seen.add(code);
    codes.set(code, { grantId: grant.id, clientId, redirectUri: q.redirect_uri, challenge: q.code_challenge, used: false, expiresAt: Date.now() + 600_000 });
    redirect({ code, ...(q.state ? { state: q.state } : {}), iss: base, scope: grantedScopeString(scopes), authuser: '0', prompt: 'consent' });
  };

  const tokenEndpoint = async (req: IncomingMessage, res: ServerResponse, form: Record<string, string>) => {
    if (!clientAuthenticated(req, form)) return send(res, 401, { error: 'invalid_client', error_description: 'Unauthorized' });
    if (form.grant_type === 'authorization_code') {
      if (form.code_verifier) seen.add(form.code_verifier);
      const code = form.code ? codes.get(form.code) : undefined;
      if (!code) return send(res, 400, { error: 'invalid_grant', error_description: 'Malformed auth code.' });
      if (code.used || code.expiresAt <= Date.now()) return send(res, 400, { error: 'invalid_grant', error_description: 'Bad Request' });
      if (form.redirect_uri !== code.redirectUri) return send(res, 400, { error: 'redirect_uri_mismatch', error_description: 'Bad Request' });
      if (!form.code_verifier) return send(res, 400, { error: 'invalid_grant', error_description: 'Missing code verifier.' });
      if (s256(form.code_verifier) !== code.challenge) return send(res, 400, { error: 'invalid_grant', error_description: 'Invalid code verifier.' });
      code.used = true;
      const grant = grants.get(code.grantId)!;
      const answer = {
        access_token: issueAccess(grant),
        expires_in: fake.accessTokenTtlSeconds,
        ...(grant.refreshToken ? { refresh_token: grant.refreshToken } : {}),
        scope: grantedScopeString(grant.scopes),
        token_type: 'Bearer',
        ...(grant.scopes.includes('openid') ? { id_token: await idToken(grant) } : {}),
      };
      const change = codeAnswerChanges.shift();
      return send(res, 200, change ? change(answer) : answer);
    }
    if (form.grant_type === 'refresh_token') {
      const grantId = form.refresh_token ? refreshTokens.get(form.refresh_token) : undefined;
      const grant = grantId ? grants.get(grantId) : undefined;
      if (!grant || grant.revoked) return send(res, 400, { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' });
      return send(res, 200, {
        access_token: issueAccess(grant),
        expires_in: fake.accessTokenTtlSeconds,
        scope: grantedScopeString(grant.scopes),
        token_type: 'Bearer',
        ...(grant.scopes.includes('openid') ? { id_token: await idToken(grant) } : {}),
      });
    }
    return send(res, 400, { error: 'unsupported_grant_type', error_description: `Invalid grant_type: ${form.grant_type ?? ''}` });
  };

  const revoke = (res: ServerResponse, form: Record<string, string>) => {
    if (revocationFailures > 0) {
      revocationFailures--;
      return send(res, 503, { error: 'temporarily_unavailable', error_description: 'Service unavailable' });
    }
    const t = form.token ?? '';
    const grantId = refreshTokens.get(t) ?? accessTokens.get(t)?.grantId;
    const grant = grantId ? grants.get(grantId) : undefined;
    if (!grant || grant.revoked) return send(res, 400, { error: 'invalid_token', error_description: 'Token expired or revoked' });
    // Google revokes the app's access to the account: every token it holds there, whichever consent issued it.
    for (const g of grants.values()) if (g.account.sub === grant.account.sub) g.revoked = true;
    send(res, 200, {});
  };

  const calendar = (req: IncomingMessage, res: ServerResponse, q: Record<string, string>, json: any) => {
    const grant = liveAccess(req);
    if (!grant) return unauthenticated(res);
    const write = req.method === 'POST';
    const allowed = grant.scopes.some((s) => s.startsWith(CALENDAR_SCOPE_PREFIX) && (!write || !s.endsWith('readonly')));
    if (!allowed) {
      return apiError(res, 403, 'Request had insufficient authentication scopes.', 'insufficientPermissions', 'PERMISSION_DENIED', {
        'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="insufficient_scope"',
      });
    }
    const failure = calendarFailures.shift();
    if (failure === 429) return apiError(res, 429, 'Rate Limit Exceeded', 'rateLimitExceeded', 'RESOURCE_EXHAUSTED');
    if (failure) return apiError(res, failure, 'The service is currently unavailable.', 'backendError', 'UNAVAILABLE');
    const list = events.get(grant.account.email) ?? [];
    events.set(grant.account.email, list);
    if (write) {
      if (!json?.start || !json?.end) return apiError(res, 400, json?.start ? 'Missing end time.' : 'Missing start time.', 'required', 'INVALID_ARGUMENT');
      const start = Date.parse(json.start.dateTime ?? json.start.date);
      const end = Date.parse(json.end.dateTime ?? json.end.date);
      if (!(end > start)) return apiError(res, 400, 'The specified time range is empty.', 'timeRangeEmpty', 'INVALID_ARGUMENT');
      if (json.id !== undefined && !(typeof json.id === 'string' && /^[a-v0-9]{5,1024}$/.test(json.id))) return apiError(res, 400, 'Invalid resource id value.', 'invalid', 'INVALID_ARGUMENT');
      if (json.id !== undefined && list.some((e) => e.id === json.id)) return apiError(res, 409, 'The requested identifier already exists.', 'duplicate', 'ALREADY_EXISTS');
      const ev = makeEvent(json);
      list.push(ev);
      return send(res, 200, { kind: 'calendar#event', etag: `"${Date.now()}"`, ...ev });
    }
    const raw = rawAnswers.shift();
    if (raw) return send(res, 200, { kind: 'calendar#events', summary: grant.account.email, timeZone: 'UTC', items: raw });
    const min = q.timeMin ? Date.parse(q.timeMin) : -Infinity;
    const max = q.timeMax ? Date.parse(q.timeMax) : Infinity;
    const max_results = Math.min(Number(q.maxResults ?? 250), 2500);
    const startOf = (e: FakeEvent) => Date.parse(e.start.dateTime ?? `${e.start.date}T00:00:00Z`);
    const endOf = (e: FakeEvent) => Date.parse(e.end.dateTime ?? `${e.end.date}T00:00:00Z`);
    const items = list
      .filter((e) => endOf(e) > min && startOf(e) < max && e.status !== 'cancelled')
      .sort((a, b) => startOf(a) - startOf(b));
    return send(res, 200, {
      kind: 'calendar#events',
      summary: grant.account.email,
      timeZone: 'UTC',
      items: items.slice(0, max_results).map((e) => ({ kind: 'calendar#event', ...e })),
      ...(items.length > max_results ? { nextPageToken: 'more' } : {}),
    });
  };

  /** One event by id, as `events.get` answers it (404 when this calendar has no such event). */
  const calendarEvent = (req: IncomingMessage, res: ServerResponse, id: string) => {
    const grant = liveAccess(req);
    if (!grant) return unauthenticated(res);
    const ev = (events.get(grant.account.email) ?? []).find((e) => e.id === id);
    if (!ev) return apiError(res, 404, 'Not Found', 'notFound', 'NOT_FOUND');
    return send(res, 200, { kind: 'calendar#event', ...ev });
  };

  /** events.update: the event replaced by the body (its id, link and creation kept). */
  const updateEvent = (req: IncomingMessage, res: ServerResponse, id: string, json: any) => {
    const grant = liveAccess(req);
    if (!grant) return unauthenticated(res);
    const list = events.get(grant.account.email) ?? [];
    const i = list.findIndex((e) => e.id === id);
    if (i < 0) return apiError(res, 404, 'Not Found', 'notFound', 'NOT_FOUND');
    if (!json?.start || !json?.end) return apiError(res, 400, 'Missing time.', 'required', 'INVALID_ARGUMENT');
    const old = list[i]!;
    const ev: FakeEvent = { ...makeEvent(json), id, htmlLink: old.htmlLink, created: old.created, status: typeof json.status === 'string' ? json.status : old.status };
    list[i] = ev;
    return send(res, 200, { kind: 'calendar#event', ...ev });
  };

  const makeEvent = (body: any): FakeEvent => {
    const id = typeof body.id === 'string' ? body.id : randomBytes(13).toString('hex');
    const now = new Date().toISOString();
    return {
      id,
      status: 'confirmed',
      htmlLink: `https://www.google.com/calendar/event?eid=${id}`,
      ...(body.summary ? { summary: body.summary } : {}),
      ...(body.description ? { description: body.description } : {}),
      ...(body.location ? { location: body.location } : {}),
      start: body.start,
      end: body.end,
      ...(body.extendedProperties ? { extendedProperties: body.extendedProperties } : {}),
      created: now,
      updated: now,
    };
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const query = Object.fromEntries(url.searchParams);
      const { form, json } = await readForm(req);
      requests.push({ method: req.method ?? 'GET', path: url.pathname, query, form, headers: req.headers });
      if (lostAnswers > 0 && url.pathname.startsWith('/calendar/v3/')) {
        // Google does the work; its answer never arrives.
        lostAnswers--;
        res.writeHead = () => res;
        res.end = (() => {
          req.socket.destroy();
          return res;
        }) as never;
      }
      try {
        if (req.method === 'GET' && url.pathname === '/o/oauth2/v2/auth') return authorize(res, query);
        if (req.method === 'POST' && url.pathname === '/token') return await tokenEndpoint(req, res, form);
        if (req.method === 'POST' && url.pathname === '/revoke') return revoke(res, form);
        if (req.method === 'GET' && url.pathname === '/v1/userinfo') {
          const grant = liveAccess(req);
          if (!grant) return send(res, 401, { error: 'invalid_request', error_description: 'Invalid Credentials' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
          return send(res, 200, { sub: grant.account.sub, email: grant.account.email, email_verified: true });
        }
        if (req.method === 'GET' && url.pathname === '/oauth2/v3/certs') return send(res, 200, { keys: [jwk] });
        if (url.pathname === '/calendar/v3/calendars/primary/events' && (req.method === 'GET' || req.method === 'POST')) return calendar(req, res, query, json);
        const one = /^\/calendar\/v3\/calendars\/primary\/events\/([^/]+)$/.exec(url.pathname);
        if (one && req.method === 'GET') return calendarEvent(req, res, decodeURIComponent(one[1]!));
        if (one && req.method === 'PUT') return updateEvent(req, res, decodeURIComponent(one[1]!), json);
        return apiError(res, 404, 'Not Found', 'notFound', 'NOT_FOUND');
      } catch (e) {
        return apiError(res, 500, String(e), 'backendError', 'INTERNAL');
      }
    })();
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('fake google has no port');
  base = `http://127.0.0.1:${address.port}`;

  const fake: FakeGoogle = {
    url: base,
    issuer: base,
    clientId,
    clientSecret,
    redirectUris,
    newAccount,
    accessTokenTtlSeconds: 3599,
    requests,
    env(redirectUri) {
      redirectUris.add(redirectUri);
      return {
        GOOGLE_CLIENT_ID: clientId,
        GOOGLE_CLIENT_SECRET: clientSecret,
        GOOGLE_REDIRECT_URI: redirectUri,
        GOOGLE_ISSUER: base,
        GOOGLE_AUTHORIZATION_URL: `${base}/o/oauth2/v2/auth`,
        GOOGLE_TOKEN_URL: `${base}/token`,
        GOOGLE_REVOCATION_URL: `${base}/revoke`,
        GOOGLE_USERINFO_URL: `${base}/v1/userinfo`,
        GOOGLE_CALENDAR_API_URL: `${base}/calendar/v3`,
      };
    },
    consent: (...next) => void queue.push(...next),
    secrets: () => [...seen],
    revokeUserAccess(email) {
      for (const g of grants.values()) if (g.account.email === email) g.revoked = true;
    },
    failCalendar: (status, times = 1) => void calendarFailures.push(...Array.from({ length: times }, () => status)),
    answerCalendarWith: (items) => void rawAnswers.push(items),
    loseCalendarAnswers: (times = 1) => void (lostAnswers += times),
    failRevocations: (times = 1) => void (revocationFailures += times),
    alterNextCodeAnswer: (change) => void codeAnswerChanges.push(change),
    deleteEvent(email, id) {
      const ev = (events.get(email) ?? []).find((e) => e.id === id);
      if (ev) ev.status = 'cancelled';
    },
    narrowGrants(email, scopes) {
      for (const g of grants.values()) if (g.account.email === email) g.scopes = g.scopes.filter((s) => scopes.includes(s));
    },
    grantsOf: (email) => [...grants.values()].filter((g) => g.account.email === email).map((g) => ({ scopes: g.scopes, revoked: g.revoked })),
    events: (email) => events.get(email) ?? [],
    addEvent(email, partial) {
      const ev = { ...makeEvent(partial), ...partial };
      const list = events.get(email) ?? [];
      list.push(ev);
      events.set(email, list);
      return ev;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  return fake;
}
