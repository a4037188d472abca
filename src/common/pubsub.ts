import { createPubSub } from '@graphql-yoga/subscription';

/**
 * Every event the gateway publishes, by topic. Payloads carry ids, never entities:
 * a subscriber reloads what it shows in its own EntityManager fork.
 */
export type Events = {
  USER_UPDATED: [{ userId: string }];
  ORGANIZATION_EVENT: [OrganizationEvent];
};

/** Something changed in an organization; `userId` is the member concerned, when one is. */
export interface OrganizationEvent {
  organizationId: string;
  type:
    | 'organization_updated'
    | 'organization_deleted'
    | 'member_added'
    | 'member_updated'
    | 'member_removed'
    | 'team_created'
    | 'team_updated'
    | 'team_deleted';
  userId: string | null;
  teamId: string | null;
  actorId: string;
  at: string;
}

export type Topic = keyof Events;

export function createEventBus() {
  return createPubSub<Events>();
}

export type EventBus = ReturnType<typeof createEventBus>;
