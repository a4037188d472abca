import type { EntityManager } from '@mikro-orm/core';
import type { Clock } from '../../common/clock.js';
import { hashedKey, type RateLimits } from '../../common/rate-limits.js';
import type { Config } from '../../config.js';
import { LoginSession } from './auth.entities.js';

/** Who is trying a password, and for which account. */
export interface PasswordAttempt {
  /** The account's id, or a hash of the name asked for when no account has it. */
  account: string;
  /** The user, when the account exists (for its sign-in history). */
  userId: string | null;
  /** The client's address (null for internal calls: no address counters). */
  ip: string | null;
  /** The login session of a re-authentication (current password on a profile change). */
  sessionId?: string;
}

/**
 * Password guessing, throttled so that a stranger cannot turn it against the account's
 * owner (OWASP Authentication Cheat Sheet: account lockout is a denial of service; slow down
 * untrusted clients instead, let known ones through). Sign-ins and re-authentications (the
 * current password for a sensitive change) share the counts:
 *
 * - `login_ip`: every sign-in attempt per address (counted by the caller, before the input).
 * - `login_account_ip`: failures per (account, address): past it, that address alone waits out
 *   the window for that account. A success there forgets them.
 * - `login_account`: failures per account from anywhere. Past it, each further failure doubles
 *   a delay (1 s, 2 s, 4 s… up to LOGIN_MAX_DELAY_SECONDS) that addresses the account never
 *   signed in from must wait before the next attempt; an address it signed in from within
 *   LOGIN_KNOWN_ADDRESS_DAYS is not held back, so the owner at home or at work still gets in
 *   while someone guesses from elsewhere. No count locks the account.
 * - `reauth_session`: wrong current passwords per login session, so a stolen access token
 *   cannot brute-force the password it does not know.
 */
export class LoginThrottle {
  constructor(
    private readonly rateLimits: RateLimits,
    private readonly config: Config['rateLimits'],
    private readonly clock: Clock,
  ) {}

  /**
   * Refuses the attempt while one of its counts holds it back (before the password is checked,
   * so a refused attempt costs no hash and tells nothing).
   * @throws rate_limited (`reauth_session`, `login_account_ip` or `login_account`, with Retry-After)
   */
  async before(em: EntityManager, attempt: PasswordAttempt): Promise<void> {
    if (!this.rateLimits.enabled) return;
    if (attempt.sessionId) await this.rateLimits.check('reauth_session', attempt.sessionId);
    if (attempt.ip) await this.rateLimits.check('login_account_ip', this.pairKey(attempt));
    const ms = await this.rateLimits.delayRemainingMs(this.delayKey(attempt));
    if (ms > 0 && !(await this.isKnownAddress(em, attempt))) throw this.rateLimits.refusal('login_account', ms);
  }

  /** Counts a wrong password against the address, the account (growing the delay past its count) and the session. */
  async failed(attempt: PasswordAttempt): Promise<void> {
    if (!this.rateLimits.enabled) return;
    if (attempt.sessionId) await this.rateLimits.penalize('reauth_session', attempt.sessionId);
    if (attempt.ip) await this.rateLimits.penalize('login_account_ip', this.pairKey(attempt));
    const failures = await this.rateLimits.penalize('login_account', attempt.account);
    const free = this.rateLimits.rule('login_account').points;
    if (failures > free) {
      const seconds = Math.min(2 ** Math.min(failures - free - 1, 30), this.config.loginMaxDelaySeconds);
      await this.rateLimits.delay(this.delayKey(attempt), seconds);
    }
  }

  /** The right password: this address's and this session's failures are forgotten (the account's count runs out on its own). */
  async succeeded(attempt: PasswordAttempt): Promise<void> {
    if (!this.rateLimits.enabled) return;
    if (attempt.sessionId) await this.rateLimits.reset('reauth_session', attempt.sessionId);
    if (attempt.ip) await this.rateLimits.reset('login_account_ip', this.pairKey(attempt));
  }

  /** Whether the account signed in from this address recently (its login sessions keep the address). */
  private async isKnownAddress(em: EntityManager, attempt: PasswordAttempt): Promise<boolean> {
    const days = this.config.loginKnownAddressDays;
    if (!attempt.userId || !attempt.ip || days <= 0) return false;
    const since = new Date(this.clock.now() - days * 86_400_000);
    return (await em.count(LoginSession, { user: attempt.userId, ip: attempt.ip, createdAt: { $gte: since } })) > 0;
  }

  private pairKey(attempt: PasswordAttempt): string {
    return hashedKey(`${attempt.account}\u0000${attempt.ip}`);
  }

  private delayKey(attempt: PasswordAttempt): string {
    return `login:${attempt.account}`;
  }
}
