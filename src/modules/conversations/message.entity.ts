import { randomUUID } from 'node:crypto';
import { DateTimeType, Entity, JsonType, ManyToOne, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import type { Citation } from '../ai/ai.types.js';
import { Conversation } from './conversation.entity.js';

/** complete: a whole reply. partial: the client left mid-stream; what had arrived is kept. */
export type MessageStatus = 'complete' | 'partial';

/** One message of a conversation; `position` orders them (1, 2, 3...). */
@ObjectType('Message')
@Entity({ tableName: 'messages' })
@Unique({ name: 'messages_conversation_position_unique', properties: ['conversation', 'position'] })
export class Message {
  [OptionalProps]?: 'createdAt' | 'provider' | 'model' | 'citations' | 'status' | 'promptTokens' | 'completionTokens' | 'totalTokens';

  @Field(() => ID)
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Conversation, { deleteRule: 'cascade', index: false })
  conversation!: Conversation;

  @Field(() => Int)
  @Property({ type: 'integer' })
  position!: number;

  @Field(() => String, { description: 'user, assistant or system.' })
  @Property({ type: 'string', length: 16 })
  role!: 'user' | 'assistant' | 'system';

  @Field(() => String)
  @Property({ type: 'text' })
  content!: string;

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: 32, nullable: true })
  provider: string | null = null;

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: 100, nullable: true })
  model: string | null = null;

  @Field(() => String, { description: 'complete, or partial when the client left mid-stream.' })
  @Property({ type: 'string', length: 16 })
  status: MessageStatus = 'complete';

  @Property({ type: JsonType })
  citations: Citation[] = [];

  @Property({ type: 'integer', nullable: true })
  promptTokens: number | null = null;

  @Property({ type: 'integer', nullable: true })
  completionTokens: number | null = null;

  @Property({ type: 'integer', nullable: true })
  totalTokens: number | null = null;

  @Field(() => GraphQLDateTime)
  @Property({ type: DateTimeType })
  createdAt: Date = new Date();
}
