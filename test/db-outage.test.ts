import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { parse, print } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createScratchDatabase } from '../src/db/scratch.js';
import { CreateNoteDocument, MeDocument, RegisterDocument } from './generated/graphql.js';
import { newUserInput, signUp } from './helpers/factories.js';
import { until } from './helpers/wait.js';
import { restClient, type RestClient } from './helpers/http.js';
import { driver, PG_ADMIN_URL, startServer, type TestServer } from './helpers/server.js';

/**
 * Abuse round 2, finding 8: a database outage answered 500 internal_error on every route of
 * both doors. It must answer 503 `service_unavailable` with Retry-After on REST, on GraphQL
 * over HTTP (both of its paths) and on graphql-ws operations, and recover by itself.
 *
 * The outage, per driver: PostgreSQL behind a TCP proxy that is stopped (new connections
 * refused, open ones cut, as when the server goes down) and started again; SQLite's file
 * held by another process's write transaction past the busy timeout (as a backup or a second
 * writer would), then released.
 */

interface Outage {
  databaseUrl: string;
  env: Record<string, string>;
  start(): Promise<void>;
  end(): Promise<void>;
  close(): Promise<void>;
  /** Whether reads fail too (PostgreSQL down), or only writes (SQLite locked by another writer). */
  readsFail: boolean;
}

/** A TCP proxy in front of PostgreSQL, on a port of its own, that can be cut and restored. */
async function postgresOutage(): Promise<Outage> {
  const scratch = await createScratchDatabase(PG_ADMIN_URL, 'xt_outage');
  const target = new URL(scratch.url);
  const sockets = new Set<Socket>();
  let proxy: Server | null = null;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const server = createServer((client) => {
        const upstream = connect(Number(target.port || 5432), target.hostname);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => {
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream).pipe(client);
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        port = (server.address() as { port: number }).port;
        proxy = server;
        resolve();
      });
    });
  await listen();
  const url = new URL(scratch.url);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    databaseUrl: url.toString(),
    env: {},
    readsFail: true,
    start: async () => {
      const server = proxy!;
      proxy = null;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
    end: listen,
    close: async () => {
      if (proxy) await new Promise<void>((resolve) => proxy!.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await scratch.drop();
    },
  };
}

/** Another process's write transaction on the SQLite file, held past the gateway's busy timeout. */
async function sqliteOutage(): Promise<Outage> {
  const dir = mkdtempSync(join(tmpdir(), 'xt-outage-'));
  const file = join(dir, 'outage.sqlite3');
  let other: SqliteConnection | null = null;
  return {
    databaseUrl: `sqlite:${file}`,
    env: { SQLITE_BUSY_TIMEOUT_MS: '100' },
    readsFail: false,
    start: async () => {
      other = new Database(file);
      other.exec('BEGIN IMMEDIATE');
      other.exec("UPDATE users SET full_name = full_name WHERE id = 'nobody'");
    },
    end: async () => {
      other?.exec('ROLLBACK');
      other?.close();
      other = null;
    },
    close: async () => {
      other?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** better-sqlite3 (no type declarations in the tree): the little of it used here. */
interface SqliteConnection {
  exec(sql: string): void;
  close(): void;
}
const Database = createRequire(import.meta.url)('better-sqlite3') as new (file: string) => SqliteConnection;

let outage: Outage;
let server: TestServer;
let api: RestClient;
let user: Awaited<ReturnType<typeof signUp>>;
let ws: Client;

beforeAll(async () => {
  outage = driver === 'postgresql' ? await postgresOutage() : await sqliteOutage();
  server = await startServer({ DATABASE_URL: outage.databaseUrl, ...outage.env });
  api = restClient(server.url);
  user = await signUp(api);
  ws = createClient({ url: `${server.wsUrl}/graphql`, webSocketImpl: WebSocket, connectionParams: { Authorization: `Bearer ${user.accessToken}` }, retryAttempts: 0 });
});
afterAll(async () => {
  await ws?.dispose();
  await server?.close();
  await outage?.end().catch(() => undefined);
  await outage?.close();
});

/** One operation over graphql-ws: its result, or the errors it was refused with. */
function overSocket(client: Client, document: Parameters<typeof print>[0], variables: Record<string, unknown>) {
  return new Promise<{ data?: any; errors?: readonly { message: string; extensions?: Record<string, unknown> }[] }>((resolve) => {
    let last: { data?: any; errors?: any } = {};
    client.subscribe(
      { query: print(document), variables },
      {
        next: (value) => (last = value as never),
        error: (e) => resolve({ errors: Array.isArray(e) ? e : [{ message: String(e) }] }),
        complete: () => resolve(last),
      },
    );
  });
}

async function graphqlHttp(document: Parameters<typeof print>[0], variables: Record<string, unknown>, opts: { token?: string; accept?: string } = {}) {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(opts.accept ? { accept: opts.accept } : {}), ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}) },
    body: JSON.stringify({ query: print(document), variables }),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] } };
}

const expectUnavailable = (status: number, headers: Headers, code: unknown) => {
  expect(code).toBe('service_unavailable');
  expect(status).toBe(503);
  expect(Number(headers.get('retry-after'))).toBeGreaterThan(0);
};

describe('a database outage', () => {
  it('answers 503 service_unavailable with Retry-After on every door, then recovers by itself', async () => {
    const note = { input: { title: 'During the outage', content: 'written while the database is away', tags: [] } };
    // Before: everything works (the control case).
    expect((await api.post('/api/core/notes', { title: 'before', content: 'x' }, { token: user.accessToken })).status).toBe(201);
    expect((await overSocket(ws, CreateNoteDocument, note)).data?.createNote?.note?.id).toEqual(expect.any(String));

    await outage.start();

    // REST: a public write, an authenticated write, and (when reads fail too) an authenticated read.
    const register = await api.post('/api/auth/register', newUserInput());
    expectUnavailable(register.status, register.headers, register.body.detail?.error);
    expect(register.body.detail).toMatchObject({ retry_after_seconds: expect.any(Number), message: expect.stringMatching(/database is unavailable/) });
    const restNote = await api.post('/api/core/notes', { title: 'during', content: 'x' }, { token: user.accessToken });
    expectUnavailable(restNote.status, restNote.headers, restNote.body.detail?.error);
    if (outage.readsFail) {
      const me = await api.get('/api/auth/me', { token: user.accessToken });
      expectUnavailable(me.status, me.headers, me.body.detail?.error);
      expect((await api.get('/readyz', { unchecked: true })).status).toBe(503);
    }

    // GraphQL over HTTP: the compiled path and Apollo's (another Accept header).
    const { email, username, password } = newUserInput();
    const gRegister = await graphqlHttp(RegisterDocument, { input: { email, username, password } });
    expectUnavailable(gRegister.status, gRegister.headers, gRegister.body.errors?.[0]?.extensions?.code);
    expect(gRegister.body.errors?.[0]?.extensions?.retry_after_seconds).toEqual(expect.any(Number));
    const gNote = await graphqlHttp(CreateNoteDocument, note, { token: user.accessToken, accept: 'application/graphql-response+json' });
    expectUnavailable(gNote.status, gNote.headers, gNote.body.errors?.[0]?.extensions?.code);
    if (outage.readsFail) {
      const gMe = await graphqlHttp(MeDocument, {}, { token: user.accessToken });
      expectUnavailable(gMe.status, gMe.headers, gMe.body.errors?.[0]?.extensions?.code);
    }

    // graphql-ws: an operation on a connection opened before, and one on a connection opened during.
    const wsNote = await overSocket(ws, CreateNoteDocument, note);
    expect(wsNote.errors?.[0]?.extensions).toMatchObject({ code: 'service_unavailable', retry_after_seconds: expect.any(Number) });
    const late = createClient({ url: `${server.wsUrl}/graphql`, webSocketImpl: WebSocket, connectionParams: { Authorization: `Bearer ${user.accessToken}` }, retryAttempts: 0 });
    try {
      const lateNote = await overSocket(late, CreateNoteDocument, note);
      expect(lateNote.errors?.[0]?.extensions?.code).toBe('service_unavailable');

      // Never an internal_error: nothing of this was the server's own fault.
      for (const body of [register.body, restNote.body, gRegister.body, gNote.body, wsNote, lateNote]) expect(JSON.stringify(body)).not.toContain('internal_error');

      await outage.end();

      // Recovery, with no restart: the same calls succeed.
      expect((await api.post('/api/auth/register', newUserInput())).status).toBe(201);
      expect((await api.post('/api/core/notes', { title: 'after', content: 'x' }, { token: user.accessToken })).status).toBe(201);
      const after = await graphqlHttp(CreateNoteDocument, note, { token: user.accessToken });
      expect(after.status).toBe(200);
      expect(after.body.data?.createNote?.note?.id).toEqual(expect.any(String));
      expect((await overSocket(ws, CreateNoteDocument, note)).data?.createNote?.note?.id).toEqual(expect.any(String));
      expect((await overSocket(late, CreateNoteDocument, note)).data?.createNote?.note?.id).toEqual(expect.any(String));
      expect((await api.get('/readyz', { unchecked: true })).status).toBe(200);
    } finally {
      await late.dispose();
    }
  });

  it('watches the credentials of a connection opened during the outage from its first operation after it: revoking them closes it', async () => {
    const org = await api.post('/api/organizations', { name: `Outage ${Date.now()}` }, { token: user.accessToken });
    expect(org.status).toBe(201);
    const key = await api.post('/api/api-keys', { name: 'outage key', organization_id: org.body.id, scopes: ['organizations:read'] }, { token: user.accessToken });
    expect(key.status).toBe(201);

    await outage.start();
    // Opened now, its key cannot be checked (its first use is recorded, a write): let in unchecked.
    const closes: { code: number; reason: string }[] = [];
    let connected = false;
    const during = createClient({
      url: `${server.wsUrl}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { 'X-API-Key': key.body.key },
      retryAttempts: 0,
      lazy: false,
      // The close this test waits for is recorded below, not printed.
      onNonLazyError: () => undefined,
      on: {
        connected: () => (connected = true),
        closed: (e) => void closes.push({ code: (e as { code: number }).code, reason: String((e as { reason: unknown }).reason) }),
      },
    });
    try {
      await until(() => connected);
      await outage.end();

      const read = await overSocket(during, parse('query ($id: ID!) { organization(id: $id) { id } }'), { id: org.body.id });
      expect(read.data?.organization).toEqual({ id: org.body.id });
      expect(closes).toEqual([]);
      expect((await api.delete(`/api/api-keys/${key.body.id}`, { token: user.accessToken })).status).toBe(204);
      await until(() => closes.length > 0);
      expect(closes[0]).toEqual({ code: 4401, reason: 'invalid_token: api_key_revoked' });
    } finally {
      await during.dispose();
    }
  });
});
