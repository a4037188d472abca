import type { ModuleManifest } from '../manifest.js';
import { LiveSession } from './live-session.entity.js';
import { LiveUsage } from './live-usage.entity.js';
import { liveNodes, LiveResolver, LiveTranscriptResolver } from './live.resolver.js';
import { liveRoutes } from './live.rest.js';
import { LiveTranscript } from './transcript.entity.js';

export const liveModule: ModuleManifest = {
  name: 'live',
  entities: [LiveSession, LiveUsage, LiveTranscript],
  resolvers: [LiveResolver, LiveTranscriptResolver],
  routes: liveRoutes,
  nodes: liveNodes,
};
