import { randomUUID } from 'node:crypto';
import { DateTimeType, Entity, Index, JsonType, ManyToOne, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, ObjectType } from 'type-graphql';
import { Organization } from '../organizations/organization.entity.js';
import { User } from '../users/user.entity.js';

/** A credential for server-to-server callers. Only the SHA-256 of the key is stored. */
@ObjectType('ApiKey')
@Entity({ tableName: 'api_keys' })
@Index({ name: 'api_keys_org_index', properties: ['organization', 'createdBy'] })
export class ApiKey {
  [OptionalProps]?: 'createdAt' | 'expiresAt' | 'lastUsedAt' | 'revokedAt' | 'allowedIps';

  @Field(() => ID)
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Field(() => String)
  @Property({ type: 'string', length: 100 })
  name!: string;

  @ManyToOne(() => Organization, { deleteRule: 'cascade' })
  organization!: Organization;

  @ManyToOne(() => User, { deleteRule: 'cascade' })
  createdBy!: User;

  @Field(() => [String])
  @Property({ type: JsonType })
  scopes!: string[];

  @Field(() => String, { description: 'The first characters of the key, to recognise it.' })
  @Property({ type: 'string', length: 16 })
  prefix!: string;

  @Unique({ name: 'api_keys_hash_unique' })
  @Property({ type: 'string', length: 64, hidden: true })
  keyHash!: string;

  @Field(() => GraphQLDateTime)
  @Property({ type: DateTimeType })
  createdAt: Date = new Date();

  @Field(() => GraphQLDateTime, { nullable: true })
  @Property({ type: DateTimeType, nullable: true })
  expiresAt: Date | null = null;

  @Field(() => GraphQLDateTime, { nullable: true })
  @Property({ type: DateTimeType, nullable: true })
  lastUsedAt: Date | null = null;

  @Field(() => GraphQLDateTime, { nullable: true })
  @Property({ type: DateTimeType, nullable: true })
  revokedAt: Date | null = null;

  @Field(() => [String], { description: 'IPs or CIDR ranges the key may be used from; empty: anywhere.' })
  @Property({ type: JsonType })
  allowedIps: string[] = [];
}
