import argon2 from 'argon2';
import { Semaphore } from '../../common/semaphore.js';

/** argon2id with at least OWASP's parameters (19 MiB, 2 passes, 1 lane). */
export class PasswordHasher {
  private readonly options: argon2.HashOptions;
  /** A hash of nothing, checked when the account does not exist so timing tells nothing. */
  private dummy: Promise<string> | null = null;
  /** Hashing runs on libuv's threads: left unbounded, a login storm takes every core and every other request waits behind it. */
  private readonly slots: Semaphore;

  /** `concurrency`: hashes computed at once (the rest queue). */
  constructor(memoryKib: number, iterations: number, concurrency = 1) {
    this.options = { type: argon2.argon2id, memoryCost: memoryKib, timeCost: iterations, parallelism: 1 };
    this.slots = new Semaphore(Math.max(1, concurrency));
  }

  hash(password: string): Promise<string> {
    return this.slots.run(() => argon2.hash(password, { ...this.options, raw: false }));
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

  /** True when the stored hash is weaker than the current parameters. */
  needsRehash(hash: string): boolean {
    return argon2.needsRehash(hash, this.options);
  }
}
