import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DeleteDocumentDocument,
  DocumentDocument,
  DocumentsDocument,
  KnowledgeSearchDocument,
  RagQueryDocument,
  UpdateDocumentDocument,
  UploadDocumentDocument,
} from './generated/graphql.js';
import { signUp } from './helpers/factories.js';
import { startFakeOpenAI, type FakeAi } from './helpers/fake-ai.js';
import { errorCode, gql } from './helpers/graphql.js';
import { restClient, type RestClient } from './helpers/http.js';
import { makeCast, makeKey, makeOrg, type Cast } from './helpers/orgs.js';
import { expectStaleRunWritesNothing } from './helpers/claims.js';
import { chunkText } from '../src/modules/knowledge/chunk.js';
import { startServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let api: RestClient;
let cast: Cast;

beforeAll(async () => {
  server = await startServer({ KNOWLEDGE_MAX_BYTES: String(200 * 1024) });
  api = restClient(server.url);
  cast = await makeCast(api);
});
afterAll(() => server.close());

const GUIDE = `# Volcano field guide

Volcanoes form where magma reaches the surface. This guide covers safety in the field.

## Safety

Always carry a gas mask near fumaroles: sulfur dioxide is heavier than air and pools in hollows.
Keep two kilometres from an active vent during an eruption.

## Sampling

Collect basalt samples with a rock hammer and label each bag with GPS coordinates.
`;

/** Uploads through multipart, as a browser form would. */
async function uploadFile(token: string, name: string, type: string, data: Buffer | string, fields: Record<string, string> = {}) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append('file', new Blob([data], { type }), name);
  const res = await fetch(`${server.url}/api/knowledge/documents`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  return { status: res.status, body: (await res.json()) as any };
}

/** Waits for the background ingestion, then reads the document. */
async function settled(token: string, id: string) {
  await server.app.services.knowledge.drain();
  return (await api.get(`/api/knowledge/documents/${id}`, { token })).body;
}

async function makePdf(lines: string[]): Promise<Buffer> {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  const page = pdf.addPage([595, 842]);
  lines.forEach((line, i) => page.drawText(line, { x: 50, y: 780 - i * 20, size: 12, font }));
  return Buffer.from(await pdf.save());
}

describe('documents', () => {
  it('ingests Markdown in the background, chunked along headings, and finds its passages', async () => {
    const u = await signUp(api);
    const up = await uploadFile(u.accessToken, 'volcanoes.md', 'text/markdown', GUIDE);
    expect(up.status).toBe(201);
    expect(up.body).toMatchObject({ title: 'volcanoes.md', mime_type: 'text/markdown', visibility: 'private', organization_id: null, status: 'processing', size_bytes: Buffer.byteLength(GUIDE) });
    const doc = await settled(u.accessToken, up.body.id);
    expect(doc).toMatchObject({ status: 'ready', error: null, chunk_count: 3 });

    const found = await api.post('/api/knowledge/search', { query: 'sulfur dioxide' }, { token: u.accessToken });
    expect(found.status).toBe(200);
    expect(found.body.mode).toBe('lexical');
    expect(found.body.results[0]).toMatchObject({ document_id: up.body.id, title: 'volcanoes.md — Safety', visibility: 'private' });
    expect(found.body.results[0].snippet).toContain('<mark>sulfur</mark> <mark>dioxide</mark>');
    const g = await gql(server.url, KnowledgeSearchDocument, { query: 'basalt hammer' }, u.accessToken);
    expect(g.data?.knowledgeSearch).toMatchObject({ mode: 'LEXICAL', results: [{ title: 'volcanoes.md — Sampling', visibility: 'PRIVATE', documentId: up.body.id }] });
  });

  it('uploads through GraphQL: the payload carries the document and the list\'s new total', async () => {
    const u = await signUp(api);
    const up = await gql(server.url, UploadDocumentDocument, { input: { title: 'Ferns', content: 'Ferns reproduce with spores.', filename: 'ferns.md' } }, u.accessToken);
    expect(up.errors).toBeUndefined();
    expect(up.data?.uploadDocument).toMatchObject({ document: { title: 'Ferns', status: 'PROCESSING', visibility: 'PRIVATE', organizationId: null, mimeType: 'text/plain' }, query: { documents: { totalCount: 1 } } });
    await server.app.services.knowledge.drain();
    const doc = await gql(server.url, DocumentDocument, { id: up.data!.uploadDocument.document.id }, u.accessToken);
    expect(doc.data?.document).toMatchObject({ status: 'READY', error: null, chunkCount: 1 });
    const neither = await gql(server.url, UploadDocumentDocument, { input: { title: 'Nothing' } }, u.accessToken);
    expect(neither.errors?.[0]?.extensions).toMatchObject({ code: 'validation_error', fields: [{ path: ['content'], message: 'send content as text, or a file as contentBase64' }] });
  });

  it('takes JSON text, HTML (without its markup) and a PDF', async () => {
    const u = await signUp(api);
    const json = await api.post('/api/knowledge/documents', { title: 'Tea notes', content: 'Oolong is partially oxidised tea.' }, { token: u.accessToken });
    expect(json.status).toBe(201);
    const html = await uploadFile(u.accessToken, 'page.html', 'text/html', '<html><body><h1>Orchids</h1><p>Orchids need <b>indirect</b> light.</p><script>var x = "hidden";</script></body></html>');
    const pdf = await uploadFile(u.accessToken, 'report.pdf', 'application/pdf', await makePdf(['Quarterly report', 'Revenue grew by eleven percent in the northern region.']));
    for (const id of [json.body.id, html.body.id, pdf.body.id]) expect((await settled(u.accessToken, id)).status).toBe('ready');
    const t = { token: u.accessToken };
    expect((await api.post('/api/knowledge/search', { query: 'oolong' }, t)).body.results).toHaveLength(1);
    const orchid = await api.post('/api/knowledge/search', { query: 'indirect light' }, t);
    expect(orchid.body.results[0].title).toBe('page.html — Orchids');
    expect((await api.post('/api/knowledge/search', { query: 'hidden' }, t)).body.results).toHaveLength(0);
    const revenue = await api.post('/api/knowledge/search', { query: 'revenue northern' }, t);
    expect(revenue.body.results[0].document_id).toBe(pdf.body.id);
  });

  it('refuses empty, truncated, mislabelled and oversized files, storing nothing', async () => {
    const u = await signUp(api);
    const before = (await api.get('/api/knowledge/documents', { token: u.accessToken })).headers.get('x-total-count');
    const pdf = await makePdf(['A complete document']);
    const cases: [string, string, Buffer | string, number, RegExp][] = [
      ['empty.txt', 'text/plain', '', 400, /empty/],
      ['truncated.pdf', 'application/pdf', pdf.subarray(0, Math.floor(pdf.length / 2)), 400, /truncated/],
      ['binary.txt', 'text/plain', Buffer.from([0x00, 0xff, 0x10, 0x00, 0x7f]), 400, /binary/],
      ['fake.pdf', 'application/pdf', 'just text pretending', 400, /not a PDF/],
      ['big.txt', 'text/plain', 'x'.repeat(300 * 1024), 413, /larger|limit/],
    ];
    for (const [name, type, data, status, message] of cases) {
      const res = await uploadFile(u.accessToken, name, type, data);
      expect(res.status, name).toBe(status);
      expect(res.body.detail.message, name).toMatch(message);
    }
    const bigJson = await api.post('/api/knowledge/documents', { title: 'big', content: 'y'.repeat(250 * 1024) }, { token: u.accessToken });
    expect(bigJson.status).toBe(413);
    expect((await api.get('/api/knowledge/documents', { token: u.accessToken })).headers.get('x-total-count')).toBe(before);
    const gqlBad = await gql(server.url, UploadDocumentDocument, { input: { filename: 'x.pdf', contentBase64: Buffer.from('%PDF-1.7 no end').toString('base64') } }, u.accessToken);
    expect(errorCode(gqlBad)).toBe('validation_error');
    // Each error names the field the bytes were sent in: content (REST's JSON, GraphQL), contentBase64 (GraphQL), file (multipart).
    const empty = await api.post('/api/knowledge/documents', { title: 't', content: '' }, { token: u.accessToken });
    expect(empty.status).toBe(400);
    expect(empty.body.detail.fields.map((f: { loc: unknown[] }) => f.loc)).toEqual([['body', 'content']]);
    const fieldsOf = (r: { errors?: readonly { extensions?: Record<string, unknown> }[] }) => (r.errors?.[0]?.extensions?.fields as { path: unknown[] }[] | undefined)?.map((f) => f.path);
    const notBase64 = await gql(server.url, UploadDocumentDocument, { input: { filename: 'a.txt', contentBase64: '!!!notbase64' } }, u.accessToken);
    expect(notBase64.errors?.[0]?.extensions).toMatchObject({ code: 'validation_error', fields: [{ path: ['contentBase64'], message: 'must be base64' }] });
    const both = await gql(server.url, UploadDocumentDocument, { input: { filename: 'a.txt', content: 'x', contentBase64: Buffer.from('y').toString('base64') } }, u.accessToken);
    expect(fieldsOf(both)).toEqual([['contentBase64']]);
    const latin1 = await gql(server.url, UploadDocumentDocument, { input: { filename: 'a.txt', contentBase64: Buffer.from([0x63, 0x61, 0x66, 0xe9]).toString('base64') } }, u.accessToken);
    expect(latin1.errors?.[0]?.extensions).toMatchObject({ code: 'validation_error', fields: [{ path: ['contentBase64'], message: 'is not valid UTF-8 text' }] });
    // URL-safe base64 without padding is base64 too.
    const urlSafe = await gql(server.url, UploadDocumentDocument, { input: { title: 'Safe', filename: 'b.txt', contentBase64: Buffer.from('Ferns and mosses?>').toString('base64url') } }, u.accessToken);
    expect(urlSafe.errors).toBeUndefined();
    expect((await api.get('/api/knowledge/documents', { token: u.accessToken })).headers.get('x-total-count')).toBe(String(Number(before) + 1));
  });

  it('keeps a multipart upload byte for byte whether or not the request says its length (a chunked body), and refuses one past the limit either way', async () => {
    const u = await signUp(api);
    // Text of 150 KB, in pieces: without Content-Length the server's buffer starts at 64 KB and grows.
    const text = Array.from({ length: 3000 }, (_, i) => `Line ${i}: lava cools into columns of basalt near the vent.`).join('\n');
    const boundary = 'xt-chunked-boundary';
    const body = (data: string) =>
      Buffer.concat([
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nchunked\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="lava.txt"\r\nContent-Type: text/plain\r\n\r\n`),
        Buffer.from(data),
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]);
    const send = (bytes: Buffer, chunked: boolean) =>
      fetch(`${server.url}/api/knowledge/documents`, {
        method: 'POST',
        headers: { authorization: `Bearer ${u.accessToken}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
        // A stream has no length: fetch sends it chunked, in the pieces given.
        body: chunked ? new ReadableStream({ start: (c) => { for (let at = 0; at < bytes.length; at += 10_000) c.enqueue(bytes.subarray(at, at + 10_000)); c.close(); } }) : bytes,
        duplex: 'half',
      });
    for (const chunked of [true, false]) {
      const res = await send(body(text), chunked);
      expect(res.status, `chunked: ${chunked}`).toBe(201);
      const id = ((await res.json()) as { id: string }).id;
      const file = await fetch(`${server.url}/api/knowledge/documents/${id}/file`, { headers: { authorization: `Bearer ${u.accessToken}` } });
      expect(Buffer.from(await file.arrayBuffer()).equals(Buffer.from(text)), `chunked: ${chunked}`).toBe(true);
      // Past KNOWLEDGE_MAX_BYTES (200 KB here): 413, as for any other upload.
      const big = await send(body('x'.repeat(300 * 1024)), chunked);
      expect(big.status, `chunked: ${chunked}`).toBe(413);
      expect(((await big.json()) as any).detail.error).toBe('payload_too_large');
    }
  });

  it('marks a PDF that cannot be parsed as failed with the reason, indexing nothing', async () => {
    const u = await signUp(api);
    const corrupt = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.from('garbage '.repeat(50)), Buffer.from('\n%%EOF\n')]);
    const up = await uploadFile(u.accessToken, 'corrupt.pdf', 'application/pdf', corrupt);
    expect(up.status).toBe(201);
    const doc = await settled(u.accessToken, up.body.id);
    expect(doc.status).toBe('failed');
    expect(doc.error).toMatch(/PDF/);
    expect(doc.chunk_count).toBe(0);
    const rows = await server.app.orm.em.fork().getConnection().execute('select count(*) as n from search_entries where document_id = ?', [up.body.id]);
    expect(Number((rows[0] as { n: number }).n)).toBe(0);
  });
});

describe('the chunker', () => {
  it('reads Markdown headings in linear time: a heading line of spaces no longer takes the reading thread for minutes', () => {
    // The old pattern, /^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$/, took about 50 s on this line.
    const chunks = chunkText(`# a${' '.repeat(6000)}b\n\nBasalt is an igneous rock.`);
    expect(chunks.map((c) => c.heading)).toEqual(['a b']);
    expect(chunkText('## Safety ##\n\nKeep back.\n\n#   #\n\nLast.').map((c) => c.heading)).toEqual(['Safety', '#']);
  });
});

describe('a job taken over', () => {
  it('writes nothing more from the run that lost it: neither clears nor completes the document', async () => {
    const u = await signUp(api);
    const res = await api.post('/api/knowledge/documents', { title: 'Guide', content: GUIDE }, { token: u.accessToken });
    await server.app.services.knowledge.drain();
    await expectStaleRunWritesNothing(server, res.body.id as string);
  });
});

describe('original files', () => {
  it('keeps the uploaded bytes before answering (content-addressed, under DATA_DIR) and serves them with the document\'s access rules, on both doors', async () => {
    const org = await makeOrg(api, cast);
    const pdf = await makePdf(['Original bytes', 'kept as uploaded']);
    const up = await uploadFile(cast.member.accessToken, 'report é.pdf', 'application/pdf', pdf, { visibility: 'organization', organization_id: org.id });
    expect(up.status).toBe(201);
    // On disk before the answer, whatever the job does next.
    const sha = createHash('sha256').update(pdf).digest('hex');
    const path = join(server.config.dataDir, 'uploads', 'sha256', sha.slice(0, 2), sha);
    expect(existsSync(path)).toBe(true);
    expect(readFileSync(path).equals(pdf)).toBe(true);

    const get = (token: string | null, id = up.body.id) => fetch(`${server.url}/api/knowledge/documents/${id}/file`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    for (const token of [cast.member.accessToken, cast.owner.accessToken]) {
      const res = await get(token);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/pdf');
      expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="report _\.pdf"; filename\*=UTF-8''report%20%C3%A9\.pdf$/);
      expect(Buffer.from(await res.arrayBuffer()).equals(pdf)).toBe(true);
    }
    // RFC 8187's attr-chars exclude ' ( ) *, which encodeURIComponent leaves: they are percent-encoded too.
    const odd = await api.post('/api/knowledge/documents', { title: "it's (draft)*.txt", content: 'x' }, { token: cast.member.accessToken });
    expect((await get(cast.member.accessToken, odd.body.id)).headers.get('content-disposition')).toBe(`attachment; filename="it's (draft)*.txt"; filename*=UTF-8''it%27s%20%28draft%29%2A.txt`);
    // Outsiders get 404, as for the document itself; no credentials, 401.
    const stranger = await signUp(api);
    const refused = await get(stranger.accessToken);
    expect(refused.status).toBe(404);
    expect(((await refused.json()) as any).detail.error).toBe('not_found');
    expect((await get(null)).status).toBe(401);
    expect((await get(cast.member.accessToken, '00000000-0000-4000-8000-000000000000')).status).toBe(404);

    const g = await gql(server.url, DocumentDocument, { id: up.body.id }, cast.member.accessToken);
    expect(g.data?.document?.fileUrl).toBe(`/api/knowledge/documents/${up.body.id}/file`);
    expect((await gql(server.url, DocumentDocument, { id: up.body.id }, stranger.accessToken)).data?.document).toBeNull();

    // Unshared, the members lose the file with the document; the same bytes uploaded twice are stored once and
    // stay while a document holds them.
    await api.patch(`/api/knowledge/documents/${up.body.id}`, { visibility: 'private' }, { token: cast.member.accessToken });
    expect((await get(cast.owner.accessToken)).status).toBe(404);
    const again = await uploadFile(cast.member.accessToken, 'copy.pdf', 'application/pdf', pdf);
    await server.app.services.knowledge.drain();
    expect((await api.delete(`/api/knowledge/documents/${up.body.id}`, { token: cast.member.accessToken })).status).toBe(204);
    expect(Buffer.from(await (await get(cast.member.accessToken, again.body.id)).arrayBuffer()).equals(pdf)).toBe(true);
  });
});

describe('ingestion jobs in operations', () => {
  it('counts jobs in /metrics (outcomes, durations, queue depth) and reports the queue in /readyz', async () => {
    const u = await signUp(api);
    const up = await api.post('/api/knowledge/documents', { title: 'Metered', content: 'Counted by the job metrics.' }, { token: u.accessToken });
    expect(up.status).toBe(201);
    await server.app.services.knowledge.drain();
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const completed = Number(/xentree_jobs_total\{queue="knowledge\.ingest",outcome="completed"\} (\d+)/.exec(text)?.[1] ?? 0);
    expect(completed).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/xentree_job_duration_seconds_count\{queue="knowledge\.ingest",outcome="completed"\} \d+/);
    expect(text).toMatch(/# TYPE xentree_job_queue_depth gauge/);
    const ready = await api.get('/readyz');
    expect(ready.body).toMatchObject({ status: 'ready', jobs: 'ok' });
  });
});

describe('the upload store failing', () => {
  it('says so in /readyz, answers uploads 503 storing nothing, and a missing stored file 404', async () => {
    const s = await startServer();
    const uploads = join(s.config.dataDir, 'uploads');
    try {
      const c = restClient(s.url);
      const u = await signUp(c);
      const t = { token: u.accessToken };
      const kept = await c.post('/api/knowledge/documents', { title: 'Kept', content: 'Stored before the store broke.' }, t);
      await s.app.services.knowledge.drain();
      expect((await c.get('/readyz')).body).toMatchObject({ status: 'ready', uploads: 'ok' });
      // The store's directory replaced by a file: nothing can be made in it (as a read-only or full disk).
      renameSync(uploads, `${uploads}.aside`);
      writeFileSync(uploads, 'not a directory');
      const ready = await c.get('/readyz', { unchecked: true });
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({ status: 'unavailable', uploads: 'unavailable', jobs: 'ok' });
      const refused = await c.post('/api/knowledge/documents', { title: 'Refused', content: 'Nowhere to keep this.' }, t);
      expect(refused.status).toBe(503);
      expect(refused.body.detail).toMatchObject({ error: 'service_unavailable', retry_after_seconds: 30 });
      expect(refused.headers.get('retry-after')).toBe('30');
      expect((await c.get('/api/knowledge/documents', t)).headers.get('x-total-count')).toBe('1');
      // A stored file gone (the store back, without it): not found, nothing internal said.
      rmSync(uploads);
      renameSync(`${uploads}.aside`, uploads);
      const sha = createHash('sha256').update('Stored before the store broke.').digest('hex');
      rmSync(join(uploads, 'sha256', sha.slice(0, 2), sha));
      const missing = await c.get(`/api/knowledge/documents/${kept.body.id as string}/file`, t);
      expect(missing.status).toBe(404);
      expect(missing.body.detail.error).toBe('not_found');
      expect((await c.get('/readyz')).body).toMatchObject({ status: 'ready', uploads: 'ok' });
    } finally {
      await s.close();
    }
  });
});

describe('who may read what', () => {
  it('keeps private documents private and shares organization documents with members only, through both doors', async () => {
    const org = await makeOrg(api, cast);
    const priv = await api.post('/api/knowledge/documents', { title: 'Diary', content: 'My secret pangolin sanctuary plan.' }, { token: cast.member.accessToken });
    const shared = await api.post('/api/knowledge/documents', { title: 'Handbook', content: 'The pangolin enclosure opens at dawn.', visibility: 'organization', organization_id: org.id }, { token: cast.member.accessToken });
    await server.app.services.knowledge.drain();
    const titles = async (token: string) => (await api.post('/api/knowledge/search', { query: 'pangolin' }, { token })).body.results.map((r: { title: string }) => r.title).sort();
    expect(await titles(cast.member.accessToken)).toEqual(['Diary', 'Handbook']);
    expect(await titles(cast.admin.accessToken)).toEqual(['Handbook']);
    expect(await titles(cast.stranger.accessToken)).toEqual([]);
    const g = await gql(server.url, KnowledgeSearchDocument, { query: 'pangolin' }, cast.stranger.accessToken);
    expect(g.data?.knowledgeSearch.results).toEqual([]);
    // The document list, by id and through node: what each may read, and null (not an error) for the rest.
    const listed = async (token: string, organizationId?: string) =>
      (await gql(server.url, DocumentsDocument, { first: 100, ...(organizationId ? { organizationId } : {}) }, token)).data!.documents.edges.map((e) => e.node.id);
    expect(await listed(cast.member.accessToken)).toEqual(expect.arrayContaining([priv.body.id, shared.body.id]));
    expect(await listed(cast.member.accessToken, org.id)).toEqual([shared.body.id]);
    expect(await listed(cast.admin.accessToken)).toContain(shared.body.id);
    expect(await listed(cast.admin.accessToken)).not.toContain(priv.body.id);
    expect(await listed(cast.stranger.accessToken)).not.toContain(shared.body.id);
    expect((await gql(server.url, DocumentDocument, { id: shared.body.id }, cast.admin.accessToken)).data?.document?.id).toBe(shared.body.id);
    expect((await gql(server.url, DocumentDocument, { id: priv.body.id }, cast.admin.accessToken)).data).toEqual({ document: null });
    expect((await gql(server.url, DocumentDocument, { id: shared.body.id }, cast.stranger.accessToken)).data).toEqual({ document: null });
    const rag = await gql(server.url, RagQueryDocument, { question: 'pangolin sanctuary plan' }, cast.stranger.accessToken);
    expect(rag.data?.ragQuery?.citations).toEqual([]);
    // A chat turn grounds in what its caller may read: the admin has no document of their own here, only the one shared with them.
    const documentCitations = (body: { citations: { type: string; title: string }[] }) => body.citations.filter((c) => c.type === 'document').map((c) => c.title);
    const grounded = await api.post('/api/core/chat', { message: 'pangolin enclosure at dawn' }, { token: cast.admin.accessToken });
    expect(documentCitations(grounded.body)).toEqual(['Handbook']);
    const ungrounded = await api.post('/api/core/chat', { message: 'pangolin enclosure at dawn' }, { token: cast.stranger.accessToken });
    expect(documentCitations(ungrounded.body)).toEqual([]);
    expect((await api.get(`/api/knowledge/documents/${priv.body.id}`, { token: cast.admin.accessToken })).status).toBe(404);
    expect((await api.get(`/api/knowledge/documents/${shared.body.id}`, { token: cast.stranger.accessToken })).status).toBe(404);

    // A key reads in its own organization only.
    const otherOrg = await makeOrg(api, cast);
    const key = await makeKey(api, cast.admin, otherOrg.id, ['rag:read']);
    expect((await api.post('/api/knowledge/search', { query: 'pangolin' }, { apiKey: key.key })).body.results).toEqual([]);
    const inOrg = await makeKey(api, cast.admin, org.id, ['rag:read']);
    expect((await api.post('/api/knowledge/search', { query: 'pangolin' }, { apiKey: inOrg.key })).body.results.map((r: { title: string }) => r.title)).toEqual(['Handbook']);
    const noScope = await makeKey(api, cast.admin, org.id, ['conversations:read']);
    expect((await api.post('/api/knowledge/search', { query: 'pangolin' }, { apiKey: noScope.key })).body.detail.error).toBe('INSUFFICIENT_API_KEY_SCOPE');
  });

  it("confines an API key to its organization: its creator's documents shared with another organization are not its to read, find, fetch or delete", async () => {
    const [o1, o2] = [await makeOrg(api, cast), await makeOrg(api, cast)];
    const owner = { token: cast.owner.accessToken };
    const elsewhere = await api.post('/api/knowledge/documents', { title: 'Elsewhere', content: 'The quokka budget for the second office.', visibility: 'organization', organization_id: o2.id }, owner);
    const here = await api.post('/api/knowledge/documents', { title: 'Here', content: 'The quokka budget for the first office.', visibility: 'organization', organization_id: o1.id }, owner);
    const own = await api.post('/api/knowledge/documents', { title: 'Own', content: 'The quokka budget in my own notes.' }, owner);
    await server.app.services.knowledge.drain();
    const key = { apiKey: (await makeKey(api, cast.owner, o1.id, ['rag:read', 'rag:write', 'conversations:read'])).key };

    expect((await api.get(`/api/knowledge/documents/${elsewhere.body.id}`, key)).status).toBe(404);
    expect((await api.get(`/api/knowledge/documents/${elsewhere.body.id}/file`, key)).status).toBe(404);
    const listed = (await api.get('/api/knowledge/documents', key)).body.map((d: { title: string }) => d.title).sort();
    expect(listed).toEqual(['Here', 'Own']);
    const found = (await api.post('/api/knowledge/search', { query: 'quokka budget' }, key)).body.results.map((r: { document_id: string }) => r.document_id).sort();
    expect(found).toEqual([here.body.id, own.body.id].sort());
    const general = (await api.get('/api/core/search?q=quokka&types=document', key)).body.results.map((r: { document_id: string }) => r.document_id).sort();
    expect(general).toEqual([here.body.id, own.body.id].sort());
    expect((await gql(server.url, DocumentDocument, { id: elsewhere.body.id }, key)).data).toEqual({ document: null });
    expect((await api.delete(`/api/knowledge/documents/${elsewhere.body.id}`, key)).status).toBe(404);
    // Its creator, signed in, still reads it, and a key of that organization too.
    expect((await api.get(`/api/knowledge/documents/${elsewhere.body.id}`, owner)).status).toBe(200);
    const o2Key = { apiKey: (await makeKey(api, cast.owner, o2.id, ['rag:read'])).key };
    expect((await api.get(`/api/knowledge/documents/${elsewhere.body.id}`, o2Key)).status).toBe(200);
  });

  it('removes a document from search and answers at once when unshared or deleted; only uploader or admins may', async () => {
    const org = await makeOrg(api, cast);
    const doc = await api.post('/api/knowledge/documents', { title: 'Recipes', content: 'The saffron risotto needs twenty minutes of stirring.', visibility: 'organization', organization_id: org.id }, { token: cast.extra.accessToken });
    await server.app.services.knowledge.drain();
    const ask = (token: string) => api.post('/api/rag/query', { question: 'How long to stir the saffron risotto?' }, { token });
    expect((await ask(cast.member.accessToken)).body.citations).toHaveLength(1);
    expect((await api.delete(`/api/knowledge/documents/${doc.body.id}`, { token: cast.member.accessToken })).status).toBe(403);

    const unshared = await api.patch(`/api/knowledge/documents/${doc.body.id}`, { visibility: 'private' }, { token: cast.extra.accessToken });
    expect(unshared.body).toMatchObject({ visibility: 'private', organization_id: null });
    expect((await ask(cast.member.accessToken)).body.citations).toHaveLength(0);
    expect((await ask(cast.extra.accessToken)).body.citations).toHaveLength(1);

    await api.patch(`/api/knowledge/documents/${doc.body.id}`, { visibility: 'organization', organization_id: org.id }, { token: cast.extra.accessToken });
    expect((await ask(cast.member.accessToken)).body.citations).toHaveLength(1);
    // GraphQL: a member may not rename it; the uploader may, and null keeps what it is.
    expect(errorCode(await gql(server.url, UpdateDocumentDocument, { input: { id: doc.body.id, title: 'Mine' } }, cast.member.accessToken))).toBe('forbidden');
    const renamed = await gql(server.url, UpdateDocumentDocument, { input: { id: doc.body.id, title: 'Risotto', visibility: null } }, cast.extra.accessToken);
    expect(renamed.data?.updateDocument.document).toEqual({ id: doc.body.id, title: 'Risotto', visibility: 'ORGANIZATION', organizationId: org.id });
    expect(errorCode(await gql(server.url, DeleteDocumentDocument, { input: { id: doc.body.id } }, cast.member.accessToken))).toBe('forbidden');
    const deleted = await gql(server.url, DeleteDocumentDocument, { input: { id: doc.body.id } }, cast.admin.accessToken);
    expect(deleted.data?.deleteDocument.deletedId).toBe(doc.body.id);
    expect((await gql(server.url, DocumentDocument, { id: doc.body.id }, cast.extra.accessToken)).data).toEqual({ document: null });
    expect((await ask(cast.extra.accessToken)).body.citations).toHaveLength(0);
    expect((await api.post('/api/knowledge/search', { query: 'saffron' }, { token: cast.extra.accessToken })).body.results).toEqual([]);
  });
});

describe('deleting an organization', () => {
  it('removes its documents with their passages, search entries, jobs and files; others\' documents stay', async () => {
    const org = await makeOrg(api, cast);
    const keep = await makeOrg(api, cast);
    const shared = await api.post('/api/knowledge/documents', { title: 'Okapi handbook', content: 'The okapi paddock opens at dawn.', visibility: 'organization', organization_id: org.id }, { token: cast.member.accessToken });
    const kept = await api.post('/api/knowledge/documents', { title: 'Okapi diary', content: 'My okapi paddock sketches.' }, { token: cast.member.accessToken });
    const elsewhere = await api.post('/api/knowledge/documents', { title: 'Okapi rota', content: 'Who feeds the okapi paddock.', visibility: 'organization', organization_id: keep.id }, { token: cast.member.accessToken });
    await server.app.services.knowledge.drain();
    // One still waiting for its job when the organization goes.
    const waiting = await api.post('/api/knowledge/documents', { title: 'Okapi feeding', content: 'The okapi paddock gets fresh leaves.', visibility: 'organization', organization_id: org.id }, { token: cast.member.accessToken });
    const titles = async () => (await api.post('/api/knowledge/search', { query: 'okapi paddock' }, { token: cast.member.accessToken })).body.results.map((r: { title: string }) => r.title).sort();
    expect(await titles()).toEqual(expect.arrayContaining(['Okapi diary', 'Okapi handbook', 'Okapi rota']));
    // Its file, stored more than a minute ago (a file stored within the last minute is kept: an upload of the same bytes may be about to use it).
    const conn = server.app.orm.em.fork().getConnection();
    const [row] = (await conn.execute('select file_key from documents where id = ?', [shared.body.id])) as { file_key: string }[];
    const file = join(server.config.storage.dir, row!.file_key);
    const old = new Date(Date.now() - 5 * 60_000);
    utimesSync(file, old, old);

    expect((await api.delete(`/api/organizations/${org.id}`, { token: cast.owner.accessToken })).status).toBe(204);
    await server.app.services.knowledge.drain();
    expect(await titles()).toEqual(['Okapi diary', 'Okapi rota']);
    const g = await gql(server.url, KnowledgeSearchDocument, { query: 'okapi paddock' }, cast.member.accessToken);
    expect(g.data?.knowledgeSearch.results.map((r) => r.title).sort()).toEqual(['Okapi diary', 'Okapi rota']);
    const gone = [shared.body.id as string, waiting.body.id as string];
    const count = async (sql: string) => Number(((await conn.execute(sql, gone)) as { n: number | string }[])[0]!.n);
    expect(await count('select count(*) as n from documents where id in (?, ?)')).toBe(0);
    expect(await count('select count(*) as n from document_chunks where document_id in (?, ?)')).toBe(0);
    expect(await count('select count(*) as n from search_entries where document_id in (?, ?)')).toBe(0);
    expect(await count('select count(*) as n from jobs where ref in (?, ?)')).toBe(0);
    expect(existsSync(file)).toBe(false);
    for (const id of [kept.body.id, elsewhere.body.id]) expect((await api.get(`/api/knowledge/documents/${id as string}`, { token: cast.member.accessToken })).body.status).toBe('ready');
  });
});

describe("a deleted document's file", () => {
  it('is removed after the grace when the document went within it, by a job, unless a document holds the same bytes by then', async () => {
    const u = await signUp(api);
    const conn = server.app.orm.em.fork().getConnection();
    const keyOf = async (id: string) => ((await conn.execute('select file_key from documents where id = ?', [id])) as { file_key: string }[])[0]!.file_key;
    // This file's removal job (other tests' deletions have theirs), and making it due now (run_at: epoch milliseconds on both drivers).
    const removal = async (key: string) => (await conn.execute("select run_at from jobs where queue = 'knowledge.remove-file' and key = ?", [`remove-file:${key}`])) as { run_at: number | string }[];
    const due = (key: string) => conn.execute("update jobs set run_at = ? where queue = 'knowledge.remove-file' and key = ?", [Date.now(), `remove-file:${key}`]);
    const past = (file: string) => utimesSync(file, new Date(Date.now() - 5 * 60_000), new Date(Date.now() - 5 * 60_000));

    // Uploaded and deleted at once: the file stays for the grace, and a job will remove it.
    const content = `Tapir enclosure notes ${Math.random()}`;
    const doc = await api.post('/api/knowledge/documents', { title: 'Tapirs', content }, { token: u.accessToken });
    await server.app.services.knowledge.drain();
    const key = await keyOf(doc.body.id as string);
    const file = join(server.config.storage.dir, key);
    const deletedAt = Date.now();
    expect((await api.delete(`/api/knowledge/documents/${doc.body.id as string}`, { token: u.accessToken })).status).toBe(204);
    expect(existsSync(file)).toBe(true);
    const [job] = await removal(key);
    expect(Number(job!.run_at)).toBeGreaterThanOrEqual(deletedAt + 60_000);
    // The grace over (the file's time moved back, the job made due): the job removes it.
    past(file);
    await due(key);
    await server.app.services.knowledge.drain();
    expect(existsSync(file)).toBe(false);
    expect(await removal(key)).toEqual([]);

    // The same bytes uploaded again before the job runs: the new document holds them, the job leaves them.
    const again = await api.post('/api/knowledge/documents', { title: 'Tapirs', content }, { token: u.accessToken });
    await server.app.services.knowledge.drain();
    expect((await api.delete(`/api/knowledge/documents/${again.body.id as string}`, { token: u.accessToken })).status).toBe(204);
    expect(await removal(key)).toHaveLength(1);
    const third = await api.post('/api/knowledge/documents', { title: 'Tapirs, again', content }, { token: u.accessToken });
    await server.app.services.knowledge.drain();
    past(file);
    await due(key);
    await server.app.services.knowledge.drain();
    expect(existsSync(file)).toBe(true);
    expect(await removal(key)).toEqual([]);
    expect((await api.get(`/api/knowledge/documents/${third.body.id as string}/file`, { token: u.accessToken })).status).toBe(200);
  });
});

describe('search index rebuild', () => {
  it('writes documents\' passages again, with their organization and titles, from the knowledge module\'s own tables', async () => {
    const org = await makeOrg(api, cast);
    const doc = await api.post('/api/knowledge/documents', { title: 'Glaze notes', content: 'The celadon glaze crazes when fired above cone ten.' }, { token: cast.extra.accessToken });
    await server.app.services.knowledge.drain();
    await api.patch(`/api/knowledge/documents/${doc.body.id}`, { visibility: 'organization', organization_id: org.id, title: 'Celadon' }, { token: cast.extra.accessToken });
    const ask = (token: string) => api.post('/api/rag/query', { question: 'When does the celadon glaze craze?' }, { token });
    expect((await ask(cast.member.accessToken)).body.citations).toMatchObject([{ title: 'Celadon' }]);

    await server.app.orm.em.fork().getConnection().execute('delete from search_entries');
    expect((await ask(cast.member.accessToken)).body.citations).toHaveLength(0);
    expect(await server.app.services.search.rebuild(server.app.orm.em.fork())).toBeGreaterThanOrEqual(1);
    // Shared with the organization again (a member finds it), under the document's new title.
    expect((await ask(cast.member.accessToken)).body.citations).toMatchObject([{ title: 'Celadon' }]);
  });
});

describe('grounded answers', () => {
  it('answer extractively with the local provider, and say so when nothing is relevant', async () => {
    const u = await signUp(api);
    const doc = await api.post('/api/knowledge/documents', { title: 'Volcanoes', content: GUIDE }, { token: u.accessToken });
    await server.app.services.knowledge.drain();
    const res = await api.post('/api/rag/query', { question: 'What protects me from sulfur dioxide near fumaroles?' }, { token: u.accessToken });
    expect(res.status).toBe(200);
    expect(res.body.provider).toBe('local');
    // Dated by the document's upload, as the other kinds of citation are by their own dates.
    expect(res.body.answer).toContain(`[1] From the document "Volcanoes — Safety" (${(doc.body.created_at as string).slice(0, 10)})`);
    expect(res.body.answer).toContain('gas mask');
    expect(res.body.citations[0]).toMatchObject({ title: 'Volcanoes — Safety' });
    const none = await api.post('/api/rag/query', { question: 'What is the price of gold in Lisbon?' }, { token: u.accessToken });
    expect(none.body).toMatchObject({ answer: 'I found nothing in the knowledge base that answers this.', citations: [] });

    const chat = await api.post('/api/core/chat', { message: 'sulfur dioxide fumaroles safety' }, { token: u.accessToken });
    expect(chat.body.citations[0]).toMatchObject({ type: 'document', title: 'Volcanoes — Safety' });
    const without = await api.post('/api/core/chat', { message: 'sulfur dioxide fumaroles safety', use_knowledge_base: false }, { token: u.accessToken });
    expect(without.body.citations.every((c: { type: string }) => c.type !== 'document')).toBe(true);
  });

  it('give the chunks to a model as numbered context and return its answer with citations', async () => {
    const fake: FakeAi = await startFakeOpenAI();
    const s = await startServer({ OPENAI_BASE_URL: fake.url, OPENAI_MODELS: 'gpt-test' });
    try {
      const c = restClient(s.url);
      const u = await signUp(c);
      await c.post('/api/knowledge/documents', { title: 'Volcanoes', content: GUIDE }, { token: u.accessToken });
      await s.app.services.knowledge.drain();
      fake.enqueue({ kind: 'answer', tokens: ['Carry a gas mask [1].'] });
      const res = await c.post('/api/rag/query', { question: 'How do I stay safe from sulfur dioxide?' }, { token: u.accessToken });
      expect(res.body).toMatchObject({ answer: 'Carry a gas mask [1].', provider: 'openai', model: 'gpt-test' });
      expect(res.body.citations[0].title).toBe('Volcanoes — Safety');
      const sent = fake.requests.find((r) => r.path === '/v1/chat/completions')!;
      expect(sent.body.messages[0].role).toBe('system');
      expect(sent.body.messages[0].content).toContain('[1] Volcanoes — Safety');
      expect(sent.body.messages[0].content).toContain('do not invent');
      // Nothing relevant: the model is not asked at all.
      const before = fake.requests.length;
      const none = await c.post('/api/rag/query', { question: 'Best pizza in Naples?' }, { token: u.accessToken });
      expect(none.body.answer).toBe('I found nothing in the knowledge base that answers this.');
      expect(fake.requests.length).toBe(before);
    } finally {
      await s.close();
      await fake.close();
    }
  });
});

describe('semantic lane', () => {
  it('says search is lexical when no embeddings endpoint is configured', async () => {
    const u = await signUp(api);
    const res = await api.post('/api/knowledge/search', { query: 'anything' }, { token: u.accessToken });
    expect(res.body.mode).toBe('lexical');
  });

  it('embeds chunks and fuses vector and full-text rankings, finding what the words alone miss', async () => {
    const { startFakeEmbeddings } = await import('./helpers/fake-embeddings.js');
    const emb = await startFakeEmbeddings();
    // Retries at once (no backoff), three attempts: a job's retries are seen within drain().
    const s = await startServer({ EMBEDDINGS_BASE_URL: emb.url, EMBEDDINGS_MODEL: 'fake-embed', JOBS_MAX_ATTEMPTS: '3', JOBS_RETRY_BASE_MS: '0' });
    try {
      const c = restClient(s.url);
      const u = await signUp(c);
      const t = { token: u.accessToken };
      await c.post('/api/knowledge/documents', { title: 'Garage', content: 'Change the oil of the car every ten thousand kilometres.' }, t);
      await c.post('/api/knowledge/documents', { title: 'Garden', content: 'Water the tomatoes every morning in summer.' }, t);
      await s.app.services.knowledge.drain();
      expect(emb.requests.every((r) => r.model === 'fake-embed')).toBe(true);

      const res = await c.post('/api/knowledge/search', { query: 'automobile' }, t);
      expect(res.body.mode).toBe('hybrid');
      expect(res.body.results[0]).toMatchObject({ title: 'Garage' });
      // Full-text alone finds nothing for that word.
      expect((await c.get('/api/core/search?q=automobile&types=document', t)).body.total).toBe(0);
      const rag = await c.post('/api/rag/query', { question: 'automobile' }, t);
      expect(rag.body.citations[0]).toMatchObject({ title: 'Garage' });

      // The backfill job: passages without vectors (indexed before the endpoint was set) get one, once.
      await s.app.orm.em.fork().getConnection().execute('update document_chunks set embedding = null');
      const asked = emb.requests.length;
      expect(await s.app.services.knowledge.backfillEmbeddings(s.app.orm.em.fork())).toBe(2);
      expect(emb.requests.length - asked).toBe(1);
      expect(await s.app.services.knowledge.backfillEmbeddings(s.app.orm.em.fork())).toBe(0);
      expect(emb.requests.length - asked).toBe(1);
      expect((await c.post('/api/knowledge/search', { query: 'automobile' }, t)).body.results[0]).toMatchObject({ title: 'Garage' });
      // It is a recurring job, on the queue's schedule.
      const schedule = await s.app.orm.em.fork().getConnection().execute<{ key: string; every_ms: number | string }[]>(`select key, every_ms from jobs where queue = 'knowledge.embeddings-backfill'`);
      expect(schedule).toMatchObject([{ key: 'every:knowledge.embeddings-backfill' }]);
      expect(Number(schedule[0]!.every_ms)).toBe(600_000);

      emb.failNext(10);
      const degraded = await c.post('/api/knowledge/search', { query: 'tomatoes' }, t);
      expect(degraded.body.mode).toBe('lexical (embeddings unavailable)');
      expect(degraded.body.results[0].title).toBe('Garden');
      // An upload whose chunks cannot be embedded is tried again, and fails whole only after its
      // attempts are spent, indexing nothing.
      emb.failNext(1000);
      const before = emb.requests.length;
      const up = await c.post('/api/knowledge/documents', { title: 'Later', content: 'Some text that needs vectors.' }, t);
      await s.app.services.knowledge.drain();
      const doc = (await c.get(`/api/knowledge/documents/${up.body.id}`, t)).body;
      expect(doc.status).toBe('failed');
      expect(emb.requests.length - before).toBeGreaterThanOrEqual(3);
      // The embeddings endpoint's failure is the server's business: its message is in the log, not on the document.
      expect(doc.error).toMatch(/^internal error \(see the server log, job [0-9a-f-]{36}\)$/);
      expect((await c.post('/api/knowledge/search', { query: 'vectors' }, t)).body.results).toEqual([]);
      // One failure only: the retry succeeds and the document ends ready.
      emb.failNext(1);
      const flaky = await c.post('/api/knowledge/documents', { title: 'Flaky', content: 'Vectors on the second try.' }, t);
      await s.app.services.knowledge.drain();
      expect((await c.get(`/api/knowledge/documents/${flaky.body.id}`, t)).body).toMatchObject({ status: 'ready', error: null });
    } finally {
      await s.close();
      await emb.close();
    }
  });
});

describe('the general search and API key scopes', () => {
  it('gives an API key only the kinds its scopes cover: document passages need rag:read, through both doors', async () => {
    const org = await makeOrg(api, cast);
    const owner = cast.owner;
    const t = { token: owner.accessToken };
    await api.post('/api/knowledge/documents', { title: 'Vault', content: 'The word is quokkasecret in the vault.' }, t);
    await api.post('/api/core/notes', { title: 'Memo', content: 'A quokkasecret memo.' }, t);
    await server.app.services.knowledge.drain();
    const kinds = (r: { body: { results: { type: string }[] } }) => r.body.results.map((x) => x.type).sort();
    // The owner's bearer token finds both.
    const both = await api.get('/api/core/search?q=quokkasecret', t);
    expect(kinds(both)).toEqual(['document', 'note']);
    // A passage's hit names its document, which opens it.
    const passage = both.body.results.find((r: { type: string }) => r.type === 'document');
    expect((await api.get(`/api/knowledge/documents/${passage.document_id}`, t)).body.title).toBe('Vault');
    expect(both.body.results.find((r: { type: string }) => r.type === 'note').document_id).toBeNull();
    const narrow = await makeKey(api, owner, org.id, ['conversations:read']);
    expect(kinds(await api.get('/api/core/search?q=quokkasecret', { apiKey: narrow.key }))).toEqual(['note']);
    const refused = await api.get('/api/core/search?q=quokkasecret&types=document', { apiKey: narrow.key });
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toMatchObject({ error: 'INSUFFICIENT_API_KEY_SCOPE', required_scope: 'rag:read' });
    const q = 'query ($types: [ContentKind!]) { search(q: "quokkasecret", types: $types) { edges { node { type } } } }';
    const viaKey = async (key: string, types?: string[]) => {
      const res = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body: JSON.stringify({ query: q, variables: { types } }) });
      return (await res.json()) as { data?: { search: { edges: { node: { type: string } }[] } }; errors?: { extensions: { code: string } }[] };
    };
    expect((await viaKey(narrow.key)).data!.search.edges.map((e) => e.node.type)).toEqual(['NOTE']);
    expect((await viaKey(narrow.key, ['DOCUMENT'])).errors?.[0]?.extensions.code).toBe('INSUFFICIENT_API_KEY_SCOPE');
    const wide = await makeKey(api, owner, org.id, ['conversations:read', 'rag:read']);
    expect(kinds(await api.get('/api/core/search?q=quokkasecret', { apiKey: wide.key }))).toEqual(['document', 'note']);
    expect((await viaKey(wide.key)).data!.search.edges.map((e) => e.node.type).sort()).toEqual(['DOCUMENT', 'NOTE']);
  });
});

describe('knowledge search filters', () => {
  it('narrow to one organization or to named documents', async () => {
    const org = await makeOrg(api, cast);
    const t = { token: cast.member.accessToken };
    const mine = await api.post('/api/knowledge/documents', { title: 'Mine', content: 'Kiwi birds cannot fly.' }, t);
    const shared = await api.post('/api/knowledge/documents', { title: 'Shared', content: 'Kiwi fruit is rich in vitamin C.', visibility: 'organization', organization_id: org.id }, t);
    await server.app.services.knowledge.drain();
    const all = await api.post('/api/knowledge/search', { query: 'kiwi' }, t);
    expect(all.body.results.map((r: { title: string }) => r.title).sort()).toEqual(['Mine', 'Shared']);
    const inOrg = await api.post('/api/knowledge/search', { query: 'kiwi', organization_id: org.id }, t);
    expect(inOrg.body.results.map((r: { document_id: string }) => r.document_id)).toEqual([shared.body.id]);
    const named = await api.post('/api/knowledge/search', { query: 'kiwi', document_ids: [mine.body.id] }, t);
    expect(named.body.results.map((r: { document_id: string }) => r.document_id)).toEqual([mine.body.id]);
    const invalid = await api.post('/api/knowledge/search', { query: 'kiwi', document_ids: ['nope'] }, t);
    expect(invalid.status).toBe(400);
    expect(invalid.body.detail.fields[0].loc).toEqual(['body', 'document_ids', 0]);
  });
});
