import { resolver, service, type ModuleManifest } from '../manifest.js';
import { LiveSession } from './live.entities.js';
import { LiveUsage } from './live.entities.js';
import { LiveEngine } from './live.engine.js';
import { liveLoaders, type LiveLoaders } from './live.loaders.js';
import { liveNodes, LiveQuotaWarningResolver, LiveResolver, LiveSessionEndedResolver, LiveSessionStartedResolver, LiveTranscriptResolver, SearchHitTranscriptResolver } from './live.resolver.js';
import { liveRoutes } from './live.rest.js';
import { liveSearchSource } from './live.search.js';
import { LiveService, liveSessionIntervalsSql } from './live.service.js';
import { LiveTranscript } from './live.entities.js';

export { registerLiveSocket } from './live.socket.js';
export { buildAsyncApi } from './live.asyncapi.js';
export { LiveEngine, LiveService, LiveSession, liveSessionIntervalsSql };

declare module '../manifest.js' {
  interface ServiceMap {
    live: LiveService;
  }
}

declare module '../../common/loaders.js' {
  interface Loaders {
    live: LiveLoaders;
  }
}

export const liveModule: ModuleManifest = {
  name: 'live',
  entities: [LiveSession, LiveUsage, LiveTranscript],
  services: [
    // The service runs turns through its own LiveEngine: one API (send text, send audio, end) for every door.
    // The sweeper and transcript indexing are jobs (src/jobs/): one process sweeps at a time.
    service('live', ['config', 'search', 'events', 'metrics', 'ai', 'clock', 'jobs', 'rateLimits'], ({ config, search, events, metrics, ai, clock, jobs, rateLimits }) => {
      search.registerSource(liveSearchSource);
      return new LiveService(config, search, events, metrics, ai, clock, jobs, rateLimits);
    }),
  ],
  resolvers: [
    resolver(LiveResolver, (s) => new LiveResolver(s.events, s.live)),
    resolver(LiveTranscriptResolver, () => new LiveTranscriptResolver()),
    resolver(SearchHitTranscriptResolver, (s) => new SearchHitTranscriptResolver(s.live)),
    resolver(LiveSessionStartedResolver, (s) => new LiveSessionStartedResolver(s.live)),
    resolver(LiveQuotaWarningResolver, (s) => new LiveQuotaWarningResolver(s.live)),
    resolver(LiveSessionEndedResolver, (s) => new LiveSessionEndedResolver(s.live)),
  ],
  routes: liveRoutes,
  loaders: (em, batch) => ({ live: liveLoaders(em, batch) }),
  nodes: liveNodes,
};
