import { randomUUID } from 'node:crypto';
import { DateTimeType, Entity, Index, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, ObjectType } from 'type-graphql';

/** A person with an account. Email and username are unique case-insensitively. */
@ObjectType('User')
@Entity({ tableName: 'users' })
export class User {
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'plan' | 'preferredLanguage' | 'timezone';

  @Field(() => ID)
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Field(() => String)
  @Property({ type: 'string', length: 254 })
  email!: string;

  @Unique({ name: 'users_email_normalized_unique' })
  @Property({ type: 'string', length: 254, hidden: true })
  emailNormalized!: string;

  @Field(() => String)
  @Property({ type: 'string', length: 32 })
  username!: string;

  @Unique({ name: 'users_username_normalized_unique' })
  @Property({ type: 'string', length: 32, hidden: true })
  usernameNormalized!: string;

  @Property({ type: 'string', length: 255, hidden: true, lazy: true })
  passwordHash!: string;

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: 200, nullable: true })
  fullName: string | null = null;

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: 50, nullable: true })
  nickname: string | null = null;

  @Field(() => String)
  @Property({ type: 'string', length: 16 })
  preferredLanguage: string = 'en';

  @Field(() => String)
  @Property({ type: 'string', length: 64 })
  timezone: string = 'UTC';

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: 2048, nullable: true })
  avatarUrl: string | null = null;

  @Field(() => String, { description: 'The subscription plan, which sets entitlements such as live minutes.' })
  @Property({ type: 'string', length: 32 })
  plan: string = 'free';

  @Field(() => GraphQLDateTime)
  @Index({ name: 'users_created_at_index' })
  @Property({ type: DateTimeType })
  createdAt: Date = new Date();

  @Field(() => GraphQLDateTime)
  @Property({ type: DateTimeType, onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
