import { GraphQLDateTime } from 'graphql-scalars';
import { wrap } from '@mikro-orm/core';
import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Ctx, Field, FieldResolver, ID, Info, Int, Mutation, ObjectType, Query, Resolver, Root, Subscription } from 'type-graphql';
import { selects } from '../../graphql/selection.js';
import { requireMembership } from '../../common/access.js';
import { forkContext, type RequestContext } from '../../common/context.js';
import type { OrganizationEvent } from '../../common/pubsub.js';
import { describeRequirement as need } from '../../common/scopes.js';
import { User } from '../users/user.entity.js';
import { Membership, OrgRole } from './membership.entity.js';
import { Organization } from './organization.entity.js';
import { membershipKey } from './organizations.loaders.js';
import {
  AddMemberInput,
  CreateOrganizationInput,
  MemberPage,
  OrganizationPage,
  UpdateMemberInput,
  UpdateOrganizationInput,
} from './organizations.types.js';
import { Team } from './team.entity.js';

const READ = need('organizations:read');
const WRITE = need('organizations:write');

@ObjectType('OrganizationEvent', { description: 'Something changed in an organization.' })
class OrganizationEventPayload implements OrganizationEvent {
  @Field(() => ID)
  organizationId!: string;

  @Field(() => String, { description: 'organization_updated, organization_deleted, member_added, member_updated, member_removed, team_created, team_updated, team_deleted' })
  type!: OrganizationEvent['type'];

  @Field(() => ID, { nullable: true, description: 'The member concerned, for member events.' })
  userId!: string | null;

  @Field(() => ID, { nullable: true, description: 'The team concerned, for team events.' })
  teamId!: string | null;

  @Field(() => ID, { description: 'Who made the change.' })
  actorId!: string;

  @Field(() => GraphQLDateTime)
  at!: string;
}

@Resolver(() => Organization)
export class OrganizationsResolver {
  @Query(() => OrganizationPage, { description: `The caller's organizations, by name. ${READ}` })
  organizations(
    @Ctx() ctx: RequestContext,
    @Arg('limit', () => Int, { defaultValue: 20 }) limit: number,
    @Arg('offset', () => Int, { defaultValue: 0 }) offset: number,
    @Info() info: GraphQLResolveInfo,
  ): Promise<OrganizationPage> {
    return ctx.services.organizations.listMine(ctx, { limit, offset }, { total: selects(info, 'total') });
  }

  @Query(() => Organization, { description: `One organization the caller belongs to. ${READ}` })
  organization(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<Organization> {
    return ctx.services.organizations.get(ctx, id);
  }

  @Mutation(() => Organization, { description: `Creates an organization; the caller becomes its owner. ${need('bearer')}` })
  createOrganization(@Arg('input', () => CreateOrganizationInput) input: CreateOrganizationInput, @Ctx() ctx: RequestContext): Promise<Organization> {
    return ctx.services.organizations.create(ctx, input);
  }

  @Mutation(() => Organization, { description: `Admins and owners. ${WRITE}` })
  updateOrganization(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UpdateOrganizationInput) input: UpdateOrganizationInput,
    @Ctx() ctx: RequestContext,
  ): Promise<Organization> {
    return ctx.services.organizations.update(ctx, id, input);
  }

  @Mutation(() => Boolean, { description: `Deletes the organization with its members, teams and API keys. Owners. ${WRITE}` })
  async deleteOrganization(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<boolean> {
    await ctx.services.organizations.delete(ctx, id);
    return true;
  }

  @Mutation(() => Membership, { description: `Adds a user by email or id. Admins and owners; owners add owners. ${WRITE}` })
  addMember(
    @Arg('organizationId', () => ID) organizationId: string,
    @Arg('input', () => AddMemberInput) input: AddMemberInput,
    @Ctx() ctx: RequestContext,
  ): Promise<Membership> {
    return ctx.services.organizations.addMember(ctx, organizationId, input);
  }

  @Mutation(() => Membership, { description: `Changes a member's role or team. Only owners make or unmake owners; the last owner stays. ${WRITE}` })
  updateMember(
    @Arg('organizationId', () => ID) organizationId: string,
    @Arg('userId', () => ID) userId: string,
    @Arg('input', () => UpdateMemberInput) input: UpdateMemberInput,
    @Ctx() ctx: RequestContext,
  ): Promise<Membership> {
    return ctx.services.organizations.updateMember(ctx, organizationId, userId, input);
  }

  @Mutation(() => Boolean, { description: `Removes a member; with your own user id, leaves. The last owner cannot leave. ${WRITE}` })
  async removeMember(@Arg('organizationId', () => ID) organizationId: string, @Arg('userId', () => ID) userId: string, @Ctx() ctx: RequestContext): Promise<boolean> {
    await ctx.services.organizations.removeMember(ctx, organizationId, userId);
    return true;
  }

  @Mutation(() => Team, { description: `Admins and owners. ${WRITE}` })
  createTeam(@Arg('organizationId', () => ID) organizationId: string, @Arg('name', () => String) name: string, @Ctx() ctx: RequestContext): Promise<Team> {
    return ctx.services.organizations.createTeam(ctx, organizationId, { name });
  }

  @Mutation(() => Team, { description: `Admins and owners. ${WRITE}` })
  renameTeam(
    @Arg('organizationId', () => ID) organizationId: string,
    @Arg('teamId', () => ID) teamId: string,
    @Arg('name', () => String) name: string,
    @Ctx() ctx: RequestContext,
  ): Promise<Team> {
    return ctx.services.organizations.renameTeam(ctx, organizationId, teamId, { name });
  }

  @Mutation(() => Boolean, { description: `Deletes a team; its members stay, without a team. Admins and owners. ${WRITE}` })
  async deleteTeam(@Arg('organizationId', () => ID) organizationId: string, @Arg('teamId', () => ID) teamId: string, @Ctx() ctx: RequestContext): Promise<boolean> {
    await ctx.services.organizations.deleteTeam(ctx, organizationId, teamId);
    return true;
  }

  @Subscription(() => OrganizationEventPayload, {
    description: `Changes in one organization, as they happen. ${READ}`,
    subscribe: async ({ args, context }) => {
      const ctx = context as RequestContext;
      const organizationId = String(args.organizationId);
      await requireMembership(ctx, organizationId, 'organizations:read');
      return ctx.services.events.subscribe('ORGANIZATION_EVENT', organizationId);
    },
  })
  async organizationEvents(
    @Root() event: OrganizationEvent,
    @Arg('organizationId', () => ID) organizationId: string,
    @Ctx() ctx: RequestContext,
  ): Promise<OrganizationEvent> {
    // Membership is checked again per event: someone removed stops hearing at once.
    if (event.type !== 'organization_deleted') await requireMembership(forkContext(ctx), organizationId, 'organizations:read');
    return event;
  }

  @FieldResolver(() => OrgRole, { description: "The caller's role here." })
  async viewerRole(@Root() org: Organization, @Ctx() ctx: RequestContext): Promise<OrgRole> {
    const m = await ctx.loaders.org.membership.load(membershipKey(org.id, ctx.principal!.userId));
    return m!.role;
  }

  @FieldResolver(() => Int)
  memberCount(@Root() org: Organization, @Ctx() ctx: RequestContext): Promise<number> {
    return ctx.loaders.org.memberCount.load(org.id);
  }

  @FieldResolver(() => MemberPage, { description: 'Members, oldest first.' })
  members(
    @Root() org: Organization,
    @Ctx() ctx: RequestContext,
    @Arg('limit', () => Int, { defaultValue: 20 }) limit: number,
    @Arg('offset', () => Int, { defaultValue: 0 }) offset: number,
    @Info() info: GraphQLResolveInfo,
  ): Promise<MemberPage> {
    return ctx.services.organizations.listMembers(ctx, org.id, { limit, offset }, { total: selects(info, 'total') });
  }

  @FieldResolver(() => [Team], { description: 'Teams, by name.' })
  teams(@Root() org: Organization, @Ctx() ctx: RequestContext): Promise<Team[]> {
    return ctx.services.organizations.listTeams(ctx, org.id);
  }
}

@Resolver(() => Membership)
export class MemberResolver {
  @FieldResolver(() => User)
  async user(@Root() m: Membership, @Ctx() ctx: RequestContext): Promise<User> {
    // Member pages load their users along (one statement); others go through the loader.
    if (wrap(m.user).isInitialized()) return m.user;
    return (await ctx.loaders.userById.load(m.user.id))!;
  }

  @FieldResolver(() => Team, { nullable: true })
  team(@Root() m: Membership, @Ctx() ctx: RequestContext): Promise<Team | null> | Team | null {
    if (!m.team) return null;
    return wrap(m.team).isInitialized() ? m.team : ctx.loaders.org.team.load(m.team.id);
  }
}

@Resolver(() => Team)
export class TeamResolver {
  @FieldResolver(() => Int)
  memberCount(@Root() t: Team, @Ctx() ctx: RequestContext): Promise<number> {
    return ctx.loaders.org.teamMemberCount.load(t.id);
  }

  @FieldResolver(() => MemberPage, { description: 'Members of this team, oldest first.' })
  members(
    @Root() t: Team,
    @Ctx() ctx: RequestContext,
    @Arg('limit', () => Int, { defaultValue: 20 }) limit: number,
    @Arg('offset', () => Int, { defaultValue: 0 }) offset: number,
    @Info() info: GraphQLResolveInfo,
  ): Promise<MemberPage> {
    return ctx.services.organizations.listMembers(ctx, t.organization.id, { limit, offset, teamId: t.id }, { total: selects(info, 'total') });
  }
}
