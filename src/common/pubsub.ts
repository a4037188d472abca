import { createPubSub } from '@graphql-yoga/subscription';

/**
 * Every event the gateway publishes, by topic. Payloads carry ids, never entities:
 * a subscriber reloads what it shows in its own EntityManager fork.
 */
export type Events = {
  USER_UPDATED: [{ userId: string }];
};

export type Topic = keyof Events;

export function createEventBus() {
  return createPubSub<Events>();
}

export type EventBus = ReturnType<typeof createEventBus>;
