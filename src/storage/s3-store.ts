import { createHash } from 'node:crypto';
import { DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import type { Clock } from '../common/clock.js';
import { systemClock } from '../common/clock.js';
import { UPLOAD_GRACE_MS, type BlobPage, type BlobStore } from './file-store.js';

export interface S3StoreConfig {
  bucket: string;
  /** An S3-compatible endpoint; null: AWS S3 of `region`. */
  endpoint: string | null;
  region: string;
  /** null: the AWS SDK's default credential chain. */
  credentials: { accessKeyId: string; secretAccessKey: string } | null;
  forcePathStyle: boolean;
  /** Prepended to every object key ('' or ending with /). */
  prefix: string;
}

const KEY = /^sha256\/[0-9a-f]{2}\/[0-9a-f]{64}$/;

const missing = (e: unknown) => e instanceof S3ServiceException && (e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata.httpStatusCode === 404);

/**
 * Uploads in an S3-compatible bucket, behind the same interface as the local store and with the
 * same content-addressed keys (`sha256/ab/abcd…`, under the configured prefix). A PutObject is
 * answered once the object is stored whole (S3 writes are atomic per object: a reader sees the
 * old object, the new one or none, never part of one), and it carries the bytes' SHA-256, which
 * the server checks, so a corrupted transfer is refused rather than kept. Storing bytes already
 * present writes them again, which refreshes the object's time (see `remove`).
 */
export class S3FileStore implements BlobStore {
  private readonly client: S3Client;
  private readonly clock: Clock;

  constructor(
    private readonly cfg: S3StoreConfig,
    options: { clock?: Clock; timeoutMs?: number } = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.client = new S3Client({
      region: cfg.region,
      ...(cfg.endpoint ? { endpoint: cfg.endpoint } : {}),
      // A copy: the SDK marks the object it is given, and the configuration is frozen.
      ...(cfg.credentials ? { credentials: { accessKeyId: cfg.credentials.accessKeyId, secretAccessKey: cfg.credentials.secretAccessKey } } : {}),
      forcePathStyle: cfg.forcePathStyle,
      // The SHA-256 given with each put is the checksum; no other is computed for every request.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 3,
      requestHandler: { requestTimeout: options.timeoutMs ?? 30_000, connectionTimeout: 5000 },
    });
  }

  private object(key: string): string {
    if (!KEY.test(key)) throw new Error('invalid storage key');
    return `${this.cfg.prefix}${key}`;
  }

  async put(bytes: Buffer): Promise<{ key: string; sha256: string }> {
    const digest = createHash('sha256').update(bytes).digest();
    const sha256 = digest.toString('hex');
    const key = `sha256/${sha256.slice(0, 2)}/${sha256}`;
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.cfg.bucket,
        Key: this.object(key),
        Body: bytes,
        ContentLength: bytes.length,
        ContentType: 'application/octet-stream',
        ChecksumSHA256: digest.toString('base64'),
      }),
    );
    return { key, sha256 };
  }

  async get(key: string): Promise<Buffer> {
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.cfg.bucket, Key: this.object(key) }));
      if (!r.Body) throw new Error('the object has no body');
      return Buffer.from(await r.Body.transformToByteArray());
    } catch (e) {
      if (missing(e)) throw Object.assign(new Error(`stored file ${key} not found`), { code: 'ENOENT' });
      throw e;
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.cfg.bucket, Key: this.object(key) }));
      return true;
    } catch (e) {
      if (missing(e)) return false;
      throw e;
    }
  }

  async remove(key: string, graceMs = UPLOAD_GRACE_MS): Promise<boolean> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.cfg.bucket, Key: this.object(key) }));
      if (head.LastModified && this.clock.now() - head.LastModified.getTime() < graceMs) return false;
      await this.client.send(new DeleteObjectCommand({ Bucket: this.cfg.bucket, Key: this.object(key) }));
    } catch (e) {
      if (!missing(e)) throw e;
    }
    return true;
  }

  async list(after: string | null, limit: number, olderThanMs: number): Promise<BlobPage> {
    const prefix = `${this.cfg.prefix}sha256/`;
    const r = await this.client.send(
      new ListObjectsV2Command({ Bucket: this.cfg.bucket, Prefix: prefix, MaxKeys: limit, ...(after !== null ? { StartAfter: `${this.cfg.prefix}${after}` } : {}) }),
    );
    const listed = (r.Contents ?? []).flatMap((o) => (o.Key?.startsWith(this.cfg.prefix) ? [{ key: o.Key.slice(this.cfg.prefix.length), at: o.LastModified?.getTime() }] : []));
    const now = this.clock.now();
    // Only the store's own keys (anything else under the prefix is not ours to remove).
    const old = listed.filter((o) => KEY.test(o.key) && o.at !== undefined && (olderThanMs <= 0 || now - o.at >= olderThanMs)).map((o) => o.key);
    const last = r.Contents?.at(-1)?.Key;
    if (!r.IsTruncated) return { old, next: null };
    // A server that ignores StartAfter would hand the same page back for ever, one that says it
    // left keys out but sent none would end the walk early: either is an error, not a result.
    const next = last?.slice(this.cfg.prefix.length);
    if (next === undefined || (after !== null && next <= after)) throw new Error('the bucket listing did not move past its cursor (StartAfter unsupported?)');
    return { old, next };
  }

  /** A PutObject stores the whole object or none: nothing is left half-written. */
  async removeUnfinished(): Promise<number> {
    return 0;
  }

  async ready(): Promise<boolean> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.cfg.bucket }));
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    this.client.destroy();
  }
}
