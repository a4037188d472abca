import { gql } from '@apollo/client/core';
import type { ConnectionCases } from '../helpers/apollo-paging.js';

export const connections: ConnectionCases = [
  {
    // The shipped course: 14 modules today, in course order.
    field: 'Query.xelModules',
    setup: async () => undefined,
    query: gql`
      query PageXelModules($first: Int, $after: String, $last: Int, $before: String) {
        xelModules(first: $first, after: $after, last: $last, before: $before) {
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
    path: ['xelModules'],
  },
];
