import { gql } from '@apollo/client/core';
import type { CacheEnv } from '../helpers/apollo-cache.js';
import type { ConnectionCases } from '../helpers/apollo-paging.js';
import { signUp } from '../helpers/factories.js';

const PAGE_INFO = 'pageInfo { hasNextPage hasPreviousPage startCursor endCursor }';

async function ok(res: Promise<{ status: number; body: any }>, what: string): Promise<any> {
  const r = await res;
  if (r.status >= 300) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** An organization of the owner's with `users` more members, all in one team. */
async function orgWithMembers(env: CacheEnv, users = 5): Promise<{ id: string; teamId: string }> {
  const token = env.cast.owner.accessToken;
  const org = await ok(env.api.post('/api/organizations', { name: `Paged members ${Date.now()}` }, { token }), 'organization');
  const team = await ok(env.api.post(`/api/organizations/${org.id}/teams`, { name: 'Everyone' }, { token }), 'team');
  for (let i = 0; i < users; i++) {
    const u = await signUp(env.api);
    await ok(env.api.post(`/api/organizations/${org.id}/members`, { user_id: u.user.id, team_id: team.id }, { token }), 'member');
  }
  return { id: org.id, teamId: team.id };
}

/** Five organizations of the extra's own (besides the shared one), with names that share a prefix. */
async function extrasOrganizations(env: CacheEnv): Promise<void> {
  for (const name of ['Paging Echo', 'Paging alpha', 'Paging Delta', 'Paging Bravo', 'Paging Charlie']) {
    await ok(env.api.post('/api/organizations', { name }, { token: env.cast.extra.accessToken }), 'organization');
  }
}

/** Five API keys of the owner's in the shared organization. */
async function ownersKeys(env: CacheEnv): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await ok(env.api.post('/api/api-keys', { name: `paged ${i}`, organization_id: env.org.id, scopes: ['organizations:read'] }, { token: env.cast.owner.accessToken }), 'key');
  }
}

export const connections: ConnectionCases = [
  {
    field: 'Query.organizations',
    as: 'extra',
    setup: extrasOrganizations,
    query: gql`
      query PageOrganizations($first: Int, $after: String, $last: Int, $before: String) {
        organizations(first: $first, after: $after, last: $last, before: $before) {
          edges { cursor node { id name } }
          ${PAGE_INFO}
        }
      }
    `,
    path: ['organizations'],
  },
  {
    field: 'User.organizations',
    as: 'extra',
    setup: extrasOrganizations,
    query: gql`
      query PageMyOrganizations($first: Int, $after: String, $last: Int, $before: String) {
        me {
          id
          organizations(first: $first, after: $after, last: $last, before: $before) {
            edges { cursor node { id name } }
            ${PAGE_INFO}
          }
        }
      }
    `,
    path: ['me', 'organizations'],
  },
  {
    field: 'Organization.members',
    setup: (env) => orgWithMembers(env),
    query: gql`
      query PageMembers($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
        organization(id: $id) {
          id
          members(first: $first, after: $after, last: $last, before: $before) {
            edges { cursor node { id role user { id } } }
            ${PAGE_INFO}
          }
        }
      }
    `,
    variables: (org: { id: string }) => ({ id: org.id }),
    path: ['organization', 'members'],
  },
  {
    field: 'Team.members',
    setup: (env) => orgWithMembers(env),
    query: gql`
      query PageTeamMembers($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
        team(id: $id) {
          id
          members(first: $first, after: $after, last: $last, before: $before) {
            edges { cursor node { id user { id } } }
            ${PAGE_INFO}
          }
        }
      }
    `,
    variables: (org: { teamId: string }) => ({ id: org.teamId }),
    path: ['team', 'members'],
  },
  {
    field: 'Organization.teams',
    setup: async (env) => {
      const token = env.cast.owner.accessToken;
      const org = await ok(env.api.post('/api/organizations', { name: `Paged teams ${Date.now()}` }, { token }), 'organization');
      for (const name of ['Zeta', 'alpha', 'Gamma', 'beta', 'Delta', 'epsilon']) await ok(env.api.post(`/api/organizations/${org.id}/teams`, { name }, { token }), 'team');
      return org.id as string;
    },
    query: gql`
      query PageTeams($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
        organization(id: $id) {
          id
          teams(first: $first, after: $after, last: $last, before: $before) {
            edges { cursor node { id name } }
            ${PAGE_INFO}
          }
        }
      }
    `,
    variables: (id: string) => ({ id }),
    path: ['organization', 'teams'],
  },
  {
    field: 'Query.apiKeys',
    setup: ownersKeys,
    query: gql`
      query PageApiKeys($organizationId: ID, $first: Int, $after: String, $last: Int, $before: String) {
        apiKeys(organizationId: $organizationId, first: $first, after: $after, last: $last, before: $before) {
          edges { cursor node { id name } }
          ${PAGE_INFO}
        }
      }
    `,
    variables: (_: unknown, env) => ({ organizationId: env.org.id }),
    path: ['apiKeys'],
  },
  {
    field: 'User.apiKeys',
    setup: ownersKeys,
    query: gql`
      query PageMyApiKeys($first: Int, $after: String, $last: Int, $before: String) {
        me {
          id
          apiKeys(first: $first, after: $after, last: $last, before: $before) {
            edges { cursor node { id name } }
            ${PAGE_INFO}
          }
        }
      }
    `,
    path: ['me', 'apiKeys'],
  },
];
