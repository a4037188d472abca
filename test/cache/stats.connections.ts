import { gql } from '@apollo/client/core';
import type { CacheEnv } from '../helpers/apollo-cache.js';
import type { ConnectionCases } from '../helpers/apollo-paging.js';
import { signUp } from '../helpers/factories.js';

const PAGE_INFO = 'pageInfo { hasNextPage hasPreviousPage startCursor endCursor }';

/** A fresh organization of the owner's with six more members. */
async function members(env: CacheEnv): Promise<{ organizationId: string }> {
  const token = env.cast.owner.accessToken;
  const org = await env.api.post('/api/organizations', { name: `Progress ${Date.now()} ${Math.random().toString(36).slice(2, 8)}` }, { token });
  if (org.status !== 201) throw new Error(`create org: ${org.status} ${JSON.stringify(org.body)}`);
  for (let i = 0; i < 6; i++) {
    const u = await signUp(env.api);
    const r = await env.api.post(`/api/organizations/${org.body.id}/members`, { user_id: u.user.id, role: 'member' }, { token });
    if (r.status !== 201) throw new Error(`add member: ${r.status} ${JSON.stringify(r.body)}`);
  }
  return { organizationId: org.body.id as string };
}

export const connections: ConnectionCases = [
  {
    field: 'Query.memberProgress',
    setup: members,
    query: gql`
      query PageMemberProgress($organizationId: ID!, $first: Int, $after: String, $last: Int, $before: String) {
        memberProgress(organizationId: $organizationId, sort: USERNAME, order: ASC, first: $first, after: $after, last: $last, before: $before) {
          edges { cursor node { userId username xp learningSeconds } }
          ${PAGE_INFO}
        }
      }
    `,
    variables: (s: { organizationId: string }) => s,
    path: ['memberProgress'],
    keyOf: (node) => String(node.userId),
  },
];
