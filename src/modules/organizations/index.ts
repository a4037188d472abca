import type { ModuleManifest } from '../manifest.js';
import { Membership } from './membership.entity.js';
import { Organization } from './organization.entity.js';
import { MemberResolver, OrganizationsResolver, TeamResolver } from './organizations.resolver.js';
import { organizationsRoutes } from './organizations.rest.js';
import { Team } from './team.entity.js';

export const organizationsModule: ModuleManifest = {
  name: 'organizations',
  entities: [Organization, Membership, Team],
  resolvers: [OrganizationsResolver, MemberResolver, TeamResolver],
  routes: organizationsRoutes,
  nodes: [
    { typename: 'Organization', load: (ctx, ids) => ctx.services.organizations.visibleOrganizations(ctx, ids) },
    { typename: 'Member', load: (ctx, ids) => ctx.services.organizations.visibleMembers(ctx, ids) },
    { typename: 'Team', load: (ctx, ids) => ctx.services.organizations.visibleTeams(ctx, ids) },
  ],
};
