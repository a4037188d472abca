import { randomUUID } from 'node:crypto';
import { DateTimeType, Entity, Index, ManyToOne, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { User } from '../users/user.entity.js';

/** A thread of messages between a user and an AI provider. */
@ObjectType('Conversation')
@Entity({ tableName: 'conversations' })
@Index({ name: 'conversations_user_updated_index', properties: ['user', 'updatedAt'] })
export class Conversation {
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'messageCount' | 'lastMessageAt' | 'systemPrompt' | 'title' | 'provider' | 'model';

  @Field(() => ID)
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => User, { deleteRule: 'cascade', index: false })
  user!: User;

  @Field(() => String, { nullable: true, description: 'Derived from the first exchange unless set.' })
  @Property({ type: 'string', length: 200, nullable: true })
  title: string | null = null;

  @Field(() => String, { nullable: true, description: 'The provider new turns use unless a turn names one.' })
  @Property({ type: 'string', length: 32, nullable: true })
  provider: string | null = null;

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: 100, nullable: true })
  model: string | null = null;

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  systemPrompt: string | null = null;

  @Field(() => Int)
  @Property({ type: 'integer' })
  messageCount: number = 0;

  @Field(() => GraphQLDateTime, { nullable: true })
  @Property({ type: DateTimeType, nullable: true })
  lastMessageAt: Date | null = null;

  @Field(() => GraphQLDateTime)
  @Property({ type: DateTimeType })
  createdAt: Date = new Date();

  @Field(() => GraphQLDateTime)
  @Property({ type: DateTimeType, onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
