import { gql } from '@apollo/client/core';
import type { ConnectionCases } from '../helpers/apollo-paging.js';

export const connections: ConnectionCases = [
  {
    field: 'Query.documents',
    // The owner's own documents and those shared with the organization, newest first.
    setup: async (env) => {
      const token = { token: env.cast.owner.accessToken };
      for (let i = 0; i < 3; i++) await env.api.post('/api/knowledge/documents', { title: `Paged ${i}`, content: `Passage ${i}.` }, token);
      for (let i = 0; i < 3; i++) {
        await env.api.post('/api/knowledge/documents', { title: `Shared ${i}`, content: `Shared passage ${i}.`, visibility: 'organization', organization_id: env.org.id }, { token: env.cast.member.accessToken });
      }
      await env.server.app.services.knowledge.drain();
    },
    query: gql`
      query PageDocuments($first: Int, $after: String, $last: Int, $before: String) {
        documents(first: $first, after: $after, last: $last, before: $before) {
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
    path: ['documents'],
  },
];
