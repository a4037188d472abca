/**
 * Rebuilds the search index of the configured database from the content itself, then
 * regenerates the full-text index. Use it after a restore, or an import that wrote content
 * without entries.   npm run search:rebuild   (reads the same environment as the server)
 */
import 'reflect-metadata';
import { MikroORM } from '@mikro-orm/core';
import { loadConfig } from '../src/config.js';
import { ormOptions } from '../src/db/orm.js';
import { allEntities } from '../src/modules/index.js';
import { reindexConversations } from '../src/modules/conversations/reindex.js';
import { SearchService } from '../src/modules/search/search.service.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const orm = await MikroORM.init(ormOptions(config.db, allEntities));
  const started = Date.now();
  try {
    await orm.migrator.up();
    const count = await reindexConversations(orm.em.fork(), new SearchService(config.db.driver));
    console.log(`search index rebuilt: ${count} entries in ${Date.now() - started} ms (${config.db.driver})`);
  } finally {
    await orm.close(true);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
