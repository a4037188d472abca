import type { EventBus } from '../../common/pubsub.js';

/**
 * Something `User` shows changed for these users (a profile field, the organizations they
 * belong to, the API keys they see): their `meUpdated` fires, once each, on every process.
 * Called after the change is committed, by whichever service made it.
 */
export function usersChanged(events: EventBus, userIds: Iterable<string | null | undefined>): void {
  for (const userId of new Set(userIds)) if (userId) events.publish('USER_UPDATED', { userId });
}
