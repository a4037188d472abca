/**
 * The floor for an authenticated read (issue 22): `GET /api/auth/me` written minimally, in a
 * process of its own, answering the gateway's bytes from the gateway's own database. Fastify,
 * jose with the gateway's claim checks, and the database's own driver with statements
 * prepared once:
 *
 *   anchor sqlite  better-sqlite3 on the gateway's database file
 *   anchor pg      pg with named prepared statements (a pool of DB_POOL_MAX, like the gateway's)
 *
 * Environment: DATABASE_URL (the gateway's, `sqlite:FILE` or `postgres://…`), JWT_SECRET,
 * JWT_ISSUER, JWT_AUDIENCE. IPC commands: cpu-start, cpu-stop (this process's CPU time and
 * requests answered in between), exit.
 *
 * With OTEL_EXPORTER_OTLP_ENDPOINT (and OTEL_TRACES_SAMPLER_ARG, the ratio; parent-based), the
 * floor of tracing the same read: the gateway's own SDK set-up (src/tracing.ts: provider,
 * sampler, ids, batch processor, OTLP/HTTP JSON exporter) and the trace the gateway makes of it,
 * written by hand where it happens: the HTTP server span (the caller's `traceparent` continued,
 * the stable HTTP attributes, named by its route), the operation's span, and a client span per
 * statement (its text, operation, table). `npm run bench -- tracing` compares what tracing adds
 * to the gateway with what it adds here.
 */
import Database from 'better-sqlite3';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { jwtVerify } from 'jose';
import pg from 'pg';
import { context, propagation, ROOT_CONTEXT, SpanKind, trace, type Span, type Tracer } from '@opentelemetry/api';
import type { Config } from '../src/config.js';
import { startTracing } from '../src/tracing.js';

const mode = process.argv[2] === 'pg' ? 'pg' : 'sqlite';
const send = (m: unknown) => process.send?.(m);
const key = new TextEncoder().encode(process.env.JWT_SECRET ?? '');
const issuer = process.env.JWT_ISSUER ?? 'xentree-gateway';
const audience = process.env.JWT_AUDIENCE ?? 'xentree';
const MAX_CLOCK_SKEW_SECONDS = 60;

interface UserRow {
  id: string;
  email: string;
  username: string;
  full_name: string | null;
  nickname: string | null;
  preferred_language: string;
  timezone: string;
  avatar_url: string | null;
  plan: string;
  /** SQLite: 0 or 1. */
  public_profile: boolean | number;
  created_at: number | Date;
  updated_at: number | Date;
}

/** The two reads the gateway makes: the session is live, and the user. */
interface Reads {
  sessionLive(sessionId: string, userId: string, now: Date): Promise<boolean> | boolean;
  user(userId: string): Promise<UserRow | undefined> | UserRow | undefined;
}

const USER_COLUMNS = 'id, email, username, full_name, nickname, preferred_language, timezone, avatar_url, plan, public_profile, created_at, updated_at';

function sqliteReads(file: string): Reads {
  const db = new Database(file, { readonly: true });
  const session = db.prepare<[string, string, number], { id: string }>('select id from login_sessions where id = ? and user_id = ? and revoked_at is null and expires_at > ? limit 1');
  const user = db.prepare<[string], UserRow>(`select ${USER_COLUMNS} from users where id = ?`);
  return {
    sessionLive: (sid, uid, now) => session.get(sid, uid, now.getTime()) !== undefined,
    user: (uid) => user.get(uid),
  };
}

function pgReads(url: string): Reads {
  const pool = new pg.Pool({ connectionString: url, max: Number(process.env.DB_POOL_MAX ?? 10) });
  return {
    sessionLive: async (sid, uid, now) =>
      (
        await pool.query({
          name: 'anchor_session',
          text: 'select id from login_sessions where id = $1 and user_id = $2 and revoked_at is null and expires_at > $3 limit 1',
          values: [sid, uid, now],
        })
      ).rowCount === 1,
    user: async (uid) => (await pool.query<UserRow>({ name: 'anchor_user', text: `select ${USER_COLUMNS} from users where id = $1`, values: [uid] })).rows[0],
  };
}

const iso = (v: number | Date) => (v instanceof Date ? v : new Date(v)).toISOString();

const SESSION_SQL = 'select id from login_sessions where id = ? and user_id = ? and revoked_at is null and expires_at > ? limit 1';
const USER_SQL = `select ${USER_COLUMNS} from users where id = ?`;

/** The tracer, when OTEL_EXPORTER_OTLP_ENDPOINT is set. */
let tracer: Tracer | null = null;

/** `read` as a client span of the current (recorded) span, with the statement's attributes. */
async function statement<T>(system: string, table: string, sql: string, read: () => Promise<T> | T): Promise<T> {
  const parent = context.active();
  if (!tracer || !trace.getSpan(parent)?.isRecording()) return read();
  const span = tracer.startSpan(
    `select ${table}`,
    { kind: SpanKind.CLIENT, attributes: { 'db.system.name': system, 'db.operation.name': 'select', 'db.query.summary': `select ${table}`, 'db.query.text': sql, 'db.collection.name': table } },
    parent,
  );
  try {
    return await read();
  } finally {
    span.end();
  }
}

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL ?? '';
  const reads = mode === 'pg' ? pgReads(url) : sqliteReads(url.replace(/^sqlite:/, ''));
  const endpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (endpoint) {
    const tracing = { endpoint, sampler: 'parentbased_traceidratio', samplerArg: Number(process.env.OTEL_TRACES_SAMPLER_ARG ?? 1), serviceName: 'anchor' } as unknown as Config['tracing'];
    startTracing(tracing);
    tracer = trace.getTracer('anchor');
  }
  const system = mode === 'pg' ? 'postgresql' : 'sqlite';
  const app = Fastify({
    logger: false,
    // Traced: the request's server span, made where Node hands the request over, the handler inside it.
    ...(tracer
      ? {
          serverFactory: (handler: (req: IncomingMessage, res: ServerResponse) => void) =>
            createServer((req, res) => {
              const parent = propagation.extract(ROOT_CONTEXT, req.headers);
              const span: Span = tracer!.startSpan(req.method ?? 'GET', { kind: SpanKind.SERVER }, parent);
              if (span.isRecording()) {
                const url = req.url ?? '/';
                const q = url.indexOf('?');
                span.setAttributes({
                  'http.request.method': req.method ?? 'GET',
                  'url.scheme': 'http',
                  'url.path': q < 0 ? url : url.slice(0, q),
                  'network.protocol.version': req.httpVersion,
                  'network.peer.address': req.socket.remoteAddress,
                  'network.peer.port': req.socket.remotePort,
                  'server.address': '127.0.0.1',
                  ...(req.headers['user-agent'] ? { 'user_agent.original': req.headers['user-agent'] } : {}),
                });
                res.once('close', () => {
                  span.setAttribute('http.response.status_code', res.statusCode);
                  span.end();
                });
              }
              context.with(trace.setSpan(parent, span), handler, undefined, req, res);
            }),
        }
      : {}),
  });
  let requests = 0;
  app.get('/api/auth/me', async (req, reply) => {
    requests++;
    const server = tracer ? trace.getActiveSpan() : undefined;
    if (!server?.isRecording()) return me(req, reply);
    server.updateName('GET /api/auth/me').setAttribute('http.route', '/api/auth/me').setAttribute('client.address', req.ip);
    const span = tracer!.startSpan('REST getMe', { attributes: { 'rest.operation': 'getMe' } });
    try {
      return await context.with(trace.setSpan(context.active(), span), () => me(req, reply));
    } finally {
      span.end();
    }
  });
  async function me(req: FastifyRequest, reply: FastifyReply) {
    const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization?.trim() ?? '');
    if (!match?.[1]) return reply.code(401).send({ error: 'invalid_token' });
    let sub: string;
    let sid: string;
    try {
      const { payload } = await jwtVerify(match[1], key, { algorithms: ['HS256'], issuer, audience, typ: 'at+jwt', requiredClaims: ['sub', 'exp', 'iat'] });
      if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string') throw new Error('claims');
      if (typeof payload.iat !== 'number' || payload.iat > Math.floor(Date.now() / 1000) + MAX_CLOCK_SKEW_SECONDS) throw new Error('iat');
      sub = payload.sub;
      sid = payload.sid;
    } catch {
      return reply.code(401).send({ error: 'invalid_token' });
    }
    if (!(await statement(system, 'login_sessions', SESSION_SQL, () => reads.sessionLive(sid, sub, new Date())))) return reply.code(401).send({ error: 'invalid_token' });
    const u = await statement(system, 'users', USER_SQL, () => reads.user(sub));
    if (!u) return reply.code(401).send({ error: 'invalid_token' });
    return {
      id: u.id,
      email: u.email,
      username: u.username,
      full_name: u.full_name,
      nickname: u.nickname,
      preferred_language: u.preferred_language,
      timezone: u.timezone,
      avatar_url: u.avatar_url,
      plan: u.plan,
      public_profile: Boolean(u.public_profile),
      created_at: iso(u.created_at),
      updated_at: iso(u.updated_at),
    };
  }
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  let cpu = process.cpuUsage();
  let from = 0;
  process.on('message', (m: { cmd: string }) => {
    if (m.cmd === 'cpu-start') {
      cpu = process.cpuUsage();
      from = requests;
      send({ started: true });
    } else if (m.cmd === 'cpu-stop') {
      const d = process.cpuUsage(cpu);
      send({ cpuUs: d.user + d.system, requests: requests - from });
    } else if (m.cmd === 'exit') {
      void app.close().then(() => process.exit(0));
    }
  });
  send({ ready: true, port: typeof addr === 'object' && addr ? addr.port : 0, pid: process.pid });
}

main().catch((e: unknown) => {
  send({ error: e instanceof Error ? e.stack : String(e) });
  process.exit(1);
});
