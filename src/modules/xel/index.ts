import type { ModuleManifest } from '../manifest.js';
import { XEL_ENTITIES } from './xel.entities.js';
import { XelResolver, xelNodes } from './xel.resolver.js';
import { xelRoutes } from './xel.rest.js';

export const xelModule: ModuleManifest = {
  name: 'xel',
  entities: XEL_ENTITIES,
  resolvers: [XelResolver],
  routes: xelRoutes,
  nodes: xelNodes,
};
