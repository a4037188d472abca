import { resolver, service, type ModuleManifest } from '../manifest.js';
import { LearningResolver } from './learning.resolver.js';
import { learningRoutes } from './learning.rest.js';
import { LearningTimeService, learningCtes, overlapMs } from './learning.service.js';

export { LearningTimeService, learningCtes, overlapMs };
export type { DaySeconds, LearningSource, SecondsBySource, UserScope } from './learning.service.js';
export { dateSchema, dayWindows, MAX_RANGE_DAYS, zonedDay, zonedDayStart } from './dates.js';
export type { DateRange, DayWindow } from './dates.js';

declare module '../manifest.js' {
  interface ServiceMap {
    /**
     * Learning time over conversation learning sessions, live sessions and timed XEL practice.
     * For other modules: `secondsBetween(em, userId, start, end)` (the seconds in [start, end))
     * and `secondsByDay(em, userIds, start, end, timeZone?)`.
     */
    learningTime: LearningTimeService;
  }
}

/** Learning time and the statistics built on it. */
export const learningModule: ModuleManifest = {
  name: 'learning',
  entities: [],
  services: [service('learningTime', ['config', 'clock', 'xel'], ({ config, clock, xel }) => new LearningTimeService(config, clock, xel))],
  resolvers: [resolver(LearningResolver, (s) => new LearningResolver(s.learningTime))],
  routes: learningRoutes,
};
