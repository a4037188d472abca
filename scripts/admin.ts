/**
 * Operator commands for platform administrators (never over the API):
 *   npm run admin -- grant EMAIL    makes the user a platform administrator (search maintenance)
 *   npm run admin -- revoke EMAIL   makes them an ordinary user again
 *   npm run admin -- list           lists the platform administrators
 * Reads the same environment as the server (DATABASE_URL...).
 */
import 'reflect-metadata';
import { MikroORM } from '@mikro-orm/core';
import { loadConfig } from '../src/config.js';
import { ormOptions } from '../src/db/orm.js';
import { allEntities } from '../src/modules/index.js';
import { normalizeEmail, User } from '../src/modules/users/index.js';

const USAGE = 'usage: npm run admin -- grant EMAIL | revoke EMAIL | list';

/** Runs one command against an open database; answers the line to print, or throws with the reason. */
export async function adminCommand(orm: MikroORM, args: readonly string[]): Promise<string> {
  const [command, email] = args;
  const em = orm.em.fork();
  if (command === 'list') {
    const admins = await em.find(User, { platformRole: 'admin' }, { orderBy: { email: 'asc' } });
    return admins.length ? admins.map((u) => `${u.email} (${u.username})`).join('\n') : 'no platform administrators';
  }
  if ((command !== 'grant' && command !== 'revoke') || !email) throw new Error(USAGE);
  const user = await em.findOne(User, { email: normalizeEmail(email) });
  if (!user) throw new Error(`no user with the email ${email}`);
  user.platformRole = command === 'grant' ? 'admin' : null;
  await em.flush();
  return command === 'grant' ? `${user.email} is now a platform administrator` : `${user.email} is no longer a platform administrator`;
}

async function main(): Promise<void> {
  const config = loadConfig();
  const orm = await MikroORM.init(ormOptions(config.db, allEntities));
  try {
    await orm.migrator.up();
    console.log(await adminCommand(orm, process.argv.slice(2)));
  } finally {
    await orm.close(true);
  }
}

if (process.argv[1]?.endsWith('admin.js')) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
