import { resolver, service, type ModuleManifest } from '../manifest.js';
import { ApiKey } from './api-keys.entities.js';
import { ApiKeysResolver, UserApiKeysResolver } from './api-keys.resolver.js';
import { apiKeysRoutes } from './api-keys.rest.js';
import { ApiKeysService } from './api-keys.service.js';

export { ApiKey, ApiKeysService };

declare module '../manifest.js' {
  interface ServiceMap {
    apiKeys: ApiKeysService;
  }
}

export const apiKeysModule: ModuleManifest = {
  name: 'api-keys',
  entities: [ApiKey],
  services: [service('apiKeys', ['events', 'clock'], ({ events, clock }) => new ApiKeysService(events, clock))],
  resolvers: [
    resolver(ApiKeysResolver, (s) => new ApiKeysResolver(s.apiKeys, s.organizations, s.users)),
    resolver(UserApiKeysResolver, (s) => new UserApiKeysResolver(s.apiKeys)),
  ],
  routes: apiKeysRoutes,
  nodes: ({ apiKeys }) => [{ typename: 'ApiKey', load: (ctx, ids) => apiKeys.visible(ctx, ids) }],
};
