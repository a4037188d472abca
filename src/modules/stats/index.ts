import { resolver, service, type ModuleManifest } from '../manifest.js';
import { EngagementStatsRefs, MemberAffiliationRefs, MemberProgressRefs, MemberStatsRefs, StatsResolver } from './stats.resolver.js';
import { statsRoutes } from './stats.rest.js';
import { StatsService } from './stats.service.js';

export { StatsService };

declare module '../manifest.js' {
  interface ServiceMap {
    /** The admin statistics of an organization (engagement, a member's figures, the progress list). */
    stats: StatsService;
  }
}

/** Admin statistics: an organization's engagement and its members' progress, for its admins and owners. */
export const statsModule: ModuleManifest = {
  name: 'stats',
  entities: [],
  services: [service('stats', ['config', 'learningTime'], ({ config, learningTime }) => new StatsService(config, learningTime))],
  resolvers: [
    resolver(StatsResolver, (s) => new StatsResolver(s.stats)),
    resolver(EngagementStatsRefs, (s) => new EngagementStatsRefs(s.organizations)),
    resolver(MemberStatsRefs, (s) => new MemberStatsRefs(s.organizations)),
    resolver(MemberAffiliationRefs, (s) => new MemberAffiliationRefs(s.organizations)),
    resolver(MemberProgressRefs, (s) => new MemberProgressRefs(s.organizations)),
  ],
  routes: statsRoutes,
};
