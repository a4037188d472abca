import type { RequestContext } from '../../common/context.js';
import { AppError } from '../../common/errors.js';
import { requireUser } from '../../common/access.js';
import type { EventBus } from '../../common/pubsub.js';
import { parseInput } from '../../common/validation.js';
import type { AuthService } from '../auth/auth.service.js';
import { User } from './user.entity.js';
import { normalizeEmail, normalizeUsername } from './users.normalize.js';
import { updateMeSchema, type UpdateMeData } from './users.types.js';
import { UniqueConstraintViolationException } from '@mikro-orm/core';

/** Profiles: reading and changing one's own. */
export class UsersService {
  constructor(
    private readonly auth: AuthService,
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
   * Changes the caller's profile. A new password needs the current one and ends every
   * other login session; the caller's own session stays.
   * @throws not_authenticated, validation_error, invalid_credentials (wrong current password), conflict
   */
  async updateMe(ctx: RequestContext, data: UpdateMeData): Promise<User> {
    const principal = requireUser(ctx);
    const input = parseInput(updateMeSchema, data ?? {});
    const user = await ctx.em.transactional(async (em) => {
      const user = await em.findOne(User, { id: principal.userId }, { populate: ['passwordHash'] });
      if (!user) throw new AppError('invalid_token', 'The account of this token no longer exists');

      if (input.newPassword != null) {
        const ok = await this.auth.passwords.verify(user.passwordHash, input.currentPassword ?? '');
        if (!ok) {
          throw new AppError('invalid_credentials', 'Current password is incorrect', {
            fields: [{ loc: ['currentPassword'], message: 'is incorrect' }],
          });
        }
        user.passwordHash = await this.auth.passwords.hash(input.newPassword);
        await this.auth.revokeSessions(em, { user: user.id, idNot: principal.sessionId }, 'password_changed');
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
      try {
        await em.flush();
      } catch (e) {
        if (e instanceof UniqueConstraintViolationException) throw new AppError('conflict', 'Email or username is already registered');
        throw e;
      }
      return user;
    });
    this.events.publish('USER_UPDATED', { userId: user.id });
    return user;
  }
}
