import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

/**
 * A local server speaking the S3 REST wire protocol on loopback, path-style addressing, enough
 * for the upload store: PutObject (checking x-amz-checksum-sha256 when sent), GetObject,
 * HeadObject, DeleteObject, HeadBucket and ListObjectsV2. Requests must carry a Signature V4 Authorization
 * header for the configured access key, with x-amz-date and x-amz-content-sha256 (the signature
 * itself is not recomputed); others get S3's AccessDenied. Errors are S3's XML.
 */
export interface FakeS3 {
  url: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  objects: Map<string, { body: Buffer; lastModified: Date }>;
  requests: { method: string; path: string; authorization: string | null }[];
  /** The env a gateway needs to keep uploads here. */
  env(prefix?: string): Record<string, string>;
  close(): Promise<void>;
}

const xmlError = (res: ServerResponse, status: number, code: string, message: string) => {
  res.writeHead(status, { 'content-type': 'application/xml' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`);
};

export async function startFakeS3(bucket = 'xentree-test'): Promise<FakeS3> {
  const accessKeyId = 'AKIAFAKES3TEST';
  const secretAccessKey = 'fake-s3-secret-key-for-tests-only';
  const objects = new Map<string, { body: Buffer; lastModified: Date }>();
  const requests: FakeS3['requests'] = [];
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://s3.local');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const authorization = typeof req.headers.authorization === 'string' ? req.headers.authorization : null;
    requests.push({ method: req.method ?? '', path: url.pathname, authorization });
    if (!authorization?.startsWith(`AWS4-HMAC-SHA256 Credential=${accessKeyId}/`) || !req.headers['x-amz-date'] || !req.headers['x-amz-content-sha256']) {
      return xmlError(res, 403, 'AccessDenied', 'Access Denied');
    }
    const [, b, ...rest] = url.pathname.split('/');
    if (b !== bucket) return req.method === 'HEAD' ? (res.writeHead(404), res.end()) : xmlError(res, 404, 'NoSuchBucket', 'The specified bucket does not exist');
    const key = decodeURIComponent(rest.join('/'));
    if (!key) {
      if (req.method === 'HEAD') return (res.writeHead(200), res.end());
      if (req.method === 'GET' && url.searchParams.get('list-type') === '2') return listObjectsV2(res, url.searchParams);
      return xmlError(res, 501, 'NotImplemented', 'Only HeadBucket and ListObjectsV2 are implemented on the bucket');
    }
    const found = objects.get(key);
    const etag = (o: Buffer) => `"${createHash('md5').update(o).digest('hex')}"`;
    switch (req.method) {
      case 'PUT': {
        const checksum = req.headers['x-amz-checksum-sha256'];
        if (typeof checksum === 'string' && createHash('sha256').update(body).digest('base64') !== checksum) {
          return xmlError(res, 400, 'BadDigest', 'The SHA256 you specified did not match the calculated checksum.');
        }
        objects.set(key, { body, lastModified: new Date() });
        res.writeHead(200, { etag: etag(body), ...(typeof checksum === 'string' ? { 'x-amz-checksum-sha256': checksum } : {}) });
        return res.end();
      }
      case 'GET':
      case 'HEAD': {
        if (!found) return req.method === 'HEAD' ? (res.writeHead(404), res.end()) : xmlError(res, 404, 'NoSuchKey', 'The specified key does not exist.');
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(found.body.length), 'last-modified': found.lastModified.toUTCString(), etag: etag(found.body) });
        return res.end(req.method === 'GET' ? found.body : undefined);
      }
      case 'DELETE':
        objects.delete(key);
        res.writeHead(204);
        return res.end();
      default:
        return xmlError(res, 405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
    }
  };
  /** ListObjectsV2: keys in UTF-8 byte order (S3's), after start-after or the continuation token, at most max-keys (1,000). */
  const listObjectsV2 = (res: ServerResponse, q: URLSearchParams) => {
    const prefix = q.get('prefix') ?? '';
    const token = q.get('continuation-token');
    const after = token !== null ? Buffer.from(token, 'base64url').toString('utf8') : (q.get('start-after') ?? '');
    const max = Math.min(1000, Number(q.get('max-keys') ?? 1000));
    const keys = [...objects.keys()].filter((k) => k.startsWith(prefix) && Buffer.compare(Buffer.from(k), Buffer.from(after)) > 0).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const page = keys.slice(0, max);
    const truncated = keys.length > page.length;
    const esc = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    const contents = page
      .map((k) => {
        const o = objects.get(k)!;
        return `<Contents><Key>${esc(k)}</Key><LastModified>${o.lastModified.toISOString()}</LastModified><ETag>&quot;${createHash('md5').update(o.body).digest('hex')}&quot;</ETag><Size>${o.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
      })
      .join('');
    res.writeHead(200, { 'content-type': 'application/xml' });
    res.end(
      `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${bucket}</Name><Prefix>${esc(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${max}</MaxKeys><IsTruncated>${truncated}</IsTruncated>` +
        (truncated ? `<NextContinuationToken>${Buffer.from(page.at(-1)!).toString('base64url')}</NextContinuationToken>` : '') +
        `${contents}</ListBucketResult>`,
    );
  };
  const server = createServer((req, res) => {
    handle(req, res).catch(() => xmlError(res, 500, 'InternalError', 'We encountered an internal error. Please try again.'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    bucket,
    accessKeyId,
    secretAccessKey,
    objects,
    requests,
    env: (prefix = '') => ({
      S3_BUCKET: bucket,
      S3_ENDPOINT: url,
      S3_REGION: 'us-east-1',
      S3_ACCESS_KEY_ID: accessKeyId,
      S3_SECRET_ACCESS_KEY: secretAccessKey,
      S3_FORCE_PATH_STYLE: 'true',
      ...(prefix ? { S3_PREFIX: prefix } : {}),
    }),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
