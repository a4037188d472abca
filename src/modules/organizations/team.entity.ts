import { randomUUID } from 'node:crypto';
import { DateTimeType, Entity, ManyToOne, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, ObjectType } from 'type-graphql';
import { Organization } from './organization.entity.js';

/** A named group inside an organization; a member belongs to at most one team. */
@ObjectType('Team')
@Entity({ tableName: 'teams' })
@Unique({ name: 'teams_org_name_unique', properties: ['organization', 'nameNormalized'] })
export class Team {
  [OptionalProps]?: 'createdAt';

  @Field(() => ID)
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Organization, { deleteRule: 'cascade' })
  organization!: Organization;

  @Field(() => String)
  @Property({ type: 'string', length: 100 })
  name!: string;

  @Property({ type: 'string', length: 100, hidden: true })
  nameNormalized!: string;

  @Field(() => GraphQLDateTime)
  @Property({ type: DateTimeType })
  createdAt: Date = new Date();
}
