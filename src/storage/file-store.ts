import { createHash, randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, unlink, utimes } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Where the original bytes of uploads are kept. Keys are opaque to callers. */
export interface BlobStore {
  /** Stores the bytes durably (on disk, synced) before answering; the same bytes give the same key. */
  put(bytes: Buffer): Promise<{ key: string; sha256: string }>;
  get(key: string): Promise<Buffer>;
  /**
   * Removes the bytes unless stored or touched within `graceMs` (UPLOAD_GRACE_MS: an upload of the
   * same bytes may be about to use them). Answers whether they are gone (removed, or not there).
   */
  remove(key: string, graceMs?: number): Promise<boolean>;
  ready(): Promise<boolean>;
}

const KEY = /^sha256\/[0-9a-f]{2}\/[0-9a-f]{64}$/;

/** How long stored bytes are kept after they were stored or stored again, whatever refers to them (BlobStore.remove). */
export const UPLOAD_GRACE_MS = 60_000;

/**
 * Content-addressed files under a directory: `sha256/ab/abcd…`. A file is written to a temporary
 * name beside its final one, fsynced, renamed into place (atomic), and the directory fsynced, so
 * after the answer a crash leaves either the whole file or none, never part of one. Storing
 * bytes already present only refreshes the file's time (see `remove`).
 */
export class LocalFileStore implements BlobStore {
  constructor(private readonly root: string) {}

  private path(key: string): string {
    if (!KEY.test(key)) throw new Error('invalid storage key');
    return join(this.root, key);
  }

  async put(bytes: Buffer): Promise<{ key: string; sha256: string }> {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const key = `sha256/${sha256.slice(0, 2)}/${sha256}`;
    const path = this.path(key);
    const now = new Date();
    try {
      await utimes(path, now, now);
      return { key, sha256 };
    } catch {
      // Not there yet.
    }
    const dir = dirname(path);
    await mkdir(dir, { recursive: true });
    const temp = join(dir, `.${sha256}.${randomUUID()}.tmp`);
    const file = await open(temp, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600);
    try {
      await file.writeFile(bytes);
      await file.sync();
    } finally {
      await file.close();
    }
    try {
      await rename(temp, path);
    } catch (e) {
      await rm(temp, { force: true });
      throw e;
    }
    await syncDir(dir);
    return { key, sha256 };
  }

  async get(key: string): Promise<Buffer> {
    return readFile(this.path(key));
  }

  async remove(key: string, graceMs = UPLOAD_GRACE_MS): Promise<boolean> {
    const path = this.path(key);
    try {
      const s = await stat(path);
      if (Date.now() - s.mtimeMs < graceMs) return false;
      await unlink(path);
      await syncDir(dirname(path));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    return true;
  }

  async ready(): Promise<boolean> {
    try {
      await mkdir(this.root, { recursive: true });
      return true;
    } catch {
      return false;
    }
  }
}

/** Makes a rename or an unlink in `dir` durable. */
async function syncDir(dir: string): Promise<void> {
  const d = await open(dir, constants.O_RDONLY);
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}
