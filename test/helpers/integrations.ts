import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import type { FakeGoogle } from './fake-google.js';
import { httpServer } from './http-server.js';
import type { RestClient } from './http.js';
import type { BuildOptions } from '../../src/app.js';
import { startServer, type TestServer } from './server.js';

export const RETURN_URL = 'http://app.example.test/settings/integrations';
export const CALLBACK_PATH = '/api/integrations/google-calendar/callback';

/** A port nobody listens on right now: the gateway's redirect URI must be known before it starts. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A fresh AES-256 key in the INTEGRATIONS_ENCRYPTION_KEYS format. */
export const encryptionKey = (id: string): string => `${id}:${randomBytes(32).toString('base64')}`;

/**
 * A gateway configured against the fake Google, its redirect URI registered there, with
 * the encryption key `test1`. An env value of '' removes that variable.
 */
export async function startGoogleGateway(fake: FakeGoogle, env: Record<string, string> = {}, options: BuildOptions = {}): Promise<TestServer> {
  const port = await freePort();
  const redirectUri = `http://127.0.0.1:${port}${CALLBACK_PATH}`;
  const all = { PORT: String(port), ...fake.env(redirectUri), INTEGRATIONS_RETURN_URL: RETURN_URL, INTEGRATIONS_ENCRYPTION_KEYS: encryptionKey('test1'), ...env };
  return startServer(Object.fromEntries(Object.entries(all).filter(([, v]) => v !== '')), options);
}

/** One Set-Cookie line: its name, value and attributes (names lowercased; flags as `true`). */
export interface SetCookie {
  name: string;
  value: string;
  attributes: Record<string, string | true>;
}

export function parseSetCookie(line: string): SetCookie {
  const [pair, ...attrs] = line.split(';');
  const eq = pair!.indexOf('=');
  const attributes: Record<string, string | true> = {};
  for (const a of attrs) {
    const i = a.indexOf('=');
    if (i < 0) attributes[a.trim().toLowerCase()] = true;
    else attributes[a.slice(0, i).trim().toLowerCase()] = a.slice(i + 1).trim();
  }
  return { name: pair!.slice(0, eq).trim(), value: decodeURIComponent(pair!.slice(eq + 1).trim()), attributes };
}

/**
 * A browser's cookie jar, as small as these tests need (one host): keeps what Set-Cookie
 * gives, drops what it expires (Max-Age <= 0 or an Expires in the past), and sends back the
 * cookies whose Path matches the request's path.
 */
export class CookieJar {
  private readonly cookies = new Map<string, { name: string; value: string; path: string; expiresAt: number }>();
  /** Every Set-Cookie line this browser received, in order. */
  readonly received: SetCookie[] = [];

  take(headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const c = parseSetCookie(line);
      this.received.push(c);
      const path = typeof c.attributes.path === 'string' ? c.attributes.path : '/';
      const maxAge = typeof c.attributes['max-age'] === 'string' ? Number(c.attributes['max-age']) : null;
      const expires = typeof c.attributes.expires === 'string' ? Date.parse(c.attributes.expires) : null;
      const expiresAt = maxAge !== null ? Date.now() + maxAge * 1000 : (expires ?? Infinity);
      const key = `${c.name};${path}`;
      if (expiresAt <= Date.now()) this.cookies.delete(key);
      else this.cookies.set(key, { name: c.name, value: c.value, path, expiresAt });
    }
  }

  /** The Cookie header this browser sends to `url`, if any. */
  header(url: string | URL): string | undefined {
    const { pathname } = new URL(url);
    const now = Date.now();
    const sent = [...this.cookies.values()].filter(
      (c) => c.expiresAt > now && (pathname === c.path || pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`)),
    );
    return sent.length ? sent.map((c) => `${c.name}=${c.value}`).join('; ') : undefined;
  }

  /** The cookies held now, by name. */
  names(): string[] {
    return [...this.cookies.values()].filter((c) => c.expiresAt > Date.now()).map((c) => c.name);
  }
}

/**
 * One step of a browser: the answer's status and where it redirects, without following.
 * With a jar, sends its cookies and keeps the ones the answer sets.
 */
export async function browse(
  url: string,
  headers: Record<string, string> = {},
  jar?: CookieJar,
): Promise<{ status: number; location: URL | null; body: string; setCookies: SetCookie[] }> {
  const cookie = jar?.header(url);
  const res = await fetch(url, { redirect: 'manual', headers: { ...(cookie ? { cookie } : {}), ...headers } });
  jar?.take(res.headers);
  const location = res.headers.get('location');
  return { status: res.status, location: location ? new URL(location, url) : null, body: await res.text(), setCookies: res.headers.getSetCookie().map(parseSetCookie) };
}

/** The browser at Google's consent page: where Google sends it back (the gateway's callback). */
export async function consentAtGoogle(authorizationUrl: string): Promise<URL> {
  const r = await browse(authorizationUrl);
  if (r.status !== 302 || !r.location) throw new Error(`the consent page did not redirect: ${r.status} ${r.body}`);
  return r.location;
}

/**
 * Starts a flow through REST (bearer or API key) from a browser: the jar keeps the binding
 * cookie the answer sets. Returns Google's redirect back (not yet followed).
 */
export async function startInBrowser(api: RestClient, auth: { token?: string; apiKey?: string }, jar: CookieJar): Promise<{ callback: URL; state: string }> {
  const start = await api.get('/api/integrations/google-calendar/connect', auth);
  if (start.status !== 200) throw new Error(`connect failed: ${start.status} ${JSON.stringify(start.body)}`);
  jar.take(start.headers);
  return { callback: await consentAtGoogle(start.body.authorization_url), state: start.body.state };
}

/**
 * The whole browser flow through REST: start (bearer), Google's consent page, the callback
 * (no credentials, as a browser redirect carries none; the binding cookie, as the browser
 * that started keeps it). Returns where the gateway sent the browser.
 */
export async function connectThroughRest(
  api: RestClient,
  auth: { token?: string; apiKey?: string },
  jar = new CookieJar(),
): Promise<{ returned: URL; state: string; callback: URL; jar: CookieJar }> {
  const { callback, state } = await startInBrowser(api, auth, jar);
  const back = await browse(callback.toString(), {}, jar);
  if (back.status !== 302 || !back.location) throw new Error(`the callback did not redirect: ${back.status} ${back.body}`);
  return { returned: back.location, state, callback, jar };
}

/** A request held at a gate: `held` once it arrived, `release` lets it through to Google. */
export interface TokenGate {
  held: boolean;
  release(): void;
}

/**
 * The fake Google's token endpoint behind a gate (GOOGLE_TOKEN_URL=`${url}/token`): every request
 * goes through to it, but the next one of `grantType` after `holdNext()` waits until its gate is
 * released, so a test can act while the gateway waits for Google's answer.
 */
export async function gatedTokenEndpoint(fake: FakeGoogle, grantType: 'authorization_code' | 'refresh_token'): Promise<{ url: string; close(): Promise<void>; holdNext(): TokenGate }> {
  let next: TokenGate | null = null;
  const server = await httpServer((req, body, res) => {
    const forward = () =>
      void fetch(`${fake.url}/token`, { method: 'POST', headers: { 'content-type': String(req.headers['content-type']), authorization: String(req.headers.authorization ?? '') }, body }).then(async (r) => {
        res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' });
        res.end(await r.text());
      });
    if (next && new URLSearchParams(body).get('grant_type') === grantType) {
      const gate = next;
      next = null;
      gate.release = forward;
      gate.held = true;
      return;
    }
    forward();
  });
  return {
    ...server,
    holdNext: () => (next = { held: false, release: () => undefined }),
  };
}
