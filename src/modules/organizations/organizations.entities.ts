import { randomUUID } from 'node:crypto';
import { Collection, DateTimeType, OptionalProps, type Rel } from '@mikro-orm/core';
import { Entity, OneToMany, PrimaryKey, Property, Unique, ManyToOne, Index } from '@mikro-orm/decorators/legacy';
import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, ObjectType } from 'type-graphql';
import { Node } from '../../graphql/relay.js';
import { defineEnum, type ValueOf } from '../../graphql/enums.js';
import { User } from '../users/index.js';

/**
 * A name as it sorts and compares, an organization's or a team's: trimmed, NFKC, lower case, so
 * "apple" comes between "Acme" and "Bravo" on both databases (a plain `name` column sorts by case
 * on SQLite and on PostgreSQL's C collations, and by the locale on others); two teams of one
 * organization cannot share it.
 */
export const normalizeName = (name: string): string => name.trim().normalize('NFKC').toLowerCase();

/** A group of users with roles, teams and shared resources. */
@ObjectType('Organization', { implements: Node, description: 'A group of users with roles, teams, shared documents and API keys. Only its members can see it.' })
@Entity({ tableName: 'organizations' })
export class Organization {
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'description' | 'nameNormalized';

  @Field(() => ID, { description: 'The organization id, as REST uses it (`/api/organizations/{org_id}`).' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Field(() => String, { description: 'The display name (1 to 100 characters).' })
  @Property({ type: 'string', length: 100 })
  name!: string;

  /**
   * The name as lists order organizations (normalizeName), set by every write of the row. Its
   * default is the one the column was added with (SQLite cannot drop a column's default short of
   * rebuilding the table, whose drop would cascade to every row referencing an organization).
   */
  @Property({ type: 'string', length: 100, hidden: true, default: '', onCreate: (o: Organization) => normalizeName(o.name), onUpdate: (o: Organization) => normalizeName(o.name) })
  nameNormalized!: string;

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
