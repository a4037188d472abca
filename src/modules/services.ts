import { systemClock, type Clock } from '../common/clock.js';
import { Metrics } from '../common/metrics.js';
import type { EventBus } from '../common/pubsub.js';
import { RateLimits } from '../common/rate-limits.js';
import type { Config } from '../config.js';
import { ProviderRegistry } from './ai/providers/registry.js';
import { ConversationsService } from './conversations/conversations.service.js';
import { NotesService } from './conversations/notes.service.js';
import { IntegrationsService } from './integrations/integrations.service.js';
import { KnowledgeService } from './knowledge/knowledge.service.js';
import { DocumentReaders } from './knowledge/extract-worker.js';
import type { JobQueue } from '../jobs/queue.js';
import { LocalFileStore, type BlobStore } from '../storage/file-store.js';
import { LiveEngine } from './live/live.engine.js';
import { LiveService } from './live/live.service.js';
import { SearchService } from './search/search.service.js';
import { ApiKeysService } from './api-keys/api-keys.service.js';
import { AuthService } from './auth/auth.service.js';
import { OrganizationsService } from './organizations/organizations.service.js';
import { UsersService } from './users/users.service.js';
import { XelService } from './xel/xel.service.js';

/** What the services share beyond the config: the event bus, the rate limits, the metrics. */
export interface Infrastructure {
  events: EventBus;
  rateLimits?: RateLimits;
  metrics?: Metrics;
  /** Deadlines of open sockets (credentials expiring); the system clock unless a test brings its own. */
  clock?: Clock;
  /** The background job queue (src/jobs/). */
  jobs: JobQueue;
  /** Where uploads are kept; DATA_DIR/uploads unless given. */
  store?: BlobStore;
}

/** The domain services, built once per app and shared by every request. */
export function createServices(config: Config, infra: Infrastructure) {
  const { events } = infra;
  const clock = infra.clock ?? systemClock;
  const rateLimits = infra.rateLimits ?? new RateLimits(config, null);
  const metrics = infra.metrics ?? new Metrics(false);
  const apiKeys = new ApiKeysService(events);
  const auth = new AuthService(config, apiKeys, rateLimits, events);
  const users = new UsersService(auth, events);
  const organizations = new OrganizationsService(events, config.db.driver, apiKeys);
  const ai = new ProviderRegistry(config, metrics);
  const search = new SearchService(config.db.driver);
  const notes = new NotesService(search);
  const store = infra.store ?? new LocalFileStore(config.storage.dir);
  const readers = new DocumentReaders(config.jobs.workerThreads);
  const knowledge = new KnowledgeService(search, ai, config, events, { jobs: infra.jobs, store, readers });
  const conversations = new ConversationsService(ai, search, knowledge, config, events, rateLimits);
  const live = new LiveService(config, search, events, metrics);
  const liveEngine = new LiveEngine(config, ai, search, live, events);
  const xel = new XelService(config, ai, events);
  const integrations = new IntegrationsService(config);
  return { events, clock, jobs: infra.jobs, store, readers, rateLimits, metrics, auth, users, organizations, apiKeys, ai, search, conversations, notes, knowledge, live, liveEngine, xel, integrations };
}

export type Services = ReturnType<typeof createServices>;
