import { aiModule } from './ai/index.js';
import { apiKeysModule } from './api-keys/index.js';
import { authModule } from './auth/index.js';
import { describeRoutes } from './composition.js';
import { conversationsModule } from './conversations/index.js';
import { integrationTokensModule } from './integration-tokens/index.js';
import { integrationsModule } from './integrations/index.js';
import { knowledgeModule } from './knowledge/index.js';
import { learningModule } from './learning/index.js';
import { liveModule } from './live/index.js';
import type { ModuleManifest } from './manifest.js';
import { organizationsModule } from './organizations/index.js';
import { searchModule } from './search/index.js';
import { statsModule } from './stats/index.js';
import { usersModule } from './users/index.js';
import { xelModule } from './xel/index.js';
import { xpModule } from './xp/index.js';

/** The one registration point: adding a domain is a folder, its manifest and a line here. */
export const modules: readonly ModuleManifest[] = [
  usersModule,
  authModule,
  organizationsModule,
  apiKeysModule,
  aiModule,
  searchModule,
  conversationsModule,
  knowledgeModule,
  liveModule,
  xelModule,
  xpModule,
  integrationsModule,
  learningModule,
  integrationTokensModule,
  statsModule,
];

export const allEntities = modules.flatMap((m) => m.entities);
export const allResolvers = modules.flatMap((m) => m.resolvers ?? []);
/** Every route as documented (handlers unbound): for the OpenAPI document's tests and tools. */
export const allRoutes = describeRoutes(modules);
