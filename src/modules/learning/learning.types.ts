import { GraphQLLocalDate } from 'graphql-scalars';
import { Extensions, Field, Int, ObjectType } from 'type-graphql';
import { z } from 'zod';
import { dateSchema, MAX_RANGE_DAYS } from './dates.js';

/** `GET /api/xp/learning-time` and `learningTime`: the date rules' range. */
export const learningTimeSchema = z.object({
  startDate: dateSchema.nullish().describe('The first day (YYYY-MM-DD, UTC), included from 00:00:00Z; default: 6 days before end_date.'),
  endDate: dateSchema.nullish().describe('The last day (YYYY-MM-DD, UTC), included up to 00:00:00Z of the day after; default: today (UTC).'),
});
export type LearningTimeData = z.input<typeof learningTimeSchema>;

@ObjectType('LearningSeconds', { description: 'Learning seconds by where they were spent.' })
export class LearningSecondsType {
  @Field(() => Int, { description: 'In conversation learning sessions.' })
  conversationSessions!: number;

  @Field(() => Int, { description: 'In Xentree Live sessions.' })
  live!: number;

  @Field(() => Int, { description: 'In timed Xentree English practice (the duration sent with a submission).' })
  xel!: number;
}

@ObjectType('LearningDay', { description: 'The learning seconds of one day.' })
export class LearningDayType {
  @Field(() => GraphQLLocalDate, { description: 'The day (UTC).' })
  date!: string;

  @Field(() => Int, { description: 'Seconds of learning that day, all sources.' })
  seconds!: number;
}

@ObjectType('LearningTime', { description: 'Your learning time over a range of days: conversation learning sessions, live sessions and timed XEL practice.' })
export class LearningTimeType {
  @Field(() => GraphQLLocalDate, { description: 'The first day of the range (UTC).' })
  startDate!: string;

  @Field(() => GraphQLLocalDate, { description: 'The last day of the range (UTC), included.' })
  endDate!: string;

  @Field(() => Int, { description: 'All the seconds of the range.' })
  totalSeconds!: number;

  @Field(() => LearningSecondsType, { description: 'The seconds by source; they add up to `totalSeconds`. Time counts once: sources at the same moment (two sessions open at once, practice during a live session) give it to the one that started first.' })
  bySource!: LearningSecondsType;

  @Field(() => [LearningDayType], { description: 'Every day of the range, oldest first (days without learning: 0).' })
  @Extensions({ listSize: MAX_RANGE_DAYS })
  byDay!: LearningDayType[];
}

@ObjectType('LearningPulseDay', { description: 'One day of the learning pulse, for a heatmap.' })
export class LearningPulseDayType {
  @Field(() => GraphQLLocalDate, { description: 'The day, in your time zone.' })
  date!: string;

  @Field(() => Int, { description: 'XP earned that day.' })
  xp!: number;

  @Field(() => Int, { description: 'Seconds of learning that day (conversation learning sessions, live sessions, timed XEL practice).' })
  activeSeconds!: number;

  @Field(() => Int, { description: 'How active the day was, 0 (nothing) to 4, from one point per XP and per minute of learning: 1 up to 9 points (any activity, even under a minute), 2 up to 29, 3 up to 59, 4 from 60.' })
  intensity!: number;
}
