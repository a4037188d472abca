import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createScratchDatabase } from '../src/db/scratch.js';
import { plainText } from '../test/helpers/hostile-documents.js';
import { openDb, startProcess } from './hardening-crash.js';
import { printTable } from './lib.js';

/**
 * Crash safety of ingestion: the built server (dist/src/main.js) accepts N documents at once and
 * is killed with SIGKILL while they are being ingested (some uploads still in flight), then
 * restarted on the same database and data directory. Checked, once no document is `processing`:
 * every acknowledged upload is there and `ready` (or `failed` with a reason), none is stuck or
 * lost; an unacknowledged upload is either absent or likewise finished; each ready document has
 * its passages once (a job run twice left one result) and its original file; no job is left
 * without its document, none dead.
 *
 * Used by test/jobs-crash.test.ts and `npm run bench -- jobs-crash` (CRASH_DOCUMENTS, default 50).
 */
export interface IngestionCrashReport {
  driver: 'sqlite' | 'postgresql';
  documents: number;
  acknowledged: number;
  /** Uploads cut by the kill (no answer). */
  interrupted: number;
  /** Documents still processing at the kill (read from the database after it). */
  processingAtKill: number;
  ready: number;
  failed: number;
  /** Restart until every document was settled (ms). */
  settleMs: number;
  violations: string[];
}

export async function runIngestionCrash(opts: { driver: 'sqlite' | 'postgresql'; documents: number; pgAdminUrl?: string }): Promise<IngestionCrashReport> {
  const dataDir = mkdtempSync(join(tmpdir(), 'xt-jobs-crash-'));
  const scratch = opts.driver === 'postgresql' ? await createScratchDatabase(opts.pgAdminUrl ?? 'postgres://postgres@127.0.0.1:5432/postgres', 'xt_jobs_crash') : null;
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    ...(scratch ? { DATABASE_URL: scratch.url } : {}),
    JWT_SECRET: 'crash-test-secret-that-is-long-enough-for-hs256',
    LOG_LEVEL: 'warn',
    XEL_GRAMMAR_PRELOAD: 'false',
    RATE_LIMITS_ENABLED: 'false',
    // A killed process's jobs are taken over after this lease (a restart is another process).
    JOBS_LEASE_MS: '3000',
    JOBS_POLL_INTERVAL_MS: '200',
    JOBS_RETRY_BASE_MS: '200',
  };
  const dbWhere = scratch ? scratch.url : join(dataDir, 'xentree.sqlite3');
  const violations: string[] = [];
  let server = await startProcess(env);
  try {
    const json = { 'content-type': 'application/json' };
    const reg = await fetch(`${server.url}/api/auth/register`, { method: 'POST', headers: json, body: JSON.stringify({ email: 'ingest@example.com', username: 'ingest', password: 'crash test password' }) });
    if (reg.status !== 201) throw new Error(`register: ${reg.status} ${await reg.text()}`);
    const login = await fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ username: 'ingest', password: 'crash test password' }) });
    const token = ((await login.json()) as { access_token: string }).access_token;
    // Texts of 150,000 to 400,000 characters: hundreds of passages each, so ingestion outlasts the uploads.
    const docs = Array.from({ length: opts.documents }, (_, i) => ({ title: `doc-${i}`, content: `# Document ${i}\n\n${plainText(150_000 + (i % 6) * 50_000)}` }));
    const acknowledged = new Map<string, string>();
    let interrupted = 0;
    let answered = 0;
    const uploads = docs.map(async (d) => {
      try {
        const res = await fetch(`${server.url}/api/knowledge/documents`, { method: 'POST', headers: { ...json, authorization: `Bearer ${token}` }, body: JSON.stringify(d) });
        const body = (await res.json()) as { id?: string; status?: string };
        if (res.status !== 201 || !body.id) throw new Error(`upload ${d.title}: ${res.status} ${JSON.stringify(body)}`);
        acknowledged.set(body.id, d.title);
      } catch (e) {
        if ((e as Error).message.startsWith('upload ')) violations.push((e as Error).message);
        else interrupted++;
      } finally {
        answered++;
      }
    });
    // Kill once most uploads were answered and ingestion is under way, some still in flight.
    const killAt = Math.ceil(opts.documents * 0.8);
    const deadline = Date.now() + 120_000;
    while (acknowledged.size < killAt && answered < docs.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    server.child.kill('SIGKILL');
    await server.exited;
    await Promise.all(uploads);

    const db = await openDb(opts.driver, dbWhere);
    let processingAtKill: number;
    try {
      processingAtKill = Number((await db.all<{ n: number }>("select count(*) as n from documents where status = 'processing'"))[0]!.n);
    } finally {
      await db.close();
    }

    const restarted = Date.now();
    server = await startProcess(env);
    const check = await openDb(opts.driver, dbWhere);
    try {
      // Settled: no document processing and no ingestion job waiting or running. A document is
      // marked ready by the thread that wrote it, on its own connection, and its job is done a
      // moment later on the serving thread's; a job whose document the killed process finished
      // stays held until its lease lapses, then is taken over and finds nothing left to do.
      for (;;) {
        const [row] = await check.all<{ n: number }>("select count(*) as n from documents where status = 'processing'");
        const [held] = await check.all<{ n: number }>("select count(*) as n from jobs where queue = 'knowledge.ingest' and state <> 'dead'");
        if (Number(row!.n) === 0 && Number(held!.n) === 0) break;
        if (Date.now() - restarted > 180_000) {
          if (Number(row!.n)) violations.push(`${row!.n} documents still processing 180 s after the restart`);
          break;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      const settleMs = Date.now() - restarted;
      const rows = await check.all<{ id: string; title: string; status: string; error: string | null; chunk_count: number; file_key: string | null; chunks: number; entries: number }>(
        `select d.id, d.title, d.status, d.error, d.chunk_count, d.file_key,
                (select count(*) from document_chunks c where c.document_id = d.id) as chunks,
                (select count(*) from search_entries s where s.document_id = d.id) as entries
         from documents d`,
      );
      const byId = new Map(rows.map((r) => [r.id, r]));
      for (const [id, title] of acknowledged) if (!byId.has(id)) violations.push(`acknowledged ${title} (${id}) is lost`);
      for (const r of rows) {
        if (r.status === 'failed' && !r.error) violations.push(`${r.title} failed without a reason`);
        if (r.status === 'ready') {
          if (Number(r.chunks) !== Number(r.chunk_count) || Number(r.entries) !== Number(r.chunk_count)) violations.push(`${r.title}: ${r.chunk_count} passages said, ${r.chunks} stored, ${r.entries} indexed`);
          if (!r.file_key || !existsSync(join(dataDir, 'uploads', r.file_key))) violations.push(`${r.title}: its original file is missing`);
        }
        if (r.status !== 'ready' && r.status !== 'failed') violations.push(`${r.title} is ${r.status}`);
      }
      // Ingestion jobs only: recurring ones (sweepers, scans) keep their one pending row between runs.
      const jobs = await check.all<{ id: string; ref: string | null; state: string; last_error: string | null }>(
        "select id, ref, state, last_error from jobs where queue = 'knowledge.ingest'",
      );
      const recurringDead = await check.all<{ id: string; queue: string; last_error: string | null }>("select id, queue, last_error from jobs where queue <> 'knowledge.ingest' and state = 'dead'");
      for (const j of recurringDead) violations.push(`${j.queue} job ${j.id} is dead: ${j.last_error}`);
      for (const j of jobs) {
        if (j.state === 'dead') violations.push(`job ${j.id} is dead: ${j.last_error}`);
        else if (!j.ref || !byId.has(j.ref)) violations.push(`job ${j.id} has no document`);
        else violations.push(`job ${j.id} is left ${j.state} though its document is settled`);
      }
      return {
        driver: opts.driver,
        documents: opts.documents,
        acknowledged: acknowledged.size,
        interrupted,
        processingAtKill,
        ready: rows.filter((r) => r.status === 'ready').length,
        failed: rows.filter((r) => r.status === 'failed').length,
        settleMs,
        violations,
      };
    } finally {
      await check.close();
    }
  } finally {
    server.child.kill('SIGKILL');
    await server.exited;
    await scratch?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function jobsCrashBench(): Promise<void> {
  const driver = process.env.BENCH_DB === 'postgresql' ? 'postgresql' : 'sqlite';
  const r = await runIngestionCrash({ driver, documents: Number(process.env.CRASH_DOCUMENTS ?? 50), pgAdminUrl: process.env.TEST_POSTGRES_URL });
  const row = (scenario: string, figure: string) => ({ scenario, figure, reference: '', ratio: null, target: '' });
  printTable(`Ingestion crash safety (${driver}): SIGKILL during the ingestion of ${r.documents} documents; counts must be exact`, [
    row('uploads acknowledged', String(r.acknowledged)),
    row('uploads cut by the kill', String(r.interrupted)),
    row('documents processing at the kill', String(r.processingAtKill)),
    row('ready after the restart', String(r.ready)),
    row('failed (with a reason)', String(r.failed)),
    row('restart until all settled', `${(r.settleMs / 1000).toFixed(1)} s`),
    row('violations', String(r.violations.length)),
  ]);
  for (const v of r.violations) console.log(`  ${v}`);
}
