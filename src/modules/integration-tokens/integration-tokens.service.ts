import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core';
import {
  calculateJwkThumbprint,
  decodeJwt,
  decodeProtectedHeader,
  errors as joseErrors,
  exportJWK,
  exportPKCS8,
  generateKeyPair,
  importJWK,
  importPKCS8,
  jwtVerify,
  SignJWT,
  type CryptoKey,
  type JWTPayload,
} from 'jose';
import { authorize, requireMembership, requireUser } from '../../common/access.js';
import type { Clock } from '../../common/clock.js';
import { withEntityManager, type RequestContext } from '../../common/context.js';
import { AppError } from '../../common/errors.js';
import { isId } from '../../common/ids.js';
import type { IntegrationScope } from '../../common/integration-scopes.js';
import type { Page } from '../../common/pagination.js';
import type { Principal } from '../../common/principal.js';
import type { EventBus } from '../../common/pubsub.js';
import { grants } from '../../common/scopes.js';
import { toDate } from '../../common/time.js';
import { parseInput } from '../../common/validation.js';
import type { Config } from '../../config.js';
import { rowsIn } from '../../db/rows-in.js';
import { connectionPage, findConnection, pageRequest, type ConnectionArgs, type ConnectionPage, type PageRequest } from '../../graphql/relay.js';
import { TokenCipher } from '../integrations/index.js';
import { heldMembership, Membership, Organization } from '../organizations/index.js';
import { User } from '../users/index.js';
import { IntegrationSigningKey, IntegrationToken } from './integration-tokens.entities.js';
import {
  grantSchema,
  revocationsSchema,
  revokeSchema,
  rotateSchema,
  tenantQuerySchema,
  verifySchema,
  type Failure,
  type GrantData,
  type RevokeData,
  type RotateData,
  type TokenMode,
  type VerifyData,
} from './integration-tokens.types.js';

const ALG = 'RS256';
/** The JWT `typ` of integration tokens: neither an access token nor any other JWT passes for one. */
export const INTEGRATION_TOKEN_TYPE = 'xentree-integration+jwt';
/** `claims` keeps at most this many header segments' answers, each at most this long. */
const HEADER_KINDS_KEPT = 256;
const HEADER_SEGMENT_KEPT_CHARS = 512;
/** The `aud` of every integration token; the tenant is the `tenant_id` claim (and the key that signed it). */
export const INTEGRATION_AUDIENCE = 'xentree-integration';

/** What an API key must hold to grant a scope (a key cannot hand out more than it has). */
const KEY_NEEDS: Record<IntegrationScope, 'live:read' | 'xel:read' | null> = {
  'profile:read': null,
  'quota:read': 'live:read',
  'xel:read': 'xel:read',
  'live:read': 'live:read',
};

export interface Grant {
  token: string;
  tokenType: 'Bearer';
  expiresIn: number;
  jti: string;
  tenantId: string;
}

export interface Claims {
  jti: string;
  tenantId: string;
  subjectId: string;
  scopes: string[];
  mode: TokenMode;
  origin: string | null;
  issuedAt: Date;
  expiresAt: Date;
}

export interface Verification {
  valid: boolean;
  revoked: boolean;
  reason: Failure | null;
  claims: Claims | null;
}

export interface Revocation {
  tenantId: string;
  jti: string;
  reason: string | null;
  revokedAt: Date;
  revokedById: string | null;
}

export interface PublicJwk {
  kty: string;
  kid: string;
  alg: string;
  use: string;
  n: string;
  e: string;
}

/** A checked signature: the claims, or why there are none. */
type Checked = { ok: true; claims: Claims; expired: boolean } | { ok: false; reason: Failure };

const sealAad = (organizationId: string, kid: string) => `integration-signing-key:${organizationId}:${kid}`;

/**
 * Integration tokens: short-lived RS256 JWTs a user grants for a tenant (an organization),
 * signed by the tenant's own key. Keys are made on the first grant, sealed at rest with the
 * integrations' token cipher, and replaced after INTEGRATION_TOKEN_KEY_ROTATION_SECONDS (the
 * old one stays in the JWKS while tokens it signed can be valid). A grant is a credential:
 * the auth service hands bearer tokens of this type to `authenticate`, which checks the
 * signature (keys cached by kid), then the grant's row and the grantor's membership in one
 * query, so a revocation holds at once on every process sharing the database.
 */
export class IntegrationTokensService {
  private readonly cipher: TokenCipher;
  /** Public keys by kid: immutable once made, so kept for the process's life. */
  private readonly verifyKeys = new Map<string, { organizationId: string; key: CryptoKey }>();
  /** Opened private keys by kid. */
  private readonly signKeys = new Map<string, CryptoKey>();
  /** `claims`' answers by a token's header segment. */
  private readonly headerKinds = new Map<string, boolean>();

  constructor(
    private readonly config: Config,
    private readonly clock: Clock,
    private readonly events: EventBus,
  ) {
    this.cipher = new TokenCipher(config.integrations.encryptionKeys);
  }

  private now(): Date {
    return new Date(this.clock.now());
  }

  /**
   * A member's grants in an organization end with the membership (OrganizationsService.onMembershipEnd):
   * revoked in its transaction (reason `membership ended`), so adding the member back does not
   * bring them back, and they are listed among the revocations; after the commit, sockets opened
   * with them close, as they do when a grant is revoked by hand.
   */
  async revokeForMembershipEnd(em: EntityManager, organizationId: string, userId: string): Promise<(() => void) | void> {
    const live = await em.find(IntegrationToken, { organization: organizationId, user: userId, revokedAt: null }, { fields: ['id'] });
    if (!live.length) return;
    const ids = live.map((t) => t.id);
    await em.nativeUpdate(IntegrationToken, { id: { $in: ids }, revokedAt: null }, { revokedAt: this.now(), revokedReason: 'membership ended' });
    return () => this.events.publish('CREDENTIALS_REVOKED', { userId, reason: 'integration_token_revoked', integrationTokenIds: ids });
  }

  /**
   * An organization's grants go with it (OrganizationsService.onDelete; the database deletes the
   * rows): after the commit, sockets opened with them close.
   */
  async revokeForOrganizationDelete(em: EntityManager, organizationId: string): Promise<(() => Promise<void>) | void> {
    const live = await em.find(IntegrationToken, { organization: organizationId, revokedAt: null }, { fields: ['id', 'user'] });
    if (!live.length) return;
    const byUser = new Map<string, string[]>();
    for (const t of live) byUser.set(t.user.id, [...(byUser.get(t.user.id) ?? []), t.id]);
    return async () => {
      for (const [userId, ids] of byUser) this.events.publish('CREDENTIALS_REVOKED', { userId, reason: 'integration_token_revoked', integrationTokenIds: ids });
    };
  }

  private ensureConfigured(): void {
    if (!this.cipher.configured) throw new AppError('service_unavailable', 'Integration tokens need INTEGRATIONS_ENCRYPTION_KEYS on this server');
  }

  /* ---------------------------------------------------------------- keys */

  /** The tenant's signing key, made or replaced when there is none or it is too old. */
  private async signingKey(em: EntityManager, organizationId: string): Promise<IntegrationSigningKey> {
    const current = await em.findOne(IntegrationSigningKey, { organization: organizationId, retiredAt: null }, { orderBy: { generation: 'desc' }, populate: ['privateKeyCiphertext'] });
    const now = this.now();
    if (current && now.getTime() - current.createdAt.getTime() < this.config.integrationTokens.keyRotationSeconds * 1000) return current;
    return this.rotateKey(em, organizationId, current, now);
  }

  /**
   * Makes the tenant's next key and retires the ones before it (they verify for the longest
   * token lifetime more). Two processes doing this at once: the unique generation lets one
   * win, and the other takes the winner's key.
   */
  private async rotateKey(em: EntityManager, organizationId: string, current: IntegrationSigningKey | null, now: Date): Promise<IntegrationSigningKey> {
    const { privateKey, publicKey } = await generateKeyPair(ALG, { extractable: true });
    const jwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(jwk, 'sha256');
    const sealed = this.cipher.seal(await exportPKCS8(privateKey), sealAad(organizationId, kid));
    const generation = (current?.generation ?? 0) + 1;
    const fork = em.fork();
    try {
      fork.create(IntegrationSigningKey, {
        kid,
        organization: fork.getReference(Organization, organizationId),
        generation,
        publicJwk: { kty: jwk.kty, n: jwk.n, e: jwk.e },
        cipherKeyId: sealed.keyId,
        privateKeyCiphertext: sealed.ciphertext,
        createdAt: now,
      });
      await fork.flush();
    } catch (e) {
      if (!(e instanceof UniqueConstraintViolationException)) throw e;
      const winner = await em.fork().findOne(IntegrationSigningKey, { organization: organizationId, generation }, { populate: ['privateKeyCiphertext'] });
      if (!winner) throw e;
      return winner;
    }
    this.signKeys.set(kid, privateKey);
    const verifiesUntil = new Date(now.getTime() + this.config.integrationTokens.maxTtlSeconds * 1000);
    await em.fork().nativeUpdate(IntegrationSigningKey, { organization: organizationId, generation: { $lt: generation }, retiredAt: null }, { retiredAt: now, verifiesUntil });
    return (await em.fork().findOne(IntegrationSigningKey, { kid }, { populate: ['privateKeyCiphertext'] }))!;
  }

  private async privateKeyOf(key: IntegrationSigningKey): Promise<CryptoKey> {
    let k = this.signKeys.get(key.kid);
    if (!k) {
      const pem = this.cipher.open({ keyId: key.cipherKeyId, ciphertext: key.privateKeyCiphertext }, sealAad(key.organization.id, key.kid));
      k = await importPKCS8(pem, ALG);
      this.signKeys.set(key.kid, k);
    }
    return k;
  }

  /** The public key a kid names, with its tenant; null for an unknown kid. */
  private async verifyKey(em: EntityManager, kid: string): Promise<{ organizationId: string; key: CryptoKey } | null> {
    const cached = this.verifyKeys.get(kid);
    if (cached) return cached;
    const row = await em.fork().findOne(IntegrationSigningKey, { kid });
    if (!row) return null;
    const found = { organizationId: row.organization.id, key: (await importJWK({ ...row.publicJwk, alg: ALG }, ALG)) as CryptoKey };
    this.verifyKeys.set(kid, found);
    return found;
  }

  /** The keys a verifier needs: the signing key, and retired ones while their tokens may be valid, newest first. */
  private async publishedKeys(em: EntityManager, organizationId: string): Promise<IntegrationSigningKey[]> {
    if (!isId(organizationId)) return [];
    const now = this.now();
    return em.find(IntegrationSigningKey, { organization: organizationId, $or: [{ retiredAt: null }, { verifiesUntil: { $gt: now } }] }, { orderBy: { generation: 'desc' } });
  }

  /**
   * The tenant's JWK Set: public, for anyone verifying its tokens. An unknown tenant has an
   * empty set (as one without a key yet), so ids cannot be probed.
   * @throws validation_error
   */
  async jwks(ctx: RequestContext, data: { tenantId: string }): Promise<{ keys: PublicJwk[] }> {
    const { tenantId } = parseInput(tenantQuerySchema, data);
    const keys = await this.publishedKeys(ctx.em, tenantId);
    return { keys: keys.map((k) => ({ kty: 'RSA', kid: k.kid, alg: ALG, use: 'sig', n: String(k.publicJwk.n), e: String(k.publicJwk.e) })) };
  }

  /**
   * The fingerprint of the tenant's signing key (its RFC 7638 SHA-256 thumbprint). Public.
   * @throws validation_error, not_found (no such tenant, or no key yet: none is granted)
   */
  async fingerprint(ctx: RequestContext, data: { tenantId: string }): Promise<{ tenantId: string; kid: string; algorithm: 'sha256'; fingerprint: string }> {
    const { tenantId } = parseInput(tenantQuerySchema, data);
    const active = (await this.publishedKeys(ctx.em, tenantId)).find((k) => k.retiredAt === null);
    if (!active) throw new AppError('not_found', 'This tenant has no signing key (none is made before its first grant)');
    return { tenantId, kid: active.kid, algorithm: 'sha256', fingerprint: active.kid };
  }

  /* ---------------------------------------------------------------- grants */

  /**
   * Grants a token acting for the caller in a tenant, for its scopes only. Any member may
   * grant; an API key only scopes it could read itself, in its own organization.
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE (integrations:write), validation_error, not_found, service_unavailable
   */
  async grant(ctx: RequestContext, data: GrantData): Promise<Grant> {
    const p = authorize(ctx, 'integrations:write');
    const input = parseInput(grantSchema, data);
    const tenantId = await this.tenantOf(ctx, p, input.tenantId ?? null);
    return this.issue(ctx, p, tenantId, input);
  }

  /** The grant's tenant: as given, else an API key's organization, else the user's only organization. */
  private async tenantOf(ctx: RequestContext, p: Principal, given: string | null): Promise<string> {
    const tenantId = given ?? (p.kind === 'apiKey' ? p.organizationId : await this.onlyOrganization(ctx, p.userId));
    await requireMembership(ctx, tenantId, 'integrations:write');
    return tenantId;
  }

  private async onlyOrganization(ctx: RequestContext, userId: string): Promise<string> {
    const rows = await ctx.em.find(Membership, { user: userId }, { fields: ['organization'], limit: 2 });
    if (rows.length !== 1) throw AppError.validation([{ loc: ['tenantId'], message: rows.length ? 'is required: you belong to several organizations' : 'is required: you belong to no organization' }]);
    return rows[0]!.organization.id;
  }

  private async issue(ctx: RequestContext, p: Principal, tenantId: string, input: { mode: TokenMode; origin?: string | null; scopes: IntegrationScope[]; ttlSeconds?: number | null }): Promise<Grant> {
    this.ensureConfigured();
    if (p.kind === 'apiKey') {
      const beyond = input.scopes.filter((s) => KEY_NEEDS[s] && !grants(p.scopes, KEY_NEEDS[s]));
      if (beyond.length) throw new AppError('forbidden', `This API key cannot grant ${beyond.join(', ')}: it does not hold ${[...new Set(beyond.map((s) => KEY_NEEDS[s]))].join(', ')}`);
    }
    const cfg = this.config.integrationTokens;
    const ttl = input.ttlSeconds ?? cfg.defaultTtlSeconds;
    if (ttl > cfg.maxTtlSeconds) throw AppError.validation([{ loc: ['ttlSeconds'], message: `must be at most ${cfg.maxTtlSeconds}` }]);
    const key = await this.signingKey(ctx.em, tenantId);
    const issuedAt = this.now();
    // Whole seconds, as the JWT carries them.
    const iat = Math.floor(issuedAt.getTime() / 1000);
    const expiresAt = new Date((iat + ttl) * 1000);
    const row = await ctx.em.transactional(async (tx) => {
      // Again under the organization's lock: a grant written after the end of its grantor's
      // membership revoked their grants would stay unrevoked, and work again once they are back.
      if (!(await heldMembership(tx, this.config.db.driver, tenantId, p.userId))) throw AppError.notFound('Organization');
      return tx.create(IntegrationToken, {
        organization: tx.getReference(Organization, tenantId),
        user: tx.getReference(User, p.userId),
        kid: key.kid,
        mode: input.mode,
        origin: input.origin ?? null,
        scopes: input.scopes,
        issuedAt: new Date(iat * 1000),
        expiresAt,
      });
    });
    const token = await new SignJWT({ tenant_id: tenantId, scope: input.scopes.join(' '), mode: input.mode, ...(input.origin ? { origin: input.origin } : {}) })
      .setProtectedHeader({ alg: ALG, kid: key.kid, typ: INTEGRATION_TOKEN_TYPE })
      .setIssuer(this.config.auth.issuer)
      .setAudience(INTEGRATION_AUDIENCE)
      .setSubject(p.userId)
      .setJti(row.id)
      .setIssuedAt(iat)
      .setExpirationTime(iat + ttl)
      .sign(await this.privateKeyOf(key));
    return { token, tokenType: 'Bearer', expiresIn: ttl, jti: row.id, tenantId };
  }

  /** Checks a token's signature and claims (an expired one still answers its claims). */
  private async check(em: EntityManager, token: string): Promise<Checked> {
    let kid: string | undefined;
    try {
      const header = decodeProtectedHeader(token);
      if (header.typ !== INTEGRATION_TOKEN_TYPE || header.alg !== ALG || typeof header.kid !== 'string') return { ok: false, reason: 'malformed' };
      kid = header.kid;
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    const key = await this.verifyKey(em, kid);
    if (!key) return { ok: false, reason: 'unknown_key' };
    let payload: JWTPayload;
    let expired = false;
    const options = { algorithms: [ALG], issuer: this.config.auth.issuer, audience: INTEGRATION_AUDIENCE, typ: INTEGRATION_TOKEN_TYPE, requiredClaims: ['sub', 'jti', 'exp', 'iat'], currentDate: this.now() };
    try {
      payload = (await jwtVerify(token, key.key, options)).payload;
    } catch (e) {
      if (!(e instanceof joseErrors.JWTExpired)) return { ok: false, reason: e instanceof joseErrors.JOSEError && !(e instanceof joseErrors.JWSSignatureVerificationFailed) && !(e instanceof joseErrors.JWTClaimValidationFailed) ? 'malformed' : 'bad_signature' };
      // The signature was checked before the expiry: the claims are the signer's.
      payload = decodeJwt(token);
      expired = true;
    }
    const tenantId = payload.tenant_id;
    if (tenantId !== key.organizationId) return { ok: false, reason: 'bad_signature' };
    const claims: Claims = {
      jti: payload.jti!,
      tenantId,
      subjectId: payload.sub!,
      scopes: typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [],
      mode: payload.mode === 'browser' ? 'browser' : 'server',
      origin: typeof payload.origin === 'string' ? payload.origin : null,
      issuedAt: new Date(payload.iat! * 1000),
      expiresAt: new Date(payload.exp! * 1000),
    };
    return { ok: true, claims, expired };
  }

  /** The grant's row, with whether its user still belongs to its tenant: one query. */
  private async grantState(em: EntityManager, jti: string): Promise<{ revokedAt: Date | null; revokedReason: string | null; member: boolean } | null> {
    if (!isId(jti)) return null;
    const rows = (await em
      .getConnection()
      .execute(
        'select t.revoked_at, t.revoked_reason, m.user_id as member from integration_tokens t left join memberships m on m.organization_id = t.organization_id and m.user_id = t.user_id where t.id = ?',
        [jti],
      )) as { revoked_at: Date | string | number | null; revoked_reason: string | null; member: string | null }[];
    const row = rows[0];
    if (!row) return null;
    return { revokedAt: row.revoked_at === null ? null : toDate(row.revoked_at), revokedReason: row.revoked_reason, member: row.member !== null };
  }

  /**
   * Whether a token is valid for a tenant: signed by it, unexpired, granted here and not
   * revoked. The caller must belong to the tenant.
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE (integrations:read), validation_error, not_found
   */
  async verify(ctx: RequestContext, data: VerifyData): Promise<Verification> {
    authorize(ctx, 'integrations:read');
    const { token, tenantId } = parseInput(verifySchema, data);
    await requireMembership(ctx, tenantId, 'integrations:read');
    const checked = await this.check(ctx.em, token);
    if (!checked.ok) return { valid: false, revoked: false, reason: checked.reason, claims: null };
    if (checked.claims.tenantId !== tenantId) return { valid: false, revoked: false, reason: 'wrong_tenant', claims: null };
    const state = await this.grantState(ctx.em, checked.claims.jti);
    if (!state || !state.member) return { valid: false, revoked: false, reason: 'unknown_token', claims: checked.claims };
    if (state.revokedAt) return { valid: false, revoked: true, reason: 'revoked', claims: checked.claims };
    if (checked.expired) return { valid: false, revoked: false, reason: 'expired', claims: checked.claims };
    return { valid: true, revoked: false, reason: null, claims: checked.claims };
  }

  /**
   * Revokes a token, at once, on every process: by the token itself, or by tenant and jti.
   * Its grantor, or an admin or owner of its tenant; anyone else gets not_found. Revoking
   * again is not an error (the first reason stays).
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE (integrations:write), validation_error, not_found
   */
  async revoke(ctx: RequestContext, data: RevokeData): Promise<{ revoked: true; jti: string }> {
    const p = authorize(ctx, 'integrations:write');
    const input = parseInput(revokeSchema, data);
    let tenantId: string;
    let jti: string;
    if (input.integrationToken) {
      const checked = await this.check(ctx.em, input.integrationToken);
      if (!checked.ok) throw AppError.validation([{ loc: ['integrationToken'], message: `is not an integration token of this gateway (${checked.reason})` }]);
      ({ tenantId, jti } = checked.claims);
    } else {
      tenantId = input.tenantId!;
      jti = input.jti!;
    }
    await this.revokeOne(ctx, p, tenantId, jti, input.reason ?? null);
    return { revoked: true, jti };
  }

  private async revokeOne(ctx: RequestContext, p: Principal, tenantId: string, jti: string, reason: string | null): Promise<void> {
    const membership = await requireMembership(ctx, tenantId, 'integrations:write');
    const row = isId(jti) ? await ctx.em.findOne(IntegrationToken, { id: jti, organization: tenantId }) : null;
    const admin = ctx.loaders.memberships.rank(membership.role) >= ctx.loaders.memberships.rank('admin');
    if (!row || (row.user.id !== p.userId && !admin)) throw AppError.notFound('Integration token');
    if (row.revokedAt) return;
    const n = await ctx.em.nativeUpdate(IntegrationToken, { id: jti, revokedAt: null }, { revokedAt: this.now(), revokedBy: p.userId, revokedReason: reason });
    // Open sockets it authenticated close too (every process hears it through the event bus).
    if (n) this.events.publish('CREDENTIALS_REVOKED', { userId: row.user.id, reason: 'integration_token_revoked', integrationTokenIds: [jti] });
  }

  /**
   * A new token in place of one the caller granted (unexpired, not revoked), in its tenant;
   * the old one is revoked unless `revokeOld` is false.
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE (integrations:write), validation_error, not_found
   */
  async rotate(ctx: RequestContext, data: RotateData): Promise<Grant & { revokedJti: string | null }> {
    const p = authorize(ctx, 'integrations:write');
    const input = parseInput(rotateSchema, data);
    const checked = await this.check(ctx.em, input.integrationToken);
    if (!checked.ok) throw AppError.validation([{ loc: ['integrationToken'], message: `is not an integration token of this gateway (${checked.reason})` }]);
    const { claims } = checked;
    if (input.tenantId && input.tenantId !== claims.tenantId) throw AppError.validation([{ loc: ['tenantId'], message: "must be the old token's tenant" }]);
    await requireMembership(ctx, claims.tenantId, 'integrations:write');
    const state = await this.grantState(ctx.em, claims.jti);
    if (!state || !state.member || claims.subjectId !== p.userId) throw AppError.notFound('Integration token');
    if (state.revokedAt || checked.expired) throw new AppError('conflict', `The integration token is ${state.revokedAt ? 'revoked' : 'expired'}: grant a new one`);
    const revokeOld = input.revokeOld ?? true;
    if (!revokeOld) return { ...(await this.issue(ctx, p, claims.tenantId, input)), revokedJti: null };
    // The old token is claimed (revoked) and its successor issued in one transaction: of rotations
    // at once, one claims it and the others find it revoked (one successor, never two).
    const grant = await ctx.em.transactional(async (tx) => {
      const claimed = await tx.nativeUpdate(IntegrationToken, { id: claims.jti, revokedAt: null }, { revokedAt: this.now(), revokedBy: p.userId, revokedReason: 'rotated' });
      if (!claimed) throw new AppError('conflict', 'The integration token is revoked (rotated meanwhile?): grant a new one');
      const g = await this.issue(withEntityManager(ctx, tx), p, claims.tenantId, input);
      await tx.nativeUpdate(IntegrationToken, { id: claims.jti }, { revokedReason: `rotated: replaced by ${g.jti}` });
      return g;
    });
    // Open sockets it authenticated close (every process hears it through the event bus).
    this.events.publish('CREDENTIALS_REVOKED', { userId: p.userId, reason: 'integration_token_revoked', integrationTokenIds: [claims.jti] });
    return { ...grant, revokedJti: claims.jti };
  }

  /* ---------------------------------------------------------------- the credential */

  /**
   * Whether a bearer token is an integration token (its header's typ; nothing is verified). Every
   * authenticated request asks, and decoding the header (base64url, UTF-8, JSON) cost more than
   * the rest of a cached access token's check. Past the token's shape (three or five parts, as
   * jose's `decodeProtectedHeader` asks), the answer depends on the header's segment alone (the
   * text before the first dot), which tokens of one kind and key share, so it is kept per
   * segment. Bounded in count and length: a caller sending odd headers gets them decoded each
   * time, not kept.
   */
  claims(token: string): boolean {
    const dot = token.indexOf('.');
    if (dot <= 0) return false;
    let parts = 2;
    for (let i = token.indexOf('.', dot + 1); i >= 0; i = token.indexOf('.', i + 1)) parts++;
    if (parts !== 3 && parts !== 5) return false;
    const segment = token.slice(0, dot);
    const known = this.headerKinds.get(segment);
    if (known !== undefined) return known;
    let integration: boolean;
    try {
      integration = decodeProtectedHeader(token).typ === INTEGRATION_TOKEN_TYPE;
    } catch {
      integration = false;
    }
    if (this.headerKinds.size < HEADER_KINDS_KEPT && segment.length <= HEADER_SEGMENT_KEPT_CHARS) this.headerKinds.set(segment, integration);
    return integration;
  }

  /**
   * An integration token as a bearer credential. Forged or malformed: invalid_token. Signed
   * by a tenant but expired, revoked, unknown, its grantor gone from the tenant, or used
   * from another origin: forbidden.
   * @throws invalid_token, forbidden
   */
  async authenticate(em: EntityManager, token: string, origin: string | undefined): Promise<Principal> {
    const checked = await this.check(em, token);
    if (!checked.ok) throw new AppError('invalid_token', `The integration token is not valid (${checked.reason})`);
    const { claims } = checked;
    if (checked.expired) throw new AppError('forbidden', 'The integration token has expired');
    const state = await this.grantState(em, claims.jti);
    if (!state || !state.member) throw new AppError('forbidden', 'The integration token is no longer granted');
    if (state.revokedAt) throw new AppError('forbidden', 'The integration token was revoked');
    if (origin !== undefined && origin !== claims.origin) throw new AppError('forbidden', 'The integration token may not be used from this origin');
    return { kind: 'integration', userId: claims.subjectId, tokenId: claims.jti, organizationId: claims.tenantId, scopes: claims.scopes, expiresAt: claims.expiresAt };
  }

  /**
   * Which of these tokens are still granted: not revoked, and their grantor still a member of
   * their tenant (a grant ends with the membership, as authenticating it says). One statement
   * per 500 ids; expiry is not looked at (each holder keeps its own deadline).
   */
  async liveAmong(em: EntityManager, ids: readonly string[]): Promise<Set<string>> {
    const rows = await rowsIn<{ id: string }>(
      em,
      ids.filter(isId),
      (m) => `select t.id from integration_tokens t join memberships m on m.organization_id = t.organization_id and m.user_id = t.user_id where t.revoked_at is null and t.id in (${m})`,
    );
    return new Set(rows.map((r) => r.id));
  }

  /* ---------------------------------------------------------------- reads */

  /**
   * The caller's public profile: for integration tokens with `profile:read` (and the user's own bearer token).
   * @throws not_authenticated, forbidden
   */
  async profile(ctx: RequestContext): Promise<{ username: string; displayName: string; avatarUrl: string | null; memberSince: Date }> {
    const p = authorize(ctx, 'bearer', 'profile:read');
    const user = await ctx.loaders.userById.load(p.userId);
    if (!user) throw new AppError('invalid_token', 'The account of this token no longer exists');
    return { username: user.username, displayName: user.fullName ?? user.username, avatarUrl: user.avatarUrl, memberSince: user.createdAt };
  }

  /** Where revocations are listed from: one tenant the caller administers, or all of them. */
  private async adminTenants(ctx: RequestContext, tenantId: string | null): Promise<string[]> {
    const { userId } = requireUser(ctx);
    if (tenantId) {
      await requireMembership(ctx, tenantId, 'bearer', 'admin');
      return [tenantId];
    }
    const rows = await ctx.em.find(Membership, { user: userId, role: { $in: ['admin', 'owner'] } }, { fields: ['organization'] });
    return rows.map((m) => m.organization.id);
  }

  private toRevocation = (t: IntegrationToken): Revocation => ({ tenantId: t.organization.id, jti: t.id, reason: t.revokedReason, revokedAt: t.revokedAt!, revokedById: t.revokedBy?.id ?? null });

  /**
   * Revoked tokens of the tenants the caller administers (or of one), newest first. Bearer only.
   * @throws not_authenticated, forbidden, not_found, validation_error
   */
  async revocations(ctx: RequestContext, data: { tenantId?: string | null }, page: { limit: number; offset: number }): Promise<Page<Revocation>> {
    const { tenantId } = parseInput(revocationsSchema, data);
    const tenants = await this.adminTenants(ctx, tenantId ?? null);
    if (!tenants.length) return { items: [], total: 0 };
    const where = { organization: { $in: tenants }, revokedAt: { $ne: null } };
    const [rows, total] = await ctx.em.findAndCount(IntegrationToken, where, { orderBy: [{ revokedAt: 'desc' }, { id: 'desc' }], limit: page.limit, offset: page.offset });
    return { items: rows.map(this.toRevocation), total };
  }

  /** The same list as a connection. */
  async revocationConnection(ctx: RequestContext, data: { tenantId?: string | null }, args?: ConnectionArgs | PageRequest): Promise<ConnectionPage<Revocation>> {
    const { tenantId } = parseInput(revocationsSchema, data);
    const request = pageRequest(args);
    const tenants = await this.adminTenants(ctx, tenantId ?? null);
    const page = await findConnection(ctx.em, IntegrationToken, { organization: { $in: tenants }, revokedAt: { $ne: null } }, request, [{ revokedAt: 'desc' }, { id: 'desc' }]);
    return connectionPage(
      page.edges.map((e) => ({ cursor: e.cursor, node: this.toRevocation(e.node) })),
      page.pageInfo,
      () => page.totalCount,
    );
  }
}
