import { createPubSub } from '@graphql-yoga/subscription';
import { overflowSafeEventTarget } from './event-target.js';

/**
 * Every event the gateway publishes, by topic. Payloads carry ids, never entities:
 * a subscriber reloads what it shows in its own EntityManager fork.
 */
export type Events = {
  USER_UPDATED: [{ userId: string }];
  ORGANIZATION_EVENT: [OrganizationEvent];
  LIVE_EVENT: [LiveEvent];
};

/** Something happened in a live session (more kinds arrive with the realtime pipeline). */
export type LiveEvent =
  | { type: 'session_started'; sessionId: string; userId: string; remainingSeconds: number; at: string }
  | { type: 'quota_warning'; sessionId: string; userId: string; remainingSeconds: number; message: string; at: string }
  | { type: 'session_ended'; sessionId: string; userId: string; usedSeconds: number; endReason: string; at: string }
  | { type: 'transcript'; sessionId: string; userId: string; role: string; text: string; timestamp: string; at: string }
  | { type: 'audio_response'; sessionId: string; userId: string; turnId: string; seq: number; audio: string; text: string; final: boolean; at: string }
  | {
      type: 'avatar_expression';
      sessionId: string;
      userId: string;
      turnId: string;
      expression: string;
      intensity: number;
      visemes: { offsetMs: number; viseme: string }[];
      at: string;
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
  return createPubSub<Events>({ eventTarget: overflowSafeEventTarget() as never });
}

export type EventBus = ReturnType<typeof createEventBus>;
