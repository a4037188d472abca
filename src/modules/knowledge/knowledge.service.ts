import { randomUUID } from 'node:crypto';
import { LockMode, type EntityManager, type FilterQuery } from '@mikro-orm/core';
import type { EntityManager as SqlEntityManager } from '@mikro-orm/sql';
import type { AbstractSqlConnection } from '@mikro-orm/sql';
import { sql } from 'kysely';
import { authorize, requireMembership } from '../../common/access.js';
import type { RequestContext } from '../../common/context.js';
import { keyOrganizationOf } from '../../common/principal.js';
import { AppError, isAppError } from '../../common/errors.js';
import { isId } from '../../common/ids.js';
import { pageSchema, type Page, type PageArgs } from '../../common/pagination.js';
import type { EventBus } from '../../common/pubsub.js';
import type { Requirement } from '../../common/scopes.js';
import { clip, excerpt, snippetHtml } from '../../common/text.js';
import { toDate } from '../../common/time.js';
import { yieldToEventLoop } from '../../common/yielding.js';
import { parseInput, str } from '../../common/validation.js';
import { findConnection, type ConnectionPage, type PageRequest } from '../../graphql/relay.js';
import type { Config } from '../../config.js';
import type { AiProviderId } from '../ai/index.js';
import type { Passage, PromptMessage } from '../ai/index.js';
import type { ProviderRegistry } from '../ai/index.js';
import { OrgRole } from '../organizations/index.js';
import { Organization } from '../organizations/index.js';
import { keywords, SEARCH_ENTRY_COLUMNS, terms, type SearchService } from '../search/index.js';
import { User } from '../users/index.js';
import type { Chunk } from './chunk.js';
import { DocumentChunk } from './knowledge.entities.js';
import { KnowledgeDocument } from './knowledge.entities.js';
import { detectKind, MIME_OF, validateFile, type DocumentKind } from './extract.js';
import { UPLOAD_GRACE_MS, type BlobPage, type BlobStore } from '../../storage/file-store.js';
import type { Logger } from 'pino';
import { PermanentJobError, type JobQueue, type JobRun } from '../../jobs/queue.js';
import { assertClaim } from '../../db/queue/claim.js';
import type { RateLimits } from '../../common/rate-limits.js';
import { UnreadableDocument, type DocumentReaders, type Ingested, type KeptReading } from './extract-worker.js';
import { preparedRead } from '../../db/prepared.js';
import { dot, Embedder } from './embeddings.js';
import { documentTooLarge } from './limits.js';
import type { KnowledgeSearchModeValue } from './knowledge.enums.js';
import {
  knowledgeSearchSchema,
  ragSchema,
  updateDocumentSchema,
  uploadSchema,
  type KnowledgeHit,
  type KnowledgeSearchData,
  type RagData,
  type UpdateDocumentData,
  type UploadData,
} from './knowledge.types.js';
import { passageTitle } from './knowledge.search.js';

/** Part of the question's words a passage must contain to count as relevant at all. */
const RELEVANCE_FLOOR = 0.5;
/** Cosine similarity above which a passage counts as relevant by meaning alone. */
const SEMANTIC_FLOOR = 0.25;
/** How deep each lane ranks before fusion, and the reciprocal-rank constant. */
const FUSION_DEPTH = 50;
const RRF_K = 60;

/** Whose documents the caller may read: their own, and those shared with these organizations. */
interface Readers {
  userId: string;
  orgIds: string[];
  /**
   * The caller is an API key of this organization: acting inside it, it reads the user's own
   * documents when private or shared with it, not those shared with another organization.
   */
  keyOrganizationId: string | null;
}

/** The documents (as `alias`) that `readers` may read, as SQL with its parameters. */
function readableDocuments(alias: string, { userId, orgIds, keyOrganizationId }: Readers): { sql: string; params: string[] } {
  const shared = orgIds.length ? ` or (${alias}.visibility = 'organization' and ${alias}.organization_id in (${orgIds.map(() => '?').join(', ')}))` : '';
  const own = keyOrganizationId ? `(${alias}.owner_id = ? and (${alias}.organization_id is null or ${alias}.organization_id = ?))` : `${alias}.owner_id = ?`;
  return { sql: `${own}${shared}`, params: [userId, ...(keyOrganizationId ? [keyOrganizationId] : []), ...orgIds] };
}

/** Whether `readers` may read `doc` (the rule `readableDocuments` writes in SQL). */
function mayRead(doc: KnowledgeDocument, { userId, orgIds, keyOrganizationId }: Readers): boolean {
  const org = doc.organization?.id ?? null;
  if (doc.owner.id === userId && (!keyOrganizationId || org === null || org === keyOrganizationId)) return true;
  return doc.visibility === 'organization' && org !== null && orgIds.includes(org);
}

export type SearchMode = KnowledgeSearchModeValue;


/**
 * Statements every document's ingestion runs on the serving thread, prepared once (src/db/prepared.ts)
 * rather than built by the ORM for each document: what its job reads first, and who may read it
 * now, for its status event, with its status.
 */
const TO_INGEST = preparedRead<{ status: string; mime_type: string; file_key: string | null }>('select status, mime_type, file_key from documents where id = ?');
const READERS = preparedRead<{ owner_id: string; organization_id: string | null; visibility: string; status: string }>('select owner_id, organization_id, visibility, status from documents where id = ?');
/** The upload store (DATA_DIR/uploads, or the bucket) failed: the request may succeed later, and nothing was written. */
const storeUnavailable = (): AppError => new AppError('service_unavailable', 'The file store cannot be used right now; try again shortly', { retry_after_seconds: 30 }, { 'retry-after': '30' });

/** Runs `check`, its validation errors about the file named by the field the bytes came in (`content`, `contentBase64`). */
function namingField<T>(field: string, check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (field === 'file' || !isAppError(e) || e.code !== 'validation_error' || !e.details.fields) throw e;
    const fields = e.details.fields.map((f) => (f.loc[0] === 'file' ? { ...f, loc: [field, ...f.loc.slice(1)] } : f));
    throw AppError.validation(fields, e.message.replace(/^Invalid file/, `Invalid ${field}`));
  }
}

/** Who may read a document besides its uploader (the organization it is shared with), and its status; undefined: it is gone. */
async function readersNow(em: EntityManager, documentId: string): Promise<{ readers: { ownerId: string; organizationId: string | null }; status: string } | undefined> {
  const row = await READERS.first(em, [documentId]);
  return row && { readers: { ownerId: row.owner_id, organizationId: row.visibility === 'organization' ? row.organization_id : null }, status: row.status };
}

const NOTHING_FOUND = 'I found nothing in the knowledge base that answers this.';

/**
 * Passages written per transaction while a document is indexed: the first batch, then as many as
 * keep the event loop's own work per batch near INDEX_BATCH_MS (SQLite writes synchronously, so a
 * batch of 50 passages with their full-text entries held the loop 20 to 50 ms on a busy machine).
 */
const INDEX_BATCH = 20;
const INDEX_BATCH_MIN = 4;
const INDEX_BATCH_MAX = 200;
const INDEX_BATCH_MS = 6;
/** How often a document being indexed is marked alive (`updatedAt`), so a restarting process does not take it for dead. */
const ALIVE_EVERY_MS = 30_000;

/** A document read for indexing: its text and passages, or why it cannot be indexed. */
type Read = { text: string; chunks: Chunk[] } | { failure: string };

/** Gives vectors to passages without them: a recurring job, with an embeddings endpoint only. */
export const EMBEDDINGS_BACKFILL_JOB = 'knowledge.embeddings-backfill';
/** Passages embedded per request and transaction by the backfill. */
const BACKFILL_BATCH = 64;

/** The job that ingests a document (src/jobs/). */
export const INGEST_JOB = 'knowledge.ingest';
/** An ingestion job: its document, and the name of the reading its upload's check kept (see DocumentReaders.check). */
interface IngestPayload {
  documentId: string;
  reading?: string;
}
/**
 * The job that removes a deleted document's file once it may: one deleted within UPLOAD_GRACE_MS
 * of its bytes being stored (or stored again) is kept that long, in case an upload of the same
 * bytes is about to refer to it, and this removes it after, unless a document holds it by then.
 */
export const REMOVE_FILE_JOB = 'knowledge.remove-file';
interface RemoveFilePayload {
  key: string;
}
/**
 * The upload store's upkeep, a recurring job (UPLOAD_SWEEP_INTERVAL_MS): files no document
 * refers to, untouched for UPLOAD_SWEEP_MIN_AGE_MS, are removed (`sweepFiles`).
 */
export const SWEEP_FILES_JOB = 'knowledge.sweep-files';
/** Keys the sweep lists, and looks up in `documents`, at a time. */
const SWEEP_PAGE = 500;
const KIND_OF_MIME: Record<string, DocumentKind> = Object.fromEntries(Object.entries(MIME_OF).map(([k, m]) => [m, k as DocumentKind]));

/** What ingestion runs on: the job queue, where uploads are kept, the worker threads that read them. */
export interface KnowledgeBackground {
  jobs: JobQueue;
  store: BlobStore;
  readers: DocumentReaders;
  /** Where background work that has nobody to answer says what it did. */
  log?: Logger;
  /** A grounded answer is a provider's turn: it counts against the caller's `chat` limit. */
  rateLimits?: RateLimits;
}

/** A page of documents, optionally of one organization (its id is checked before it reaches a query). */
const listDocumentsSchema = pageSchema.extend({ organizationId: str().uuid('must be an id').nullish() });

/**
 * The knowledge base: documents in (extracted, chunked and indexed in the background),
 * ranked chunks and grounded answers out, always within what the caller may read.
 */
export class KnowledgeService {
  private readonly embedder: Embedder | null;

  constructor(
    private readonly search: SearchService,
    private readonly ai: ProviderRegistry,
    private readonly config: Config,
    private readonly events: EventBus | undefined,
    private readonly background: KnowledgeBackground,
  ) {
    this.embedder = config.knowledge.embeddings ? new Embedder(config.knowledge.embeddings, config.ai.timeoutMs) : null;
    background.jobs.register<IngestPayload>(INGEST_JOB, {
      run: (payload, job) => this.ingest(payload.documentId, job, payload.reading ?? null),
      // The file's fault (unreadable, past a limit): trying again reads the same bytes.
      permanent: (e) => isAppError(e),
      onDead: (em, payload, reason) => this.markFailed(em, payload.documentId, reason),
      afterDead: async (em, payload) => {
        const doc = await readersNow(em, payload.documentId);
        if (doc) this.announce(payload.documentId, 'failed', doc.readers);
      },
    });
    background.jobs.register<RemoveFilePayload>(REMOVE_FILE_JOB, {
      run: async ({ key }, job) => {
        // Kept again (stored again within the grace, by an upload that did not commit): tried again later, with backoff.
        if (!(await this.removeFile(job.em, key, false))) throw new Error('the file was stored again within the grace period; removing it later');
      },
    });
    if (config.knowledge.fileSweep.enabled) {
      background.jobs.recurring(SWEEP_FILES_JOB, { everyMs: config.knowledge.fileSweep.intervalMs }, { run: async (_p, job) => void (await this.sweepFiles(job.em, job.signal)) });
    }
    if (this.embedder && config.knowledge.embeddings) {
      background.jobs.recurring(
        EMBEDDINGS_BACKFILL_JOB,
        { everyMs: config.knowledge.embeddings.backfillIntervalSeconds * 1000 },
        { run: async (_p, job) => void (await this.backfillEmbeddings(job.em, job.signal)) },
      );
    }
  }

  /**
   * Vectors for the passages of ready documents that have none (indexed before an embeddings
   * endpoint was configured), a batch at a time until none is left. Idempotent: a passage given
   * one meanwhile keeps it (each write is conditional on `embedding is null`). An endpoint that
   * fails throws, and the job is retried with backoff. Answers how many passages got one.
   */
  async backfillEmbeddings(em: EntityManager, signal?: AbortSignal): Promise<number> {
    if (!this.embedder) return 0;
    let done = 0;
    // Each batch leaves the passages it read with a vector, so the next query finds the next ones.
    for (;;) {
      signal?.throwIfAborted();
      const rows = await (em as SqlEntityManager).execute<{ id: string; heading: string | null; text: string }[]>(
        `select c.id, c.heading, c.text from document_chunks as c inner join documents as d on d.id = c.document_id
         where c.embedding is null and d.status = 'ready' order by c.id limit ?`,
        [BACKFILL_BATCH],
      );
      if (!rows.length) return done;
      const vectors = await this.embedder.embed(rows.map((c) => (c.heading ? `${c.heading}\n${c.text}` : c.text)));
      await em.fork().transactional(async (tx) => {
        for (let i = 0; i < rows.length; i++) done += await tx.nativeUpdate(DocumentChunk, { id: rows[i]!.id, embedding: null }, { embedding: vectors[i]! });
      });
      await yieldToEventLoop();
    }
  }

  /**
   * Accepts a document and returns it with status `processing`; indexing follows in the
   * background. The file is read first (text extracted, split into passages), so a document
   * past a limit is refused here and nothing is stored: extracted characters, PDF pages, a
   * PDF's text per byte (a decompression bomb), HTML nesting, passages, and the bytes the
   * user already keeps. Files that are empty, truncated or not what they claim are refused
   * too; one that cannot be read (a corrupt PDF, no text) is stored and fails with the reason.
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE (rag:write), validation_error, payload_too_large, document_too_large, not_found (organization)
   */
  async upload(ctx: RequestContext, data: UploadData, fileField = 'file'): Promise<KnowledgeDocument> {
    const p = authorize(ctx, 'rag:write');
    const input = parseInput(uploadSchema, data);
    // What the caller sent the bytes as, for the errors about them: a file (multipart `file`, GraphQL's `contentBase64`) or `content` text.
    const field = input.data ? fileField : 'content';
    const bytes = input.data ?? Buffer.from(input.content ?? '', 'utf8');
    if (bytes.length > this.config.knowledge.maxBytes) {
      throw new AppError('payload_too_large', `The document is ${bytes.length} bytes; the limit is ${this.config.knowledge.maxBytes}`);
    }
    const kind = namingField(field, () => {
      const k: DocumentKind = input.data ? detectKind(input.filename ?? null, input.mimeType ?? null, bytes) : detectKind(input.filename ?? null, input.mimeType ?? 'text/plain', bytes);
      validateFile(k, bytes);
      return k;
    });
    if (input.organizationId) await requireMembership(ctx, input.organizationId, 'rag:write');
    // Checked first before the file is read (a refusal costs nothing), and again in the transaction.
    await this.checkStorage(ctx.em, p.userId, bytes.length);
    // Read in a worker thread to check the limits before answering; the job takes that reading
    // when it runs in this process (else it reads the stored bytes again).
    const reading = await this.check(kind, bytes);
    // The original bytes, on disk and synced, before anything refers to them.
    const { key } = await this.background.store.put(bytes).catch((e: unknown) => {
      ctx.log.error({ err: e }, 'an upload could not be stored');
      throw storeUnavailable();
    });
    // The document and its job commit together: no document without its job, no job without its
    // document. (In a fork: the answer is the document as accepted, `processing`, even when the
    // job already finished by the time the request's own reads, such as a payload's list, run.)
    let doc: KnowledgeDocument;
    try {
      doc = await ctx.em.fork().transactional(async (tx) => {
        // The limit again, where uploads of one user take turns: parallel uploads each checked
        // before any was written would all fit. On PostgreSQL the owner's row is locked until
        // the commit; SQLite runs one write transaction at a time.
        if (this.config.db.driver === 'postgresql') await tx.findOne(User, { id: p.userId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
        await this.checkStorage(tx, p.userId, bytes.length);
        const created = tx.create(KnowledgeDocument, {
          owner: tx.getReference(User, p.userId),
          organization: input.organizationId ? tx.getReference(Organization, input.organizationId) : null,
          visibility: input.visibility,
          title: clip(input.title || input.filename || 'Untitled', 300),
          mimeType: MIME_OF[kind],
          sizeBytes: bytes.length,
          fileKey: key,
        });
        await tx.flush();
        const payload: IngestPayload = reading ? { documentId: created.id, reading } : { documentId: created.id };
        await this.background.jobs.enqueue(tx, INGEST_JOB, payload, { ref: created.id });
        return created;
      });
    } catch (e) {
      // Nothing refers to the bytes just stored: they go (after the grace), unless the database is what failed.
      await this.removeFile(ctx.em.fork(), key).catch(() => undefined);
      throw e;
    }
    // The same bytes may have been removed between `put` and the commit, by the removal of
    // another document's file or the store's upkeep, which had found no document holding them
    // (see `removeUnreferenced`): stored again, so the document never refers to missing bytes.
    // The document is committed: a store failing here is logged, not answered as a failed upload
    // (the client would upload it again, and keep two).
    try {
      if (!(await this.background.store.exists(key))) await this.background.store.put(bytes);
    } catch (err) {
      ctx.log.warn({ err, documentId: doc.id }, 'could not check that an upload\'s stored bytes are still there');
    }
    this.background.jobs.wake();
    return doc;
  }

  /** The user's documents (all but failed ones) and this upload must fit in `maxUserBytes`. */
  private async checkStorage(em: EntityManager, userId: string, adding: number): Promise<void> {
    const max = this.config.knowledge.limits.maxUserBytes;
    const [row] = await (em as SqlEntityManager).execute<{ total: number | string | null }[]>('select sum(size_bytes) as total from documents where owner_id = ?', [userId]);
    const kept = Number(row?.total ?? 0);
    if (kept + adding > max) throw documentTooLarge('stored_bytes', max, kept + adding);
  }

  /**
   * Reads the file in a worker thread within the limits, to refuse it now if it passes one; answers
   * the name of the reading kept for the ingestion (null: none kept). A file that cannot be read (a
   * corrupt PDF, no text) is accepted: its job fails with the reason.
   * @throws document_too_large
   */
  private async check(kind: DocumentKind, bytes: Buffer): Promise<string | null> {
    try {
      return (await this.background.readers.check(kind, bytes, this.config.knowledge.limits)).reading;
    } catch (e) {
      if (isAppError(e)) throw e;
      return null;
    }
  }

  /**
   * The document's text and passages, within the limits; a file that cannot be read gives
   * the reason it fails with instead.
   * @throws document_too_large
   */
  private async read(kind: DocumentKind, bytes: Buffer | null, reading: KeptReading | null = null): Promise<Read> {
    try {
      const read = await this.background.readers.read(kind, bytes, this.config.knowledge.limits, reading);
      if (!read.chunks.length) return { failure: 'no text was found in the document' };
      return read;
    } catch (e) {
      if (isAppError(e)) throw e;
      return { failure: e instanceof Error ? e.message : String(e) };
    }
  }

  /**
   * The ingestion job of a document: its text and passages (read at upload when that was in this
   * process, else read again from the stored bytes in a worker thread), vectors when an embeddings
   * endpoint is configured, then the passages indexed in batches (sized to hold the event loop about INDEX_BATCH_MS each), each in a short
   * transaction of its own that gives way to the event loop before the next: a long document
   * neither stalls other requests nor holds the database (SQLite's one connection) for its whole
   * length. Each batch locks the document's row and reads its sharing again, so a rename, an
   * unsharing or a deletion made meanwhile is respected. Passages are searchable as their batch
   * commits; the document says `processing` until the last one is in.
   *
   * Idempotent: a document no longer `processing` is left alone, and what an earlier, interrupted
   * run indexed is removed first. An error is retried by the queue with backoff; a file that cannot
   * be read fails at once (the same bytes would fail again). The document is `failed`, with the
   * reason, only when its job is dead (`markFailed`).
   */
  private async ingest(documentId: string, job: JobRun, reading: string | null): Promise<void> {
    const em = job.em;
    const found = await TO_INGEST.first(em, [documentId]);
    if (!found || found.status !== 'processing') return;
    const fileKey = found.file_key;
    if (!fileKey) throw new PermanentJobError('the original file was not kept; upload the document again');
    const kind = KIND_OF_MIME[found.mime_type] ?? 'text';
    // The upload's reading, when this process still keeps it: then the file is not read again, and its bytes are not fetched.
    const kept = reading ? this.background.readers.claim(reading) : null;
    const bytes = kept ? null : await this.background.store.get(fileKey);
    if (this.background.readers.writes) {
      await this.ingestInWorker(documentId, kind, bytes, () => this.background.store.get(fileKey), job, kept);
      return;
    }
    const read = await this.read(kind, bytes, kept);
    if ('failure' in read) throw new PermanentJobError(read.failure);
    const { text, chunks } = read;
    // Vectors first: if the endpoint fails, nothing is indexed and the job is tried again.
    const vectors = this.embedder ? await this.embedder.embed(chunks.map((c) => (c.heading ? `${c.heading}\n${c.text}` : c.text))) : null;
    const lock = this.config.db.driver === 'postgresql' ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {};
    // Every transaction checks, after locking the document's row, that this run still holds its
    // job (as the worker thread's do): one whose lease was taken over writes nothing more.
    const driver = this.config.db.driver;
    const processing = async (tx: EntityManager): Promise<boolean> => {
      const doc = await tx.findOne(KnowledgeDocument, { id: documentId }, { ...lock, fields: ['status'] });
      if (!doc || doc.status !== 'processing') return false;
      await assertClaim(tx, driver, job);
      return true;
    };
    // What an earlier, interrupted run indexed goes first.
    const started = await em.fork().transactional(async (tx) => {
      if (!(await processing(tx))) return false;
      await this.search.remove(tx, { documentIds: [documentId] });
      await tx.nativeDelete(DocumentChunk, { document: documentId });
      return true;
    });
    if (!started) return;
    let alive = Date.now();
    let size = INDEX_BATCH;
    for (let start = 0; start < chunks.length; ) {
      const n = size;
      await yieldToEventLoop();
      const before = performance.eventLoopUtilization();
      if (job.signal.aborted) throw job.signal.reason instanceof Error ? job.signal.reason : new Error('the job was stopped');
      const present = await em.fork().transactional(async (tx) => {
        const doc = await tx.findOne(KnowledgeDocument, { id: documentId }, { ...lock, fields: ['owner', 'organization', 'visibility', 'title', 'createdAt', 'updatedAt', 'status'] });
        if (!doc || doc.status !== 'processing') return false; // deleted meanwhile: its deletion took whatever was indexed
        await assertClaim(tx, driver, job);
        if (Date.now() - alive > ALIVE_EVERY_MS) {
          doc.updatedAt = new Date();
          alive = Date.now();
        }
        const organizationId = doc.visibility === 'organization' ? (doc.organization?.id ?? null) : null;
        const batch = chunks.slice(start, start + n).map((c, i) => ({ id: randomUUID(), position: start + i + 1, ...c, embedding: vectors?.[start + i] ?? null }));
        // Plain inserts, no entities: for thousands of passages the entities were most of the work.
        await tx.insertMany(DocumentChunk, batch.map((c) => ({ id: c.id, document: doc.id, position: c.position, heading: c.heading, text: c.text, embedding: c.embedding })));
        await this.search.addMany(
          tx,
          batch.map((c) => ({
            userId: doc.owner.id,
            type: 'document',
            sourceId: c.id,
            documentId: doc.id,
            organizationId,
            title: c.heading ? `${doc.title} — ${c.heading}` : doc.title,
            body: c.text,
            createdAt: doc.createdAt,
          })),
        );
        return true;
      });
      if (!present) return;
      // The loop's busy time during this batch (its own work, mostly) sets the next batch's size.
      const busy = Math.max(0.1, performance.eventLoopUtilization(before).active);
      start += n;
      size = Math.max(INDEX_BATCH_MIN, Math.min(INDEX_BATCH_MAX, Math.round((n * INDEX_BATCH_MS) / busy), n * 2));
    }
    await yieldToEventLoop();
    // The text (megabytes, perhaps) as a parameter bound by the driver itself (through Kysely):
    // MikroORM 7's `execute` also formats its values into the SQL for the log, escaping and
    // copying them on the event loop (a 4 MB text held it 250 ms on PostgreSQL, mostly in GC).
    await sql`update documents set text = ${text} where id = ${documentId}`.execute((em.getConnection() as AbstractSqlConnection).getClient());
    const ready = await em.fork().transactional(async (tx) => (await processing(tx)) && (await tx.nativeUpdate(KnowledgeDocument, { id: documentId, status: 'processing' }, { status: 'ready', chunkCount: chunks.length, error: null, updatedAt: new Date() })) > 0);
    if (!ready) return;
    const indexed = await readersNow(em, documentId);
    if (indexed) this.announce(documentId, 'ready', indexed.readers);
  }

  /**
   * Ingestion where a worker thread can open the database (a SQLite file, PostgreSQL): the thread
   * reads the file and writes the passages, their search entries, the text and `ready` on its own
   * connection (extract-worker.ts), so the serving thread runs none of it: with SQLite, whose
   * writes are synchronous, every statement and commit of them would hold the event loop. With
   * embeddings, the vectors are fetched here first (the file is read once more for them).
   */
  private async ingestInWorker(documentId: string, kind: DocumentKind, bytes: Buffer | null, load: () => Promise<Buffer>, job: JobRun, reading: KeptReading | null): Promise<void> {
    const limits = this.config.knowledge.limits;
    let vectors: number[][] | null = null;
    if (this.embedder) {
      const read = await this.read(kind, bytes, reading);
      reading = null;
      if ('failure' in read) throw new PermanentJobError(read.failure);
      // The thread reads the file again (the vectors came from this reading).
      bytes ??= await load();
      vectors = await this.embedder.embed(read.chunks.map((c) => (c.heading ? `${c.heading}\n${c.text}` : c.text)));
    }
    let done: Ingested;
    try {
      done = await this.background.readers.ingest(kind, bytes, limits, { documentId, vectors, entryColumns: SEARCH_ENTRY_COLUMNS, signal: job.signal, reading, claim: { jobId: job.id, lockedBy: job.claim } });
    } catch (e) {
      // The file's fault fails at once; anything else (the database, the thread) is retried.
      if (e instanceof UnreadableDocument) throw new PermanentJobError(e.message);
      throw e;
    }
    if ('gone' in done) return;
    const indexed = await readersNow(job.em, documentId);
    if (indexed?.status === 'ready') this.announce(documentId, 'ready', indexed.readers);
  }

  /** The document's job is dead: it is `failed` with the reason, and nothing of it stays indexed (in the job's transaction). */
  private async markFailed(em: EntityManager, documentId: string, reason: string): Promise<void> {
    await this.search.remove(em, { documentIds: [documentId] });
    await em.nativeDelete(DocumentChunk, { document: documentId });
    await em.nativeUpdate(KnowledgeDocument, { id: documentId, status: 'processing' }, { status: 'failed', error: reason.slice(0, 480), chunkCount: 0, updatedAt: new Date() });
  }

  /** Removes the passages and search entries of these documents, in one transaction. */
  private async unindex(em: EntityManager, documentIds: string[]): Promise<void> {
    if (!documentIds.length) return;
    await em.transactional(async (tx) => {
      await this.search.remove(tx, { documentIds });
      await tx.nativeDelete(DocumentChunk, { document: { $in: documentIds } });
    });
  }

  /**
   * A document's ingestion ended: its uploader's documentEvents fires, and, when it is
   * shared, that of the organization's members (each reloads it with their own rights).
   */
  private announce(documentId: string, status: 'ready' | 'failed', readers: { ownerId: string; organizationId: string | null } | null): void {
    if (!this.events || !readers) return;
    this.events.publish('DOCUMENT_STATUS', { scope: `user:${readers.ownerId}`, documentId, status });
    if (readers.organizationId) this.events.publish('DOCUMENT_STATUS', { scope: `org:${readers.organizationId}`, documentId, status });
  }

  /** For tests: runs the queue until no job is due (every accepted document processed, or waiting for a retry). */
  async drain(): Promise<void> {
    await this.background.jobs.drain();
  }

  /**
   * Documents left `processing` without a job: those accepted before ingestion became a job (their
   * bytes were not kept) can never finish, and fail with the reason; one whose bytes are kept gets
   * its job again. Normally there is none: the upload commits the document with its job.
   */
  async failInterrupted(em: EntityManager): Promise<number> {
    const orphans = await (em as SqlEntityManager).execute<{ id: string; file_key: string | null }[]>(
      `select id, file_key from documents d where status = 'processing' and not exists (select 1 from jobs j where j.ref = cast(d.id as varchar(64)))`,
    );
    if (!orphans.length) return 0;
    const lost = orphans.filter((d) => !d.file_key).map((d) => d.id);
    const kept = orphans.filter((d) => d.file_key).map((d) => d.id);
    if (kept.length) {
      await em.transactional(async (tx) => {
        for (const id of kept) await this.background.jobs.enqueue(tx, INGEST_JOB, { documentId: id }, { ref: id });
      });
    }
    if (!lost.length) return 0;
    await this.unindex(em, lost);
    return em.nativeUpdate(KnowledgeDocument, { id: { $in: lost }, status: 'processing' }, { status: 'failed', error: 'Processing was interrupted by a restart; upload the document again' });
  }

  /**
   * The original file of a document the caller may read (the same rules as reading the document).
   * @throws not_found (also for a document uploaded before files were kept)
   */
  async file(ctx: RequestContext, id: string): Promise<{ bytes: Buffer; mimeType: string; title: string }> {
    const doc = await this.readable(ctx, id, 'rag:read');
    if (!doc.fileKey) throw AppError.notFound('Document file');
    const bytes = await this.background.store.get(doc.fileKey).catch((e: unknown) => {
      const gone = (e as NodeJS.ErrnoException).code === 'ENOENT';
      ctx.log[gone ? 'warn' : 'error']({ err: e, documentId: doc.id }, gone ? "a document's stored file is missing" : "a document's stored file could not be read");
      throw gone ? AppError.notFound('Document file') : storeUnavailable();
    });
    return { bytes, mimeType: doc.mimeType, title: doc.title };
  }

  /** The organizations whose shared documents the caller may read (an API key: only its own). */
  private async readableOrgs(ctx: RequestContext, need: Requirement): Promise<Readers> {
    const p = authorize(ctx, need);
    const keyOrganizationId = keyOrganizationOf(p);
    return { userId: p.userId, orgIds: keyOrganizationId ? [keyOrganizationId] : await ctx.loaders.memberships.organizationIds(p.userId), keyOrganizationId };
  }

  /**
   * Whether the caller may read any document at all (one indexed lookup). A chat turn grounds
   * itself in the knowledge base unless told not to: for the many callers without a document,
   * this spares a full-text query that scans every entry holding one of the question's words
   * (messages and notes included) before its filter keeps only readable passages.
   */
  private async anyReadable(ctx: RequestContext, readers: Readers): Promise<boolean> {
    const readable = readableDocuments('d', readers);
    const rows = await (ctx.em as SqlEntityManager).execute<unknown[]>(`select 1 as found from documents as d where ${readable.sql} limit 1`, readable.params);
    return rows.length > 0;
  }

  /** A document the caller may read, or not_found. */
  private async readable(ctx: RequestContext, id: string, need: Requirement): Promise<KnowledgeDocument> {
    const readers = await this.readableOrgs(ctx, need);
    const doc = isId(id) ? await ctx.em.findOne(KnowledgeDocument, { id }) : null;
    if (!doc || !mayRead(doc, readers)) throw AppError.notFound('Document');
    return doc;
  }

  /**
   * A document the caller may change, and whether they uploaded it. Its uploader may do
   * anything with it. An admin (or owner) of the organization it is shared with may rename
   * or delete it, acting inside that organization only, and only while still an admin there:
   * the role is read again on every request, so rights end with the membership.
   */
  private async writable(ctx: RequestContext, id: string): Promise<{ doc: KnowledgeDocument; uploader: boolean }> {
    const doc = await this.readable(ctx, id, 'rag:write');
    const p = ctx.principal!;
    if (doc.owner.id === p.userId) return { doc, uploader: true };
    const memberships = ctx.loaders.memberships;
    const m = await memberships.find(doc.organization!.id, p.userId);
    if (!m || memberships.rank(m.role) < memberships.rank(OrgRole.admin)) throw new AppError('forbidden', 'Only the uploader or an admin of the organization may change this document');
    return { doc, uploader: false };
  }

  /** What the caller may read: their own documents and those shared with their organizations. */
  private readableWhere({ userId, orgIds, keyOrganizationId }: Readers): FilterQuery<KnowledgeDocument> {
    const own: FilterQuery<KnowledgeDocument> = keyOrganizationId ? { owner: userId, $or: [{ organization: null }, { organization: keyOrganizationId }] } : { owner: userId };
    return { $or: [own, ...(orgIds.length ? [{ visibility: 'organization' as const, organization: { $in: [...orgIds] } }] : [])] };
  }

  /**
   * Documents the caller may read: their own and those shared with their organizations.
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE (rag:read), validation_error
   */
  async list(ctx: RequestContext, args: PageArgs & { organizationId?: string | null } = {}): Promise<Page<KnowledgeDocument>> {
    const readers = await this.readableOrgs(ctx, 'rag:read');
    const { limit, offset, organizationId } = parseInput(listDocumentsSchema, args);
    const where: FilterQuery<KnowledgeDocument> = { $and: [this.readableWhere(readers), organizationId ? { organization: organizationId } : {}] };
    const [items, total] = await ctx.em.findAndCount(KnowledgeDocument, where, { orderBy: { createdAt: 'desc', id: 'desc' }, limit, offset });
    return { items, total };
  }

  /**
   * The documents the caller may read as a connection, newest first; optionally only those
   * shared with one organization.
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE (rag:read), validation_error
   */
  async connection(ctx: RequestContext, filter: { organizationId?: string | null }, request: PageRequest): Promise<ConnectionPage<KnowledgeDocument>> {
    const readers = await this.readableOrgs(ctx, 'rag:read');
    const { organizationId } = parseInput(listDocumentsSchema.pick({ organizationId: true }), filter);
    const where: FilterQuery<KnowledgeDocument> = { $and: [this.readableWhere(readers), organizationId ? { organization: organizationId } : {}] };
    return findConnection(ctx.em, KnowledgeDocument, where, request, { createdAt: 'desc', id: 'desc' });
  }

  /**
   * The documents among `ids` the caller may read (for `document` and `node`).
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE (rag:read)
   */
  async visible(ctx: RequestContext, ids: readonly string[]): Promise<KnowledgeDocument[]> {
    const wanted = ids.filter(isId);
    if (!wanted.length) {
      authorize(ctx, 'rag:read');
      return [];
    }
    const readers = await this.readableOrgs(ctx, 'rag:read');
    return ctx.em.find(KnowledgeDocument, { $and: [{ id: { $in: wanted } }, this.readableWhere(readers)] });
  }

  /**
   * @throws not_found, INSUFFICIENT_API_KEY_SCOPE (rag:read)
   */
  get(ctx: RequestContext, id: string): Promise<KnowledgeDocument> {
    return this.readable(ctx, id, 'rag:read');
  }

  /**
   * Renames, shares or unshares a document; the search index follows in the same transaction.
   * The uploader may do all three; an admin of the organization it is shared with may only
   * rename it.
   * @throws not_found, forbidden, validation_error, INSUFFICIENT_API_KEY_SCOPE (rag:write)
   */
  async update(ctx: RequestContext, id: string, data: UpdateDocumentData): Promise<KnowledgeDocument> {
    const { doc, uploader } = await this.writable(ctx, id);
    const input = parseInput(updateDocumentSchema, data ?? {});
    // Sending the sharing it already has (a client saving the whole form) is no change of it.
    const moves =
      (input.visibility != null && input.visibility !== doc.visibility) ||
      (input.visibility === 'organization' && input.organizationId !== (doc.organization?.id ?? null));
    // An admin who could move it would carry someone else's document into another organization (or out of theirs).
    if (moves && !uploader) throw new AppError('forbidden', 'Only the uploader may change who a document is shared with');
    if (input.visibility === 'organization') await requireMembership(ctx, input.organizationId!, 'rag:write');
    await ctx.em.transactional(async (tx) => {
      const d = await tx.findOneOrFail(KnowledgeDocument, { id: doc.id });
      if (input.title != null) d.title = input.title;
      if (input.visibility === 'private') {
        d.visibility = 'private';
        d.organization = null;
      } else if (input.visibility === 'organization') {
        d.visibility = 'organization';
        d.organization = tx.getReference(Organization, input.organizationId!);
      }
      await tx.flush();
      const orgId = d.visibility === 'organization' ? (d.organization?.id ?? null) : null;
      await this.search.share(tx, d.id, orgId);
      if (input.title != null) {
        const chunks = await tx.find(DocumentChunk, { document: d.id });
        await this.search.retitle(tx, chunks.map((c) => ({ type: 'document', sourceId: c.id, title: passageTitle(d.title, c.heading) })));
      }
    });
    return ctx.em.findOneOrFail(KnowledgeDocument, { id: doc.id }, { refresh: true });
  }

  /**
   * Deletes a document with its chunks and index entries, in one transaction.
   * @throws not_found, forbidden, INSUFFICIENT_API_KEY_SCOPE (rag:write)
   */
  async delete(ctx: RequestContext, id: string): Promise<void> {
    const { doc } = await this.writable(ctx, id);
    await ctx.em.transactional(async (tx) => {
      // After a batch of indexing in progress (which locks the row too), so its passages go as well.
      if (this.config.db.driver === 'postgresql') await tx.findOne(KnowledgeDocument, { id: doc.id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      await this.removeDocuments(tx, [doc.id]);
    });
    if (doc.fileKey) await this.removeFile(ctx.em, doc.fileKey).catch((err: unknown) => ctx.log.warn({ err }, 'could not remove a deleted document\'s file'));
  }

  /**
   * An organization's documents, removed with it (OrganizationsService.onDelete, in the
   * deletion's transaction): their passages, search entries and pending jobs, as `delete` removes
   * one document's; their files once the deletion committed. Without this the database dropped the
   * documents by itself (a cascading foreign key) and left their search entries, which still found
   * the passages for their uploaders, and their files.
   */
  async removeOrganizationDocuments(em: EntityManager, organizationId: string): Promise<((em: EntityManager) => Promise<void>) | void> {
    // After a batch of indexing in progress (which locks its document's row too), so its passages go as well.
    const lockMode = this.config.db.driver === 'postgresql' ? LockMode.PESSIMISTIC_WRITE : LockMode.NONE;
    const docs = await em.find(KnowledgeDocument, { organization: organizationId }, { fields: ['id', 'fileKey'], lockMode });
    if (!docs.length) return;
    await this.removeDocuments(em, docs.map((d) => d.id));
    const keys = [...new Set(docs.flatMap((d) => (d.fileKey ? [d.fileKey] : [])))];
    return async (after) => {
      for (const key of keys) await this.removeFile(after, key);
    };
  }

  /** Documents with their passages, search entries and waiting jobs, in `em`'s transaction (their files are the caller's). */
  private async removeDocuments(em: EntityManager, ids: string[]): Promise<void> {
    await this.search.remove(em, { documentIds: ids });
    await em.nativeDelete(DocumentChunk, { document: { $in: ids } });
    await em.nativeDelete(KnowledgeDocument, { id: { $in: ids } });
    for (const id of ids) await this.background.jobs.cancel(em, id);
  }

  /**
   * A deleted document's bytes, unless another document holds the same ones. Bytes stored (or
   * stored again) within UPLOAD_GRACE_MS are kept that long, as an upload of them may be about to
   * refer to them (BlobStore.remove): then, with `later`, a job removes them after (REMOVE_FILE_JOB,
   * one per file), so a document deleted just after its upload does not leave its file behind.
   * Answers whether nothing is left to remove.
   */
  private async removeFile(em: EntityManager, key: string, later = true): Promise<boolean> {
    if ((await this.removeUnreferenced(em, key, UPLOAD_GRACE_MS)) !== 'fresh') return true;
    if (later) await this.background.jobs.enqueue(em, REMOVE_FILE_JOB, { key }, { key: `remove-file:${key}`, runAt: Date.now() + UPLOAD_GRACE_MS + 1000 });
    return false;
  }

  /** Which of the stored bytes `keys` a document refers to (one statement, on the file_key index). */
  private async referencedKeys(em: EntityManager, keys: readonly string[]): Promise<ReadonlySet<string>> {
    const rows = await (em as SqlEntityManager).execute<{ file_key: string }[]>(`select distinct file_key from documents where file_key in (${keys.map(() => '?').join(', ')})`, [...keys]);
    return new Set(rows.map((r) => r.file_key));
  }

  /** Whether a document refers to the stored bytes `key`. */
  private async referenced(em: EntityManager, key: string): Promise<boolean> {
    return (await this.referencedKeys(em, [key])).size > 0;
  }

  /**
   * Removes the bytes `key` unless a document refers to them or they were stored (or stored
   * again) within `graceMs`. An upload of the same bytes can store them again just after the
   * store checked their age and commit its document before they are gone: so the bytes are read
   * first, and once removed the documents are asked again; one that refers to them by then gets
   * them stored again. (An upload whose commit comes after that second look finds its bytes
   * missing and stores them again itself, see `upload`.) Answers `held` (a document refers to
   * them, or they were held again), `fresh` (kept for the grace), or `removed` (or already gone).
   */
  private async removeUnreferenced(em: EntityManager, key: string, graceMs: number): Promise<'held' | 'fresh' | 'removed'> {
    const { store } = this.background;
    if (await this.referenced(em, key)) return 'held';
    const bytes = await store.get(key).catch((e: unknown) => {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    });
    if (!bytes) return 'removed';
    if (!(await store.remove(key, graceMs))) return 'fresh';
    if (!(await this.referenced(em, key))) return 'removed';
    await store.put(bytes);
    return 'held';
  }

  /**
   * Removes the stored files no document refers to, and what writes cut short left, once
   * untouched for UPLOAD_SWEEP_MIN_AGE_MS: an upload whose process died between storing its bytes
   * and committing its document, a deletion whose process died before its file's removal was
   * asked for, files left by deletions before such removals existed. The store is walked a page
   * of keys at a time, each page looked up in `documents` in one statement (no entities: a large
   * store does not pile them up); each candidate is removed as a deleted
   * document's file is (`removeUnreferenced`: an upload of the same bytes meanwhile keeps them).
   * A file that cannot be removed is logged and skipped, not retried with the whole sweep.
   *
   * A database with no document at all removes nothing: that is more likely a gateway started on
   * an empty or wrong database beside a store that is not its own than a store of orphans (an
   * S3 bucket shared by the gateways of several databases must not be swept: UPLOAD_SWEEP_ENABLED).
   */
  async sweepFiles(em: EntityManager, signal?: AbortSignal): Promise<{ files: number; unfinished: number; failed: number }> {
    const { store, log } = this.background;
    const minAge = this.config.knowledge.fileSweep.minAgeMs;
    const unfinished = await store.removeUnfinished(minAge);
    let files = 0;
    let failed = 0;
    const [any] = await (em as SqlEntityManager).execute<{ id: string }[]>('select id from documents limit 1');
    if (!any) {
      if (unfinished) log?.info({ unfinished }, 'removed uploads cut short by a crash');
      return { files, unfinished, failed };
    }
    let after: string | null = null;
    do {
      signal?.throwIfAborted();
      const page: BlobPage = await store.list(after, SWEEP_PAGE, minAge);
      after = page.next;
      if (!page.old.length) continue;
      const kept = await this.referencedKeys(em, page.old);
      for (const key of page.old) {
        if (kept.has(key)) continue;
        signal?.throwIfAborted();
        try {
          if ((await this.removeUnreferenced(em, key, minAge)) === 'removed') files++;
        } catch (err) {
          failed++;
          log?.warn({ err, key }, 'could not remove a stored upload that no document refers to');
        }
      }
    } while (after !== null);
    if (files || unfinished || failed) log?.info({ files, unfinished, failed }, 'removed stored uploads that no document refers to');
    return { files, unfinished, failed };
  }

  /**
   * Ranked chunks of the documents the caller may read; the permission filter is part of
   * the matching query, so ranking never sees anything else.
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE (rag:read), validation_error
   */
  async searchChunks(ctx: RequestContext, data: KnowledgeSearchData): Promise<{ query: string; mode: SearchMode; results: KnowledgeHit[] }> {
    const input = parseInput(knowledgeSearchSchema, data);
    const scope = { organizationId: input.organizationId ?? undefined, documentIds: input.documentIds ?? undefined };
    const readers = await this.readableOrgs(ctx, 'rag:read');
    const lexical = await this.chunks(ctx, input.query, 'exact', this.embedder ? Math.max(input.limit, FUSION_DEPTH) : input.limit, scope.organizationId, scope.documentIds, readers);
    const { mode, results } = await this.fuse(ctx, input.query, lexical, scope, readers);
    return { query: input.query, mode, results: results.slice(0, input.limit) };
  }

  /**
   * With an embeddings endpoint: ranks the readable chunks by cosine similarity to the
   * query too, and fuses both rankings by reciprocal rank (1 / (60 + rank), summed).
   * Without one, or when it fails, the lexical ranking stands and the mode says so.
   */
  private async fuse(
    ctx: RequestContext,
    query: string,
    lexical: KnowledgeHit[],
    scope: { organizationId?: string | undefined; documentIds?: readonly string[] | undefined },
    readers: Readers,
  ): Promise<{ mode: SearchMode; results: KnowledgeHit[] }> {
    if (!this.embedder) return { mode: 'lexical', results: lexical };
    let semantic: KnowledgeHit[];
    try {
      semantic = await this.semantic(ctx, query, scope, readers);
    } catch (e) {
      ctx.log.warn({ err: e }, 'embeddings unavailable; lexical search only');
      return { mode: 'lexical (embeddings unavailable)', results: lexical };
    }
    const fused = new Map<string, { hit: KnowledgeHit; score: number }>();
    for (const list of [lexical, semantic]) {
      list.forEach((hit, rank) => {
        const entry = fused.get(hit.chunkId) ?? { hit: { ...hit, similarity: hit.similarity ?? null }, score: 0 };
        entry.score += 1 / (RRF_K + rank + 1);
        // Keep the lexical snippet (with marks) when both lanes found the chunk, and the similarity from the semantic one.
        if (hit.similarity !== null && hit.similarity !== undefined) entry.hit.similarity = hit.similarity;
        fused.set(hit.chunkId, entry);
      });
    }
    const results = [...fused.values()]
      .sort((a, b) => b.score - a.score)
      .map(({ hit, score }) => ({ ...hit, score: Number(score.toPrecision(6)) }));
    return { mode: 'hybrid', results };
  }

  /** The readable chunks closest to the query's vector (brute force over their stored vectors). */
  private async semantic(ctx: RequestContext, query: string, scope: { organizationId?: string | undefined; documentIds?: readonly string[] | undefined }, readers: Readers): Promise<KnowledgeHit[]> {
    const [vector] = await this.embedder!.embed([query]);
    const readable = readableDocuments('d', readers);
    const params: unknown[] = [...readable.params];
    let sql =
      'select c.id, c.document_id, c.heading, c.text, c.embedding, d.title, d.visibility, d.organization_id, d.created_at' +
      ` from document_chunks as c inner join documents as d on d.id = c.document_id where d.status = 'ready' and c.embedding is not null and (${readable.sql})`;
    if (scope.organizationId) {
      sql += ' and d.organization_id = ?';
      params.push(scope.organizationId);
    }
    if (scope.documentIds?.length) {
      sql += ` and d.id in (${scope.documentIds.map(() => '?').join(', ')})`;
      params.push(...scope.documentIds);
    }
    const rows = await (ctx.em as SqlEntityManager).execute<{ id: string; document_id: string; heading: string | null; text: string; embedding: string | number[]; title: string; visibility: string; organization_id: string | null; created_at: Date | number | string }[]>(sql, params);
    return rows
      .map((r) => ({ r, similarity: dot(vector!, typeof r.embedding === 'string' ? (JSON.parse(r.embedding) as number[]) : r.embedding) }))
      .sort((a, b) => b.similarity - a.similarity)
      .slice(0, FUSION_DEPTH)
      .map(({ r, similarity }) => ({
        documentId: r.document_id,
        chunkId: r.id,
        title: r.heading ? `${r.title} — ${r.heading}` : r.title,
        snippet: snippetHtml(excerpt(r.text, 200)),
        score: similarity,
        similarity,
        visibility: r.visibility === 'organization' && r.organization_id ? 'organization' : 'private',
        organizationId: r.visibility === 'organization' ? r.organization_id : null,
        text: r.text,
        createdAt: toDate(r.created_at),
      }));
  }

  private async chunks(
    ctx: RequestContext,
    query: string,
    mode: 'exact' | 'any',
    limit: number,
    organizationId: string | undefined,
    documentIds: readonly string[] | undefined,
    { userId, orgIds, keyOrganizationId }: Readers,
  ): Promise<KnowledgeHit[]> {
    const words = mode === 'exact' ? terms(query) : keywords(query);
    const found = await this.search.find(ctx.em, words, mode, { userId, orgIds, keyOrganizationId, types: ['document'], organizationId, documentIds }, limit);
    return found.map(({ hit, text }) => ({
      similarity: null,
      documentId: hit.documentId!,
      chunkId: hit.id,
      title: hit.title,
      snippet: hit.snippet,
      score: hit.score,
      visibility: hit.organizationId ? 'organization' : 'private',
      organizationId: hit.organizationId,
      text,
      createdAt: hit.createdAt,
    }));
  }

  /**
   * The chunks that ground an answer: any of the question's words counts for ranking, and
   * a chunk must contain at least half of them to be kept (the relevance floor).
   */
  async retrieve(ctx: RequestContext, question: string, limit: number, scope?: { organizationId?: string; documentIds?: readonly string[] }, need: Requirement = 'rag:read'): Promise<KnowledgeHit[]> {
    const words = keywords(question);
    if (!words.length) return [];
    const readers = await this.readableOrgs(ctx, need);
    if (!(await this.anyReadable(ctx, readers))) return [];
    const lexical = await this.chunks(ctx, question, 'any', this.embedder ? Math.max(limit * 4, FUSION_DEPTH) : limit * 4, scope?.organizationId, scope?.documentIds, readers);
    const { results } = await this.fuse(ctx, question, lexical, scope ?? {}, readers);
    // Relevant: at least half of the question's words, or (semantic lane) close in meaning.
    return results
      .filter((c) => {
        if ((c.similarity ?? 0) >= SEMANTIC_FLOOR) return true;
        const have = new Set(terms(`${c.title} ${c.text}`));
        return words.filter((w) => have.has(w)).length / words.length >= RELEVANCE_FLOOR;
      })
      .slice(0, limit);
  }

  /** Chunks as passages, for the local provider and for chat grounding. */
  toPassages(hits: KnowledgeHit[]): Passage[] {
    return hits.map((h) => ({ type: 'document', id: h.documentId, title: h.title, snippet: h.snippet, text: excerpt(h.text, 400), conversationId: null, createdAt: h.createdAt }));
  }

  /** The system message that hands retrieved chunks to a model, numbered for citation. */
  groundingMessage(hits: KnowledgeHit[]): PromptMessage {
    const excerpts = hits.map((h, i) => `[${i + 1}] ${h.title}\n${h.text}`).join('\n\n');
    return {
      role: 'system',
      content:
        'Answer from the numbered excerpts of the knowledge base below and cite them like [1]. ' +
        'If they do not contain the answer, say that the knowledge base does not cover it; do not invent one.\n\n' +
        excerpts,
    };
  }

  /**
   * A grounded answer to a question, with citations. With nothing relevant found the answer
   * says so and no provider is called.
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE (rag:read), validation_error, upstream_unavailable
   */
  async ask(ctx: RequestContext, data: RagData): Promise<{ answer: string; citations: { documentId: string; title: string; snippet: string }[]; provider: AiProviderId; model: string }> {
    authorize(ctx, 'rag:read');
    const input = parseInput(ragSchema, data);
    const { provider, model } = this.ai.resolve(input.provider ?? null, null);
    const hits = await this.retrieve(ctx, input.question, input.limit, { organizationId: input.organizationId ?? undefined, documentIds: input.documentIds ?? undefined });
    // Citations follow the snippet rule (escaped text): an uploaded `<script>` is text, not markup.
    const citations = hits.map((h) => ({ documentId: h.documentId, title: h.title, snippet: snippetHtml(excerpt(h.text, 300)) }));
    if (!hits.length) return { answer: NOTHING_FOUND, citations: [], provider: provider.id, model };
    // A provider's turn, as a chat turn is (nothing found above asked none).
    await this.background.rateLimits?.consume('chat', ctx.principal!.userId);
    const passages = this.toPassages(hits);
    let answer = '';
    try {
      for await (const e of provider.complete({
        model,
        messages: [this.groundingMessage(hits), { role: 'user', content: input.question }],
        retrieve: async () => passages,
        signal: AbortSignal.timeout(this.config.ai.timeoutMs * (this.config.ai.maxRetries + 2)),
      })) {
        if (e.type === 'delta') answer += e.text;
      }
    } catch (e) {
      throw new AppError('upstream_unavailable', `${(e as Error).message}. Try again.`, { provider: provider.id });
    }
    return { answer, citations, provider: provider.id, model };
  }
}
