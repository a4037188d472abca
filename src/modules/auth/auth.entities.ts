import { randomUUID } from 'node:crypto';
import { DateTimeType, OptionalProps } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { User } from '../users/index.js';

/**
 * One login: the family of refresh tokens issued from it. Revoking it ends every token
 * of the family and every access token that names it.
 */
@Entity({ tableName: 'login_sessions' })
@Index({ name: 'login_sessions_user_index', properties: ['user', 'revokedAt'] })
export class LoginSession {
  [OptionalProps]?: 'createdAt' | 'lastUsedAt' | 'revokedAt' | 'revokedReason' | 'userAgent' | 'ip';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => User, { deleteRule: 'cascade' })
  user!: User;

  @Property({ type: DateTimeType })
  createdAt: Date = new Date();

  @Property({ type: DateTimeType })
  lastUsedAt: Date = new Date();

  /** The family dies at this instant whatever happens; rotation does not extend it. */
  @Property({ type: DateTimeType })
  expiresAt!: Date;

  @Property({ type: DateTimeType, nullable: true })
  revokedAt: Date | null = null;

  /** `logout`, `reuse_detected`, `password_changed`. */
  @Property({ type: 'string', length: 32, nullable: true })
  revokedReason: string | null = null;

  @Property({ type: 'string', length: 512, nullable: true })
  userAgent: string | null = null;

  @Property({ type: 'string', length: 64, nullable: true })
  ip: string | null = null;
}

/** One refresh token of a family. Only the SHA-256 of the value is stored. */
@Entity({ tableName: 'refresh_tokens' })
export class RefreshToken {
  [OptionalProps]?: 'createdAt' | 'usedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => LoginSession, { deleteRule: 'cascade', index: 'refresh_tokens_session_index' })
  session!: LoginSession;

  @Unique({ name: 'refresh_tokens_hash_unique' })
  @Property({ type: 'string', length: 64 })
  tokenHash!: string;

  @Property({ type: DateTimeType })
  createdAt: Date = new Date();

  /** Set when the token is exchanged; a second presentation is reuse. */
  @Property({ type: DateTimeType, nullable: true })
  usedAt: Date | null = null;
}
