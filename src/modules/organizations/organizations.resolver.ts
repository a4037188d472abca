import { wrap } from '@mikro-orm/core';
import { Arg, Args, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { queryRoot } from '../../graphql/query-root.js';
import { requireMembership } from '../../common/access.js';
import { forkContext, type RequestContext } from '../../common/context.js';
import { forgetReads } from '../../common/loaders.js';
import type { OrganizationEvent } from '../../common/pubsub.js';
import { describeRequirement as need } from '../../common/scopes.js';
import { AppError } from '../../common/errors.js';
import { nullWhenNotFound } from '../../graphql/errors.js';
import { ConnectionArgs, type ConnectionPage } from '../../graphql/relay.js';
import { lifecycle } from '../../graphql/subscription-stream.js';
import { User } from '../users/index.js';
import { Membership, OrganizationRole, type OrgRole } from './organizations.entities.js';
import { Organization } from './organizations.entities.js';
import { membershipKey } from './organizations.loaders.js';
import { organizationRef, teamRef, userRef } from './organizations.refs.js';
import { visibleRef } from '../../graphql/node.resolver.js';
import {
  AddMemberInput,
  AddMemberPayload,
  CreateOrganizationInput,
  CreateOrganizationPayload,
  CreateTeamInput,
  CreateTeamPayload,
  DeleteOrganizationInput,
  DeleteOrganizationPayload,
  DeleteTeamInput,
  DeleteTeamPayload,
  MemberConnection,
  OrganizationConnection,
  OrganizationEventView,
  RemoveMemberInput,
  RemoveMemberPayload,
  SetMemberInput,
  SetMemberPayload,
  RenameTeamInput,
  RenameTeamPayload,
  TeamConnection,
  UpdateMemberInput,
  UpdateMemberPayload,
  UpdateOrganizationInput,
  UpdateOrganizationPayload,
} from './organizations.types.js';
import { Team } from './organizations.entities.js';
import type { ServiceMap } from '../manifest.js';
import { resolverOf } from '../../graphql/container.js';

const READ = need('organizations:read');
const WRITE = need('organizations:write');

/** The caller, as the `viewer` of a payload: a user signed in with a bearer token (an API key has none). */
const viewer = (ctx: RequestContext, users: ServiceMap['users']): Promise<User> | null => (ctx.principal?.kind === 'user' ? users.me(ctx) : null);

/** A team by id after a mutation, or null (gone). */
const teamOrNull = async (ctx: RequestContext, id: string | null): Promise<Team | null> => (id ? ctx.loaders.org.team.load(id) : null);

@Resolver(() => Organization)
export class OrganizationsResolver {
  constructor(
    readonly events: ServiceMap['events'],
    readonly organizationsService: ServiceMap['organizations'],
    readonly users: ServiceMap['users'],
  ) {}

  @Query(() => OrganizationConnection, { description: `The caller's organizations, by name (an API key: its own organization). The same list as \`me.organizations\`. ${READ}` })
  organizations(@Args(() => ConnectionArgs) args: ConnectionArgs, @Ctx() ctx: RequestContext): Promise<ConnectionPage<Organization>> {
    return this.organizationsService.organizationsConnection(ctx, args);
  }

  @Query(() => Organization, {
    nullable: true,
    description: `One organization the caller belongs to; null when unknown or not yours (an API key: any but its own). ${READ}`,
  })
  organization(@Arg('id', () => ID, { description: 'The organization id.' }) id: string, @Ctx() ctx: RequestContext): Promise<Organization | null> {
    return nullWhenNotFound(this.organizationsService.get(ctx, id));
  }

  @Query(() => Team, {
    nullable: true,
    description: `One team of an organization the caller belongs to; null when unknown or not yours. ${READ}`,
  })
  team(@Arg('id', () => ID, { description: 'The team id.' }) id: string, @Ctx() ctx: RequestContext): Promise<Team | null> {
    return nullWhenNotFound(this.organizationsService.getTeam(ctx, id));
  }

  @Mutation(() => CreateOrganizationPayload, { description: `Creates an organization; the caller (through an API key, the key's creator) becomes its owner. ${need('organizations:write')}` })
  async createOrganization(@Arg('input', () => CreateOrganizationInput, { description: 'The organization.' }) input: CreateOrganizationInput, @Ctx() ctx: RequestContext): Promise<CreateOrganizationPayload> {
    const organization = await this.organizationsService.create(ctx, input);
    forgetReads(ctx.em, ctx.loaders);
    return { organization, viewer: await viewer(ctx, this.users), query: queryRoot() };
  }

  @Mutation(() => UpdateOrganizationPayload, { description: `Changes the name, slug or description. Admins and owners. ${WRITE}` })
  async updateOrganization(@Arg('input', () => UpdateOrganizationInput, { description: 'The organization and its changes.' }) input: UpdateOrganizationInput, @Ctx() ctx: RequestContext): Promise<UpdateOrganizationPayload> {
    const organization = await this.organizationsService.update(ctx, input.id, input);
    return { organization, viewer: await viewer(ctx, this.users) };
  }

  @Mutation(() => DeleteOrganizationPayload, { description: `Deletes the organization with its members, teams and API keys. Owners. ${WRITE}` })
  async deleteOrganization(@Arg('input', () => DeleteOrganizationInput, { description: 'The organization.' }) input: DeleteOrganizationInput, @Ctx() ctx: RequestContext): Promise<DeleteOrganizationPayload> {
    await this.organizationsService.delete(ctx, input.id);
    forgetReads(ctx.em, ctx.loaders);
    return { deletedId: input.id, viewer: await viewer(ctx, this.users), query: queryRoot() };
  }

  @Mutation(() => AddMemberPayload, { description: `Adds a user by email or id. Admins and owners; owners add owners. ${WRITE}` })
  async addMember(@Arg('input', () => AddMemberInput, { description: 'The organization, the user and their role.' }) input: AddMemberInput, @Ctx() ctx: RequestContext): Promise<AddMemberPayload> {
    const member = await this.organizationsService.addMember(ctx, input.organizationId, input);
    forgetReads(ctx.em, ctx.loaders);
    return { member, organization: await this.organizationsService.afterWrite(ctx, input.organizationId), team: await teamOrNull(ctx, member.team?.id ?? null) };
  }

  @Mutation(() => UpdateMemberPayload, { description: `Changes a member's role or team. Admins and owners; only owners make or unmake owners; the last owner stays. ${WRITE}` })
  async updateMember(@Arg('input', () => UpdateMemberInput, { description: 'The member and the changes.' }) input: UpdateMemberInput, @Ctx() ctx: RequestContext): Promise<UpdateMemberPayload> {
    const { member, previousTeamId } = await this.organizationsService.updateMember(ctx, input.organizationId, input.userId, input);
    forgetReads(ctx.em, ctx.loaders);
    const teamId = member.team?.id ?? null;
    const teams = teamId === previousTeamId ? [] : (await Promise.all([teamOrNull(ctx, previousTeamId), teamOrNull(ctx, teamId)])).filter((t): t is Team => t !== null);
    return { member, organization: await this.organizationsService.afterWrite(ctx, input.organizationId), teams };
  }

  @Mutation(() => SetMemberPayload, {
    description: `Sets a member as they should be: role and team at once, and with \`toOrganizationId\` a move to another organization (admin rights in both). ${WRITE}`,
  })
  async setMember(@Arg('input', () => SetMemberInput, { description: 'The member, their role and team, and where they move.' }) input: SetMemberInput, @Ctx() ctx: RequestContext): Promise<SetMemberPayload> {
    const { member, previousTeamId, moved } = await this.organizationsService.replaceMember(ctx, input.organizationId, input.userId, {
      role: input.role,
      teamId: input.teamId ?? null,
      organizationId: input.toOrganizationId ?? null,
    });
    forgetReads(ctx.em, ctx.loaders);
    const teamId = member.team?.id ?? null;
    const teams = teamId === previousTeamId ? [] : (await Promise.all([teamOrNull(ctx, previousTeamId), teamOrNull(ctx, teamId)])).filter((t): t is Team => t !== null);
    return {
      member,
      organization: await this.organizationsService.afterWrite(ctx, member.organization.id),
      previousOrganization: moved ? await this.organizationsService.afterWrite(ctx, moved.from) : null,
      deletedMemberId: moved?.membershipId ?? null,
      teams,
    };
  }

  @Mutation(() => RemoveMemberPayload, { description: `Removes a member; with your own user id, leaves. Admins and owners remove others; the last owner cannot leave. ${WRITE}` })
  async removeMember(@Arg('input', () => RemoveMemberInput, { description: 'The organization and the user.' }) input: RemoveMemberInput, @Ctx() ctx: RequestContext): Promise<RemoveMemberPayload> {
    const removed = await this.organizationsService.removeMember(ctx, input.organizationId, input.userId);
    forgetReads(ctx.em, ctx.loaders);
    const left = input.userId === ctx.principal?.userId;
    return {
      deletedId: removed.membershipId,
      removedUserId: input.userId,
      organization: left ? null : await this.organizationsService.afterWrite(ctx, input.organizationId),
      team: left ? null : await teamOrNull(ctx, removed.teamId),
      viewer: await viewer(ctx, this.users),
    };
  }

  @Mutation(() => CreateTeamPayload, { description: `Creates a team. Admins and owners. ${WRITE}` })
  async createTeam(@Arg('input', () => CreateTeamInput, { description: 'The organization and the name.' }) input: CreateTeamInput, @Ctx() ctx: RequestContext): Promise<CreateTeamPayload> {
    const team = await this.organizationsService.createTeam(ctx, input.organizationId, input);
    forgetReads(ctx.em, ctx.loaders);
    return { team, organization: await this.organizationsService.afterWrite(ctx, input.organizationId) };
  }

  @Mutation(() => RenameTeamPayload, { description: `Renames a team. Admins and owners. ${WRITE}` })
  async renameTeam(@Arg('input', () => RenameTeamInput, { description: 'The team and its new name.' }) input: RenameTeamInput, @Ctx() ctx: RequestContext): Promise<RenameTeamPayload> {
    const team = await this.organizationsService.renameTeam(ctx, input.organizationId, input.teamId, input);
    return { team, organization: await this.organizationsService.afterWrite(ctx, input.organizationId) };
  }

  @Mutation(() => DeleteTeamPayload, { description: `Deletes a team; its members stay, without a team. Admins and owners. ${WRITE}` })
  async deleteTeam(@Arg('input', () => DeleteTeamInput, { description: 'The organization and the team.' }) input: DeleteTeamInput, @Ctx() ctx: RequestContext): Promise<DeleteTeamPayload> {
    await this.organizationsService.deleteTeam(ctx, input.organizationId, input.teamId);
    forgetReads(ctx.em, ctx.loaders);
    return { deletedId: input.teamId, organization: await this.organizationsService.afterWrite(ctx, input.organizationId) };
  }

  @Subscription(() => OrganizationEventView, {
    description:
      'Changes in one organization, as they happen: one event per change, whichever door made it. ' +
      'Starts once the subscription is acknowledged (earlier changes are not replayed: read the organization again after reconnecting). ' +
      'Completes after ORGANIZATION_DELETED. A caller who stops being a member (removed, or left) gets one not_found error, then completion; ' +
      'an unknown organization, or one you are not in, answers one not_found error. ' +
      `${READ}`,
    subscribe: async ({ args, context, info }) => {
      const ctx = context as RequestContext;
      const organizationId = String((args as { organizationId: unknown }).organizationId);
      // Listening first, then the check: a removal or deletion in between is not missed.
      const events = resolverOf(info, OrganizationsResolver).events.subscribe('ORGANIZATION_EVENT', organizationId);
      try {
        await requireMembership(ctx, organizationId, 'organizations:read');
      } catch (e) {
        await events.return?.();
        throw e;
      }
      const me = ctx.principal!.userId;
      return lifecycle<OrganizationEvent, OrganizationEvent>(events, async (e) => {
        if (e.type === 'organization_deleted') return { last: e };
        if (e.type === 'member_removed' && e.userId === me) return { refuse: AppError.notFound('Organization') };
        // Membership is checked again per event (a role or key lost another way); a refusal ends the subscription.
        await requireMembership(forkContext(ctx), organizationId, 'organizations:read');
        return { send: e };
      });
    },
  })
  organizationEvents(
    @Root() event: OrganizationEvent,
    @Arg('organizationId', () => ID, { description: 'The organization to watch.' }) _organizationId: string,
  ): OrganizationEvent {
    return event;
  }

  @FieldResolver(() => OrganizationRole.graphql, { description: "The caller's role in this organization." })
  async viewerRole(@Root() org: Organization, @Ctx() ctx: RequestContext): Promise<OrgRole> {
    const m = await ctx.loaders.org.membership.load(membershipKey(org.id, ctx.principal!.userId));
    return m!.role;
  }

  @FieldResolver(() => Int, { description: 'How many members it has.' })
  memberCount(@Root() org: Organization, @Ctx() ctx: RequestContext): Promise<number> {
    return ctx.loaders.org.memberCount.load(org.id);
  }

  @FieldResolver(() => MemberConnection, { description: `Its members, oldest member first. ${READ}` })
  members(@Root() org: Organization, @Args(() => ConnectionArgs) args: ConnectionArgs, @Ctx() ctx: RequestContext): Promise<ConnectionPage<Membership>> {
    return this.organizationsService.membersConnection(ctx, org.id, args);
  }

  @FieldResolver(() => TeamConnection, { description: `Its teams, by name. ${READ}` })
  teams(@Root() org: Organization, @Args(() => ConnectionArgs) args: ConnectionArgs, @Ctx() ctx: RequestContext): Promise<ConnectionPage<Team>> {
    return this.organizationsService.teamsConnection(ctx, org.id, args);
  }
}

@Resolver(() => Membership)
export class MemberResolver {
  constructor(
    readonly organizationsService: ServiceMap['organizations'],
  ) {}

  @FieldResolver(() => User, { description: 'The member.' })
  async user(@Root() m: Membership, @Ctx() ctx: RequestContext): Promise<User> {
    // Member pages load their users along (one statement); others go through the loader.
    if (wrap(m.user).isInitialized()) return m.user;
    return (await ctx.loaders.userById.load(m.user.id))!;
  }

  @FieldResolver(() => Team, { nullable: true, description: 'Their team in the organization, or null.' })
  team(@Root() m: Membership, @Ctx() ctx: RequestContext): Promise<Team | null> | Team | null {
    if (!m.team) return null;
    return wrap(m.team).isInitialized() ? m.team : ctx.loaders.org.team.load(m.team.id);
  }

  @FieldResolver(() => Organization, { description: 'The organization.' })
  async organization(@Root() m: Membership, @Ctx() ctx: RequestContext): Promise<Organization> {
    if (wrap(m.organization).isInitialized()) return m.organization;
    return this.organizationsService.get(ctx, m.organization.id);
  }
}

/**
 * The objects an organization event names, read when the event is sent by the rules of
 * `node(id:)`, so a normalized cache updates them from the event instead of refetching.
 */
@Resolver(() => OrganizationEventView)
export class OrganizationEventResolver {
  constructor(readonly organizationsService: ServiceMap['organizations']) {}

  @FieldResolver(() => Organization, {
    nullable: true,
    description: 'The organization as `organization(id:)` answers it at this event (its new name, `memberCount`, teams…); null after ORGANIZATION_DELETED.',
  })
  organization(@Root() e: OrganizationEvent, @Ctx() ctx: RequestContext): Promise<Organization | null> {
    return organizationRef(this.organizationsService, ctx, e.organizationId);
  }

  @FieldResolver(() => Team, { nullable: true, description: 'For team events: the team as `team(id:)` answers it at this event; null after TEAM_DELETED, and for other events.' })
  team(@Root() e: OrganizationEvent, @Ctx() ctx: RequestContext): Promise<Team | null> | null {
    return teamRef(this.organizationsService, ctx, e.teamId);
  }

  @FieldResolver(() => Membership, {
    nullable: true,
    description: 'For member events: their membership as it is at this event (role, team); null after MEMBER_REMOVED, and for other events.',
  })
  async member(@Root() e: OrganizationEvent, @Ctx() ctx: RequestContext): Promise<Membership | null> {
    if (!e.userId) return null;
    const m = await ctx.loaders.org.membership.load(membershipKey(e.organizationId, e.userId));
    return m ? visibleRef(ctx, 'Member', (c, ids) => this.organizationsService.visibleMembers(c, ids), m.id) : null;
  }

  @FieldResolver(() => ID, {
    nullable: true,
    description: "For member events: the membership's id (`Member.id`), after MEMBER_REMOVED too, so a normalized cache can evict the membership that is gone; null for other events.",
  })
  memberId(@Root() e: OrganizationEvent): string | null {
    return e.memberId ?? null;
  }

  @FieldResolver(() => User, { nullable: true, description: 'Who made the change, as `node(id:)` answers them; null when you may not read them (they left).' })
  actor(@Root() e: OrganizationEvent, @Ctx() ctx: RequestContext): Promise<User | null> | null {
    return userRef(this.organizationsService, ctx, e.actorId || null);
  }
}

@Resolver(() => Team)
export class TeamResolver {
  constructor(
    readonly organizationsService: ServiceMap['organizations'],
  ) {}

  @FieldResolver(() => Int, { description: 'How many members are in this team.' })
  memberCount(@Root() t: Team, @Ctx() ctx: RequestContext): Promise<number> {
    return ctx.loaders.org.teamMemberCount.load(t.id);
  }

  @FieldResolver(() => MemberConnection, { description: `The members of this team, oldest member first. ${READ}` })
  members(@Root() t: Team, @Args(() => ConnectionArgs) args: ConnectionArgs, @Ctx() ctx: RequestContext): Promise<ConnectionPage<Membership>> {
    return this.organizationsService.membersConnection(ctx, t.organization.id, args, t.id);
  }

  @FieldResolver(() => Organization, { description: 'The organization the team belongs to.' })
  async organization(@Root() t: Team, @Ctx() ctx: RequestContext): Promise<Organization> {
    if (wrap(t.organization).isInitialized()) return t.organization;
    return this.organizationsService.get(ctx, t.organization.id);
  }
}

/** `User.organizations`: the organizations module adds the field to the users module's type. */
@Resolver(() => User)
export class UserOrganizationsResolver {
  constructor(readonly organizationsService: ServiceMap['organizations']) {}

  @FieldResolver(() => OrganizationConnection, {
    nullable: true,
    description:
      "The organizations this user belongs to, by name: on the caller's own User only (the same list as `Query.organizations`; an API key: its own organization); null on anyone else's. Payloads that change the list return it here, under `viewer`. API keys need the scope `organizations:read`.",
  })
  organizations(@Root() user: User, @Args(() => ConnectionArgs) args: ConnectionArgs, @Ctx() ctx: RequestContext): Promise<ConnectionPage<Organization>> | null {
    if (ctx.principal?.userId !== user.id) return null;
    return this.organizationsService.organizationsConnection(ctx, args);
  }}
