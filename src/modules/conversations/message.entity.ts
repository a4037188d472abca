import { randomUUID } from 'node:crypto';
import { DateTimeType, JsonType, OptionalProps } from '@mikro-orm/core';
import { Entity, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Node } from '../../graphql/relay.js';
import { AiProvider, type AiProviderId } from '../ai/ai.enums.js';
import type { Citation } from '../ai/ai.types.js';
import { Conversation } from './conversation.entity.js';
import { MessageRole, MessageStatus as MessageStatusEnum, type MessageRoleValue, type MessageStatusValue } from './conversations.enums.js';

/** complete: a whole reply. partial: the client left mid-stream; what had arrived is kept. */
export type MessageStatus = MessageStatusValue;

/** One message of a conversation; `position` orders them (1, 2, 3...). */
@ObjectType('Message', { implements: Node, description: 'One message of a conversation: a question or a reply.' })
@Entity({ tableName: 'messages' })
@Unique({ name: 'messages_conversation_position_unique', properties: ['conversation', 'position'] })
export class Message {
  [OptionalProps]?: 'createdAt' | 'provider' | 'model' | 'citations' | 'status' | 'promptTokens' | 'completionTokens' | 'totalTokens';

  @Field(() => ID, { description: 'The message\'s id, the same as REST\'s.' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Conversation, { deleteRule: 'cascade', index: false })
  conversation!: Conversation;

  @Field(() => Int, { description: 'Its place in the conversation: 1 for the first message, then 2, 3… (a regenerated reply keeps its place).' })
  @Property({ type: 'integer' })
  position!: number;

  @Field(() => MessageRole.graphql, { description: 'Who wrote it.' })
  @Property({ type: 'string', length: 16 })
  role!: MessageRoleValue;

  @Field(() => String, { description: 'The text.' })
  @Property({ type: 'text' })
  content!: string;

  @Field(() => AiProvider.graphql, { nullable: true, description: 'For a reply: the provider that wrote it (never AUTO). Null for a question.' })
  @Property({ type: 'string', length: 32, nullable: true })
  provider: AiProviderId | null = null;

  @Field(() => String, { nullable: true, description: 'For a reply: the model that wrote it. Null for a question.' })
  @Property({ type: 'string', length: 100, nullable: true })
  model: string | null = null;

  @Field(() => MessageStatusEnum.graphql, { description: 'Whether it arrived whole: PARTIAL when the client left mid-stream.' })
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

  @Field(() => GraphQLDateTime, { description: 'When it was stored.' })
  @Property({ type: DateTimeType })
  createdAt: Date = new Date();
}
