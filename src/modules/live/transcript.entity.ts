import { randomUUID } from 'node:crypto';
import { DateTimeType, JsonType, OptionalProps } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { User } from '../users/user.entity.js';
import type { LiveTranscriptRole } from './live.enums.js';

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
