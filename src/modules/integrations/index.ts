import { resolver, service, type ModuleManifest } from '../manifest.js';
import { Integration } from './integrations.entities.js';
import { IntegrationsResolver } from './integrations.resolver.js';
import { integrationsRoutes } from './integrations.rest.js';
import { IntegrationsService } from './integrations.service.js';
import { OAuthState } from './integrations.entities.js';

export { IntegrationsService };

declare module '../manifest.js' {
  interface ServiceMap {
    integrations: IntegrationsService;
  }
}

export const integrationsModule: ModuleManifest = {
  name: 'integrations',
  entities: [Integration, OAuthState],
  // Study sessions name XEL modules: the course comes from the XEL service.
  // Access tokens are refreshed ahead of expiry by jobs (src/jobs/), besides before a calendar call.
  services: [
    service('integrations', ['config', 'xel', 'jobs', 'log', 'clock'], ({ config, xel, jobs, log, clock }) => new IntegrationsService(config, { module: (id) => xel.course.module(id) }, clock, { jobs, log, clock })),
  ],
  resolvers: [resolver(IntegrationsResolver, (s) => new IntegrationsResolver(s.integrations))],
  routes: integrationsRoutes,
  nodes: ({ integrations }) => [
    { typename: 'Integration', load: (ctx, ids) => integrations.visible(ctx, ids) },
    { typename: 'CalendarEvent', load: (ctx, ids) => integrations.visibleEvents(ctx, ids) },
  ],
};

/** The AES-256-GCM cipher for secrets at rest (INTEGRATIONS_ENCRYPTION_KEYS): integration tokens seal their signing keys with it. */
export { TokenCipher } from './token-cipher.js';
