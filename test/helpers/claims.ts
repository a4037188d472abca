import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { JobRun } from '../../src/jobs/queue.js';
import { CLAIM_LOST } from '../../src/db/queue/claim.js';
import type { TestServer } from './server.js';

/**
 * A claim on a job that a test holds (a `running` row of a queue no one serves, leased an hour
 * ahead), as the queue gives a handler in `JobRun.claim`; `takeOver` moves it to another run, as
 * a process taking over a lapsed lease does.
 */
export async function heldClaim(server: TestServer): Promise<{ jobId: string; lockedBy: string; takeOver(): Promise<{ jobId: string; lockedBy: string }> }> {
  const conn = server.app.orm.em.fork().getConnection();
  const token = () => `test/${randomUUID().replaceAll('-', '')}`;
  const claim = { jobId: randomUUID(), lockedBy: token() };
  const far = Date.now() + 3_600_000;
  await conn.execute(
    `insert into jobs (id, queue, payload, state, attempts, max_attempts, run_at, locked_by, locked_until, created_at, updated_at) values (?, 'test.claim', 'null', 'running', 1, 2, ?, ?, ?, ?, ?)`,
    [claim.jobId, far, claim.lockedBy, far, Date.now(), Date.now()],
  );
  return {
    ...claim,
    async takeOver() {
      const next = { jobId: claim.jobId, lockedBy: token() };
      await conn.execute('update jobs set locked_by = ?, attempts = 2 where id = ?', [next.lockedBy, claim.jobId]);
      return next;
    },
  };
}

/**
 * The knowledge module's ingestion job run for `documentId` under `claim` (whichever path the
 * database takes: a worker thread, or the serving thread for SQLite in memory).
 */
export function runIngestion(server: TestServer, documentId: string, claim: { jobId: string; lockedBy: string }): Promise<void> {
  const job: JobRun = { id: claim.jobId, claim: claim.lockedBy, attempt: 1, maxAttempts: 2, em: server.app.orm.em.fork(), signal: new AbortController().signal };
  return (server.app.services.knowledge as unknown as { ingest(id: string, job: JobRun, reading: null): Promise<void> }).ingest(documentId, job, null);
}

/**
 * A run whose claim another run took over writes nothing more: it neither clears nor completes
 * what is indexed (a process stalled past its lease while another took its job), and the run that
 * took over indexes the document once.
 */
export async function expectStaleRunWritesNothing(server: TestServer, documentId: string): Promise<void> {
  const conn = server.app.orm.em.fork().getConnection();
  const counts = async () => {
    const [r] = (await conn.execute(
      'select d.status, (select count(*) from document_chunks c where c.document_id = d.id) as chunks, (select count(*) from search_entries s where s.document_id = d.id) as entries from documents d where d.id = ?',
      [documentId],
    )) as { status: string; chunks: number; entries: number }[];
    return { status: r!.status, chunks: Number(r!.chunks), entries: Number(r!.entries) };
  };
  const indexed = await counts();
  expect(indexed.status).toBe('ready');
  expect(indexed.chunks).toBeGreaterThan(0);
  // Processing again (as a job run twice would find it), under a claim then taken over.
  await conn.execute(`update documents set status = 'processing' where id = ?`, [documentId]);
  const claim = await heldClaim(server);
  const current = await claim.takeOver();
  await expect(runIngestion(server, documentId, claim)).rejects.toThrow(CLAIM_LOST);
  expect(await counts()).toEqual({ ...indexed, status: 'processing' });
  // The run that holds the job indexes it, once.
  await runIngestion(server, documentId, current);
  expect(await counts()).toEqual(indexed);
}
