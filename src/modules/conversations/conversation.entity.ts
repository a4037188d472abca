import { randomUUID } from 'node:crypto';
import { DateTimeType, OptionalProps } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Node } from '../../graphql/relay.js';
import { AiProvider, type AiProviderId } from '../ai/ai.enums.js';
import { User } from '../users/user.entity.js';

/** A thread of messages between a user and an AI provider. */
@ObjectType('Conversation', { implements: Node, description: 'A thread of messages between you and an AI provider. Only its owner ever sees it.' })
@Entity({ tableName: 'conversations' })
@Index({ name: 'conversations_user_updated_index', properties: ['user', 'updatedAt'] })
export class Conversation {
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'messageCount' | 'lastMessageAt' | 'systemPrompt' | 'title' | 'provider' | 'model';

  @Field(() => ID, { description: 'The conversation\'s id, the same as REST\'s `conversation_id`.' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => User, { deleteRule: 'cascade', index: false })
  user!: User;

  @Field(() => String, { nullable: true, description: 'Derived from the first question unless set; null until then.' })
  @Property({ type: 'string', length: 200, nullable: true })
  title: string | null = null;

  @Field(() => AiProvider.graphql, { nullable: true, description: 'The provider new turns use unless a turn names one; null: the server\'s default.' })
  @Property({ type: 'string', length: 32, nullable: true })
  provider: AiProviderId | null = null;

  @Field(() => String, { nullable: true, description: 'The model new turns use unless a turn names one; null: the provider\'s default model.' })
  @Property({ type: 'string', length: 100, nullable: true })
  model: string | null = null;

  @Field(() => String, { nullable: true, description: 'Instructions sent to the provider before every turn of this conversation.' })
  @Property({ type: 'text', nullable: true })
  systemPrompt: string | null = null;

  @Field(() => Int, { description: 'How many messages the conversation holds (questions and replies).' })
  @Property({ type: 'integer' })
  messageCount: number = 0;

  @Field(() => GraphQLDateTime, { nullable: true, description: 'When the last exchange was stored; null for a conversation without messages.' })
  @Property({ type: DateTimeType, nullable: true })
  lastMessageAt: Date | null = null;

  @Field(() => GraphQLDateTime, { description: 'When the conversation was created.' })
  @Property({ type: DateTimeType })
  createdAt: Date = new Date();

  @Field(() => GraphQLDateTime, { description: 'When the conversation last changed (a turn, a rename): `conversations` lists the most recent first.' })
  @Property({ type: DateTimeType, onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
