import { randomUUID } from 'node:crypto';
import { DateTimeType, OptionalProps } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { User } from '../users/index.js';

/**
 * One searchable item of a user's content (a message, a note; transcripts and documents
 * later). The full-text index sits beside this table: an FTS5 table kept in step by
 * triggers on SQLite, a generated tsvector column with a GIN index on PostgreSQL (both
 * made in the migrations). Services write entries in the same transaction as the content.
 */
@Entity({ tableName: 'search_entries' })
@Unique({ name: 'search_entries_source_unique', properties: ['type', 'sourceId'] })
@Index({ name: 'search_entries_user_created_index', properties: ['user', 'createdAt'] })
export class SearchEntry {
  [OptionalProps]?: 'createdAt' | 'conversationId' | 'role' | 'documentId' | 'organizationId' | 'indexedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => User, { deleteRule: 'cascade', index: false })
  user!: User;

  /** message | note | transcript | document */
  @Property({ type: 'string', length: 16 })
  type!: string;

  @Property({ type: 'uuid' })
  sourceId!: string;

  /** For messages: user or assistant. The local provider quotes what people wrote, not earlier replies. */
  @Property({ type: 'string', length: 16, nullable: true })
  role: string | null = null;

  /** For document chunks: the document, and the organization it is shared with. */
  @Index({ name: 'search_entries_document_index' })
  @Property({ type: 'uuid', nullable: true })
  documentId: string | null = null;

  @Index({ name: 'search_entries_organization_index' })
  @Property({ type: 'uuid', nullable: true })
  organizationId: string | null = null;

  @Index({ name: 'search_entries_conversation_index' })
  @Property({ type: 'uuid', nullable: true })
  conversationId: string | null = null;

  @Property({ type: 'string', length: 300 })
  title!: string;

  @Property({ type: 'text' })
  body!: string;

  @Property({ type: DateTimeType })
  createdAt: Date = new Date();

  /** When this entry was written; a reindex removes the entries it did not write again (null: before reindexing existed). */
  @Property({ type: DateTimeType, nullable: true })
  indexedAt: Date | null = null;
}

/** Where a rebuild of the index stands. */
export type ReindexStatus = 'queued' | 'running' | 'succeeded' | 'failed';

/**
 * One rebuild of the search index (POST /api/core/search/reindex), run as a background job
 * (`search.reindex`). The newest row is the status's `last_reindex`.
 */
@Entity({ tableName: 'search_reindexes' })
@Index({ name: 'search_reindexes_requested_index', properties: ['requestedAt'] })
export class SearchReindex {
  [OptionalProps]?: 'status' | 'startedAt' | 'finishedAt' | 'entries' | 'error' | 'requestedBy';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** The queue's job id (what REST answers as `job_id`). */
  @Property({ type: 'uuid' })
  jobId!: string;

  @Property({ type: 'string', length: 16 })
  status: ReindexStatus = 'queued';

  @ManyToOne(() => User, { deleteRule: 'set null', nullable: true, index: false })
  requestedBy: User | null = null;

  @Property({ type: DateTimeType })
  requestedAt!: Date;

  @Property({ type: DateTimeType, nullable: true })
  startedAt: Date | null = null;

  @Property({ type: DateTimeType, nullable: true })
  finishedAt: Date | null = null;

  /** Entries written. */
  @Property({ type: 'integer', nullable: true })
  entries: number | null = null;

  @Property({ type: 'string', length: 1000, nullable: true })
  error: string | null = null;
}
