import { randomUUID } from 'node:crypto';
import { DateTimeType, OptionalProps, type Rel } from '@mikro-orm/core';
import { Entity, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, ObjectType } from 'type-graphql';
import { Node } from '../../graphql/relay.js';
import { Organization } from './organization.entity.js';

/** A named group inside an organization; a member belongs to at most one team. */
@ObjectType('Team', { implements: Node, description: 'A named group inside an organization; a member belongs to at most one team. Visible to the members of its organization.' })
@Entity({ tableName: 'teams' })
@Unique({ name: 'teams_org_name_unique', properties: ['organization', 'nameNormalized'] })
export class Team {
  [OptionalProps]?: 'createdAt';

  @Field(() => ID, { description: 'The team id, as REST uses it.' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  // Rel<>: the entity files import each other (Organization lists its memberships, which name teams).
  @ManyToOne(() => Organization, { deleteRule: 'cascade' })
  organization!: Rel<Organization>;

  @Field(() => String, { description: 'The name, unique in the organization whatever its case.' })
  @Property({ type: 'string', length: 100 })
  name!: string;

  @Property({ type: 'string', length: 100, hidden: true })
  nameNormalized!: string;

  @Field(() => GraphQLDateTime, { description: 'When the team was created.' })
  @Property({ type: DateTimeType })
  createdAt: Date = new Date();
}
