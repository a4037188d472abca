import type { EntityManager } from '@mikro-orm/core';
import { resolver, service, type ModuleManifest } from '../manifest.js';
import { Membership, OrgRole, ROLE_RANK } from './membership.entity.js';
import { Organization } from './organization.entity.js';
import { membershipKey, organizationLoaders, type OrganizationLoaders } from './organizations.loaders.js';
import { MemberResolver, OrganizationsResolver, TeamResolver, UserOrganizationsResolver } from './organizations.resolver.js';
import { organizationsRoutes } from './organizations.rest.js';
import { OrganizationsService } from './organizations.service.js';
import { Team } from './team.entity.js';

export { Membership, Organization, OrganizationsService, OrgRole, ROLE_RANK, Team };

declare module '../manifest.js' {
  interface ServiceMap {
    organizations: OrganizationsService;
  }
}

declare module '../../common/loaders.js' {
  interface Loaders {
    org: OrganizationLoaders;
  }
}

/** The organizations' loaders, and the membership lookup that common/access.ts checks roles with. */
function loaders(em: EntityManager, batch: boolean) {
  const org = organizationLoaders(em, batch);
  return {
    org,
    memberships: {
      find: (organizationId: string, userId: string) => org.membership.load(membershipKey(organizationId, userId)),
      rank: (role: string) => {
        const rank = ROLE_RANK[role as OrgRole] as number | undefined;
        if (rank === undefined) throw new Error(`unknown organization role: ${role}`);
        return rank;
      },
    },
  };
}

export const organizationsModule: ModuleManifest = {
  name: 'organizations',
  entities: [Organization, Membership, Team],
  services: [service('organizations', ['events', 'config', 'apiKeys'], ({ events, config, apiKeys }) => new OrganizationsService(events, config.db.driver, apiKeys))],
  resolvers: [
    resolver(OrganizationsResolver, (s) => new OrganizationsResolver(s.events, s.organizations, s.users)),
    resolver(MemberResolver, (s) => new MemberResolver(s.organizations)),
    resolver(TeamResolver, (s) => new TeamResolver(s.organizations)),
    resolver(UserOrganizationsResolver, (s) => new UserOrganizationsResolver(s.organizations)),
  ],
  routes: organizationsRoutes,
  loaders,
  nodes: ({ organizations }) => [
    { typename: 'Organization', load: (ctx, ids) => organizations.visibleOrganizations(ctx, ids) },
    { typename: 'Member', load: (ctx, ids) => organizations.visibleMembers(ctx, ids) },
    { typename: 'Team', load: (ctx, ids) => organizations.visibleTeams(ctx, ids) },
    { typename: 'User', load: (ctx, ids) => organizations.visibleUsers(ctx, ids) },
  ],
};
