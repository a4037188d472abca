import { gql } from '@apollo/client/core';
import type { CacheCases, CacheEnv } from '../helpers/apollo-cache.js';

/** A conversation's learning status, as its screen shows it; payloads return the session and the status under `query`. */
const STATUS = `conversationSessionStatus(conversationId: $conversationId) {
  active
  totalActiveSeconds
  session { id conversationId status startedAt lastActivityAt endedAt activeSeconds }
}`;
const SESSION = 'session { id conversationId status startedAt lastActivityAt endedAt activeSeconds }';
const STATUS_QUERY = gql`
  query CacheConversationSessionStatus($conversationId: ID!) {
    ${STATUS}
  }
`;
const screens = (conversationId: string) => [{ query: STATUS_QUERY, variables: { conversationId } }];

/** A conversation of the owner's. */
async function conversation(env: CacheEnv): Promise<string> {
  const r = await env.api.post('/api/core/chat', { message: 'A session to learn in' }, { token: env.cast.owner.accessToken });
  if (!r.body?.conversation_id) throw new Error(`chat: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.conversation_id as string;
}

/** A conversation with a session started in it (through GraphQL, as the app does). */
async function started(env: CacheEnv): Promise<string> {
  const id = await conversation(env);
  const res = await fetch(`${env.server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${env.cast.owner.accessToken}` },
    body: JSON.stringify({ query: 'mutation($id: ID!) { startConversationSession(input: { conversationId: $id }) { created } }', variables: { id } }),
  });
  const body = (await res.json()) as { errors?: unknown };
  if (body.errors) throw new Error(`start session: ${JSON.stringify(body.errors)}`);
  return id;
}

export const cases: CacheCases = [
  {
    key: 'Mutation.startConversationSession',
    setup: conversation,
    queries: screens,
    mutation: (conversationId: string) => ({
      mutation: gql`
        mutation CacheStartConversationSession($input: StartConversationSessionInput!, $conversationId: ID!) {
          startConversationSession(input: $input) {
            created
            ${SESSION}
            query { ${STATUS} }
          }
        }
      `,
      variables: { conversationId, input: { conversationId } },
    }),
  },
  {
    key: 'Mutation.recordConversationSessionActivity',
    setup: started,
    queries: screens,
    mutation: (conversationId: string) => ({
      mutation: gql`
        mutation CacheRecordConversationSessionActivity($input: RecordConversationSessionActivityInput!, $conversationId: ID!) {
          recordConversationSessionActivity(input: $input) {
            ${SESSION}
            query { ${STATUS} }
          }
        }
      `,
      variables: { conversationId, input: { conversationId } },
    }),
  },
  {
    key: 'Mutation.endConversationSession',
    setup: started,
    queries: screens,
    mutation: (conversationId: string) => ({
      mutation: gql`
        mutation CacheEndConversationSession($input: EndConversationSessionInput!, $conversationId: ID!) {
          endConversationSession(input: $input) {
            ${SESSION}
            status { active totalActiveSeconds }
            query { ${STATUS} }
          }
        }
      `,
      variables: { conversationId, input: { conversationId } },
    }),
  },
];
