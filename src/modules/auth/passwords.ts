import * as argon2 from '@node-rs/argon2';
import { Semaphore } from '../../common/semaphore.js';

// The package declares these as const enums, which have no values at run time (and code not
// compiled by tsc, such as the tests', cannot inline them): their numbers, from its typings.
const ARGON2ID: argon2.Algorithm = 2;
const V0x13: argon2.Version = 1;

/**
 * argon2id with at least OWASP's parameters (19 MiB, 2 passes, 1 lane), as PHC strings
 * (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`): hashes written by the `argon2` package, which
 * the gateway used before, verify the same.
 */
export class PasswordHasher {
  private readonly options: argon2.Options & Required<Pick<argon2.Options, 'memoryCost' | 'timeCost' | 'parallelism'>>;
  /** A hash of nothing, checked when the account does not exist so timing tells nothing. */
  private dummy: Promise<string> | null = null;
  /** Hashing runs on libuv's threads: left unbounded, a login storm takes every core and every other request waits behind it. */
  private readonly slots: Semaphore;

  /** `concurrency`: hashes computed at once (the rest queue). */
  constructor(memoryKib: number, iterations: number, concurrency = 1) {
    this.options = { algorithm: ARGON2ID, version: V0x13, memoryCost: memoryKib, timeCost: iterations, parallelism: 1 };
    this.slots = new Semaphore(Math.max(1, concurrency));
  }

  hash(password: string): Promise<string> {
    return this.slots.run(() => argon2.hash(password, this.options));
  }

  async verify(hash: string, password: string): Promise<boolean> {
    try {
      return await this.slots.run(() => argon2.verify(hash, password));
    } catch {
      return false;
    }
  }

  /** Spends the same work as a real verification, for an account that does not exist. */
  async verifyNobody(password: string): Promise<false> {
    this.dummy ??= this.hash('not a real password: equalises login timing');
    await this.verify(await this.dummy, password);
    return false;
  }

  /** True when the stored hash was made otherwise than the current parameters say (or is not one we can read). */
  needsRehash(hash: string): boolean {
    try {
      const p = argon2.parseOptions(hash);
      return p.algorithm !== ARGON2ID || p.version !== V0x13 || p.memoryCost !== this.options.memoryCost || p.timeCost !== this.options.timeCost || p.parallelism !== this.options.parallelism;
    } catch {
      return true;
    }
  }
}
