import { gql } from '@apollo/client/core';
import type { CacheEnv } from '../helpers/apollo-cache.js';
import type { ConnectionCases } from '../helpers/apollo-paging.js';
import { connectThroughRest } from '../helpers/integrations.js';

const PAGE_INFO = 'pageInfo { hasNextPage hasPreviousPage startCursor endCursor }';
const HOUR = 3_600_000;

/** The member's Google Calendar, connected, with six study sessions in the window returned (two at the same time: ordered by id). */
async function calendarWithEvents(env: CacheEnv): Promise<{ from: string; to: string }> {
  const token = env.cast.member.accessToken;
  await connectThroughRest(env.api, { token });
  const t0 = Date.UTC(2031, 0, 6, 8);
  for (const h of [0, 2, 2, 5, 9, 30]) {
    const r = await env.api.post('/api/integrations/google-calendar/study-sessions', { title: `Session at +${h}h`, start: new Date(t0 + h * HOUR).toISOString(), duration_minutes: 30 }, { token });
    if (r.status !== 201) throw new Error(`study session: ${r.status} ${JSON.stringify(r.body)}`);
  }
  return { from: new Date(t0).toISOString(), to: new Date(t0 + 7 * 24 * HOUR).toISOString() };
}

export const connections: ConnectionCases = [
  {
    field: 'Query.calendarEvents',
    as: 'member',
    setup: calendarWithEvents,
    query: gql`
      query PageCalendarEvents($from: DateTime, $to: DateTime, $first: Int, $after: String, $last: Int, $before: String) {
        calendarEvents(from: $from, to: $to, first: $first, after: $after, last: $last, before: $before) {
          edges { cursor node { id title start } }
          ${PAGE_INFO}
        }
      }
    `,
    variables: (range: { from: string; to: string }) => range,
    path: ['calendarEvents'],
  },
  {
    field: 'Integration.events',
    as: 'member',
    setup: calendarWithEvents,
    query: gql`
      query PageIntegrationEvents($from: DateTime, $to: DateTime, $first: Int, $after: String, $last: Int, $before: String) {
        integrations {
          id
          events(from: $from, to: $to, first: $first, after: $after, last: $last, before: $before) {
            edges { cursor node { id title start } }
            ${PAGE_INFO}
          }
        }
      }
    `,
    variables: (range: { from: string; to: string }) => range,
    path: ['integrations', '0', 'events'],
  },
];
