import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { driver } from './helpers/server.js';
import { outwaitingBusy, SERVE_FIRST_MAX_MS, serveFirst, turnEnded, writeTurnsOf, type BusyWait } from '../src/db/durable-sqlite.js';

/**
 * The serving thread's statements go before a writing thread's next transaction
 * (src/db/durable-sqlite.ts, WriteTurns). The thread here writes as the document writers do
 * (src/modules/knowledge/extract-worker.ts, the same two functions in its source): one short
 * transaction after another with nothing between them, on its own connection to the same file.
 * Without the turns, a statement of this thread trying again on timers finds the lock free only
 * in the microseconds between two of those transactions: it waited for the thread's last one.
 * (That the statement is tried again the moment a transaction ends, not at the next interval, is
 * a matter of latency, measured in jobs-throughput rather than asserted here.)
 */

interface Statement {
  run(...params: unknown[]): unknown;
}
interface Connection {
  exec(sql: string): void;
  prepare(sql: string): Statement;
  pragma(source: string): unknown;
  close(): void;
}
const require = createRequire(import.meta.url);
/** Atomics.waitAsync (ES2024, in Node since 16): resolves when [i] of `a` is no longer `v` or after `ms`. */
const waitAsync = (a: Int32Array, i: number, v: number, ms: number): { value: unknown } =>
  (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number, ms: number): { value: unknown } }).waitAsync(a, i, v, ms);
const Database = require('better-sqlite3') as new (file: string, options?: { timeout?: number }) => Connection;

/** The writing thread: up to `total` transactions, each holding the lock about 3 ms, back to back; [0] of `progress` counts those done, [1] set stops it. */
const WRITER = `
const { workerData } = require('node:worker_threads');
const SERVE_FIRST_MAX_MS = ${SERVE_FIRST_MAX_MS};
${String(serveFirst)}
${String(turnEnded)}
const { file, turns, progress, total, honour } = workerData;
const Database = require(${JSON.stringify(require.resolve('better-sqlite3'))});
const h = new Database(file, { timeout: 60000 });
const insert = h.prepare('insert into t (who) values (?)');
for (let i = 0; i < total && Atomics.load(progress, 1) === 0; i++) {
  if (honour) serveFirst(turns, SERVE_FIRST_MAX_MS);
  h.exec('begin immediate');
  insert.run('thread');
  const until = Date.now() + 3;
  while (Date.now() < until);
  h.exec('commit');
  if (honour) turnEnded(turns);
  Atomics.add(progress, 0, 1);
}
h.close();
`;

// SQLite's own locking, whichever database the rest of the suite runs on: once.
describe.skipIf(driver !== 'sqlite')('the serving thread’s turn at the write lock', () => {
  let dir: string;
  let file: string;
  let db: Connection;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'xt-turns-'));
    file = join(dir, 'turns.sqlite3');
    db = new Database(file, { timeout: 0 });
    db.pragma('journal_mode = WAL');
    db.exec('create table t (id integer primary key, who text not null)');
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Starts the writing thread, and resolves once it has committed a few transactions. */
  async function writer(total: number, honour: boolean): Promise<{ progress: Int32Array; done: Promise<void> }> {
    const progress = new Int32Array(new SharedArrayBuffer(8));
    const w = new Worker(WRITER, { eval: true, workerData: { file, turns: writeTurnsOf(file), progress, total, honour } });
    const done = new Promise<void>((resolve, reject) => {
      w.once('error', reject);
      w.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`the writing thread exited with ${code}`))));
    });
    // (A thread that fails says so here rather than leaving this loop waiting.)
    const failure: { error?: Error } = {};
    done.catch((e: unknown) => (failure.error = e instanceof Error ? e : new Error(String(e))));
    while (Atomics.load(progress, 0) < 3) {
      if (failure.error) throw failure.error;
      await waitAsync(progress, 0, Atomics.load(progress, 0), 50).value;
    }
    return { progress, done };
  }

  const wait = (): BusyWait => ({ timeoutMs: 120_000, turns: writeTurnsOf(file) });

  it('writes between two of the thread’s transactions, not after its last', async () => {
    const total = 3000; // about 9 s of transactions
    const { progress, done } = await writer(total, true);
    const behind: number[] = [];
    for (let i = 0; i < 5; i++) {
      const before = Atomics.load(progress, 0);
      const r = outwaitingBusy(() => db.prepare('insert into t (who) values (?)').run('serving'), wait());
      if (r instanceof Promise) await r;
      behind.push(Atomics.load(progress, 0) - before);
    }
    const after = Atomics.load(progress, 0);
    Atomics.store(progress, 1, 1);
    await done;
    // Each write waited for the transaction in progress and maybe one more (the thread gives way
    // for SERVE_FIRST_MAX_MS at a time: a descheduled event loop lets it go on meanwhile), never
    // for the thousands left.
    expect(after).toBeLessThan(total);
    for (const n of behind) expect(n).toBeLessThan(100);
    const rows = db.prepare("select count(*) as n from t where who = 'serving'") as unknown as { get(): { n: number } };
    expect(rows.get().n).toBe(5);
  });

  it('the thread holds back no longer than SERVE_FIRST_MAX_MS for a statement that does not take its turn', async () => {
    const turns = writeTurnsOf(file);
    // A statement of the serving thread counted in as waiting (the lock is another process's, say)...
    Atomics.add(turns, 0, 1);
    try {
      const { progress, done } = await writer(5, true);
      await done;
      // ...does not stop the thread: each of its transactions waited SERVE_FIRST_MAX_MS at most
      // (held back for ever, the thread would not have ended).
      expect(Atomics.load(progress, 0)).toBe(5);
    } finally {
      Atomics.sub(turns, 0, 1);
    }
  });

  it('keeps the process alive while a statement waits (a pending Atomics.waitAsync does not)', async () => {
    const other = new Database(file, { timeout: 0 });
    try {
      other.exec('begin immediate');
      const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
      const before = timers();
      const write = outwaitingBusy(() => db.prepare('insert into t (who) values (?)').run('serving'), wait());
      // A CLI whose one pending work was this retry exited, its write undone: a timer holds the process.
      expect(timers()).toBeGreaterThan(before);
      other.exec('rollback');
      await write;
    } finally {
      other.close();
    }
  });

  it('one array of turns per file, whatever path names it', () => {
    expect(writeTurnsOf(file)).toBe(writeTurnsOf(relative(process.cwd(), file)));
    expect(writeTurnsOf(file)).not.toBe(writeTurnsOf(join(dir, 'other.sqlite3')));
  });
});
