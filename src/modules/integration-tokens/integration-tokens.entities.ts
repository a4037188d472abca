import { randomUUID } from 'node:crypto';
import { DateTimeType, JsonType, OptionalProps, TextType } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Organization } from '../organizations/index.js';
import { User } from '../users/index.js';

/**
 * One RS256 signing key of a tenant (an organization). The private key is PKCS#8 sealed
 * with the integrations' token cipher (INTEGRATIONS_ENCRYPTION_KEYS), bound to its kid and
 * tenant; the public key is kept as a JWK. The newest generation signs; a retired one stays
 * in the JWKS until `verifiesUntil`, when no token it signed can still be valid.
 */
@Entity({ tableName: 'integration_signing_keys' })
@Unique({ name: 'integration_signing_keys_generation_unique', properties: ['organization', 'generation'] })
export class IntegrationSigningKey {
  [OptionalProps]?: 'createdAt' | 'retiredAt' | 'verifiesUntil';

  /** The RFC 7638 SHA-256 thumbprint of the public key (base64url), also its fingerprint. */
  @PrimaryKey({ type: 'string', length: 64 })
  kid!: string;

  @ManyToOne(() => Organization, { deleteRule: 'cascade', index: false })
  organization!: Organization;

  /** 1, 2, 3...: the unique index makes two processes rotating at once agree on one key. */
  @Property({ type: 'integer' })
  generation!: number;

  @Property({ type: JsonType })
  publicJwk!: Record<string, unknown>;

  @Property({ type: 'string', length: 32, hidden: true })
  cipherKeyId!: string;

  @Property({ type: TextType, hidden: true, lazy: true })
  privateKeyCiphertext!: string;

  @Property({ type: DateTimeType })
  createdAt: Date = new Date();

  /** When a newer key replaced it; null: it signs. */
  @Property({ type: DateTimeType, nullable: true })
  retiredAt: Date | null = null;

  /** Retired keys: the last moment a token it signed can be valid (then it leaves the JWKS). */
  @Property({ type: DateTimeType, nullable: true })
  verifiesUntil: Date | null = null;
}

/**
 * An integration token that was granted: its jti, who granted it for which tenant, what it
 * may do and from where. The token itself is never stored. Revoking it stamps the row; the
 * gateway reads the row (one primary-key lookup) each time the token is used.
 */
@Entity({ tableName: 'integration_tokens' })
@Index({ name: 'integration_tokens_revoked_index', properties: ['organization', 'revokedAt'] })
export class IntegrationToken {
  [OptionalProps]?: 'origin' | 'revokedAt' | 'revokedBy' | 'revokedReason' | 'issuedAt';

  /** The JWT's jti. */
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Organization, { deleteRule: 'cascade', index: false })
  organization!: Organization;

  @ManyToOne(() => User, { deleteRule: 'cascade' })
  user!: User;

  @Property({ type: 'string', length: 64 })
  kid!: string;

  @Property({ type: 'string', length: 16 })
  mode!: string;

  @Property({ type: 'string', length: 255, nullable: true })
  origin: string | null = null;

  @Property({ type: JsonType })
  scopes!: string[];

  @Property({ type: DateTimeType })
  issuedAt: Date = new Date();

  @Property({ type: DateTimeType })
  expiresAt!: Date;

  @Property({ type: DateTimeType, nullable: true })
  revokedAt: Date | null = null;

  @ManyToOne(() => User, { deleteRule: 'set null', nullable: true, index: false })
  revokedBy: User | null = null;

  @Property({ type: 'string', length: 500, nullable: true })
  revokedReason: string | null = null;
}
