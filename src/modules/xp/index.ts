import { resolver, service, type ModuleManifest } from '../manifest.js';
import { XP_ENTITIES } from './xp.entities.js';
import { XpResolver, xpNodes } from './xp.resolver.js';
import { xpRoutes } from './xp.rest.js';
import { XpService, type LearningSeconds } from './xp.service.js';

export { XpService };
export type { LearningSeconds };

declare module '../manifest.js' {
  interface ServiceMap {
    xp: XpService;
  }
}

export const xpModule: ModuleManifest = {
  name: 'xp',
  entities: XP_ENTITIES,
  // Learning seconds (the learning-time quest) come from the learning module's `learningTime` service.
  services: [
    service('xp', ['xel', 'clock', 'config', 'learningTime'], ({ xel, clock, config, learningTime }) => new XpService(xel, clock, config, learningTime)),
  ],
  resolvers: [resolver(XpResolver, (s) => new XpResolver(s.xp))],
  routes: xpRoutes,
  nodes: xpNodes,
};
