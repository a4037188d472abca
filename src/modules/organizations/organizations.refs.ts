import type { RequestContext } from '../../common/context.js';
import { visibleRef } from '../../graphql/node.resolver.js';
import type { User } from '../users/index.js';
import type { Organization, Team } from './organizations.entities.js';
import type { OrganizationsService } from './organizations.service.js';

/*
 * The organization, team or user an id names, for the modules whose objects name them
 * (`document.organization`, a statistic's `team`, a revocation's `revokedBy`): read by the rules
 * of `node(id:)` for that type, batched per request, null when the caller may not read it.
 */

export const organizationRef = (orgs: OrganizationsService, ctx: RequestContext, id: string): Promise<Organization | null> =>
  visibleRef(ctx, 'Organization', (c, ids) => orgs.visibleOrganizations(c, ids), id);

export const teamRef = (orgs: OrganizationsService, ctx: RequestContext, id: string | null): Promise<Team | null> | null =>
  id ? visibleRef(ctx, 'Team', (c, ids) => orgs.visibleTeams(c, ids), id) : null;

export const userRef = (orgs: OrganizationsService, ctx: RequestContext, id: string | null): Promise<User | null> | null =>
  id ? visibleRef(ctx, 'User', (c, ids) => orgs.visibleUsers(c, ids), id) : null;
