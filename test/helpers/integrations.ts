import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import type { FakeGoogle } from './fake-google.js';
import type { RestClient } from './http.js';
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
export async function startGoogleGateway(fake: FakeGoogle, env: Record<string, string> = {}): Promise<TestServer> {
  const port = await freePort();
  const redirectUri = `http://127.0.0.1:${port}${CALLBACK_PATH}`;
  const all = { PORT: String(port), ...fake.env(redirectUri), INTEGRATIONS_RETURN_URL: RETURN_URL, INTEGRATIONS_ENCRYPTION_KEYS: encryptionKey('test1'), ...env };
  return startServer(Object.fromEntries(Object.entries(all).filter(([, v]) => v !== '')));
}

/** One step of a browser: the answer's status and where it redirects, without following. */
export async function browse(url: string, headers: Record<string, string> = {}): Promise<{ status: number; location: URL | null; body: string }> {
  const res = await fetch(url, { redirect: 'manual', headers });
  const location = res.headers.get('location');
  return { status: res.status, location: location ? new URL(location, url) : null, body: await res.text() };
}

/** The browser at Google's consent page: where Google sends it back (the gateway's callback). */
export async function consentAtGoogle(authorizationUrl: string): Promise<URL> {
  const r = await browse(authorizationUrl);
  if (r.status !== 302 || !r.location) throw new Error(`the consent page did not redirect: ${r.status} ${r.body}`);
  return r.location;
}

/**
 * The whole browser flow through REST: start (bearer), Google's consent page, the callback
 * (no credentials, as a browser redirect carries none). Returns where the gateway sent the browser.
 */
export async function connectThroughRest(api: RestClient, auth: { token?: string; apiKey?: string }): Promise<{ returned: URL; state: string; callback: URL }> {
  const start = await api.get('/api/integrations/google-calendar/connect', auth);
  if (start.status !== 200) throw new Error(`connect failed: ${start.status} ${JSON.stringify(start.body)}`);
  const callback = await consentAtGoogle(start.body.authorization_url);
  const back = await browse(callback.toString());
  if (back.status !== 302 || !back.location) throw new Error(`the callback did not redirect: ${back.status} ${back.body}`);
  return { returned: back.location, state: start.body.state, callback };
}
