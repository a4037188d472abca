import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../common/context.js';
import { describeRequirement as need } from '../../common/scopes.js';
import { nullWhenNotFound } from '../../graphql/errors.js';
import { queryRoot } from '../../graphql/query-root.js';
import { ConnectionArgs, type ConnectionPage } from '../../graphql/relay.js';
import type { ServiceMap } from '../manifest.js';
import { Organization, organizationRef, userRef } from '../organizations/index.js';
import { User } from '../users/index.js';
import type { Revocation } from './integration-tokens.service.js';
import {
  GrantIntegrationTokenInput,
  GrantIntegrationTokenPayload,
  IntegrationJwks,
  IntegrationKeyFingerprint,
  IntegrationProfile,
  IntegrationTokenClaims,
  IntegrationTokenGrant,
  IntegrationTokenRevocation,
  IntegrationTokenRevocationConnection,
  IntegrationTokenVerification,
  RevokeIntegrationTokenInput,
  RevokeIntegrationTokenPayload,
  RotateIntegrationTokenInput,
  RotateIntegrationTokenPayload,
} from './integration-tokens.types.js';

@Resolver()
export class IntegrationTokensResolver {
  constructor(readonly integrationTokens: ServiceMap['integrationTokens']) {}

  @Query(() => IntegrationJwks, { description: "A tenant's JWK Set: its signing key, and the previous one while tokens it signed may still be valid (an unknown tenant has none). Public: no authentication." })
  integrationJwks(@Arg('tenantId', () => ID, { description: 'The tenant (organization).' }) tenantId: string, @Ctx() ctx: RequestContext): Promise<IntegrationJwks> {
    return this.integrationTokens.jwks(ctx, { tenantId });
  }

  @Query(() => IntegrationKeyFingerprint, {
    nullable: true,
    description: "The fingerprint of a tenant's signing key; null when the tenant is unknown or has no key yet (none is made before its first grant), so ids cannot be probed. Public: no authentication.",
  })
  integrationKeyFingerprint(@Arg('tenantId', () => ID, { description: 'The tenant (organization).' }) tenantId: string, @Ctx() ctx: RequestContext): Promise<IntegrationKeyFingerprint | null> {
    // Unknown, keyless or malformed (a tenant id that is no id names no tenant): null, as every lookup by id. REST keeps its 404 and 400.
    return nullWhenNotFound(this.integrationTokens.fingerprint(ctx, { tenantId }), ['tenantId']);
  }

  @Query(() => IntegrationTokenVerification, { description: `Whether an integration token is valid for a tenant you belong to, and why not. ${need('integrations:read')}` })
  integrationTokenVerification(
    @Arg('token', () => String, { description: 'The token.' }) token: string,
    @Arg('tenantId', () => ID, { description: 'The tenant it should be valid for.' }) tenantId: string,
    @Ctx() ctx: RequestContext,
  ): Promise<IntegrationTokenVerification> {
    return this.integrationTokens.verify(ctx, { token, tenantId });
  }

  @Query(() => IntegrationTokenRevocationConnection, { description: `Revoked integration tokens of the tenants you administer (or of one), newest first. ${need('bearer')}` })
  integrationTokenRevocations(
    @Arg('tenantId', () => ID, { nullable: true, description: 'Only this tenant (you must be an admin or owner there).' }) tenantId: string | null,
    @Args(() => ConnectionArgs) args: ConnectionArgs,
    @Ctx() ctx: RequestContext,
  ): Promise<ConnectionPage<Revocation>> {
    return this.integrationTokens.revocationConnection(ctx, { tenantId }, args);
  }

  @Query(() => IntegrationProfile, { description: `Your public profile: what an integration token with \`profile:read\` reads. ${need('bearer')}` })
  integrationProfile(@Ctx() ctx: RequestContext): Promise<IntegrationProfile> {
    return this.integrationTokens.profile(ctx);
  }

  @Mutation(() => GrantIntegrationTokenPayload, { description: `Grants a short-lived RS256 integration token acting for you in a tenant, for its scopes only. ${need('integrations:write')}` })
  async grantIntegrationToken(@Arg('input', () => GrantIntegrationTokenInput, { description: 'The token.' }) input: GrantIntegrationTokenInput, @Ctx() ctx: RequestContext): Promise<GrantIntegrationTokenPayload> {
    return { grant: await this.integrationTokens.grant(ctx, input), query: queryRoot() };
  }

  @Mutation(() => RotateIntegrationTokenPayload, { description: `A new integration token in place of one you granted; the old one is revoked unless \`revokeOld\` is false. ${need('integrations:write')}` })
  async rotateIntegrationToken(@Arg('input', () => RotateIntegrationTokenInput, { description: 'The new token and the old one.' }) input: RotateIntegrationTokenInput, @Ctx() ctx: RequestContext): Promise<RotateIntegrationTokenPayload> {
    const { revokedJti, ...grant } = await this.integrationTokens.rotate(ctx, input);
    return { grant, revokedJti, query: queryRoot() };
  }

  @Mutation(() => RevokeIntegrationTokenPayload, { description: `Revokes an integration token at once, on every gateway process: its grantor, or an admin or owner of its tenant. ${need('integrations:write')}` })
  async revokeIntegrationToken(@Arg('input', () => RevokeIntegrationTokenInput, { description: 'The token, or its tenant and jti.' }) input: RevokeIntegrationTokenInput, @Ctx() ctx: RequestContext): Promise<RevokeIntegrationTokenPayload> {
    return { ...(await this.integrationTokens.revoke(ctx, input)), query: queryRoot() };
  }
}

/* The objects the ids of integration tokens name, each by its own read rules (null when not readable). */

const TENANT = 'The tenant (organization), as `organization(id:)` answers it: null unless you are a member of it (an API key: of it, with `organizations:read`).';
@Resolver(() => IntegrationTokenGrant)
export class IntegrationTokenGrantRefs {
  constructor(readonly organizations: ServiceMap['organizations']) {}

  @FieldResolver(() => Organization, { nullable: true, description: TENANT })
  tenant(@Root() g: IntegrationTokenGrant, @Ctx() ctx: RequestContext): Promise<Organization | null> {
    return organizationRef(this.organizations, ctx, g.tenantId);
  }
}

@Resolver(() => IntegrationTokenClaims)
export class IntegrationTokenClaimsRefs {
  constructor(readonly organizations: ServiceMap['organizations']) {}

  @FieldResolver(() => Organization, { nullable: true, description: TENANT })
  tenant(@Root() c: IntegrationTokenClaims, @Ctx() ctx: RequestContext): Promise<Organization | null> {
    return organizationRef(this.organizations, ctx, c.tenantId);
  }

  @FieldResolver(() => User, { nullable: true, description: 'The user who granted it (`sub`), when you may see them (yourself, or someone sharing an organization with you).' })
  subject(@Root() c: IntegrationTokenClaims, @Ctx() ctx: RequestContext): Promise<User | null> | null {
    return userRef(this.organizations, ctx, c.subjectId);
  }
}

@Resolver(() => IntegrationKeyFingerprint)
export class IntegrationKeyFingerprintRefs {
  constructor(readonly organizations: ServiceMap['organizations']) {}

  @FieldResolver(() => Organization, { nullable: true, description: TENANT })
  tenant(@Root() f: IntegrationKeyFingerprint, @Ctx() ctx: RequestContext): Promise<Organization | null> {
    return organizationRef(this.organizations, ctx, f.tenantId);
  }
}

@Resolver(() => IntegrationTokenRevocation)
export class IntegrationTokenRevocationRefs {
  constructor(readonly organizations: ServiceMap['organizations']) {}

  @FieldResolver(() => Organization, { nullable: true, description: TENANT })
  tenant(@Root() r: IntegrationTokenRevocation, @Ctx() ctx: RequestContext): Promise<Organization | null> {
    return organizationRef(this.organizations, ctx, r.tenantId);
  }

  @FieldResolver(() => User, { nullable: true, description: 'Who revoked it, when you may see them; null when that account is gone.' })
  revokedBy(@Root() r: IntegrationTokenRevocation, @Ctx() ctx: RequestContext): Promise<User | null> | null {
    return userRef(this.organizations, ctx, r.revokedById);
  }
}
