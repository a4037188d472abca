import { GraphQLDateTime, GraphQLLocalDate } from 'graphql-scalars';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { derivedId } from '../../common/ids.js';
import { defineEnum, type ValueOf } from '../../graphql/enums.js';
import { QUERY_ROOT_DESCRIPTION, QueryRoot } from '../../graphql/query-root.js';
import { Node } from '../../graphql/relay.js';
import type { QuestKind as RuleQuestKind } from './xp.rules.js';
import type { PublicXpProfileView, QuestView, StreakStatusView, WeeklyActivityView, XpProfileView } from './xp.service.js';

export const QuestKind = defineEnum('XpQuestKind', 'What a daily quest asks for.', {
  earn_xp: 'Earn an amount of XP.',
  good_scores: 'Finish tasks with a good score (80 or more).',
  learning_time: 'Spend time in learning sessions.',
});
export type QuestKind = ValueOf<typeof QuestKind>;
// The rules' kinds and this enum are one set.
true satisfies [RuleQuestKind] extends [QuestKind] ? ([QuestKind] extends [RuleQuestKind] ? true : false) : false;

/** The id of a user's XP profile: one XpProfile object per user. */
export const xpProfileIdOf = (userId: string): string => derivedId('XpProfile', userId);

@ObjectType('XpBooster', { description: 'An XP booster running: every XP award is multiplied until it ends.' })
export class XpBoosterType {
  @Field(() => Int, { description: 'The multiplier (2: double XP).' })
  multiplier!: number;

  @Field(() => GraphQLDateTime, { description: 'When it ends.' })
  endsAt!: Date;
}

@ObjectType('XpTodayXp', { description: "Today's XP (your time zone), by where it came from." })
export class XpTodayXpType {
  @Field(() => Int, { description: 'XP your tasks earned.' })
  tasks!: number;

  @Field(() => Int, { description: "The extra XP of boosters, which completing a day's quests grants." })
  quests!: number;

  @Field(() => Int, { description: 'All of it.' })
  total!: number;
}

@ObjectType('XpProfile', { implements: Node, description: 'Your XP, level, streaks, booster, today’s XP and tokens.' })
export class XpProfileType {
  @Field(() => ID, { description: 'The id of your XP profile (one per user).' })
  id!: string;

  @Field(() => Int, { description: 'All the XP you earned.' })
  xpTotal!: number;

  @Field(() => Int, { description: 'Your level: level n starts at 50·n·(n−1) XP.' })
  level!: number;

  @Field(() => Int, { description: 'XP earned since your level started.' })
  xpIntoLevel!: number;

  @Field(() => Int, { description: 'XP from the start of your level to the next one.' })
  xpForNextLevel!: number;

  @Field(() => Int, { description: 'Days in a row with practice (a day a streak freeze covered keeps it); 0 once a day is missed.' })
  currentStreak!: number;

  @Field(() => Int, { description: 'Your longest streak.' })
  longestStreak!: number;

  @Field(() => XpBoosterType, { nullable: true, description: 'The booster running now, if any.' })
  booster!: XpBoosterType | null;

  @Field(() => XpTodayXpType, { description: "Today's XP." })
  todayXp!: XpTodayXpType;

  @Field(() => Int, { description: 'Tokens: quests pay them; they buy streak freezes.' })
  tokenBalance!: number;

  static of(v: XpProfileView): XpProfileType {
    return Object.assign(new XpProfileType(), {
      id: xpProfileIdOf(v.userId),
      xpTotal: v.xpTotal,
      level: v.level,
      xpIntoLevel: v.xpIntoLevel,
      xpForNextLevel: v.xpForNextLevel,
      currentStreak: v.currentStreak,
      longestStreak: v.longestStreak,
      booster: v.booster ? Object.assign(new XpBoosterType(), v.booster) : null,
      todayXp: Object.assign(new XpTodayXpType(), v.todayXp),
      tokenBalance: v.tokenBalance,
    });
  }
}

@ObjectType('PublicXpProfile', { description: 'What a learner shows of their XP to anyone, once they made it public: no email, ids or tokens.' })
export class PublicXpProfileType {
  @Field(() => String, { description: 'The username.' })
  username!: string;

  @Field(() => String, { description: 'The full name, or the username when none is given.' })
  displayName!: string;

  @Field(() => Int, { description: 'The level.' })
  level!: number;

  @Field(() => Int, { description: 'All the XP earned.' })
  xpTotal!: number;

  @Field(() => Int, { description: 'Days in a row with practice.' })
  currentStreak!: number;

  @Field(() => Int, { description: 'The longest streak.' })
  longestStreak!: number;

  @Field(() => Int, { description: 'Xentree English modules completed.' })
  modulesCompleted!: number;

  @Field(() => GraphQLDateTime, { description: 'When the account was created.' })
  memberSince!: Date;

  static of(v: PublicXpProfileView): PublicXpProfileType {
    return Object.assign(new PublicXpProfileType(), v);
  }
}

@ObjectType('XpStreakStatus', { description: 'Your streak, your streak freezes, and whether the streak ends tonight.' })
export class XpStreakStatusType {
  @Field(() => Int, { description: 'Days in a row with practice (a day a streak freeze covered keeps it).' })
  currentStreak!: number;

  @Field(() => Int, { description: 'Your longest streak.' })
  longestStreak!: number;

  @Field(() => Int, { description: 'Streak freezes held (at most 2): each covers one missed day.' })
  freezesAvailable!: number;

  @Field(() => Int, { description: 'Streak freezes spent on missed days, ever.' })
  freezesUsed!: number;

  @Field(() => GraphQLDateTime, { nullable: true, description: 'Your last task submission; null before the first.' })
  lastActivity!: Date | null;

  @Field(() => Boolean, { description: 'The streak is alive, today has no practice yet and no freeze is held: it ends at midnight (your time zone) without practice.' })
  streakAtRisk!: boolean;

  @Field(() => Int, { description: 'What a streak freeze costs, in tokens.' })
  freezePriceTokens!: number;

  @Field(() => Int, { description: 'Your tokens.' })
  tokenBalance!: number;

  static of(v: StreakStatusView): XpStreakStatusType {
    return Object.assign(new XpStreakStatusType(), v);
  }
}

@ObjectType('XpDay', { description: 'One day of a week: its XP.' })
export class XpDayType {
  @Field(() => GraphQLLocalDate, { description: 'The day, in your time zone.' })
  date!: string;

  @Field(() => Int, { description: 'XP earned that day.' })
  xp!: number;
}

@ObjectType('XpWeeklyActivity', { description: 'This week, Sunday to Saturday in your time zone.' })
export class XpWeeklyActivityType {
  @Field(() => GraphQLLocalDate, { description: 'The Sunday the week starts on.' })
  weekStart!: string;

  @Field(() => [XpDayType], { description: 'The seven days, Sunday first.' })
  days!: XpDayType[];

  @Field(() => Int, { description: "The week's XP." })
  totalXp!: number;

  @Field(() => [GraphQLLocalDate], { description: 'The days of the week a streak freeze covered.' })
  freezeCoveredDates!: string[];

  static of(v: WeeklyActivityView): XpWeeklyActivityType {
    return Object.assign(new XpWeeklyActivityType(), { ...v, days: v.days.map((d) => Object.assign(new XpDayType(), d)) });
  }
}

@ObjectType('XpQuest', { implements: Node, description: 'One of your daily quests: reach the goal today to earn its tokens.' })
export class XpQuestType {
  @Field(() => ID, { description: 'The quest id, as REST uses it.' })
  id!: string;

  @Field(() => GraphQLLocalDate, { description: 'The day it is for, in your time zone.' })
  day!: string;

  @Field(() => QuestKind.graphql, { description: 'What it asks for.' })
  kind!: QuestKind;

  @Field(() => String, { description: 'What it asks, in words.' })
  title!: string;

  @Field(() => Int, { description: 'The goal: XP, tasks, or seconds of learning.' })
  goal!: number;

  @Field(() => Int, { description: 'How far you are, up to the goal.' })
  progress!: number;

  @Field(() => Boolean, { description: 'Reached, and its tokens paid.' })
  completed!: boolean;

  @Field(() => Int, { description: 'The tokens it pays.' })
  rewardTokens!: number;

  static of(v: QuestView): XpQuestType {
    return Object.assign(new XpQuestType(), { id: v.id, day: v.day, kind: v.kind, title: v.title, goal: v.goal, progress: v.progress, completed: v.completed, rewardTokens: v.rewardTokens });
  }
}

@ObjectType({ description: 'What buyStreakFreeze changed.' })
export class BuyStreakFreezePayload {
  @Field(() => XpStreakStatusType, { description: 'Your streak status now, with the freeze.' })
  streakStatus!: XpStreakStatusType;

  @Field(() => XpProfileType, { description: 'Your XP profile now, with the tokens spent.' })
  profile!: XpProfileType;

  @Field(() => QueryRoot, { description: QUERY_ROOT_DESCRIPTION })
  query!: QueryRoot;
}
