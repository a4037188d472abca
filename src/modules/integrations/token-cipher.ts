import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A sealed secret and the id of the key that sealed it (stored beside it, so keys can rotate). */
export interface Sealed {
  keyId: string;
  ciphertext: string;
}

/**
 * AES-256-GCM for secrets at rest (OAuth tokens, PKCE verifiers). Each value gets a fresh
 * 96-bit IV; the associated data binds a ciphertext to the row it belongs to, so a
 * ciphertext copied into another row does not decrypt. The first key seals; every listed
 * key opens, which is what lets an operator rotate: add a new first key, re-encrypt, then
 * drop the old one.
 */
export class TokenCipher {
  private readonly keys: Map<string, Buffer>;
  readonly primaryKeyId: string | null;

  constructor(keys: readonly { id: string; key: string }[]) {
    this.keys = new Map(keys.map((k) => [k.id, Buffer.from(k.key, 'base64')]));
    for (const [id, key] of this.keys) if (key.length !== 32) throw new Error(`encryption key ${id} is not 32 bytes`);
    this.primaryKeyId = keys[0]?.id ?? null;
  }

  get configured(): boolean {
    return this.primaryKeyId !== null;
  }

  /** Whether a value sealed with `keyId` should be re-sealed with the current key. */
  isStale(keyId: string): boolean {
    return keyId !== this.primaryKeyId;
  }

  seal(plaintext: string, associatedData: string): Sealed {
    if (!this.primaryKeyId) throw new Error('no encryption key configured');
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.primaryKeyId)!, iv);
    cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const sealed = Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
    return { keyId: this.primaryKeyId, ciphertext: `${VERSION}.${sealed}` };
  }

  /** @throws when the key is unknown or the ciphertext, its key or its associated data do not match */
  open(sealed: Sealed, associatedData: string): string {
    const key = this.keys.get(sealed.keyId);
    if (!key) throw new Error(`encryption key ${sealed.keyId} is not configured`);
    const [version, data] = sealed.ciphertext.split('.');
    if (version !== VERSION || !data) throw new Error('unknown ciphertext format');
    const raw = Buffer.from(data, 'base64url');
    if (raw.length < IV_BYTES + TAG_BYTES) throw new Error('ciphertext too short');
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  }
}
