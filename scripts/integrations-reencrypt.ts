/**
 * Re-seals every stored integration token with the first key of INTEGRATIONS_ENCRYPTION_KEYS,
 * so older keys can then be removed. Started OAuth flows sealed with an older key are dropped
 * (they live minutes).   npm run integrations:reencrypt   (reads the same environment as the server)
 */
import 'reflect-metadata';
import { MikroORM } from '@mikro-orm/core';
import { loadConfig } from '../src/config.js';
import { ormOptions } from '../src/db/orm.js';
import { allEntities } from '../src/modules/index.js';
import { IntegrationsService } from '../src/modules/integrations/index.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const primary = config.integrations.encryptionKeys[0]?.id;
  if (!primary) throw new Error('No encryption key: set INTEGRATIONS_ENCRYPTION_KEYS (new key first)');
  const orm = await MikroORM.init(ormOptions(config.db, allEntities));
  try {
    await orm.migrator.up();
    const { rows, droppedFlows, unreadable } = await new IntegrationsService(config).reencryptAll(orm.em.fork());
    console.log(`integration tokens re-encrypted with key ${primary}: ${rows} connections, ${droppedFlows} started flows dropped`);
    if (unreadable) {
      console.error(`${unreadable} connections are sealed with a key that is not listed: add it back to INTEGRATIONS_ENCRYPTION_KEYS and run again`);
      process.exitCode = 1;
    }
  } finally {
    await orm.close(true);
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
