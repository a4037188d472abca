import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp, type App, type BuildOptions } from '../../src/app.js';
import { loadConfig, type Config, type DbDriver } from '../../src/config.js';
import { createScratchDatabase } from '../../src/db/scratch.js';

export const driver: DbDriver = process.env.DB_DRIVER === 'postgresql' ? 'postgresql' : 'sqlite';
export const PG_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-signing';

export interface TestServer {
  app: App;
  config: Config;
  url: string;
  wsUrl: string;
  /** Stops the server and drops its database. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * A real gateway on 127.0.0.1, port 0 (or the PORT given), with a database of its own: an in-memory SQLite,
 * or a scratch PostgreSQL database when DB_DRIVER=postgresql.
 */
export async function startServer(env: Record<string, string> = {}, options: BuildOptions = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'xt-test-'));
  // A test that brings its own database (a file, a proxied PostgreSQL) gets no scratch one.
  const scratch = driver === 'postgresql' && !env.DATABASE_URL ? await createScratchDatabase(PG_ADMIN_URL, 'xt_test') : null;
  const config = loadConfig({
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: dataDir,
    DATABASE_URL: scratch ? scratch.url : 'sqlite::memory:',
    JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    // The live sweeper's timer would add statements to whatever a test is counting; tests that need it set their own.
    LIVE_SWEEP_INTERVAL_MS: '3600000',
    CONVERSATION_SESSION_SWEEP_INTERVAL_MS: '3600000',
    // The grammar checker costs seconds of CPU to load: only the tests that evaluate load it.
    XEL_GRAMMAR_PRELOAD: 'false',
    // Tests register and log in far more often than a person; the rate-limit tests turn them on.
    RATE_LIMITS_ENABLED: 'false',
    // Hashing threads at a lower priority would crawl on a machine loaded by other test suites.
    PASSWORD_HASH_NICE: '0',
    WORKER_NICE: '0',
    ...env,
  });
  const app = await buildApp(config, options);
  await app.server.listen({ host: '127.0.0.1', port: config.port });
  const address = app.server.server.address();
  if (!address || typeof address === 'string') throw new Error('server has no port');
  const url = `http://127.0.0.1:${address.port}`;
  let closed = false;
  return {
    app,
    config,
    url,
    wsUrl: url.replace(/^http/, 'ws'),
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      await scratch?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Runs `between` right after the next successful check of these credentials (a bearer token),
 * before the door that asked goes on: a revocation that lands in that window, its event
 * published before anything of the door listens, deterministically. Once only.
 */
export function afterCredentialCheck(server: TestServer, token: string, between: () => Promise<unknown>): void {
  const root = server.app.root as { authenticate: App['root']['authenticate'] };
  const authenticate = root.authenticate;
  root.authenticate = async (em, credentials) => {
    const principal = await authenticate(em, credentials);
    if (credentials.authorization === `Bearer ${token}`) {
      root.authenticate = authenticate;
      await between();
    }
    return principal;
  };
}

/**
 * Runs `between` right after the next request's membership lookup finds `userId` a member of the
 * organization, before that request goes on to write what stands on it (an API key, a grant): a
 * removal that lands between the check and the write, deterministically. Once only.
 */
export function afterMembershipCheck(server: TestServer, organizationId: string, userId: string, between: () => Promise<unknown>): void {
  const root = server.app.root as { loaders: App['root']['loaders'] };
  const loaders = root.loaders;
  root.loaders = (em, batch) => {
    const made = loaders(em, batch);
    const lookup = made.memberships;
    const find = lookup.find.bind(lookup);
    lookup.find = async (org, user) => {
      const found = await find(org, user);
      if (found && org === organizationId && user === userId && root.loaders !== loaders) {
        root.loaders = loaders;
        await between();
      }
      return found;
    };
    return made;
  };
}
