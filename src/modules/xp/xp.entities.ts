import { randomUUID } from 'node:crypto';
import { DateTimeType, OptionalProps } from '@mikro-orm/core';
import { Entity, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { User } from '../users/index.js';

/**
 * The gamification tables. XP, levels and streak days are XEL's (xel_profiles,
 * xel_activity_days); these hold what the quests, tokens, freezes and boosters add.
 * Every change is a conditional update or an insert on a unique key, so racing requests
 * pay a reward, spend a freeze or grant a booster once.
 */

/** A learner's tokens and streak freezes; one row per user, created on first use. */
@Entity({ tableName: 'xp_wallets' })
export class XpWallet {
  [OptionalProps]?: 'tokenBalance' | 'freezesHeld' | 'freezesUsed' | 'createdAt' | 'updatedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Unique({ name: 'xp_wallets_user_unique' })
  @ManyToOne(() => User, { deleteRule: 'cascade' })
  user!: User;

  @Property({ type: 'integer' })
  tokenBalance: number = 0;

  /** Streak freezes held now (0 to MAX_FREEZES). */
  @Property({ type: 'integer' })
  freezesHeld: number = 0;

  /** Streak freezes ever spent on a missed day. */
  @Property({ type: 'integer' })
  freezesUsed: number = 0;

  @Property({ type: DateTimeType })
  createdAt: Date = new Date();

  @Property({ type: DateTimeType })
  updatedAt: Date = new Date();
}

/** A missed day a streak freeze covered (the learner's local day). */
@Entity({ tableName: 'xp_freeze_days' })
@Unique({ name: 'xp_freeze_days_user_day_unique', properties: ['user', 'day'] })
export class XpFreezeDay {
  [OptionalProps]?: 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => User, { deleteRule: 'cascade' })
  user!: User;

  @Property({ type: 'string', length: 10 })
  day!: string;

  @Property({ type: DateTimeType })
  createdAt: Date = new Date();
}

/** One of a learner's quests of a day, drawn from a template; progress is measured, not stored. */
@Entity({ tableName: 'xp_quests' })
@Unique({ name: 'xp_quests_user_day_slot_unique', properties: ['user', 'day', 'slot'] })
export class XpQuest {
  [OptionalProps]?: 'completedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => User, { deleteRule: 'cascade' })
  user!: User;

  @Property({ type: 'string', length: 10 })
  day!: string;

  @Property({ type: 'integer' })
  slot!: number;

  @Property({ type: 'string', length: 40 })
  template!: string;

  @Property({ type: 'integer' })
  goal!: number;

  @Property({ type: 'integer' })
  rewardTokens!: number;

  /** Set once, when the reward was paid. */
  @Property({ type: DateTimeType, nullable: true })
  completedAt: Date | null = null;
}

/** The XP booster a day's completed quests grant: one per learner per day. */
@Entity({ tableName: 'xp_boosters' })
@Unique({ name: 'xp_boosters_user_day_unique', properties: ['user', 'day'] })
export class XpBooster {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => User, { deleteRule: 'cascade' })
  user!: User;

  /** The day whose quests earned it. */
  @Property({ type: 'string', length: 10 })
  day!: string;

  @Property({ type: 'integer' })
  multiplier!: number;

  @Property({ type: DateTimeType })
  startsAt!: Date;

  @Property({ type: DateTimeType })
  endsAt!: Date;
}

/** The extra XP boosters gave on a day (the rest of the day's XP, in xel_activity_days, came from tasks). */
@Entity({ tableName: 'xp_bonus_days' })
@Unique({ name: 'xp_bonus_days_user_day_unique', properties: ['user', 'day'] })
export class XpBonusDay {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => User, { deleteRule: 'cascade' })
  user!: User;

  @Property({ type: 'string', length: 10 })
  day!: string;

  @Property({ type: 'integer' })
  xp!: number;
}

export const XP_ENTITIES = [XpWallet, XpFreezeDay, XpQuest, XpBooster, XpBonusDay];
