import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { S3FileStore } from '../src/storage/s3-store.js';
import { signUp } from './helpers/factories.js';
import { startFakeS3, type FakeS3 } from './helpers/fake-s3.js';
import { restClient } from './helpers/http.js';
import { startServer } from './helpers/server.js';

let s3: FakeS3;
beforeAll(async () => {
  s3 = await startFakeS3();
});
afterAll(async () => {
  await s3?.close();
});

const store = (over: Partial<ConstructorParameters<typeof S3FileStore>[0]> = {}, now?: () => number) =>
  new S3FileStore(
    { bucket: s3.bucket, endpoint: s3.url, region: 'us-east-1', credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey }, forcePathStyle: true, prefix: 'uploads/', ...over },
    now ? { clock: { now, at: () => () => undefined } } : {},
  );

describe('the S3-compatible upload store (AWS SDK v3 against a local S3 wire server)', () => {
  it('stores content-addressed objects under the prefix, signed, and reads them back', async () => {
    const st = store();
    const bytes = Buffer.from('%PDF-1.4 not really a pdf, but bytes all the same');
    const sha = createHash('sha256').update(bytes).digest('hex');
    const { key, sha256 } = await st.put(bytes);
    expect(sha256).toBe(sha);
    expect(key).toBe(`sha256/${sha.slice(0, 2)}/${sha}`);
    expect([...s3.objects.keys()]).toContain(`uploads/${key}`);
    expect((await st.get(key)).equals(bytes)).toBe(true);
    // The same bytes give the same key, one object.
    expect((await st.put(Buffer.from(bytes))).key).toBe(key);
    expect([...s3.objects.keys()].filter((k) => k === `uploads/${key}`)).toHaveLength(1);
    // Every request was signed with Signature V4 for the configured key, path-style.
    expect(s3.requests.every((r) => r.authorization?.startsWith(`AWS4-HMAC-SHA256 Credential=${s3.accessKeyId}/`) && r.path.startsWith(`/${s3.bucket}/`))).toBe(true);
    expect(await st.ready()).toBe(true);
    st.close();
  });

  it('keeps an object stored within the grace period, removes an older one, and says when one is missing', async () => {
    let now = Date.now();
    const st = store({}, () => now);
    const { key } = await st.put(Buffer.from(`removable ${Math.random()}`));
    expect(await st.remove(key)).toBe(false);
    expect(s3.objects.has(`uploads/${key}`)).toBe(true);
    now += 120_000;
    expect(await st.remove(key)).toBe(true);
    expect(s3.objects.has(`uploads/${key}`)).toBe(false);
    // Removing what is gone is fine (and says it is gone); reading it is ENOENT, as on disk.
    expect(await st.remove(key)).toBe(true);
    await expect(st.get(key)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(st.get('../etc/passwd')).rejects.toThrow('invalid storage key');
    st.close();
  });

  it('is not ready with wrong credentials or a missing bucket', async () => {
    const wrong = store({ credentials: { accessKeyId: 'AKIAOTHER', secretAccessKey: 'x' } });
    expect(await wrong.ready()).toBe(false);
    await expect(wrong.put(Buffer.from('no'))).rejects.toThrow();
    wrong.close();
    const noBucket = store({ bucket: 'no-such-bucket' });
    expect(await noBucket.ready()).toBe(false);
    noBucket.close();
  });

  it('is chosen by S3_BUCKET (keys both or neither); DATA_DIR stays the default', () => {
    // A directory of the test's own, outside the working tree (loading the configuration makes it).
    const tmp = mkdtempSync(join(tmpdir(), 'xentree-s3-config-'));
    try {
      const dir = { DATA_DIR: join(tmp, 'data') };
      expect(loadConfig(dir).storage.s3).toBeNull();
      expect(loadConfig({ ...dir, ...s3.env('x/') }).storage.s3).toMatchObject({ bucket: s3.bucket, endpoint: s3.url, forcePathStyle: true, prefix: 'x/' });
      expect(() => loadConfig({ ...dir, S3_BUCKET: 'b-ucket', S3_ACCESS_KEY_ID: 'only-the-id' })).toThrow(/set both, or neither/);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('keeps a gateway\'s uploads in the bucket: ingested from there, the original served back, nothing under DATA_DIR', async () => {
    const server = await startServer(s3.env('gw/'));
    try {
      const api = restClient(server.url);
      const u = await signUp(api);
      const content = `# Glaciers\n\nGlaciers carve valleys over thousands of years. ${Math.random()}`;
      const form = new FormData();
      form.append('file', new Blob([content], { type: 'text/markdown' }), 'glaciers.md');
      const res = await fetch(`${server.url}/api/knowledge/documents`, { method: 'POST', headers: { authorization: `Bearer ${u.accessToken}` }, body: form });
      expect(res.status).toBe(201);
      const doc = (await res.json()) as { id: string };
      const sha = createHash('sha256').update(content).digest('hex');
      // Stored before the answer.
      expect(s3.objects.get(`gw/sha256/${sha.slice(0, 2)}/${sha}`)?.body.toString()).toBe(content);
      await server.app.services.knowledge.drain();
      expect((await api.get(`/api/knowledge/documents/${doc.id}`, { token: u.accessToken })).body.status).toBe('ready');
      const file = await fetch(`${server.url}/api/knowledge/documents/${doc.id}/file`, { headers: { authorization: `Bearer ${u.accessToken}` } });
      expect(file.status).toBe(200);
      expect(await file.text()).toBe(content);
      const uploads = join(server.config.dataDir, 'uploads');
      expect(existsSync(uploads) ? readdirSync(uploads) : []).toEqual([]);
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);

      // The store's upkeep walks the bucket: an object no document refers to goes once old; the document's stays.
      const orphan = Buffer.from(`an upload whose document never committed ${Math.random()}`);
      const orphanKey = `gw/sha256/${createHash('sha256').update(orphan).digest('hex').slice(0, 2)}/${createHash('sha256').update(orphan).digest('hex')}`;
      const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
      s3.objects.set(orphanKey, { body: orphan, lastModified: twoHoursAgo });
      s3.objects.get(`gw/sha256/${sha.slice(0, 2)}/${sha}`)!.lastModified = twoHoursAgo;
      expect(await server.app.services.knowledge.sweepFiles(server.app.orm.em.fork())).toEqual({ files: 1, unfinished: 0, failed: 0 });
      expect(s3.objects.has(orphanKey)).toBe(false);
      expect(s3.objects.has(`gw/sha256/${sha.slice(0, 2)}/${sha}`)).toBe(true);
    } finally {
      await server.close();
    }
  });
});
