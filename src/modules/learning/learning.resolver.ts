import { GraphQLLocalDate } from 'graphql-scalars';
import { Arg, Ctx, Extensions, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../../common/context.js';
import { describeRequirement as need } from '../../common/scopes.js';
import { PULSE_DAYS, type LearningTimeService } from './learning.service.js';
import { LearningPulseDayType, LearningTimeType } from './learning.types.js';

const DATE_RULES = 'UTC day boundaries: the start day from 00:00:00Z, the end day up to 00:00:00Z of the day after (exclusive).';

/** Learning time through GraphQL: the same service methods as `/api/xp/learning-time` and `/api/xp/learning-pulse`. */
@Resolver()
export class LearningResolver {
  constructor(readonly learning: LearningTimeService) {}

  @Query(() => LearningTimeType, {
    description: `Your learning time over a range of days (at most 366): conversation learning sessions, live sessions and timed XEL practice; ${DATE_RULES} ${need('conversations:read')}`,
  })
  async learningTime(
    @Ctx() ctx: RequestContext,
    @Arg('startDate', () => GraphQLLocalDate, { nullable: true, description: 'The first day (UTC); default: 6 days before `endDate`.' }) startDate?: string | null,
    @Arg('endDate', () => GraphQLLocalDate, { nullable: true, description: 'The last day (UTC), included; default: today.' }) endDate?: string | null,
  ): Promise<LearningTimeType> {
    const t = await this.learning.learningTime(ctx, { startDate, endDate });
    return { ...t, bySource: { conversationSessions: t.bySource.conversation_sessions, live: t.bySource.live, xel: t.bySource.xel } };
  }

  @Extensions({ listSize: PULSE_DAYS })
  @Query(() => [LearningPulseDayType], { description: `Your last 365 days, oldest first, ending today in your time zone: XP, learning seconds and an intensity 0-4, for a heatmap. ${need('xel:read')}` })
  learningPulse(@Ctx() ctx: RequestContext): Promise<LearningPulseDayType[]> {
    return this.learning.learningPulse(ctx);
  }
}
