import { gql } from '@apollo/client/core';
import type { CacheCases, CacheEnv } from '../helpers/apollo-cache.js';

/**
 * The chat screen as a client keeps it: the conversation list, one conversation with its
 * latest messages, the notes. Every payload carries what it changed; the lists that hang off
 * the query root come back through the payload's `query` field, asked as the screen asks them
 * (as fields: a root query spreading a fragment on Query would also select the root's __typename).
 */
const CONVERSATION_FIELDS = /* GraphQL */ `
    conversations {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        cursor
        node {
          id
          title
          provider
          messageCount
          lastMessageAt
          updatedAt
        }
      }
    }
`;

const CONVERSATIONS = gql`
  query CacheConversations {
    ${CONVERSATION_FIELDS}
  }
`;

const MESSAGES_FIELDS = /* GraphQL */ `
    id
    title
    systemPrompt
    messageCount
    lastMessageAt
    updatedAt
    messages(last: 20) {
      totalCount
      pageInfo {
        hasPreviousPage
        startCursor
      }
      edges {
        cursor
        node {
          id
          role
          content
          status
          position
          provider
        }
      }
    }
`;

const CONVERSATION = gql`
  query CacheConversation($id: ID!) {
    conversation(id: $id) {
      ${MESSAGES_FIELDS}
    }
  }
`;

const NOTE_FIELDS = /* GraphQL */ `
    notes {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        cursor
        node {
          id
          title
          content
          tags
          updatedAt
        }
      }
    }
`;

const NOTES = gql`
  query CacheNotes {
    ${NOTE_FIELDS}
  }
`;

const NOTE = gql`
  query CacheNote($id: ID!) {
    note(id: $id) {
      id
      title
      content
      tags
      updatedAt
    }
  }
`;

const token = (env: CacheEnv) => ({ token: env.cast.owner.accessToken });

async function note(env: CacheEnv): Promise<string> {
  const r = await env.api.post('/api/core/notes', { title: 'Cached', content: 'in the cache', tags: ['cache'] }, token(env));
  return r.body.id as string;
}

/** A conversation of the owner's with one exchange (the local provider: deterministic and offline). */
async function conversation(env: CacheEnv): Promise<string> {
  const r = await env.api.post('/api/core/chat', { message: 'What is in the cache?' }, token(env));
  return r.body.conversation_id as string;
}

/**
 * What a chat payload gives back: the conversation as the screens show it, both messages, the
 * list. Written out rather than spread from fragments, which the cost limit counts a level deeper.
 */
const TURN_FIELDS = /* GraphQL */ `
    conversation {
      ${MESSAGES_FIELDS}
    }
    userMessage {
      id
      role
      content
      position
    }
    assistantMessage {
      id
      role
      content
      status
      position
    }
    query {
      ${CONVERSATION_FIELDS}
    }
`;

export const cases: CacheCases = [
  {
    key: 'Mutation.chat',
    setup: async () => null,
    queries: () => [{ query: CONVERSATIONS }],
    mutation: () => ({
      mutation: gql`
        mutation CacheChatNew($input: ChatInput!) {
          chat(input: $input) {
            ${TURN_FIELDS}
          }
        }
      `,
      variables: { input: { message: 'A new conversation for the cache' } },
    }),
  },
  {
    key: 'Mutation.chat#continue',
    setup: conversation,
    queries: (id) => [{ query: CONVERSATIONS }, { query: CONVERSATION, variables: { id } }],
    mutation: (id) => ({
      mutation: gql`
        mutation CacheChatContinue($input: ChatInput!) {
          chat(input: $input) {
            ${TURN_FIELDS}
          }
        }
      `,
      variables: { input: { message: 'And what else?', conversationId: id } },
    }),
  },
  {
    key: 'Mutation.regenerateReply',
    setup: conversation,
    queries: (id) => [{ query: CONVERSATIONS }, { query: CONVERSATION, variables: { id } }],
    mutation: (id) => ({
      mutation: gql`
        mutation CacheRegenerateReply($input: RegenerateReplyInput!) {
          regenerateReply(input: $input) {
            deletedMessageId
            assistantMessage {
              id
              content
              status
            }
            conversation {
              ${MESSAGES_FIELDS}
            }
            query {
              ${CONVERSATION_FIELDS}
            }
          }
        }
      `,
      variables: { input: { conversationId: id } },
    }),
  },
  {
    key: 'Mutation.createConversation',
    setup: async () => null,
    queries: () => [{ query: CONVERSATIONS }],
    mutation: () => ({
      mutation: gql`
        mutation CacheCreateConversation($input: CreateConversationInput!) {
          createConversation(input: $input) {
            conversation {
              id
              title
              provider
            }
            query {
              ${CONVERSATION_FIELDS}
            }
          }
        }
      `,
      variables: { input: { title: 'Made for the cache', provider: 'LOCAL' } },
    }),
  },
  {
    key: 'Mutation.updateConversation',
    setup: conversation,
    queries: (id) => [{ query: CONVERSATIONS }, { query: CONVERSATION, variables: { id } }],
    mutation: (id) => ({
      mutation: gql`
        mutation CacheUpdateConversation($input: UpdateConversationInput!) {
          updateConversation(input: $input) {
            conversation {
              id
              title
              systemPrompt
              updatedAt
            }
            query {
              ${CONVERSATION_FIELDS}
            }
          }
        }
      `,
      variables: { input: { id, title: 'Renamed in the cache', systemPrompt: 'Be brief.' } },
    }),
  },
  {
    key: 'Mutation.deleteConversation',
    setup: conversation,
    queries: (id) => [{ query: CONVERSATIONS }, { query: CONVERSATION, variables: { id } }],
    mutation: (id) => ({
      mutation: gql`
        mutation CacheDeleteConversation($input: DeleteConversationInput!) {
          deleteConversation(input: $input) {
            deletedId
            query {
              ${CONVERSATION_FIELDS}
            }
          }
        }
      `,
      variables: { input: { id } },
    }),
  },
  {
    key: 'Mutation.createNote',
    setup: async () => null,
    queries: () => [{ query: NOTES }],
    mutation: () => ({
      mutation: gql`
        mutation CacheCreateNote($input: CreateNoteInput!) {
          createNote(input: $input) {
            note {
              id
              title
            }
            query {
              ${NOTE_FIELDS}
            }
          }
        }
      `,
      variables: { input: { title: 'New in the cache', content: 'fresh', tags: ['cache'] } },
    }),
  },
  {
    key: 'Mutation.updateNote',
    setup: note,
    queries: (id) => [{ query: NOTES }, { query: NOTE, variables: { id } }],
    mutation: (id) => ({
      mutation: gql`
        mutation CacheUpdateNote($input: UpdateNoteInput!) {
          updateNote(input: $input) {
            note {
              id
              title
              content
              tags
              updatedAt
            }
            query {
              ${NOTE_FIELDS}
            }
          }
        }
      `,
      variables: { input: { id, title: 'Renamed in the cache', tags: [] } },
    }),
  },
  {
    key: 'Mutation.deleteNote',
    setup: note,
    queries: (id) => [{ query: NOTES }, { query: NOTE, variables: { id } }],
    mutation: (id) => ({
      mutation: gql`
        mutation CacheDeleteNote($input: DeleteNoteInput!) {
          deleteNote(input: $input) {
            deletedId
            query {
              ${NOTE_FIELDS}
            }
          }
        }
      `,
      variables: { input: { id } },
    }),
  },
];
