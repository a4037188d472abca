import { gql } from '@apollo/client/core';
import type { CacheCases, CacheEnv } from '../helpers/apollo-cache.js';
import { makeOrg } from '../helpers/orgs.js';

type Org = Awaited<ReturnType<typeof makeOrg>>;

/** The organizations screen: the list, from `me`, which payloads that change it return as `viewer`. */
const MY_ORGANIZATIONS = gql`
  query CacheMyOrganizations {
    me {
      id
      organizations(first: 20) {
        totalCount
        edges {
          cursor
          node {
            id
            name
            slug
            description
            memberCount
            viewerRole
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
const VIEWER_ORGANIZATIONS = `viewer {
  id
  organizations(first: 20) {
    totalCount
    edges { cursor node { id name slug description memberCount viewerRole } }
    pageInfo { hasNextPage endCursor }
  }
}`;

/** One organization's screen: its members, with their teams, and its teams with their counts and members. */
const ORGANIZATION = gql`
  query CacheOrganization($id: ID!) {
    organization(id: $id) {
      id
      name
      slug
      description
      updatedAt
      memberCount
      members(first: 20) {
        totalCount
        edges {
          cursor
          node {
            id
            role
            user {
              id
              username
            }
            team {
              id
              name
            }
          }
        }
        pageInfo {
          hasNextPage
          endCursor
        }
      }
      teams(first: 10) {
        totalCount
        edges {
          cursor
          node {
            id
            name
            memberCount
            members(first: 20) {
              totalCount
              edges {
                node {
                  id
                }
              }
            }
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
/** What a payload returns of the organization so that ORGANIZATION stays right: the same selection. */
const ORGANIZATION_FIELDS = `
  id name slug description updatedAt memberCount
  members(first: 20) {
    totalCount
    edges { cursor node { id role user { id username } team { id name } } }
    pageInfo { hasNextPage endCursor }
  }
  teams(first: 10) {
    totalCount
    edges { cursor node { id name memberCount members(first: 20) { totalCount edges { node { id } } } } }
    pageInfo { hasNextPage endCursor }
  }
`;

const TEAM = gql`
  query CacheTeam($id: ID!) {
    team(id: $id) {
      id
      name
      memberCount
    }
  }
`;

const fresh = (env: CacheEnv): Promise<Org> => makeOrg(env.api, env.cast);
/** An organization with a second team (Core, and Marketing), so its teams page is not left empty. */
async function withSecondTeam(env: CacheEnv): Promise<Org> {
  const org = await fresh(env);
  const r = await env.api.post(`/api/organizations/${org.id}/teams`, { name: 'Marketing' }, { token: env.cast.owner.accessToken });
  if (r.status !== 201) throw new Error(`team: ${r.status} ${JSON.stringify(r.body)}`);
  return org;
}
const orgScreens = (org: Org) => [{ query: ORGANIZATION, variables: { id: org.id } }, { query: MY_ORGANIZATIONS }];

export const cases: CacheCases = [
  {
    key: 'Mutation.createOrganization',
    setup: async () => `Cached ${Date.now()}`,
    queries: () => [{ query: MY_ORGANIZATIONS }],
    mutation: (name: string) => ({
      mutation: gql`
        mutation CacheCreateOrganization($input: CreateOrganizationInput!) {
          createOrganization(input: $input) {
            organization { id name slug description memberCount viewerRole }
            ${VIEWER_ORGANIZATIONS}
          }
        }
      `,
      variables: { input: { name } },
    }),
  },
  {
    key: 'Mutation.updateOrganization',
    setup: fresh,
    queries: orgScreens,
    mutation: (org: Org) => ({
      mutation: gql`
        mutation CacheUpdateOrganization($input: UpdateOrganizationInput!) {
          updateOrganization(input: $input) {
            organization { id name slug description updatedAt }
            ${VIEWER_ORGANIZATIONS}
          }
        }
      `,
      variables: { input: { id: org.id, description: 'Changed in the cache', slug: `cached-${Date.now()}` } },
    }),
  },
  {
    // Renamed: the list is by name, so the organization moves, and its cursor with it.
    key: 'Mutation.updateOrganization#rename',
    setup: fresh,
    queries: orgScreens,
    mutation: (org: Org) => ({
      mutation: gql`
        mutation CacheRenameOrganization($input: UpdateOrganizationInput!) {
          updateOrganization(input: $input) {
            organization { id name slug description updatedAt }
            ${VIEWER_ORGANIZATIONS}
          }
        }
      `,
      variables: { input: { id: org.id, name: 'AAA first by name' } },
    }),
  },
  {
    key: 'Mutation.deleteOrganization',
    setup: fresh,
    queries: () => [{ query: MY_ORGANIZATIONS }],
    mutation: (org: Org) => ({
      mutation: gql`
        mutation CacheDeleteOrganization($input: DeleteOrganizationInput!) {
          deleteOrganization(input: $input) {
            deletedId
            ${VIEWER_ORGANIZATIONS}
          }
        }
      `,
      variables: { input: { id: org.id } },
    }),
  },
  {
    key: 'Mutation.addMember',
    setup: fresh,
    queries: orgScreens,
    mutation: (org: Org, env) => ({
      mutation: gql`
        mutation CacheAddMember($input: AddMemberInput!) {
          addMember(input: $input) {
            member { id role user { id username } team { id name } }
            organization { ${ORGANIZATION_FIELDS} }
            team { id memberCount members(first: 20) { totalCount edges { node { id } } } }
          }
        }
      `,
      variables: { input: { organizationId: org.id, userId: env.cast.newcomer.user.id, role: 'ADMIN', teamId: org.teamId } },
    }),
  },
  {
    // Out of the team and up to admin: the member, and the team they left with its new count and members.
    key: 'Mutation.updateMember',
    setup: fresh,
    queries: (org: Org) => [...orgScreens(org), { query: TEAM, variables: { id: org.teamId } }],
    mutation: (org: Org, env) => ({
      mutation: gql`
        mutation CacheUpdateMember($input: UpdateMemberInput!) {
          updateMember(input: $input) {
            member { id role team { id name } }
            teams { id memberCount members(first: 20) { totalCount edges { node { id } } } }
          }
        }
      `,
      variables: { input: { organizationId: org.id, userId: env.cast.member.user.id, role: 'ADMIN', teamId: null } },
    }),
  },
  {
    key: 'Mutation.setMember',
    setup: fresh,
    queries: (org: Org) => [...orgScreens(org), { query: TEAM, variables: { id: org.teamId } }],
    mutation: (org: Org, env) => ({
      mutation: gql`
        mutation CacheSetMember($input: SetMemberInput!) {
          setMember(input: $input) {
            member { id role team { id name } }
            organization { id memberCount }
            previousOrganization { id }
            deletedMemberId
            teams { id memberCount members(first: 20) { totalCount edges { node { id } } } }
          }
        }
      `,
      variables: { input: { organizationId: org.id, userId: env.cast.admin.user.id, role: 'MEMBER', teamId: null } },
    }),
  },
  {
    // A move: out of one organization's screen (the membership evicted), into the other's.
    key: 'Mutation.setMember#move',
    setup: async (env: CacheEnv) => {
      const [from, to] = [await fresh(env), await fresh(env)];
      // The member is in both cast organizations: leave the destination first.
      const out = await env.api.delete(`/api/organizations/${to.id}/members/${env.cast.extra.user.id}`, { token: env.cast.owner.accessToken });
      if (out.status !== 204) throw new Error(`leave: ${out.status}`);
      return { from, to };
    },
    queries: ({ from, to }: { from: Org; to: Org }) => [...orgScreens(from), { query: ORGANIZATION, variables: { id: to.id } }],
    mutation: ({ from, to }: { from: Org; to: Org }, env) => ({
      mutation: gql`
        mutation CacheMoveMember($input: SetMemberInput!) {
          setMember(input: $input) {
            member { id role user { id username } team { id name } }
            organization { id memberCount members(first: 20) { totalCount edges { cursor node { id role user { id username } team { id name } } } pageInfo { hasNextPage endCursor } } }
            previousOrganization { id memberCount members(first: 20) { totalCount pageInfo { hasNextPage endCursor } } }
            deletedMemberId
            teams { id memberCount members(first: 20) { totalCount edges { node { id } } } }
          }
        }
      `,
      variables: { input: { organizationId: from.id, userId: env.cast.extra.user.id, role: 'MEMBER', teamId: null, toOrganizationId: to.id } },
    }),
  },
  {
    key: 'Mutation.removeMember',
    setup: fresh,
    queries: (org: Org) => [...orgScreens(org), { query: TEAM, variables: { id: org.teamId } }],
    mutation: (org: Org, env) => ({
      mutation: gql`
        mutation CacheRemoveMember($input: RemoveMemberInput!) {
          removeMember(input: $input) {
            deletedId
            removedUserId
            organization { id memberCount members(first: 20) { totalCount pageInfo { hasNextPage endCursor } } }
            team { id memberCount members(first: 20) { totalCount } }
          }
        }
      `,
      variables: { input: { organizationId: org.id, userId: env.cast.extra.user.id } },
    }),
  },
  {
    // Leaving: the organization leaves the leaver's list.
    key: 'Mutation.removeMember#leave',
    as: 'extra',
    setup: fresh,
    queries: () => [{ query: MY_ORGANIZATIONS }],
    mutation: (org: Org, env) => ({
      mutation: gql`
        mutation CacheLeave($input: RemoveMemberInput!) {
          removeMember(input: $input) {
            deletedId
            ${VIEWER_ORGANIZATIONS}
          }
        }
      `,
      variables: { input: { organizationId: org.id, userId: env.cast.extra.user.id } },
    }),
  },
  {
    key: 'Mutation.createTeam',
    setup: fresh,
    queries: orgScreens,
    mutation: (org: Org) => ({
      mutation: gql`
        mutation CacheCreateTeam($input: CreateTeamInput!) {
          createTeam(input: $input) {
            team { id name memberCount }
            organization { ${ORGANIZATION_FIELDS} }
          }
        }
      `,
      variables: { input: { organizationId: org.id, name: 'Another team' } },
    }),
  },
  {
    // Teams are by name: renamed to come after another, the team moves, and its cursor with it.
    key: 'Mutation.renameTeam',
    setup: withSecondTeam,
    queries: (org: Org) => [...orgScreens(org), { query: TEAM, variables: { id: org.teamId } }],
    mutation: (org: Org) => ({
      mutation: gql`
        mutation CacheRenameTeam($input: RenameTeamInput!) {
          renameTeam(input: $input) {
            team { id name memberCount }
            organization { ${ORGANIZATION_FIELDS} }
          }
        }
      `,
      variables: { input: { organizationId: org.id, teamId: org.teamId, name: 'Zulu, renamed' } },
    }),
  },
  {
    // Its members stay, without a team: the organization comes back with them.
    key: 'Mutation.deleteTeam',
    setup: withSecondTeam,
    queries: orgScreens,
    mutation: (org: Org) => ({
      mutation: gql`
        mutation CacheDeleteTeam($input: DeleteTeamInput!) {
          deleteTeam(input: $input) {
            deletedId
            organization { ${ORGANIZATION_FIELDS} }
          }
        }
      `,
      variables: { input: { organizationId: org.id, teamId: org.teamId } },
    }),
  },
];
