import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { QUERY_ROOT_DESCRIPTION, QueryRoot } from '../../graphql/query-root.js';
import { z } from 'zod';
import type { OrganizationEvent } from '../../common/pubsub.js';
import { fields, str } from '../../common/validation.js';
import { defineEnum, type ValueOf } from '../../graphql/enums.js';
import { ValidatedBy } from '../../graphql/inputs.js';
import { connectionType } from '../../graphql/relay.js';
import { User } from '../users/index.js';
import { Membership, OrganizationRole, type OrgRole } from './organizations.entities.js';
import { Organization } from './organizations.entities.js';
import { Team } from './organizations.entities.js';

export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const slug = str().trim().toLowerCase().regex(SLUG_PATTERN, 'must be 1-64 lower-case letters, digits or hyphens, not starting or ending with a hyphen');
const name = fields.text(100).pipe(z.string().min(1, 'must not be empty'));
const description = fields.text(1000).nullish();
/** An id sent in a body: checked as an id (validation_error), as REST checks `team_id`. */
const uuid = str().uuid('must be an id');
/**
 * An id REST takes in the path: any string, so that an unknown or malformed one is the
 * service's not_found, as REST answers it (the doors agree).
 */
const pathId = str();
const role = OrganizationRole.schema;

/** What happened in an organization (`organizationEvents`). */
export const OrganizationEventType = defineEnum('OrganizationEventType', 'What changed in an organization.', {
  organization_updated: 'Its name, slug or description changed.',
  organization_deleted: 'It was deleted; no more events follow.',
  member_added: 'A member joined (`userId`).',
  member_updated: "A member's role or team changed (`userId`).",
  member_removed: 'A member was removed or left (`userId`).',
  team_created: 'A team was created (`teamId`).',
  team_updated: 'A team was renamed (`teamId`).',
  team_deleted: 'A team was deleted (`teamId`); its members stay, without a team.',
} satisfies Record<OrganizationEvent['type'], string>);
export type OrganizationEventTypeValue = ValueOf<typeof OrganizationEventType>;

export const createOrganizationSchema = z.object({ name, slug: slug.nullish(), description }).meta({ id: 'OrganizationCreateRequest', description: 'A new organization: the caller becomes its owner.', examples: [{ name: 'Acme Learning', slug: 'acme-learning', description: 'Language training for Acme staff' }] });
export type CreateOrganizationData = z.input<typeof createOrganizationSchema>;

/** Absent or null: unchanged (a description of null clears it). */
const updateOrganizationFields = { name: name.nullish(), slug: slug.nullish(), description };
export const updateOrganizationSchema = z.object(updateOrganizationFields).meta({ id: 'OrganizationUpdateRequest' });
export type UpdateOrganizationData = z.input<typeof updateOrganizationSchema>;
const updateOrganizationInputSchema = z.object({ id: pathId, ...updateOrganizationFields });

const addMemberFields = {
  email: fields.email.nullish(),
  userId: uuid.nullish(),
  /** Absent or null: member. */
  role: role.nullish(),
  teamId: uuid.nullish(),
};
const oneOfEmailOrUser = (v: { email?: string | null; userId?: string | null }, ctx: z.RefinementCtx) => {
  if (!v.email === !v.userId) ctx.addIssue({ code: 'custom', path: ['email'], message: 'give exactly one of email or user_id' });
};
export const addMemberSchema = z.object(addMemberFields).superRefine(oneOfEmailOrUser).meta({ id: 'MemberAddRequest' });
export type AddMemberData = z.input<typeof addMemberSchema>;
const addMemberInputSchema = z.object({ organizationId: pathId, ...addMemberFields }).superRefine(oneOfEmailOrUser);

/** `role` absent or null: unchanged; `teamId` null: out of their team. */
const updateMemberFields = { role: role.nullish(), teamId: uuid.nullish() };
export const updateMemberSchema = z.object(updateMemberFields).meta({ id: 'MemberUpdateRequest' });
export type UpdateMemberData = z.input<typeof updateMemberSchema>;
const updateMemberInputSchema = z.object({ organizationId: pathId, userId: pathId, ...updateMemberFields });

/**
 * PUT: the comprehensive update, the member as they should be. `role` is required; `teamId`
 * absent or null: no team; `organizationId` another organization: they move there.
 */
const replaceMemberFields = { role, teamId: uuid.nullish(), organizationId: uuid.nullish() };
export const replaceMemberSchema = z.object(replaceMemberFields).meta({ id: 'MemberReplaceRequest' });
export type ReplaceMemberData = z.input<typeof replaceMemberSchema>;
const setMemberInputSchema = z.object({ organizationId: pathId, userId: pathId, role, teamId: uuid.nullish(), toOrganizationId: uuid.nullish() });

export const teamSchema = z.object({ name }).meta({ id: 'TeamRequest' });
export type TeamData = z.input<typeof teamSchema>;

const byIdSchema = z.object({ id: pathId });
const removeMemberInputSchema = z.object({ organizationId: pathId, userId: pathId });
const createTeamInputSchema = z.object({ organizationId: pathId, name });
const renameTeamInputSchema = z.object({ organizationId: pathId, teamId: pathId, name });
const deleteTeamInputSchema = z.object({ organizationId: pathId, teamId: pathId });

/* ------------------------------------------------------------------------------------------ */
/* Inputs.                                                                                      */

@ValidatedBy(createOrganizationSchema)
@InputType({ description: 'A new organization; the caller becomes its owner.' })
export class CreateOrganizationInput {
  @Field(() => String, { description: 'The display name, 1 to 100 characters.' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'Lower-case letters, digits and hyphens, unique; derived from the name when absent.' })
  slug?: string | null;

  @Field(() => String, { nullable: true, description: 'Up to 1000 characters.' })
  description?: string | null;
}

@ValidatedBy(updateOrganizationInputSchema)
@InputType({ description: 'Changes to an organization: absent or null fields stay as they are (a null description clears it).' })
export class UpdateOrganizationInput {
  @Field(() => ID, { description: 'The organization.' })
  id!: string;

  @Field(() => String, { nullable: true, description: 'A new name.' })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'A new slug (unique).' })
  slug?: string | null;

  @Field(() => String, { nullable: true, description: 'A new description; null clears it.' })
  description?: string | null;
}

@ValidatedBy(byIdSchema)
@InputType({ description: 'The organization to delete.' })
export class DeleteOrganizationInput {
  @Field(() => ID, { description: 'The organization.' })
  id!: string;
}

@ValidatedBy(addMemberInputSchema)
@InputType({ description: 'A user to add to an organization, by email or by id (exactly one).' })
export class AddMemberInput {
  @Field(() => ID, { description: 'The organization.' })
  organizationId!: string;

  @Field(() => String, { nullable: true, description: 'The email address of the user to add.' })
  email?: string | null;

  @Field(() => ID, { nullable: true, description: 'The id of the user to add.' })
  userId?: string | null;

  @Field(() => OrganizationRole.graphql, { nullable: true, defaultValue: 'member', description: 'Their role (MEMBER when absent); only an owner adds an owner.' })
  role?: OrgRole | null;

  @Field(() => ID, { nullable: true, description: 'A team of the organization to put them in.' })
  teamId?: string | null;
}

@ValidatedBy(updateMemberInputSchema)
@InputType({ description: "Changes to a member's role or team." })
export class UpdateMemberInput {
  @Field(() => ID, { description: 'The organization.' })
  organizationId!: string;

  @Field(() => ID, { description: 'The user whose membership changes.' })
  userId!: string;

  @Field(() => OrganizationRole.graphql, { nullable: true, description: 'A new role (absent or null: unchanged); only owners make or unmake owners, and the last owner stays.' })
  role?: OrgRole | null;

  @Field(() => ID, { nullable: true, description: 'A team of the organization to move them to; null takes them out of their team; absent: unchanged.' })
  teamId?: string | null;
}

@ValidatedBy(setMemberInputSchema)
@InputType({ description: 'A member as they should be: role, team and organization at once (REST PUT /api/organizations/{org_id}/members/{target_user_id}).' })
export class SetMemberInput {
  @Field(() => ID, { description: 'The organization they are in now.' })
  organizationId!: string;

  @Field(() => ID, { description: 'The user whose membership is set.' })
  userId!: string;

  @Field(() => OrganizationRole.graphql, { description: 'Their role (in the destination, when they move); only owners make, unmake or move owners, and the last owner stays.' })
  role!: OrgRole;

  @Field(() => ID, { nullable: true, description: 'Their team, a team of the (destination) organization; absent or null: no team.' })
  teamId?: string | null;

  @Field(() => ID, { nullable: true, description: 'Another organization to move them to: you need admin rights in both; they leave this one (their API keys for it are revoked). Absent: they stay.' })
  toOrganizationId?: string | null;
}

@ValidatedBy(removeMemberInputSchema)
@InputType({ description: 'A member to remove; your own user id to leave.' })
export class RemoveMemberInput {
  @Field(() => ID, { description: 'The organization.' })
  organizationId!: string;

  @Field(() => ID, { description: 'The user to remove (yourself to leave).' })
  userId!: string;
}

@ValidatedBy(createTeamInputSchema)
@InputType({ description: 'A new team in an organization.' })
export class CreateTeamInput {
  @Field(() => ID, { description: 'The organization.' })
  organizationId!: string;

  @Field(() => String, { description: 'The name, unique in the organization whatever its case.' })
  name!: string;
}

@ValidatedBy(renameTeamInputSchema)
@InputType({ description: 'A new name for a team.' })
export class RenameTeamInput {
  @Field(() => ID, { description: 'The organization.' })
  organizationId!: string;

  @Field(() => ID, { description: 'The team.' })
  teamId!: string;

  @Field(() => String, { description: 'The new name, unique in the organization whatever its case.' })
  name!: string;
}

@ValidatedBy(deleteTeamInputSchema)
@InputType({ description: 'The team to delete; its members stay in the organization, without a team.' })
export class DeleteTeamInput {
  @Field(() => ID, { description: 'The organization.' })
  organizationId!: string;

  @Field(() => ID, { description: 'The team.' })
  teamId!: string;
}

/* ------------------------------------------------------------------------------------------ */
/* Connections and payloads.                                                                    */

export const OrganizationConnection = connectionType<Organization>('Organization', () => Organization, 'by name');
export const MemberConnection = connectionType<Membership>('Member', () => Membership, 'oldest member first');
export const TeamConnection = connectionType<Team>('Team', () => Team, 'by name');

@ObjectType({ description: 'What createOrganization changed.' })
export class CreateOrganizationPayload {
  @Field(() => Organization, { description: 'The new organization; you are its owner.' })
  organization!: Organization;

  @Field(() => User, { nullable: true, description: "You: your `organizations` now include it (null for an API key, which has no `me`: its creator owns the organization)." })
  viewer!: User | null;

  @Field(() => QueryRoot, { description: `${QUERY_ROOT_DESCRIPTION} The root's \`organizations\` now include it.` })
  query!: QueryRoot;
}

@ObjectType({ description: 'What updateOrganization changed.' })
export class UpdateOrganizationPayload {
  @Field(() => Organization, { description: 'The organization as it is now.' })
  organization!: Organization;

  @Field(() => User, {
    nullable: true,
    description: 'You: your `organizations` are ordered by name, so a renamed organization may have moved, and its cursor with it (null for an API key, which has no `me`).',
  })
  viewer!: User | null;
}

@ObjectType({ description: 'What deleteOrganization changed.' })
export class DeleteOrganizationPayload {
  @Field(() => ID, { description: 'The id of the deleted organization (its members, teams and API keys went with it).' })
  deletedId!: string;

  @Field(() => User, { nullable: true, description: 'You: your `organizations` no longer include it (null for an API key, which has no `me`).' })
  viewer!: User | null;

  @Field(() => QueryRoot, { description: `${QUERY_ROOT_DESCRIPTION} The root's \`organizations\` no longer include it.` })
  query!: QueryRoot;
}

@ObjectType({ description: 'What addMember changed.' })
export class AddMemberPayload {
  @Field(() => Membership, { description: 'The new membership.' })
  member!: Membership;

  @Field(() => Organization, { description: 'The organization, with its new `memberCount`.' })
  organization!: Organization;

  @Field(() => Team, { nullable: true, description: 'The team they joined, with its new `memberCount`; null without a team.' })
  team!: Team | null;
}

@ObjectType({ description: 'What updateMember changed.' })
export class UpdateMemberPayload {
  @Field(() => Membership, { description: 'The membership as it is now.' })
  member!: Membership;

  @Field(() => Organization, { description: 'The organization.' })
  organization!: Organization;

  @Field(() => [Team], { description: 'The teams whose members changed (the one left, the one joined), with their new `memberCount`; empty when the team stayed the same.' })
  teams!: Team[];
}

@ObjectType({ description: 'What setMember changed.' })
export class SetMemberPayload {
  @Field(() => Membership, { description: 'The membership as it is now (a new one, in the destination, after a move).' })
  member!: Membership;

  @Field(() => Organization, { description: 'The organization they are in now, with its `memberCount`.' })
  organization!: Organization;

  @Field(() => Organization, { nullable: true, description: 'After a move, the organization they left, with its new `memberCount`; null otherwise.' })
  previousOrganization!: Organization | null;

  @Field(() => ID, { nullable: true, description: 'After a move, the id of the membership that ended (`Member.id`), to drop from caches; null otherwise.' })
  deletedMemberId!: string | null;

  @Field(() => [Team], { description: 'The teams whose members changed (the one left, the one joined), with their new `memberCount`.' })
  teams!: Team[];
}

@ObjectType({ description: 'What removeMember changed.' })
export class RemoveMemberPayload {
  @Field(() => ID, { description: 'The id of the removed membership (`Member.id`).' })
  deletedId!: string;

  @Field(() => ID, { description: 'The user who was removed (or left).' })
  removedUserId!: string;

  @Field(() => Organization, { nullable: true, description: 'The organization, with its new `memberCount`; null when you left it (you can no longer read it).' })
  organization!: Organization | null;

  @Field(() => Team, { nullable: true, description: 'The team they were in, with its new `memberCount`; null if none, or when you left.' })
  team!: Team | null;

  @Field(() => User, { nullable: true, description: 'You: when you left, your `organizations` no longer include it (null for an API key, which has no `me`).' })
  viewer!: User | null;
}

@ObjectType({ description: 'What createTeam changed.' })
export class CreateTeamPayload {
  @Field(() => Team, { description: 'The new team.' })
  team!: Team;

  @Field(() => Organization, { description: 'The organization: its `teams` now include it.' })
  organization!: Organization;
}

@ObjectType({ description: 'What renameTeam changed.' })
export class RenameTeamPayload {
  @Field(() => Team, { description: 'The team as it is now.' })
  team!: Team;

  @Field(() => Organization, { description: 'The organization: its `teams` are ordered by name, so the team may have moved (and its cursor with it).' })
  organization!: Organization;
}

@ObjectType({ description: 'What deleteTeam changed.' })
export class DeleteTeamPayload {
  @Field(() => ID, { description: 'The id of the deleted team.' })
  deletedId!: string;

  @Field(() => Organization, { description: 'The organization: its `teams` no longer include it, and the members who were in it have no team now.' })
  organization!: Organization;
}

/** The payload of `organizationEvents`. */
@ObjectType('OrganizationEvent', { description: 'Something changed in an organization (`organizationEvents`).' })
export class OrganizationEventView implements OrganizationEvent {
  @Field(() => ID, { description: 'The organization.' })
  organizationId!: string;

  @Field(() => OrganizationEventType.graphql, { description: 'What changed.' })
  type!: OrganizationEvent['type'];

  @Field(() => ID, { nullable: true, description: 'The member concerned, for member events.' })
  userId!: string | null;

  /** Resolved by OrganizationEventResolver.memberId: null where the publisher sent none. */
  memberId?: string | null;

  @Field(() => ID, { nullable: true, description: 'The team concerned, for team events.' })
  teamId!: string | null;

  @Field(() => ID, { description: 'Who made the change.' })
  actorId!: string;

  @Field(() => GraphQLDateTime, { description: 'When it happened.' })
  at!: string;
}
