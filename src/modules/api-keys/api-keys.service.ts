import { createHash, randomBytes } from 'node:crypto';
import type { EntityManager, FilterQuery } from '@mikro-orm/core';
import ipaddr from 'ipaddr.js';
import { requireMembership, requireUser } from '../../common/access.js';
import type { Clock } from '../../common/clock.js';
import type { RequestContext } from '../../common/context.js';
import { AppError } from '../../common/errors.js';
import { isId } from '../../common/ids.js';
import type { Page, PageArgs } from '../../common/pagination.js';
import type { Principal } from '../../common/principal.js';
import type { EventBus } from '../../common/pubsub.js';
import { parseInput } from '../../common/validation.js';
import { rowsIn } from '../../db/rows-in.js';
import { findConnection, pageRequest, type ConnectionArgs, type ConnectionPage, type PageRequest } from '../../graphql/relay.js';
import { heldMembership, membershipLookup, OrgRole } from '../organizations/index.js';
import { User } from '../users/index.js';
import { Organization } from '../organizations/index.js';
import { ApiKey } from './api-keys.entities.js';
import { usersChanged } from '../users/index.js';
import { createApiKeySchema, listApiKeysPageSchema, listApiKeysSchema, type CreateApiKeyData } from './api-keys.types.js';

type KeyFilter = FilterQuery<ApiKey>;

const KEY_PATTERN = /^xntr-[A-Za-z0-9_-]{86}$/;
const PREFIX_LENGTH = 12;
/** last_used_at is written at most this often per key, not on every request. */
const LAST_USED_RESOLUTION_MS = 60_000;

const hashKey = (key: string): string => createHash('sha256').update(key).digest('hex');

/** `xntr-` and 86 URL-safe base64 characters: 64 bytes (512 bits) from the CSPRNG. */
export const newApiKey = (): string => `xntr-${randomBytes(64).toString('base64url')}`;

function ipAllowed(ip: string | null | undefined, allowed: readonly string[]): boolean {
  if (!allowed.length) return true;
  if (!ip || !ipaddr.isValid(ip)) return false;
  const addr = ipaddr.process(ip);
  return allowed.some((entry) => {
    if (entry.includes('/')) {
      const [range, bits] = ipaddr.parseCIDR(entry);
      return addr.kind() === range.kind() && addr.match(range, bits);
    }
    return ipaddr.process(entry).toNormalizedString() === addr.toNormalizedString();
  });
}

/** API keys: issued by members for one organization, acting for their creator there. */
/** A key just revoked: enough to announce it. */
type RevokedKey = { id: string; createdBy: { id: string } };

export class ApiKeysService {
  constructor(
    private readonly events: EventBus,
    private readonly clock: Clock,
  ) {}

  /**
   * Who sees a key of this organization in their `User.apiKeys`: its creator and the
   * organization's admins and owners. After a key appears or goes, their meUpdated fires.
   */
  async keyListChanged(em: EntityManager, organizationId: string, creatorIds: readonly string[]): Promise<void> {
    const admins = await membershipLookup(em).memberIds(organizationId, OrgRole.admin);
    usersChanged(this.events, [...creatorIds, ...admins]);
  }

  /** Deletes every key of an organization (being deleted), in the caller's transaction; answers those that were live. */
  async deleteForOrganization(em: EntityManager, organizationId: string): Promise<RevokedKey[]> {
    const keys = await em.find(ApiKey, { organization: organizationId, revokedAt: null }, { fields: ['id', 'createdBy'] });
    await em.nativeDelete(ApiKey, { organization: organizationId });
    return keys;
  }

  /** Revokes a member's keys of an organization (they leave it), in the caller's transaction. */
  async revokeForMember(em: EntityManager, organizationId: string, userId: string): Promise<RevokedKey[]> {
    const keys = await em.find(ApiKey, { organization: organizationId, createdBy: userId, revokedAt: null }, { fields: ['id', 'createdBy'] });
    if (keys.length) await em.nativeUpdate(ApiKey, { id: { $in: keys.map((k) => k.id) }, revokedAt: null }, { revokedAt: new Date(this.clock.now()) });
    return keys;
  }

  /** After commit: sockets authenticated by these keys close, on every process. */
  announceRevoked(keys: readonly { id: string; createdBy: { id: string } }[]): void {
    const byCreator = new Map<string, string[]>();
    for (const k of keys) byCreator.set(k.createdBy.id, [...(byCreator.get(k.createdBy.id) ?? []), k.id]);
    for (const [userId, apiKeyIds] of byCreator) this.events.publish('CREDENTIALS_REVOKED', { userId, reason: 'api_key_revoked', apiKeyIds });
  }

  /**
   * Issues a key. Any member may issue one for their organization; it can do no more than
   * they can. Bearer only. The full key is in the result this once; only its hash is kept.
   * @throws forbidden (API key caller), not_found, validation_error
   */
  async create(ctx: RequestContext, data: CreateApiKeyData): Promise<{ apiKey: ApiKey; key: string }> {
    const { userId } = requireUser(ctx);
    const input = parseInput(createApiKeySchema, data);
    if (input.expiresAt && input.expiresAt.getTime() <= this.clock.now()) throw AppError.validation([{ loc: ['expiresAt'], message: 'must be in the future' }]);
    await requireMembership(ctx, input.organizationId, 'bearer');
    const key = newApiKey();
    const apiKey = await ctx.em.transactional(async (tx) => {
      // Again under the organization's lock: a key written after its creator's removal revoked
      // their keys would stay live (the removal's revocation never saw it).
      if (!(await heldMembership(tx, ctx.config.db.driver, input.organizationId, userId))) throw AppError.notFound('Organization');
      return tx.create(ApiKey, {
        name: input.name,
        organization: tx.getReference(Organization, input.organizationId),
        createdBy: tx.getReference(User, userId),
        scopes: input.scopes,
        prefix: key.slice(0, PREFIX_LENGTH),
        keyHash: hashKey(key),
        expiresAt: input.expiresAt ?? null,
        allowedIps: input.allowedIps ?? [],
      });
    });
    ctx.log.info({ apiKeyId: apiKey.id, organizationId: input.organizationId }, 'api key created');
    await this.keyListChanged(ctx.em.fork(), input.organizationId, [userId]);
    return { apiKey, key };
  }

  /** The keys a user may see: live, their own or of organizations they administer. */
  private async visibleWhere(ctx: RequestContext, userId: string, organizationId?: string | null): Promise<KeyFilter> {
    const administered = await ctx.loaders.memberships.organizationIds(userId, OrgRole.admin);
    return {
      revokedAt: null,
      ...(organizationId ? { organization: organizationId } : {}),
      $or: administered.length ? [{ createdBy: userId }, { organization: { $in: administered } }] : [{ createdBy: userId }],
    };
  }

  /**
   * Live keys the caller may see: their own, and every key of organizations they administer.
   * Bearer only.
   * @throws forbidden (API key caller), validation_error, not_found (organization filter)
   */
  async list(ctx: RequestContext, data: { organizationId?: string | null } & PageArgs = {}): Promise<Page<ApiKey>> {
    const { userId } = requireUser(ctx);
    const { organizationId, limit, offset } = parseInput(listApiKeysPageSchema, data ?? {});
    if (organizationId) await requireMembership(ctx, organizationId, 'bearer');
    const [items, total] = await ctx.em.findAndCount(ApiKey, await this.visibleWhere(ctx, userId, organizationId), { orderBy: { createdAt: 'desc', id: 'asc' }, limit, offset });
    return { items, total };
  }

  /**
   * The same keys as `list`, newest first, as a connection.
   * @throws forbidden (API key caller), validation_error, not_found (organization filter)
   */
  async connection(ctx: RequestContext, data: { organizationId?: string | null } = {}, args?: ConnectionArgs | PageRequest): Promise<ConnectionPage<ApiKey>> {
    const { userId } = requireUser(ctx);
    const { organizationId } = parseInput(listApiKeysSchema, data ?? {});
    const request = pageRequest(args);
    if (organizationId) await requireMembership(ctx, organizationId, 'bearer');
    return findConnection(ctx.em, ApiKey, await this.visibleWhere(ctx, userId, organizationId), request, [{ createdAt: 'desc' }, { id: 'desc' }]);
  }

  /**
   * The keys among `ids` the caller may see (node lookups: the others are simply absent).
   * @throws forbidden (API key caller)
   */
  async visible(ctx: RequestContext, ids: readonly string[]): Promise<ApiKey[]> {
    const { userId } = requireUser(ctx);
    const wanted = ids.filter(isId);
    if (!wanted.length) return [];
    return ctx.em.find(ApiKey, { $and: [{ id: { $in: wanted } }, await this.visibleWhere(ctx, userId)] });
  }

  /**
   * Revokes a key, at once. Its creator, or an admin or owner of its organization. Revoking
   * a revoked key again is not an error.
   * @throws forbidden (API key caller), not_found
   */
  async revoke(ctx: RequestContext, keyId: string): Promise<void> {
    const { userId } = requireUser(ctx);
    const key = isId(keyId) ? await ctx.em.findOne(ApiKey, { id: keyId }) : null;
    if (!key) throw AppError.notFound('API key');
    if (key.createdBy.id !== userId) {
      const memberships = ctx.loaders.memberships;
      const m = await memberships.find(key.organization.id, userId);
      if (!m || memberships.rank(m.role) < memberships.rank(OrgRole.admin)) throw AppError.notFound('API key');
    }
    if (key.revokedAt) return;
    key.revokedAt = new Date(this.clock.now());
    await ctx.em.flush();
    ctx.log.info({ apiKeyId: key.id }, 'api key revoked');
    this.announceRevoked([key]);
    await this.keyListChanged(ctx.em.fork(), key.organization.id, [key.createdBy.id]);
  }

  /**
   * Which of these keys are not revoked (a key whose organization was deleted went with it).
   * One statement per 500 ids; expiry is not looked at (each holder keeps its own deadline).
   */
  async liveAmong(em: EntityManager, ids: readonly string[]): Promise<Set<string>> {
    const rows = await rowsIn<{ id: string }>(em, ids.filter(isId), (m) => `select id from api_keys where revoked_at is null and id in (${m})`);
    return new Set(rows.map((r) => r.id));
  }

  /**
   * Resolves an X-API-Key value to a principal.
   * @throws invalid_token (malformed, unknown, revoked, expired), forbidden (address not allowed)
   */
  async authenticate(em: EntityManager, value: string, ip: string | null | undefined): Promise<Principal> {
    if (!KEY_PATTERN.test(value)) throw new AppError('invalid_token', 'API key is malformed: expected xntr- and 86 characters');
    const key = await em.findOne(ApiKey, { keyHash: hashKey(value) });
    if (!key || key.revokedAt) throw new AppError('invalid_token', 'API key is not valid');
    const now = this.clock.now();
    if (key.expiresAt && key.expiresAt.getTime() <= now) throw new AppError('invalid_token', 'API key has expired');
    if (!ipAllowed(ip, key.allowedIps)) throw new AppError('forbidden', 'API key is not allowed from this address');
    if (!key.lastUsedAt || now - key.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      await em.nativeUpdate(ApiKey, { id: key.id }, { lastUsedAt: new Date(now) });
    }
    return { kind: 'apiKey', apiKeyId: key.id, userId: key.createdBy.id, organizationId: key.organization.id, scopes: key.scopes, expiresAt: key.expiresAt };
  }
}
