import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runIngestionCrash } from '../bench/jobs-crash.js';
import { driver, PG_ADMIN_URL } from './helpers/server.js';

/**
 * Crash safety of ingestion: SIGKILL of the built server while it ingests documents, then a
 * restart on the same database and data directory (bench/jobs-crash.ts). Every accepted document
 * ends ready (or failed with a reason), none stuck, none lost, none indexed twice.
 */
describe('ingestion crash safety', () => {
  it('finishes every accepted document after a SIGKILL during ingestion', async () => {
    expect(existsSync('dist/src/main.js'), 'dist/src/main.js is missing: build first (npm run build)').toBe(true);
    const r = await runIngestionCrash({ driver, documents: 20, pgAdminUrl: PG_ADMIN_URL });
    console.log(
      `ingestion crash (${driver}): ${r.acknowledged} uploads acknowledged, ${r.interrupted} cut by the kill, ${r.processingAtKill} processing at the kill; ` +
        `after the restart ${r.ready} ready, ${r.failed} failed, settled in ${(r.settleMs / 1000).toFixed(1)} s; ${r.violations.length} violations`,
    );
    expect(r.violations).toEqual([]);
    // The kill came while documents were being ingested: otherwise the test proves nothing.
    expect(r.processingAtKill).toBeGreaterThan(0);
    expect(r.acknowledged).toBeGreaterThan(0);
    expect(r.ready + r.failed).toBeGreaterThanOrEqual(r.acknowledged);
  }, 300_000);
});
