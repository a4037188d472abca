import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MeUpdatedDocument } from './generated/graphql.js';
import { signUp } from './helpers/factories.js';
import { subscribe, until, wsClient } from './helpers/graphql.js';
import { eventually } from './helpers/wait.js';
import { restClient } from './helpers/http.js';
import { freePort, redisPrefix } from './helpers/process.js';
import { startServer, type TestServer } from './helpers/server.js';

/**
 * A Redis of this test's own on a random port (the shared one is never touched), stopped
 * and started again under a running gateway.
 */
let port: number;
let redis: ChildProcess | null = null;

async function startRedis(): Promise<void> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${out}`)), 10_000);
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}:\n${out}`));
    });
  });
  redis = child;
}

async function stopRedis(): Promise<void> {
  const child = redis;
  redis = null;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

let server: TestServer;

beforeAll(async () => {
  port = await freePort();
  await startRedis();
  server = await startServer({ REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_KEY_PREFIX: redisPrefix(), RATE_LIMITS_ENABLED: 'true' });
});
afterAll(async () => {
  await server?.close();
  await stopRedis();
});

const ready = async () => restClient(server.url).get('/readyz');

describe('a Redis outage', () => {
  it('is reported by /readyz, keeps the gateway serving, and heals when Redis returns', async () => {
    const api = restClient(server.url);
    expect((await ready()).body).toEqual({ status: 'ready', database: 'ok', jobs: 'ok', uploads: 'ok', redis: 'ok' });

    const u = await signUp(api);
    const { client } = wsClient(server.wsUrl, { Authorization: `Bearer ${u.accessToken}` });
    const sub = subscribe(client, MeUpdatedDocument);
    try {
      // Subscribed through Redis: an update arrives.
      await until(() => server.app.services.events.listeners('USER_UPDATED', u.user.id) > 0);
      expect(await server.app.services.events.ready('USER_UPDATED', u.user.id, 10_000)).toBe(true);
      await api.request('PATCH', '/api/auth/me', { full_name: 'Before' }, { token: u.accessToken });
      await sub.waitFor(1);

      await stopRedis();
      const down = await eventually(async () => {
        const r = await ready();
        return r.status === 503 && r;
      });
      expect(down.status).toBe(503);
      expect(down.body).toEqual({ status: 'unavailable', database: 'ok', jobs: 'ok', uploads: 'ok', redis: 'unreachable' });

      // Meanwhile: logins (rate limits fall back to memory), reads, and writes that publish.
      const login = await api.post('/api/auth/login', { username: u.input.username, password: u.input.password }, { form: true });
      expect(login.status).toBe(200);
      expect((await api.get('/api/auth/me', { token: u.accessToken })).status).toBe(200);
      const during = await api.request('PATCH', '/api/auth/me', { full_name: 'During' }, { token: u.accessToken });
      expect(during.status).toBe(200);

      await startRedis();
      const up = await eventually(async () => {
        const r = await ready();
        return r.status === 200 && r;
      });
      expect(up.body).toEqual({ status: 'ready', database: 'ok', jobs: 'ok', uploads: 'ok', redis: 'ok' });

      // The subscription made before the outage hears events again (ioredis subscribes anew).
      const before = sub.received.length;
      await api.request('PATCH', '/api/auth/me', { full_name: 'After' }, { token: u.accessToken });
      await until(() => sub.received.slice(before).some((r) => r.data?.meUpdated.fullName === 'After'));
      expect(sub.error).toBeNull();
    } finally {
      sub.unsubscribe();
      await client.dispose();
    }
  });

  it("delivers what a process publishes meanwhile to that process's own subscribers: a logout closes its sockets there", async () => {
    const api = restClient(server.url);
    const u = await signUp(api);
    const { client, closes } = wsClient(server.wsUrl, { Authorization: `Bearer ${u.accessToken}` });
    const sub = subscribe(client, MeUpdatedDocument);
    try {
      await until(() => server.app.services.events.listeners('USER_UPDATED', u.user.id) > 0);
      expect(await server.app.services.events.ready('CREDENTIALS_REVOKED', u.user.id, 10_000)).toBe(true);

      await stopRedis();
      await eventually(async () => (await ready()).status === 503);
      const during = await api.request('PATCH', '/api/auth/me', { full_name: 'During' }, { token: u.accessToken });
      expect(during.status).toBe(200);
      await sub.waitFor(1);
      expect(sub.received[0]!.data?.meUpdated.fullName).toBe('During');
      expect((await api.post('/api/auth/logout', undefined, { token: u.accessToken })).status).toBe(204);
      await until(() => closes.length > 0);
      expect(closes[0]).toEqual({ code: 4401, reason: 'invalid_token: logout' });
    } finally {
      await client.dispose();
      await startRedis();
    }
  });
});
