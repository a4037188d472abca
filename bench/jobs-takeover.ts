import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createScratchDatabase } from '../src/db/scratch.js';
import { plainText } from '../test/helpers/hostile-documents.js';
import { until } from '../test/helpers/wait.js';
import { openDb, startProcess } from './hardening-crash.js';
import { printTable } from './lib.js';

/**
 * Two gateway processes (the built server, dist/src/main.js) share one PostgreSQL database and
 * one DATA_DIR, each running one job at a time. Documents are uploaded to both; once the first
 * process has completed a job and the jobs table shows another held by it (its claim names the
 * process: `<host>:<pid>/…`) whose document already has passages written, it is killed with SIGKILL. The other
 * must take the job over once its lease (JOBS_LEASE_MS) lapsed, and not before, and finish it.
 *
 * Checked, from the database and from both processes' logs (every job done is logged once, by
 * the claim that completed it, with its attempt number): every accepted document ends `ready`
 * with its passages once, none stuck or lost; each job was completed exactly once, by one
 * process; a job the killed process held was completed by the survivor on attempt 2, claimed
 * after the killed process's lease lapsed; every other job on attempt 1 (claimed once: it ran on
 * one process only); no job left, none dead; no process finished a job whose lease it had lost.
 * With `redis`, both processes also share Redis (events, rate limits), as a deployment would.
 *
 * Used by test/jobs-takeover.test.ts and `npm run bench -- jobs-takeover` (PostgreSQL;
 * TAKEOVER_DOCUMENTS, default 10; TAKEOVER_REDIS=1 to add Redis).
 */
export interface TakeoverReport {
  redis: boolean;
  documents: number;
  leaseMs: number;
  acknowledged: number;
  /** Jobs the killed process held at the kill (read from the jobs table once it was dead). */
  heldAtKill: number;
  /** Jobs completed by each process, from their logs. */
  doneByKilled: number;
  doneBySurvivor: number;
  /** Held jobs the survivor completed, on attempt 2. */
  takenOver: number;
  /** For each held job whose takeover was seen in the table: from its lease's lapse to the survivor's claim (ms). */
  claimAfterLapseMs: number[];
  /** From the kill until every document was settled (ms). */
  settleMs: number;
  ready: number;
  failed: number;
  violations: string[];
}

interface Done {
  process: 'killed' | 'survivor';
  job: string;
  ref: string;
  attempt: number;
}

export async function runTakeover(opts: { documents: number; pgAdminUrl?: string; redisUrl?: string; leaseMs?: number }): Promise<TakeoverReport> {
  const leaseMs = opts.leaseMs ?? 4000;
  const dataDir = mkdtempSync(join(tmpdir(), 'xt-jobs-takeover-'));
  const scratch = await createScratchDatabase(opts.pgAdminUrl ?? 'postgres://postgres@127.0.0.1:5432/postgres', 'xt_jobs_takeover');
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    DATABASE_URL: scratch.url,
    JWT_SECRET: 'takeover-test-secret-that-is-long-enough-for-hs256',
    // Info: each job done is a log line (attempt, process), read from both processes' stdout.
    LOG_LEVEL: 'info',
    XEL_GRAMMAR_PRELOAD: 'false',
    RATE_LIMITS_ENABLED: 'false',
    // One job at a time per process: the kill finds the killed process's one job mid-way, and
    // every job it finished before was logged well before (it claims the next one only after).
    JOBS_CONCURRENCY: '1',
    JOBS_LEASE_MS: String(leaseMs),
    JOBS_POLL_INTERVAL_MS: '200',
    JOBS_RETRY_BASE_MS: '200',
    ...(opts.redisUrl ? { REDIS_URL: opts.redisUrl, REDIS_KEY_PREFIX: `xt-takeover-${randomBytes(6).toString('hex')}:` } : {}),
  };
  const violations: string[] = [];
  const done: Done[] = [];
  const logReader = (proc: Done['process']) => (line: string) => {
    if (!line.startsWith('{')) return;
    let entry: { msg?: string; queue?: string; job?: string; ref?: string; attempt?: number };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      return;
    }
    if (entry.queue !== 'knowledge.ingest') return;
    if (entry.msg === 'job done') done.push({ process: proc, job: entry.job!, ref: entry.ref!, attempt: Number(entry.attempt) });
    else if (entry.msg?.startsWith('job finished after its lease was taken over')) violations.push(`the ${proc} process finished job ${entry.job} after losing its lease`);
  };
  // The process to be killed names its database connections (node-postgres reads PGAPPNAME), so
  // that once it is frozen the harness can see when none of its statements is still running.
  const killedApp = `xt-takeover-killed-${randomBytes(4).toString('hex')}`;
  const killed = await startProcess({ ...env, PGAPPNAME: killedApp }, logReader('killed'));
  let survivor: Awaited<ReturnType<typeof startProcess>> | null = null;
  const db = await openDb('postgresql', scratch.url);
  try {
    survivor = await startProcess(env, logReader('survivor'));
    const json = { 'content-type': 'application/json' };
    const reg = await fetch(`${killed.url}/api/auth/register`, { method: 'POST', headers: json, body: JSON.stringify({ email: 'takeover@example.com', username: 'takeover', password: 'takeover test password' }) });
    if (reg.status !== 201) throw new Error(`register: ${reg.status} ${await reg.text()}`);
    const login = await fetch(`${killed.url}/api/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ username: 'takeover', password: 'takeover test password' }) });
    const token = ((await login.json()) as { access_token: string }).access_token;

    // Texts of 600,000 to 900,000 characters (about 800 to 1,200 passages, written 50 per
    // transaction): each job lasts long enough to be caught mid-way. Uploaded to both processes.
    const acknowledged = new Map<string, string>();
    await Promise.all(
      Array.from({ length: opts.documents }, async (_, i) => {
        const url = (i % 2 ? survivor! : killed).url;
        const res = await fetch(`${url}/api/knowledge/documents`, {
          method: 'POST',
          headers: { ...json, authorization: `Bearer ${token}` },
          body: JSON.stringify({ title: `doc-${i}`, content: `# Document ${i}\n\n${plainText(600_000 + (i % 4) * 100_000)}` }),
        });
        const body = (await res.json()) as { id?: string };
        if (res.status !== 201 || !body.id) throw new Error(`upload doc-${i}: ${res.status} ${JSON.stringify(body)}`);
        acknowledged.set(body.id, `doc-${i}`);
      }),
    );

    // The moment: once the first process has completed a job (both take part), a job it holds
    // whose document has passages written already.
    const mine = `locked_by like '%:${killed.child.pid}/%'`;
    const midway = () =>
      db.all<{ n: number }>(
        `select count(*) as n from jobs j where j.queue = 'knowledge.ingest' and j.state = 'running' and ${mine}
           and exists (select 1 from document_chunks c where c.document_id::text = j.ref)`,
      );
    // Caught for certain: the process is frozen (SIGSTOP) once it has a job mid-way, its statements
    // already sent are let finish (none of its connections active), and the job is asked about
    // again; still held, it is killed, else the process goes on (SIGCONT) and the wait goes on.
    // Killing on the first sight alone raced the job's end on a fast machine: a job finished in
    // the milliseconds between, its "job done" line never written.
    const quiet = async () => Number((await db.all<{ n: number }>(`select count(*) as n from pg_stat_activity where application_name = ? and state = 'active'`, [killedApp]))[0]!.n) === 0;
    await until(
      async () => {
        if (!done.some((d) => d.process === 'killed') || Number((await midway())[0]!.n) === 0) return false;
        killed.child.kill('SIGSTOP');
        await until(quiet, 60_000, 'the frozen process\'s statements finished');
        if (Number((await midway())[0]!.n) > 0) return true;
        killed.child.kill('SIGCONT');
        return false;
      },
      180_000,
      'a job of the first process caught mid-way, after one it completed',
    );
    killed.child.kill('SIGKILL');
    const killedAt = Date.now();
    await killed.exited;

    // What the dead process held: running, its lease no longer extended by anyone.
    const held = await db.all<{ id: string; ref: string; attempts: number; locked_until: string }>(`select id, ref, attempts, locked_until from jobs where state = 'running' and ${mine}`);
    if (!held.length) violations.push('the killed process held no job once it was dead');
    const lapse = new Map(held.map((h) => [h.id, Number(h.locked_until)]));
    const claimAfterLapseMs: number[] = [];
    const seen = new Set<string>();

    // Until every document is settled: watch the held jobs being claimed again (by the survivor).
    let settleMs = 0;
    await until(
      async () => {
        if (seen.size < held.length) {
          const rows = await db.all<{ id: string; locked_by: string | null; updated_at: string; attempts: number }>(
            `select id, locked_by, updated_at, attempts from jobs where id in (${held.map(() => '?').join(', ')})`,
            held.map((h) => h.id),
          );
          for (const r of rows) {
            if (seen.has(r.id) || !r.locked_by || r.locked_by.includes(`:${killed.child.pid}/`)) continue;
            seen.add(r.id);
            // The claim's time is the row's updated_at (the survivor's clock, the same machine's).
            const after = Number(r.updated_at) - lapse.get(r.id)!;
            claimAfterLapseMs.push(after);
            if (after < 0) violations.push(`job ${r.id} was claimed again ${-after} ms before the killed process's lease lapsed`);
            if (!r.locked_by.includes(`:${survivor!.child.pid}/`)) violations.push(`job ${r.id} was claimed again by an unknown process (${r.locked_by})`);
          }
        }
        const [left] = await db.all<{ n: number }>("select (select count(*) from documents where status = 'processing') + (select count(*) from jobs where queue = 'knowledge.ingest') as n");
        settleMs = Date.now() - killedAt;
        return Number(left!.n) === 0;
      },
      240_000,
      'every document settled after the kill',
    );
    // The survivor's last lines may trail its last commit.
    await until(() => new Set(done.map((d) => d.ref)).size >= acknowledged.size, 60_000, 'a job done line for every document').catch(() => undefined);

    const rows = await db.all<{ id: string; title: string; status: string; error: string | null; chunk_count: number; chunks: number; entries: number }>(
      `select d.id, d.title, d.status, d.error, d.chunk_count,
              (select count(*) from document_chunks c where c.document_id = d.id) as chunks,
              (select count(*) from search_entries s where s.document_id = d.id) as entries
       from documents d`,
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const [id, title] of acknowledged) if (!byId.has(id)) violations.push(`acknowledged ${title} (${id}) is lost`);
    for (const r of rows) {
      if (r.status !== 'ready') violations.push(`${r.title} is ${r.status}${r.error ? ` (${r.error})` : ''}`);
      else if (Number(r.chunks) !== Number(r.chunk_count) || Number(r.entries) !== Number(r.chunk_count)) violations.push(`${r.title}: ${r.chunk_count} passages said, ${r.chunks} stored, ${r.entries} indexed`);
    }
    const dead = await db.all<{ id: string; queue: string; last_error: string | null }>("select id, queue, last_error from jobs where state = 'dead'");
    for (const j of dead) violations.push(`${j.queue} job ${j.id} is dead: ${j.last_error}`);

    // Each document's job completed exactly once, by one process, on the expected attempt.
    const heldRefs = new Map(held.map((h) => [h.ref, h]));
    for (const [id, title] of acknowledged) {
      const completions = done.filter((d) => d.ref === id);
      if (completions.length !== 1) {
        violations.push(`${title}: its job was completed ${completions.length} times (${completions.map((c) => `${c.process}, attempt ${c.attempt}`).join('; ')})`);
        continue;
      }
      const [c] = completions;
      const h = heldRefs.get(id);
      if (h) {
        if (c!.process !== 'survivor' || c!.attempt !== Number(h.attempts) + 1) violations.push(`${title}: held by the killed process on attempt ${h.attempts}, completed by the ${c!.process} on attempt ${c!.attempt}`);
      } else if (c!.attempt !== 1) violations.push(`${title}: completed on attempt ${c!.attempt} though no process holding it died (claimed more than once)`);
    }
    return {
      redis: Boolean(opts.redisUrl),
      documents: opts.documents,
      leaseMs,
      acknowledged: acknowledged.size,
      heldAtKill: held.length,
      doneByKilled: done.filter((d) => d.process === 'killed').length,
      doneBySurvivor: done.filter((d) => d.process === 'survivor').length,
      takenOver: done.filter((d) => d.process === 'survivor' && heldRefs.has(d.ref) && d.attempt === Number(heldRefs.get(d.ref)!.attempts) + 1).length,
      claimAfterLapseMs,
      settleMs,
      ready: rows.filter((r) => r.status === 'ready').length,
      failed: rows.filter((r) => r.status === 'failed').length,
      violations,
    };
  } finally {
    await db.close();
    for (const s of [killed, survivor]) {
      if (!s) continue;
      s.child.kill('SIGKILL');
      await s.exited;
    }
    await scratch.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function jobsTakeoverBench(): Promise<void> {
  const redisUrl = process.env.TAKEOVER_REDIS ? (process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379') : undefined;
  const r = await runTakeover({ documents: Number(process.env.TAKEOVER_DOCUMENTS ?? 10), pgAdminUrl: process.env.TEST_POSTGRES_URL, redisUrl });
  const row = (scenario: string, figure: string) => ({ scenario, figure, reference: '', ratio: null, target: '' });
  printTable(`Job takeover (PostgreSQL${r.redis ? ' and Redis' : ''}): two processes, one killed with SIGKILL mid-job; ${r.documents} documents, lease ${r.leaseMs} ms; counts must be exact`, [
    row('uploads acknowledged', String(r.acknowledged)),
    row('jobs held by the killed process at the kill', String(r.heldAtKill)),
    row('jobs completed by the killed process (before the kill)', String(r.doneByKilled)),
    row('jobs completed by the survivor', String(r.doneBySurvivor)),
    row('held jobs taken over and completed by the survivor (attempt 2)', String(r.takenOver)),
    row('claim after the lease lapsed (ms)', r.claimAfterLapseMs.map((m) => m.toFixed(0)).join(', ') || 'not seen'),
    row('ready / failed', `${r.ready} / ${r.failed}`),
    row('kill until all settled', `${(r.settleMs / 1000).toFixed(1)} s`),
    row('violations', String(r.violations.length)),
  ]);
  for (const v of r.violations) console.log(`  ${v}`);
}
