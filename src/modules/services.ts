import type { EventBus } from '../common/pubsub.js';
import type { Config } from '../config.js';
import { ApiKeysService } from './api-keys/api-keys.service.js';
import { AuthService } from './auth/auth.service.js';
import { OrganizationsService } from './organizations/organizations.service.js';
import { UsersService } from './users/users.service.js';

/** The domain services, built once per app and shared by every request. */
export function createServices(config: Config, events: EventBus) {
  const apiKeys = new ApiKeysService();
  const auth = new AuthService(config, apiKeys);
  const users = new UsersService(auth, events);
  const organizations = new OrganizationsService(events, config.db.driver);
  return { events, auth, users, organizations, apiKeys };
}

export type Services = ReturnType<typeof createServices>;
