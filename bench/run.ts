/**
 * Benchmarks, loopback only and bounded in time. Each scenario is printed next to a
 * reference measured in the same run (GET /healthz: the HTTP stack with no work), and the
 * ratio, because absolute figures on a shared 2-core machine are noise.
 *
 *   npm run bench              embedded SQLite (in-memory)
 *   BENCH_DB=postgresql npm run bench
 *   BENCH_SECONDS=5 npm run bench
 */
import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createScratchDatabase } from '../src/db/scratch.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const DB = process.env.BENCH_DB === 'postgresql' ? 'postgresql' : 'sqlite';
const PG_ADMIN = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

interface Scenario {
  name: string;
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

async function measure(url: string, s: Scenario) {
  const result = await autocannon({
    url: url + s.path,
    method: s.method,
    headers: s.headers,
    body: s.body,
    connections: CONNECTIONS,
    duration: SECONDS,
  });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${s.name}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'xt-bench-'));
  const scratch = DB === 'postgresql' ? await createScratchDatabase(PG_ADMIN, 'xt_bench') : null;
  const config = loadConfig({
    NODE_ENV: 'production',
    JWT_SECRET: 'bench-secret-that-is-long-enough-for-hs256',
    DATA_DIR: dataDir,
    DATABASE_URL: scratch?.url ?? 'sqlite::memory:',
    LOG_LEVEL: 'silent',
    PORT: '0',
  });
  const app = await buildApp(config);
  await app.server.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.server.address();
  const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  try {
    const json = { 'content-type': 'application/json' };
    await fetch(`${url}/api/auth/register`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ email: 'bench@example.com', username: 'bench', password: 'bench password' }),
    });
    const login = (await (
      await fetch(`${url}/api/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ username: 'bench', password: 'bench password' }) })
    ).json()) as { access_token: string };
    const auth = { authorization: `Bearer ${login.access_token}` };

    const reference: Scenario = { name: 'GET /healthz (reference)', method: 'GET', path: '/healthz' };
    const scenarios: Scenario[] = [
      { name: 'REST GET /api/auth/me', method: 'GET', path: '/api/auth/me', headers: auth },
      { name: 'GraphQL { me }', method: 'POST', path: '/graphql', headers: { ...json, ...auth }, body: JSON.stringify({ query: '{ me { id username email } }' }) },
      { name: 'GET /readyz (one SQL round trip)', method: 'GET', path: '/readyz' },
    ];

    await measure(url, { ...reference }); // warm-up
    const ref = await measure(url, reference);
    const rows = [{ name: reference.name, ...ref, ratio: 1 }];
    for (const s of scenarios) {
      const m = await measure(url, s);
      rows.push({ name: s.name, ...m, ratio: m.rps / ref.rps });
    }

    console.log(`\nXentree gateway benchmark: ${DB}, ${CONNECTIONS} connections, ${SECONDS}s each, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), node ${process.version}\n`);
    console.log('| scenario | req/s | p50 ms | p99 ms | req/s vs reference |');
    console.log('|---|---:|---:|---:|---:|');
    for (const r of rows) {
      console.log(`| ${r.name} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.ratio.toFixed(2)} |`);
    }
  } finally {
    await app.close();
    await scratch?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
