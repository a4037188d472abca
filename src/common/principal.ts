/**
 * Who is calling: a user with a login session, an API key acting for its creator in one
 * organization, or an integration token a user granted (a few reads, see IntegrationTokenScope).
 */
export type Principal =
  | {
      kind: 'user';
      userId: string;
      /** The login session the access token belongs to. */
      sessionId: string;
      /** When these credentials stop working by themselves: the access token's expiry, or its login session's if sooner. */
      expiresAt?: Date | null;
    }
  | {
      kind: 'apiKey';
      /** The key's creator: the key acts for them, with their role in the organization. */
      userId: string;
      apiKeyId: string;
      organizationId: string;
      scopes: readonly string[];
      /** The key's expiry; null when it has none. */
      expiresAt?: Date | null;
    }
  | {
      kind: 'integration';
      /** The user who granted the token: it reads what they may, within its scopes. */
      userId: string;
      /** The token's jti. */
      tokenId: string;
      /** The tenant (organization) whose key signed it. */
      organizationId: string;
      /** Integration token scopes (profile:read, quota:read, xel:read, live:read). */
      scopes: readonly string[];
      expiresAt: Date;
    };

/** The organization an API key acts inside (its creator's content elsewhere is not the key's to reach); null for any other caller. */
export const keyOrganizationOf = (p: Principal): string | null => (p.kind === 'apiKey' ? p.organizationId : null);

/** Credentials as they arrived, before anyone checked them. */
export interface Credentials {
  authorization?: string | undefined;
  apiKey?: string | undefined;
  /** The caller's address, for API key allow-lists. */
  ip?: string | null | undefined;
  /** The request's Origin header, for integration tokens bound to an origin. */
  origin?: string | undefined;
}
