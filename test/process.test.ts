import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MeUpdatedDocument } from './generated/graphql.js';
import { readThreads } from '../src/common/threads.js';
import { createScratchDatabase } from '../src/db/scratch.js';
import { signUp } from './helpers/factories.js';
import { subscribe, until, wsClient } from './helpers/graphql.js';
import { restClient } from './helpers/http.js';
import { GATEWAY_NODE_FLAGS, MAIN, metric } from './helpers/process.js';
import { driver, PG_ADMIN_URL } from './helpers/server.js';

interface Running {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

function start(env: Record<string, string>, nodeFlags: readonly string[] = GATEWAY_NODE_FLAGS): Promise<Running> {
  const child = spawn(process.execPath, [...nodeFlags, MAIN], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 90_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m && out.includes('gateway ready')) {
        clearTimeout(timer);
        resolve({ child, url: m[1]!, output: () => out, exited });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${out}`));
    });
  });
}

let dataDir: string;
let dbEnv: Record<string, string> = {};
let drop: (() => Promise<void>) | undefined;

beforeAll(async () => {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run the tests with npm test, which builds first`);
  dataDir = mkdtempSync(join(tmpdir(), 'xt-proc-'));
  if (driver === 'postgresql') {
    const scratch = await createScratchDatabase(PG_ADMIN_URL, 'xt_proc');
    dbEnv = { DATABASE_URL: scratch.url };
    drop = scratch.drop;
  }
});
afterAll(async () => {
  await drop?.();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the server process', () => {
  it('starts with no settings but a data directory, migrates, and shuts down cleanly on SIGTERM and SIGINT; tokens survive a restart', async () => {
    const first = await start({ DATA_DIR: dataDir, ...dbEnv });
    const api = restClient(first.url);
    expect((await api.get('/readyz')).status).toBe(200);
    expect(first.output()).toMatch(/migrations applied/);
    if (driver === 'sqlite') expect(existsSync(join(dataDir, 'xentree.sqlite3'))).toBe(true);
    expect(existsSync(join(dataDir, 'signing-key'))).toBe(true);

    const u = await signUp(api);
    const { client, closes } = wsClient(first.url.replace('http', 'ws'), { Authorization: `Bearer ${u.accessToken}` });
    const sub = subscribe(client, MeUpdatedDocument);
    // The child process's /metrics says when the subscription is registered.
    await until(async () => metric(await (await fetch(`${first.url}/metrics`)).text(), 'xentree_subscriptions_active', { field: 'meUpdated' }) > 0);

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain('shut down cleanly');
    await until(() => closes.length > 0);
    expect(closes[0]?.code).toBe(1001);
    sub.unsubscribe();
    await client.dispose();

    const second = await start({ DATA_DIR: dataDir, ...dbEnv });
    try {
      expect(second.output()).not.toMatch(/migrations applied/);
      const me = await restClient(second.url).get('/api/auth/me', { token: u.accessToken });
      expect(me.status).toBe(200);
      expect(me.body.id).toBe(u.user.id);
    } finally {
      second.child.kill('SIGINT');
      expect(await second.exited).toBe(0);
    }
  });

  it('runs with the Node flags npm start gives it (one V8 helper thread), which the tests\' processes and the benches give it too', async () => {
    // The flags between `node` and the server in package.json's start script, with their shell defaults.
    const script = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts.start!;
    const flags = /\bnode ((?:--\S+ )*)dist\/src\/main\.js/.exec(script)?.[1]?.trim().split(' ').map((f) => f.replace(/\$\{\w+:-([^}]*)\}/g, '$1'));
    expect(flags).toEqual(['--v8-pool-size=1']);
    if (!process.env.V8_POOL_SIZE) expect([...GATEWAY_NODE_FLAGS]).toEqual(flags);
    const running = await start({ DATA_DIR: join(dataDir, 'flags'), ...dbEnv }, flags);
    try {
      const threads = readThreads(running.child.pid);
      // (Where /proc is not there, nothing to count.)
      if (threads.length) expect(threads.filter((t) => t.name === 'V8Worker')).toHaveLength(1);
    } finally {
      running.child.kill('SIGTERM');
      expect(await running.exited).toBe(0);
    }
  });

  it('refuses to start on a bad environment, naming the variable', async () => {
    const child = spawn(process.execPath, [MAIN], { env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, PORT: 'abc' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const code = await new Promise((r) => child.on('exit', r));
    expect(code).toBe(2);
    expect(err).toContain('PORT');
  });
});
