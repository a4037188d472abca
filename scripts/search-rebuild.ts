/**
 * Rebuilds the search index of the configured database from the content itself (messages,
 * notes, transcripts and document passages, each from the module that owns it), then
 * regenerates the full-text index. Use it after a restore, or an import that wrote content
 * without entries.   npm run search:rebuild   (reads the same environment as the server)
 * With --enqueue, only the rebuild job is added to the queue (src/jobs/), the same `search.reindex`
 * job a platform administrator's reindex adds (one waits at a time): a running server takes it.
 */
import 'reflect-metadata';
import { pino } from 'pino';
import { TableQueue } from '../src/db/queue/table-queue.js';
import { MikroORM } from '@mikro-orm/core';
import { systemClock } from '../src/common/clock.js';
import { Metrics } from '../src/common/metrics.js';
import { createEventBus } from '../src/common/pubsub.js';
import { RateLimits } from '../src/common/rate-limits.js';
import { loadConfig } from '../src/config.js';
import { ormOptions } from '../src/db/orm.js';
import { composeServices } from '../src/modules/composition.js';
import { allEntities, modules } from '../src/modules/index.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const orm = await MikroORM.init(ormOptions(config.db, allEntities));
  const started = Date.now();
  try {
    await orm.migrator.up();
    const { search, searchMaintenance } = composeServices(modules, { config, events: createEventBus(), clock: systemClock, rateLimits: new RateLimits(config, null), metrics: new Metrics(false), redis: null, log: pino({ level: 'warn' }), jobs: new TableQueue(orm.em, { driver: config.db.driver, ...config.jobs, concurrency: 0 }) });
    if (process.argv.includes('--enqueue')) {
      const { jobId, status } = await searchMaintenance.requestReindex(orm.em.fork(), null);
      console.log(`search rebuild job ${jobId} is ${status} (${config.db.driver}): a running server with JOBS_CONCURRENCY > 0 runs it`);
      return;
    }
    const em = orm.em.fork();
    const count = await search.rebuild(em);
    await search.rebuildIndex(em);
    console.log(`search index rebuilt: ${count} entries in ${Date.now() - started} ms (${config.db.driver})`);
  } finally {
    await orm.close(true);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
