import { GraphQLDateTime, GraphQLLocalDate } from 'graphql-scalars';
import { Extensions, Field, ID, Int, ObjectType } from 'type-graphql';
import { z } from 'zod';
import { defineEnum, type ValueOf } from '../../graphql/enums.js';
import { connectionType } from '../../graphql/relay.js';
import { dateSchema, MAX_RANGE_DAYS } from '../learning/index.js';
import { OrganizationRole, type OrgRole } from '../organizations/index.js';

/** How the progress list of members may be sorted. */
export const MemberProgressSort = defineEnum('MemberProgressSort', 'What the progress list of members is sorted by (ties by user id).', {
  xp: 'XP earned in the range.',
  tasks_completed: 'Tasks first completed in the range.',
  learning_seconds: 'Learning seconds in the range (all sources).',
  last_active_at: 'The last activity in the range (members without any come last, whatever the order).',
  username: 'The username, case-insensitively.',
  full_name: 'The full name, case-insensitively (members without one come last, whatever the order).',
});
export type MemberProgressSortValue = ValueOf<typeof MemberProgressSort>;

/** Ascending or descending. */
export const SortOrder = defineEnum('SortOrder', 'A sort direction.', {
  asc: 'Ascending: smallest, earliest or A first.',
  desc: 'Descending: largest, latest or Z first.',
});
export type SortOrderValue = ValueOf<typeof SortOrder>;

const id = (what: string) => z.string({ error: 'must be an id' }).max(64, 'must be an id').describe(what);
const startDate = dateSchema.nullish().describe('The first day (YYYY-MM-DD, UTC), included from 00:00:00Z; default: 6 days before end_date.');
const endDate = dateSchema.nullish().describe('The last day (YYYY-MM-DD, UTC), included up to 00:00:00Z of the day after (exclusive); default: today (UTC).');

/** `GET /api/v1/admin/stats/engagement` and `engagementStats`. */
export const engagementStatsSchema = z.object({
  organizationId: id('The organization (you must be one of its admins or owners).'),
  teamId: id('Only the members of this team of the organization.').nullish(),
  startDate,
  endDate,
});
export type EngagementStatsData = z.input<typeof engagementStatsSchema>;

/** `GET /api/v1/admin/stats/users/{user_id}` and `memberStats`. */
export const memberStatsSchema = engagementStatsSchema.extend({ userId: id('The member.') });
export type MemberStatsData = z.input<typeof memberStatsSchema>;

/** `GET /api/v1/admin/stats/progress/members` and `memberProgress`. */
export const memberProgressSchema = z.object({
  organizationId: id('The organization (you must be one of its admins or owners).'),
  startDate,
  endDate,
  sort: MemberProgressSort.schema.default('xp').describe('What the list is sorted by: xp (default), tasks_completed, learning_seconds, last_active_at, username or full_name; ties by user id.'),
  order: SortOrder.schema.default('desc').describe('asc or desc (default).'),
  q: z.string().trim().max(100, 'must be at most 100 characters').nullish().describe('Only members whose username, full name or email contains this (case-insensitive).'),
});
export type MemberProgressData = z.input<typeof memberProgressSchema>;

@ObjectType('EngagementDay', { description: "One UTC day of an organization's (or team's) engagement." })
export class EngagementDayType {
  @Field(() => GraphQLLocalDate, { description: 'The day (UTC, 00:00:00Z to 00:00:00Z of the day after).' })
  date!: string;

  @Field(() => Int, { description: 'Members with any learning second or XEL submission that day.' })
  activeMembers!: number;

  @Field(() => Int, { description: 'Learning seconds that day, all sources (conversation learning sessions, live sessions, timed XEL practice).' })
  learningSeconds!: number;

  @Field(() => Int, { description: 'The part of `learningSeconds` spent in live sessions.' })
  liveSeconds!: number;

  @Field(() => Int, { description: 'XP earned that day.' })
  xp!: number;

  @Field(() => Int, { description: 'Tasks first completed that day.' })
  tasksCompleted!: number;
}

@ObjectType('EngagementStats', { description: "An organization's (or one of its teams') engagement over a range of UTC days, for its admins and owners." })
export class EngagementStatsType {
  @Field(() => ID, { description: 'The organization.' })
  organizationId!: string;

  @Field(() => ID, { nullable: true, description: 'The team the figures are narrowed to, or null for the whole organization.' })
  teamId!: string | null;

  @Field(() => GraphQLLocalDate, { description: 'The first day of the range (UTC).' })
  startDate!: string;

  @Field(() => GraphQLLocalDate, { description: 'The last day of the range (UTC), included.' })
  endDate!: string;

  @Field(() => Int, { description: 'The members counted (of the team, with a team), active or not.' })
  memberCount!: number;

  @Field(() => Int, { description: 'Members with any learning second or XEL submission in the range.' })
  activeMembers!: number;

  @Field(() => Int, { description: 'Learning seconds of the range, all sources; the sum of the days.' })
  learningSeconds!: number;

  @Field(() => Int, { description: 'Xentree English XP earned in the range.' })
  xpTotal!: number;

  @Field(() => Int, { description: 'Xentree English tasks first completed in the range.' })
  tasksCompleted!: number;

  @Field(() => Int, { description: 'The part of `learningSeconds` spent in live sessions.' })
  liveSeconds!: number;

  @Field(() => [EngagementDayType], { description: 'Every day of the range, oldest first (days without activity: zeros).' })
  @Extensions({ listSize: MAX_RANGE_DAYS })
  byDay!: EngagementDayType[];
}

@ObjectType('MemberStatsDay', { description: "One UTC day of a member's figures." })
export class MemberStatsDayType {
  @Field(() => GraphQLLocalDate, { description: 'The day (UTC).' })
  date!: string;

  @Field(() => Int, { description: 'Learning seconds that day, all sources.' })
  learningSeconds!: number;

  @Field(() => Int, { description: 'The part of `learningSeconds` spent in live sessions.' })
  liveSeconds!: number;

  @Field(() => Int, { description: 'XP earned that day.' })
  xp!: number;

  @Field(() => Int, { description: 'Tasks first completed that day.' })
  tasksCompleted!: number;
}

@ObjectType('MemberStats', { description: "One member's figures over a range of UTC days, for the organization's admins and owners." })
export class MemberStatsType {
  @Field(() => ID, { description: "The member's user id." })
  userId!: string;

  @Field(() => String, { description: 'Their username.' })
  username!: string;

  @Field(() => String, { nullable: true, description: 'Their full name, or null.' })
  fullName!: string | null;

  @Field(() => ID, { description: 'The organization.' })
  organizationId!: string;

  @Field(() => ID, { nullable: true, description: 'The team asked about, or null.' })
  teamId!: string | null;

  @Field(() => GraphQLLocalDate, { description: 'The first day of the range (UTC).' })
  startDate!: string;

  @Field(() => GraphQLLocalDate, { description: 'The last day of the range (UTC), included.' })
  endDate!: string;

  @Field(() => Int, { description: 'Learning seconds of the range, all sources.' })
  learningSeconds!: number;

  @Field(() => Int, { description: 'The part of `learningSeconds` spent in live sessions.' })
  liveSeconds!: number;

  @Field(() => Int, { description: 'XP earned in the range.' })
  xpTotal!: number;

  @Field(() => Int, { description: 'Tasks first completed in the range.' })
  tasksCompleted!: number;

  @Field(() => Int, { description: 'Days of the range with any learning second or XEL submission.' })
  activeDays!: number;

  @Field(() => GraphQLDateTime, { nullable: true, description: 'Their last activity in the range (the end of learning, a submission, a completion), or null.' })
  lastActiveAt!: Date | null;

  @Field(() => [MemberStatsDayType], { description: 'Every day of the range, oldest first (days without activity: zeros).' })
  @Extensions({ listSize: MAX_RANGE_DAYS })
  byDay!: MemberStatsDayType[];
}

@ObjectType('MemberAffiliation', { description: "A member's place in one organization you belong to: its name, their team and their role." })
export class MemberAffiliationType {
  @Field(() => ID, { description: 'The organization.' })
  organizationId!: string;

  @Field(() => String, { description: "The organization's name." })
  organizationName!: string;

  @Field(() => ID, { nullable: true, description: 'Their team in it, or null.' })
  teamId!: string | null;

  @Field(() => String, { nullable: true, description: "The team's name, or null." })
  teamName!: string | null;

  @Field(() => OrganizationRole.graphql, { description: 'Their role in it.' })
  role!: OrgRole;
}

@ObjectType('MemberProgress', { description: "A member's progress over a range of UTC days, a row of the admins' progress list." })
export class MemberProgressType {
  @Field(() => ID, { description: "The member's user id." })
  userId!: string;

  @Field(() => String, { description: 'Their username.' })
  username!: string;

  @Field(() => String, { nullable: true, description: 'Their full name, or null.' })
  fullName!: string | null;

  @Field(() => [String], { description: 'The names of their organizations that you belong to too (this one included), by name.' })
  organizations!: string[];

  @Field(() => [String], { description: 'The names of their teams in those organizations.' })
  teams!: string[];

  @Field(() => [MemberAffiliationType], { description: 'Their organization, team and role, for each of those organizations.' })
  affiliations!: MemberAffiliationType[];

  @Field(() => Int, { description: 'XP earned in the range.' })
  xp!: number;

  @Field(() => Int, { description: 'Tasks first completed in the range.' })
  tasksCompleted!: number;

  @Field(() => Int, { description: 'Learning seconds of the range, all sources.' })
  learningSeconds!: number;

  @Field(() => GraphQLDateTime, { nullable: true, description: 'Their last activity in the range, or null.' })
  lastActiveAt!: Date | null;
}

export const MemberProgressConnection = connectionType<MemberProgressType>('MemberProgress', () => MemberProgressType, 'in the order asked for (by XP, most first, by default)');
