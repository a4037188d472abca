import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createScratchDatabase } from '../src/db/scratch.js';
import { countStatements as countSql } from '../src/db/statements.js';

export const DB = process.env.BENCH_DB === 'postgresql' ? 'postgresql' : 'sqlite';
const PG_ADMIN = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface Gateway {
  app: App;
  url: string;
  close(): Promise<void>;
}

/** A gateway on 127.0.0.1 with a database of its own (in-memory SQLite, or a scratch PostgreSQL database). */
export async function startGateway(env: Record<string, string> = {}): Promise<Gateway> {
  const dataDir = mkdtempSync(join(tmpdir(), 'xt-bench-'));
  const scratch = DB === 'postgresql' ? await createScratchDatabase(PG_ADMIN, 'xt_bench') : null;
  const config = loadConfig({
    NODE_ENV: 'production',
    JWT_SECRET: 'bench-secret-that-is-long-enough-for-hs256',
    DATA_DIR: dataDir,
    DATABASE_URL: scratch?.url ?? 'sqlite::memory:',
    LOG_LEVEL: 'silent',
    PORT: '0',
    // Background sweeps would add statements to the counted ones; the live benchmark sets its own.
    LIVE_SWEEP_INTERVAL_MS: '3600000',
    // Load from one address would trip the login and registration limits; the bench measures the work.
    RATE_LIMITS_ENABLED: 'false',
    ...env,
  });
  const app = await buildApp(config);
  await app.server.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.server.address();
  return {
    app,
    url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`,
    async close() {
      await app.close();
      await scratch?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Registers and logs in a user; returns the access token. */
export async function userToken(url: string, name = 'bench'): Promise<string> {
  const json = { 'content-type': 'application/json' };
  await fetch(`${url}/api/auth/register`, { method: 'POST', headers: json, body: JSON.stringify({ email: `${name}@example.com`, username: name, password: 'bench password' }) });
  const login = (await (await fetch(`${url}/api/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ username: name, password: 'bench password' }) })).json()) as { access_token: string };
  return login.access_token;
}

export const machine = () => `${cpus().length} cores (${cpus()[0]?.model ?? '?'}), node ${process.version}, ${DB}`;

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

export interface Row {
  scenario: string;
  figure: string;
  reference: string;
  ratio: number | null;
  target?: string;
}

export function printTable(title: string, rows: Row[]): void {
  console.log(`\n${title}\n`);
  console.log('| scenario | figure | reference (same run) | ratio | target |');
  console.log('|---|---:|---:|---:|---|');
  for (const r of rows) {
    const ratio = r.ratio === null ? '' : r.ratio.toFixed(3);
    console.log(`| ${r.scenario} | ${r.figure} | ${r.reference} | ${ratio} | ${r.target ?? ''} |`);
  }
}

/** Counts the SQL statements the gateway runs while `fn` runs. */
export const countStatements = (app: App, fn: () => Promise<unknown>): Promise<number> => countSql(app.orm, fn);
