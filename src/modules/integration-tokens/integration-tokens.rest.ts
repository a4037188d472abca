import { z } from 'zod';
import { pageSchema } from '../../common/pagination.js';
import { defineListRoute, defineRoute, type RestRoute } from '../../rest/route-table.js';
import type { ServiceMap } from '../manifest.js';
import type { Grant, Revocation, Verification } from './integration-tokens.service.js';
import { grantSchema, revocationsSchema, revokeSchema, rotateSchema, tenantQuerySchema, verifySchema } from './integration-tokens.types.js';

const tag = 'Integration tokens';

const grantResponse = z.object({
  token: z.string().describe('The RS256 JWT, shown this once: send it as Authorization: Bearer <token>.'),
  token_type: z.literal('Bearer'),
  expires_in: z.number().int().describe('Seconds until it expires.'),
  jti: z.string().describe('Its id, to revoke it by.'),
  tenant_id: z.string().describe('The tenant (organization) whose key signed it.'),
}).meta({ id: 'IntegrationTokenResponse', description: 'A granted (or rotated) integration token.' });
const toGrant = (g: Grant): z.infer<typeof grantResponse> => ({ token: g.token, token_type: g.tokenType, expires_in: g.expiresIn, jti: g.jti, tenant_id: g.tenantId });

const claimsSchema = z.object({
  jti: z.string(),
  tenant_id: z.string(),
  sub: z.string(),
  scopes: z.array(z.string()),
  mode: z.string(),
  origin: z.string().nullable(),
  iat: z.iso.datetime(),
  exp: z.iso.datetime(),
});
const verificationSchema = z.object({
  valid: z.boolean(),
  revoked: z.boolean(),
  reason: z.string().nullable().describe('Why it is not valid: malformed, wrong_tenant, unknown_key, bad_signature, expired, revoked, unknown_token; null when it is.'),
  claims: claimsSchema.nullable().describe('Its claims when the signature checked out (expired or revoked ones too).'),
});
const toVerification = (v: Verification): z.infer<typeof verificationSchema> => ({
  valid: v.valid,
  revoked: v.revoked,
  reason: v.reason,
  claims: v.claims
    ? {
        jti: v.claims.jti,
        tenant_id: v.claims.tenantId,
        sub: v.claims.subjectId,
        scopes: v.claims.scopes,
        mode: v.claims.mode,
        origin: v.claims.origin,
        iat: v.claims.issuedAt.toISOString(),
        exp: v.claims.expiresAt.toISOString(),
      }
    : null,
});

const jwkSchema = z.object({ kty: z.string(), kid: z.string(), alg: z.string(), use: z.string(), n: z.string(), e: z.string() });
const revocationSchema = z.object({ tenant_id: z.string(), jti: z.string(), reason: z.string().nullable(), revoked_at: z.iso.datetime(), revoked_by: z.string().nullable() });
const toRevocation = (r: Revocation): z.infer<typeof revocationSchema> => ({ tenant_id: r.tenantId, jti: r.jti, reason: r.reason, revoked_at: r.revokedAt.toISOString(), revoked_by: r.revokedById });

export const integrationTokensRoutes = (s: Pick<ServiceMap, 'integrationTokens'>): RestRoute[] => [
  defineRoute({
    method: 'POST',
    path: '/api/integration/grant',
    operationId: 'grantIntegrationToken',
    summary: 'Grant a short-lived RS256 integration token for a tenant',
    description: "It acts for you, for its scopes only (profile:read, quota:read, xel:read, live:read), from its origin when a request carries an Origin header, until it expires or is revoked. tenantId defaults to an API key's organization, or your only one.",
    tag,
    auth: 'integrations:write',
    camelCase: true,
    body: { schema: grantSchema, required: true },
    handler: (ctx, { body }) => s.integrationTokens.grant(ctx, body),
    response: { status: 201, description: 'The token', schema: grantResponse, serialize: toGrant },
    errors: ['not_found', 'service_unavailable'],
  }),
  defineRoute({
    method: 'POST',
    path: '/api/integration/verify',
    operationId: 'verifyIntegrationToken',
    summary: 'Whether an integration token is valid for a tenant',
    tag,
    auth: 'integrations:read',
    camelCase: true,
    body: { schema: verifySchema, required: true },
    handler: (ctx, { body }) => s.integrationTokens.verify(ctx, body),
    response: { status: 200, description: 'The verdict', schema: verificationSchema, serialize: toVerification },
    errors: ['not_found'],
  }),
  defineRoute({
    method: 'POST',
    path: '/api/integration/revoke',
    operationId: 'revokeIntegrationToken',
    summary: 'Revoke an integration token, at once',
    description: '{integrationToken, reason} or {tenantId, jti, reason}. Its grantor, or an admin or owner of its tenant.',
    tag,
    auth: 'integrations:write',
    camelCase: true,
    body: { schema: revokeSchema, required: true },
    handler: (ctx, { body }) => s.integrationTokens.revoke(ctx, body),
    response: { status: 200, description: 'Revoked', schema: z.object({ revoked: z.literal(true), jti: z.string() }), serialize: (r) => r },
    errors: ['not_found'],
  }),
  defineRoute({
    method: 'POST',
    path: '/api/integration/rotate',
    operationId: 'rotateIntegrationToken',
    summary: 'A new integration token in place of one you granted',
    description: 'The old one is revoked unless revokeOld is false.',
    tag,
    auth: 'integrations:write',
    camelCase: true,
    body: { schema: rotateSchema, required: true },
    handler: (ctx, { body }) => s.integrationTokens.rotate(ctx, body),
    response: { status: 201, description: 'The new token', schema: grantResponse, serialize: toGrant },
    errors: ['not_found', 'conflict', 'service_unavailable'],
  }),
  defineRoute({
    method: 'GET',
    path: '/api/integration/jwks',
    operationId: 'integrationJwks',
    summary: "A tenant's JWK Set",
    description: 'Its signing key, and the previous one while tokens it signed may still be valid. An unknown tenant has an empty set.',
    tag,
    auth: 'public',
    camelCase: true,
    query: tenantQuerySchema,
    handler: (ctx, { query }) => s.integrationTokens.jwks(ctx, query),
    response: { status: 200, description: 'JWK Set', schema: z.object({ keys: z.array(jwkSchema) }), serialize: (r) => r },
  }),
  defineRoute({
    method: 'GET',
    path: '/api/integration/fingerprint',
    operationId: 'integrationKeyFingerprint',
    summary: "The fingerprint of a tenant's signing key",
    tag,
    auth: 'public',
    camelCase: true,
    query: tenantQuerySchema,
    handler: (ctx, { query }) => s.integrationTokens.fingerprint(ctx, query),
    response: {
      status: 200,
      description: 'The RFC 7638 SHA-256 thumbprint, base64url',
      schema: z.object({ tenant_id: z.string(), kid: z.string(), algorithm: z.literal('sha256'), fingerprint: z.string() }),
      serialize: (r) => ({ tenant_id: r.tenantId, kid: r.kid, algorithm: r.algorithm, fingerprint: r.fingerprint }),
    },
    errors: ['not_found'],
  }),
  defineRoute({
    method: 'GET',
    path: '/api/integration/profile',
    operationId: 'integrationProfile',
    summary: "The caller's public profile (integration tokens with profile:read)",
    tag,
    auth: 'bearer',
    integration: 'profile:read',
    handler: (ctx) => s.integrationTokens.profile(ctx),
    response: {
      status: 200,
      description: 'Nothing private',
      schema: z.object({ username: z.string(), display_name: z.string(), avatar_url: z.string().nullable(), member_since: z.iso.datetime() }),
      serialize: (p) => ({ username: p.username, display_name: p.displayName, avatar_url: p.avatarUrl, member_since: p.memberSince.toISOString() }),
    },
  }),
  defineListRoute({
    method: 'GET',
    path: '/api/admin/integration-token-revocations',
    operationId: 'listIntegrationTokenRevocations',
    summary: 'Revoked integration tokens of the tenants you administer, newest first',
    tag,
    auth: 'bearer',
    camelCase: true,
    query: revocationsSchema.extend(pageSchema.shape),
    handler: (ctx, { query }) => s.integrationTokens.revocations(ctx, { tenantId: query.tenantId ?? null }, { limit: query.limit, offset: query.offset }),
    response: { status: 200, description: 'Revocations', schema: revocationSchema, serialize: toRevocation },
    errors: ['not_found'],
  }),
];
