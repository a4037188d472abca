import { gql } from '@apollo/client/core';
import type { CacheCases, CacheEnv } from '../helpers/apollo-cache.js';
import { connectThroughRest, CookieJar, startInBrowser } from '../helpers/integrations.js';

/** The integrations screen: one entry per provider, each changing in place. */
const INTEGRATIONS = gql`
  query CacheIntegrations {
    integrations {
      id
      provider
      status
      accountEmail
      scopes
      connectedAt
    }
  }
`;
const INTEGRATION_FIELDS = 'id provider status accountEmail scopes connectedAt';

const WINDOW = { from: '2032-03-01T00:00:00Z', to: '2032-03-08T00:00:00Z' };
/** The calendar screen: a week of events, read through the integration a payload returns. */
const CALENDAR = gql`
  query CacheCalendar($from: DateTime, $to: DateTime) {
    integrations {
      id
      status
      events(from: $from, to: $to, first: 20) {
        totalCount
        edges {
          cursor
          node {
            id
            title
            start
            end
            studySession
          }
        }
        pageInfo {
          hasNextPage
          endCursor
        }
      }
    }
  }
`;

async function owner(env: CacheEnv): Promise<string> {
  return env.cast.owner.accessToken;
}

/** The owner's calendar, not connected. */
async function disconnected(env: CacheEnv): Promise<void> {
  const token = await owner(env);
  const r = await env.api.delete('/api/integrations/google-calendar', { token });
  if (r.status !== 204 && r.status !== 404) throw new Error(`disconnect: ${r.status} ${JSON.stringify(r.body)}`);
}

/** The owner's calendar, connected, with a study session in the window. */
async function connected(env: CacheEnv): Promise<void> {
  const token = await owner(env);
  await connectThroughRest(env.api, { token });
  const r = await env.api.post('/api/integrations/google-calendar/study-sessions', { title: 'Already there', start: '2032-03-02T09:00:00Z', duration_minutes: 30 }, { token });
  if (r.status !== 201) throw new Error(`study session: ${r.status} ${JSON.stringify(r.body)}`);
}

export const cases: CacheCases = [
  {
    // Starting a flow changes nothing shown until it completes.
    key: 'Mutation.connectGoogleCalendar',
    setup: disconnected,
    queries: () => [{ query: INTEGRATIONS }],
    mutation: () => ({
      mutation: gql`
        mutation CacheConnectGoogleCalendar {
          connectGoogleCalendar {
            authorizationUrl
            state
            expiresAt
          }
        }
      `,
      variables: {},
    }),
  },
  {
    key: 'Mutation.completeGoogleCalendarConnection',
    setup: async (env) => {
      await disconnected(env);
      const { callback } = await startInBrowser(env.api, { token: await owner(env) }, new CookieJar());
      return Object.fromEntries(['state', 'code', 'iss'].map((k) => [k, callback.searchParams.get(k)]));
    },
    queries: () => [{ query: INTEGRATIONS }],
    mutation: (input: Record<string, string | null>) => ({
      mutation: gql`
        mutation CacheCompleteGoogleCalendarConnection($input: CompleteGoogleCalendarConnectionInput!) {
          completeGoogleCalendarConnection(input: $input) {
            integration { ${INTEGRATION_FIELDS} }
          }
        }
      `,
      variables: { input },
    }),
  },
  {
    key: 'Mutation.disconnectGoogleCalendar',
    setup: connected,
    queries: () => [{ query: INTEGRATIONS }],
    mutation: () => ({
      mutation: gql`
        mutation CacheDisconnectGoogleCalendar {
          disconnectGoogleCalendar {
            integration { ${INTEGRATION_FIELDS} }
          }
        }
      `,
      variables: {},
    }),
  },
  {
    key: 'Mutation.scheduleStudySession',
    setup: connected,
    queries: () => [{ query: CALENDAR, variables: WINDOW }],
    mutation: () => ({
      mutation: gql`
        mutation CacheScheduleStudySession($input: ScheduleStudySessionInput!, $from: DateTime, $to: DateTime) {
          scheduleStudySession(input: $input) {
            event { id title start end studySession }
            integration {
              id
              status
              events(from: $from, to: $to, first: 20) {
                totalCount
                edges { cursor node { id title start end studySession } }
                pageInfo { hasNextPage endCursor }
              }
            }
          }
        }
      `,
      variables: { ...WINDOW, input: { title: 'Scheduled in the cache', start: '2032-03-01T08:00:00Z', durationMinutes: 45 } },
    }),
  },
];
