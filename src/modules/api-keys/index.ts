import type { ModuleManifest } from '../manifest.js';
import { ApiKey } from './api-key.entity.js';
import { ApiKeysResolver } from './api-keys.resolver.js';
import { apiKeysRoutes } from './api-keys.rest.js';

export const apiKeysModule: ModuleManifest = {
  name: 'api-keys',
  entities: [ApiKey],
  resolvers: [ApiKeysResolver],
  routes: apiKeysRoutes,
};
