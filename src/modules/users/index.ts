import type { EntityManager } from '@mikro-orm/core';
import DataLoader from 'dataloader';
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

/** Users by id, one statement however many ask. */
const userLoaders = (em: EntityManager, batch: boolean) => ({
  userById: new DataLoader<string, User | null>(
    async (ids) => {
      const rows = await em.find(User, { id: { $in: [...ids] } });
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
