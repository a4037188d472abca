import { gql } from '@apollo/client/core';
import type { CacheEnv } from '../helpers/apollo-cache.js';
import type { ConnectionCases } from '../helpers/apollo-paging.js';
import { makeOrg } from '../helpers/orgs.js';

const PAGE_INFO = 'pageInfo { hasNextPage hasPreviousPage startCursor endCursor }';

/** A fresh organization with six integration tokens granted by the owner and revoked. */
async function revokedTokens(env: CacheEnv): Promise<{ tenantId: string }> {
  const org = await makeOrg(env.api, env.cast);
  const token = env.cast.owner.accessToken;
  for (let i = 0; i < 6; i++) {
    const g = await env.api.post('/api/integration/grant', { tenantId: org.id, mode: 'server', scopes: ['quota:read'], ttlSeconds: 600 }, { token });
    if (g.status !== 201) throw new Error(`grant: ${g.status} ${JSON.stringify(g.body)}`);
    const r = await env.api.post('/api/integration/revoke', { tenantId: org.id, jti: g.body.jti, reason: `r${i}` }, { token });
    if (r.status !== 200) throw new Error(`revoke: ${r.status} ${JSON.stringify(r.body)}`);
  }
  return { tenantId: org.id };
}

export const connections: ConnectionCases = [
  {
    field: 'Query.integrationTokenRevocations',
    setup: revokedTokens,
    query: gql`
      query PageIntegrationTokenRevocations($tenantId: ID, $first: Int, $after: String, $last: Int, $before: String) {
        integrationTokenRevocations(tenantId: $tenantId, first: $first, after: $after, last: $last, before: $before) {
          edges { cursor node { jti tenantId reason revokedAt } }
          ${PAGE_INFO}
        }
      }
    `,
    variables: (s: { tenantId: string }) => s,
    path: ['integrationTokenRevocations'],
    keyOf: (node) => String(node.jti),
  },
];
