import { gql } from '@apollo/client/core';
import type { CacheCases, CacheEnv } from '../helpers/apollo-cache.js';
import { makeKey } from '../helpers/orgs.js';

/** The API keys screen of one organization, from `me`, which payloads that change it return as `viewer`. */
const KEYS = gql`
  query CacheApiKeys($organizationId: ID) {
    me {
      id
      apiKeys(organizationId: $organizationId, first: 20) {
        totalCount
        edges {
          cursor
          node {
            id
            name
            prefix
            scopes
            expiresAt
            lastUsedAt
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
const VIEWER_KEYS = `viewer {
  id
  apiKeys(organizationId: $organizationId, first: 20) {
    totalCount
    edges { cursor node { id name prefix scopes expiresAt lastUsedAt } }
    pageInfo { hasNextPage endCursor }
  }
}`;

const screens = (_: unknown, env: CacheEnv) => [{ query: KEYS, variables: { organizationId: env.org.id } }];

export const cases: CacheCases = [
  {
    key: 'Mutation.createApiKey',
    setup: async () => null,
    queries: screens,
    mutation: (_: null, env) => ({
      mutation: gql`
        mutation CacheCreateApiKey($input: CreateApiKeyInput!, $organizationId: ID) {
          createApiKey(input: $input) {
            key
            apiKey { id name prefix scopes expiresAt lastUsedAt }
            ${VIEWER_KEYS}
          }
        }
      `,
      variables: { organizationId: env.org.id, input: { name: 'cached', organizationId: env.org.id, scopes: ['ORGANIZATIONS_READ', 'XEL_READ'], expiresAt: '2999-01-01T00:00:00Z' } },
    }),
  },
  {
    key: 'Mutation.revokeApiKey',
    setup: async (env) => {
      await makeKey(env.api, env.cast.owner, env.org.id, ['organizations:read']);
      return (await makeKey(env.api, env.cast.owner, env.org.id, ['xel:read'])).id;
    },
    queries: screens,
    mutation: (id: string, env) => ({
      mutation: gql`
        mutation CacheRevokeApiKey($input: RevokeApiKeyInput!, $organizationId: ID) {
          revokeApiKey(input: $input) {
            deletedId
            ${VIEWER_KEYS}
          }
        }
      `,
      variables: { organizationId: env.org.id, input: { id } },
    }),
  },
];
