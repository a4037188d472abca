import type { LiveEvent } from '../src/common/pubsub.js';
import { graphqlEnumName } from '../src/graphql/enums.js';

/** The subscription every fan-out subscriber runs, and the frame graphql-ws sends for one of its events. */
export const FANOUT_QUERY = 'subscription Watch($id: ID!) { liveSessionEvents(sessionId: $id) { __typename ... on LiveTranscriptTurn { role text } } }';

/** A transcript event whose text carries its publication time (ms, high resolution), for delivery latency. */
export function stampedEvent(sessionId: string, userId: string, seq: number): Extract<LiveEvent, { type: 'transcript' }> {
  const now = new Date();
  return { type: 'transcript', sessionId, userId, role: 'ai', text: `t=${performance.timeOrigin + performance.now()};seq=${seq}`, timestamp: now.toISOString(), at: now.toISOString() };
}

/** The exact frame graphql-ws sends to a subscriber of FANOUT_QUERY (operation id "1") for `e`. */
export const frameOf = (e: Extract<LiveEvent, { type: 'transcript' }>) =>
  JSON.stringify({ id: '1', type: 'next', payload: { data: { liveSessionEvents: { __typename: 'LiveTranscriptTurn', role: graphqlEnumName(e.role), text: e.text } } } });
