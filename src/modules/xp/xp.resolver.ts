import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { authorize } from '../../common/access.js';
import type { RequestContext } from '../../common/context.js';
import { describeRequirement } from '../../common/scopes.js';
import type { NodeSource } from '../../graphql/node.resolver.js';
import { queryRoot } from '../../graphql/query-root.js';
import type { ServiceMap } from '../manifest.js';
import { BuyStreakFreezePayload, PublicXpProfileType, XpProfileType, XpQuestType, XpStreakStatusType, XpWeeklyActivityType, xpProfileIdOf } from './xp.types.js';
import { FREEZE_PRICE_TOKENS, MAX_FREEZES } from './xp.rules.js';

const READ = describeRequirement('xel:read');
const WRITE = describeRequirement('xel:write');

@Resolver()
export class XpResolver {
  constructor(readonly xp: ServiceMap['xp']) {}

  @Query(() => XpProfileType, { description: `Your XP, level, streaks, the booster running, today's XP and your tokens. ${READ}` })
  async xpProfile(@Ctx() ctx: RequestContext): Promise<XpProfileType> {
    return XpProfileType.of(await this.xp.profile(ctx));
  }

  @Query(() => PublicXpProfileType, {
    nullable: true,
    description: 'A learner’s public XP profile, by username: not_found unless they made it public (`updateMe(input: {publicProfile: true})`). Public: no authentication needed.',
  })
  async publicXpProfile(@Arg('username', () => String, { description: 'The username, whatever its case.' }) username: string, @Ctx() ctx: RequestContext): Promise<PublicXpProfileType> {
    return PublicXpProfileType.of(await this.xp.publicProfile(ctx, username));
  }

  @Query(() => XpStreakStatusType, { description: `Your streak, streak freezes and whether the streak ends tonight. ${READ}` })
  async xpStreakStatus(@Ctx() ctx: RequestContext): Promise<XpStreakStatusType> {
    return XpStreakStatusType.of(await this.xp.streakStatus(ctx));
  }

  @Query(() => XpWeeklyActivityType, { description: `This week, Sunday to Saturday in your time zone: XP per day and the days a streak freeze covered. ${READ}` })
  async xpWeeklyActivity(@Ctx() ctx: RequestContext): Promise<XpWeeklyActivityType> {
    return XpWeeklyActivityType.of(await this.xp.weeklyActivity(ctx));
  }

  @Query(() => [XpQuestType], { description: `Today's three quests with your progress (rewards reached are paid on the way). ${READ}` })
  async xpQuests(@Ctx() ctx: RequestContext): Promise<XpQuestType[]> {
    return (await this.xp.quests(ctx)).map((q) => XpQuestType.of(q));
  }

  @Mutation(() => BuyStreakFreezePayload, {
    description: `Buys a streak freeze for ${FREEZE_PRICE_TOKENS} tokens (at most ${MAX_FREEZES} held); conflict when the inventory is full or the tokens are short. ${WRITE}`,
  })
  async buyStreakFreeze(@Ctx() ctx: RequestContext): Promise<BuyStreakFreezePayload> {
    const status = await this.xp.buyFreeze(ctx);
    // A key allowed to buy may see what it changed.
    const profile = await this.xp.profile(ctx, 'xel:write');
    return Object.assign(new BuyStreakFreezePayload(), { streakStatus: XpStreakStatusType.of(status), profile: XpProfileType.of(profile), query: queryRoot() });
  }
}

/** Where `node(id:)` finds XP objects: the caller's own only, with the rules of their queries. */
export const xpNodes = (s: Pick<ServiceMap, 'xp'>): NodeSource[] => [
  {
    typename: 'XpProfile',
    load: async (ctx, ids) => {
      const p = authorize(ctx, 'xel:read');
      return ids.includes(xpProfileIdOf(p.userId)) ? [XpProfileType.of(await s.xp.profile(ctx))] : [];
    },
  },
  { typename: 'XpQuest', load: async (ctx, ids) => (await s.xp.questsByIds(ctx, ids)).map((q) => XpQuestType.of(q)) },
];
