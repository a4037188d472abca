import { gql } from '@apollo/client/core';
import type { CacheCases, CacheEnv } from '../helpers/apollo-cache.js';

/** The revocation list of the cast's organization, as an admin's screen shows it; payloads return it under `query`. */
const LIST = `integrationTokenRevocations(tenantId: $tenantId, first: 20) {
  totalCount
  edges { cursor node { jti tenantId reason revokedAt revokedById } }
  pageInfo { hasNextPage endCursor }
}`;
const REVOCATIONS = gql`
  query CacheIntegrationTokenRevocations($tenantId: ID) {
    ${LIST}
  }
`;
const screens = (_: unknown, env: CacheEnv) => [{ query: REVOCATIONS, variables: { tenantId: env.org.id } }];

/** A token the owner holds in the cast's organization. */
async function granted(env: CacheEnv): Promise<{ token: string; jti: string }> {
  const r = await env.api.post('/api/integration/grant', { tenantId: env.org.id, mode: 'server', scopes: ['quota:read'], ttlSeconds: 600 }, { token: env.cast.owner.accessToken });
  if (r.status !== 201) throw new Error(`grant: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body as { token: string; jti: string };
}

export const cases: CacheCases = [
  {
    key: 'Mutation.grantIntegrationToken',
    // A list with a revocation in it (an empty connection's endCursor reads back as "" from relayStylePagination).
    setup: async (env) => {
      const g = await granted(env);
      const r = await env.api.post('/api/integration/revoke', { tenantId: env.org.id, jti: g.jti, reason: 'before' }, { token: env.cast.owner.accessToken });
      if (r.status !== 200) throw new Error(`revoke: ${r.status} ${JSON.stringify(r.body)}`);
      return null;
    },
    queries: screens,
    mutation: (_: null, env) => ({
      mutation: gql`
        mutation CacheGrantIntegrationToken($input: GrantIntegrationTokenInput!, $tenantId: ID) {
          grantIntegrationToken(input: $input) {
            grant { token tokenType expiresIn jti tenantId }
            query { ${LIST} }
          }
        }
      `,
      variables: { tenantId: env.org.id, input: { tenantId: env.org.id, mode: 'SERVER', scopes: ['QUOTA_READ'], ttlSeconds: 600 } },
    }),
  },
  {
    key: 'Mutation.rotateIntegrationToken',
    setup: granted,
    queries: screens,
    mutation: (old: { token: string }, env) => ({
      mutation: gql`
        mutation CacheRotateIntegrationToken($input: RotateIntegrationTokenInput!, $tenantId: ID) {
          rotateIntegrationToken(input: $input) {
            grant { token tokenType expiresIn jti tenantId }
            revokedJti
            query { ${LIST} }
          }
        }
      `,
      variables: { tenantId: env.org.id, input: { integrationToken: old.token, tenantId: env.org.id, mode: 'SERVER', scopes: ['QUOTA_READ'], ttlSeconds: 600, revokeOld: true } },
    }),
  },
  {
    key: 'Mutation.revokeIntegrationToken',
    setup: granted,
    queries: screens,
    mutation: (g: { jti: string }, env) => ({
      mutation: gql`
        mutation CacheRevokeIntegrationToken($input: RevokeIntegrationTokenInput!, $tenantId: ID) {
          revokeIntegrationToken(input: $input) {
            revoked
            jti
            query { ${LIST} }
          }
        }
      `,
      variables: { tenantId: env.org.id, input: { tenantId: env.org.id, jti: g.jti, reason: 'cached' } },
    }),
  },
];
