import { randomUUID } from 'node:crypto';
import { DateTimeType, JsonType, OptionalProps } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, ObjectType } from 'type-graphql';
import { ApiKeyScope, type Scope } from '../../common/scopes.js';
import { Node } from '../../graphql/relay.js';
import { Organization } from '../organizations/index.js';
import { User } from '../users/index.js';

/** A credential for server-to-server callers. Only the SHA-256 of the key is stored. */
@ObjectType('ApiKey', {
  implements: Node,
  description: 'A credential for server-to-server callers (`X-API-Key`), acting for its creator in one organization within its scopes. Only its hash is kept; the key itself is shown once, by createApiKey.',
})
@Entity({ tableName: 'api_keys' })
@Index({ name: 'api_keys_org_index', properties: ['organization', 'createdBy'] })
export class ApiKey {
  [OptionalProps]?: 'createdAt' | 'expiresAt' | 'lastUsedAt' | 'revokedAt' | 'allowedIps';

  @Field(() => ID, { description: 'The key id, as REST uses it (`/api/api-keys/{key_id}`).' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Field(() => String, { description: 'A name to recognise it by.' })
  @Property({ type: 'string', length: 100 })
  name!: string;

  @ManyToOne(() => Organization, { deleteRule: 'cascade' })
  organization!: Organization;

  @ManyToOne(() => User, { deleteRule: 'cascade' })
  createdBy!: User;

  @Field(() => [ApiKeyScope.graphql], { description: 'What it may do.' })
  @Property({ type: JsonType })
  scopes!: Scope[];

  @Field(() => String, { description: 'The first characters of the key, to recognise it.' })
  @Property({ type: 'string', length: 16 })
  prefix!: string;

  @Unique({ name: 'api_keys_hash_unique' })
  @Property({ type: 'string', length: 64, hidden: true })
  keyHash!: string;

  @Field(() => GraphQLDateTime, { description: 'When it was issued.' })
  @Property({ type: DateTimeType })
  createdAt: Date = new Date();

  @Field(() => GraphQLDateTime, { nullable: true, description: 'When it stops working; null: never.' })
  @Property({ type: DateTimeType, nullable: true })
  expiresAt: Date | null = null;

  @Field(() => GraphQLDateTime, { nullable: true, description: 'When it was last used (to the minute); null: never.' })
  @Property({ type: DateTimeType, nullable: true })
  lastUsedAt: Date | null = null;

  // Not in the schema: revoked keys are in no list and no lookup.
  @Property({ type: DateTimeType, nullable: true })
  revokedAt: Date | null = null;

  @Field(() => [String], { description: 'IPs or CIDR ranges the key may be used from; empty: anywhere.' })
  @Property({ type: JsonType })
  allowedIps: string[] = [];
}
