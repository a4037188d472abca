import type { EntityManager } from '@mikro-orm/core';
import type { Clock } from '../../common/clock.js';
import type { RequestContext } from '../../common/context.js';
import { AppError } from '../../common/errors.js';
import type { Config } from '../../config.js';
import type { JobQueue } from '../../jobs/queue.js';
import { User } from '../users/index.js';
import { SearchReindex, type ReindexStatus } from './search.entities.js';
import type { SearchService, SearchType } from './search.service.js';

/** The job kind of a reindex: self-contained (its payload names its SearchReindex row). */
export const REINDEX_JOB = 'search.reindex';

export interface SearchStatus {
  engine: string;
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
    jobs.register<{ reindexId: string }>(REINDEX_JOB, {
      run: (payload, job) => this.run(job.em, payload.reindexId, job.signal),
      onDead: async (em, payload, reason) => {
        await em.nativeUpdate(SearchReindex, { id: payload.reindexId }, { status: 'failed', finishedAt: new Date(this.clock.now()), error: reason.slice(0, 1000) });
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
    const userId = await this.requireAdmin(ctx);
    const result = await ctx.em.fork().transactional(async (tx) => {
      const pending = await tx.findOne(SearchReindex, { status: { $in: ['queued', 'running'] } }, { orderBy: { requestedAt: 'desc' } });
      if (pending) return { jobId: pending.jobId, status: pending.status, fresh: false };
      const row = tx.create(SearchReindex, { jobId: '00000000-0000-0000-0000-000000000000', requestedBy: tx.getReference(User, userId), requestedAt: new Date(this.clock.now()) });
      row.jobId = await this.jobs.enqueue(tx, REINDEX_JOB, { reindexId: row.id }, { ref: row.id, maxAttempts: 3 });
      await tx.flush();
      return { jobId: row.jobId, status: row.status, fresh: true };
    });
    if (result.fresh) this.jobs.wake();
    return { jobId: result.jobId, status: result.status };
  }

  /** The job: marks the row running, rebuilds, marks it done (a retry starts over, which is harmless). */
  private async run(em: EntityManager, reindexId: string, signal: AbortSignal): Promise<void> {
    const row = await em.findOne(SearchReindex, { id: reindexId });
    if (!row || row.status === 'succeeded') return;
    const startedAt = new Date(this.clock.now());
    await em.nativeUpdate(SearchReindex, { id: reindexId }, { status: 'running', startedAt });
    const entries = await this.search.rebuildLive(em, startedAt, signal);
    await em.nativeUpdate(SearchReindex, { id: reindexId }, { status: 'succeeded', finishedAt: new Date(this.clock.now()), entries, error: null });
  }
}
