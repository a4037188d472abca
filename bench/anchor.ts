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
 */
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import { jwtVerify } from 'jose';
import pg from 'pg';

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

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL ?? '';
  const reads = mode === 'pg' ? pgReads(url) : sqliteReads(url.replace(/^sqlite:/, ''));
  const app = Fastify({ logger: false });
  let requests = 0;
  app.get('/api/auth/me', async (req, reply) => {
    requests++;
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
    if (!(await reads.sessionLive(sid, sub, new Date()))) return reply.code(401).send({ error: 'invalid_token' });
    const u = await reads.user(sub);
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
  });
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
