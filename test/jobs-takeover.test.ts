import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runTakeover, type TakeoverReport } from '../bench/jobs-takeover.js';
import { TEST_REDIS_URL } from './helpers/process.js';
import { driver, PG_ADMIN_URL } from './helpers/server.js';

const describeOnPostgres = driver === 'postgresql' ? describe : describe.skip;

/**
 * Two built servers on one PostgreSQL database, one killed with SIGKILL while it holds a job
 * mid-way (bench/jobs-takeover.ts): the other takes the job over once its lease lapsed, every job
 * is completed exactly once by one process, every document ends ready. Once as is, once with
 * both processes on Redis too (as a deployment of several processes would be).
 */
describeOnPostgres('job takeover across processes', () => {
  const check = (r: TakeoverReport) => {
    console.log(
      `job takeover (postgresql${r.redis ? ', redis' : ''}): ${r.acknowledged} documents, ${r.heldAtKill} held by the killed process, ` +
        `${r.doneByKilled} completed by it before the kill, ${r.doneBySurvivor} by the survivor (${r.takenOver} taken over, claimed ${r.claimAfterLapseMs.join(', ')} ms after the lease lapsed); ` +
        `${r.ready} ready, settled ${(r.settleMs / 1000).toFixed(1)} s after the kill; ${r.violations.length} violations`,
    );
    expect(r.violations).toEqual([]);
    expect(r.acknowledged).toBe(r.documents);
    expect(r.ready).toBe(r.documents);
    // The kill came while the process held a job, which the survivor finished: otherwise nothing was taken over.
    expect(r.heldAtKill).toBeGreaterThan(0);
    expect(r.takenOver).toBe(r.heldAtKill);
    expect(r.doneByKilled + r.doneBySurvivor).toBe(r.documents);
  };

  it('hands the job of a killed process to the other after its lease', async () => {
    expect(existsSync('dist/src/main.js'), 'dist/src/main.js is missing: build first (npm run build)').toBe(true);
    check(await runTakeover({ documents: 10, pgAdminUrl: PG_ADMIN_URL }));
  }, 300_000);

  it('does the same with both processes on Redis', async () => {
    check(await runTakeover({ documents: 10, pgAdminUrl: PG_ADMIN_URL, redisUrl: TEST_REDIS_URL }));
  }, 300_000);
});
