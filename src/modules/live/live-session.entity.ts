import { randomUUID } from 'node:crypto';
import { DateTimeType, Entity, Index, ManyToOne, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { User } from '../users/user.entity.js';

/**
 * A metered real-time session. While active, `activeUserId` holds the user's id: its
 * unique index is what makes "one active session per user" hold under races.
 */
@ObjectType('LiveSession')
@Entity({ tableName: 'live_sessions' })
@Index({ name: 'live_sessions_user_started_index', properties: ['user', 'startedAt'] })
@Index({ name: 'live_sessions_status_seen_index', properties: ['status', 'lastSeenAt'] })
export class LiveSession {
  [OptionalProps]?: 'status' | 'endedAt' | 'endReason' | 'usedSeconds' | 'language' | 'avatarId' | 'activeUserId';

  @Field(() => ID)
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => User, { deleteRule: 'cascade', index: false })
  user!: User;

  @Unique({ name: 'live_sessions_active_user_unique' })
  @Property({ type: 'uuid', nullable: true })
  activeUserId: string | null = null;

  @Field(() => String, { description: 'voice or avatar.' })
  @Property({ type: 'string', length: 16 })
  sessionType!: 'voice' | 'avatar';

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: 16, nullable: true })
  language: string | null = null;

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: 64, nullable: true })
  avatarId: string | null = null;

  @Field(() => String, { description: 'active or ended.' })
  @Property({ type: 'string', length: 16 })
  status: 'active' | 'ended' = 'active';

  @Field(() => GraphQLDateTime)
  @Property({ type: DateTimeType })
  startedAt!: Date;

  /** The last sign of life: start, heartbeat or socket activity. */
  @Field(() => GraphQLDateTime)
  @Property({ type: DateTimeType })
  lastSeenAt!: Date;

  @Field(() => GraphQLDateTime, { nullable: true })
  @Property({ type: DateTimeType, nullable: true })
  endedAt: Date | null = null;

  @Field(() => String, { nullable: true, description: 'client, quota_exceeded, idle, max_duration, and the like.' })
  @Property({ type: 'string', length: 32, nullable: true })
  endReason: string | null = null;

  /** Whole seconds metered for this session, set once when it ends. */
  @Field(() => Int, { nullable: true })
  @Property({ type: 'integer', nullable: true })
  usedSeconds: number | null = null;

  /** The UTC month the session is billed to (the month it started in). */
  @Property({ type: DateTimeType })
  periodStart!: Date;
}
