import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { z } from 'zod';
import { IntegrationTokenScope, type IntegrationScope } from '../../common/integration-scopes.js';
import { str } from '../../common/validation.js';
import { defineEnum, type ValueOf } from '../../graphql/enums.js';
import { ValidatedBy } from '../../graphql/inputs.js';
import { QUERY_ROOT_DESCRIPTION, QueryRoot } from '../../graphql/query-root.js';
import { connectionType } from '../../graphql/relay.js';

/** How a grant is used [ours]: from a web page (bound to its origin), or from a server. */
export const IntegrationTokenMode = defineEnum('IntegrationTokenMode', 'Where an integration token is used from.', {
  browser: 'From a web page: `origin` is required, and a request carrying another Origin is refused.',
  server: 'From a server: `origin` is optional; when set, a request carrying another Origin is refused (and one without an Origin header is accepted).',
});
export type TokenMode = ValueOf<typeof IntegrationTokenMode>;

const id = str().uuid('must be an id');

/** A web origin exactly: scheme, host and port, nothing more (`https://app.example.com`). */
const origin = str()
  .max(255, 'must be at most 255 characters')
  .refine((v) => {
    try {
      const u = new URL(v);
      return (u.protocol === 'https:' || u.protocol === 'http:') && u.origin === v;
    } catch {
      return false;
    }
  }, 'must be a web origin: scheme, host and optional port, no path (e.g. https://app.example.com)');

const grantFields = {
  mode: IntegrationTokenMode.schema,
  origin: origin.nullish(),
  scopes: z
    .array(IntegrationTokenScope.schema, { error: 'must be a list of integration token scopes' })
    .min(1, 'must name at least one scope')
    .max(IntegrationTokenScope.values.length)
    .transform((s) => [...new Set(s)]),
  ttlSeconds: z.number({ error: 'must be a whole number of seconds' }).int('must be a whole number of seconds').min(30, 'must be at least 30').max(86_400, 'must be at most 86400').nullish(),
  tenantId: id.nullish(),
};
const originForBrowser = (v: { mode: string; origin?: string | null }, ctx: z.RefinementCtx) => {
  if (v.mode === 'browser' && !v.origin) ctx.addIssue({ code: 'custom', path: ['origin'], message: 'is required for a browser token' });
};

export const grantSchema = z.object(grantFields).superRefine(originForBrowser);
export type GrantData = z.input<typeof grantSchema>;

export const rotateSchema = z
  .object({ ...grantFields, integrationToken: str().min(1, 'must not be empty').max(8192, 'must be at most 8192 characters'), revokeOld: z.boolean({ error: 'must be true or false' }).nullish() })
  .superRefine(originForBrowser);
export type RotateData = z.input<typeof rotateSchema>;

export const verifySchema = z.object({ token: str().min(1, 'must not be empty').max(8192, 'must be at most 8192 characters'), tenantId: id });
export type VerifyData = z.input<typeof verifySchema>;

/** Either form of the contract: `{integrationToken, reason}` or `{tenantId, jti, reason}`. */
export const revokeSchema = z
  .object({
    integrationToken: str().min(1, 'must not be empty').max(8192, 'must be at most 8192 characters').nullish(),
    tenantId: id.nullish(),
    jti: str().max(64, 'must be at most 64 characters').nullish(),
    reason: str().trim().max(500, 'must be at most 500 characters').nullish(),
  })
  .superRefine((v, ctx) => {
    if (v.integrationToken) return;
    if (!v.tenantId) ctx.addIssue({ code: 'custom', path: ['tenantId'], message: 'is required without integrationToken' });
    if (!v.jti) ctx.addIssue({ code: 'custom', path: ['jti'], message: 'is required without integrationToken' });
  });
export type RevokeData = z.input<typeof revokeSchema>;

export const tenantQuerySchema = z.object({ tenantId: id });
export const revocationsSchema = z.object({ tenantId: id.nullish() });

@ValidatedBy(grantSchema)
@InputType({ description: 'A new integration token: what it may read, from where, for how long.' })
export class GrantIntegrationTokenInput {
  @Field(() => IntegrationTokenMode.graphql, { description: 'Used from a web page (BROWSER, origin required) or from a server.' })
  mode!: TokenMode;

  @Field(() => String, { nullable: true, description: 'The web origin it may be used from (https://app.example.com); a request with another Origin header is refused.' })
  origin?: string | null;

  @Field(() => [IntegrationTokenScope.graphql], { description: 'What it may read (at least one).' })
  scopes!: IntegrationScope[];

  @Field(() => Int, { nullable: true, description: 'Its lifetime in seconds (30 to INTEGRATION_TOKEN_MAX_TTL_SECONDS); absent: INTEGRATION_TOKEN_DEFAULT_TTL_SECONDS.' })
  ttlSeconds?: number | null;

  @Field(() => ID, { nullable: true, description: "The tenant (organization) whose key signs it; you must be a member. Absent: an API key's organization, or your only organization." })
  tenantId?: string | null;
}

@ValidatedBy(rotateSchema)
@InputType({ description: 'A new integration token in place of one you granted.' })
export class RotateIntegrationTokenInput extends GrantIntegrationTokenInput {
  @Field(() => String, { description: 'The token it replaces: yours, unexpired and not revoked. Its tenant is the new one\'s.' })
  integrationToken!: string;

  @Field(() => Boolean, { nullable: true, description: 'Revoke the old token at once (the default); false: it stays valid until it expires.' })
  revokeOld?: boolean | null;
}

@ValidatedBy(revokeSchema)
@InputType({ description: 'The integration token to revoke: the token itself, or its tenant and jti.' })
export class RevokeIntegrationTokenInput {
  @Field(() => String, { nullable: true, description: 'The token itself.' })
  integrationToken?: string | null;

  @Field(() => ID, { nullable: true, description: 'Its tenant, with `jti` (when the token itself is not at hand).' })
  tenantId?: string | null;

  @Field(() => String, { nullable: true, description: 'Its jti, with `tenantId`.' })
  jti?: string | null;

  @Field(() => String, { nullable: true, description: 'Why, for the revocation list (at most 500 characters).' })
  reason?: string | null;
}

@ObjectType({ description: 'A granted integration token: send it as `Authorization: Bearer <token>`.' })
export class IntegrationTokenGrant {
  @Field(() => String, { description: 'The RS256 JWT, shown this once.' })
  token!: string;

  @Field(() => String, { description: 'Always `Bearer`.' })
  tokenType!: string;

  @Field(() => Int, { description: 'Seconds until it expires.' })
  expiresIn!: number;

  @Field(() => String, { description: 'Its jti, to revoke it by.' })
  jti!: string;

  @Field(() => ID, { description: 'The tenant (organization) whose key signed it.' })
  tenantId!: string;
}

@ObjectType({ description: 'What grantIntegrationToken made.' })
export class GrantIntegrationTokenPayload {
  @Field(() => IntegrationTokenGrant, { description: 'The new token.' })
  grant!: IntegrationTokenGrant;

  @Field(() => QueryRoot, { description: QUERY_ROOT_DESCRIPTION })
  query!: QueryRoot;
}

@ObjectType({ description: 'What rotateIntegrationToken made (and revoked).' })
export class RotateIntegrationTokenPayload {
  @Field(() => IntegrationTokenGrant, { description: 'The new token.' })
  grant!: IntegrationTokenGrant;

  @Field(() => String, { nullable: true, description: 'The jti of the token it replaced, when that one was revoked; null when it stays valid until it expires.' })
  revokedJti!: string | null;

  @Field(() => QueryRoot, { description: QUERY_ROOT_DESCRIPTION })
  query!: QueryRoot;
}

@ObjectType({ description: 'What revokeIntegrationToken changed.' })
export class RevokeIntegrationTokenPayload {
  @Field(() => Boolean, { description: 'Always true: the token is refused from now on, by every gateway process.' })
  revoked!: boolean;

  @Field(() => String, { description: 'Its jti.' })
  jti!: string;

  @Field(() => QueryRoot, { description: QUERY_ROOT_DESCRIPTION })
  query!: QueryRoot;
}

/** Why a token does not verify. */
export const VerificationFailure = defineEnum('IntegrationTokenFailure', 'Why an integration token does not verify.', {
  malformed: 'Not an integration token (not a JWT, or not of this type).',
  wrong_tenant: 'Signed for another tenant.',
  unknown_key: "Its `kid` names none of the tenant's keys.",
  bad_signature: 'The signature or a claim (issuer, audience) does not check out.',
  expired: 'It has expired.',
  revoked: 'It was revoked.',
  unknown_token: 'This gateway never granted it (or its grant is gone with its user or tenant).',
});
export type Failure = ValueOf<typeof VerificationFailure>;

@ObjectType({ description: "The claims of an integration token whose signature checked out." })
export class IntegrationTokenClaims {
  @Field(() => String, { description: 'Its jti.' })
  jti!: string;

  @Field(() => ID, { description: 'The tenant.' })
  tenantId!: string;

  @Field(() => ID, { description: 'The user who granted it (`sub`).' })
  subjectId!: string;

  @Field(() => [String], { description: 'Its scopes.' })
  scopes!: string[];

  @Field(() => IntegrationTokenMode.graphql, { description: 'Where it is used from.' })
  mode!: TokenMode;

  @Field(() => String, { nullable: true, description: 'The origin it is bound to.' })
  origin!: string | null;

  @Field(() => GraphQLDateTime, { description: 'When it was issued.' })
  issuedAt!: Date;

  @Field(() => GraphQLDateTime, { description: 'When it expires.' })
  expiresAt!: Date;
}

@ObjectType({ description: 'Whether an integration token is valid for a tenant, and why not.' })
export class IntegrationTokenVerification {
  @Field(() => Boolean, { description: 'Signed by the tenant, unexpired and not revoked.' })
  valid!: boolean;

  @Field(() => Boolean, { description: 'It was revoked.' })
  revoked!: boolean;

  @Field(() => VerificationFailure.graphql, { nullable: true, description: 'Why it is not valid; null when it is.' })
  reason!: Failure | null;

  @Field(() => IntegrationTokenClaims, { nullable: true, description: 'Its claims, when its signature checked out (expired or revoked ones too); null otherwise.' })
  claims!: IntegrationTokenClaims | null;
}

@ObjectType({ description: 'One public key of a tenant, as a JWK (RFC 7517).' })
export class IntegrationJwk {
  @Field(() => String, { description: 'Key type: RSA.' })
  kty!: string;

  @Field(() => String, { description: 'Key id: the JWT header `kid` of the tokens it signed (its RFC 7638 thumbprint).' })
  kid!: string;

  @Field(() => String, { description: 'RS256.' })
  alg!: string;

  @Field(() => String, { description: 'sig.' })
  use!: string;

  @Field(() => String, { description: 'RSA modulus, base64url.' })
  n!: string;

  @Field(() => String, { description: 'RSA public exponent, base64url.' })
  e!: string;
}

@ObjectType({ description: "A tenant's JWK Set: its signing key, and the previous one while tokens it signed may still be valid." })
export class IntegrationJwks {
  @Field(() => [IntegrationJwk], { description: 'The keys, newest first (at most two).' })
  keys!: IntegrationJwk[];
}

@ObjectType({ description: "The fingerprint of a tenant's signing key, to pin it." })
export class IntegrationKeyFingerprint {
  @Field(() => ID, { description: 'The tenant.' })
  tenantId!: string;

  @Field(() => String, { description: 'The key id.' })
  kid!: string;

  @Field(() => String, { description: 'sha256.' })
  algorithm!: string;

  @Field(() => String, { description: 'The RFC 7638 SHA-256 thumbprint of the public key, base64url.' })
  fingerprint!: string;
}

@ObjectType({ description: 'A revoked integration token.' })
export class IntegrationTokenRevocation {
  @Field(() => ID, { description: 'Its tenant.' })
  tenantId!: string;

  @Field(() => String, { description: 'Its jti.' })
  jti!: string;

  @Field(() => String, { nullable: true, description: 'Why, as given.' })
  reason!: string | null;

  @Field(() => GraphQLDateTime, { description: 'When.' })
  revokedAt!: Date;

  @Field(() => ID, { nullable: true, description: 'Who revoked it; null when that account is gone.' })
  revokedById!: string | null;
}

export const IntegrationTokenRevocationConnection = connectionType<IntegrationTokenRevocation>('IntegrationTokenRevocation', () => IntegrationTokenRevocation, 'newest first');

@ObjectType({ description: "A user's public profile, as an integration token with `profile:read` reads it: nothing private." })
export class IntegrationProfile {
  @Field(() => String, { description: 'The username.' })
  username!: string;

  @Field(() => String, { description: 'The full name, or the username when none is set.' })
  displayName!: string;

  @Field(() => String, { nullable: true, description: 'The avatar URL.' })
  avatarUrl!: string | null;

  @Field(() => GraphQLDateTime, { description: 'When the account was made.' })
  memberSince!: Date;
}
