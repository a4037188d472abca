import type { RequestContext } from '../../common/context.js';
import { AppError } from '../../common/errors.js';
import { requireUser } from '../../common/access.js';
import type { CredentialsRevoked, EventBus } from '../../common/pubsub.js';
import { passwordIsAccountName, SAME_AS_ACCOUNT } from '../../common/password-policy.js';
import { parseInput } from '../../common/validation.js';
import { flushOrConflict } from '../../db/flush.js';
import { usersChanged } from './user-events.js';
import { User } from './users.entities.js';
import { normalizeEmail, normalizeUsername } from './users.normalize.js';
import { updateMeSchema, type UpdateMeData } from './users.types.js';
import type { EntityManager } from '@mikro-orm/core';

/**
 * What changing a profile needs of the auth module, whose service provides it (the composition
 * root passes it in): re-authentication, password hashing, ending sessions, unique names.
 */
export interface AccountSecurity {
  reauthenticate(ctx: RequestContext, user: User, sessionId: string, currentPassword: string | undefined, why: string): Promise<void>;
  readonly passwords: { hash(password: string): Promise<string> };
  revokeSessions(em: EntityManager, where: { user: string; idNot: string }, reason: 'password_changed'): Promise<CredentialsRevoked | null>;
  assertAvailable(em: EntityManager, wanted: { emailNormalized?: string; usernameNormalized?: string }, exceptUserId?: string): Promise<void>;
  announce(revoked: CredentialsRevoked | null): void;
}

/** Profiles: reading and changing one's own. */
export class UsersService {
  constructor(
    private readonly auth: AccountSecurity,
    private readonly events: EventBus,
  ) {}

  /**
   * The caller's profile.
   * @throws not_authenticated
   */
  async me(ctx: RequestContext): Promise<User> {
    const { userId } = requireUser(ctx);
    const user = await ctx.loaders.userById.load(userId);
    // The session check passed, so the user existed a moment ago; deleted since is a 401.
    if (!user) throw new AppError('invalid_token', 'The account of this token no longer exists');
    return user;
  }

  /**
   * Changes the caller's profile. A new password or a new email needs the current password
   * (re-authentication, throttled with sign-ins: per session, per address, per account); a
   * new password ends every other login session, the caller's own stays.
   * @throws not_authenticated, validation_error, invalid_credentials (wrong current password), conflict, rate_limited
   */
  async updateMe(ctx: RequestContext, data: UpdateMeData): Promise<User> {
    const principal = requireUser(ctx);
    const input = parseInput(updateMeSchema, data ?? {});
    const current = await ctx.em.findOne(User, { id: principal.userId }, { populate: ['passwordHash'] });
    if (!current) throw new AppError('invalid_token', 'The account of this token no longer exists');
    const newEmail = input.email != null && normalizeEmail(input.email) !== current.emailNormalized;
    if (input.newPassword != null && passwordIsAccountName(input.newPassword, [input.username ?? current.username, input.email ?? current.email])) {
      throw AppError.validation([{ loc: ['newPassword'], message: SAME_AS_ACCOUNT }]);
    }
    if (input.newPassword != null || newEmail) {
      const why = input.newPassword == null ? 'change the email' : newEmail ? 'change the email and the password' : 'set a new password';
      await this.auth.reauthenticate(ctx, current, principal.sessionId, input.currentPassword ?? undefined, why);
    }
    let revoked: CredentialsRevoked | null = null;
    // Hashed before the transaction: on SQLite a transaction holds the write lock (and the serving
    // thread's one connection) from its start, and a hash takes tens of milliseconds.
    const newHash = input.newPassword != null ? await this.auth.passwords.hash(input.newPassword) : null;
    const user = await ctx.em.transactional(async (em) => {
      const user = await em.findOne(User, { id: principal.userId }, { populate: ['passwordHash'] });
      if (!user) throw new AppError('invalid_token', 'The account of this token no longer exists');

      if (newHash != null) {
        user.passwordHash = newHash;
        revoked = await this.auth.revokeSessions(em, { user: user.id, idNot: principal.sessionId }, 'password_changed');
      }

      const wanted = {
        emailNormalized: input.email != null ? normalizeEmail(input.email) : undefined,
        usernameNormalized: input.username != null ? normalizeUsername(input.username) : undefined,
      };
      await this.auth.assertAvailable(em, wanted, user.id);
      if (input.email != null) Object.assign(user, { email: input.email, emailNormalized: wanted.emailNormalized });
      if (input.username != null) Object.assign(user, { username: input.username, usernameNormalized: wanted.usernameNormalized });
      if (input.fullName !== undefined) user.fullName = input.fullName;
      if (input.preferredLanguage != null) user.preferredLanguage = input.preferredLanguage;
      if (input.timezone != null) user.timezone = input.timezone;
      if (input.avatarUrl !== undefined) user.avatarUrl = input.avatarUrl;
      if (input.publicProfile != null) user.publicProfile = input.publicProfile;
      await flushOrConflict(em, 'Email or username is already registered');
      return user;
    });
    // After commit: the other sessions' sockets close, and the profile's watchers hear of it.
    this.auth.announce(revoked);
    usersChanged(this.events, [user.id]);
    return user;
  }
}
