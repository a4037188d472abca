import type { EventBus } from '../common/pubsub.js';
import type { Config } from '../config.js';
import { AuthService } from './auth/auth.service.js';
import { UsersService } from './users/users.service.js';

/** The domain services, built once per app and shared by every request. */
export function createServices(config: Config, events: EventBus) {
  const auth = new AuthService(config);
  const users = new UsersService(auth, events);
  return { events, auth, users };
}

export type Services = ReturnType<typeof createServices>;
