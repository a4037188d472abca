import { randomUUID } from 'node:crypto';
import { DateTimeType } from '@mikro-orm/core';
import { Entity, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { User } from '../users/user.entity.js';

/** Settled live seconds of one user in one UTC calendar month. */
@Entity({ tableName: 'live_usage' })
@Unique({ name: 'live_usage_user_period_unique', properties: ['user', 'periodStart'] })
export class LiveUsage {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => User, { deleteRule: 'cascade', index: false })
  user!: User;

  @Property({ type: DateTimeType })
  periodStart!: Date;

  @Property({ type: 'integer' })
  usedSeconds: number = 0;
}
