import { randomUUID } from 'node:crypto';
import { DateTimeType, OptionalProps } from '@mikro-orm/core';
import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, ObjectType } from 'type-graphql';
import { Node } from '../../graphql/relay.js';

/** A person with an account. Email and username are unique case-insensitively. */
@ObjectType('User', {
  implements: Node,
  description: 'A person with an account. You see yourself (`me`) and the members of your organizations.',
})
@Entity({ tableName: 'users' })
export class User {
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'plan' | 'preferredLanguage' | 'timezone' | 'publicProfile' | 'platformRole';

  @Field(() => ID, { description: 'The user id, as REST uses it.' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Field(() => String, { description: 'The email address, unique whatever its case.' })
  @Property({ type: 'string', length: 254 })
  email!: string;

  @Unique({ name: 'users_email_normalized_unique' })
  @Property({ type: 'string', length: 254, hidden: true })
  emailNormalized!: string;

  @Field(() => String, { description: 'The username, unique whatever its case.' })
  @Property({ type: 'string', length: 32 })
  username!: string;

  @Unique({ name: 'users_username_normalized_unique' })
  @Property({ type: 'string', length: 32, hidden: true })
  usernameNormalized!: string;

  @Property({ type: 'string', length: 255, hidden: true, lazy: true })
  passwordHash!: string;

  @Field(() => String, { nullable: true, description: 'The full name, if given.' })
  @Property({ type: 'string', length: 200, nullable: true })
  fullName: string | null = null;

  @Field(() => String, { nullable: true, description: 'What Xentree Live calls the user, if set.' })
  @Property({ type: 'string', length: 50, nullable: true })
  nickname: string | null = null;

  @Field(() => String, { description: 'A BCP 47 language tag, e.g. "en" or "pt-BR".' })
  @Property({ type: 'string', length: 16 })
  preferredLanguage: string = 'en';

  @Field(() => String, { description: 'An IANA time zone, e.g. "Europe/Paris".' })
  @Property({ type: 'string', length: 64 })
  timezone: string = 'UTC';

  @Field(() => Boolean, { description: 'Whether the XP profile is public (`/api/xp/public-profile/{username}`, `publicXpProfile`): off unless turned on.' })
  @Property({ type: 'boolean', default: false })
  publicProfile: boolean = false;

  @Field(() => String, { nullable: true, description: 'An http(s) URL of a picture, if set.' })
  @Property({ type: 'string', length: 2048, nullable: true })
  avatarUrl: string | null = null;

  // Not an enum: the plans are the operator's (LIVE_PLANS names them), not a set fixed in the code.
  @Field(() => String, { description: 'The subscription plan, which sets entitlements such as live minutes: `free`, or a plan the operator names in LIVE_PLANS.' })
  @Property({ type: 'string', length: 32 })
  plan: string = 'free';

  @Field(() => GraphQLDateTime, { description: 'When the account was created.' })
  @Index({ name: 'users_created_at_index' })
  @Property({ type: DateTimeType })
  createdAt: Date = new Date();

  @Field(() => GraphQLDateTime, { description: 'When the profile last changed.' })
  @Property({ type: DateTimeType, onUpdate: () => new Date() })
  updatedAt: Date = new Date();

  // Not in the schema, never set over the API: `npm run admin -- grant EMAIL` (scripts/admin.ts).
  /** `admin`: a platform administrator (search maintenance); null for everyone else. */
  @Property({ type: 'string', length: 16, nullable: true, hidden: true })
  platformRole: 'admin' | null = null;
}
