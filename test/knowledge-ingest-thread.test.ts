import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogContext } from '@mikro-orm/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAppError } from '../src/common/errors.js';
import { readThreads, THREAD_NAMES } from '../src/common/threads.js';
import { walFlusherOf } from '../src/db/durable-sqlite.js';
import { DocumentReaders, type Ingested } from '../src/modules/knowledge/extract-worker.js';
import { SEARCH_ENTRY_COLUMNS } from '../src/modules/search/index.js';
import { signUp } from './helpers/factories.js';
import { plainText } from './helpers/hostile-documents.js';
import { expectStaleRunWritesNothing, heldClaim } from './helpers/claims.js';
import { restClient, type RestClient } from './helpers/http.js';
import { driver, startServer, type TestServer } from './helpers/server.js';

/**
 * Ingestion writes in a worker thread (issue 19, finding 1): SQLite writes synchronously on the
 * calling thread, so a document's thousands of passages, their full-text entries and each commit's
 * sync held the event loop. Where a worker thread can open the database (a SQLite file, PostgreSQL),
 * the serving thread's connection runs none of those writes; its own commits stay synced (FULL),
 * the ingesting connection's do not (NORMAL, durable against a crash of the process; the job is
 * marked done on the serving connection, whose synced commit makes them durable on disk).
 */
/** The names of this process's threads (Linux: /proc/self/task/<tid>/comm). */
const threadNames = () => readThreads().map((t) => t.name);

let server: TestServer;
let api: RestClient;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'xt-ingest-'));
  // A file, not the tests' usual in-memory database, which no other connection can open.
  // The reading threads at a priority below the serving thread's (the tests' default is 0).
  server = await startServer({ ...(driver === 'sqlite' ? { DATABASE_URL: `sqlite:${join(dir, 'gateway.sqlite3')}` } : {}), WORKER_NICE: '7' });
  api = restClient(server.url);
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('document ingestion off the serving thread', () => {
  it('sets the pragmas: the serving connection flushes every commit (off the event loop), the ingesting one waits out the other writer; the threads run at WORKER_NICE', async () => {
    const readers = server.app.services.documentReaders;
    expect(readers.writes).toBe(true);
    const settings = await readers.settings();
    if (driver === 'sqlite') {
      const conn = server.app.orm.em.fork().getConnection();
      const [sync] = (await conn.execute('pragma synchronous')) as { synchronous: number }[];
      const [journal] = (await conn.execute('pragma journal_mode')) as { journal_mode: string }[];
      // NORMAL, with the WAL flushed on the thread pool before a commit returns (test/db-durability.test.ts).
      expect(sync!.synchronous).toBe(1);
      expect(walFlusherOf(conn)?.path).toMatch(/-wal$/);
      expect(journal!.journal_mode).toBe('wal');
      expect(settings).toEqual({ journalMode: 'wal', synchronous: 1 /* NORMAL */, busyTimeoutMs: server.config.db.sqliteBusyTimeoutMs, nice: 7 });
    } else {
      expect(settings).toEqual({ synchronousCommit: 'on', nice: 7 });
    }
  });

  it('writes no passage, search entry or text on the serving connection; the document ends ready and searchable', async () => {
    const u = await signUp(api);
    // Every statement the serving thread's ORM sends while the document is uploaded and ingested.
    const statements: string[] = [];
    const logger = server.app.orm.config.getLogger();
    const original = logger.logQuery.bind(logger);
    logger.logQuery = (context: { query: string } & LogContext) => {
      statements.push(context.query);
      original(context);
    };
    try {
      const form = new FormData();
      form.append('file', new Blob([`# Basalt\n\nColumnar basalt forms as lava cools.\n\n${plainText(300_000)}`], { type: 'text/plain' }), 'basalt.txt');
      const res = await fetch(`${server.url}/api/knowledge/documents`, { method: 'POST', headers: { authorization: `Bearer ${u.accessToken}` }, body: form });
      const up = (await res.json()) as { id: string; status: string };
      expect(res.status).toBe(201);
      expect(up.status).toBe('processing');
      // The upload and its job were committed on the serving connection before the answer.
      expect(statements.some((q) => /^\s*insert\s+into\s+[`"]?documents[`"]?/i.test(q))).toBe(true);
      expect(statements.some((q) => /^\s*insert\s+into\s+[`"]?jobs[`"]?/i.test(q))).toBe(true);
      await server.app.services.knowledge.drain();
      const doc = await api.get(`/api/knowledge/documents/${up.id}`, { token: u.accessToken });
      expect(doc.body.status).toBe('ready');
      expect(doc.body.chunk_count).toBeGreaterThan(300);
    } finally {
      logger.logQuery = original;
    }
    const written = statements.filter((q) => /^\s*(insert\s+into|delete\s+from)\s+[`"]?(document_chunks|search_entries)[`"]?|^\s*update\s+[`"]?documents[`"]?\s+set\s+[`"]?text[`"]?/i.test(q));
    expect(written).toEqual([]);
    const found = await api.post('/api/knowledge/search', { query: 'columnar basalt' }, { token: u.accessToken });
    expect(found.status).toBe(200);
    expect(found.body.results[0]?.title).toBe('basalt.txt — Basalt');
  });

  it("reads a file once for the upload's check and its ingestion, whichever thread ingests it; again when no reading was kept", async () => {
    const u = await signUp(api);
    const texts = [`# Granite\n\n${plainText(120_000)}`, `# Schist\n\n${plainText(90_000)}`];
    // The uploads' jobs, as they run: each takes the reading its upload's check kept.
    const shared = server.app.services.documentReaders;
    const outcomes: Ingested[] = [];
    const ingestAsUsual = shared.ingest.bind(shared);
    shared.ingest = async (...args) => {
      const out = await ingestAsUsual(...args);
      outcomes.push(out);
      return out;
    };
    const ids: string[] = [];
    try {
      for (const [i, text] of texts.entries()) {
        const res = await api.post('/api/knowledge/documents', { title: `rock-${i}`, content: text }, { token: u.accessToken });
        expect(res.status).toBe(201);
        ids.push(res.body.id as string);
      }
      await server.app.services.knowledge.drain();
    } finally {
      shared.ingest = ingestAsUsual;
    }
    const conn = server.app.orm.em.fork().getConnection();
    const counts = async (id: string) =>
      (
        (await conn.execute(
          'select d.status, d.chunk_count, (select count(*) from document_chunks c where c.document_id = d.id) as chunks, (select count(*) from search_entries s where s.document_id = d.id) as entries from documents d where d.id = ?',
          [id],
        )) as { status: string; chunk_count: number; chunks: number; entries: number }[]
      ).map((r) => ({ status: r.status, chunkCount: Number(r.chunk_count), chunks: Number(r.chunks), entries: Number(r.entries) }))[0]!;
    const ready = await Promise.all(ids.map(counts));
    expect(outcomes).toEqual(ready.map((r) => ({ count: r.chunkCount, reused: true })));
    // The documents ingested again by a pool of two threads of its own (as a job run twice would).
    const reprocess = () => conn.execute(`update documents set status = 'processing' where id in (?, ?)`, ids);
    const readers = new DocumentReaders(2, { driver, url: server.config.db.url, busyTimeoutMs: server.config.db.sqliteBusyTimeoutMs });
    const limits = server.config.knowledge.limits;
    const claim = await heldClaim(server);
    const ingest = (i: number, reading: string | null = null) =>
      readers.ingest('text', Buffer.from(texts[i]!), limits, { documentId: ids[i]!, vectors: null, entryColumns: SEARCH_ENTRY_COLUMNS, signal: new AbortController().signal, reading, claim });
    try {
      await reprocess();
      // Checked first, as an upload is, both at once (one on each thread): each ingestion takes its own reading, on either thread.
      const checked = await Promise.all(texts.map((t) => readers.check('text', Buffer.from(t), limits)));
      expect(checked.map((c) => c.count)).toEqual(ready.map((r) => r.chunkCount));
      // Each pool's threads carry its name where the system shows threads (top -H, ps -L, /proc):
      // the reading threads now (they end after a second idle), the writing thread below.
      if (process.platform === 'linux') expect(threadNames()).toContain(THREAD_NAMES.reading);
      expect(await Promise.all([ingest(1, checked[1]!.reading), ingest(0, checked[0]!.reading)])).toEqual([
        { count: ready[1]!.chunkCount, reused: true },
        { count: ready[0]!.chunkCount, reused: true },
      ]);
      // The reading threads read (the two checks); the writing thread wrote both: a write does not wait behind the next reading.
      expect(readers.tasksDone()).toEqual({ reading: 2, writing: 2 });
      if (process.platform === 'linux') expect(threadNames()).toContain(THREAD_NAMES.writing);
      await reprocess();
      // A reading is taken by its first use; without one, the file is read again.
      expect(await Promise.all([ingest(0, checked[0]!.reading), ingest(1)])).toEqual([
        { count: ready[0]!.chunkCount, reused: false },
        { count: ready[1]!.chunkCount, reused: false },
      ]);
      // Those read the files, on the reading threads.
      expect(readers.tasksDone()).toEqual({ reading: 4, writing: 2 });
      // A text past KEEP_ONE_CHARS (500,000 characters) is checked, and its reading not kept.
      const long = await readers.check('text', Buffer.from(plainText(600_000)), limits);
      expect(long.count).toBeGreaterThan(0);
      expect(long.reading).toBeNull();
      // Each ends as before: ready, its passages once, each indexed once.
      expect(await Promise.all(ids.map(counts))).toEqual(ready);
      for (const r of ready) expect(r).toEqual({ status: 'ready', chunkCount: r.chunks, chunks: r.entries, entries: r.chunks });
    } finally {
      await readers.close();
    }
  });

  it('writes nothing more from a run whose job another process took over: neither clears nor completes the document', async () => {
    const u = await signUp(api);
    const res = await api.post('/api/knowledge/documents', { title: 'claims', content: `# Basalt\n\n${plainText(20_000)}` }, { token: u.accessToken });
    expect(res.status).toBe(201);
    await server.app.services.knowledge.drain();
    expect(server.app.services.documentReaders.writes).toBe(true);
    await expectStaleRunWritesNothing(server, res.body.id as string);
  });

  it("fetches an upload's stored bytes for its ingestion only when no reading of its check was kept", async () => {
    const u = await signUp(api);
    const store = server.app.services.uploads;
    const getAsUsual = store.get.bind(store);
    const fetched: string[] = [];
    store.get = async (key) => {
      fetched.push(key);
      return getAsUsual(key);
    };
    const upload = async (title: string, content: string) => {
      const res = await api.post('/api/knowledge/documents', { title, content }, { token: u.accessToken });
      expect(res.status).toBe(201);
      await server.app.services.knowledge.drain();
      const doc = await api.get(`/api/knowledge/documents/${res.body.id as string}`, { token: u.accessToken });
      expect(doc.body.status).toBe('ready');
    };
    try {
      // Kept (at most KEEP_ONE_CHARS, 500,000 characters): the job takes the reading, and the bytes stay where they are.
      await upload('kept', `# Gneiss\n\n${plainText(40_000)}`);
      expect(fetched).toEqual([]);
      // Not kept: the job reads the stored file.
      await upload('not kept', `# Marble\n\n${plainText(600_000)}`);
      expect(fetched).toHaveLength(1);
    } finally {
      store.get = getAsUsual;
    }
  });

  it('hands the bytes to the thread rather than copying them, and a document that outgrows the thread\'s heap fails as document_too_large (memory), so its job does not retry', async () => {
    const { driver: d, url, sqliteBusyTimeoutMs } = server.config.db;
    const readers = new DocumentReaders(1, { driver: d, url, busyTimeoutMs: sqliteBusyTimeoutMs }, 16);
    try {
      const job = { documentId: randomUUID(), vectors: null, entryColumns: SEARCH_ENTRY_COLUMNS, signal: new AbortController().signal, claim: await heldClaim(server) };
      const bytes = Buffer.from(`<html><body>${'<p>a</p>'.repeat(260_000)}</body></html>`);
      const refused = await readers.ingest('html', bytes, server.config.knowledge.limits, job).catch((e: unknown) => e);
      expect(isAppError(refused)).toBe(true);
      expect(refused).toMatchObject({ code: 'document_too_large', details: { limit: 'memory', max: 16 } });
      // Moved: the serving thread kept no copy while the thread read it.
      expect(bytes.byteLength).toBe(0);
      // The pool replaced the thread: the next document (gone: no such row) is read and answered.
      expect(await readers.ingest('text', Buffer.from('Fine.'), server.config.knowledge.limits, job)).toEqual({ gone: true });
    } finally {
      await readers.close();
    }
  });
});
