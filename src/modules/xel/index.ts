import { resolver, service, type ModuleManifest } from '../manifest.js';
import { XEL_ENTITIES } from './xel.entities.js';
import { XelResolver, xelNodes } from './xel.resolver.js';
import { xelRoutes } from './xel.rest.js';
import { XelService, xelPracticeIntervalsSql, xelProgressByDaySql } from './xel.service.js';

export { XelService, xelPracticeIntervalsSql, xelProgressByDaySql };
export type { XelStanding, XpAwardHooks } from './xel.service.js';
export { addDays, levelOf, localDay, streakOn } from './rules.js';

declare module '../manifest.js' {
  interface ServiceMap {
    xel: XelService;
  }
}

export const xelModule: ModuleManifest = {
  name: 'xel',
  entities: XEL_ENTITIES,
  services: [service('xel', ['config', 'ai', 'events', 'rateLimits', 'clock'], ({ config, ai, events, rateLimits, clock }) => new XelService(config, ai, events, rateLimits, clock))],
  resolvers: [resolver(XelResolver, (s) => new XelResolver(s.xel))],
  routes: xelRoutes,
  nodes: xelNodes,
};
