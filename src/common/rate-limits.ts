import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Config, RateLimitName, RateLimitRule } from '../config.js';
import { AppError } from './errors.js';
import type { Metrics } from './metrics.js';

/** What a counter says after an attempt was counted. */
export interface RateLimitState {
  limit: number;
  remaining: number;
  /** Seconds until the window frees up. */
  resetSeconds: number;
}

/** Keys that could carry personal data or secrets (emails, usernames, API keys) are stored hashed. */
export const hashedKey = (value: string): string => createHash('sha256').update(value).digest('base64url').slice(0, 32);

/**
 * The gateway's rate limits (rate-limiter-flexible): counters in Redis when it is
 * configured, so every process counts together, in memory otherwise. While Redis is
 * unreachable each process falls back to its own in-memory counters (the insurance
 * limiter): limits keep holding per process and nothing fails.
 *
 * Services take it in their constructor and call it with a limit name and whom to count:
 * `await this.rateLimits.consume('evaluation', userId)`.
 */
export class RateLimits {
  private readonly limiters = new Map<RateLimitName, RateLimiterAbstract>();
  /** Growing delays (login throttling): a key is held back until its delay has passed. */
  private readonly delays: RateLimiterAbstract;

  constructor(
    private readonly config: Config,
    redis: Redis | null,
    private readonly metrics?: Metrics,
  ) {
    for (const [name, rule] of Object.entries(config.rateLimits.rules) as [RateLimitName, RateLimitRule][]) {
      const opts = { keyPrefix: `${config.keyPrefix}rl:${name}`, points: rule.points, duration: rule.seconds };
      this.limiters.set(
        name,
        redis
          ? new RateLimiterRedis({ ...opts, storeClient: redis, rejectIfRedisNotReady: true, insuranceLimiter: new RateLimiterMemory(opts) })
          : new RateLimiterMemory(opts),
      );
    }
    const delayOpts = { keyPrefix: `${config.keyPrefix}rl:delay`, points: 1, duration: 1 };
    this.delays = redis
      ? new RateLimiterRedis({ ...delayOpts, storeClient: redis, rejectIfRedisNotReady: true, insuranceLimiter: new RateLimiterMemory(delayOpts) })
      : new RateLimiterMemory(delayOpts);
  }

  get enabled(): boolean {
    return this.config.rateLimits.enabled;
  }

  rule(name: RateLimitName): RateLimitRule {
    return this.config.rateLimits.rules[name];
  }

  /**
   * Counts `points` attempts of `key` against the limit `name`.
   * @throws rate_limited (429, with Retry-After and the RateLimit headers) when the limit is used up
   */
  async consume(name: RateLimitName, key: string, points = 1): Promise<RateLimitState> {
    const rule = this.rule(name);
    if (!this.enabled) return { limit: rule.points, remaining: rule.points, resetSeconds: 0 };
    try {
      const res = await this.limiters.get(name)!.consume(key, points);
      return { limit: rule.points, remaining: res.remainingPoints, resetSeconds: Math.ceil(res.msBeforeNext / 1000) };
    } catch (e) {
      if (e instanceof RateLimiterRes) throw this.limited(name, e.msBeforeNext);
      throw e;
    }
  }

  /**
   * Refuses `key` while its limit is used up, without counting this attempt (failed logins
   * are counted afterwards with `consume`, successes `reset` the count).
   * @throws rate_limited
   */
  async check(name: RateLimitName, key: string): Promise<void> {
    if (!this.enabled) return;
    const res = await this.limiters.get(name)!.get(key);
    if (res && res.consumedPoints >= this.rule(name).points) throw this.limited(name, res.msBeforeNext);
  }

  /** Counts a failure without refusing this attempt (it already got its answer); returns the count in the window. */
  async penalize(name: RateLimitName, key: string): Promise<number> {
    if (!this.enabled) return 0;
    const res = await this.limiters.get(name)!.penalty(key, 1);
    return res.consumedPoints;
  }

  /** Holds `key` back for `seconds` (a growing delay; a longer one already running is kept). */
  async delay(key: string, seconds: number): Promise<void> {
    if (!this.enabled) return;
    const current = await this.delayRemainingMs(key);
    if (current < seconds * 1000) await this.delays.block(key, seconds);
  }

  /** Milliseconds until `key`'s delay has passed (0: not held back). */
  async delayRemainingMs(key: string): Promise<number> {
    if (!this.enabled) return 0;
    const res = await this.delays.get(key);
    return res && res.consumedPoints > 1 ? res.msBeforeNext : 0;
  }

  /**
   * The 429 of limit `name`, for a caller held back `ms` longer.
   * @returns rate_limited with Retry-After and the RateLimit headers
   */
  refusal(name: RateLimitName, ms: number): AppError {
    return this.limited(name, ms);
  }

  /** Forgets `key`'s count, e.g. failed logins after a successful one. */
  async reset(name: RateLimitName, key: string): Promise<void> {
    if (!this.enabled) return;
    await this.limiters.get(name)!.delete(key);
  }

  private limited(name: RateLimitName, msBeforeNext: number): AppError {
    const rule = this.rule(name);
    this.metrics?.rateLimited.inc({ limit: name });
    const retry = Math.max(1, Math.ceil(msBeforeNext / 1000));
    return new AppError(
      'rate_limited',
      `Too many requests; try again in ${retry} s`,
      { limit: name, retry_after_seconds: retry },
      {
        'retry-after': String(retry),
        'ratelimit-limit': String(rule.points),
        'ratelimit-remaining': '0',
        'ratelimit-reset': String(retry),
        'ratelimit-policy': `${rule.points};w=${rule.seconds}`,
      },
    );
  }
}
