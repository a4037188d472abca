import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';

/**
 * A background job (src/db/queue/table-queue.ts): waiting (`pending`, due at `run_at`),
 * `running` under a lease (`locked_by` until `locked_until`, extended by a heartbeat) or
 * `dead` (its attempts spent, `last_error` says why). A finished job is deleted. Times are
 * milliseconds since the epoch, compared in SQL the same way on both drivers. Written and read
 * only by raw SQL: the entity exists so the migrations create the table.
 */
@Entity({ tableName: 'jobs' })
@Index({ name: 'jobs_due_index', properties: ['state', 'runAt'] })
@Index({ name: 'jobs_ref_index', properties: ['ref'] })
@Unique({ name: 'jobs_key_unique', properties: ['key'] })
export class Job {
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  /** The handler's name, e.g. `knowledge.ingest`; also the queue it is counted under. */
  @Property({ type: 'string', length: 64 })
  queue!: string;

  /** JSON given to the handler. */
  @Property({ type: 'text' })
  payload!: string;

  /** The row the job works on (a document id), so deleting it deletes its jobs. */
  @Property({ type: 'string', length: 64, nullable: true })
  ref: string | null = null;

  /**
   * At most one job per key (null: no such limit): enqueuing a key already waiting or running
   * adds nothing, one left dead is revived. A recurring job's key is `every:<queue>`.
   */
  @Property({ type: 'string', length: 200, nullable: true })
  key: string | null = null;

  /** A recurring job: once done (or dead) it is due again this many milliseconds later instead of deleted. */
  @Property({ type: 'bigint', nullable: true })
  everyMs: number | null = null;

  @Property({ type: 'string', length: 16 })
  state!: string;

  @Property({ type: 'integer' })
  attempts!: number;

  @Property({ type: 'integer' })
  maxAttempts!: number;

  @Property({ type: 'bigint' })
  runAt!: number;

  @Property({ type: 'string', length: 64, nullable: true })
  lockedBy: string | null = null;

  @Property({ type: 'bigint', nullable: true })
  lockedUntil: number | null = null;

  @Property({ type: 'string', length: 1000, nullable: true })
  lastError: string | null = null;

  @Property({ type: 'bigint' })
  createdAt!: number;

  @Property({ type: 'bigint' })
  updatedAt!: number;
}
