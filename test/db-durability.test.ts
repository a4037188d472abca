import fs, { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MikroORM } from '@mikro-orm/core';
import type { EntityManager as SqlEntityManager } from '@mikro-orm/sql';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../src/config.js';
import { isDatabaseUnavailable } from '../src/common/unavailable.js';
import { walFlusherOf } from '../src/db/durable-sqlite.js';
import { openDatabase } from '../src/db/orm.js';
import { allEntities } from '../src/modules/index.js';
import { newUserInput } from './helpers/factories.js';
import { restClient } from './helpers/http.js';
import { driver, startServer, type TestServer } from './helpers/server.js';

/**
 * SQLite writes are durable when they return, with the WAL flushed off the event loop
 * (src/db/durable-sqlite.ts): the connection runs synchronous = NORMAL, and a commit (or a
 * write in autocommit) returns only after an fdatasync of the WAL file on the thread pool,
 * with the connection held until then.
 *
 * `fs.fdatasync` is held here (the flusher calls it through the module object) to see what
 * waits for it: the flush is observable, so nothing here sleeps.
 */
interface Held {
  fd: number;
  release(): void;
}
const held: Held[] = [];
let holding = false;
const realFdatasync = fs.fdatasync;

function holdFlushes(): void {
  holding = true;
  (fs as { fdatasync: unknown }).fdatasync = (fd: number, cb: (e: NodeJS.ErrnoException | null) => void) => {
    if (!holding) return realFdatasync(fd, cb);
    held.push({ fd, release: () => realFdatasync(fd, cb) });
  };
}
function releaseAll(): void {
  for (const h of held.splice(0)) h.release();
}

afterEach(() => {
  holding = false;
  releaseAll();
  (fs as { fdatasync: unknown }).fdatasync = realFdatasync;
});

describe.skipIf(driver !== 'sqlite')('SQLite: durable commits, flushed off the event loop', () => {
  let dir: string;
  let orm: MikroORM;
  /** A fresh fork, with `execute`. */
  const fork = () => orm.em.fork() as unknown as SqlEntityManager;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'xt-durable-'));
    const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: dir, JWT_SECRET: 'x'.repeat(40), LOG_LEVEL: 'silent' });
    orm = await openDatabase(config.db, allEntities);
    await fork().execute('create table durable_probe (id integer primary key, v text not null)');
  });
  afterAll(async () => {
    await orm?.close(true);
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs WAL with synchronous = NORMAL on a file, and flushes the WAL file', async () => {
    const em = fork();
    expect(await em.execute('pragma journal_mode')).toEqual([{ journal_mode: 'wal' }]);
    expect(await em.execute('pragma synchronous')).toEqual([{ synchronous: 1 }]);
    const wal = walFlusherOf(em.getConnection());
    expect(wal?.path).toBe(`${join(dir, 'xentree.sqlite3')}-wal`);
  });

  it('answers a write in autocommit only once its flush is done, and serves nothing through the connection before', async () => {
    holdFlushes();
    let written = false;
    let read: unknown = null;
    const write = fork()
      .execute("insert into durable_probe (v) values ('a')")
      .then(() => (written = true));
    await vi.waitFor(() => expect(held).toHaveLength(1));
    // A read asked for meanwhile waits for the flush: nobody is answered from a commit that is not on disk.
    const reading = fork()
      .execute("select count(*) as n from durable_probe where v = 'a'")
      .then((rows: unknown) => (read = rows));
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(written).toBe(false);
    expect(read).toBe(null);
    releaseAll();
    await Promise.all([write, reading]);
    expect(read).toEqual([{ n: 1 }]);
    expect(held).toHaveLength(0); // the read asked for no flush
  });

  it('answers a transaction at its COMMIT, once flushed, and not at each statement inside it', async () => {
    holdFlushes();
    const wal = walFlusherOf(orm.em.getConnection())!;
    const before = wal.flushes;
    let settled = false;
    const tx = fork()
      .transactional(async (em: SqlEntityManager) => {
        await em.execute("insert into durable_probe (v) values ('b')");
        await em.execute("insert into durable_probe (v) values ('c')");
      })
      .then(() => (settled = true));
    await vi.waitFor(() => expect(held).toHaveLength(1));
    expect(settled).toBe(false);
    releaseAll();
    await tx;
    expect(held).toHaveLength(0);
    expect(wal.flushes - before).toBe(1);
    expect(await fork().execute("select count(*) as n from durable_probe where v in ('b', 'c')")).toEqual([{ n: 2 }]);
  });

  it('flushes nothing for a write that changed no row, and flushes one that did, and a schema change', async () => {
    const wal = walFlusherOf(orm.em.getConnection())!;
    const flushes = async (run: () => Promise<unknown>) => {
      const before = wal.flushes;
      await run();
      return wal.flushes - before;
    };
    // Matching no row (a job queue's claim when nothing is due is such an update, with RETURNING).
    expect(await flushes(() => fork().execute("update durable_probe set v = 'x' where id = -1"))).toBe(0);
    expect(await flushes(() => fork().execute("update durable_probe set v = 'x' where id = -1 returning id"))).toBe(0);
    expect(await flushes(() => fork().execute('delete from durable_probe where id = -1'))).toBe(0);
    expect(
      await flushes(() =>
        fork().transactional(async (em: SqlEntityManager) => {
          await em.execute('delete from durable_probe where id = -1');
        }),
      ),
    ).toBe(0);
    // Changing a row, in autocommit or at the COMMIT of its transaction, and a schema change, are flushed.
    expect(await flushes(() => fork().execute("insert into durable_probe (v) values ('changed') returning id"))).toBe(1);
    expect(
      await flushes(() =>
        fork().transactional(async (em: SqlEntityManager) => {
          await em.execute('delete from durable_probe where id = -1');
          await em.execute("update durable_probe set v = 'changed too' where v = 'changed'");
        }),
      ),
    ).toBe(1);
    expect(await flushes(() => fork().execute('create table durable_probe_2 (id integer primary key)'))).toBe(1);
  });

  it('flushes nothing for reads, nor for a transaction that wrote nothing', async () => {
    const wal = walFlusherOf(orm.em.getConnection())!;
    const before = wal.flushes;
    await fork().execute('select count(*) from durable_probe');
    await fork().transactional(async (em: SqlEntityManager) => {
      await em.execute('select count(*) from durable_probe');
    });
    expect(wal.flushes - before).toBe(0);
  });

  it('fails the write when the flush fails, and flushes again on the next one', async () => {
    (fs as { fdatasync: unknown }).fdatasync = (_fd: number, cb: (e: NodeJS.ErrnoException | null) => void) => cb(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
    // As SQLite's own failed sync: the database is unavailable (503), not a bug (500).
    const failed = await fork()
      .execute("insert into durable_probe (v) values ('x')")
      .then(() => null, (e: unknown) => e);
    expect(failed).toMatchObject({ code: 'SQLITE_IOERR_FSYNC' });
    expect(isDatabaseUnavailable(failed)).toBe(true);
    (fs as { fdatasync: unknown }).fdatasync = realFdatasync;
    const wal = walFlusherOf(orm.em.getConnection())!;
    const before = wal.flushes;
    await fork().execute("insert into durable_probe (v) values ('y')");
    expect(wal.flushes - before).toBe(1);
  });
});

describe.skipIf(driver !== 'sqlite')('SQLite: a request that writes, on the gateway', () => {
  let server: TestServer;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'xt-durable-app-'));
    server = await startServer({ DATABASE_URL: `sqlite:${join(dir, 'app.sqlite3')}` });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is answered once its commit is flushed, while the server goes on answering others', async () => {
    const api = restClient(server.url);
    holdFlushes();
    let status = 0;
    const register = api.post('/api/auth/register', newUserInput()).then((r) => (status = r.status));
    await vi.waitFor(() => expect(held.length).toBeGreaterThan(0));
    // The event loop is free while the flush runs.
    expect((await api.get('/healthz')).status).toBe(200);
    expect(status).toBe(0);
    holding = false;
    releaseAll();
    await register;
    expect(status).toBe(201);
  });
});
