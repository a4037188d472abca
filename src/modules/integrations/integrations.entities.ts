import { randomUUID } from 'node:crypto';
import { DateTimeType, JsonType, OptionalProps, TextType } from '@mikro-orm/core';
import { Entity, ManyToOne, PrimaryKey, Property, Unique, Index } from '@mikro-orm/decorators/legacy';
import { defineEnum, type ValueOf } from '../../graphql/enums.js';
import { User } from '../users/index.js';

/** The outside services a user can connect. */
export const IntegrationProvider = defineEnum('IntegrationProvider', 'An outside service a user can connect.', {
  google_calendar: "Google Calendar: upcoming events of the user's primary calendar, and study sessions scheduled in it.",
});
export const PROVIDERS = IntegrationProvider.values;
export type Provider = ValueOf<typeof IntegrationProvider>;

/** Where a user's integration stands. REST lists the ones that exist (and `unavailable`); GraphQL lists every provider. */
export const IntegrationStatus = defineEnum('IntegrationStatus', "Where a user's integration stands.", {
  connected: 'Connected and usable.',
  needs_reconnection: 'Google refused the grant (revoked or expired): connect again.',
  not_connected: 'Not connected: it can be connected (listed by REST only with `include=available`).',
  unavailable: 'This server has no configuration for the provider: it cannot be connected here.',
});
export type IntegrationStatusValue = ValueOf<typeof IntegrationStatus>;

/** What a stored connection can be: connected, or needing reconnection (the user must connect again). */
export type ConnectionStatus = Extract<IntegrationStatusValue, 'connected' | 'needs_reconnection'>;

/**
 * A user's connection to an outside account. The OAuth tokens are one AES-256-GCM
 * ciphertext (see TokenCipher) with the id of the key that sealed it; they never leave
 * the service in a response or a log line.
 */
@Entity({ tableName: 'integrations' })
@Unique({ name: 'integrations_user_provider_unique', properties: ['user', 'provider'] })
export class Integration {
  [OptionalProps]?: 'status' | 'accountEmail' | 'accountSubject' | 'scopes' | 'accessTokenExpiresAt' | 'connectedAt' | 'updatedAt' | 'lastRefreshedAt' | 'lastError' | 'keyId' | 'tokenCiphertext';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => User, { deleteRule: 'cascade', index: false })
  user!: User;

  @Property({ type: 'string', length: 32 })
  provider!: Provider;

  @Property({ type: 'string', length: 24 })
  status: ConnectionStatus = 'connected';

  /** The outside account, as its provider names it (Google: email and subject). */
  @Property({ type: 'string', length: 254, nullable: true })
  accountEmail: string | null = null;

  @Property({ type: 'string', length: 255, nullable: true })
  accountSubject: string | null = null;

  /** The scopes the user actually granted (Google lets users untick some). */
  @Property({ type: JsonType })
  scopes: string[] = [];

  /** Null once the grant is gone (needs_reconnection): nothing usable is kept. */
  @Property({ type: 'string', length: 32, nullable: true, hidden: true })
  keyId: string | null = null;

  /** AES-256-GCM of `{"access_token", "refresh_token"}`, associated data `integration:<user>:<provider>`. */
  @Property({ type: TextType, nullable: true, hidden: true })
  tokenCiphertext: string | null = null;

  @Property({ type: DateTimeType, nullable: true })
  accessTokenExpiresAt: Date | null = null;

  @Property({ type: DateTimeType })
  connectedAt: Date = new Date();

  @Property({ type: DateTimeType, onUpdate: () => new Date() })
  updatedAt: Date = new Date();

  @Property({ type: DateTimeType, nullable: true })
  lastRefreshedAt: Date | null = null;

  /** Why the connection needs attention (an OAuth error code such as invalid_grant). */
  @Property({ type: 'string', length: 64, nullable: true })
  lastError: string | null = null;
}

/**
 * A started OAuth flow, waiting for its callback. The `state` sent to the provider is
 * stored only as its SHA-256; the PKCE code verifier is sealed. Consumed (deleted) by the
 * first callback that presents it, and worthless after `expiresAt`. The anonymous REST
 * callback must also come from the browser that started it (`browserBindingHash`).
 */
@Entity({ tableName: 'integration_oauth_states' })
@Index({ name: 'integration_oauth_states_expires_index', properties: ['expiresAt'] })
@Index({ name: 'integration_oauth_states_user_index', properties: ['user', 'createdAt'] })
export class OAuthState {
  [OptionalProps]?: 'createdAt' | 'browserBindingHash';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Unique({ name: 'integration_oauth_states_hash_unique' })
  @Property({ type: 'string', length: 64 })
  stateHash!: string;

  @ManyToOne(() => User, { deleteRule: 'cascade', index: false })
  user!: User;

  @Property({ type: 'string', length: 32 })
  provider!: Provider;

  @Property({ type: 'string', length: 32, hidden: true })
  keyId!: string;

  /** AES-256-GCM of the PKCE code verifier, associated data `oauth-state:<stateHash>`. */
  @Property({ type: TextType, hidden: true })
  verifierCiphertext!: string;

  /**
   * SHA-256 of the browser-binding nonce sent as a cookie to the browser that started the
   * flow; the anonymous callback must present it. Null for flows started before it existed:
   * those complete only with the starting user's credentials.
   */
  @Property({ type: 'string', length: 64, nullable: true, hidden: true })
  browserBindingHash?: string | null;

  @Property({ type: DateTimeType })
  createdAt: Date = new Date();

  @Property({ type: DateTimeType })
  expiresAt!: Date;
}
