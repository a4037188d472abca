import { gql } from '@apollo/client/core';
import type { CacheCases } from '../helpers/apollo-cache.js';

const NOTES = gql`
  query CacheNotes {
    notes {
      total
      items {
        id
        title
        content
        updatedAt
      }
    }
  }
`;

async function note(env: Parameters<CacheCases[number]['setup']>[0]): Promise<string> {
  const r = await env.api.post('/api/core/notes', { title: 'Cached', content: 'in the cache' }, { token: env.cast.owner.accessToken });
  return r.body.id as string;
}

export const cases: CacheCases = [
  {
    key: 'Mutation.updateNote',
    setup: note,
    queries: () => [{ query: NOTES }],
    mutation: (id) => ({
      mutation: gql`
        mutation CacheUpdateNote($id: ID!, $input: UpdateNoteInput!) {
          updateNote(id: $id, input: $input) {
            id
            title
            content
            updatedAt
          }
        }
      `,
      variables: { id, input: { title: 'Renamed in the cache' } },
    }),
  },
  {
    key: 'Mutation.deleteNote',
    setup: note,
    queries: () => [{ query: NOTES }],
    mutation: (id) => ({
      mutation: gql`
        mutation CacheDeleteNote($id: ID!) {
          deleteNote(id: $id)
        }
      `,
      variables: { id },
    }),
  },
];
