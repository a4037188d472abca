import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCrashCycles } from '../bench/hardening-crash.js';
import { driver, PG_ADMIN_URL } from './helpers/server.js';

/**
 * Crash safety, fast variant: one SIGKILL of the built server under a write load (chat
 * turns, transcript saves, XEL submissions, live heartbeats), then a restart on the same
 * database. Every acknowledged write must be there, nothing half-written, and the live
 * sessions open at the crash settled at their last sign of life. The many-cycle version:
 * `npm run bench -- hardening-crash` (bench/hardening-crash.ts).
 */
describe('crash safety', () => {
  it('keeps every acknowledged write and settles open live sessions after a SIGKILL under load', async () => {
    expect(existsSync('dist/src/main.js'), 'dist/src/main.js is missing: run the tests with npm test, which builds first').toBe(true);
    const r = await runCrashCycles({ driver, cycles: 1, loadMs: 1500, pgAdminUrl: PG_ADMIN_URL });
    console.log(
      `crash safety (${driver}): ${r.cycles} SIGKILL under load; acknowledged ${r.acknowledged.chat} chat turns, ${r.acknowledged.transcripts} transcripts, ` +
        `${r.acknowledged.xel} XEL submissions, ${r.acknowledged.heartbeats} heartbeats; ${r.interrupted} requests cut by the kill; ` +
        `${r.sessionsSettled} open live sessions settled after the restart; ${r.violations.length} violations`,
    );
    expect(r.violations).toEqual([]);
    // The load did write, and the kill did cut requests: otherwise the test proves nothing.
    expect(r.acknowledged.chat).toBeGreaterThan(0);
    expect(r.acknowledged.transcripts).toBeGreaterThan(0);
    expect(r.acknowledged.xel).toBeGreaterThan(0);
    expect(r.acknowledged.heartbeats).toBeGreaterThan(0);
    expect(r.interrupted).toBeGreaterThan(0);
  }, 120_000);
});
