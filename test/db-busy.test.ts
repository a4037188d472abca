import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MikroORM } from '@mikro-orm/core';
import type { EntityManager as SqlEntityManager } from '@mikro-orm/sql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { isDatabaseUnavailable } from '../src/common/unavailable.js';
import { busyTimeoutOf, retryWhileBusy } from '../src/db/durable-sqlite.js';
import { openDatabase } from '../src/db/orm.js';
import { allEntities } from '../src/modules/index.js';
import { driver } from './helpers/server.js';

/**
 * A statement that finds SQLite's write lock taken by another connection (a document reader's,
 * another process's) waits for it on timers, not by sleeping the event loop
 * (src/db/durable-sqlite.ts). The other connection here is in this very thread: had the wait
 * slept the thread, nothing could release the lock until the busy timeout had passed, and the
 * write would fail.
 */

/** better-sqlite3 (no type declarations in the tree): the little of it used here. */
interface SqliteConnection {
  exec(sql: string): void;
  pragma(source: string, options?: { simple: boolean }): unknown;
  close(): void;
}
const Database = createRequire(import.meta.url)('better-sqlite3') as new (file: string, options?: { timeout?: number }) => SqliteConnection;

const busy = () => Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });

describe('retryWhileBusy', () => {
  /** A clock that moves only when slept on, and the sleeps asked for. */
  const clock = () => {
    let t = 0;
    const slept: number[] = [];
    return { slept, now: () => t, sleep: async (ms: number) => void (slept.push(ms), (t += ms)) };
  };

  it('tries again at SQLite’s intervals until the lock is free', async () => {
    const c = clock();
    let tries = 0;
    const value = await retryWhileBusy(
      () => {
        if (++tries < 4) throw busy();
        return 'done';
      },
      5000,
      c.sleep,
      c.now,
    );
    expect(value).toBe('done');
    expect(tries).toBe(4);
    expect(c.slept).toEqual([1, 2, 5, 10].slice(0, 4));
  });

  it('gives up with SQLite’s own error once the timeout has passed, never sleeping past it', async () => {
    const c = clock();
    let tries = 0;
    const error = await retryWhileBusy(
      () => {
        tries++;
        throw busy();
      },
      30,
      c.sleep,
      c.now,
    ).catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe('SQLITE_BUSY');
    expect(c.slept.reduce((a, b) => a + b, 0)).toBe(30);
    expect(c.slept).toEqual([1, 2, 5, 10, 12]);
    expect(tries).toBe(5);
  });

  it('does not try again after any other failure (a stale snapshot is not cured by waiting)', async () => {
    const c = clock();
    let tries = 0;
    const error = await retryWhileBusy(
      () => {
        tries++;
        throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY_SNAPSHOT' });
      },
      5000,
      c.sleep,
      c.now,
    ).catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe('SQLITE_BUSY_SNAPSHOT');
    expect(tries).toBe(1);
  });
});

describe.skipIf(driver !== 'sqlite')('SQLite: waiting for another connection’s write lock', () => {
  let dir: string;
  let file: string;
  let orm: MikroORM;
  const fork = () => orm.em.fork() as unknown as SqlEntityManager;

  const open = async (busyTimeoutMs: number) => {
    const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: dir, JWT_SECRET: 'x'.repeat(40), LOG_LEVEL: 'silent', SQLITE_BUSY_TIMEOUT_MS: String(busyTimeoutMs) });
    return openDatabase(config.db, allEntities);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'xt-busy-'));
    file = join(dir, 'xentree.sqlite3');
    orm = await open(5000);
    await fork().execute('create table busy_probe (id integer primary key, v text not null)');
  });
  afterAll(async () => {
    await orm?.close(true);
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps SQLITE_BUSY_TIMEOUT_MS for its own waits and leaves SQLite’s busy timeout at 0', async () => {
    const native = (await (orm.em.getConnection() as unknown as { getNativeClient(): Promise<SqliteConnection> }).getNativeClient()) as SqliteConnection & object;
    expect(busyTimeoutOf(native)).toBe(5000);
    expect(native.pragma('busy_timeout', { simple: true })).toBe(0);
  });

  /** Runs `fn` while another connection on the file (in this thread) holds the write lock; `fn` ends it. */
  const withLockHeld = async (fn: (other: SqliteConnection) => Promise<void>) => {
    const other = new Database(file, { timeout: 0 });
    try {
      other.exec('begin immediate');
      await fn(other);
    } finally {
      other.close();
    }
  };
  /** Lets `n` timer turns pass, and answers whether `p` settled meanwhile. */
  const settledAfterTurns = async (p: Promise<unknown>, n: number) => {
    let settled = false;
    void p.then(
      () => (settled = true),
      () => (settled = true),
    );
    for (let i = 0; i < n; i++) await new Promise((r) => setTimeout(r, 1));
    return settled;
  };

  it('serves the event loop while it waits, and writes once the other connection commits', async () => {
    await withLockHeld(async (other) => {
      other.exec("insert into busy_probe (v) values ('other')");
      const write = fork().execute("insert into busy_probe (v) values ('ours')");
      // Timers run while the write waits: it has found the lock taken and not slept the thread.
      expect(await settledAfterTurns(write, 5)).toBe(false);
      other.exec('commit');
      await write;
    });
    expect(await fork().execute('select v from busy_probe order by id')).toEqual([{ v: 'other' }, { v: 'ours' }]);
  });

  it('commits a transaction whose first write waited, with everything it wrote', async () => {
    await withLockHeld(async (other) => {
      const tx = fork().transactional(async (em) => {
        await em.execute("insert into busy_probe (v) values ('tx 1')");
        await em.execute("insert into busy_probe (v) values ('tx 2')");
      });
      expect(await settledAfterTurns(tx, 3)).toBe(false);
      other.exec('rollback');
      await tx;
    });
    expect(await fork().execute("select v from busy_probe where v like 'tx %' order by id")).toEqual([{ v: 'tx 1' }, { v: 'tx 2' }]);
  });

  it('commits a transaction that reads before it writes while another connection writes, seeing what that one committed', async () => {
    await withLockHeld(async (other) => {
      other.exec("insert into busy_probe (v) values ('other meanwhile')");
      const tx = fork().transactional(async (em) => {
        const seen = await em.execute<{ n: number }[]>("select count(*) as n from busy_probe where v = 'other meanwhile'");
        await em.execute(`insert into busy_probe (v) values ('read ${seen[0]?.n} first')`);
      });
      expect(await settledAfterTurns(tx, 3)).toBe(false);
      // Begun deferred, the transaction read a snapshot from before this commit, and its write then
      // failed SQLITE_BUSY_SNAPSHOT (waiting does not cure it). Begun immediate, it waited to begin.
      other.exec('commit');
      await tx;
    });
    expect(await fork().execute("select v from busy_probe where v like 'read %'")).toEqual([{ v: 'read 1 first' }]);
  });

  /** A transaction left open on the connection's handle, `v` written in it (nothing in the gateway does this): BEGIN then fails either way. */
  const leaveOpen = async (v: string) => {
    const native = await (orm.em.getConnection() as unknown as { getNativeClient(): Promise<SqliteConnection> }).getNativeClient();
    native.exec('begin');
    native.exec(`insert into busy_probe (v) values ('${v}')`);
  };

  it('refuses a transaction it could not begin at all, rolls back what was left open, and serves what comes next', async () => {
    await leaveOpen('left open');
    const error = await fork()
      .transactional(async (em) => {
        await em.execute("insert into busy_probe (v) values ('refused')");
      })
      .catch((e: unknown) => e);
    expect(String((error as Error).message)).toMatch(/within a transaction/);
    // Neither ran in a transaction nobody commits, and the connection was not kept by Kysely.
    await fork().transactional(async (em) => {
      await em.execute("insert into busy_probe (v) values ('afterwards')");
    });
    expect(await fork().execute("select v from busy_probe where v in ('left open', 'refused', 'afterwards')")).toEqual([{ v: 'afterwards' }]);
  });

  it('runs nothing of a transaction it could not begin at all, even when its caller carries on past the first error', async () => {
    await leaveOpen('left open again');
    const error = await fork()
      .transactional(async (em) => {
        await em.execute("insert into busy_probe (v) values ('swallowed')").catch(() => undefined);
        // Run, this would write inside the transaction left open, and the COMMIT would commit both.
        await em.execute("insert into busy_probe (v) values ('carried on')");
      })
      .catch((e: unknown) => e);
    expect(String((error as Error).message)).toMatch(/within a transaction/);
    expect(await fork().execute("select v from busy_probe where v in ('left open again', 'swallowed', 'carried on')")).toEqual([]);
  });

  it('begins a read-only transaction without waiting for the write lock', async () => {
    await withLockHeld(async (other) => {
      other.exec("insert into busy_probe (v) values ('not yet')");
      // Begun IMMEDIATE, this would wait for the other connection (and fail after 5 s): it never lets go here.
      const rows = await fork().transactional((em) => em.execute("select count(*) as n from busy_probe where v = 'not yet'"), { readOnly: true });
      expect(rows).toEqual([{ n: 0 }]);
      other.exec('rollback');
    });
  });

  it('fails as the database being unavailable once the timeout has passed, having written nothing', async () => {
    const short = await open(50);
    try {
      await withLockHeld(async (other) => {
        const error = await (short.em.fork() as unknown as SqlEntityManager).execute("insert into busy_probe (v) values ('late')").catch((e: unknown) => e);
        expect(isDatabaseUnavailable(error)).toBe(true);
        other.exec('rollback');
      });
      expect(await fork().execute("select count(*) as n from busy_probe where v = 'late'")).toEqual([{ n: 0 }]);
    } finally {
      await short.close(true);
    }
  });

  it('fails a transaction that cannot take the lock as the database being unavailable, and the connection serves what comes next', async () => {
    const short = await open(50);
    try {
      const em = () => short.em.fork() as unknown as SqlEntityManager;
      await withLockHeld(async (other) => {
        const error = await em()
          .transactional(async (tx) => {
            await tx.execute("insert into busy_probe (v) values ('never')");
          })
          .catch((e: unknown) => e);
        expect(isDatabaseUnavailable(error)).toBe(true);
        other.exec('rollback');
      });
      // (Kysely keeps its connection when BEGIN throws: had it, this would wait for ever.)
      await em().transactional(async (tx) => {
        await tx.execute("insert into busy_probe (v) values ('next')");
      });
      expect(await fork().execute("select v from busy_probe where v in ('never', 'next')")).toEqual([{ v: 'next' }]);
    } finally {
      await short.close(true);
    }
  });
});
