/**
 * Writes schema/schema.graphql from the type-graphql build. With --check, writes nothing
 * and exits 1 when the committed file differs from what the code builds.
 */
import 'reflect-metadata';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { buildGatewaySchema, printGatewaySchema } from '../src/graphql/schema.js';
import { allResolvers } from '../src/modules/index.js';

const FILE = 'schema/schema.graphql';

async function main(): Promise<void> {
  const sdl = printGatewaySchema(await buildGatewaySchema({ resolvers: allResolvers }));
  if (process.argv.includes('--check')) {
    const committed = existsSync(FILE) ? readFileSync(FILE, 'utf8') : '';
    if (committed !== sdl) {
      console.error(`${FILE} is stale: run npm run codegen and commit the result.`);
      process.exit(1);
    }
    console.log(`${FILE} is up to date`);
    return;
  }
  writeFileSync(FILE, sdl);
  console.log(`wrote ${FILE}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
