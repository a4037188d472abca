import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KnowledgeDocument } from '../src/modules/knowledge/knowledge.entities.js';
import { SWEEP_FILES_JOB } from '../src/modules/knowledge/knowledge.service.js';
import { User } from '../src/modules/users/index.js';
import { LocalFileStore } from '../src/storage/file-store.js';
import { S3FileStore } from '../src/storage/s3-store.js';
import { signUp } from './helpers/factories.js';
import { startFakeS3, type FakeS3 } from './helpers/fake-s3.js';
import { restClient } from './helpers/http.js';
import { startServer, type TestServer } from './helpers/server.js';

const HOUR = 3_600_000;
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const keyOf = (b: Buffer | string) => `sha256/${sha(b).slice(0, 2)}/${sha(b)}`;
/** Sets a file's time `ms` into the past. */
const age = (path: string, ms: number) => utimesSync(path, new Date(Date.now() - ms), new Date(Date.now() - ms));

/** Every page of `list`, following its cursor: the old keys and how many pages it took. */
async function walk(store: { list: LocalFileStore['list'] }, limit: number, olderThanMs: number): Promise<{ old: string[]; pages: number }> {
  const old: string[] = [];
  let pages = 0;
  let after: string | null = null;
  do {
    const page = await store.list(after, limit, olderThanMs);
    old.push(...page.old);
    pages++;
    after = page.next;
  } while (after !== null && pages < 100);
  return { old, pages };
}

describe('the local upload store, listed', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'xentree-store-list-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('lists its keys in order, a page at a time across its directories, and tells the old from the fresh', async () => {
    const store = new LocalFileStore(root);
    expect(await store.list(null, 10, 0)).toEqual({ old: [], next: null });
    const blobs = Array.from({ length: 7 }, (_, i) => Buffer.from(`blob ${i} ${randomUUID()}`));
    const keys = (await Promise.all(blobs.map((b) => store.put(b)))).map((r) => r.key).sort();
    // Four of them untouched for two hours, three fresh.
    const stale = keys.filter((_, i) => i % 2 === 0);
    for (const k of stale) age(join(root, k), 2 * HOUR);
    // A stranger in the tree (not a key) is never listed.
    mkdirSync(join(root, 'sha256', 'zz'), { recursive: true });
    writeFileSync(join(root, 'sha256', 'zz', 'notes.txt'), 'not mine');

    const all = await walk(store, 3, 0);
    expect(all.old).toEqual(keys);
    expect(all.pages).toBe(3);
    const old = await walk(store, 2, HOUR);
    expect(old.old).toEqual(stale);
    expect(old.pages).toBe(4);
    // A cursor that is not a key is refused rather than read as a path.
    await expect(store.list('../../etc', 10, 0)).rejects.toThrow('invalid storage key');
  });

  it('pages within one directory and across the next without skipping or repeating a key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xentree-store-pages-'));
    try {
      const store = new LocalFileStore(dir);
      // Names chosen so that pages end inside a directory: three under ab/, two under ac/, one under f0/.
      const names = ['ab'.padEnd(64, '1'), 'ab'.padEnd(64, '2'), 'ab'.padEnd(64, '3'), 'ac'.padEnd(64, '1'), 'ac'.padEnd(64, '2'), 'f0'.padEnd(64, '0')];
      for (const n of names) {
        mkdirSync(join(dir, 'sha256', n.slice(0, 2)), { recursive: true });
        writeFileSync(join(dir, 'sha256', n.slice(0, 2), n), n);
      }
      const keys = names.map((n) => `sha256/${n.slice(0, 2)}/${n}`);
      for (const limit of [1, 2, 4, 6, 7]) {
        const pages: string[][] = [];
        let after: string | null = null;
        do {
          const page = await store.list(after, limit, 0);
          pages.push(page.old);
          after = page.next;
        } while (after !== null && pages.length < 20);
        expect(pages.flat()).toEqual(keys);
        expect(pages.every((p) => p.length <= limit)).toBe(true);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('removes what a write cut short, once it is old, and nothing else', async () => {
    const store = new LocalFileStore(root);
    const { key } = await store.put(Buffer.from(`kept ${randomUUID()}`));
    const dir = join(root, key.slice(0, 9));
    const unfinished = (name: string) => join(dir, `.${name}.${randomUUID()}.tmp`);
    const crashed = unfinished('a'.repeat(64));
    const writing = unfinished('b'.repeat(64));
    writeFileSync(crashed, 'half of a file');
    writeFileSync(writing, 'a file being written');
    age(crashed, 2 * HOUR);
    expect(await store.removeUnfinished(HOUR)).toBe(1);
    expect(existsSync(crashed)).toBe(false);
    expect(existsSync(writing)).toBe(true);
    expect(existsSync(join(root, key))).toBe(true);
  });
});

describe('the S3 upload store, listed (ListObjectsV2 against a local S3 wire server)', () => {
  let s3: FakeS3;
  beforeAll(async () => {
    s3 = await startFakeS3();
  });
  afterAll(async () => {
    await s3?.close();
  });

  it('lists the keys under its prefix a page at a time, old ones by the objects\' times, and only its own keys as removable', async () => {
    let now = Date.now();
    const store = new S3FileStore(
      { bucket: s3.bucket, endpoint: s3.url, region: 'us-east-1', credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey }, forcePathStyle: true, prefix: 'listed/' },
      { clock: { now: () => now, at: () => () => undefined } },
    );
    const early = (await Promise.all([1, 2, 3].map((i) => store.put(Buffer.from(`early ${i} ${randomUUID()}`))))).map((r) => r.key);
    // Objects that are not the store's: another prefix, and a stranger under this one.
    s3.objects.set(`other/${keyOf('elsewhere')}`, { body: Buffer.from('elsewhere'), lastModified: new Date(0) });
    s3.objects.set('listed/sha256/zz/readme', { body: Buffer.from('not a key'), lastModified: new Date(0) });
    s3.objects.set('listed/sha256/80/notes.txt', { body: Buffer.from('not a key either'), lastModified: new Date(0) });
    now += 2 * HOUR;
    const late = (await Promise.all([4, 5].map((i) => store.put(Buffer.from(`late ${i} ${randomUUID()}`))))).map((r) => r.key);
    for (const k of late) s3.objects.get(`listed/${k}`)!.lastModified = new Date(now);

    const all = await walk(store, 2, 0);
    expect(all.old.sort()).toEqual([...early, ...late].sort());
    expect(all.pages).toBe(4);
    expect((await walk(store, 2, HOUR)).old.sort()).toEqual([...early].sort());
    expect(await store.removeUnfinished()).toBe(0);
    store.close();
  });
});

describe('the upload store\'s upkeep (knowledge.sweep-files)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('removes files no document refers to once they are old, keeps documents\' files and fresh ones, and runs on a schedule', async () => {
    const api = restClient(server.url);
    const u = await signUp(api);
    const store = server.app.services.uploads;
    const dir = server.config.storage.dir;
    const content = `Narwhal tusks are teeth ${randomUUID()}`;
    const doc = await api.post('/api/knowledge/documents', { title: 'Narwhals', content }, { token: u.accessToken });
    expect(doc.status).toBe(201);
    await server.app.services.knowledge.drain();
    // What a crash left: bytes stored for an upload that never committed, and a write cut short.
    const orphan = (await store.put(Buffer.from(`orphaned upload ${randomUUID()}`))).key;
    const fresh = (await store.put(Buffer.from(`an upload committing now ${randomUUID()}`))).key;
    const unfinished = join(dir, orphan.slice(0, 9), `.${'c'.repeat(64)}.${randomUUID()}.tmp`);
    writeFileSync(unfinished, 'half');
    for (const path of [join(dir, keyOf(content)), join(dir, orphan), unfinished]) age(path, 2 * HOUR);

    const swept = await server.app.services.knowledge.sweepFiles(server.app.orm.em.fork());
    expect(swept).toEqual({ files: 1, unfinished: 1, failed: 0 });
    expect(existsSync(join(dir, orphan))).toBe(false);
    expect(existsSync(unfinished)).toBe(false);
    // The document's file, old as it is, stays and is served; the fresh one waits for its document.
    expect(existsSync(join(dir, keyOf(content)))).toBe(true);
    expect(existsSync(join(dir, fresh))).toBe(true);
    const file = await fetch(`${server.url}/api/knowledge/documents/${doc.body.id as string}/file`, { headers: { authorization: `Bearer ${u.accessToken}` } });
    expect(await file.text()).toBe(content);
    // Nothing left to remove: a second run removes nothing.
    expect(await server.app.services.knowledge.sweepFiles(server.app.orm.em.fork())).toEqual({ files: 0, unfinished: 0, failed: 0 });

    // The job is scheduled (one row, every UPLOAD_SWEEP_INTERVAL_MS), and made due, it sweeps.
    const conn = server.app.orm.em.fork().getConnection();
    const schedule = (await conn.execute('select key from jobs where queue = ?', [SWEEP_FILES_JOB])) as { key: string }[];
    expect(schedule).toEqual([{ key: `every:${SWEEP_FILES_JOB}` }]);
    const another = (await store.put(Buffer.from(`another orphan ${randomUUID()}`))).key;
    age(join(dir, another), 2 * HOUR);
    await conn.execute('update jobs set run_at = ? where queue = ?', [Date.now(), SWEEP_FILES_JOB]);
    await server.app.services.knowledge.drain();
    expect(existsSync(join(dir, another))).toBe(false);
    expect(readdirSync(join(dir, keyOf(content).slice(0, 9)))).toContain(sha(content));
  });

  it('stores the bytes again when an upload of them commits while the sweep removes them', async () => {
    const store = server.app.services.uploads;
    const dir = server.config.storage.dir;
    const u = await signUp(restClient(server.url));
    const bytes = Buffer.from(`uploaded again while swept ${randomUUID()}`);
    const { key } = await store.put(bytes);
    age(join(dir, key), 2 * HOUR);
    // The race: the sweep found no document and the file old; then an upload of the same bytes
    // committed its document, and the sweep removed the file. Played here by committing such a
    // document the moment the store removes the file.
    const remove = store.remove.bind(store);
    store.remove = async (k, grace) => {
      const gone = await remove(k, grace);
      if (k === key && gone) {
        const em = server.app.orm.em.fork();
        em.create(KnowledgeDocument, { owner: em.getReference(User, u.user.id), title: 'raced', mimeType: 'text/plain', sizeBytes: bytes.length, fileKey: key, status: 'ready' });
        await em.flush();
      }
      return gone;
    };
    try {
      const swept = await server.app.services.knowledge.sweepFiles(server.app.orm.em.fork());
      expect(swept.failed).toBe(0);
    } finally {
      store.remove = remove;
    }
    expect((await store.get(key)).equals(bytes)).toBe(true);
  });

  it("stores an upload's bytes again when they were removed between storing them and its commit", async () => {
    const api = restClient(server.url);
    const u = await signUp(api);
    const store = server.app.services.uploads;
    const content = `Axolotls regrow limbs ${randomUUID()}`;
    // Another document's file removal (or the sweep) removing the same bytes just after this upload stored them.
    const put = store.put.bind(store);
    store.put = async (b) => {
      const stored = await put(b);
      store.put = put;
      rmSync(join(server.config.storage.dir, stored.key));
      return stored;
    };
    try {
      const doc = await api.post('/api/knowledge/documents', { title: 'Axolotls', content }, { token: u.accessToken });
      expect(doc.status).toBe(201);
      expect(existsSync(join(server.config.storage.dir, keyOf(content)))).toBe(true);
      await server.app.services.knowledge.drain();
      expect((await api.get(`/api/knowledge/documents/${doc.body.id as string}`, { token: u.accessToken })).body.status).toBe('ready');
    } finally {
      store.put = put;
    }
  });

  it('answers a committed upload as created even when the store fails the check that follows the commit', async () => {
    const api = restClient(server.url);
    const u = await signUp(api);
    const store = server.app.services.uploads;
    const exists = store.exists.bind(store);
    store.exists = () => Promise.reject(Object.assign(new Error('the store is unreachable'), { code: 'ECONNRESET' }));
    try {
      const doc = await api.post('/api/knowledge/documents', { title: 'Quokkas', content: `Quokkas climb trees ${randomUUID()}` }, { token: u.accessToken });
      expect(doc.status).toBe(201);
      expect((await api.get(`/api/knowledge/documents/${doc.body.id as string}`, { token: u.accessToken })).status).toBe(200);
    } finally {
      store.exists = exists;
    }
  });

  it('logs and skips a file it cannot remove, and removes the others', async () => {
    const store = server.app.services.uploads;
    const dir = server.config.storage.dir;
    const stuck = (await store.put(Buffer.from(`cannot be removed ${randomUUID()}`))).key;
    const other = (await store.put(Buffer.from(`removable ${randomUUID()}`))).key;
    for (const k of [stuck, other]) age(join(dir, k), 2 * HOUR);
    const remove = store.remove.bind(store);
    store.remove = async (k, grace) => {
      if (k === stuck) throw Object.assign(new Error('permission denied'), { code: 'EACCES' });
      return remove(k, grace);
    };
    try {
      const swept = await server.app.services.knowledge.sweepFiles(server.app.orm.em.fork());
      expect(swept).toMatchObject({ failed: 1 });
      expect(swept.files).toBeGreaterThanOrEqual(1);
    } finally {
      store.remove = remove;
    }
    expect(existsSync(join(dir, other))).toBe(false);
    expect(existsSync(join(dir, stuck))).toBe(true);
  });
});

describe("the upload store's upkeep on a database with no document", () => {
  it('removes nothing but what writes cut short (a store beside an empty, or the wrong, database)', async () => {
    const server = await startServer();
    try {
      const store = server.app.services.uploads;
      const dir = server.config.storage.dir;
      const { key } = await store.put(Buffer.from(`someone else's upload ${randomUUID()}`));
      age(join(dir, key), 2 * HOUR);
      expect(await server.app.services.knowledge.sweepFiles(server.app.orm.em.fork())).toEqual({ files: 0, unfinished: 0, failed: 0 });
      expect(existsSync(join(dir, key))).toBe(true);
      // Scheduled by default; UPLOAD_SWEEP_ENABLED=false: not at all.
      const conn = server.app.orm.em.fork().getConnection();
      expect(await conn.execute('select key from jobs where queue = ?', [SWEEP_FILES_JOB])).toHaveLength(1);
    } finally {
      await server.close();
    }
    const off = await startServer({ UPLOAD_SWEEP_ENABLED: 'false' });
    try {
      expect(await off.app.orm.em.fork().getConnection().execute('select key from jobs where queue = ?', [SWEEP_FILES_JOB])).toEqual([]);
    } finally {
      await off.close();
    }
  });
});
