import { LockMode, type EntityManager } from '@mikro-orm/core';
import type { EntityManager as SqlEntityManager } from '@mikro-orm/sql';
import { authorize, requireMembership as requireAccess } from '../../common/access.js';
import type { Requirement } from '../../common/scopes.js';
import type { RequestContext } from '../../common/context.js';
import { AppError } from '../../common/errors.js';
import { isId } from '../../common/ids.js';
import { pageSchema, type Page, type PageArgs } from '../../common/pagination.js';
import type { EventBus, OrganizationEvent } from '../../common/pubsub.js';
import { parseInput } from '../../common/validation.js';
import { findConnection, pageRequest, type ConnectionArgs, type ConnectionPage, type PageRequest } from '../../graphql/relay.js';
import { flushOrConflict } from '../../db/flush.js';
import { usersChanged } from '../users/index.js';
import { User } from '../users/index.js';
import { normalizeEmail } from '../users/index.js';
import { Membership, OrgRole, ROLE_RANK } from './organizations.entities.js';
import { membershipKey } from './organizations.loaders.js';
import { Organization } from './organizations.entities.js';
import {
  addMemberSchema,
  createOrganizationSchema,
  replaceMemberSchema,
  teamSchema,
  updateMemberSchema,
  updateOrganizationSchema,
  type AddMemberData,
  type CreateOrganizationData,
  type ReplaceMemberData,
  type TeamData,
  type UpdateMemberData,
  type UpdateOrganizationData,
} from './organizations.types.js';
import { normalizeName, Team } from './organizations.entities.js';

/** "Acme Learning, Inc." -> "acme-learning-inc" */
export function slugify(name: string): string {
  const base = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 56)
    .replace(/-+$/g, '');
  return base || 'organization';
}

/** API keys that were revoked, to announce once the transaction commits. */
export type RevokedKeys = readonly { id: string; createdBy: { id: string } }[];

/**
 * What this module needs of an organization's API keys when it is deleted or loses a member:
 * the api-keys module's service provides it (its tables are written only by it).
 */
export interface OrganizationKeys {
  /** Deletes every key of the organization, in the caller's transaction; answers those that were live. */
  deleteForOrganization(em: EntityManager, organizationId: string): Promise<RevokedKeys>;
  /** Revokes a member's keys of the organization, in the caller's transaction. */
  revokeForMember(em: EntityManager, organizationId: string, userId: string): Promise<RevokedKeys>;
  /** After commit: sockets authenticated by these keys close. */
  announceRevoked(keys: RevokedKeys): void;
  /** After commit: those who see the organization's key list hear that it changed. */
  keyListChanged(em: EntityManager, organizationId: string, creatorIds: readonly string[]): Promise<void>;
}

/** common/access.ts's check, answering the Membership this module's lookup loaded (src/modules/organizations/index.ts). */
const requireMembership = (ctx: RequestContext, organizationId: string, need: Requirement, minRole?: OrgRole): Promise<Membership> =>
  requireAccess(ctx, organizationId, need, minRole) as Promise<Membership>;

/**
 * What another module removes with an organization: its rows that belong to it, inside the
 * deletion's transaction (before the organization's row goes, with the organization locked);
 * it may answer work for after the commit (files), given an entity manager outside it.
 */
export type OrganizationRemoval = (em: EntityManager, organizationId: string) => Promise<((em: EntityManager) => Promise<void>) | void>;

/**
 * What another module ends with a membership (a member removed, leaving, or moved to another
 * organization), inside that transaction; it may answer work for after the commit (announcements).
 */
export type MembershipEnd = (em: EntityManager, organizationId: string, userId: string) => Promise<(() => void) | void>;

/** Organizations, their members and teams. Every method checks the caller's role itself. */
export class OrganizationsService {
  private readonly removals: OrganizationRemoval[] = [];
  private readonly membershipEnds: MembershipEnd[] = [];

  constructor(
    private readonly events: EventBus,
    private readonly driver: 'sqlite' | 'postgresql',
    private readonly apiKeys: OrganizationKeys,
  ) {}

  /**
   * Registers what a module removes with an organization (src/modules/knowledge: its documents,
   * with their passages, search entries, jobs and files). The database would drop some rows by
   * itself (foreign keys that cascade), but not what only names the organization (search
   * entries) nor what is outside it (files).
   */
  onDelete(removal: OrganizationRemoval): void {
    this.removals.push(removal);
  }

  /** Registers what a module ends with a membership (src/modules/integration-tokens: the member's grants there). */
  onMembershipEnd(end: MembershipEnd): void {
    this.membershipEnds.push(end);
  }

  /** The registered MembershipEnd steps, in the caller's transaction; answers what to run after its commit. */
  private async endMembership(em: EntityManager, organizationId: string, userId: string): Promise<(() => void)[]> {
    const after: (() => void)[] = [];
    for (const end of this.membershipEnds) {
      const then = await end(em, organizationId, userId);
      if (then) after.push(then);
    }
    return after;
  }

  /**
   * Creates an organization; the caller becomes its owner. Through an API key holding
   * `organizations:write` (as documented), the key's creator owns it: the key itself stays
   * bound to its own organization.
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE, validation_error, conflict (slug taken)
   */
  async create(ctx: RequestContext, data: CreateOrganizationData): Promise<Organization> {
    const { userId } = authorize(ctx, 'organizations:write');
    const input = parseInput(createOrganizationSchema, data);
    const org = await ctx.em.transactional(async (em) => {
      const slug = input.slug ?? (await this.freeSlug(em, slugify(input.name)));
      if (input.slug && (await em.count(Organization, { slug }))) throw new AppError('conflict', 'This slug is already taken', { field: 'slug' });
      const org = em.create(Organization, { name: input.name, slug, description: input.description ?? null });
      em.create(Membership, { organization: org, user: em.getReference(User, userId), role: OrgRole.owner });
      await flushOrConflict(em, 'This slug is already taken', { field: 'slug' });
      return org;
    });
    ctx.log.info({ organizationId: org.id }, 'organization created');
    usersChanged(this.events, [userId]);
    return org;
  }

  /** The first of `base`, `base-2`, `base-3`... that no organization uses. */
  private async freeSlug(em: EntityManager, base: string): Promise<string> {
    const taken = new Set((await em.find(Organization, { slug: { $like: `${base}%` } }, { fields: ['slug'] })).map((o) => o.slug));
    if (!taken.has(base)) return base;
    for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
  }

  /**
   * The caller's organizations, by name. An API key sees its own organization only.
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE (organizations:read), validation_error
   */
  async listMine(ctx: RequestContext, args: PageArgs = {}, opts: { total?: boolean } = {}): Promise<Page<Organization>> {
    const p = authorize(ctx, 'organizations:read');
    const { limit, offset } = parseInput(pageSchema, args);
    const where = { user: p.userId, ...(p.kind === 'apiKey' ? { organization: p.organizationId } : {}) };
    const options = { populate: ['organization'] as const, orderBy: { organization: { nameNormalized: 'asc', id: 'asc' } } as const, limit, offset };
    // Without a total (GraphQL did not ask for it), no count statement; NaN fails loudly if read.
    const [rows, total] = opts.total === false ? [await ctx.em.find(Membership, where, options), Number.NaN] : await ctx.em.findAndCount(Membership, where, options);
    for (const m of rows) ctx.loaders.org.membership.prime(`${m.organization.id}:${p.userId}`, m);
    return { items: rows.map((m) => m.organization), total };
  }

  /**
   * The caller's organizations, by name, as a connection. An API key sees its own organization only.
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE (organizations:read), validation_error
   */
  async organizationsConnection(ctx: RequestContext, args?: ConnectionArgs | PageRequest): Promise<ConnectionPage<Organization>> {
    const p = authorize(ctx, 'organizations:read');
    const request = pageRequest(args);
    const where = { memberships: { user: p.userId }, ...(p.kind === 'apiKey' ? { id: p.organizationId } : {}) };
    return findConnection(ctx.em, Organization, where, request, [{ nameNormalized: 'asc' }, { id: 'asc' }]);
  }

  /**
   * The organizations among `ids` the caller belongs to (node lookups: the others are simply absent).
   * @throws as authorize (organizations:read)
   */
  async visibleOrganizations(ctx: RequestContext, ids: readonly string[]): Promise<Organization[]> {
    const p = authorize(ctx, 'organizations:read');
    const wanted = ids.filter((id) => isId(id) && (p.kind !== 'apiKey' || id === p.organizationId));
    if (!wanted.length) return [];
    return ctx.em.find(Organization, { id: { $in: wanted }, memberships: { user: p.userId } });
  }

  /**
   * The memberships among `ids` (Member ids) of organizations the caller belongs to.
   * @throws as authorize (organizations:read)
   */
  async visibleMembers(ctx: RequestContext, ids: readonly string[]): Promise<Membership[]> {
    const p = authorize(ctx, 'organizations:read');
    const wanted = ids.filter(isId);
    if (!wanted.length) return [];
    const rows = await ctx.em.find(Membership, { id: { $in: wanted }, ...(p.kind === 'apiKey' ? { organization: p.organizationId } : {}) });
    const mine = await Promise.all(rows.map((m) => ctx.loaders.org.membership.load(membershipKey(m.organization.id, p.userId))));
    return rows.filter((_, i) => mine[i]);
  }

  /**
   * The teams among `ids` of organizations the caller belongs to.
   * @throws as authorize (organizations:read)
   */
  async visibleTeams(ctx: RequestContext, ids: readonly string[]): Promise<Team[]> {
    const p = authorize(ctx, 'organizations:read');
    const found = await ctx.loaders.org.team.loadMany(ids.filter(isId));
    const teams = found.filter((t): t is Team => t instanceof Team && (p.kind !== 'apiKey' || t.organization.id === p.organizationId));
    const mine = await Promise.all(teams.map((t) => ctx.loaders.org.membership.load(membershipKey(t.organization.id, p.userId))));
    return teams.filter((_, i) => mine[i]);
  }

  /**
   * The users among `ids` the caller may see: themselves (with a bearer token, as `me`), and
   * anyone sharing an organization with them (organizations:read; an API key: in its organization).
   * @throws as authorize (organizations:read)
   */
  async visibleUsers(ctx: RequestContext, ids: readonly string[]): Promise<User[]> {
    const p = authorize(ctx, 'organizations:read');
    const wanted = [...new Set(ids.filter(isId))];
    if (!wanted.length) return [];
    const visible = new Set<string>();
    if (p.kind === 'user' && wanted.includes(p.userId)) visible.add(p.userId);
    const others = wanted.filter((id) => !visible.has(id));
    if (others.length) {
      const orgs =
        p.kind === 'apiKey' ? [p.organizationId] : (await ctx.em.find(Membership, { user: p.userId }, { fields: ['organization'] })).map((m) => m.organization.id);
      if (orgs.length) {
        const shared = await ctx.em.find(Membership, { user: { $in: others }, organization: { $in: orgs } }, { fields: ['user'] });
        for (const m of shared) visible.add(m.user.id);
      }
    }
    const users = await ctx.loaders.userById.loadMany([...visible]);
    return users.filter((u): u is User => u instanceof User);
  }

  /**
   * One organization the caller belongs to.
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE, not_found
   */
  async get(ctx: RequestContext, organizationId: string): Promise<Organization> {
    const m = await requireMembership(ctx, organizationId, 'organizations:read');
    return ctx.em.findOneOrFail(Organization, { id: m.organization.id });
  }

  /**
   * The organization, for the answer of a change the caller just made in it: that needed
   * organizations:write there, not organizations:read.
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE (organizations:write), not_found
   */
  async afterWrite(ctx: RequestContext, organizationId: string): Promise<Organization> {
    const m = await requireMembership(ctx, organizationId, 'organizations:write');
    return ctx.em.findOneOrFail(Organization, { id: m.organization.id });
  }

  /**
   * Renames or re-describes an organization. Admins and owners.
   * @throws not_found, forbidden, validation_error, conflict (slug taken)
   */
  async update(ctx: RequestContext, organizationId: string, data: UpdateOrganizationData): Promise<Organization> {
    const m = await requireMembership(ctx, organizationId, 'organizations:write', OrgRole.admin);
    const input = parseInput(updateOrganizationSchema, data ?? {});
    const org = await ctx.em.findOneOrFail(Organization, { id: m.organization.id });
    if (input.slug != null && input.slug !== org.slug && (await ctx.em.count(Organization, { slug: input.slug }))) {
      throw new AppError('conflict', 'This slug is already taken', { field: 'slug' });
    }
    if (input.name != null) org.name = input.name;
    if (input.slug != null) org.slug = input.slug;
    if (input.description !== undefined) org.description = input.description;
    await flushOrConflict(ctx.em, 'This slug is already taken', { field: 'slug' });
    this.publish(ctx, { organizationId: org.id, type: 'organization_updated' });
    // Every member's `organizations` shows its name (and is ordered by it).
    usersChanged(this.events, await this.memberIds(ctx.em.fork(), org.id));
    return org;
  }

  /**
   * Deletes an organization with its memberships, teams, API keys and what other modules keep of
   * it (onDelete), in one transaction; then what those modules do once it committed (files). Owners only.
   * @throws not_found, forbidden
   */
  async delete(ctx: RequestContext, organizationId: string): Promise<void> {
    await requireMembership(ctx, organizationId, 'organizations:write', OrgRole.owner);
    let members: string[] = [];
    const afterCommit: ((em: EntityManager) => Promise<void>)[] = [];
    const keys = await ctx.em.transactional(async (em) => {
      await this.lockOrganization(em, organizationId, null);
      members = await this.memberIds(em, organizationId);
      for (const removal of this.removals) {
        const after = await removal(em, organizationId);
        if (after) afterCommit.push(after);
      }
      const keys = await this.apiKeys.deleteForOrganization(em, organizationId);
      await em.nativeDelete(Membership, { organization: organizationId });
      await em.nativeDelete(Team, { organization: organizationId });
      await em.nativeDelete(Organization, { id: organizationId });
      return keys;
    });
    ctx.log.info({ organizationId }, 'organization deleted');
    for (const after of afterCommit) await after(ctx.em.fork()).catch((err: unknown) => ctx.log.warn({ err, organizationId }, 'a step after an organization\'s deletion failed (its rows are gone)'));
    this.apiKeys.announceRevoked(keys);
    this.publish(ctx, { organizationId, type: 'organization_deleted' });
    usersChanged(this.events, members);
  }

  /**
   * Members, oldest first; optionally those of one team.
   * @throws not_found, INSUFFICIENT_API_KEY_SCOPE, validation_error
   */
  async listMembers(ctx: RequestContext, organizationId: string, args: PageArgs & { teamId?: string | null } = {}, opts: { total?: boolean } = {}): Promise<Page<Membership>> {
    await requireMembership(ctx, organizationId, 'organizations:read');
    const { limit, offset } = parseInput(pageSchema, args);
    const teamId = args.teamId ?? null;
    if (teamId !== null) await this.teamOf(ctx, organizationId, teamId);
    const [items, total] = await Promise.all([
      ctx.loaders.org.membersPage.load({ organizationId, teamId, limit, offset }),
      opts.total === false ? Number.NaN : teamId === null ? ctx.loaders.org.memberCount.load(organizationId) : ctx.loaders.org.teamMemberCount.load(teamId),
    ]);
    return { items, total };
  }

  /**
   * Members, oldest first, as a connection: of the organization, or of one of its teams.
   * @throws not_found, INSUFFICIENT_API_KEY_SCOPE, validation_error
   */
  async membersConnection(ctx: RequestContext, organizationId: string, args?: ConnectionArgs | PageRequest, teamId: string | null = null): Promise<ConnectionPage<Membership>> {
    await requireMembership(ctx, organizationId, 'organizations:read');
    const request = pageRequest(args);
    if (teamId === null) return ctx.loaders.org.members.load({ parent: organizationId, request });
    await this.teamOf(ctx, organizationId, teamId);
    return ctx.loaders.org.teamMembers.load({ parent: teamId, request });
  }

  /**
   * Adds a user, by email or id, with a role and optionally a team. Admins and owners;
   * only an owner adds an owner.
   * @throws not_found (organization, user or team), forbidden, validation_error, conflict (already a member)
   */
  async addMember(ctx: RequestContext, organizationId: string, data: AddMemberData): Promise<Membership> {
    const actor = await requireMembership(ctx, organizationId, 'organizations:write', OrgRole.admin);
    const input = parseInput(addMemberSchema, data);
    const role = input.role ?? OrgRole.member;
    if (role === OrgRole.owner && actor.role !== OrgRole.owner) throw new AppError('forbidden', 'Only an owner can make an owner');
    const user = await ctx.em.findOne(User, input.userId ? { id: input.userId } : { emailNormalized: normalizeEmail(input.email!) });
    if (!user) throw new AppError('not_found', input.userId ? 'No user with this id' : 'No user with this email', { field: input.userId ? 'userId' : 'email' });
    const team = input.teamId ? await this.teamOf(ctx, organizationId, input.teamId) : null;
    // Under the organization's lock, as every other change of its memberships: a move of the same
    // user into it (which holds that lock while it inserts) and this insert each waited for the
    // other on PostgreSQL, and one of them failed as a deadlock (500).
    const membership = await ctx.em.transactional(async (em) => {
      const actorRole = await this.lockOrganization(em, organizationId, actor.user.id, OrgRole.admin);
      if (role === OrgRole.owner && actorRole !== OrgRole.owner) throw new AppError('forbidden', 'Only an owner can make an owner');
      const added = em.create(Membership, { organization: em.getReference(Organization, organizationId), user: em.getReference(User, user.id), role, team: team ? em.getReference(Team, team.id) : null });
      await flushOrConflict(em, 'This user is already a member');
      return added;
    });
    const member = await ctx.em.findOneOrFail(Membership, { id: membership.id }, { populate: ['user', 'team'], refresh: true });
    this.publish(ctx, { organizationId, type: 'member_added', userId: user.id, memberId: member.id });
    usersChanged(this.events, [user.id]);
    return member;
  }

  /**
   * Changes a member's role or team. Admins and owners; only an owner makes or unmakes
   * owners, and the last owner cannot be demoted (checked under a lock on the organization,
   * so two owners demoting each other at once cannot both succeed).
   * Returns the membership and the team it was in before.
   * @throws not_found, forbidden, validation_error, conflict (last owner)
   */
  async updateMember(ctx: RequestContext, organizationId: string, targetUserId: string, data: UpdateMemberData): Promise<{ member: Membership; previousTeamId: string | null }> {
    const actor = await requireMembership(ctx, organizationId, 'organizations:write', OrgRole.admin);
    const input = parseInput(updateMemberSchema, data ?? {});
    if (!isId(targetUserId)) throw AppError.notFound('Member');
    const team = input.teamId === undefined ? undefined : input.teamId === null ? null : await this.teamOf(ctx, organizationId, input.teamId);
    let previousTeamId: string | null = null;
    let roleChanged = false;
    const updated = await ctx.em.transactional(async (em) => {
      const actorRole = await this.lockOrganization(em, organizationId, actor.user.id, OrgRole.admin);
      const target = await em.findOne(Membership, { organization: organizationId, user: targetUserId }, { populate: ['user', 'team'] });
      if (!target) throw AppError.notFound('Member');
      previousTeamId = target.team?.id ?? null;
      // Admins change members, not owners: an owner's team too is for an owner to change.
      if (target.role === OrgRole.owner && actorRole !== OrgRole.owner && team !== undefined && (team?.id ?? null) !== previousTeamId) {
        throw new AppError('forbidden', "Only an owner can change an owner's membership");
      }
      const role = input.role ?? undefined;
      if (role !== undefined && role !== target.role) {
        if ((role === OrgRole.owner || target.role === OrgRole.owner) && actorRole !== OrgRole.owner) {
          throw new AppError('forbidden', 'Only an owner can make or unmake owners');
        }
        if (target.role === OrgRole.owner) await this.assertAnotherOwner(em, organizationId, 'demoted');
        target.role = role;
        roleChanged = true;
      }
      if (team !== undefined) target.team = team ? em.getReference(Team, team.id) : null;
      await em.flush();
      return target;
    });
    this.publish(ctx, { organizationId, type: 'member_updated', userId: targetUserId, memberId: updated.id });
    // Their role shows in their `organizations` (viewerRole), and decides which API keys they see.
    if (roleChanged) usersChanged(this.events, [targetUserId]);
    const member = await ctx.em.findOneOrFail(Membership, { id: updated.id }, { populate: ['user', 'team'], refresh: true });
    return { member, previousTeamId };
  }

  /**
   * The comprehensive update (PUT): the member as they should be, role and team at once (no
   * team when `teamId` is absent), and with `organizationId` naming another organization, a
   * move: the caller needs admin rights in both, only an owner moves an owner or makes one,
   * the last owner stays, someone already in the destination is a conflict. A move is one
   * transaction: the membership ends where it was (its API keys revoked, as on removal) and
   * begins in the destination. Both organizations are locked, in id order.
   * @throws not_found, forbidden, validation_error, conflict (last owner, already a member)
   */
  async replaceMember(
    ctx: RequestContext,
    organizationId: string,
    targetUserId: string,
    data: ReplaceMemberData,
  ): Promise<{ member: Membership; previousTeamId: string | null; moved: { from: string; membershipId: string } | null }> {
    const input = parseInput(replaceMemberSchema, data ?? {});
    const to = input.organizationId ?? organizationId;
    if (to === organizationId) {
      const { member, previousTeamId } = await this.updateMember(ctx, organizationId, targetUserId, { role: input.role, teamId: input.teamId ?? null });
      return { member, previousTeamId, moved: null };
    }
    const actor = await requireMembership(ctx, organizationId, 'organizations:write', OrgRole.admin);
    const destination = await requireMembership(ctx, to, 'organizations:write', OrgRole.admin).catch((e: unknown) => {
      throw e instanceof AppError && e.code === 'not_found' ? new AppError('not_found', 'No organization with this id where you are an admin', { field: 'organization_id' }) : e;
    });
    if (!isId(targetUserId)) throw AppError.notFound('Member');
    if (input.role === OrgRole.owner && destination.role !== OrgRole.owner) throw new AppError('forbidden', 'Only an owner of the destination can make an owner there');
    const team = input.teamId ? await this.teamOf(ctx, to, input.teamId) : null;
    const moved = await ctx.em.transactional(async (em) => {
      const roles = new Map<string, OrgRole | null>();
      for (const id of [organizationId, to].sort()) roles.set(id, await this.lockOrganization(em, id, actor.user.id, OrgRole.admin));
      const source = await em.findOne(Membership, { organization: organizationId, user: targetUserId }, { populate: ['team'] });
      if (!source) throw AppError.notFound('Member');
      if (source.role === OrgRole.owner) {
        if (roles.get(organizationId) !== OrgRole.owner) throw new AppError('forbidden', 'Only an owner can move an owner');
        await this.assertAnotherOwner(em, organizationId, 'removed');
      }
      if (await em.count(Membership, { organization: to, user: targetUserId })) throw new AppError('conflict', 'This user is already a member of the destination organization');
      const keys = await this.apiKeys.revokeForMember(em, organizationId, targetUserId);
      const ended = await this.endMembership(em, organizationId, targetUserId);
      await em.nativeDelete(Membership, { id: source.id });
      const member = em.create(Membership, { organization: em.getReference(Organization, to), user: em.getReference(User, targetUserId), role: input.role, team: team ? em.getReference(Team, team.id) : null });
      await em.flush();
      return { member, keys, ended, membershipId: source.id, previousTeamId: source.team?.id ?? null };
    });
    await this.membershipEnded(ctx, organizationId, targetUserId, moved.membershipId, moved.keys, moved.ended);
    this.publish(ctx, { organizationId: to, type: 'member_added', userId: targetUserId, memberId: moved.member.id });
    const member = await ctx.em.findOneOrFail(Membership, { id: moved.member.id }, { populate: ['user', 'team'], refresh: true });
    return { member, previousTeamId: moved.previousTeamId, moved: { from: organizationId, membershipId: moved.membershipId } };
  }

  /**
   * Removes a member, or lets a member leave. Admins and owners remove others; only an
   * owner removes an owner; the last owner can neither be removed nor leave. The member's
   * API keys for the organization are revoked with them. Returns the removed membership's id
   * and the team it was in.
   * @throws not_found, forbidden, conflict (last owner)
   */
  async removeMember(ctx: RequestContext, organizationId: string, targetUserId: string): Promise<{ membershipId: string; teamId: string | null }> {
    const p = authorize(ctx, 'organizations:write');
    const self = targetUserId === p.userId;
    const actor = await requireMembership(ctx, organizationId, 'organizations:write', self ? OrgRole.member : OrgRole.admin);
    if (!isId(targetUserId)) throw AppError.notFound('Member');
    const removed = await ctx.em.transactional(async (em) => {
      const actorRole = await this.lockOrganization(em, organizationId, actor.user.id, self ? OrgRole.member : OrgRole.admin);
      const target = await em.findOne(Membership, { organization: organizationId, user: targetUserId });
      if (!target) throw AppError.notFound('Member');
      if (target.role === OrgRole.owner) {
        if (!self && actorRole !== OrgRole.owner) throw new AppError('forbidden', 'Only an owner can remove an owner');
        await this.assertAnotherOwner(em, organizationId, self ? 'leave' : 'removed');
      }
      const keys = await this.apiKeys.revokeForMember(em, organizationId, targetUserId);
      const ended = await this.endMembership(em, organizationId, targetUserId);
      await em.nativeDelete(Membership, { id: target.id });
      return { membershipId: target.id, teamId: target.team?.id ?? null, keys, ended };
    });
    await this.membershipEnded(ctx, organizationId, targetUserId, removed.membershipId, removed.keys, removed.ended);
    return { membershipId: removed.membershipId, teamId: removed.teamId };
  }

  /** After the commit that ended a membership (a removal, or a move elsewhere): who must hear of it. */
  private async membershipEnded(ctx: RequestContext, organizationId: string, userId: string, membershipId: string, keys: RevokedKeys, ended: (() => void)[]): Promise<void> {
    this.apiKeys.announceRevoked(keys);
    for (const then of ended) then();
    usersChanged(this.events, [userId]);
    // Their keys were revoked with them: the admins who saw them see them no more.
    if (keys.length) await this.apiKeys.keyListChanged(ctx.em.fork(), organizationId, []);
    // The caller's own view of this request: the membership is gone.
    ctx.loaders.org.membership.clear(membershipKey(organizationId, userId));
    this.publish(ctx, { organizationId, type: 'member_removed', userId, memberId: membershipId });
  }

  /**
   * Teams of an organization, by name.
   * @throws not_found, INSUFFICIENT_API_KEY_SCOPE
   */
  async listTeams(ctx: RequestContext, organizationId: string): Promise<Team[]> {
    await requireMembership(ctx, organizationId, 'organizations:read');
    return ctx.loaders.org.teams.load(organizationId);
  }

  /**
   * Teams of an organization, by name, as a connection.
   * @throws not_found, INSUFFICIENT_API_KEY_SCOPE, validation_error
   */
  async teamsConnection(ctx: RequestContext, organizationId: string, args?: ConnectionArgs | PageRequest): Promise<ConnectionPage<Team>> {
    await requireMembership(ctx, organizationId, 'organizations:read');
    return ctx.loaders.org.teamPages.load({ parent: organizationId, request: pageRequest(args) });
  }

  /**
   * One team of an organization the caller belongs to.
   * @throws not_found, INSUFFICIENT_API_KEY_SCOPE
   */
  async getTeam(ctx: RequestContext, teamId: string): Promise<Team> {
    authorize(ctx, 'organizations:read');
    const team = isId(teamId) ? await ctx.loaders.org.team.load(teamId) : null;
    if (!team) throw AppError.notFound('Team');
    try {
      await requireMembership(ctx, team.organization.id, 'organizations:read');
    } catch (e) {
      if (e instanceof AppError && e.code === 'not_found') throw AppError.notFound('Team');
      throw e;
    }
    return team;
  }

  /**
   * Creates a team. Admins and owners. Names are unique in the organization, whatever their case.
   * @throws not_found, forbidden, validation_error, conflict
   */
  async createTeam(ctx: RequestContext, organizationId: string, data: TeamData): Promise<Team> {
    const actor = await requireMembership(ctx, organizationId, 'organizations:write', OrgRole.admin);
    const { name } = parseInput(teamSchema, data);
    const team = ctx.em.create(Team, { organization: actor.organization, name, nameNormalized: normalizeName(name) });
    await this.flushTeam(ctx.em);
    this.publish(ctx, { organizationId, type: 'team_created', teamId: team.id });
    return team;
  }

  /**
   * Renames a team. Admins and owners.
   * @throws not_found, forbidden, validation_error, conflict
   */
  async renameTeam(ctx: RequestContext, organizationId: string, teamId: string, data: TeamData): Promise<Team> {
    await requireMembership(ctx, organizationId, 'organizations:write', OrgRole.admin);
    const { name } = parseInput(teamSchema, data);
    const team = await this.teamOf(ctx, organizationId, teamId);
    team.name = name;
    team.nameNormalized = normalizeName(name);
    await this.flushTeam(ctx.em);
    this.publish(ctx, { organizationId, type: 'team_updated', teamId });
    return team;
  }

  /**
   * Deletes a team; its members stay in the organization, without a team. Admins and owners.
   * @throws not_found, forbidden
   */
  async deleteTeam(ctx: RequestContext, organizationId: string, teamId: string): Promise<void> {
    await requireMembership(ctx, organizationId, 'organizations:write', OrgRole.admin);
    const team = await this.teamOf(ctx, organizationId, teamId);
    await ctx.em.transactional(async (em) => {
      await em.nativeUpdate(Membership, { team: team.id }, { team: null });
      await em.nativeDelete(Team, { id: team.id });
    });
    this.publish(ctx, { organizationId, type: 'team_deleted', teamId });
  }

  /** The ids of an organization's members. */
  private async memberIds(em: EntityManager, organizationId: string): Promise<string[]> {
    return (await em.find(Membership, { organization: organizationId }, { fields: ['user'] })).map((m) => m.user.id);
  }

  /** A team of this organization, or not_found. */
  private async teamOf(ctx: RequestContext, organizationId: string, teamId: string): Promise<Team> {
    const team = isId(teamId) ? await ctx.loaders.org.team.load(teamId) : null;
    if (!team || team.organization.id !== organizationId) throw AppError.notFound('Team');
    return team;
  }

  private async flushTeam(em: EntityManager): Promise<void> {
    await flushOrConflict(em, 'A team with this name already exists', { field: 'name' });
  }

  /**
   * Serialises changes to one organization's memberships. PostgreSQL locks the row; SQLite
   * runs one transaction at a time on its single connection already. Returns the actor's
   * role as it is under the lock: a role checked before it may have changed meanwhile.
   */
  private async lockOrganization(em: EntityManager, organizationId: string, actorId: string | null, minRole: OrgRole = OrgRole.member): Promise<OrgRole | null> {
    const org = await em.findOne(Organization, { id: organizationId }, this.driver === 'postgresql' ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {});
    if (!org) throw AppError.notFound('Organization');
    if (actorId === null) return null;
    const actor = await em.findOne(Membership, { organization: organizationId, user: actorId }, { refresh: true });
    if (!actor) throw AppError.notFound('Organization');
    if (ROLE_RANK[actor.role] < ROLE_RANK[minRole]) throw new AppError('forbidden', `This needs the ${minRole} role in the organization; you are ${actor.role}`);
    return actor.role;
  }

  private async assertAnotherOwner(em: EntityManager, organizationId: string, what: 'demoted' | 'removed' | 'leave'): Promise<void> {
    const owners = await em.count(Membership, { organization: organizationId, role: OrgRole.owner });
    if (owners <= 1) {
      const verb = what === 'leave' ? 'cannot leave' : `cannot be ${what}`;
      throw new AppError('conflict', `The last owner ${verb}; make another member owner first`);
    }
  }

  private publish(ctx: RequestContext, e: Pick<OrganizationEvent, 'organizationId' | 'type'> & Partial<OrganizationEvent>): void {
    this.events.publish('ORGANIZATION_EVENT', {
      userId: null,
      memberId: null,
      teamId: null,
      actorId: ctx.principal?.userId ?? '',
      at: new Date().toISOString(),
      ...e,
    });
  }
}

/**
 * For a write that stands on a membership (an API key, an integration grant): in the caller's
 * transaction, the membership of `userId` as it is once no change of the organization's
 * memberships is under way. PostgreSQL locks the organization's row in share mode until the
 * commit: a removal, a move or a deletion (which lock it for update) that committed meanwhile is
 * seen, and one that comes after waits for this write, and then ends what it made. SQLite runs
 * one write transaction at a time. Null when the membership is gone.
 */
export async function heldMembership(em: EntityManager, driver: 'sqlite' | 'postgresql', organizationId: string, userId: string): Promise<Membership | null> {
  if (driver === 'postgresql') await em.findOne(Organization, { id: organizationId }, { lockMode: LockMode.PESSIMISTIC_READ });
  return em.findOne(Membership, { organization: organizationId, user: userId }, { refresh: true });
}

/** `%`, `_` and the escape character itself, escaped for `like ? escape '\'`. */
const likeContains = (q: string): string => `%${q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * For the admin statistics (src/modules/stats/): a select of `(user_id, username, full_name)`,
 * the members of an organization, of one of its teams with `teamId`, one member with `userId`,
 * and with `q` only those whose username, full name or email contains it (case-insensitive).
 */
export function organizationMembersSql(filter: { organizationId: string; teamId?: string | null; userId?: string | null; q?: string | null }): { sql: string; params: unknown[] } {
  const params: unknown[] = [filter.organizationId];
  let sql = 'select m.user_id, u.username, u.full_name from memberships as m inner join users as u on u.id = m.user_id where m.organization_id = ?';
  if (filter.teamId) {
    sql += ' and m.team_id = ?';
    params.push(filter.teamId);
  }
  if (filter.userId) {
    sql += ' and m.user_id = ?';
    params.push(filter.userId);
  }
  if (filter.q) {
    const like = likeContains(filter.q);
    sql += " and (u.username_normalized like ? escape '\\' or lower(coalesce(u.full_name, '')) like ? escape '\\' or u.email_normalized like ? escape '\\')";
    params.push(like, like, like);
  }
  return { sql, params };
}

/** One membership of a user, as the admin statistics list it. */
export interface Affiliation {
  userId: string;
  organizationId: string;
  organizationName: string;
  teamId: string | null;
  teamName: string | null;
  role: OrgRole;
}

/**
 * The memberships of `userIds` in the organizations the viewer belongs to (with
 * `viewer.organizationId`, that one only: an API key's), by organization name: one statement,
 * whatever the number of users.
 */
export async function affiliationsOf(em: EntityManager, userIds: readonly string[], viewer: { userId: string; organizationId?: string | null }): Promise<Affiliation[]> {
  if (!userIds.length) return [];
  const rows = await (em as SqlEntityManager).execute<{ user_id: string; organization_id: string; organization_name: string; team_id: string | null; team_name: string | null; role: OrgRole }[]>(
    'select m.user_id, o.id as organization_id, o.name as organization_name, t.id as team_id, t.name as team_name, m.role from memberships as m' +
      ' inner join organizations as o on o.id = m.organization_id left join teams as t on t.id = m.team_id' +
      ` where m.user_id in (${userIds.map(() => '?').join(', ')}) and m.organization_id in (select v.organization_id from memberships as v where v.user_id = ?)` +
      `${viewer.organizationId ? ' and m.organization_id = ?' : ''} order by o.name_normalized, o.id`,
    [...userIds, viewer.userId, ...(viewer.organizationId ? [viewer.organizationId] : [])],
  );
  return rows.map((r) => ({ userId: String(r.user_id), organizationId: String(r.organization_id), organizationName: r.organization_name, teamId: r.team_id === null ? null : String(r.team_id), teamName: r.team_name, role: r.role }));
}
