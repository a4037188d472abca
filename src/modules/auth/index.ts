import { resolver, service, type ModuleManifest } from '../manifest.js';
import { AuthResolver } from './auth.resolver.js';
import { authRoutes } from './auth.rest.js';
import { AuthService } from './auth.service.js';
import { LoginSession } from './auth.entities.js';
import { RefreshToken } from './auth.entities.js';

export { AuthService };
export type { BearerGrants } from './auth.service.js';

declare module '../manifest.js' {
  interface ServiceMap {
    auth: AuthService;
  }
}

export const authModule: ModuleManifest = {
  name: 'auth',
  entities: [LoginSession, RefreshToken],
  services: [
    service('auth', ['config', 'apiKeys', 'rateLimits', 'events', 'clock', 'integrationTokens'], ({ config, apiKeys, rateLimits, events, clock, integrationTokens }) => new AuthService(config, apiKeys, rateLimits, events, clock, integrationTokens)),
  ],
  resolvers: [resolver(AuthResolver, (s) => new AuthResolver(s.auth))],
  routes: authRoutes,
};
