import { gql } from '@apollo/client/core';
import type { CacheEnv } from '../helpers/apollo-cache.js';
import type { ConnectionCases } from '../helpers/apollo-paging.js';

const PAGE = /* GraphQL */ `
  pageInfo {
    hasNextPage
    hasPreviousPage
    startCursor
    endCursor
  }
`;

const token = (env: CacheEnv) => ({ token: env.cast.owner.accessToken });
const word = () => `pagingword${Math.random().toString(36).slice(2, 10).replace(/\d/g, 'x')}`;

/** A conversation of the owner's with `turns` exchanges (the local provider: offline and deterministic). */
async function conversation(env: CacheEnv, turns: number, message = 'Paging through messages'): Promise<string> {
  let id: string | undefined;
  for (let i = 0; i < turns; i++) {
    const r = await env.api.post('/api/core/chat', { message: `${message} ${i}`, ...(id ? { conversation_id: id } : {}) }, token(env));
    if (r.status !== 200) throw new Error(`chat: ${r.status} ${JSON.stringify(r.body)}`);
    id = r.body.conversation_id as string;
  }
  return id!;
}

export const connections: ConnectionCases = [
  {
    field: 'Query.conversations',
    setup: async (env) => {
      for (let i = 0; i < 3; i++) await conversation(env, 1);
      for (let i = 0; i < 3; i++) await env.api.post('/api/core/conversations', { title: `Empty ${i}` }, token(env));
    },
    query: gql`
      query PageConversations($first: Int, $after: String, $last: Int, $before: String) {
        conversations(first: $first, after: $after, last: $last, before: $before) {
          edges {
            cursor
            node {
              id
            }
          }
          ${PAGE}
        }
      }
    `,
    path: ['conversations'],
  },
  {
    field: 'Conversation.messages',
    setup: (env) => conversation(env, 4),
    query: gql`
      query PageMessages($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
        conversation(id: $id) {
          id
          messages(first: $first, after: $after, last: $last, before: $before) {
            edges {
              cursor
              node {
                id
              }
            }
            ${PAGE}
          }
        }
      }
    `,
    variables: (id: string) => ({ id }),
    path: ['conversation', 'messages'],
  },
  {
    field: 'Query.notes',
    setup: async (env) => {
      for (let i = 0; i < 6; i++) await env.api.post('/api/core/notes', { title: `Paged ${i}`, content: 'a note to page through' }, token(env));
    },
    query: gql`
      query PageNotes($first: Int, $after: String, $last: Int, $before: String) {
        notes(first: $first, after: $after, last: $last, before: $before) {
          edges {
            cursor
            node {
              id
            }
          }
          ${PAGE}
        }
      }
    `,
    path: ['notes'],
  },
  {
    field: 'Query.search',
    // Notes and messages, ranked: the word appears once or twice, so the ranking has ties to break.
    setup: async (env) => {
      const w = word();
      for (let i = 0; i < 4; i++) await env.api.post('/api/core/notes', { title: `Found ${i}`, content: i % 2 ? `${w} and ${w} again` : `only ${w}` }, token(env));
      await conversation(env, 2, `Tell me about ${w}`);
      return w;
    },
    query: gql`
      query PageSearch($q: String!, $first: Int, $after: String, $last: Int, $before: String) {
        search(q: $q, first: $first, after: $after, last: $last, before: $before) {
          edges {
            cursor
            node {
              sourceId
            }
          }
          ${PAGE}
        }
      }
    `,
    variables: (q: string) => ({ q }),
    path: ['search'],
    keyOf: (node) => String(node.sourceId),
  },
];
