import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { HeapInfo } from 'node:v8';
import { Piscina } from 'piscina';
import { NAME_THIS_THREAD, THREAD_NAMES } from '../../common/threads.js';
import { SERVE_FIRST_MAX_MS, serveFirst, turnEnded, writeTurnsOf, type WriteTurns } from '../../db/durable-sqlite.js';
import { CLAIM_LOST, claimHoldsSql } from '../../db/queue/claim.js';
import { CHUNKER_SOURCE, type Chunk } from './chunk.js';
import type { DocumentKind } from './extract.js';
import { documentTooLarge, EXPANSION_FLOOR_CHARS, type DocumentLimit, type DocumentLimits } from './limits.js';

const require = createRequire(import.meta.url);
const HTML_TO_TEXT = require.resolve('html-to-text');
/** The modules the worker loads: pdf.js (ES module, by URL), html-to-text and the very parser it uses. */
const MODULES = {
  pdfjs: pathToFileURL(require.resolve('pdfjs-dist/legacy/build/pdf.mjs')).href,
  htmlToText: HTML_TO_TEXT,
  htmlparser2: createRequire(HTML_TO_TEXT).resolve('htmlparser2'),
  // The drivers the threads write ingested documents with (src/db/orm.ts uses the same two).
  betterSqlite3: require.resolve('better-sqlite3'),
  pg: require.resolve('pg'),
};

/** A file that takes longer than this to read is given up (the document fails, nothing is indexed). */
const TIMEOUT_MS = 60_000;
/** Each worker's young generation (semispaces): V8's default lets a busy thread hold tens of MB of garbage. */
const MAX_YOUNG_MB = 8;

/**
 * The pool's task, a CommonJS module written to a file when the pool starts (the same source
 * serves the built server and the tests, which run the TypeScript sources): one document, from
 * its bytes to its passages, off the event loop. pdf.js, outside a browser, runs its "worker" on
 * the calling thread and gives way only to promise callbacks (a page of the bomb held the
 * loop 1.4 s); html-to-text converts a page in one synchronous call; chunking millions of
 * characters is seconds of CPU. The limits are checked as the text arrives, so reading stops as
 * soon as one is passed, mid-page if need be. HTML is measured first by the parser html-to-text
 * uses: it keeps its open elements in an array it shifts and unshifts, so each element costs as
 * much as the depth it sits at, and 100,000 nested elements take minutes. The passages come back
 * as two NUL-separated strings (texts, headings): a large string crosses threads in one copy,
 * where thousands of small objects would be rebuilt one by one on the event loop.
 */
const WORKER_SOURCE = `'use strict';
${NAME_THIS_THREAD}
${CHUNKER_SOURCE}
const SERVE_FIRST_MAX_MS = ${SERVE_FIRST_MAX_MS};
${String(serveFirst)}
${String(turnEnded)}
/*BODY*/
/** The bytes as text, read in place (Buffer.from(data) would copy them first). */
const utf8 = (data) => Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8').replace(/^\\uFEFF/, '');

async function extract(kind, data, limits, modules) {
  if (kind === 'pdf') return pdf(data, limits, modules);
  if (kind === 'html') return html(data, limits, modules);
  const text = utf8(data);
  if (text.length > limits.maxChars) throw new Limit('characters', limits.maxChars);
  return text;
}

/** The text and passages of a file, within the limits (throws Limit). */
async function readAll(kind, data, limits, modules) {
  const text = await extract(kind, data, limits, modules);
  const list = [];
  for (const c of chunks(text)) {
    if (!c) continue;
    list.push(c);
    if (list.length > limits.maxChunks) throw new Limit('chunks', limits.maxChunks);
  }
  return { text, list };
}

function failure(kind, e) {
  if (e instanceof Limit) return { limit: e.limit, max: e.max, found: e.found };
  const m = String((e && e.message) || e);
  return { error: kind === 'html' ? 'the HTML could not be read: ' + m : m };
}

/** A reading as it crosses threads: the passages as two NUL-separated strings (see above). */
function packed(text, list) {
  return { text, texts: list.map((c) => c.text).join('\\u0000'), headings: list.map((c) => (c.heading === null ? '\\u0001' : c.heading)).join('\\u0000'), count: list.length };
}

/** A reading handed to a task (what an upload's check read, kept by the serving thread): the passages as objects again. */
function unpacked(r) {
  if (!r.count) return { text: r.text, list: [] };
  const texts = r.texts.split('\\u0000');
  const headings = r.headings.split('\\u0000');
  return { text: r.text, list: texts.map((t, i) => ({ text: t, heading: headings[i] === '\\u0001' ? null : headings[i] })) };
}

/**
 * Reads a file: its passages (two NUL-separated strings), or (check) how many there are and,
 * when the text is at most keepChars, the reading itself, for the serving thread to keep for
 * the upload's ingestion (which may run on any thread).
 */
async function read({ kind, data, limits, modules, check, keepChars }) {
  try {
    const { text, list } = await readAll(kind, data, limits, modules);
    if (check) return text.length <= keepChars ? { count: list.length, reading: packed(text, list) } : { count: list.length };
    return packed(text, list);
  } catch (e) {
    return failure(kind, e);
  }
}

module.exports = read;
module.exports.ingest = ingest;
module.exports.settings = settings;
`;

/** What an upload's check read, as the serving thread keeps it (taken out of the keeping by `claim`). */
export type KeptReading = Reading;

/** A document's text and passages as they cross threads (the passages as two NUL-separated strings). */
interface Reading {
  text: string;
  texts: string;
  headings: string;
  count: number;
}

interface Answer {
  text?: string;
  texts?: string;
  headings?: string;
  count?: number;
  /** A check's reading, for the serving thread to keep. */
  reading?: Reading;
  limit?: DocumentLimit;
  max?: number;
  found?: number;
  error?: string;
  gone?: boolean;
  reused?: boolean;
}

const BODY = `class Limit { constructor(limit, max, found) { this.limit = limit; this.max = max; this.found = found; } }

async function pdf(data, limits, modules) {
  const pdfjs = await import(modules.pdfjs);
  let doc;
  try {
    doc = await pdfjs.getDocument({ data: new Uint8Array(data), useSystemFonts: false, isEvalSupported: false, disableFontFace: true, verbosity: 0 }).promise;
  } catch (e) {
    throw new Error('the PDF could not be read: ' + ((e && e.message) || e));
  }
  if (doc.numPages > limits.maxPages) throw new Limit('pages', limits.maxPages, doc.numPages);
  let chars = 0;
  const pages = [];
  for (let i = 1; i <= doc.numPages; i++) {
    const page = await doc.getPage(i);
    const reader = page.streamTextContent().getReader();
    let line = '';
    const lines = [];
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      for (const item of value.items) {
        if (!('str' in item)) continue;
        line += item.str;
        chars += item.str.length;
        if (item.hasEOL) { lines.push(line); line = ''; }
      }
      if (chars > limits.maxChars) throw new Limit('characters', limits.maxChars);
      if (chars > limits.expansionFloor && chars / data.length > limits.maxPdfExpansion) {
        throw new Limit('pdf_expansion', limits.maxPdfExpansion, Math.floor(chars / data.length));
      }
    }
    if (line) lines.push(line);
    pages.push(lines.join('\\n'));
    page.cleanup();
  }
  const text = pages.join('\\n\\n').trim();
  if (!text) throw new Error('the PDF has no extractable text (scanned images need OCR, which is not available)');
  return text;
}

/** The worker's own connection to the database, opened on first use and kept for the thread's life. */
let database = null;

async function open(db, modules) {
  const key = db.driver + ' ' + db.url;
  if (database && database.key === key) return database;
  if (db.driver === 'sqlite') {
    const Database = require(modules.betterSqlite3);
    const h = new Database(db.url, { timeout: db.busyTimeoutMs });
    // WAL: the serving thread reads while this one writes. NORMAL: a commit here is not synced on
    // its own; it survives a crash of the process, and the next flushed commit (the serving
    // thread's commits are flushed before they return, src/db/durable-sqlite.ts, and the job is
    // marked done there) makes it durable on disk.
    h.pragma('journal_mode = WAL');
    h.pragma('synchronous = NORMAL');
    h.pragma('foreign_keys = ON');
    // The serving thread's statements go first (src/db/durable-sqlite.ts, WriteTurns): this thread
    // begins no transaction while one of them waits for the lock, and says when each of its own ends.
    const turns = db.turns;
    const statements = new Map();
    const prepare = (q) => {
      let st = statements.get(q);
      if (!st) { st = h.prepare(q); statements.set(q, st); }
      return st;
    };
    database = {
      key,
      driver: 'sqlite',
      async query(q, params) { const st = prepare(q); if (st.reader) return st.all(params); st.run(params); return []; },
      async begin() { serveFirst(turns, SERVE_FIRST_MAX_MS); h.exec('begin immediate'); },
      async commit() { try { h.exec('commit'); } finally { if (!h.inTransaction) turnEnded(turns); } },
      // (turnEnded whatever happens: SQLite may have rolled back by itself, or ROLLBACK may throw.)
      async rollback() { try { if (h.inTransaction) h.exec('rollback'); } finally { turnEnded(turns); } },
      async settings() {
        return { journalMode: h.pragma('journal_mode', { simple: true }), synchronous: h.pragma('synchronous', { simple: true }), busyTimeoutMs: h.pragma('busy_timeout', { simple: true }) };
      },
      now: () => Date.now(),
    };
    return database;
  }
  const { Client } = require(modules.pg);
  const client = new Client({ connectionString: db.url });
  client.on('error', () => { if (database && database.client === client) database = null; });
  await client.connect();
  const numbered = new Map();
  const dollars = (q) => {
    let t = numbered.get(q);
    if (t === undefined) { let i = 0; t = q.replace(/\\?/g, () => '$' + ++i); numbered.set(q, t); }
    return t;
  };
  database = {
    key,
    client,
    driver: 'postgresql',
    async query(q, params) { return (await client.query(dollars(q), params)).rows; },
    async begin() { await client.query('begin'); },
    async commit() { await client.query('commit'); },
    async rollback() { await client.query('rollback'); },
    async settings() {
      const r = await client.query('show synchronous_commit');
      return { synchronousCommit: r.rows[0].synchronous_commit };
    },
    now: () => new Date(),
  };
  return database;
}

async function transaction(d, work) {
  await d.begin();
  try {
    const r = await work();
    await d.commit();
    return r;
  } catch (e) {
    try { await d.rollback(); } catch { /* the connection is gone: so is the transaction */ }
    throw e;
  }
}

const CHUNK_COLUMNS = ['id', 'document_id', 'position', 'heading', 'text', 'embedding'];
const insert = (table, columns, rows) => 'insert into ' + table + ' (' + columns.join(', ') + ') values ' + new Array(rows).fill('(' + columns.map(() => '?').join(', ') + ')').join(', ');
/** How often a document being indexed is marked alive (updated_at), so a restarting process does not take it for dead. */
const ALIVE_EVERY_MS = 30000;

/**
 * The ingestion of a document, from its bytes to its passages and search entries in the database,
 * all in this thread on its own connection: the serving thread neither holds the text nor runs a
 * write of it (SQLite writes synchronously, on the calling thread). What an earlier, interrupted run
 * indexed goes first; then the passages in short transactions (SQLite's write lock is held only
 * that long), each of which locks the document's row and reads its sharing again, so a rename, an
 * unsharing or a deletion made meanwhile is respected; then the text, and 'ready'.
 */
async function ingest({ kind, data, limits, modules, db, documentId, vectors, batch, entryColumns, reading, claim }) {
  let read = reading ? unpacked(reading) : null;
  const reused = read !== null;
  reading = null;
  try {
    read ??= await readAll(kind, data, limits, modules);
  } catch (e) {
    return failure(kind, e);
  }
  data = null;
  const { text, list } = read;
  read = null;
  if (!list.length) return { error: 'no text was found in the document' };
  if (vectors && vectors.length !== list.length) throw new Error('the document gave ' + list.length + ' passages for ' + vectors.length + ' vectors');
  const { randomUUID } = require('node:crypto');
  const d = await open(db, modules);
  const lock = d.driver === 'postgresql' ? ' for update' : '';
  // Every transaction checks, after locking the document's row, that this run still holds its
  // job: one whose lease was taken over (a stalled process) writes nothing more, and never
  // deletes or completes what the run that took it over indexes.
  const holds = async () => {
    if ((await d.query(claim.sql, [claim.jobId, claim.lockedBy])).length === 0) throw new Error(claim.lost);
  };
  const started = await transaction(d, async () => {
    const [doc] = await d.query('select status from documents where id = ?' + lock, [documentId]);
    if (!doc || doc.status !== 'processing') return false; // deleted, or made ready by an earlier run, meanwhile
    await holds();
    // What an earlier, interrupted run indexed goes first.
    await d.query('delete from search_entries where document_id = ?', [documentId]);
    await d.query('delete from document_chunks where document_id = ?', [documentId]);
    return true;
  });
  if (!started) return { gone: true };
  let alive = Date.now();
  for (let start = 0; start < list.length; start += batch) {
    const present = await transaction(d, async () => {
      const [doc] = await d.query('select owner_id, organization_id, visibility, title, created_at, status from documents where id = ?' + lock, [documentId]);
      if (!doc || doc.status !== 'processing') return false; // deleted meanwhile: its deletion took whatever was indexed
      await holds();
      if (Date.now() - alive > ALIVE_EVERY_MS) {
        await d.query('update documents set updated_at = ? where id = ?', [d.now(), documentId]);
        alive = Date.now();
      }
      const organizationId = doc.visibility === 'organization' ? doc.organization_id : null;
      const part = list.slice(start, start + batch);
      const chunkValues = [];
      const entryValues = [];
      part.forEach((c, i) => {
        const id = randomUUID();
        const vector = vectors ? vectors[start + i] : null;
        chunkValues.push(id, documentId, start + i + 1, c.heading, c.text, vector ? JSON.stringify(vector) : null);
        const entry = {
          id: randomUUID(),
          user_id: doc.owner_id,
          type: 'document',
          source_id: id,
          conversation_id: null,
          role: null,
          document_id: documentId,
          organization_id: organizationId,
          title: clipTitle(c.heading ? doc.title + ' \u2014 ' + c.heading : doc.title),
          body: c.text,
          created_at: doc.created_at,
        };
        for (const column of entryColumns) entryValues.push(entry[column]);
      });
      await d.query(insert('document_chunks', CHUNK_COLUMNS, part.length), chunkValues);
      await d.query(insert('search_entries', entryColumns, part.length), entryValues);
      return true;
    });
    if (!present) return { gone: true };
  }
  const updated = await transaction(d, async () => {
    const [doc] = await d.query('select status from documents where id = ?' + lock, [documentId]);
    if (!doc || doc.status !== 'processing') return [];
    await holds();
    return d.query("update documents set text = ?, status = 'ready', chunk_count = ?, error = null, updated_at = ? where id = ? and status = 'processing'", [text, list.length, d.now(), documentId]);
  });
  return { count: list.length, updated: updated.length, reused };
}

/** The settings of this thread's connection (for tests). */
async function settings({ db, modules }) {
  return { ...(await (await open(db, modules)).settings()), nice: require('node:os').getPriority() };
}

function html(data, limits, modules) {
  const source = utf8(data);
  const { Parser } = require(modules.htmlparser2);
  let depth = 0;
  const parser = new Parser({
    onopentag() { if (++depth > limits.maxHtmlDepth) throw new Limit('html_depth', limits.maxHtmlDepth, depth); },
    onclosetag() { depth--; },
  });
  parser.write(source);
  parser.end();
  const { convert } = require(modules.htmlToText);
  const text = convert(source, {
    wordwrap: false,
    limits: { maxDepth: limits.maxHtmlDepth },
    selectors: [
      { selector: 'a', options: { ignoreHref: true } },
      { selector: 'img', format: 'skip' },
      ...[1, 2, 3, 4, 5, 6].map((n) => ({ selector: 'h' + n, format: 'heading', options: { uppercase: false, leadingLineBreaks: 2, trailingLineBreaks: 1, prefix: '#'.repeat(n) + ' ' } })),
    ],
    formatters: {
      // Headings as Markdown lines, so HTML and Markdown are chunked the same way.
      heading: (elem, walk, builder, options) => {
        builder.openBlock({ leadingLineBreaks: options.leadingLineBreaks ?? 2 });
        builder.addInline(String(options.prefix ?? ''));
        walk(elem.children, builder);
        builder.closeBlock({ trailingLineBreaks: options.trailingLineBreaks ?? 1 });
      },
    },
  });
  if (text.length > limits.maxChars) throw new Limit('characters', limits.maxChars);
  return text;
}

`;

/** What reading a document gave: its text and passages. */
export interface DocumentRead {
  text: string;
  chunks: Chunk[];
}

/** The database the worker threads write ingested documents to, on connections of their own. */
export interface IngestDatabase {
  driver: 'sqlite' | 'postgresql';
  url: string;
  /** SQLite: how long a write waits for another writer (the serving thread's) before failing. */
  busyTimeoutMs: number;
}

/** What ingesting a document in a worker thread came to; `reused`: it took the reading of the upload's check rather than reading the file again. */
export type Ingested = { count: number; reused: boolean } | { gone: true };

/** What an upload's check read, kept for its ingestion: `reading` names it (null: not kept, the ingestion reads the file). */
export interface Checked {
  count: number;
  reading: string | null;
}

/** The longest text whose reading an upload's check keeps for the ingestion (longer ones are read again). */
const KEEP_ONE_CHARS = 500_000;
/** The text of all readings kept at once (characters; the oldest are dropped first). */
const KEEP_CHARS = 4_000_000;
/** What a kept reading counts against KEEP_CHARS: its text and its passages'. */
const charsOf = (r: Reading) => r.text.length + r.texts.length;

/** Passages written per transaction by a worker thread: SQLite's one write lock is held only that long (a few milliseconds). */
const INGEST_BATCH = 50;
/** How long the writing thread waits for the next document before it ends. */
const WRITER_IDLE_MS = 30_000;
/** An ingestion (reading included) that takes longer than this is stopped (the thread ends; its transaction rolls back) and retried. */
const INGEST_TIMEOUT_MS = 10 * 60_000;

/**
 * A pool of worker threads (piscina) that read documents: extraction and chunking, within the
 * limits, and the ingestion of a document into the database on a connection of each thread's own.
 * Its size comes from WORKER_THREADS; documents beyond it wait their turn in the pool's queue, off
 * the event loop. Beside it one writing thread ingests the documents whose reading an upload's
 * check kept (most uploads), so the reading threads go on reading meanwhile.
 */
export class DocumentReaders {
  private pool: Piscina | null = null;
  private writerPool: Piscina | null = null;
  /**
   * What upload checks read, kept on this (the serving) thread for the uploads' ingestion, by a
   * name the upload's job carries: any thread of the pool can then take it, where a reading kept
   * by the thread that made it served only a job that happened to land on that thread (with two
   * threads, half the files were read twice). Taken (dropped) by the first use; at most KEEP_CHARS
   * of text in all, the oldest dropped first; gone with the process (a job then reads the file).
   */
  private readonly kept = new Map<string, Reading>();
  private keptChars = 0;

  /**
   * @param db where ingestion writes; null when a worker thread cannot open it (SQLite in memory,
   * which only its own connection sees): the serving thread writes then (see `writes`).
   */
  constructor(
    private readonly size: number,
    private readonly db: IngestDatabase | null = null,
    /**
     * Each thread's heap (WORKER_HEAP_MB): an HTML page becomes a DOM many times its size. A thread
     * that runs out ends (the process goes on) and its document is refused: document_too_large, `memory`.
     */
    private readonly heapMb = 512,
    /** How much the threads lower their scheduling priority (WORKER_NICE, 0–19): above 0, requests run first on a shared core. */
    private readonly nice = 0,
  ) {
    this.dbTask = db && db.driver === 'sqlite' && this.writes ? { ...db, turns: writeTurnsOf(db.url) } : db;
  }

  /** The database as the threads are told of it: with SQLite, the file's WriteTurns (shared memory), so the serving thread's statements go first. */
  private readonly dbTask: (IngestDatabase & { turns?: WriteTurns }) | null;

  /** Whether `ingest` can write in a worker thread (the database is not SQLite in memory). */
  get writes(): boolean {
    return this.db !== null && this.db.url !== ':memory:';
  }

  /**
   * The reading threads' pool (WORKER_THREADS), or (`writer`) the writing thread's: one thread
   * that writes documents whose reading an upload's check kept, so the reading threads, the
   * limit of ingestion's throughput, only read (pdf.js took 60% of a reading thread's time
   * per document; the writes, 10 to 15%, now run beside the next reading). The same source runs
   * in both; the writing thread never loads pdf.js.
   */
  private get(writer = false): Piscina {
    // The writing thread stays longer: it holds no pdf.js and no document (a few MB), and an
    // upload that comes now and then should not wait for a thread to start twice.
    if (writer) return (this.writerPool ??= this.newPool(1, WRITER_IDLE_MS, true));
    return (this.pool ??= this.newPool(this.size, 1_000, false));
  }

  private newPool(threads: number, idleTimeout: number, writer: boolean): Piscina {
    const source = WORKER_SOURCE.replace('/*BODY*/', () => BODY);
    const dir = join(tmpdir(), 'xentree-workers');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `document-reader-${createHash('sha256').update(source).digest('hex').slice(0, 16)}.cjs`);
    writeFileSync(file, source);
    return new Piscina({
      filename: file,
      minThreads: 0,
      maxThreads: threads,
      workerData: { threadName: writer ? THREAD_NAMES.writing : THREAD_NAMES.reading },
      // Idle reading threads go after a second: each keeps its heap (pdf.js, the last document, its
      // connection's page cache) in the process's resident memory until it ends.
      idleTimeout,
      // A small young generation: a thread's garbage is collected often rather than held in large semispaces.
      resourceLimits: { maxOldGenerationSizeMb: this.heapMb, maxYoungGenerationSizeMb: MAX_YOUNG_MB },
      // Each thread lowers its own priority as it starts (piscina, through @napi-rs/nice; on Linux
      // a thread's nice is its own): a core shared by reading documents and by requests runs the requests first.
      niceIncrement: this.nice,
      // pdf.js warns about fonts on the console: not the server's log.
      stdout: true,
      stderr: true,
    } as ConstructorParameters<typeof Piscina>[0]);
  }

  /**
   * Runs a task in a thread. `transfer`: the bytes it carries move to the thread rather than
   * being copied (twice: into the message, then out of it), and the caller's Buffer is emptied.
   */
  private async run(what: string, task: Record<string, unknown> & { data?: Uint8Array }, signal: AbortSignal, name?: string, limitMs = TIMEOUT_MS, transfer = false, writer = false): Promise<Answer> {
    const moved = transfer && task.data && owns(task.data) ? [task.data.buffer as ArrayBuffer] : undefined;
    try {
      return (await this.get(writer).run({ ...task, modules: MODULES }, { signal, ...(name ? { name } : {}), ...(moved ? { transferList: moved } : {}) })) as Answer;
    } catch (e) {
      // The thread ran out of heap: reading this document needs more than a thread may have (the
      // thread ended; the pool starts another). The same bytes would need it again.
      if ((e as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY') throw documentTooLarge('memory', this.heapMb);
      const n = (e as { name?: string }).name;
      if (n === 'AbortError' || n === 'TimeoutError') {
        if (signal.reason instanceof Error && signal.reason.name !== 'TimeoutError') throw signal.reason;
        // The file's own cost (a PDF slow to parse, text that makes the chunker work hard): reading
        // it again would take as long, so the upload is refused, or its job fails without retrying.
        throw documentTooLarge('reading_time', limitMs / 1000);
      }
      throw new Error(`the ${what} reader stopped: ${(e as Error).message}`, { cause: e });
    }
  }

  /**
   * The text and passages of a file, read in a worker thread within the limits (HTML: markup
   * dropped, headings kept as `#` lines for the chunker); or the reading `check` kept, by its name
   * (taken: a second use reads the file) or as `claim` took it. `data` may be null only with a
   * reading that is there (one claimed).
   * @throws document_too_large (characters, pages, pdf_expansion, html_depth, chunks); any other error is the file's fault
   */
  async read(kind: DocumentKind, data: Buffer | null, limits: DocumentLimits, reading?: string | KeptReading | null): Promise<DocumentRead> {
    const m = this.reading(reading) ?? (await this.run(what(kind), task(kind, fileOf(data), limits), AbortSignal.timeout(TIMEOUT_MS)));
    answered(m);
    const text = m.text ?? '';
    if (!m.count) return { text, chunks: [] };
    const texts = m.texts!.split('\u0000');
    const headings = m.headings!.split('\u0000');
    return { text, chunks: texts.map((t, i) => ({ text: t, heading: headings[i] === '\u0001' ? null : headings[i]! })) };
  }

  /**
   * How many passages a file makes, read in a worker thread within the limits, and the name of
   * its reading, kept here for the file's ingestion (`ingest`'s `reading`) when its text is at
   * most KEEP_ONE_CHARS.
   * @throws document_too_large (as `read`); any other error is the file's fault
   */
  async check(kind: DocumentKind, data: Buffer, limits: DocumentLimits): Promise<Checked> {
    const m = await this.run(what(kind), { ...task(kind, data, limits), check: true, keepChars: KEEP_ONE_CHARS }, AbortSignal.timeout(TIMEOUT_MS));
    answered(m);
    return { count: m.count ?? 0, reading: m.reading ? this.keep(m.reading) : null };
  }

  private keep(reading: Reading): string {
    const name = randomUUID();
    this.kept.set(name, reading);
    this.keptChars += charsOf(reading);
    for (const oldest of this.kept.keys()) {
      if (this.keptChars <= KEEP_CHARS) break;
      this.claim(oldest);
    }
    return name;
  }

  /**
   * Takes the reading kept under `name` out of the keeping (null: none, or no longer: dropped,
   * taken, or kept by another process), so that a caller that has it need not fetch the file's
   * bytes at all; hand it to `read` or `ingest`.
   */
  claim(name: string): KeptReading | null {
    const r = this.kept.get(name);
    if (!r) return null;
    this.kept.delete(name);
    this.keptChars -= charsOf(r);
    return r;
  }

  /** A task's reading: taken by name, or as claimed. */
  private reading(reading: string | KeptReading | null | undefined): Reading | null {
    if (!reading) return null;
    return typeof reading === 'string' ? this.claim(reading) : reading;
  }

  /**
   * Ingests a document in a worker thread, on that thread's own connection: takes the reading
   * `check` kept (by its name `reading`, or as `claim` took it), or reads the file within the
   * limits (`data`, which may be null only with a reading that is there), removes what an earlier run indexed, writes the passages and their search entries
   * in short transactions (each locks the document's row and reads its sharing again), then the
   * text, and `ready`. `{ gone }` when the document was deleted (or no longer processing) meanwhile.
   * `entryColumns`: the search module's columns of an entry (SEARCH_ENTRY_COLUMNS).
   * @throws document_too_large, an Error with the file's fault (no text, unreadable), a database error (retry), `signal`'s reason
   */
  async ingest(
    kind: DocumentKind,
    data: Buffer | null,
    limits: DocumentLimits,
    job: { documentId: string; vectors: number[][] | null; entryColumns: readonly string[]; signal: AbortSignal; reading?: string | KeptReading | null; claim: { jobId: string; lockedBy: string } },
  ): Promise<Ingested> {
    if (!this.writes) throw new Error('ingestion in a worker thread needs a database it can open (not SQLite in memory)');
    const signal = AbortSignal.any([job.signal, AbortSignal.timeout(INGEST_TIMEOUT_MS)]);
    const reading = this.reading(job.reading);
    const m = await this.run(
      what(kind),
      // With the reading, the thread does not read the file: no bytes go.
      {
        ...task(kind, reading ? noBytes() : fileOf(data), limits),
        db: this.dbTask,
        documentId: job.documentId,
        vectors: job.vectors,
        batch: INGEST_BATCH,
        entryColumns: [...job.entryColumns],
        reading,
        claim: { jobId: job.claim.jobId, lockedBy: job.claim.lockedBy, sql: claimHoldsSql(this.dbTask!.driver), lost: CLAIM_LOST },
      },
      signal,
      'ingest',
      INGEST_TIMEOUT_MS,
      true,
      reading !== null,
    );
    answered(m);
    if (m.gone) return { gone: true };
    return { count: m.count ?? 0, reused: m.reused === true };
  }

  /** Tasks each pool has finished since it started (for tests and benchmarks: which threads did the work). */
  tasksDone(): { reading: number; writing: number } {
    return { reading: this.pool?.completed ?? 0, writing: this.writerPool?.completed ?? 0 };
  }

  /** The settings of a worker thread's database connection (SQLite: journal_mode, synchronous, busy_timeout), and the thread's scheduling priority (`nice`). */
  async settings(): Promise<Record<string, unknown>> {
    if (!this.writes) throw new Error('no database for the worker threads');
    return (await this.get().run({ db: this.dbTask, modules: MODULES }, { name: 'settings' })) as Record<string, unknown>;
  }

  /**
   * The heap of each live worker thread, reading and writing (V8's statistics, as `v8.getHeapStatistics()` in that
   * thread) and the busy share of its event loop since it started: for the benchmarks' memory
   * breakdown (the threads live in this process; their heaps count in its resident memory).
   */
  async threadStats(): Promise<{ heap: HeapInfo; busy: number }[]> {
    const threads = [...(this.pool?.threads ?? []), ...(this.writerPool?.threads ?? [])];
    const stats = await Promise.all(
      threads.map(async (t) => {
        try {
          return { heap: await t.getHeapStatistics(), busy: t.performance.eventLoopUtilization().utilization };
        } catch {
          return null; // ended meanwhile
        }
      }),
    );
    return stats.filter((s) => s !== null);
  }

  async close(): Promise<void> {
    const pools = [this.pool, this.writerPool];
    this.pool = null;
    this.writerPool = null;
    await Promise.all(pools.flatMap((p) => (p ? [p.destroy()] : [])));
  }
}

const what = (kind: DocumentKind) => (kind === 'pdf' ? 'PDF' : kind === 'html' ? 'HTML' : 'document');

/** Whether the view is the whole of its ArrayBuffer (a Buffer of Node's shared pool is not, and must never move). */
const owns = (data: Uint8Array) => data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer;

/** The bytes of a task that goes without them (it has the reading): new each time, since a task's bytes move to the thread. */
const noBytes = () => Buffer.alloc(0);
/** The file's bytes, which a task without a reading needs. */
const fileOf = (data: Buffer | null): Buffer => {
  if (!data) throw new Error('a document without its reading needs its bytes');
  return data;
};

const task = (kind: DocumentKind, data: Buffer, limits: DocumentLimits) => ({
  kind,
  data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  limits: { ...limits, expansionFloor: EXPANSION_FLOOR_CHARS },
});

/** A file that cannot be read (corrupt, no text): reading it again gives the same. */
export class UnreadableDocument extends Error {}

/** @throws document_too_large, or UnreadableDocument with the file's fault */
function answered(m: Answer): void {
  if (m.limit) throw documentTooLarge(m.limit, m.max!, m.found);
  if (m.error !== undefined) throw new UnreadableDocument(m.error);
}
