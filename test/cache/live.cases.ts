import { gql } from '@apollo/client/core';
import { LiveSession } from '../../src/modules/live/live.entities.js';
import type { CacheCases, CacheEnv } from '../helpers/apollo-cache.js';
import { gql as post } from '../helpers/graphql.js';

/**
 * Xentree Live against a real InMemoryCache, as the live screen uses it: the quota meter, the
 * session, its transcript and the list of transcripts. The cast's `extra` acts, so the owner's
 * things (other modules' cases) are left alone.
 *
 * While a session runs, the quota's `usedSeconds`/`remainingSeconds` tick with the server's
 * clock, so a fresh answer a second later differs whatever the cache does: the screens of a
 * running session below leave them out; once the session ended they hold still and are compared.
 */
const WHO = 'extra' as const;

const SESSION_FIELDS = 'id status sessionType startedAt lastSeenAt endedAt endReason usedSeconds';
const QUOTA_STILL = `id plan limitSeconds periodStart periodEnd activeSession { ${SESSION_FIELDS} }`;
const QUOTA_SETTLED = `${QUOTA_STILL} usedSeconds remainingSeconds`;
const TRANSCRIPT_FIELDS = 'id sessionId turnCount preview durationSeconds sessionStartedAt sessionEndedAt transcripts { role text timestamp }';
const TRANSCRIPTS = gql`
  query CacheLiveTranscripts {
    liveTranscripts(first: 10) {
      totalCount
      edges { cursor node { ${TRANSCRIPT_FIELDS} } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
`;

const quota = (fields: string) =>
  gql`
    query CacheLiveQuota {
      liveQuota { ${fields} }
    }
  `;
const session = gql`
  query CacheLiveSession($id: ID!) {
    liveSession(id: $id) { ${SESSION_FIELDS} }
  }
`;
const transcript = gql`
  query CacheLiveTranscript($id: ID!) {
    liveTranscript(id: $id) { ${TRANSCRIPT_FIELDS} }
  }
`;

const token = (env: CacheEnv) => env.cast[WHO].accessToken;

/** A fresh active session of the acting user (a running one is ended first: one at a time). */
async function freshSession(env: CacheEnv): Promise<string> {
  const { app } = env.server;
  const running = await app.orm.em.fork().findOne(LiveSession, { activeUserId: env.cast[WHO].user.id });
  if (running) await app.services.live.settle(app.orm.em, running.id, 'client', new Date());
  const r = await env.api.post('/api/live/session/start', { session_type: 'voice' }, { token: token(env) });
  if (r.status !== 201) throw new Error(`start: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.session_id as string;
}

/** A session with one turn said over GraphQL, so its transcript exists. */
async function sessionWithTurn(env: CacheEnv): Promise<{ sessionId: string; transcriptId: string }> {
  const sessionId = await freshSession(env);
  const r = await post(
    env.server.url,
    gql`
      mutation CacheFirstTurn($input: SendLiveTextInput!) {
        sendLiveText(input: $input) {
          transcript {
            id
          }
        }
      }
    `,
    { input: { sessionId, text: 'Remember the harbour at six.' } },
    token(env),
  );
  const data = r.data as { sendLiveText: { transcript: { id: string } } } | undefined;
  if (!data) throw new Error(`first turn: ${JSON.stringify(r.errors)}`);
  return { sessionId, transcriptId: data.sendLiveText.transcript.id };
}

export const cases: CacheCases = [
  {
    key: 'Mutation.startLiveSession',
    as: WHO,
    setup: async (env) => {
      const id = await freshSession(env);
      await env.api.post('/api/live/session/end', { session_id: id }, { token: token(env) });
    },
    queries: () => [{ query: quota(QUOTA_STILL) }],
    mutation: () => ({
      mutation: gql`
        mutation CacheStartLiveSession($input: StartLiveSessionInput!) {
          startLiveSession(input: $input) {
            session { ${SESSION_FIELDS} }
            quota { ${QUOTA_STILL} }
          }
        }
      `,
      variables: { input: { sessionType: 'AVATAR' } },
    }),
  },
  {
    key: 'Mutation.liveHeartbeat',
    as: WHO,
    setup: freshSession,
    queries: (id: string) => [{ query: session, variables: { id } }, { query: quota(QUOTA_STILL) }],
    mutation: (id: string) => ({
      mutation: gql`
        mutation CacheLiveHeartbeat($input: LiveHeartbeatInput!) {
          liveHeartbeat(input: $input) {
            session { ${SESSION_FIELDS} }
            quota { ${QUOTA_STILL} }
          }
        }
      `,
      variables: { input: { sessionId: id } },
    }),
  },
  {
    key: 'Mutation.endLiveSession',
    as: WHO,
    setup: freshSession,
    queries: (id: string) => [{ query: session, variables: { id } }, { query: quota(QUOTA_SETTLED) }],
    mutation: (id: string) => ({
      mutation: gql`
        mutation CacheEndLiveSession($input: EndLiveSessionInput!) {
          endLiveSession(input: $input) {
            session { ${SESSION_FIELDS} }
            quota { ${QUOTA_SETTLED} }
          }
        }
      `,
      variables: { input: { sessionId: id, reason: 'CLIENT' } },
    }),
  },
  {
    key: 'Mutation.sendLiveText',
    as: WHO,
    setup: sessionWithTurn,
    queries: (s: { sessionId: string; transcriptId: string }) => [{ query: session, variables: { id: s.sessionId } }, { query: transcript, variables: { id: s.transcriptId } }, { query: TRANSCRIPTS }],
    mutation: (s: { sessionId: string }) => ({
      mutation: gql`
        mutation CacheSendLiveText($input: SendLiveTextInput!) {
          sendLiveText(input: $input) {
            turnId
            session { ${SESSION_FIELDS} }
            transcript { ${TRANSCRIPT_FIELDS} }
          }
        }
      `,
      variables: { input: { sessionId: s.sessionId, text: 'And when is low tide?' } },
    }),
  },
  {
    // The first turn of a session makes its transcript: the list is read again through the query root.
    key: 'Mutation.sendLiveText#first',
    as: WHO,
    setup: freshSession,
    queries: (id: string) => [{ query: session, variables: { id } }, { query: TRANSCRIPTS }],
    mutation: (id: string) => ({
      mutation: gql`
        mutation CacheSendLiveTextFirst($input: SendLiveTextInput!) {
          sendLiveText(input: $input) {
            session { ${SESSION_FIELDS} }
            transcript { ${TRANSCRIPT_FIELDS} }
            query {
              liveTranscripts(first: 10) {
                totalCount
                edges { cursor node { ${TRANSCRIPT_FIELDS} } }
                pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
              }
            }
          }
        }
      `,
      variables: { input: { sessionId: id, text: 'Hello, this is my first turn.' } },
    }),
  },
  {
    key: 'Mutation.sendLiveAudio',
    as: WHO,
    setup: sessionWithTurn,
    queries: (s: { sessionId: string; transcriptId: string }) => [{ query: session, variables: { id: s.sessionId } }, { query: transcript, variables: { id: s.transcriptId } }, { query: TRANSCRIPTS }],
    mutation: (s: { sessionId: string }) => ({
      mutation: gql`
        mutation CacheSendLiveAudio($input: SendLiveAudioInput!) {
          sendLiveAudio(input: $input) {
            turnId
            session { ${SESSION_FIELDS} }
            transcript { ${TRANSCRIPT_FIELDS} }
          }
        }
      `,
      variables: { input: { sessionId: s.sessionId, audio: Buffer.alloc(4800, 1).toString('base64'), final: true, text: 'What about tomorrow?' } },
    }),
  },
  {
    // A chunk that is not the end: only the session's sign of life moves.
    key: 'Mutation.sendLiveAudio#chunk',
    as: WHO,
    setup: freshSession,
    queries: (id: string) => [{ query: session, variables: { id } }],
    mutation: (id: string) => ({
      mutation: gql`
        mutation CacheSendLiveAudioChunk($input: SendLiveAudioInput!) {
          sendLiveAudio(input: $input) {
            turnId
            session { ${SESSION_FIELDS} }
          }
        }
      `,
      variables: { input: { sessionId: id, audio: Buffer.alloc(4800, 1).toString('base64') } },
    }),
  },
  {
    key: 'Mutation.setLiveNickname',
    as: WHO,
    setup: async () => undefined,
    queries: () => [
      {
        query: gql`
          query CacheLiveMe {
            me {
              id
              nickname
            }
          }
        `,
      },
    ],
    mutation: () => ({
      mutation: gql`
        mutation CacheSetLiveNickname($input: SetLiveNicknameInput!) {
          setLiveNickname(input: $input) {
            nickname
            user {
              id
              nickname
            }
          }
        }
      `,
      variables: { input: { nickname: 'Cached Kim' } },
    }),
  },
  {
    // A new transcript joins the list: the payload's query root carries the list's first page again.
    key: 'Mutation.saveLiveTranscript',
    as: WHO,
    setup: async () => undefined,
    queries: () => [{ query: TRANSCRIPTS }],
    mutation: () => {
      const now = Date.now();
      return {
        mutation: gql`
          mutation CacheSaveLiveTranscript($input: SaveLiveTranscriptInput!) {
            saveLiveTranscript(input: $input) {
              transcript { ${TRANSCRIPT_FIELDS} }
              query {
                liveTranscripts(first: 10) {
                  totalCount
                  edges { cursor node { ${TRANSCRIPT_FIELDS} } }
                  pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
                }
              }
            }
          }
        `,
        variables: {
          input: {
            sessionStartedAt: new Date(now - 30_000).toISOString(),
            sessionEndedAt: new Date(now).toISOString(),
            transcripts: [{ role: 'USER', text: 'Saved from the cache case', timestamp: new Date(now - 10_000).toISOString() }],
          },
        },
      };
    },
  },
];
