import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeleteDocumentDocument, RegisterDocument, UpdateDocumentDocument, UpdateMeDocument, UploadDocumentDocument } from './generated/graphql.js';
import { Message } from '../src/modules/conversations/conversations.entities.js';
import { checkResponse } from './helpers/contract.js';
import { newUserInput, PASSWORD, signUp } from './helpers/factories.js';
import { startFakeOpenAI, type FakeAi } from './helpers/fake-ai.js';
import { errorCode, gql } from './helpers/graphql.js';
import { nestedHtml, pdfBomb, plainPdf, plainText } from './helpers/hostile-documents.js';
import { restClient, type RestClient } from './helpers/http.js';
import { makeCast, makeOrg } from './helpers/orgs.js';
import { driver, startServer, type TestServer } from './helpers/server.js';

/**
 * Abuse round 2 (issue 19): findings of an attacker's pass, each tried as the attacker did.
 * Others have files of their own: log redaction
 * (log-redaction.test.ts), login throttling and re-authentication (login-throttle.test.ts), a
 * database outage (db-outage.test.ts), a future `iat` (tokens.test.ts), a slow body
 * (slow-clients.test.ts).
 */

let server: TestServer;
let api: RestClient;

beforeAll(async () => {
  server = await startServer();
  api = restClient(server.url);
});
afterAll(() => server.close());

describe('password policy (finding 11: NIST SP 800-63B)', () => {
  /** Accepted before: eight characters of anything. */
  const weak: [string, RegExp][] = [
    ['12345678', /sequence/],
    ['password', /too common/],
    ['        ', /repeated/],
    ['Password1', /too common/],
    ['qwertyuiop', /too common/],
    ['abcdefgh', /sequence/],
    ['aaaaaaaaaaaa', /repeated/],
  ];

  for (const [password, message] of weak) {
    it(`refuses ${JSON.stringify(password)} at registration and as a new password, on both doors`, async () => {
      const input = newUserInput({ password });
      const rest = await api.post('/api/auth/register', input);
      expect(rest.status).toBe(400);
      expect(rest.body.detail.error).toBe('validation_error');
      expect(rest.body.detail.fields).toEqual([{ loc: ['body', 'password'], message: expect.stringMatching(message) }]);
      expect(rest.body.detail.message).toMatch(/^Invalid input: password /);

      const g = await gql(server.url, RegisterDocument, { input: { email: input.email, username: input.username, password } });
      expect(g.data).toBeNull();
      expect(g.errors?.[0]?.extensions).toEqual({ code: 'validation_error', fields: [{ path: ['password'], message: expect.stringMatching(message) }] });

      const me = await signUp(api);
      const patch = await api.patch('/api/auth/me', { current_password: PASSWORD, new_password: password }, { token: me.accessToken });
      expect(patch.status).toBe(400);
      expect(patch.body.detail.fields).toEqual([{ loc: ['body', 'new_password'], message: expect.stringMatching(message) }]);
      const update = await gql(server.url, UpdateMeDocument, { input: { currentPassword: PASSWORD, newPassword: password } }, me.accessToken);
      expect(errorCode(update)).toBe('validation_error');
      expect(update.errors?.[0]?.extensions?.fields).toEqual([{ path: ['newPassword'], message: expect.stringMatching(message) }]);
      // Nothing changed: the old password still signs in.
      expect((await api.post('/api/auth/login', { username: me.input.username, password: PASSWORD }, { form: true })).status).toBe(200);
    });
  }

  it('refuses the account\'s own username or email as its password', async () => {
    const input = newUserInput();
    const res = await api.post('/api/auth/register', { ...input, password: input.username });
    expect(res.status).toBe(400);
    expect(res.body.detail.fields).toEqual([{ loc: ['body', 'password'], message: 'must not be your username or email address' }]);
    const byEmail = await api.post('/api/auth/register', { ...input, password: input.email.toUpperCase() });
    expect(byEmail.status).toBe(400);
  });

  it('accepts long passphrases of any characters, with no composition rule, up to 256 characters', async () => {
    for (const password of ['correct horse battery', 'zwölf boxkämpfer jagen', 'ünïcödé ☃ snow man 🙂', 'long passphrase '.repeat(16)]) {
      const res = await api.post('/api/auth/register', newUserInput({ password }));
      expect(res.status, password.slice(0, 20)).toBe(201);
    }
    const tooLong = await api.post('/api/auth/register', newUserInput({ password: 'abc def '.repeat(33) }));
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.detail.fields[0].message).toBe('must be at most 256 characters');
  });
});

describe('registration answers (finding 12: 409 names the taken email or username)', () => {
  it('keeps the 409, and bounds probing per username as it does per email and per address', async () => {
    const limited = await startServer({ RATE_LIMITS_ENABLED: 'true', RATE_LIMITS: 'register_ip=100/3600,register_account=2/3600' });
    try {
      const lapi = restClient(limited.url);
      const taken = newUserInput();
      expect((await lapi.post('/api/auth/register', taken)).status).toBe(201);
      // Someone probing whether the username exists, with a fresh email each time.
      const probe = await lapi.post('/api/auth/register', newUserInput({ username: taken.username }));
      expect(probe.status).toBe(409);
      expect(probe.body.detail).toMatchObject({ error: 'conflict', field: 'username' });
      const again = await lapi.post('/api/auth/register', newUserInput({ username: taken.username }));
      expect(again.status).toBe(429);
      expect(again.body.detail).toMatchObject({ error: 'rate_limited', limit: 'register_account' });
      expect(Number(again.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await limited.close();
    }
  });
});

describe('malformed multipart bodies (finding 6) and bodies of the wrong type (finding 12)', () => {
  const BOUNDARY = 'xt-boundary-7MA4YWxkTrZu0gW';
  const part = (name: string, value: string, filename?: string) =>
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"${filename ? `; filename="${filename}"` : ''}\r\n${filename ? 'Content-Type: text/plain\r\n' : ''}\r\n${value}\r\n`;
  const upload = (body: string, contentType = `multipart/form-data; boundary=${BOUNDARY}`, path = '/api/knowledge/documents') =>
    api.request('POST', path, undefined, { token: owner.accessToken, raw: body, headers: { 'content-type': contentType }, unchecked: true });
  let owner: Awaited<ReturnType<typeof signUp>>;
  beforeAll(async () => {
    owner = await signUp(api);
  });

  const cases: [string, () => string, string?][] = [
    ['more than 20 fields', () => Array.from({ length: 25 }, (_, i) => part(`field_${i}`, 'x')).join('') + part('file', 'hello', 'a.txt') + `--${BOUNDARY}--\r\n`],
    ['an unclosed boundary', () => part('title', 'Notes') + `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nhello, and then nothing`],
    ['multipart/form-data without a boundary', () => part('file', 'hello', 'a.txt') + `--${BOUNDARY}--\r\n`, 'multipart/form-data'],
    ['a boundary that never appears', () => 'just some bytes, no parts at all', `multipart/form-data; boundary=${BOUNDARY}`],
    ['a part without its headers', () => `--${BOUNDARY}\r\n\r\nno disposition\r\n--${BOUNDARY}--\r\n`],
  ];
  for (const [name, body, contentType] of cases) {
    it(`answers ${name} with a 4xx envelope, not 500, and stores nothing`, async () => {
      const before = await api.get('/api/knowledge/documents', { token: owner.accessToken });
      const res = await upload(body(), contentType);
      expect([400, 413]).toContain(res.status);
      expect(res.body.detail.error).toMatch(/^(bad_request|validation_error|payload_too_large)$/);
      expect(typeof res.body.detail.message).toBe('string');
      const after = await api.get('/api/knowledge/documents', { token: owner.accessToken });
      expect(after.headers.get('x-total-count')).toBe(before.headers.get('x-total-count'));
      // The server is fine afterwards.
      expect((await api.get('/api/auth/me', { token: owner.accessToken })).status).toBe(200);
    });
  }

  it('refuses a request without credentials before reading its body, where the route needs them', async () => {
    // Not JSON at all: read, it would be 400; unread, the missing credentials answer first.
    const post = (path: string, headers: Record<string, string>) => fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{"title": "x", "content": ' });
    const anonymous = await post('/api/knowledge/documents', {});
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { detail: { error: string } }).detail.error).toBe('not_authenticated');
    const u = await signUp(api);
    expect((await post('/api/knowledge/documents', { authorization: `Bearer ${u.accessToken}` })).status).toBe(400);
    // A public route reads its body as before, within a few kilobytes: a sign-in's fields fit in 16 KB.
    expect((await post('/api/auth/register', {})).status).toBe(400);
    const big = await fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'x', password: 'y', padding: 'z'.repeat(20_000) }) });
    expect(big.status).toBe(413);
  });

  it('answers 415 when a JSON-only route is sent a multipart body', async () => {
    const body = part('username', 'someone') + part('password', 'not a password') + `--${BOUNDARY}--\r\n`;
    for (const path of ['/api/auth/login', '/api/auth/register', '/api/core/notes']) {
      const res = await upload(body, undefined, path);
      expect(res.status, path).toBe(415);
      expect(res.body.detail.error).toBe('unsupported_media_type');
    }
    // A text body on a JSON route, too.
    const text = await api.request('POST', '/api/auth/register', undefined, { raw: 'email=a@b.c', headers: { 'content-type': 'text/plain' }, unchecked: true });
    expect(text.status).toBe(415);
  });
});

/** Uploads a file through multipart, as a browser form would. */
async function uploadFile(url: string, token: string, name: string, type: string, data: Buffer | string, fields: Record<string, string> = {}) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append('file', new Blob([data], { type }), name);
  const res = await fetch(`${url}/api/knowledge/documents`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  const body = (await res.json()) as any;
  checkResponse('POST', '/api/knowledge/documents', res.status, res.headers.get('content-type') ?? '', body);
  return { status: res.status, body };
}

/** Rows a user's documents left anywhere: documents, passages, search entries. */
async function storedFor(s: TestServer, userId: string): Promise<{ documents: number; chunks: number; entries: number }> {
  const conn = s.app.orm.em.fork().getConnection();
  const n = async (sql: string) => Number(((await conn.execute(sql, [userId])) as { n: number | string }[])[0]!.n);
  return {
    documents: await n('select count(*) as n from documents where owner_id = ?'),
    chunks: await n('select count(*) as n from document_chunks c join documents d on d.id = c.document_id where d.owner_id = ?'),
    entries: await n(`select count(*) as n from search_entries where user_id = ? and type = 'document'`),
  };
}
const NOTHING = { documents: 0, chunks: 0, entries: 0 };

describe('document bombs and event-loop stalls (finding 1)', () => {
  it('refuses the PDF bomb (50 pages sharing one 2 MB FlateDecode stream) as soon as its text outgrows the file, on both doors, storing nothing', async () => {
    const u = await signUp(api);
    const bomb = pdfBomb(50, 2 * 1024 * 1024);
    expect(bomb.length).toBeLessThan(32 * 1024);
    const rest = await uploadFile(server.url, u.accessToken, 'bomb.pdf', 'application/pdf', bomb);
    expect(rest.status).toBe(413);
    expect(rest.body.detail).toMatchObject({ error: 'document_too_large', limit: 'pdf_expansion', max: 20 });
    expect(rest.body.detail.message).toMatch(/characters of text per byte/);
    // It stopped reading right past the limit (about 450,000 characters), not after 77 million.
    expect(rest.body.detail.found).toBeLessThan(40);

    const g = await gql(server.url, UploadDocumentDocument, { input: { filename: 'bomb.pdf', contentBase64: bomb.toString('base64') } }, u.accessToken);
    expect(g.data).toBeNull();
    expect(g.errors?.[0]?.extensions).toMatchObject({ code: 'document_too_large', limit: 'pdf_expansion', max: 20 });
    expect(await storedFor(server, u.user.id)).toEqual(NOTHING);
    expect((await api.get('/api/knowledge/documents', { token: u.accessToken })).headers.get('x-total-count')).toBe('0');
  });

  describe('each limit, configured low, refuses by name and stores nothing', () => {
    let limited: TestServer;
    let lapi: RestClient;
    beforeAll(async () => {
      limited = await startServer({
        KNOWLEDGE_MAX_CHARS: '200000',
        KNOWLEDGE_MAX_PAGES: '5',
        KNOWLEDGE_MAX_CHUNKS: '40',
        KNOWLEDGE_MAX_HTML_DEPTH: '100',
        // Off, so the bomb meets the character limit instead.
        KNOWLEDGE_MAX_PDF_EXPANSION: '1000000',
      });
      lapi = restClient(limited.url);
    });
    afterAll(() => limited.close());

    const headings = Array.from({ length: 60 }, (_, i) => `# Part ${i}\n\nShort part number ${i}.`).join('\n\n');
    const cases: [string, string, string, () => Buffer | string, Record<string, unknown>][] = [
      ['the bomb, by its characters', 'bomb.pdf', 'application/pdf', () => pdfBomb(4, 2 * 1024 * 1024), { limit: 'characters', max: 200000 }],
      ['a plain text too long', 'long.txt', 'text/plain', () => plainText(250_000), { limit: 'characters', max: 200000 }],
      ['a PDF of too many pages', 'pages.pdf', 'application/pdf', () => plainPdf(6), { limit: 'pages', max: 5, found: 6 }],
      ['Markdown of too many passages', 'parts.md', 'text/markdown', () => headings, { limit: 'chunks', max: 40 }],
      ['HTML nested too deep', 'deep.html', 'text/html', () => nestedHtml(100_000), { limit: 'html_depth', max: 100, found: 101 }],
    ];
    for (const [name, file, type, make, detail] of cases) {
      it(name, async () => {
        const u = await signUp(lapi);
        const res = await uploadFile(limited.url, u.accessToken, file, type, make());
        expect(res.status).toBe(413);
        expect(res.body.detail).toMatchObject({ error: 'document_too_large', ...detail });
        expect(await storedFor(limited, u.user.id)).toEqual(NOTHING);
      });
    }
  });

  it('refuses a document whose reading outgrows a worker thread\'s heap (WORKER_HEAP_MB) by name, stores nothing, and goes on reading others', async () => {
    const small = await startServer({ WORKER_HEAP_MB: '16' });
    try {
      const sapi = restClient(small.url);
      const u = await signUp(sapi);
      // 2 MB of tiny paragraphs: within every other limit, but html-to-text's DOM of 260,000 elements needs far more than 16 MB.
      const html = `<html><body>${'<p>a</p>'.repeat(260_000)}</body></html>`;
      const res = await uploadFile(small.url, u.accessToken, 'many.html', 'text/html', html);
      expect(res.status).toBe(413);
      expect(res.body.detail).toMatchObject({ error: 'document_too_large', limit: 'memory', max: 16 });
      expect(res.body.detail.message).toMatch(/WORKER_HEAP_MB/);
      expect(await storedFor(small, u.user.id)).toEqual(NOTHING);
      // The thread that ran out ended; the process and the pool go on.
      expect((await fetch(`${small.url}/healthz`)).status).toBe(200);
      const ok = await uploadFile(small.url, u.accessToken, 'fine.html', 'text/html', '<h1>Fine</h1><p>A page that fits.</p>');
      expect(ok.status).toBe(201);
      await small.app.services.knowledge.drain();
      expect((await sapi.get(`/api/knowledge/documents/${ok.body.id}`, { token: u.accessToken })).body).toMatchObject({ status: 'ready', chunk_count: 1 });
    } finally {
      await small.close();
    }
  });

  it('refuses past the bytes one user keeps, on both doors; a failed document counts too (its file is kept and served)', async () => {
    const small = await startServer({ KNOWLEDGE_MAX_USER_BYTES: '150000' });
    try {
      const sapi = restClient(small.url);
      const u = await signUp(sapi);
      const first = await uploadFile(small.url, u.accessToken, 'first.txt', 'text/plain', plainText(100_000));
      expect(first.status).toBe(201);
      const corrupt = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.from('garbage '.repeat(1000)), Buffer.from('\n%%EOF\n')]);
      expect((await uploadFile(small.url, u.accessToken, 'corrupt.pdf', 'application/pdf', corrupt)).status).toBe(201);
      await small.app.services.knowledge.drain();
      const second = await uploadFile(small.url, u.accessToken, 'second.txt', 'text/plain', plainText(60_000));
      expect(second.status).toBe(413);
      expect(second.body.detail).toMatchObject({ error: 'document_too_large', limit: 'stored_bytes', max: 150000, found: 160_000 + corrupt.length });
      // Failed, its file is still kept (and served), so it takes room until deleted: 100,000 + 8,016 + 41,984 would pass without it.
      expect((await uploadFile(small.url, u.accessToken, 'fits.txt', 'text/plain', plainText(150_000 - 100_000 - corrupt.length + 1))).status).toBe(413);
      const g = await gql(small.url, UploadDocumentDocument, { input: { title: 'Third', content: plainText(60_000) } }, u.accessToken);
      expect(g.errors?.[0]?.extensions).toMatchObject({ code: 'document_too_large', limit: 'stored_bytes' });
      expect((await storedFor(small, u.user.id)).documents).toBe(2);
      // Deleting makes room again.
      expect((await sapi.delete(`/api/knowledge/documents/${first.body.id}`, { token: u.accessToken })).status).toBe(204);
      expect((await uploadFile(small.url, u.accessToken, 'second.txt', 'text/plain', plainText(60_000))).status).toBe(201);
    } finally {
      await small.close();
    }
  });

  it('keeps the limit under parallel uploads: those that fit are taken, the rest refused, none stored', async () => {
    const small = await startServer({ KNOWLEDGE_MAX_USER_BYTES: '100000' });
    try {
      const u = await signUp(restClient(small.url));
      // Ten of 30,000 bytes at once: three fit.
      const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => uploadFile(small.url, u.accessToken, `part-${i}.txt`, 'text/plain', plainText(30_000))));
      const statuses = answers.map((a) => a.status).sort();
      expect(statuses).toEqual([201, 201, 201, 413, 413, 413, 413, 413, 413, 413]);
      for (const a of answers.filter((x) => x.status === 413)) expect(a.body.detail).toMatchObject({ error: 'document_too_large', limit: 'stored_bytes', max: 100000 });
      expect((await storedFor(small, u.user.id)).documents).toBe(3);
    } finally {
      await small.close();
    }
  });

  it('indexes a long document in batches that give way to the event loop: /healthz answers between them', async () => {
    const u = await signUp(api);
    const text = plainText(1_500_000);
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const up = await uploadFile(server.url, u.accessToken, 'long.txt', 'text/plain', text);
    expect(up.status).toBe(201);
    expect(up.body.status).toBe('processing');
    const conn = server.app.orm.em.fork().getConnection();
    const progress = async () => {
      const [row] = (await conn.execute('select d.status, d.chunk_count, (select count(*) from document_chunks c where c.document_id = d.id) as indexed from documents d where d.id = ?', [up.body.id])) as {
        status: string;
        chunk_count: number;
        indexed: number | string;
      }[];
      return { status: row!.status, indexed: Number(row!.indexed), total: Number(row!.chunk_count) };
    };
    // Each /healthz answer, with how far indexing was when it came back.
    const seen: { status: string; indexed: number }[] = [];
    for (;;) {
      const h = await fetch(`${server.url}/healthz`);
      expect(h.status).toBe(200);
      const p = await progress();
      seen.push(p);
      if (p.status !== 'processing') break;
    }
    delay.disable();
    const done = await progress();
    expect(done.status).toBe('ready');
    expect(done.total).toBeGreaterThan(1000);
    // Answers came back while the document was partly indexed: the batches gave way in between.
    const between = seen.filter((p) => p.status === 'processing' && p.indexed > 0 && p.indexed < done.total);
    expect(between.length, JSON.stringify(seen.slice(0, 5))).toBeGreaterThan(1);
    console.log(
      `finding 1 (${driver}): ${done.total} passages; /healthz answered ${seen.length} times during indexing, ${between.length} of them between batches; event-loop delay max ${(delay.max / 1e6).toFixed(0)} ms, p99 ${(delay.percentile(99) / 1e6).toFixed(0)} ms`,
    );
  });
});

describe('document rights (finding 2)', () => {
  it('an admin cannot move someone else\'s document to another organization, and loses every right with the membership, on both doors', async () => {
    const cast = await makeCast(api);
    const orgA = await makeOrg(api, cast);
    // The admin of org A owns an organization of their own, org C.
    const orgC = await api.post('/api/organizations', { name: `Org C ${Date.now()}` }, { token: cast.admin.accessToken });
    expect(orgC.status).toBe(201);
    const doc = await api.post('/api/knowledge/documents', { title: 'Roadmap', content: 'The roadmap of org A.', visibility: 'organization', organization_id: orgA.id }, { token: cast.member.accessToken });
    expect(doc.status).toBe(201);
    const id = doc.body.id as string;
    await server.app.services.knowledge.drain();

    // The attack: carry it into org C, or pull it out of org A.
    const move = await api.patch(`/api/knowledge/documents/${id}`, { visibility: 'organization', organization_id: orgC.body.id }, { token: cast.admin.accessToken });
    expect(move.status).toBe(403);
    expect(move.body.detail).toMatchObject({ error: 'forbidden', message: 'Only the uploader may change who a document is shared with' });
    expect((await api.patch(`/api/knowledge/documents/${id}`, { visibility: 'private' }, { token: cast.admin.accessToken })).status).toBe(403);
    const gMove = await gql(server.url, UpdateDocumentDocument, { input: { id, visibility: 'ORGANIZATION', organizationId: orgC.body.id } }, cast.admin.accessToken);
    expect(errorCode(gMove)).toBe('forbidden');
    expect((await gql(server.url, UpdateDocumentDocument, { input: { id, visibility: 'PRIVATE' } }, cast.admin.accessToken)).errors?.[0]?.extensions?.code).toBe('forbidden');
    // The organization owner is no uploader either.
    expect((await api.patch(`/api/knowledge/documents/${id}`, { visibility: 'private' }, { token: cast.owner.accessToken })).status).toBe(403);
    const still = await api.get(`/api/knowledge/documents/${id}`, { token: cast.member.accessToken });
    expect(still.body).toMatchObject({ visibility: 'organization', organization_id: orgA.id });

    // Inside org A the admin may rename it, sending its sharing unchanged too.
    const renamed = await api.patch(`/api/knowledge/documents/${id}`, { title: 'Roadmap 2', visibility: 'organization', organization_id: orgA.id }, { token: cast.admin.accessToken });
    expect(renamed.status).toBe(200);
    expect((await gql(server.url, UpdateDocumentDocument, { input: { id, title: 'Roadmap 3' } }, cast.admin.accessToken)).data?.updateDocument.document.title).toBe('Roadmap 3');

    // Demoted: no more rights. Removed: not even found.
    expect((await api.request('PATCH', `/api/organizations/${orgA.id}/members/${cast.admin.user.id}`, { role: 'member' }, { token: cast.owner.accessToken })).status).toBe(200);
    expect((await api.patch(`/api/knowledge/documents/${id}`, { title: 'Mine now' }, { token: cast.admin.accessToken })).status).toBe(403);
    expect(errorCode(await gql(server.url, DeleteDocumentDocument, { input: { id } }, cast.admin.accessToken))).toBe('forbidden');
    expect((await api.delete(`/api/organizations/${orgA.id}/members/${cast.admin.user.id}`, { token: cast.owner.accessToken })).status).toBe(204);
    expect((await api.patch(`/api/knowledge/documents/${id}`, { title: 'Mine now' }, { token: cast.admin.accessToken })).status).toBe(404);
    expect((await api.delete(`/api/knowledge/documents/${id}`, { token: cast.admin.accessToken })).status).toBe(404);
    expect(errorCode(await gql(server.url, UpdateDocumentDocument, { input: { id, title: 'Mine now' } }, cast.admin.accessToken))).toBe('not_found');
    expect(errorCode(await gql(server.url, DeleteDocumentDocument, { input: { id } }, cast.admin.accessToken))).toBe('not_found');

    // The uploader still moves it where they are a member.
    const mine = await api.patch(`/api/knowledge/documents/${id}`, { visibility: 'private' }, { token: cast.member.accessToken });
    expect(mine.body).toMatchObject({ title: 'Roadmap 3', visibility: 'private', organization_id: null });
  });
});

/** Runs a GraphQL document given as text. */
async function rawGql(url: string, query: string, variables: Record<string, unknown>, token: string): Promise<any> {
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
  return res.json();
}

/** The snippet rule: HTML whose only element is <mark>, and whose only entities are the escapes. */
function expectSafeSnippet(where: string, snippet: string): void {
  const outsideMarks = snippet.replace(/<\/?mark>/g, '');
  expect(outsideMarks, `${where}: ${snippet}`).not.toMatch(/[<>"]/);
  expect(outsideMarks, `${where}: ${snippet}`).not.toMatch(/&(?!(amp|lt|gt|quot);)/);
}

describe('snippets and citations (finding 9)', () => {
  const SOURCES = {
    note: 'zebrafish note <script>alert("note")</script> <b onclick="steal()">bold</b> & more',
    text: 'zebrafish text <script>alert("text")</script> <img src=x onerror="alert(1)">',
    // An HTML upload whose escaped markup becomes literal markup once its text is extracted.
    html: '<html><body><p>zebrafish html &lt;b&gt;bold&lt;/b&gt; &lt;script&gt;alert("html")&lt;/script&gt; <a href="javascript:alert(1)">link</a></p></body></html>',
    message: 'zebrafish message <script>alert("message")</script> <i title="x">it</i>',
  };
  /** Each source's hostile markup, as the snippet rule must show it: escaped text. */
  const ESCAPED = {
    note: '&lt;script&gt;alert(&quot;note&quot;)&lt;/script&gt;',
    text: '&lt;script&gt;alert(&quot;text&quot;)&lt;/script&gt;',
    html: '&lt;b&gt;bold&lt;/b&gt;',
    message: '&lt;script&gt;alert(&quot;message&quot;)&lt;/script&gt;',
  };

  async function plant(s: TestServer, c: RestClient, token: string): Promise<void> {
    expect((await c.post('/api/core/notes', { title: 'Hostile note', content: SOURCES.note }, { token })).status).toBe(201);
    expect((await uploadFile(s.url, token, 'hostile.txt', 'text/plain', SOURCES.text)).status).toBe(201);
    expect((await uploadFile(s.url, token, 'hostile.html', 'text/html', SOURCES.html)).status).toBe(201);
    expect((await c.post('/api/core/chat', { message: SOURCES.message }, { token })).status).toBe(200);
    await s.app.services.knowledge.drain();
    await s.app.services.conversations.drain();
  }

  it('is escaped text with only <mark>, from every source, in every snippet and citation field of both doors', async () => {
    const u = await signUp(api);
    const t = { token: u.accessToken };
    await plant(server, api, u.accessToken);
    const fields: [string, string][] = [];
    const collect = (where: string, items: { snippet: string }[] | undefined) => {
      expect(items?.length, `${where} answered nothing`).toBeGreaterThan(0);
      for (const i of items!) fields.push([where, i.snippet]);
    };

    collect('REST search', (await api.get('/api/core/search?q=zebrafish', t)).body.results);
    collect('GraphQL search', (await rawGql(server.url, 'query ($q: String!) { search(q: $q, first: 20) { edges { node { snippet } } } }', { q: 'zebrafish' }, u.accessToken)).data.search.edges.map((e: any) => e.node));
    collect('REST knowledge search', (await api.post('/api/knowledge/search', { query: 'zebrafish', limit: 10 }, t)).body.results);
    collect('GraphQL knowledge search', (await rawGql(server.url, 'query ($q: String!) { knowledgeSearch(query: $q, limit: 10) { results { snippet } } }', { q: 'zebrafish' }, u.accessToken)).data.knowledgeSearch.results);
    for (const question of ['zebrafish text', 'zebrafish html bold']) {
      collect(`REST rag (${question})`, (await api.post('/api/rag/query', { question }, t)).body.citations);
      collect(`GraphQL rag (${question})`, (await rawGql(server.url, 'query ($q: String!) { ragQuery(question: $q) { citations { snippet } } }', { q: question }, u.accessToken)).data.ragQuery.citations);
    }
    // Chat with the local provider: it cites notes and messages, and the knowledge base's documents.
    for (const message of ['zebrafish note bold', 'zebrafish message', 'zebrafish text', 'zebrafish html bold']) {
      const rest = await api.post('/api/core/chat', { message }, t);
      collect(`REST chat (${message})`, rest.body.citations);
      const g = await rawGql(server.url, 'mutation ($input: ChatInput!) { chat(input: $input) { assistantMessage { id citations { snippet } } } }', { input: { message } }, u.accessToken);
      collect(`GraphQL chat (${message})`, g.data.chat.assistantMessage.citations);
      // As stored, read again.
      collect(`REST messages (${message})`, (await api.get(`/api/core/conversations/${rest.body.conversation_id}/messages`, t)).body.flatMap((m: any) => m.citations));
      collect(`GraphQL message (${message})`, (await rawGql(server.url, 'query ($id: ID!) { message(id: $id) { citations { snippet } } }', { id: g.data.chat.assistantMessage.id }, u.accessToken)).data.message.citations);
    }
    for (const [where, snippet] of fields) expectSafeSnippet(where, snippet);
    // Not vacuous: each source's hostile markup came back, as text.
    const all = fields.map(([, s]) => s.replace(/<\/?mark>/g, '')).join('\n');
    for (const [source, escaped] of Object.entries(ESCAPED)) expect(all, `${source}'s markup, escaped`).toContain(escaped);
  });

  it('holds for citations a model is given (knowledge base) and for citations stored before the rule', async () => {
    const fake: FakeAi = await startFakeOpenAI();
    const s = await startServer({ OPENAI_BASE_URL: fake.url, OPENAI_MODELS: 'gpt-test' });
    try {
      const c = restClient(s.url);
      const u = await signUp(c);
      const t = { token: u.accessToken };
      expect((await uploadFile(s.url, u.accessToken, 'hostile.txt', 'text/plain', SOURCES.text)).status).toBe(201);
      await s.app.services.knowledge.drain();
      fake.enqueue({ kind: 'answer', tokens: ['See [1].'] });
      const rest = await c.post('/api/core/chat', { message: 'zebrafish text alert' }, t);
      expect(rest.body.citations).toEqual([expect.objectContaining({ type: 'document', snippet: expect.stringContaining(ESCAPED.text) })]);
      fake.enqueue({ kind: 'answer', tokens: ['See [1].'] });
      const g = await rawGql(s.url, 'mutation ($input: ChatInput!) { chat(input: $input) { assistantMessage { id citations { snippet } } } }', { input: { message: 'zebrafish text alert' } }, u.accessToken);
      expect(g.data.chat.assistantMessage.citations[0].snippet).toContain(ESCAPED.text);
      for (const cit of [...rest.body.citations, ...g.data.chat.assistantMessage.citations]) expectSafeSnippet('model citation', cit.snippet);

      // A citation stored raw (as every one was before): answered escaped all the same.
      await s.app.orm.em.fork().nativeUpdate(Message, { id: rest.body.message_id }, { citations: [{ documentId: rest.body.message_id, type: 'note', title: 'old', snippet: '<script>alert("old")</script>' }] });
      const messages = (await c.get(`/api/core/conversations/${rest.body.conversation_id}/messages`, t)).body;
      const stored = messages.flatMap((m: any) => m.citations).find((x: any) => x.title === 'old');
      expect(stored.snippet).toBe('&lt;script&gt;alert(&quot;old&quot;)&lt;/script&gt;');
      const node = await rawGql(s.url, 'query ($id: ID!) { message(id: $id) { citations { snippet } } }', { id: rest.body.message_id }, u.accessToken);
      expect(node.data.message.citations[0].snippet).toBe('&lt;script&gt;alert(&quot;old&quot;)&lt;/script&gt;');
    } finally {
      await s.close();
      await fake.close();
    }
  });
});
