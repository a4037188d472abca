import type { EventBus } from '../common/pubsub.js';
import type { Config } from '../config.js';
import { ProviderRegistry } from './ai/providers/registry.js';
import { ConversationsService } from './conversations/conversations.service.js';
import { NotesService } from './conversations/notes.service.js';
import { IntegrationsService } from './integrations/integrations.service.js';
import { KnowledgeService } from './knowledge/knowledge.service.js';
import { LiveEngine } from './live/live.engine.js';
import { LiveService } from './live/live.service.js';
import { SearchService } from './search/search.service.js';
import { ApiKeysService } from './api-keys/api-keys.service.js';
import { AuthService } from './auth/auth.service.js';
import { OrganizationsService } from './organizations/organizations.service.js';
import { UsersService } from './users/users.service.js';
import { XelService } from './xel/xel.service.js';

/** The domain services, built once per app and shared by every request. */
export function createServices(config: Config, events: EventBus) {
  const apiKeys = new ApiKeysService();
  const auth = new AuthService(config, apiKeys);
  const users = new UsersService(auth, events);
  const organizations = new OrganizationsService(events, config.db.driver);
  const ai = new ProviderRegistry(config);
  const search = new SearchService(config.db.driver);
  const notes = new NotesService(search);
  const knowledge = new KnowledgeService(search, ai, config);
  const conversations = new ConversationsService(ai, search, knowledge, config);
  const live = new LiveService(config, search, events);
  const liveEngine = new LiveEngine(config, ai, search, live, events);
  const xel = new XelService(config, ai);
  const integrations = new IntegrationsService(config);
  return { events, auth, users, organizations, apiKeys, ai, search, conversations, notes, knowledge, live, liveEngine, xel, integrations };
}

export type Services = ReturnType<typeof createServices>;
