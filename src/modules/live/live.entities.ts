import { randomUUID } from 'node:crypto';
import { DateTimeType, OptionalProps, JsonType } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Node } from '../../graphql/relay.js';
import { User } from '../users/index.js';
import { LiveEndReason, LiveSessionStatus, LiveSessionType, type LiveTranscriptRole } from './live.enums.js';

/**
 * A metered real-time session. While active, `activeUserId` holds the user's id: its
 * unique index is what makes "one active session per user" hold under races.
 */
@ObjectType('LiveSession', { implements: Node, description: 'A metered voice or avatar session of yours: the server starts it, keeps its clock, and settles its seconds once when it ends.' })
@Entity({ tableName: 'live_sessions' })
@Index({ name: 'live_sessions_user_started_index', properties: ['user', 'startedAt'] })
@Index({ name: 'live_sessions_status_seen_index', properties: ['status', 'lastSeenAt'] })
export class LiveSession {
  [OptionalProps]?: 'status' | 'endedAt' | 'endReason' | 'usedSeconds' | 'language' | 'avatarId' | 'activeUserId';

  @Field(() => ID, { description: 'The session id, the same as REST\'s `session_id`.' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => User, { deleteRule: 'cascade', index: false })
  user!: User;

  @Unique({ name: 'live_sessions_active_user_unique' })
  @Property({ type: 'uuid', nullable: true })
  activeUserId: string | null = null;

  @Field(() => LiveSessionType.graphql, { description: 'Voice only, or voice with an avatar.' })
  @Property({ type: 'string', length: 16 })
  sessionType!: LiveSessionType;

  @Field(() => String, { nullable: true, description: 'The language tag the session speaks (e.g. `en`, `pt-BR`), when one was given at the start.' })
  @Property({ type: 'string', length: 16, nullable: true })
  language: string | null = null;

  @Field(() => ID, { nullable: true, description: 'The avatar chosen at the start (the client\'s own avatar id), if any.' })
  @Property({ type: 'string', length: 64, nullable: true })
  avatarId: string | null = null;

  @Field(() => LiveSessionStatus.graphql, { description: 'Running or over.' })
  @Property({ type: 'string', length: 16 })
  status: LiveSessionStatus = 'active';

  @Field(() => GraphQLDateTime, { description: 'When the server started it: the meter counts from here.' })
  @Property({ type: DateTimeType })
  startedAt!: Date;

  /** The last sign of life: start, heartbeat or socket activity. */
  @Field(() => GraphQLDateTime, { description: 'Its last sign of life (start, heartbeat, or a frame or turn): an idle session is ended at this instant.' })
  @Property({ type: DateTimeType })
  lastSeenAt!: Date;

  @Field(() => GraphQLDateTime, { nullable: true, description: 'When it ended (null while active): where the meter stopped, which is earlier than the end request when the quota or the length limit cut it short.' })
  @Property({ type: DateTimeType, nullable: true })
  endedAt: Date | null = null;

  @Field(() => LiveEndReason.graphql, { nullable: true, description: 'Why it ended; null while active.' })
  @Property({ type: 'string', length: 32, nullable: true })
  endReason: LiveEndReason | null = null;

  /** Whole seconds metered for this session, set once when it ends. */
  @Field(() => Int, { nullable: true, description: 'Whole seconds metered for it, set once when it ends; null while active (the payloads of start, heartbeat and end carry the seconds so far).' })
  @Property({ type: 'integer', nullable: true })
  usedSeconds: number | null = null;

  /** The UTC month the session is billed to (the month it started in). */
  @Property({ type: DateTimeType })
  periodStart!: Date;
}

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

export interface TranscriptTurn {
  role: LiveTranscriptRole;
  text: string;
  /** ISO 8601, UTC. */
  timestamp: string;
}

/** The turns of a live conversation, as the documented payload describes them. */
@Entity({ tableName: 'live_transcripts' })
@Index({ name: 'live_transcripts_user_started_index', properties: ['user', 'sessionStartedAt'] })
export class LiveTranscript {
  [OptionalProps]?: 'createdAt' | 'sessionId';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => User, { deleteRule: 'cascade', index: false })
  user!: User;

  @Property({ type: 'uuid', nullable: true })
  sessionId: string | null = null;

  @Property({ type: DateTimeType })
  sessionStartedAt!: Date;

  @Property({ type: DateTimeType })
  sessionEndedAt!: Date;

  @Property({ type: JsonType })
  turns!: TranscriptTurn[];

  @Property({ type: DateTimeType })
  createdAt: Date = new Date();
}
