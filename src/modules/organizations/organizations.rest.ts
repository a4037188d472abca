import { z } from 'zod';
import type { RequestContext } from '../../common/context.js';
import { pageOf, pageSchema } from '../../common/pagination.js';
import { defineListRoute, defineRoute, type RestRoute } from '../../rest/route-table.js';
import type { Membership } from './organizations.entities.js';
import type { Organization } from './organizations.entities.js';
import { membershipKey } from './organizations.loaders.js';
import { OrganizationRole } from './organizations.entities.js';
import { addMemberSchema, createOrganizationSchema, replaceMemberSchema, teamSchema, updateMemberSchema, updateOrganizationSchema } from './organizations.types.js';
import type { Team } from './organizations.entities.js';
import type { ServiceMap } from '../manifest.js';

const role = OrganizationRole.schema;

/** `OrganizationResponse` of the contract; `role` is the caller's. */
export const organizationSchema = z.object({
  id: z.string(),
  name: z.string(),
  slug: z.string(),
  description: z.string().nullable(),
  role,
  member_count: z.number().int(),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
}).meta({ id: 'OrganizationResponse', description: 'An organization, with the caller\'s role in it.', examples: [{ id: '7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d', name: 'Acme Learning', slug: 'acme-learning', description: 'Language training for Acme staff', role: 'owner', member_count: 12, created_at: '2026-03-02T09:15:00Z', updated_at: '2026-03-02T09:15:00Z' }] });

export async function toOrganization(o: Organization, ctx: RequestContext): Promise<z.infer<typeof organizationSchema>> {
  const [membership, memberCount] = await Promise.all([
    ctx.loaders.org.membership.load(membershipKey(o.id, ctx.principal!.userId)),
    ctx.loaders.org.memberCount.load(o.id),
  ]);
  return {
    id: o.id,
    name: o.name,
    slug: o.slug,
    description: o.description,
    role: membership!.role,
    member_count: memberCount,
    created_at: o.createdAt.toISOString(),
    updated_at: o.updatedAt.toISOString(),
  };
}

/** `MemberResponse` of the contract. */
export const memberSchema = z.object({
  user_id: z.string(),
  email: z.string(),
  username: z.string(),
  full_name: z.string().nullable(),
  role,
  team_id: z.string().nullable(),
  team_name: z.string().nullable(),
  joined_at: z.iso.datetime(),
}).meta({ id: 'MemberResponse', description: 'A member of an organization.', examples: [{ user_id: '5f0c8e9a-3b7d-4c1e-9a2f-1d6b7c8e9f01', email: 'ada@example.com', username: 'ada', full_name: 'Ada Lovelace', role: 'admin', team_id: null, team_name: null, joined_at: '2026-03-02T09:15:00Z' }] });

export async function toMember(m: Membership, ctx: RequestContext): Promise<z.infer<typeof memberSchema>> {
  const [user, team] = await Promise.all([ctx.loaders.userById.load(m.user.id), m.team ? ctx.loaders.org.team.load(m.team.id) : null]);
  return {
    user_id: m.user.id,
    email: user!.email,
    username: user!.username,
    full_name: user!.fullName,
    role: m.role,
    team_id: team?.id ?? null,
    team_name: team?.name ?? null,
    joined_at: m.joinedAt.toISOString(),
  };
}

/** `TeamResponse` of the contract. */
export const teamResponseSchema = z.object({ id: z.string(), name: z.string(), member_count: z.number().int(), created_at: z.iso.datetime() }).meta({ id: 'TeamResponse' });

export const toTeam = async (t: Team, ctx: RequestContext): Promise<z.infer<typeof teamResponseSchema>> => ({
  id: t.id,
  name: t.name,
  member_count: await ctx.loaders.org.teamMemberCount.load(t.id),
  created_at: t.createdAt.toISOString(),
});

const tag = 'Organizations';

export const organizationsRoutes = (s: Pick<ServiceMap, 'organizations'>): RestRoute[] => [
  defineListRoute({
    method: 'GET',
    path: '/api/organizations',
    operationId: 'listOrganizations',
    summary: "The caller's organizations",
    tag,
    auth: 'organizations:read',
    query: pageSchema,
    handler: (ctx, { query }) => s.organizations.listMine(ctx, query),
    response: { status: 200, description: 'OrganizationResponse[]', schema: organizationSchema, serialize: toOrganization },
  }),
  defineRoute({
    method: 'POST',
    path: '/api/organizations',
    operationId: 'createOrganization',
    summary: 'Create an organization; the caller becomes its owner',
    description: "slug is derived from name when absent. Through an API key holding organizations:write, the key's creator becomes the owner.",
    tag,
    auth: 'organizations:write',
    body: { schema: createOrganizationSchema, required: true },
    handler: (ctx, { body }) => s.organizations.create(ctx, body),
    response: { status: 201, description: 'OrganizationResponse', schema: organizationSchema, serialize: toOrganization },
    errors: ['conflict'],
  }),
  defineRoute({
    method: 'GET',
    path: '/api/organizations/{org_id}',
    operationId: 'getOrganization',
    summary: 'One organization',
    tag,
    auth: 'organizations:read',
    handler: (ctx, { params }) => s.organizations.get(ctx, params.org_id!),
    response: { status: 200, description: 'OrganizationResponse', schema: organizationSchema, serialize: toOrganization },
    errors: ['not_found'],
  }),
  defineRoute({
    method: 'PATCH',
    path: '/api/organizations/{org_id}',
    operationId: 'updateOrganization',
    summary: 'Change name, slug or description (admins and owners)',
    tag,
    auth: 'organizations:write',
    body: { schema: updateOrganizationSchema, required: true },
    handler: (ctx, { params, body }) => s.organizations.update(ctx, params.org_id!, body),
    response: { status: 200, description: 'OrganizationResponse', schema: organizationSchema, serialize: toOrganization },
    errors: ['not_found', 'forbidden', 'conflict'],
  }),
  defineRoute({
    method: 'DELETE',
    path: '/api/organizations/{org_id}',
    operationId: 'deleteOrganization',
    summary: 'Delete an organization with its members, teams and API keys (owners)',
    tag,
    auth: 'organizations:write',
    handler: (ctx, { params }) => s.organizations.delete(ctx, params.org_id!),
    response: { status: 204, description: 'Deleted' },
    errors: ['not_found', 'forbidden'],
  }),
  defineListRoute({
    method: 'GET',
    path: '/api/organizations/{org_id}/members',
    operationId: 'listMembers',
    summary: 'Members, oldest first',
    tag,
    auth: 'organizations:read',
    query: pageSchema.extend({ teamId: z.string().optional() }),
    handler: (ctx, { params, query }) => s.organizations.listMembers(ctx, params.org_id!, query),
    response: { status: 200, description: 'MemberResponse[]', schema: memberSchema, serialize: toMember },
    errors: ['not_found'],
  }),
  defineRoute({
    method: 'POST',
    path: '/api/organizations/{org_id}/members',
    operationId: 'addMember',
    summary: 'Add a user by email or id (admins and owners; owners add owners)',
    tag,
    auth: 'organizations:write',
    body: { schema: addMemberSchema, required: true },
    handler: (ctx, { params, body }) => s.organizations.addMember(ctx, params.org_id!, body),
    response: { status: 201, description: 'MemberResponse', schema: memberSchema, serialize: toMember },
    errors: ['not_found', 'forbidden', 'conflict'],
  }),
  defineRoute({
    method: 'PATCH',
    path: '/api/organizations/{org_id}/members/{target_user_id}',
    operationId: 'updateMember',
    summary: "Change a member's role or team",
    description: 'Admins and owners; only an owner makes or unmakes owners; the last owner cannot be demoted. team_id null takes the member out of their team.',
    tag,
    auth: 'organizations:write',
    body: { schema: updateMemberSchema, required: true },
    handler: async (ctx, { params, body }) => (await s.organizations.updateMember(ctx, params.org_id!, params.target_user_id!, body)).member,
    response: { status: 200, description: 'MemberResponse', schema: memberSchema, serialize: toMember },
    errors: ['not_found', 'forbidden', 'conflict'],
  }),
  defineRoute({
    method: 'PUT',
    path: '/api/organizations/{org_id}/members/{target_user_id}',
    operationId: 'replaceMember',
    summary: 'Set a member: role, team and organization at once',
    description:
      'The comprehensive update: role is required; team_id absent or null takes them out of any team. organization_id naming another organization moves them there: you need admin rights in both, they leave this one (their API keys for it are revoked) and join that one with the role and team given (a team of the destination). Only an owner makes, unmakes or moves an owner; the last owner stays.',
    tag,
    auth: 'organizations:write',
    body: { schema: replaceMemberSchema, required: true },
    handler: async (ctx, { params, body }) => (await s.organizations.replaceMember(ctx, params.org_id!, params.target_user_id!, body)).member,
    response: { status: 200, description: 'MemberResponse', schema: memberSchema, serialize: toMember },
    errors: ['not_found', 'forbidden', 'conflict'],
  }),
  defineRoute({
    method: 'DELETE',
    path: '/api/organizations/{org_id}/members/{target_user_id}',
    operationId: 'removeMember',
    summary: 'Remove a member, or leave (target_user_id = yourself)',
    description: "Admins and owners remove others; only an owner removes an owner; the last owner cannot leave. The member's API keys for the organization are revoked.",
    tag,
    auth: 'organizations:write',
    handler: async (ctx, { params }) => {
      await s.organizations.removeMember(ctx, params.org_id!, params.target_user_id!);
    },
    response: { status: 204, description: 'Removed' },
    errors: ['not_found', 'forbidden', 'conflict'],
  }),
  defineListRoute({
    method: 'GET',
    path: '/api/organizations/{org_id}/teams',
    operationId: 'listTeams',
    summary: 'Teams, by name',
    tag,
    auth: 'organizations:read',
    query: pageSchema,
    handler: async (ctx, { params, query }) => pageOf(await s.organizations.listTeams(ctx, params.org_id!), query),
    response: { status: 200, description: 'TeamResponse[]', schema: teamResponseSchema, serialize: toTeam },
    errors: ['not_found'],
  }),
  defineRoute({
    method: 'POST',
    path: '/api/organizations/{org_id}/teams',
    operationId: 'createTeam',
    summary: 'Create a team (admins and owners)',
    tag,
    auth: 'organizations:write',
    body: { schema: teamSchema, required: true },
    handler: (ctx, { params, body }) => s.organizations.createTeam(ctx, params.org_id!, body),
    response: { status: 201, description: 'TeamResponse', schema: teamResponseSchema, serialize: toTeam },
    errors: ['not_found', 'forbidden', 'conflict'],
  }),
  defineRoute({
    method: 'PATCH',
    path: '/api/organizations/{org_id}/teams/{team_id}',
    operationId: 'renameTeam',
    summary: 'Rename a team (admins and owners)',
    tag,
    auth: 'organizations:write',
    body: { schema: teamSchema, required: true },
    handler: (ctx, { params, body }) => s.organizations.renameTeam(ctx, params.org_id!, params.team_id!, body),
    response: { status: 200, description: 'TeamResponse', schema: teamResponseSchema, serialize: toTeam },
    errors: ['not_found', 'forbidden', 'conflict'],
  }),
  defineRoute({
    method: 'DELETE',
    path: '/api/organizations/{org_id}/teams/{team_id}',
    operationId: 'deleteTeam',
    summary: 'Delete a team; its members stay, without a team (admins and owners)',
    tag,
    auth: 'organizations:write',
    handler: (ctx, { params }) => s.organizations.deleteTeam(ctx, params.org_id!, params.team_id!),
    response: { status: 204, description: 'Deleted' },
    errors: ['not_found', 'forbidden'],
  }),
  defineListRoute({
    method: 'GET',
    path: '/api/organizations/{org_id}/teams/{team_id}/members',
    operationId: 'listTeamMembers',
    summary: 'Members of one team',
    tag,
    auth: 'organizations:read',
    query: pageSchema,
    handler: (ctx, { params, query }) => s.organizations.listMembers(ctx, params.org_id!, { ...query, teamId: params.team_id! }),
    response: { status: 200, description: 'MemberResponse[]', schema: memberSchema, serialize: toMember },
    errors: ['not_found'],
  }),
];
