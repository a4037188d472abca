import { randomUUID } from 'node:crypto';
import { Collection, DateTimeType, OptionalProps } from '@mikro-orm/core';
import { Entity, OneToMany, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, ObjectType } from 'type-graphql';
import { Node } from '../../graphql/relay.js';
import { Membership } from './membership.entity.js';

/** A group of users with roles, teams and shared resources. */
@ObjectType('Organization', { implements: Node, description: 'A group of users with roles, teams, shared documents and API keys. Only its members can see it.' })
@Entity({ tableName: 'organizations' })
export class Organization {
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'description';

  @Field(() => ID, { description: 'The organization id, as REST uses it (`/api/organizations/{org_id}`).' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Field(() => String, { description: 'The display name (1 to 100 characters).' })
  @Property({ type: 'string', length: 100 })
  name!: string;

  @Field(() => String, { description: 'Unique, lower-case letters, digits and hyphens.' })
  @Unique({ name: 'organizations_slug_unique' })
  @Property({ type: 'string', length: 64 })
  slug!: string;

  @Field(() => String, { nullable: true, description: 'A free text description, or null.' })
  @Property({ type: 'string', length: 1000, nullable: true })
  description: string | null = null;

  @Field(() => GraphQLDateTime, { description: 'When the organization was created.' })
  @Property({ type: DateTimeType })
  createdAt: Date = new Date();

  @Field(() => GraphQLDateTime, { description: 'When its name, slug or description last changed.' })
  @Property({ type: DateTimeType, onUpdate: () => new Date() })
  updatedAt: Date = new Date();

  /** The inverse side of Membership.organization: lets queries filter organizations by member. */
  @OneToMany(() => Membership, (m) => m.organization)
  memberships = new Collection<Membership>(this);
}
