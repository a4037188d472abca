import { randomUUID } from 'node:crypto';
import { DateTimeType, OptionalProps, TextType } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { User } from '../users/user.entity.js';
import type { Provider } from './integration.entity.js';

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
