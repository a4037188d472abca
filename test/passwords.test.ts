import { readdirSync, readFileSync } from 'node:fs';
import { getPriority as osPriority } from 'node:os';
import { describe, expect, it } from 'vitest';
import { THREAD_NAMES } from '../src/common/threads.js';
import { PasswordHasher } from '../src/modules/auth/passwords.js';

/**
 * Hashes the gateway stored before it moved from the `argon2` package to `@node-rs/argon2`
 * (release 0.2.0 wrote these, and the databases in test/fixtures/release-0.2.0): PHC strings
 * whose parameters come in the order m, p, t, which the new library must read as they are.
 */
const RELEASE_HASH = '$argon2id$v=19$m=19456,p=1,t=2$mogWVXypgh+BN4R9XMis2Q$C36VO7wRJCG8xsHa4s5mYylLr/Vc/7ujYfge68vJfFc';
/** argon2i with weaker parameters, as an older deployment might hold. */
const WEAK_HASH = '$argon2i$v=19$m=4096,p=1,t=3$01h1dr8x1QAK9fUH64Jbog$BLowplR6t2t9SF7ot4e9HEHdRdkqbNMkc5hr8j4yobU';

describe('password hashes (PHC strings)', () => {
  const hasher = new PasswordHasher(19456, 2);

  it('verifies the hashes the argon2 package wrote, and only for their password', async () => {
    expect(await hasher.verify(RELEASE_HASH, 'correct horse battery staple')).toBe(true);
    expect(await hasher.verify(RELEASE_HASH, 'correct horse battery stapl')).toBe(false);
    expect(await hasher.verify(WEAK_HASH, 'legacy password')).toBe(true);
    expect(await hasher.verify('not a hash', 'legacy password')).toBe(false);
  });

  it('asks for a new hash only when the stored one was made with other parameters', async () => {
    expect(hasher.needsRehash(RELEASE_HASH)).toBe(false);
    expect(hasher.needsRehash(WEAK_HASH)).toBe(true);
    expect(new PasswordHasher(65536, 3).needsRehash(RELEASE_HASH)).toBe(true);
    expect(hasher.needsRehash('not a hash')).toBe(true);
  });

  it('writes argon2id v19 with the configured cost, which it verifies', async () => {
    const hash = await hasher.hash('a new password');
    expect(hash).toMatch(/^\$argon2id\$v=19\$/);
    expect(hasher.needsRehash(hash)).toBe(false);
    expect(await hasher.verify(hash, 'a new password')).toBe(true);
  });
});

/** The nice value of each thread of this process (Linux: /proc/self/task/<tid>/stat, field 19). */
function threadNices(): number[] {
  return readdirSync('/proc/self/task').map((tid) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}

/** The nice values of this process's threads named `name` (Linux: /proc/self/task/<tid>/comm). */
function nicesOfThreadsNamed(name: string): number[] {
  return readdirSync('/proc/self/task').flatMap((tid) => {
    try {
      if (readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim() !== name) return [];
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      return [Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])];
    } catch {
      return []; // ended meanwhile
    }
  });
}

describe('password hashing threads', () => {
  it('hash and verify on threads of their own, as many at once as asked, at the priority asked for; closing fails later calls', async () => {
    const before = threadNices().filter((n) => n === 7).length;
    const hasher = new PasswordHasher(19456, 2, 2, 7);
    const hashes = await Promise.all(['one', 'two', 'three', 'four'].map((p) => hasher.hash(p)));
    expect(await Promise.all(hashes.map((h, i) => hasher.verify(h, ['one', 'two', 'three', 'four'][i]!)))).toEqual([true, true, true, true]);
    expect(await hasher.verify(hashes[0]!, 'two')).toBe(false);
    // Two hashing threads lowered their own priority; this one (and the rest of the process) did not.
    if (process.platform === 'linux') {
      expect(threadNices().filter((n) => n === 7).length - before).toBe(2);
      expect(osPriority()).toBe(0);
      // Named, where `top -H` and `ps -L` show them: the two at nice 7 are the hashing threads.
      expect(nicesOfThreadsNamed(THREAD_NAMES.passwords).filter((n) => n === 7)).toHaveLength(2);
    }
    await hasher.close();
    await expect(hasher.hash('after')).rejects.toThrow(/closed/);
    expect(await hasher.verify(hashes[0]!, 'one')).toBe(false);
    if (process.platform === 'linux') expect(threadNices().filter((n) => n === 7).length).toBe(before);
  });
});
