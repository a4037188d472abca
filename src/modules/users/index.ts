import type { EntityManager } from '@mikro-orm/core';
import DataLoader from 'dataloader';
import { preparedRead, type PreparedRead } from '../../db/prepared.js';
import { resolver, service, type ModuleManifest } from '../manifest.js';
import { User } from './users.entities.js';
import { UsersResolver } from './users.resolver.js';
import { usersRoutes } from './users.rest.js';
import { UsersService } from './users.service.js';

export { usersChanged } from './user-events.js';
export { normalizeEmail, normalizeUsername } from './users.normalize.js';
export { toUserProfile, userProfileSchema } from './users.rest.js';
export { User, UsersService };
export { isTimeZone } from './users.types.js';

declare module '../manifest.js' {
  interface ServiceMap {
    users: UsersService;
  }
}

declare module '../../common/loaders.js' {
  interface Loaders {
    userById: DataLoader<string, User | null>;
  }
}

/** Batches up to this size read with a statement prepared once per size; larger ones through the ORM's query. */
const PREPARED_BATCH = 32;
const byIdStatements = new Map<number, PreparedRead<Record<string, unknown>>>();

/** The columns of a user, from the entity's metadata: those MikroORM loads, and with `lazy` the lazy ones too (the password hash). */
function userColumns(em: EntityManager, lazy: boolean): string {
  const meta = em.getMetadata().get(User);
  return meta.props
    .filter((p) => p.persist !== false && p.fieldNames?.length && (lazy || !p.lazy))
    .flatMap((p) => p.fieldNames)
    .join(', ');
}

/** The statement that reads `n` users by id: every column MikroORM would load (the lazy password hash left out). */
function usersByIds(em: EntityManager, n: number): PreparedRead<Record<string, unknown>> {
  let read = byIdStatements.get(n);
  if (!read) {
    read = preparedRead(`select ${userColumns(em, false)} from users where id in (${Array.from({ length: n }, () => '?').join(', ')})`);
    byIdStatements.set(n, read);
  }
  return read;
}

const signInStatements = new Map<string, PreparedRead<Record<string, unknown>>>();

/**
 * The user who signs in with this normalized username or email, password hash included: every
 * login reads it, and a login storm's every login pays on the event loop for what the ORM's
 * query building costs; a statement prepared once per column instead, its row a managed entity of
 * the fork (as em.findOne with `populate: ['passwordHash']` makes it).
 */
export async function userForSignIn(em: EntityManager, by: { usernameNormalized: string } | { emailNormalized: string }): Promise<User | null> {
  const column = 'usernameNormalized' in by ? 'username_normalized' : 'email_normalized';
  let read = signInStatements.get(column);
  if (!read) {
    read = preparedRead(`select ${userColumns(em, true)} from users where ${column} = ? limit 1`);
    signInStatements.set(column, read);
  }
  const row = await read.first(em, ['usernameNormalized' in by ? by.usernameNormalized : by.emailNormalized]);
  return row ? (await hydrate(em, [row]))[0]! : null;
}

/** Rows as em.find makes them entities of the fork: mapped, merged into its identity map (one already loaded is kept), onLoad hooks run. */
async function hydrate(em: EntityManager, rows: Record<string, unknown>[]): Promise<User[]> {
  const meta = em.getMetadata().get(User);
  const factory = em.getEntityFactory();
  const users = rows.map((row) => factory.create(User, em.getDriver().mapResult(row as never, meta)!, { merge: true, convertCustomTypes: true }));
  await em.getUnitOfWork().dispatchOnLoadEvent();
  return users;
}

/**
 * Users by id, one statement however many ask. Every request that names its user reads it
 * (GET /api/auth/me, GraphQL me, members' users): a prepared statement whose rows become managed
 * entities of the request's fork (as em.find makes them).
 */
const userLoaders = (em: EntityManager, batch: boolean) => ({
  userById: new DataLoader<string, User | null>(
    async (ids) => {
      const rows =
        ids.length <= PREPARED_BATCH
          ? await hydrate(em, await usersByIds(em, ids.length).all(em, ids))
          : await em.find(User, { id: { $in: [...ids] } });
      const byId = new Map(rows.map((u) => [u.id, u]));
      return ids.map((id) => byId.get(id) ?? null);
    },
    { batch },
  ),
});

export const usersModule: ModuleManifest = {
  name: 'users',
  entities: [User],
  services: [service('users', ['auth', 'events'], ({ auth, events }) => new UsersService(auth, events))],
  resolvers: [resolver(UsersResolver, (s) => new UsersResolver(s.events, s.users))],
  routes: usersRoutes,
  loaders: userLoaders,
};
