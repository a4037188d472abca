import type { ModuleManifest } from '../manifest.js';
import { Integration } from './integration.entity.js';
import { IntegrationsResolver } from './integrations.resolver.js';
import { integrationsRoutes } from './integrations.rest.js';
import { OAuthState } from './oauth-state.entity.js';

export const integrationsModule: ModuleManifest = {
  name: 'integrations',
  entities: [Integration, OAuthState],
  resolvers: [IntegrationsResolver],
  routes: integrationsRoutes,
  nodes: [
    { typename: 'Integration', load: (ctx, ids) => ctx.services.integrations.visible(ctx, ids) },
    { typename: 'CalendarEvent', load: (ctx, ids) => ctx.services.integrations.visibleEvents(ctx, ids) },
  ],
};
