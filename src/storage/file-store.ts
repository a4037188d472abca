import { createHash, randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink, utimes } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Where the original bytes of uploads are kept. Keys are opaque to callers. */
export interface BlobStore {
  /** Stores the bytes durably (on disk, synced) before answering; the same bytes give the same key. */
  put(bytes: Buffer): Promise<{ key: string; sha256: string }>;
  get(key: string): Promise<Buffer>;
  /** Whether the bytes are stored. */
  exists(key: string): Promise<boolean>;
  /**
   * Removes the bytes unless stored or touched within `graceMs` (UPLOAD_GRACE_MS: an upload of the
   * same bytes may be about to use them). Answers whether they are gone (removed, or not there).
   */
  remove(key: string, graceMs?: number): Promise<boolean>;
  /**
   * Up to `limit` stored keys after the cursor `after` (in key order; null: from the first) and,
   * of those, the ones neither stored nor touched within `olderThanMs`. `next` is the cursor for
   * the next page, null once every key was listed (`olderThanMs` 0: every key, however recent; a
   * file's time can be a moment ahead of the process's clock). The store's upkeep (UPLOAD_SWEEP_*) walks it.
   */
  list(after: string | null, limit: number, olderThanMs: number): Promise<BlobPage>;
  /** Removes what writes cut short left behind (a crash mid-write), untouched for `olderThanMs`; answers how many. */
  removeUnfinished(olderThanMs: number): Promise<number>;
  ready(): Promise<boolean>;
}

/** A page of a store's keys (BlobStore.list). */
export interface BlobPage {
  /** The listed keys not stored nor touched within the age asked for. */
  old: string[];
  /** Where the next page starts (after the last key listed); null: nothing is left to list. */
  next: string | null;
}

const KEY = /^sha256\/[0-9a-f]{2}\/[0-9a-f]{64}$/;
const FAN = /^[0-9a-f]{2}$/;
const NAME = /^[0-9a-f]{64}$/;
/** A write in progress, or one a crash cut short (`put`'s temporary name). */
const UNFINISHED = /^\.[0-9a-f]{64}\.[0-9a-f-]{36}\.tmp$/;

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

  async exists(key: string): Promise<boolean> {
    try {
      await stat(this.path(key));
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
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

  async list(after: string | null, limit: number, olderThanMs: number): Promise<BlobPage> {
    if (after !== null && !KEY.test(after)) throw new Error('invalid storage key');
    const from = after?.slice(7, 9) ?? '';
    const fans = (await this.fans()).filter((d) => d >= from).sort();
    const keys: string[] = [];
    let complete = true;
    for (const fan of fans) {
      const names = (await entries(join(this.root, 'sha256', fan))).filter((n) => NAME.test(n)).sort();
      for (const name of names) {
        const key = `sha256/${fan}/${name}`;
        if (after !== null && key <= after) continue;
        if (keys.length === limit) {
          complete = false;
          break;
        }
        keys.push(key);
      }
      if (!complete) break;
    }
    const now = Date.now();
    const old: string[] = [];
    for (const key of keys) {
      const s = await stat(this.path(key)).catch(() => null);
      if (s && (olderThanMs <= 0 || now - s.mtimeMs >= olderThanMs)) old.push(key);
    }
    return { old, next: complete || !keys.length ? null : keys[keys.length - 1]! };
  }

  async removeUnfinished(olderThanMs: number): Promise<number> {
    let removed = 0;
    const now = Date.now();
    for (const fan of await this.fans()) {
      const dir = join(this.root, 'sha256', fan);
      for (const name of (await entries(dir)).filter((n) => UNFINISHED.test(n))) {
        const path = join(dir, name);
        const s = await stat(path).catch(() => null);
        if (!s || now - s.mtimeMs < olderThanMs) continue;
        await rm(path, { force: true });
        removed++;
      }
    }
    return removed;
  }

  /** The two-hex-digit directories under sha256/ (none before the first upload). */
  private async fans(): Promise<string[]> {
    return (await entries(join(this.root, 'sha256'))).filter((d) => FAN.test(d));
  }

  /** Whether an upload can be kept now: the directory exists and a file can be made in it (not a read-only or full disk). */
  async ready(): Promise<boolean> {
    try {
      await mkdir(this.root, { recursive: true });
      const probe = join(this.root, `.ready.${randomUUID()}.tmp`);
      await (await open(probe, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600)).close();
      await unlink(probe);
      return true;
    } catch {
      return false;
    }
  }
}

/** The names in `dir`; none when it does not exist (nothing stored there yet). */
async function entries(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
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
