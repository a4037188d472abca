import type { ModuleManifest } from '../manifest.js';
import { ApiKey } from './api-key.entity.js';
import { ApiKeysResolver, UserApiKeysResolver } from './api-keys.resolver.js';
import { apiKeysRoutes } from './api-keys.rest.js';

export const apiKeysModule: ModuleManifest = {
  name: 'api-keys',
  entities: [ApiKey],
  resolvers: [ApiKeysResolver, UserApiKeysResolver],
  routes: apiKeysRoutes,
  nodes: [{ typename: 'ApiKey', load: (ctx, ids) => ctx.services.apiKeys.visible(ctx, ids) }],
};
