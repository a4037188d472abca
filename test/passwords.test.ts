import { describe, expect, it } from 'vitest';
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
