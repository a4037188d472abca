import { randomUUID } from 'node:crypto';
import { DateTimeType, OptionalProps } from '@mikro-orm/core';
import { Entity, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { LoginSession } from './login-session.entity.js';

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
