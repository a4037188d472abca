import type { ModuleManifest } from '../manifest.js';
import { User } from './user.entity.js';
import { UsersResolver } from './users.resolver.js';
import { usersRoutes } from './users.rest.js';

export const usersModule: ModuleManifest = {
  name: 'users',
  entities: [User],
  resolvers: [UsersResolver],
  routes: usersRoutes,
  nodes: [{ typename: 'User', load: (ctx, ids) => ctx.services.organizations.visibleUsers(ctx, ids) }],
};
