import { GraphQLLocalDate } from 'graphql-scalars';
import { Arg, Args, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import { authorize } from '../../common/access.js';
import type { RequestContext } from '../../common/context.js';
import { describeRequirement as need } from '../../common/scopes.js';
import { nullWhenNotFound } from '../../graphql/errors.js';
import { ConnectionArgs, pageRequest, type ConnectionPage } from '../../graphql/relay.js';
import type { MemberProgress, StatsService } from './stats.service.js';
import { EngagementStatsType, MemberAffiliationType, MemberProgressConnection, MemberProgressSort, MemberProgressType, MemberStatsType, SortOrder, type MemberProgressSortValue, type SortOrderValue } from './stats.types.js';
import { Organization, organizationRef, Team, teamRef, userRef } from '../organizations/index.js';
import { User } from '../users/index.js';
import type { ServiceMap } from '../manifest.js';

const RULES =
  'Over a range of at most 366 UTC days: the start day from 00:00:00Z, the end day up to 00:00:00Z of the day after (exclusive). For admins and owners of the organization: null when the organization (or the team) is unknown or not yours, forbidden for members.';
const READ = need('organizations:read');

/** The arguments that name something: a malformed one names nothing, as an unknown one. */
const ID_ARGS = ['organizationId', 'teamId', 'userId'];

/**
 * The figures, or null when the organization or team is unknown, malformed or not the caller's,
 * as `organization(id)` answers (REST keeps its 404). The caller's own errors (credentials, an
 * API key's scope), forbidden for a member below admin, and invalid dates or `q` stay errors: the
 * service checks the arguments before the credentials, so a null is answered only to a caller
 * whose credentials would have read the figures.
 */
async function orNull<T>(ctx: RequestContext, figures: () => Promise<T>): Promise<T | null> {
  const r = await nullWhenNotFound(figures(), ID_ARGS);
  if (r === null) authorize(ctx, 'organizations:read');
  return r;
}

const start = { nullable: true, description: 'The first day (UTC); default: 6 days before `endDate`.' } as const;
const end = { nullable: true, description: 'The last day (UTC), included; default: today.' } as const;

/** The admin statistics through GraphQL: the same service methods as `/api/v1/admin/stats/...`. */
@Resolver()
export class StatsResolver {
  constructor(readonly stats: StatsService) {}

  @Query(() => EngagementStatsType, { nullable: true, description: `An organization's engagement (one team's with \`teamId\`): active members, learning and live seconds, XP and tasks completed, in total and per day. ${RULES} ${READ}` })
  engagementStats(
    @Ctx() ctx: RequestContext,
    @Arg('organizationId', () => ID, { description: 'The organization.' }) organizationId: string,
    @Arg('teamId', () => ID, { nullable: true, description: 'Only the members of this team of the organization.' }) teamId: string | null,
    @Arg('startDate', () => GraphQLLocalDate, start) startDate: string | null,
    @Arg('endDate', () => GraphQLLocalDate, end) endDate: string | null,
  ): Promise<EngagementStatsType | null> {
    return orNull(ctx, () => this.stats.engagement(ctx, { organizationId, teamId, startDate, endDate }));
  }

  @Query(() => MemberStatsType, {
    nullable: true,
    description: `One member's figures: learning and live seconds, XP, tasks completed, active days, last activity, in total and per day; null for a user who is not a member (of \`teamId\`'s team, when given). ${RULES} ${READ}`,
  })
  async memberStats(
    @Ctx() ctx: RequestContext,
    @Arg('organizationId', () => ID, { description: 'The organization.' }) organizationId: string,
    @Arg('userId', () => ID, { description: "The member's user id." }) userId: string,
    @Arg('teamId', () => ID, { nullable: true, description: 'The member must belong to this team of the organization.' }) teamId: string | null,
    @Arg('startDate', () => GraphQLLocalDate, start) startDate: string | null,
    @Arg('endDate', () => GraphQLLocalDate, end) endDate: string | null,
  ): Promise<MemberStatsType | null> {
    return orNull(ctx, () => this.stats.member(ctx, { organizationId, userId, teamId, startDate, endDate }));
  }

  @Query(() => MemberProgressConnection, {
    nullable: true,
    description: `The organization's members with their XP, tasks completed, learning seconds and last activity over the range, their organizations, teams and roles (in the organizations you belong to), sorted, searched with \`q\`. ${RULES} ${READ}`,
  })
  memberProgress(
    @Ctx() ctx: RequestContext,
    @Arg('organizationId', () => ID, { description: 'The organization.' }) organizationId: string,
    @Arg('startDate', () => GraphQLLocalDate, start) startDate: string | null,
    @Arg('endDate', () => GraphQLLocalDate, end) endDate: string | null,
    @Arg('sort', () => MemberProgressSort.graphql, { defaultValue: 'xp', description: 'What the list is sorted by; ties by user id.' }) sort: MemberProgressSortValue,
    @Arg('order', () => SortOrder.graphql, { defaultValue: 'desc', description: 'The direction.' }) order: SortOrderValue,
    @Arg('q', () => String, { nullable: true, description: 'Only members whose username, full name or email contains this (case-insensitive, at most 100 characters).' }) q: string | null,
    @Args(() => ConnectionArgs) page: ConnectionArgs,
  ): Promise<ConnectionPage<MemberProgress> | null> {
    return orNull(ctx, () => this.stats.progressConnection(ctx, { organizationId, startDate, endDate, sort, order, q }, pageRequest(page)));
  }
}

/* The objects the figures' ids name, each by its own read rules (null when not readable). */

const ORGANIZATION = 'The organization, as `organization(id:)` answers it.';
const TEAM = 'The team, as `team(id:)` answers it; null for the whole organization.';
const MEMBER = 'The member, as `node(id:)` answers their user (someone who shares an organization with you).';

@Resolver(() => EngagementStatsType)
export class EngagementStatsRefs {
  constructor(readonly organizations: ServiceMap['organizations']) {}

  @FieldResolver(() => Organization, { nullable: true, description: ORGANIZATION })
  organization(@Root() s: EngagementStatsType, @Ctx() ctx: RequestContext): Promise<Organization | null> {
    return organizationRef(this.organizations, ctx, s.organizationId);
  }

  @FieldResolver(() => Team, { nullable: true, description: TEAM })
  team(@Root() s: EngagementStatsType, @Ctx() ctx: RequestContext): Promise<Team | null> | null {
    return teamRef(this.organizations, ctx, s.teamId);
  }
}

@Resolver(() => MemberStatsType)
export class MemberStatsRefs {
  constructor(readonly organizations: ServiceMap['organizations']) {}

  @FieldResolver(() => User, { nullable: true, description: MEMBER })
  user(@Root() s: MemberStatsType, @Ctx() ctx: RequestContext): Promise<User | null> | null {
    return userRef(this.organizations, ctx, s.userId);
  }

  @FieldResolver(() => Organization, { nullable: true, description: ORGANIZATION })
  organization(@Root() s: MemberStatsType, @Ctx() ctx: RequestContext): Promise<Organization | null> {
    return organizationRef(this.organizations, ctx, s.organizationId);
  }

  @FieldResolver(() => Team, { nullable: true, description: 'The team asked about, as `team(id:)` answers it; null when none was.' })
  team(@Root() s: MemberStatsType, @Ctx() ctx: RequestContext): Promise<Team | null> | null {
    return teamRef(this.organizations, ctx, s.teamId);
  }
}

@Resolver(() => MemberAffiliationType)
export class MemberAffiliationRefs {
  constructor(readonly organizations: ServiceMap['organizations']) {}

  @FieldResolver(() => Organization, { nullable: true, description: ORGANIZATION })
  organization(@Root() a: MemberAffiliationType, @Ctx() ctx: RequestContext): Promise<Organization | null> {
    return organizationRef(this.organizations, ctx, a.organizationId);
  }

  @FieldResolver(() => Team, { nullable: true, description: 'Their team in it, as `team(id:)` answers it; null when they have none.' })
  team(@Root() a: MemberAffiliationType, @Ctx() ctx: RequestContext): Promise<Team | null> | null {
    return teamRef(this.organizations, ctx, a.teamId);
  }
}

@Resolver(() => MemberProgressType)
export class MemberProgressRefs {
  constructor(readonly organizations: ServiceMap['organizations']) {}

  @FieldResolver(() => User, { nullable: true, description: MEMBER })
  user(@Root() p: MemberProgressType, @Ctx() ctx: RequestContext): Promise<User | null> | null {
    return userRef(this.organizations, ctx, p.userId);
  }
}
