import { randomUUID } from 'node:crypto';
import { DateTimeType, OptionalProps, type Rel } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, ObjectType } from 'type-graphql';
import { defineEnum, type ValueOf } from '../../graphql/enums.js';
import { Node } from '../../graphql/relay.js';
import { User } from '../users/user.entity.js';
import { Organization } from './organization.entity.js';
import { Team } from './team.entity.js';

/** A member's role: REST and the services use the lower-case values, GraphQL OWNER, ADMIN, MEMBER. */
export const OrganizationRole = defineEnum(
  'OrganizationRole',
  'A role in an organization: owner > admin > member. An organization always keeps at least one owner.',
  {
    owner: 'Everything an admin may do, and: makes or unmakes owners, deletes the organization.',
    admin: 'Everything a member may do, and: changes the organization, adds, changes and removes members (not owners), manages teams.',
    member: "Reads the organization, its members and teams; issues API keys for it; leaves it.",
  },
  { message: 'must be owner, admin or member' },
);
export type OrgRole = ValueOf<typeof OrganizationRole>;
/** The roles by name, for code that names one (`OrgRole.admin`). */
export const OrgRole = Object.fromEntries(OrganizationRole.values.map((v) => [v, v])) as { readonly [R in OrgRole]: R };

/** How much each role may do; a check asks for at least a rank. */
export const ROLE_RANK: Record<OrgRole, number> = { member: 1, admin: 2, owner: 3 };

/** A user's place in an organization: one role, at most one team. */
@ObjectType('Member', { implements: Node, description: "A user's membership of an organization: their role, and their team if any. Its id is the membership's own (REST names a member by organization and user id)." })
@Entity({ tableName: 'memberships' })
@Unique({ name: 'memberships_org_user_unique', properties: ['organization', 'user'] })
@Index({ name: 'memberships_user_index', properties: ['user'] })
export class Membership {
  [OptionalProps]?: 'joinedAt' | 'team';

  @Field(() => ID, { description: "The membership's id (not the user's: see `user`)." })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  // Rel<>: Organization lists its memberships too, and a plain class type here would be read at load time, in the cycle.
  @ManyToOne(() => Organization, { deleteRule: 'cascade' })
  organization!: Rel<Organization>;

  @ManyToOne(() => User, { deleteRule: 'cascade' })
  user!: User;

  @Field(() => OrganizationRole.graphql, { description: 'The role in the organization.' })
  @Property({ type: 'string', length: 16 })
  role!: OrgRole;

  @ManyToOne(() => Team, { nullable: true, deleteRule: 'set null', index: 'memberships_team_index' })
  team: Team | null = null;

  @Field(() => GraphQLDateTime, { description: 'When the user joined the organization.' })
  @Property({ type: DateTimeType })
  joinedAt: Date = new Date();
}
