import { randomUUID } from 'node:crypto';
import { DateTimeType, Entity, Index, ManyToOne, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { User } from '../users/user.entity.js';
import { Organization } from './organization.entity.js';
import { Team } from './team.entity.js';

export enum OrgRole {
  owner = 'owner',
  admin = 'admin',
  member = 'member',
}
registerEnumType(OrgRole, { name: 'OrgRole', description: 'owner > admin > member.' });

/** How much each role may do; a check asks for at least a rank. */
export const ROLE_RANK: Record<OrgRole, number> = { member: 1, admin: 2, owner: 3 };

/** A user's place in an organization: one role, at most one team. */
@ObjectType('Member')
@Entity({ tableName: 'memberships' })
@Unique({ name: 'memberships_org_user_unique', properties: ['organization', 'user'] })
@Index({ name: 'memberships_user_index', properties: ['user'] })
export class Membership {
  [OptionalProps]?: 'joinedAt' | 'team';

  @Field(() => ID)
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Organization, { deleteRule: 'cascade' })
  organization!: Organization;

  @ManyToOne(() => User, { deleteRule: 'cascade' })
  user!: User;

  @Field(() => OrgRole)
  @Property({ type: 'string', length: 16 })
  role!: OrgRole;

  @ManyToOne(() => Team, { nullable: true, deleteRule: 'set null', index: 'memberships_team_index' })
  team: Team | null = null;

  @Field(() => GraphQLDateTime)
  @Property({ type: DateTimeType })
  joinedAt: Date = new Date();
}
