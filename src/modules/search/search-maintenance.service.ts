import type { EntityManager } from '@mikro-orm/core';
import type { Clock } from '../../common/clock.js';
import type { RequestContext } from '../../common/context.js';
import { AppError } from '../../common/errors.js';
import type { Config } from '../../config.js';
import type { JobQueue } from '../../jobs/queue.js';
import { User } from '../users/index.js';
import { SearchReindex, type ReindexStatus } from './search.entities.js';
import type { SearchService, SearchType } from './search.service.js';
import type { SearchEngineValue } from './search.enums.js';

/**
 * The job kind of a search rebuild, whoever asked for it (a platform administrator over either
 * door, the operator's `npm run search:rebuild -- --enqueue`): keyed, so one waits or runs at a
 * time; its SearchReindex row (found by the job's id) says who asked and how it went.
 */
export const REINDEX_JOB = 'search.reindex';

export interface SearchStatus {
  engine: SearchEngineValue;
  entries: Record<SearchType, number>;
  vectorLane: { enabled: boolean; model: string | null };
  pendingJobs: number;
  lastReindex: { startedAt: Date | null; finishedAt: Date | null; status: ReindexStatus } | null;
}

/**
 * Search maintenance for platform administrators (users whose `platform_role` is `admin`, set
 * by the operator's `npm run admin -- grant EMAIL`, never over the API): the index's status,
 * and a rebuild run as a background job while the index stays searchable. Anyone else,
 * whatever their credentials, gets not_found: the operations do not exist for them.
 */
export class SearchMaintenance {
  constructor(
    private readonly search: SearchService,
    private readonly jobs: JobQueue,
    private readonly clock: Clock,
    private readonly config: Config,
  ) {
    // Jobs enqueued before the rebuild paths were one name their row in the payload.
    type Payload = { reindexId: string } | null;
    const rowOf = (payload: Payload, jobId: string) => (payload?.reindexId ? { id: payload.reindexId } : { jobId });
    jobs.register<Payload>(REINDEX_JOB, {
      run: (payload, job) => this.run(job.em, rowOf(payload, job.id), job.signal),
      onDead: async (em, payload, reason, job) => {
        await em.nativeUpdate(SearchReindex, rowOf(payload, job.id), { status: 'failed', finishedAt: new Date(this.clock.now()), error: reason.slice(0, 1000) });
      },
    });
  }

  /**
   * The caller, when a platform administrator (an expired or revoked credential still says so).
   * @throws invalid_token and the like (bad credentials), not_found (anyone else)
   */
  private async requireAdmin(ctx: RequestContext): Promise<string> {
    if (ctx.authError) throw ctx.authError;
    const p = ctx.principal;
    const notFound = () => new AppError('not_found', 'Not found');
    if (p?.kind !== 'user') throw notFound();
    const row = await ctx.em.findOne(User, { id: p.userId }, { fields: ['platformRole'] });
    if (row?.platformRole !== 'admin') throw notFound();
    return p.userId;
  }

  /**
   * The index: its engine, entries by kind, the vector lane, jobs still to run, and the last reindex.
   * @throws not_found (not a platform administrator)
   */
  async status(ctx: RequestContext): Promise<SearchStatus> {
    await this.requireAdmin(ctx);
    const [entries, counts, last] = [
      await this.search.counts(ctx.em),
      await this.jobs.counts(),
      (await ctx.em.find(SearchReindex, {}, { orderBy: [{ requestedAt: 'desc' }, { id: 'desc' }], limit: 1 }))[0] ?? null,
    ];
    const embeddings = this.config.knowledge.embeddings;
    return {
      engine: this.search.engine,
      entries,
      vectorLane: { enabled: embeddings !== null, model: embeddings?.model ?? null },
      pendingJobs: counts.filter((c) => c.state !== 'dead').reduce((n, c) => n + c.count, 0),
      lastReindex: last ? { startedAt: last.startedAt, finishedAt: last.finishedAt, status: last.status } : null,
    };
  }

  /**
   * Starts a rebuild in the background (or answers the one already queued or running).
   * @throws not_found (not a platform administrator)
   */
  async reindex(ctx: RequestContext): Promise<{ jobId: string; status: ReindexStatus }> {
    return this.requestReindex(ctx.em, await this.requireAdmin(ctx));
  }

  /**
   * Enqueues a rebuild for whoever asks (a platform administrator's id, or null for the operator's
   * `npm run search:rebuild -- --enqueue`), or answers the one already queued or running: the job
   * is keyed, so requests at the same time through any door make one job and one row. A job left
   * dead comes back with fresh attempts, and its row with it.
   */
  async requestReindex(em: EntityManager, requestedBy: string | null): Promise<{ jobId: string; status: ReindexStatus }> {
    const result = await em.fork().transactional(async (tx) => {
      const jobId = await this.jobs.enqueue(tx, REINDEX_JOB, null, { key: REINDEX_JOB, maxAttempts: 3 });
      const row = await tx.findOne(SearchReindex, { jobId });
      if (row && row.status !== 'failed' && row.status !== 'succeeded') return { jobId, status: row.status, fresh: false };
      const fields = { status: 'queued' as const, requestedBy: requestedBy ? tx.getReference(User, requestedBy) : null, requestedAt: new Date(this.clock.now()), startedAt: null, finishedAt: null, entries: null, error: null };
      if (row) tx.assign(row, fields);
      else tx.create(SearchReindex, { jobId, ...fields });
      await tx.flush();
      return { jobId, status: 'queued' as const, fresh: true };
    });
    if (result.fresh) this.jobs.wake();
    return { jobId: result.jobId, status: result.status };
  }

  /** The job: marks the row running, rebuilds, marks it done (a retry starts over, which is harmless). */
  private async run(em: EntityManager, which: { id: string } | { jobId: string }, signal: AbortSignal): Promise<void> {
    const row = await em.findOne(SearchReindex, which);
    if (!row || row.status === 'succeeded') return;
    const startedAt = new Date(this.clock.now());
    await em.nativeUpdate(SearchReindex, { id: row.id }, { status: 'running', startedAt });
    const entries = await this.search.rebuild(em, startedAt, signal);
    await em.nativeUpdate(SearchReindex, { id: row.id }, { status: 'succeeded', finishedAt: new Date(this.clock.now()), entries, error: null });
  }
}
