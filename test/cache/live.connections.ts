import { gql } from '@apollo/client/core';
import type { ConnectionCases } from '../helpers/apollo-paging.js';

export const connections: ConnectionCases = [
  {
    field: 'Query.liveTranscripts',
    as: 'extra',
    // Seven conversations, two of them started at the same instant (the id breaks the tie).
    setup: async (env) => {
      const t0 = Date.now() - 3_600_000;
      for (const [i, minute] of [0, 5, 5, 9, 14, 20, 30].entries()) {
        const start = t0 + minute * 60_000;
        const r = await env.api.post(
          '/api/live/transcripts',
          { session_started_at: new Date(start).toISOString(), session_ended_at: new Date(start + 60_000).toISOString(), transcripts: [{ role: 'user', text: `paging ${i}`, timestamp: new Date(start + 1000).toISOString() }] },
          { token: env.cast.extra.accessToken },
        );
        if (r.status !== 201) throw new Error(`transcript: ${r.status} ${JSON.stringify(r.body)}`);
      }
    },
    query: gql`
      query PageLiveTranscripts($first: Int, $after: String, $last: Int, $before: String) {
        liveTranscripts(first: $first, after: $after, last: $last, before: $before) {
          edges {
            cursor
            node {
              id
            }
          }
          pageInfo {
            hasNextPage
            hasPreviousPage
            startCursor
            endCursor
          }
        }
      }
    `,
    path: ['liveTranscripts'],
  },
  {
    field: 'LiveTranscript.turns',
    as: 'extra',
    // One transcript of seven turns, oldest first; a turn has no id: its text tells it apart.
    setup: async (env) => {
      const start = Date.now() - 600_000;
      const transcripts = Array.from({ length: 7 }, (_, i) => ({ role: i % 2 ? 'ai' : 'user', text: `turn ${i}`, timestamp: new Date(start + (i + 1) * 1000).toISOString() }));
      const r = await env.api.post(
        '/api/live/transcripts',
        { session_started_at: new Date(start).toISOString(), session_ended_at: new Date(start + 60_000).toISOString(), transcripts },
        { token: env.cast.extra.accessToken },
      );
      if (r.status !== 201) throw new Error(`transcript: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body.id as string;
    },
    query: gql`
      query PageTranscriptTurns($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
        liveTranscript(id: $id) {
          id
          turns(first: $first, after: $after, last: $last, before: $before) {
            edges {
              cursor
              node {
                text
              }
            }
            pageInfo {
              hasNextPage
              hasPreviousPage
              startCursor
              endCursor
            }
          }
        }
      }
    `,
    variables: (id: string) => ({ id }),
    path: ['liveTranscript', 'turns'],
    keyOf: (n) => String(n.text),
  },
];
