import type { EntityManager } from '@mikro-orm/core';
import type { DbDriver } from '../../config.js';

/**
 * Whether a run still holds its job (`JobRun.claim`), as one statement of the caller's own
 * transaction: on PostgreSQL it locks the job's row, so a takeover (which updates that row)
 * waits for the transaction to end, and every later transaction of the old run finds the claim
 * gone; SQLite's single writer orders them the same way. A handler whose writes must not
 * outlive its lease runs this in each of them (after locking its own row, the order every
 * writer of both rows keeps).
 */
export const claimHoldsSql = (driver: DbDriver): string => `select 1 as held from jobs where id = ? and locked_by = ?${driver === 'postgresql' ? ' for update' : ''}`;

/** What a run's lost claim fails with: its work is the other claim's now. */
export const CLAIM_LOST = 'this run lost its claim on the job (another process took it over after its lease lapsed)';

/** Throws CLAIM_LOST unless the run still holds the job, inside `em`'s transaction. */
export async function assertClaim(em: EntityManager, driver: DbDriver, job: { id: string; claim: string }): Promise<void> {
  const rows = await (em as unknown as { execute(sql: string, params: unknown[]): Promise<unknown[]> }).execute(claimHoldsSql(driver), [job.id, job.claim]);
  if (!rows.length) throw new Error(CLAIM_LOST);
}
