import { randomUUID } from 'node:crypto';
import { DateTimeType, Entity, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, ObjectType } from 'type-graphql';

/** A group of users with roles, teams and shared resources. */
@ObjectType('Organization')
@Entity({ tableName: 'organizations' })
export class Organization {
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'description';

  @Field(() => ID)
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Field(() => String)
  @Property({ type: 'string', length: 100 })
  name!: string;

  @Field(() => String, { description: 'Unique, lower-case letters, digits and hyphens.' })
  @Unique({ name: 'organizations_slug_unique' })
  @Property({ type: 'string', length: 64 })
  slug!: string;

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: 1000, nullable: true })
  description: string | null = null;

  @Field(() => GraphQLDateTime)
  @Property({ type: DateTimeType })
  createdAt: Date = new Date();

  @Field(() => GraphQLDateTime)
  @Property({ type: DateTimeType, onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
