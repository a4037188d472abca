import type { EntityManager } from '@mikro-orm/core';
import { resolver, service, type ModuleManifest } from '../manifest.js';
import { Membership, OrganizationRole, OrgRole, ROLE_RANK } from './organizations.entities.js';
import { Organization } from './organizations.entities.js';
import { membershipLookup, organizationLoaders, type OrganizationLoaders } from './organizations.loaders.js';
import { MemberResolver, OrganizationEventResolver, OrganizationsResolver, TeamResolver, UserOrganizationsResolver } from './organizations.resolver.js';
import { organizationsRoutes } from './organizations.rest.js';
import { OrganizationsService, affiliationsOf, heldMembership, organizationMembersSql } from './organizations.service.js';
import { Team } from './organizations.entities.js';

export { membershipLookup } from './organizations.loaders.js';
export { Membership, Organization, OrganizationRole, OrganizationsService, OrgRole, ROLE_RANK, Team, affiliationsOf, heldMembership, organizationMembersSql };
export { organizationRef, teamRef, userRef } from './organizations.refs.js';
export type { Affiliation } from './organizations.service.js';

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
  return { org, memberships: membershipLookup(em, org.membership) };
}

export const organizationsModule: ModuleManifest = {
  name: 'organizations',
  entities: [Organization, Membership, Team],
  services: [service('organizations', ['events', 'config', 'apiKeys'], ({ events, config, apiKeys }) => new OrganizationsService(events, config.db.driver, apiKeys))],
  resolvers: [
    resolver(OrganizationsResolver, (s) => new OrganizationsResolver(s.events, s.organizations, s.users)),
    resolver(MemberResolver, (s) => new MemberResolver(s.organizations)),
    resolver(TeamResolver, (s) => new TeamResolver(s.organizations)),
    resolver(OrganizationEventResolver, (s) => new OrganizationEventResolver(s.organizations)),
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
