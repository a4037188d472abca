import { randomBytes, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { ERROR_CODES } from '../../src/common/errors.js';
import { grants, SCOPES, type Requirement } from '../../src/common/scopes.js';
import { LoginSession } from '../../src/modules/auth/auth.entities.js';
import { RefreshToken } from '../../src/modules/auth/auth.entities.js';
import { hashToken, newRefreshToken } from '../../src/modules/auth/tokens.js';
import { integrationId } from '../../src/modules/integrations/integrations.service.js';
import { LiveSession } from '../../src/modules/live/live.entities.js';
import { quotaIdOf } from '../../src/modules/live/live.types.js';
import { dashboardIdOf } from '../../src/modules/xel/xel.types.js';
import { xpProfileIdOf } from '../../src/modules/xp/xp.types.js';
import { Membership } from '../../src/modules/organizations/organizations.entities.js';
import { User } from '../../src/modules/users/users.entities.js';
import type { BuildOptions } from '../../src/app.js';
import type { RouteAuth } from '../../src/rest/route-table.js';
import type { FakeGoogle } from './fake-google.js';
import type { FieldKey } from './graphql-ops.js';
import type { RestClient } from './http.js';
import { CookieJar, startGoogleGateway, startInBrowser } from './integrations.js';
import { makeCast, type Cast, type SignedUp } from './orgs.js';
import { signUp } from './factories.js';
import { adminCommand } from '../../scripts/admin.js';
import { TEST_JWT_SECRET, type TestServer } from './server.js';

/**
 * Every operation of both doors, as data: how to make a valid call of it for a fixture,
 * what it declares (the scope, or bearer only, or public), and who may do it. The
 * permission matrix and the fuzzer are generated from the REST route table and the GraphQL
 * schema and fail for any operation missing here, so adding an operation means adding its
 * line: usually three or four lines, e.g.
 *
 *   getNote: { auth: 'conversations:read', access: 'self', call: async (fx) => ({ params: { note_id: await fx.note() } }) },
 *
 * and for GraphQL, keyed by `Type.field`:
 *
 *   'Query.note': { auth: 'conversations:read', access: 'self', vars: async (fx) => ({ id: await fx.note() }) },
 */

/** Who calls (the permission matrix's callers). Keys act for their creator: the owner's, a member's, or a stranger's (of the stranger's own organization). */
export const WHO = [
  'anonymous',
  'stranger',
  'member',
  'admin',
  'owner',
  'ownerKey',
  'ownerKeyWithoutScope',
  'memberKey',
  'strangerKey',
  'expiredKey',
  'revokedKey',
  'disallowedIpKey',
  'expiredToken',
  'revokedToken',
] as const;
/**
 * A caller a fixture can make: the matrix's, and a platform administrator (made by the operator's
 * `npm run admin -- grant`), who belongs to no organization of the fixture: a stranger everywhere but
 * in search maintenance. The parity test calls search maintenance as them; the matrix has no column
 * for them yet (see PLATFORM_ADMINS_ONLY).
 */
export type Who = (typeof WHO)[number] | 'platformAdmin';

export type Outcome = 'ok' | keyof typeof ERROR_CODES;

/**
 * Who may do it, among callers whose credentials are good and carry the scope:
 * - `public`: anyone; credentials are not even looked at.
 * - `user`: anyone signed in, on their own things (a stranger too).
 * - `self`: the fixture owner's own thing (their conversation, note, session...): anyone else gets not_found.
 * - `member` / `admin` / `owner`: the least role in the fixture organization; outsiders get
 *   not_found (never forbidden), members below the role get forbidden.
 */
export type Access = 'public' | 'user' | 'self' | 'member' | 'admin' | 'owner';

export interface Rule {
  /** What the route table and the schema declare: public, optional, bearer only, or the API key scope. */
  auth: RouteAuth;
  access: Access;
  /** Where an operation departs from the rule, by caller. */
  expect?: Partial<Record<Who, Outcome>>;
  /** Does an allowed call change something? Default: not GET, not a Query. Changing calls run on a fixture of their own. */
  writes?: boolean;
  /**
   * Why a rejected call of this operation may still change something (the fuzzer's "nothing
   * stored" does not apply): e.g. an OAuth state is single-use, so a failed completion burns it.
   */
  rejectionConsumes?: string;
}

/** A REST call: the route's path parameters, body, query string. */
export interface RestCall {
  params?: Record<string, string>;
  body?: unknown;
  query?: Record<string, string>;
  form?: boolean;
  headers?: Record<string, string>;
}

export interface RestEntry extends Rule {
  call: (fx: Fixture, who: Who) => Promise<RestCall>;
}

export interface GraphQLEntry extends Rule {
  /** The field's arguments; the document asking for every readable field is made from the schema. */
  vars: (fx: Fixture, who: Who) => Promise<Record<string, unknown>>;
  /** For `node`, which answers null (no error) for what the caller may not read: the outcome a null answer stands for. */
  nullMeans?: Outcome;
  /** Subscriptions: makes the first event happen (repeated until it arrives). */
  trigger?: (fx: Fixture, who: Who) => Promise<void>;
}

export interface SocketEntry extends Rule {
  /** The frames sent once the socket opens; the answer to the last one is the outcome. */
  frames: (fx: Fixture, who: Who) => Promise<{ type: string; data?: unknown }[]>;
}

type CastRole = 'owner' | 'admin' | 'member' | 'stranger' | 'platformAdmin';
const RANK: Record<CastRole, number> = { stranger: 0, platformAdmin: 0, member: 1, admin: 2, owner: 3 };

/** Whose rights a caller has. */
export const ACTS_AS: Record<Who, CastRole | null> = {
  anonymous: null,
  stranger: 'stranger',
  platformAdmin: 'platformAdmin',
  member: 'member',
  admin: 'admin',
  owner: 'owner',
  ownerKey: 'owner',
  ownerKeyWithoutScope: 'owner',
  memberKey: 'member',
  strangerKey: 'stranger',
  expiredKey: null,
  revokedKey: null,
  disallowedIpKey: null,
  expiredToken: null,
  revokedToken: null,
};
const KEYS = new Set<Who>(['ownerKey', 'ownerKeyWithoutScope', 'memberKey', 'strangerKey', 'expiredKey', 'revokedKey', 'disallowedIpKey']);

/** The rule, written once: what each caller must get. */
export function expected(rule: Rule, who: Who): Outcome {
  const exception = rule.expect?.[who];
  if (exception) return exception;
  if (rule.access === 'public') return 'ok';
  switch (who) {
    case 'anonymous':
      return 'not_authenticated';
    case 'expiredKey':
    case 'revokedKey':
    case 'expiredToken':
    case 'revokedToken':
      return 'invalid_token';
    case 'disallowedIpKey':
      return 'forbidden';
  }
  if (KEYS.has(who)) {
    if (rule.auth === 'bearer') return 'forbidden';
    if (who === 'ownerKeyWithoutScope') return 'INSUFFICIENT_API_KEY_SCOPE';
  }
  const role = ACTS_AS[who]!;
  switch (rule.access) {
    case 'user':
      return 'ok';
    case 'self':
      return role === 'owner' ? 'ok' : 'not_found';
    default:
      if (RANK[role] >= RANK[rule.access]) return 'ok';
      return RANK[role] === 0 ? 'not_found' : 'forbidden';
  }
}

/** Whether an allowed call of this rule changes something. */
export const writes = (rule: Rule, readByDefault: boolean): boolean => rule.writes ?? !readByDefault;

/** Markers planted in the fixture: who must never see them in any response. */
export interface Marks {
  /** In the owner's private things: only the owner (and the owner's keys) may read it. */
  private: string;
  /** In the organization's things (its name, its team, its shared document): members only. */
  org: string;
  /** A word next to both, for searches: searching it must find only what the caller may read. */
  seek: string;
}

/** What a test file shares: the server, a cast of users, the markers, the stranger's own organization. */
export interface Env {
  server: TestServer;
  /** The fake Google the gateway's integrations talk to. */
  google: FakeGoogle;
  api: RestClient;
  cast: MatrixCast;
  marks: Marks;
  strangerOrgId: string;
}

/**
 * A gateway for the matrix and the fuzzer: integrations configured against the fake Google
 * (the OAuth callback answering JSON, so its outcomes read like every other route's).
 */
export const startMatrixServer = (google: FakeGoogle, env: Record<string, string> = {}, options: BuildOptions = {}): Promise<TestServer> =>
  startGoogleGateway(google, { INTEGRATIONS_RETURN_URL: '', LIVE_PLANS: 'free:1000000', LIVE_MIN_START_SECONDS: '1', ...env }, options);

/** The organization's cast, and a platform administrator. */
export type MatrixCast = Cast & { platformAdmin: SignedUp };

export async function matrixEnv(server: TestServer, api: RestClient, google: FakeGoogle): Promise<Env> {
  const [orgCast, platformAdmin] = await Promise.all([makeCast(api), signUp(api)]);
  // Made the way the operator makes one (scripts/admin.ts): never over the API.
  await adminCommand(server.app.orm, ['grant', platformAdmin.user.email]);
  const cast: MatrixCast = { ...orgCast, platformAdmin };
  const word = () => randomBytes(5).toString('hex').replace(/^\d+/, '');
  const marks = { private: `privmark${word()}`, org: `orgmark${word()}`, seek: `seekword${word()}` };
  const res = await api.post('/api/organizations', { name: `Stranger's own ${word()}` }, { token: cast.stranger.accessToken });
  if (res.status !== 201) throw new Error(`stranger's org: ${res.status} ${JSON.stringify(res.body)}`);
  return { server, api, google, cast, marks, strangerOrgId: res.body.id as string };
}

const NON_API_SCOPES = SCOPES.filter((s) => !s.startsWith('api:'));
const scopeOf = (auth: RouteAuth): Requirement | null => (auth === 'public' || auth === 'optional' ? null : auth);

/**
 * The things an operation acts on, made on first use: an organization (owner, admin, two
 * members, a team), the owner's conversation, note, documents, live session and transcript,
 * and credentials of every kind. A call that changes something gets a fixture of its own.
 */
export class Fixture {
  private memo = new Map<string, Promise<unknown>>();
  private static orgs = 0;

  constructor(readonly env: Env) {}

  private once<T>(key: string, make: () => Promise<T>): Promise<T> {
    let p = this.memo.get(key) as Promise<T> | undefined;
    if (!p) {
      p = make();
      this.memo.set(key, p);
    }
    return p;
  }

  get marks(): Marks {
    return this.env.marks;
  }

  private async ok<T = any>(res: Promise<{ status: number; body: any }>, what: string): Promise<T> {
    const r = await res;
    if (r.status >= 300) throw new Error(`fixture: ${what}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body as T;
  }

  /** A user of the cast. */
  user(role: CastRole | 'extra' | 'newcomer') {
    return this.env.cast[role];
  }

  /**
   * A fresh access token of `role`'s: a login session of its own, so a call that ends it
   * (logout, a password change) ends nothing else. Made directly, without hashing a password.
   */
  token(role: CastRole): Promise<string> {
    return this.once(`token:${role}`, () => this.mintToken(role));
  }

  async mintToken(role: CastRole, revoked = false): Promise<string> {
    const { server } = this.env;
    const em = server.app.orm.em.fork();
    const s = em.create(LoginSession, { user: em.getReference(User, this.user(role).user.id), expiresAt: new Date(Date.now() + 3_600_000), revokedAt: revoked ? new Date() : null });
    await em.flush();
    return server.app.services.auth.accessTokens.sign({ userId: this.user(role).user.id, sessionId: s.id });
  }

  /** A refresh token of the member's, fresh, made directly. */
  async refreshToken(): Promise<string> {
    const { app } = this.env.server;
    const em = app.orm.em.fork();
    // On the server's clock, as a login's session is: a refresh then moves last_used_at only when that clock has.
    const now = app.root.clock.now();
    const s = em.create(LoginSession, { user: em.getReference(User, this.user('member').user.id), createdAt: new Date(now), lastUsedAt: new Date(now), expiresAt: new Date(now + 3_600_000) });
    const value = newRefreshToken();
    em.create(RefreshToken, { session: s, tokenHash: hashToken(value), createdAt: new Date(now) });
    await em.flush();
    return value;
  }

  org(): Promise<{ id: string; teamId: string }> {
    return this.once('org', async () => {
      const owner = await this.token('owner');
      const n = ++Fixture.orgs;
      const org = await this.ok(this.env.api.post('/api/organizations', { name: `${this.marks.org} ${process.pid} ${n}` }, { token: owner }), 'organization');
      const team = await this.ok(this.env.api.post(`/api/organizations/${org.id}/teams`, { name: `${this.marks.org} team` }, { token: owner }), 'team');
      for (const [role, as] of [
        ['admin', 'admin'],
        ['member', 'member'],
        ['extra', 'member'],
      ] as const) {
        await this.ok(this.env.api.post(`/api/organizations/${org.id}/members`, { user_id: this.user(role).user.id, role: as, team_id: team.id }, { token: owner }), `add ${role}`);
      }
      return { id: org.id as string, teamId: team.id as string };
    });
  }

  /** An API key of `role`'s for the fixture organization (the stranger's: for their own organization). */
  private async key(role: CastRole, scopes: readonly string[], extra: Record<string, unknown> = {}): Promise<{ id: string; key: string }> {
    const orgId = role === 'stranger' ? this.env.strangerOrgId : (await this.org()).id;
    const token = role === 'stranger' ? this.env.cast.stranger.accessToken : await this.token(role);
    const body = await this.ok(this.env.api.post('/api/api-keys', { name: 'matrix key', organization_id: orgId, scopes, ...extra }, { token }), 'api key');
    return { id: body.id as string, key: body.key as string };
  }

  /** A key of the owner's that an operation may revoke. */
  ownersKeyId(): Promise<string> {
    return this.once('ownersKey', async () => (await this.key('owner', ['organizations:read'])).id);
  }

  /** The credentials `who` calls with, for an operation declaring `auth`. */
  credentials(who: Who, auth: RouteAuth): Promise<{ token?: string; apiKey?: string }> {
    const scope = scopeOf(auth);
    const withScope = scope && scope !== 'bearer' ? [scope] : NON_API_SCOPES;
    // Every scope but those that grant it (xel:read grants quiz:read).
    const without = scope && scope !== 'bearer' ? NON_API_SCOPES.filter((s) => !grants([s], scope)) : ['organizations:read'];
    return this.once(`cred:${who}:${auth}`, async () => {
      switch (who) {
        case 'anonymous':
          return {};
        case 'stranger':
        case 'platformAdmin':
        case 'member':
        case 'admin':
        case 'owner':
          return { token: await this.token(who) };
        case 'ownerKey':
          return { apiKey: (await this.key('owner', withScope)).key };
        case 'ownerKeyWithoutScope':
          return { apiKey: (await this.key('owner', without)).key };
        case 'memberKey':
          return { apiKey: (await this.key('member', withScope)).key };
        case 'strangerKey':
          return { apiKey: (await this.key('stranger', withScope)).key };
        case 'expiredKey': {
          const k = await this.key('owner', NON_API_SCOPES, { expires_at: new Date(Date.now() + 3_600_000).toISOString() });
          const { server } = this.env;
          await server.app.orm.em.fork().getConnection().execute('update api_keys set expires_at = ? where id = ?', [server.config.db.driver === 'sqlite' ? Date.now() - 1000 : new Date(Date.now() - 1000), k.id]);
          return { apiKey: k.key };
        }
        case 'revokedKey': {
          const k = await this.key('owner', NON_API_SCOPES);
          await this.ok(this.env.api.delete(`/api/api-keys/${k.id}`, { token: await this.token('owner') }), 'revoke key');
          return { apiKey: k.key };
        }
        case 'disallowedIpKey':
          return { apiKey: (await this.key('owner', NON_API_SCOPES, { allowed_ips: ['203.0.113.0/24', '2001:db8::/32'] })).key };
        case 'expiredToken': {
          const em = this.env.server.app.orm.em.fork();
          const s = em.create(LoginSession, { user: em.getReference(User, this.user('owner').user.id), expiresAt: new Date(Date.now() + 3_600_000) });
          await em.flush();
          const token = await new SignJWT({ sid: s.id })
            .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
            .setSubject(this.user('owner').user.id)
            .setIssuer('xentree-gateway')
            .setAudience('xentree')
            .setIssuedAt(Math.floor(Date.now() / 1000) - 3600)
            .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
            .sign(new TextEncoder().encode(TEST_JWT_SECRET));
          return { token };
        }
        case 'revokedToken':
          return { token: await this.mintToken('owner', true) };
      }
    });
  }

  /** The user `who` acts as, for steps taken on their behalf. */
  actingUserId(who: Who): string | null {
    const role = ACTS_AS[who];
    return role ? this.user(role).user.id : null;
  }

  /** The owner's username, their XP profile made public. */
  publicXpProfile(): Promise<string> {
    return this.once('publicXpProfile', async () => {
      await this.ok(this.env.api.patch('/api/auth/me', { public_profile: true }, { token: await this.token('owner') }), 'public xp profile');
      return this.user('owner').user.username;
    });
  }

  /** One of the owner's quests of today. */
  xpQuest(): Promise<string> {
    return this.once('xpQuest', async () => {
      const quests = await this.ok<{ id: string }[]>(this.env.api.get('/api/xp/quests', { token: await this.token('owner') }), 'xp quests');
      return quests[0]!.id;
    });
  }

  /** Tokens enough for a streak freeze, and room for one, in the acting user's wallet. */
  async fundXpWallet(who: Who): Promise<void> {
    const userId = this.actingUserId(who);
    if (!userId) return;
    const conn = this.env.server.app.orm.em.fork().getConnection();
    const now = this.env.server.config.db.driver === 'sqlite' ? Date.now() : new Date();
    await conn.execute(
      'insert into xp_wallets (id, user_id, token_balance, freezes_held, freezes_used, created_at, updated_at) values (?, ?, 100, 0, 0, ?, ?) on conflict (user_id) do update set token_balance = 100, freezes_held = 0',
      [randomUUID(), userId, now, now],
    );
  }

  /** The owner's conversation: one turn, mentioning the private marker. */
  conversation(): Promise<string> {
    return this.once('conversation', async () => {
      const m = this.marks;
      const r = await this.ok(this.env.api.post('/api/core/chat', { message: `${m.seek} ${m.private} is what I wrote` }, { token: await this.token('owner') }), 'chat');
      return r.conversation_id as string;
    });
  }

  /** A learning session running in the owner's conversation (started again if something ended it). */
  async conversationSession(): Promise<string> {
    const r = await this.ok(this.env.api.post(`/api/core/conversations/${await this.conversation()}/session/start`, undefined, { token: await this.token('owner') }), 'conversation session');
    return r.session_id as string;
  }

  /** The owner's resumable chat turn (finished or not: its events replay). */
  chatTurn(): Promise<string> {
    return this.once('chatTurn', async () => {
      const r = await this.ok(this.env.api.post('/api/core/chat/turns', { message: `${this.marks.seek} turn` }, { token: await this.token('owner') }), 'chat turn');
      return r.turn_id as string;
    });
  }

  /** The owner's question in their conversation. */
  message(): Promise<string> {
    return this.once('message', async () => {
      const conversationId = await this.conversation();
      const r = await this.ok(this.env.api.get(`/api/core/conversations/${conversationId}/messages`, { token: await this.token('owner') }), 'messages');
      return r[0].id as string;
    });
  }

  note(): Promise<string> {
    return this.once('note', async () => {
      const m = this.marks;
      const r = await this.ok(this.env.api.post('/api/core/notes', { title: `${m.private} note`, content: `${m.seek} ${m.private} in a note`, tags: [m.private] }, { token: await this.token('owner') }), 'note');
      return r.id as string;
    });
  }

  private async upload(body: Record<string, unknown>, by: CastRole = 'owner'): Promise<string> {
    const r = await this.ok(this.env.api.post('/api/knowledge/documents', body, { token: await this.token(by) }), 'document');
    await this.env.server.app.services.knowledge.drain();
    return r.id as string;
  }

  /** The owner's private document, indexed. */
  document(): Promise<string> {
    const m = this.marks;
    return this.once('document', () => this.upload({ title: `${m.private} doc`, content: `# ${m.private}\n\n${m.seek} ${m.private} is a private word.` }));
  }

  /** The owner's document shared with the organization, indexed. */
  sharedDocument(): Promise<string> {
    const m = this.marks;
    return this.once('sharedDocument', async () =>
      this.upload({ title: `${m.org} shared doc`, content: `# ${m.org}\n\n${m.seek} ${m.org} is an organization word.`, visibility: 'organization', organization_id: (await this.org()).id }),
    );
  }

  /** A member's document shared with the organization: its uploader is neither admin nor owner there. */
  memberSharedDocument(): Promise<string> {
    const m = this.marks;
    return this.once('memberSharedDocument', async () =>
      this.upload({ title: `${m.org} member's doc`, content: `# ${m.org}\n\n${m.seek} ${m.org} is what a member shared.`, visibility: 'organization', organization_id: (await this.org()).id }, 'member'),
    );
  }

  /** A private document of `role`'s own (for events only its uploader hears), indexed. */
  ownDocument(role: CastRole): Promise<string> {
    return this.once(`ownDocument:${role}`, async () => {
      const r = await this.ok(this.env.api.post('/api/knowledge/documents', { title: `${role}'s own`, content: 'Nothing to see here.' }, { token: await this.token(role) }), 'document');
      await this.env.server.app.services.knowledge.drain();
      return r.id as string;
    });
  }

  /** Ends the active live session of the user `who` acts as, so they can start one. */
  async endActiveSession(who: Who | CastRole): Promise<void> {
    const userId = (WHO as readonly string[]).includes(who) ? this.actingUserId(who) : this.user(who as CastRole).user.id;
    if (!userId) return;
    const { server } = this.env;
    const active = await server.app.orm.em.fork().findOne(LiveSession, { activeUserId: userId });
    if (active) await server.app.services.live.settle(server.app.orm.em, active.id, 'client', new Date());
  }

  /** The owner's active live session. */
  liveSession(): Promise<string> {
    return this.once('liveSession', async () => {
      await this.endActiveSession('owner');
      const r = await this.ok(this.env.api.post('/api/live/session/start', { session_type: 'voice' }, { token: await this.token('owner') }), 'live session');
      return r.session_id as string;
    });
  }

  transcript(): Promise<string> {
    return this.once('transcript', async () => {
      const now = Date.now();
      const r = await this.ok(
        this.env.api.post(
          '/api/live/transcripts',
          {
            session_started_at: new Date(now - 60_000).toISOString(),
            session_ended_at: new Date(now).toISOString(),
            transcripts: [{ role: 'user', text: `${this.marks.seek} ${this.marks.private} said aloud`, timestamp: new Date(now - 30_000).toISOString() }],
          },
          { token: await this.token('owner') },
        ),
        'transcript',
      );
      return r.id as string;
    });
  }

  /** The cast member whose rights `who` has (the owner's, for callers who have none). */
  actingRole(who: Who): CastRole {
    return ACTS_AS[who] ?? 'owner';
  }

  /** A Google Calendar flow started by `role` in a browser, consented at the fake Google: the redirect back, not yet followed. */
  async calendarFlow(role: CastRole): Promise<{ callback: URL; cookie: string }> {
    const jar = new CookieJar();
    const { callback } = await startInBrowser(this.env.api, { token: await this.token(role) }, jar);
    return { callback, cookie: jar.header(callback) ?? '' };
  }

  /** `role`'s Google Calendar, connected now (a connection is the user's, not the fixture's: another cell may have removed it). */
  async connectCalendar(role: CastRole): Promise<void> {
    const { callback, cookie } = await this.calendarFlow(role);
    await this.ok(this.env.api.get(callback.pathname + callback.search, { headers: { cookie } }), 'calendar callback');
  }

  /** A multiple-choice task of the seeded XEL course, with one of its options. */
  xelTask(): Promise<{ moduleId: string; taskId: string; optionId: string }> {
    return this.once('xelTask', async () => {
      const token = await this.token('owner');
      const modules = await this.ok<{ id: string }[]>(this.env.api.get('/api/xel/modules', { token }), 'xel modules');
      for (const m of modules) {
        const detail = await this.ok<{ tasks: { id: string; type: string; options: { id: string }[] | null }[] }>(this.env.api.get(`/api/xel/modules/${m.id}`, { token }), 'xel module');
        const task = detail.tasks.find((t) => t.type === 'multiple_choice' && t.options?.length);
        if (task) return { moduleId: m.id, taskId: task.id, optionId: task.options![0]!.id };
      }
      throw new Error('fixture: no multiple-choice XEL task');
    });
  }

  /** An integration token the owner granted for the fixture organization (its first grant makes the tenant's key). */
  integrationToken(): Promise<{ token: string; jti: string; tenantId: string }> {
    return this.once('integrationToken', async () => {
      const tenantId = (await this.org()).id;
      const r = await this.ok(this.env.api.post('/api/integration/grant', { mode: 'server', scopes: ['profile:read'], tenantId }, { token: await this.token('owner') }), 'integration token');
      return { token: r.token as string, jti: r.jti as string, tenantId };
    });
  }

  /** Everything, for the fixture that refused calls and leak checks run against. */
  async materialize(): Promise<void> {
    await this.org();
    await Promise.all([this.conversation(), this.note(), this.transcript(), this.ownersKeyId()]);
    await this.document();
    await this.sharedDocument();
    await this.memberSharedDocument();
    await this.liveSession();
  }

  /** Publishes an event straight on the bus: a subscription's trigger that can repeat. */
  publish: TestServer['app']['services']['events']['publish'] = (...args) => this.env.server.app.services.events.publish(...args);
}

/* ------------------------------------------------------------------------------------------ */
/* The tables.                                                                                  */

const now = () => Date.now();
const iso = (ms: number) => new Date(ms).toISOString();
const fresh = () => randomBytes(4).toString('hex');

/**
 * Platform administrators (made by the operator only) and nobody else, whatever their role or
 * credentials: the matrix's callers are all refused (search-maintenance.test.ts and the parity test
 * call as a platform administrator).
 */
const PLATFORM_ADMINS_ONLY: Partial<Record<Who, Outcome>> = {
  ...Object.fromEntries(WHO.map((w) => [w, ['expiredKey', 'revokedKey', 'expiredToken', 'revokedToken'].includes(w) ? 'invalid_token' : w === 'disallowedIpKey' ? 'forbidden' : 'not_found'])),
  platformAdmin: 'ok',
};

/** REST operations by operationId; `operationId#variant` adds a case for another kind of target. */
export const restOperations: Record<string, RestEntry> = {
  // Accounts: public doors ignore credentials.
  register: { auth: 'public', access: 'public', call: async () => ({ body: { email: `m${fresh()}@example.com`, username: `m_${fresh()}`, password: 'correct horse battery' } }) },
  login: { auth: 'public', access: 'public', call: async (fx) => ({ body: { username: fx.user('member').input.username, password: fx.user('member').input.password }, form: true }) },
  refresh: {
    auth: 'public',
    access: 'public',
    call: async (fx) => ({ body: { refresh_token: await fx.refreshToken() } }),
    rejectionConsumes: 'a refresh token used twice revokes its session (reuse detection): the rejection of a spent token writes that revocation',
  },
  // Without a refresh token, logout ends the bearer's own session: nothing else can. Credentials
  // that are no good are answered as everywhere (invalid_token, or forbidden from a disallowed address).
  logout: {
    auth: 'optional',
    access: 'user',
    expect: { ownerKey: 'not_authenticated', ownerKeyWithoutScope: 'not_authenticated', memberKey: 'not_authenticated', strangerKey: 'not_authenticated' },
    call: async () => ({ body: {} }),
  },
  getMe: { auth: 'bearer', access: 'user', call: async () => ({}) },
  updateMe: { auth: 'bearer', access: 'user', call: async () => ({ body: { full_name: `Matrix ${fresh()}` } }) },

  // Organizations, members, teams.
  listOrganizations: { auth: 'organizations:read', access: 'user', call: async () => ({}) },
  createOrganization: { auth: 'organizations:write', access: 'user', call: async () => ({ body: { name: `Made in the matrix ${fresh()}` } }) },
  getOrganization: { auth: 'organizations:read', access: 'member', call: async (fx) => ({ params: { org_id: (await fx.org()).id } }) },
  updateOrganization: { auth: 'organizations:write', access: 'admin', call: async (fx) => ({ params: { org_id: (await fx.org()).id }, body: { description: 'changed' } }) },
  deleteOrganization: { auth: 'organizations:write', access: 'owner', call: async (fx) => ({ params: { org_id: (await fx.org()).id } }) },
  listMembers: { auth: 'organizations:read', access: 'member', call: async (fx) => ({ params: { org_id: (await fx.org()).id } }) },
  addMember: { auth: 'organizations:write', access: 'admin', call: async (fx) => ({ params: { org_id: (await fx.org()).id }, body: { user_id: fx.user('newcomer').user.id, role: 'member' } }) },
  updateMember: { auth: 'organizations:write', access: 'admin', call: async (fx) => ({ params: { org_id: (await fx.org()).id, target_user_id: fx.user('extra').user.id }, body: { team_id: null } }) },
  replaceMember: { auth: 'organizations:write', access: 'admin', call: async (fx) => ({ params: { org_id: (await fx.org()).id, target_user_id: fx.user('extra').user.id }, body: { role: 'member', team_id: null } }) },
  removeMember: { auth: 'organizations:write', access: 'admin', call: async (fx) => ({ params: { org_id: (await fx.org()).id, target_user_id: fx.user('extra').user.id } }) },
  listTeams: { auth: 'organizations:read', access: 'member', call: async (fx) => ({ params: { org_id: (await fx.org()).id } }) },
  createTeam: { auth: 'organizations:write', access: 'admin', call: async (fx) => ({ params: { org_id: (await fx.org()).id }, body: { name: `Matrix ${fresh()}` } }) },
  renameTeam: { auth: 'organizations:write', access: 'admin', call: async (fx) => ({ params: { org_id: (await fx.org()).id, team_id: (await fx.org()).teamId }, body: { name: `Renamed ${fresh()}` } }) },
  deleteTeam: { auth: 'organizations:write', access: 'admin', call: async (fx) => ({ params: { org_id: (await fx.org()).id, team_id: (await fx.org()).teamId } }) },
  listTeamMembers: { auth: 'organizations:read', access: 'member', call: async (fx) => ({ params: { org_id: (await fx.org()).id, team_id: (await fx.org()).teamId } }) },

  // API keys: any member issues keys for their organization; a key is revoked by its creator or an admin.
  createApiKey: { auth: 'bearer', access: 'member', call: async (fx) => ({ body: { name: 'k', organization_id: (await fx.org()).id, scopes: ['organizations:read'] } }) },
  listApiKeys: { auth: 'bearer', access: 'user', call: async () => ({}) },
  revokeApiKey: { auth: 'bearer', access: 'admin', expect: { member: 'not_found' }, call: async (fx) => ({ params: { key_id: await fx.ownersKeyId() } }) },

  // Conversations, chat, notes, search.
  listProviders: { auth: 'public', access: 'public', call: async () => ({}) },
  chat: { auth: 'conversations:write', access: 'user', call: async (fx) => ({ body: { message: `What about ${fx.marks.seek}?` } }) },
  'chat#continue': { auth: 'conversations:write', access: 'self', call: async (fx) => ({ body: { message: 'And then?', conversation_id: await fx.conversation() } }) },
  listConversations: { auth: 'conversations:read', access: 'user', call: async () => ({}) },
  createConversation: { auth: 'conversations:write', access: 'user', call: async () => ({ body: { title: 'Matrix' } }) },
  startChatTurn: { auth: 'conversations:write', access: 'user', call: async (fx) => ({ body: { message: `What about ${fx.marks.seek}?` } }) },
  chatTurnEvents: { auth: 'conversations:read', access: 'self', call: async (fx) => ({ params: { turn_id: await fx.chatTurn() } }) },
  getConversation: { auth: 'conversations:read', access: 'self', call: async (fx) => ({ params: { conversation_id: await fx.conversation() } }) },
  updateConversation: { auth: 'conversations:write', access: 'self', call: async (fx) => ({ params: { conversation_id: await fx.conversation() }, body: { title: 'Renamed' } }) },
  deleteConversation: { auth: 'conversations:write', access: 'self', call: async (fx) => ({ params: { conversation_id: await fx.conversation() } }) },
  listMessages: { auth: 'conversations:read', access: 'self', call: async (fx) => ({ params: { conversation_id: await fx.conversation() } }) },
  regenerateReply: { auth: 'conversations:write', access: 'self', call: async (fx) => ({ params: { conversation_id: await fx.conversation() }, body: {} }) },
  // Conversation learning sessions: the owner's conversation only.
  startConversationSession: { auth: 'conversations:write', access: 'self', call: async (fx) => ({ params: { conversation_id: await fx.conversation() } }) },
  recordConversationSessionActivity: {
    auth: 'conversations:write',
    access: 'self',
    call: async (fx) => {
      await fx.conversationSession();
      return { params: { conversation_id: await fx.conversation() } };
    },
  },
  endConversationSession: {
    auth: 'conversations:write',
    access: 'self',
    call: async (fx) => {
      await fx.conversationSession();
      return { params: { conversation_id: await fx.conversation() } };
    },
  },
  getConversationSessionStatus: { auth: 'conversations:read', access: 'self', call: async (fx) => ({ params: { conversation_id: await fx.conversation() } }) },
  search: { auth: 'conversations:read', access: 'user', call: async (fx) => ({ query: { q: fx.marks.seek } }) },
  listNotes: { auth: 'conversations:read', access: 'user', call: async () => ({}) },
  createNote: { auth: 'conversations:write', access: 'user', call: async () => ({ body: { title: 'Matrix', content: 'made in the matrix' } }) },
  updateNote: { auth: 'conversations:write', access: 'self', call: async (fx) => ({ params: { note_id: await fx.note() }, body: { content: 'changed' } }) },
  deleteNote: { auth: 'conversations:write', access: 'self', call: async (fx) => ({ params: { note_id: await fx.note() } }) },

  // Knowledge base: a private document is its uploader's; a shared one is read by members and changed by admins.
  knowledgeSearch: { auth: 'rag:read', access: 'user', writes: false, call: async (fx) => ({ body: { query: fx.marks.seek } }) },
  listDocuments: { auth: 'rag:read', access: 'user', call: async () => ({}) },
  uploadDocument: { auth: 'rag:write', access: 'user', call: async () => ({ body: { title: 'Matrix', content: 'made in the matrix' } }) },
  'uploadDocument#organization': {
    auth: 'rag:write',
    access: 'member',
    call: async (fx) => ({ body: { title: 'Matrix', content: 'made in the matrix', visibility: 'organization', organization_id: (await fx.org()).id } }),
  },
  getDocument: { auth: 'rag:read', access: 'self', call: async (fx) => ({ params: { document_id: await fx.document() } }) },
  'getDocument#shared': { auth: 'rag:read', access: 'member', call: async (fx) => ({ params: { document_id: await fx.sharedDocument() } }) },
  getDocumentFile: { auth: 'rag:read', access: 'self', call: async (fx) => ({ params: { document_id: await fx.document() } }) },
  'getDocumentFile#shared': { auth: 'rag:read', access: 'member', call: async (fx) => ({ params: { document_id: await fx.sharedDocument() } }) },
  updateDocument: { auth: 'rag:write', access: 'self', call: async (fx) => ({ params: { document_id: await fx.document() }, body: { title: 'Renamed' } }) },
  'updateDocument#shared': { auth: 'rag:write', access: 'admin', call: async (fx) => ({ params: { document_id: await fx.sharedDocument() }, body: { title: 'Renamed' } }) },
  deleteDocument: { auth: 'rag:write', access: 'self', call: async (fx) => ({ params: { document_id: await fx.document() } }) },
  'deleteDocument#shared': { auth: 'rag:write', access: 'admin', call: async (fx) => ({ params: { document_id: await fx.sharedDocument() } }) },
  // A member's shared document (issue 19, finding 2): its uploader and the organization's admins may rename or delete it,
  // only its uploader may change where it is shared; the organization's owner and admins get forbidden.
  'updateDocument#memberShared': {
    auth: 'rag:write',
    access: 'admin',
    expect: { member: 'ok', memberKey: 'ok' },
    call: async (fx) => ({ params: { document_id: await fx.memberSharedDocument() }, body: { title: 'Renamed' } }),
  },
  'updateDocument#unshare': {
    auth: 'rag:write',
    access: 'member',
    expect: { admin: 'forbidden', owner: 'forbidden', ownerKey: 'forbidden' },
    call: async (fx) => ({ params: { document_id: await fx.memberSharedDocument() }, body: { visibility: 'private' } }),
  },
  'deleteDocument#memberShared': {
    auth: 'rag:write',
    access: 'admin',
    expect: { member: 'ok', memberKey: 'ok' },
    call: async (fx) => ({ params: { document_id: await fx.memberSharedDocument() } }),
  },
  ragQuery: { auth: 'rag:read', access: 'user', writes: false, call: async (fx) => ({ body: { question: `What is ${fx.marks.seek}?` } }) },

  // Live.
  liveQuota: { auth: 'live:read', access: 'user', call: async () => ({}) },
  setLiveNickname: { auth: 'live:write', access: 'user', call: async () => ({ body: { nickname: 'Matrix' } }) },
  startLiveSession: {
    auth: 'live:write',
    access: 'user',
    call: async (fx, who) => {
      await fx.endActiveSession(who);
      return { body: { session_type: 'voice' } };
    },
  },
  liveHeartbeat: { auth: 'live:write', access: 'self', call: async (fx) => ({ body: { session_id: await fx.liveSession() } }) },
  endLiveSession: { auth: 'live:write', access: 'self', call: async (fx) => ({ body: { session_id: await fx.liveSession() } }) },
  saveLiveTranscript: {
    auth: 'bearer',
    access: 'user',
    call: async () => ({ body: { session_started_at: iso(now() - 60_000), session_ended_at: iso(now()), transcripts: [{ role: 'user', text: 'matrix', timestamp: iso(now() - 1000) }] } }),
  },
  'saveLiveTranscript#session': {
    auth: 'bearer',
    access: 'self',
    call: async (fx) => ({ body: { session_id: await fx.liveSession(), session_started_at: iso(now() - 60_000), session_ended_at: iso(now()), transcripts: [] } }),
  },
  listLiveTranscripts: { auth: 'live:read', access: 'user', call: async () => ({}) },
  getLiveTranscript: { auth: 'live:read', access: 'self', call: async (fx) => ({ params: { transcript_id: await fx.transcript() } }) },

  // Xentree English: the course is everyone's; progress, XP and preferences are each learner's own.
  listXelModules: { auth: 'quiz:read', access: 'user', call: async () => ({ query: { level: 'A1' } }) },
  getXelModule: { auth: 'quiz:read', access: 'user', call: async (fx) => ({ params: { module_id: (await fx.xelTask()).moduleId } }) },
  submitXelTask: { auth: 'quiz:write', access: 'user', call: async (fx) => ({ body: { task_id: (await fx.xelTask()).taskId, response: (await fx.xelTask()).optionId } }) },
  evaluateXel: { auth: 'xel:write', access: 'user', writes: false, call: async () => ({ body: { kind: 'writing', text: 'I has went to the market yesterday and buyed some apples.' } }) },
  getXelDashboard: { auth: 'xel:read', access: 'user', call: async () => ({}) },
  // Learning time: the caller's own figures.
  getLearningTime: { auth: 'conversations:read', access: 'user', call: async () => ({ query: { start_date: '2026-03-01', end_date: '2026-03-07' } }) },
  getLearningPulse: { auth: 'xel:read', access: 'user', call: async () => ({}) },
  updateXelPreferences: { auth: 'xel:write', access: 'user', call: async () => ({ body: { timezone: 'Europe/Paris', daily_goal_xp: 30 } }) },

  // XP and streaks: each learner's own; a public profile is anyone's to read, once its learner made it public.
  getXpProfile: { auth: 'xel:read', access: 'user', call: async () => ({}) },
  getPublicXpProfile: { auth: 'public', access: 'public', call: async (fx) => ({ params: { username: await fx.publicXpProfile() } }) },
  getXpStreakStatus: { auth: 'xel:read', access: 'user', call: async () => ({}) },
  getXpWeeklyActivity: { auth: 'xel:read', access: 'user', call: async () => ({}) },
  listXpQuests: { auth: 'xel:read', access: 'user', call: async () => ({}) },
  buyStreakFreeze: {
    auth: 'xel:write',
    access: 'user',
    call: async (fx, who) => {
      await fx.fundXpWallet(who);
      return {};
    },
  },

  // Integrations are the caller's own (a key's: its creator's); each call works on the acting user's calendar.
  listIntegrations: { auth: 'integrations:read', access: 'user', call: async () => ({}) },
  connectGoogleCalendar: { auth: 'integrations:write', access: 'user', writes: true, call: async () => ({}) },
  // Google's redirect brings the browser back without credentials: the binding cookie shows it is
  // the browser that started. Credentials sent along are checked like any others.
  googleCalendarCallback: {
    auth: 'optional',
    access: 'user',
    expect: { anonymous: 'ok' },
    writes: true,
    rejectionConsumes: 'the OAuth state is single-use: a failed completion burns it, and the flow must start over',
    call: async (fx, who) => {
      const { callback, cookie } = await fx.calendarFlow(fx.actingRole(who));
      return { query: Object.fromEntries(callback.searchParams), headers: { cookie } };
    },
  },
  disconnectGoogleCalendar: {
    auth: 'integrations:write',
    access: 'user',
    call: async (fx, who) => {
      await fx.connectCalendar(fx.actingRole(who));
      return {};
    },
  },
  listCalendarEvents: {
    auth: 'integrations:read',
    access: 'user',
    call: async (fx, who) => {
      await fx.connectCalendar(fx.actingRole(who));
      return {};
    },
  },
  scheduleStudySession: {
    auth: 'integrations:write',
    access: 'user',
    call: async (fx, who) => {
      await fx.connectCalendar(fx.actingRole(who));
      return { body: { title: 'Matrix study', start: '2030-01-01T10:00:00Z', duration_minutes: 30 } };
    },
  },

  // Search maintenance: platform administrators only: not_found for everyone else, whatever their credentials.
  searchStatus: { auth: 'optional', access: 'user', expect: PLATFORM_ADMINS_ONLY, call: async () => ({}) },
  reindexSearch: { auth: 'optional', access: 'user', expect: PLATFORM_ADMINS_ONLY, call: async () => ({}) },

  // Integration tokens: any member grants for their tenant (camelCase bodies, as documented); a token is
  // revoked by its grantor or an admin, rotated by its grantor; the JWKS and the fingerprint are public.
  grantIntegrationToken: { auth: 'integrations:write', access: 'member', call: async (fx) => ({ body: { mode: 'server', scopes: ['profile:read'], ttlSeconds: 120, tenantId: (await fx.org()).id } }) },
  verifyIntegrationToken: { auth: 'integrations:read', access: 'member', writes: false, call: async (fx) => ({ body: { token: (await fx.integrationToken()).token, tenantId: (await fx.org()).id } }) },
  revokeIntegrationToken: {
    auth: 'integrations:write',
    access: 'admin',
    expect: { member: 'not_found', memberKey: 'not_found' },
    call: async (fx) => ({ body: { tenantId: (await fx.integrationToken()).tenantId, jti: (await fx.integrationToken()).jti, reason: 'matrix' } }),
  },
  'revokeIntegrationToken#token': {
    auth: 'integrations:write',
    access: 'admin',
    expect: { member: 'not_found', memberKey: 'not_found' },
    call: async (fx) => ({ body: { integrationToken: (await fx.integrationToken()).token, reason: 'matrix' } }),
  },
  rotateIntegrationToken: { auth: 'integrations:write', access: 'self', call: async (fx) => ({ body: { mode: 'server', scopes: ['profile:read'], ttlSeconds: 120, integrationToken: (await fx.integrationToken()).token } }) },
  integrationJwks: { auth: 'public', access: 'public', call: async (fx) => ({ query: { tenantId: (await fx.integrationToken()).tenantId } }) },
  integrationKeyFingerprint: { auth: 'public', access: 'public', call: async (fx) => ({ query: { tenantId: (await fx.integrationToken()).tenantId } }) },
  integrationProfile: { auth: 'bearer', access: 'user', call: async () => ({}) },
  listIntegrationTokenRevocations: { auth: 'bearer', access: 'admin', call: async (fx) => ({ query: { tenantId: (await fx.org()).id } }) },
  // Admin statistics: the fixture organization's admins and owners.
  getEngagementStats: { auth: 'organizations:read', access: 'admin', call: async (fx) => ({ query: { organization_id: (await fx.org()).id, team_id: (await fx.org()).teamId, start_date: '2026-03-01', end_date: '2026-03-07' } }) },
  getMemberStats: {
    auth: 'organizations:read',
    access: 'admin',
    call: async (fx) => ({ params: { user_id: fx.user('member').user.id }, query: { organization_id: (await fx.org()).id, start_date: '2026-03-01', end_date: '2026-03-07' } }),
  },
  listMemberProgress: {
    auth: 'organizations:read',
    access: 'admin',
    call: async (fx) => ({ query: { org_id: (await fx.org()).id, start_date: '2026-03-01', end_date: '2026-03-07', sort: 'learning_seconds', order: 'asc', page: '1', limit: '10', q: 'e' } }),
  },
};

/** The same rule as a REST operation. */
const like = (operationId: string): Rule => {
  const { call: _call, ...rule } = restOperations[operationId]!;
  return rule;
};

const bumpUser = (fx: Fixture, who: Who) => {
  const userId = fx.actingUserId(who);
  if (userId) fx.publish('USER_UPDATED', { userId });
};

/**
 * `node(id:)` on one type. Asked with any credentials (`optional`: keys hold every scope, the
 * key "without the scope" only organizations:read), it answers the object to whoever the
 * type's own query answers (`access`), and null, never an error, to anyone else: a key without
 * the type's read scope, or someone the object is not for.
 */
const nodeOf = (access: Access): Omit<GraphQLEntry, 'vars'> => ({ auth: 'optional', access, nullMeans: 'not_found', expect: { ownerKeyWithoutScope: 'not_found' } });

/** `node(id:)` for one type: any caller signed in may ask (every key holds the scope asked of it); null, without an error, reads as not_found. */
const NODE = { auth: 'optional', nullMeans: 'not_found', expect: { ownerKeyWithoutScope: 'ok' } } as const satisfies Partial<GraphQLEntry>;

/** The id of `role`'s membership of the fixture organization (a Member's node id). */
async function membershipOf(fx: Fixture, role: 'member'): Promise<string> {
  const org = await fx.org();
  const m = await fx.env.server.app.orm.em.fork().findOneOrFail(Membership, { organization: org.id, user: fx.user(role).user.id });
  return m.id;
}

/** GraphQL root fields, as `Type.field`; `Type.field#variant` adds a case. */
export const graphqlOperations: Record<FieldKey, GraphQLEntry> = {
  // Object identification: any caller signed in may ask; what they may not read is null, never an error
  // (the matrix reads a null root field as not_found). Keys here hold every scope, or only organizations:read.
  'Query.node': { auth: 'optional', access: 'self', expect: { ownerKeyWithoutScope: 'not_found' }, vars: async (fx) => ({ id: await fx.conversation() }) },
  'Query.node#message': { auth: 'optional', access: 'self', expect: { ownerKeyWithoutScope: 'not_found' }, vars: async (fx) => ({ id: await fx.message() }) },
  'Query.node#note': { auth: 'optional', access: 'self', expect: { ownerKeyWithoutScope: 'not_found' }, vars: async (fx) => ({ id: await fx.note() }) },
  'Query.node#document': { auth: 'optional', access: 'self', expect: { ownerKeyWithoutScope: 'not_found' }, vars: async (fx) => ({ id: await fx.document() }) },
  'Query.node#sharedDocument': { auth: 'optional', access: 'member', expect: { ownerKeyWithoutScope: 'not_found' }, vars: async (fx) => ({ id: await fx.sharedDocument() }) },
  // Providers are public, but node() needs a caller.
  'Query.node#provider': { auth: 'optional', access: 'user', expect: { ownerKeyWithoutScope: 'ok' }, vars: async () => ({ id: 'local' }) },
  'Query.nodes': {
    auth: 'optional',
    access: 'user',
    expect: { ownerKeyWithoutScope: 'ok' },
    vars: async (fx) => ({ ids: [await fx.conversation(), await fx.note(), await fx.document(), await fx.sharedDocument(), (await fx.org()).id, await fx.transcript()] }),
  },
  'Query.me': { ...like('getMe'), vars: async () => ({}) },
  'Query.providers': { ...like('listProviders'), vars: async () => ({}) },
  'Query.organizations': { ...like('listOrganizations'), vars: async () => ({}) },
  'Query.organization': { ...like('getOrganization'), vars: async (fx) => ({ id: (await fx.org()).id }) },
  'Query.team': { ...like('getOrganization'), vars: async (fx) => ({ id: (await fx.org()).teamId }) },
  'Query.apiKeys': { ...like('listApiKeys'), vars: async () => ({}) },
  // Node lookups of this module's types: whoever may not read the object gets node: null, no error.
  'Query.node#organization': { ...NODE, access: 'member', vars: async (fx) => ({ id: (await fx.org()).id }) },
  'Query.node#team': { ...NODE, access: 'member', vars: async (fx) => ({ id: (await fx.org()).teamId }) },
  'Query.node#member': { ...NODE, access: 'member', vars: async (fx) => ({ id: await membershipOf(fx, 'member') }) },
  'Query.node#user': { ...NODE, access: 'member', vars: async (fx) => ({ id: fx.user('member').user.id }) },
  // API keys are read with a bearer token only, by their creator or an admin: keys, and plain members, get null.
  'Query.node#apiKey': {
    ...NODE,
    access: 'admin',
    expect: { ...NODE.expect, member: 'not_found', ownerKey: 'not_found', ownerKeyWithoutScope: 'not_found', memberKey: 'not_found' },
    vars: async (fx) => ({ id: await fx.ownersKeyId() }),
  },
  // Integrations and calendar events are their user's own (integrations:read; the key without it gets null).
  'Query.node#integration': { ...NODE, access: 'self', expect: { ownerKeyWithoutScope: 'not_found' }, vars: async (fx) => ({ id: integrationId(fx.user('owner').user.id, 'google_calendar') }) },
  'Query.node#calendarEvent': {
    ...NODE,
    access: 'self',
    expect: { ownerKeyWithoutScope: 'not_found' },
    vars: async (fx) => {
      await fx.connectCalendar('owner');
      const r = await fx.env.api.post('/api/integrations/google-calendar/study-sessions', { title: `${fx.marks.private} study`, start: '2030-01-01T10:00:00Z', duration_minutes: 30 }, { token: await fx.token('owner') });
      if (r.status !== 201) throw new Error(`fixture: study session: ${r.status} ${JSON.stringify(r.body)}`);
      return { id: r.body.id as string };
    },
  },
  'Query.conversations': { ...like('listConversations'), vars: async () => ({}) },
  'Query.conversation': { ...like('getConversation'), vars: async (fx) => ({ id: await fx.conversation() }) },
  'Query.message': { ...like('listMessages'), vars: async (fx) => ({ id: await fx.message() }) },
  'Query.notes': { ...like('listNotes'), vars: async () => ({}) },
  'Query.note': { auth: 'conversations:read', access: 'self', vars: async (fx) => ({ id: await fx.note() }) },
  'Query.conversationSessionStatus': { ...like('getConversationSessionStatus'), vars: async (fx) => ({ conversationId: await fx.conversation() }) },
  'Query.node#conversationSession': { ...nodeOf('self'), vars: async (fx) => ({ id: await fx.conversationSession() }) },
  'Mutation.startConversationSession': { ...like('startConversationSession'), vars: async (fx) => ({ input: { conversationId: await fx.conversation() } }) },
  'Mutation.recordConversationSessionActivity': {
    ...like('recordConversationSessionActivity'),
    vars: async (fx) => {
      await fx.conversationSession();
      return { input: { conversationId: await fx.conversation() } };
    },
  },
  'Mutation.endConversationSession': {
    ...like('endConversationSession'),
    vars: async (fx) => {
      await fx.conversationSession();
      return { input: { conversationId: await fx.conversation() } };
    },
  },
  'Query.search': { ...like('search'), vars: async (fx) => ({ q: fx.marks.seek }) },
  'Query.documents': { ...like('listDocuments'), vars: async () => ({}) },
  'Query.document': { ...like('getDocument'), vars: async (fx) => ({ id: await fx.document() }) },
  'Query.document#shared': { ...like('getDocument#shared'), vars: async (fx) => ({ id: await fx.sharedDocument() }) },
  'Query.knowledgeSearch': { ...like('knowledgeSearch'), vars: async (fx) => ({ query: fx.marks.seek }) },
  'Query.ragQuery': { ...like('ragQuery'), vars: async (fx) => ({ question: `What is ${fx.marks.seek}?` }) },
  'Query.liveQuota': { ...like('liveQuota'), vars: async () => ({}) },
  'Query.liveSession': { auth: 'live:read', access: 'self', vars: async (fx) => ({ id: await fx.liveSession() }) },
  'Query.liveTranscripts': { ...like('listLiveTranscripts'), vars: async () => ({}) },
  'Query.liveTranscript': { ...like('getLiveTranscript'), vars: async (fx) => ({ id: await fx.transcript() }) },
  // The owner's live objects as nodes: theirs only (anyone else, or a key without the scope, reads null).
  'Query.node#liveSession': { ...nodeOf('self'), vars: async (fx) => ({ id: await fx.liveSession() }) },
  'Query.node#liveTranscript': { ...nodeOf('self'), vars: async (fx) => ({ id: await fx.transcript() }) },
  'Query.node#liveQuota': { ...nodeOf('self'), vars: async (fx) => ({ id: quotaIdOf(fx.user('owner').user.id) }) },

  'Mutation.register': { ...like('register'), vars: async () => ({ input: { email: `g${fresh()}@example.com`, username: `g_${fresh()}`, password: 'correct horse battery' } }) },
  'Mutation.login': { ...like('login'), vars: async (fx) => ({ input: { username: fx.user('member').input.username, password: fx.user('member').input.password } }) },
  'Mutation.refreshToken': { ...like('refresh'), vars: async (fx) => ({ input: { refreshToken: await fx.refreshToken() } }) },
  'Mutation.logout': { ...like('logout'), vars: async () => ({ input: {} }) },
  'Mutation.updateMe': { ...like('updateMe'), vars: async () => ({ input: { fullName: `Matrix ${fresh()}` } }) },
  'Mutation.createOrganization': { ...like('createOrganization'), vars: async () => ({ input: { name: `Made in the matrix ${fresh()}` } }) },
  'Mutation.updateOrganization': { ...like('updateOrganization'), vars: async (fx) => ({ input: { id: (await fx.org()).id, description: 'changed' } }) },
  'Mutation.deleteOrganization': { ...like('deleteOrganization'), vars: async (fx) => ({ input: { id: (await fx.org()).id } }) },
  'Mutation.addMember': { ...like('addMember'), vars: async (fx) => ({ input: { organizationId: (await fx.org()).id, userId: fx.user('newcomer').user.id } }) },
  'Mutation.updateMember': { ...like('updateMember'), vars: async (fx) => ({ input: { organizationId: (await fx.org()).id, userId: fx.user('extra').user.id, teamId: null } }) },
  'Mutation.setMember': { ...like('replaceMember'), vars: async (fx) => ({ input: { organizationId: (await fx.org()).id, userId: fx.user('extra').user.id, role: 'MEMBER', teamId: null } }) },
  'Mutation.removeMember': { ...like('removeMember'), vars: async (fx) => ({ input: { organizationId: (await fx.org()).id, userId: fx.user('extra').user.id } }) },
  'Mutation.createTeam': { ...like('createTeam'), vars: async (fx) => ({ input: { organizationId: (await fx.org()).id, name: `Matrix ${fresh()}` } }) },
  'Mutation.renameTeam': { ...like('renameTeam'), vars: async (fx) => ({ input: { organizationId: (await fx.org()).id, teamId: (await fx.org()).teamId, name: `Renamed ${fresh()}` } }) },
  'Mutation.deleteTeam': { ...like('deleteTeam'), vars: async (fx) => ({ input: { organizationId: (await fx.org()).id, teamId: (await fx.org()).teamId } }) },
  'Mutation.createApiKey': { ...like('createApiKey'), vars: async (fx) => ({ input: { name: 'k', organizationId: (await fx.org()).id, scopes: ['ORGANIZATIONS_READ'] } }) },
  'Mutation.revokeApiKey': { ...like('revokeApiKey'), vars: async (fx) => ({ input: { id: await fx.ownersKeyId() } }) },
  'Mutation.chat': { ...like('chat'), vars: async (fx) => ({ input: { message: `What about ${fx.marks.seek}?` } }) },
  'Mutation.chat#continue': { ...like('chat#continue'), vars: async (fx) => ({ input: { message: 'And then?', conversationId: await fx.conversation() } }) },
  'Mutation.startChatTurn': { ...like('startChatTurn'), vars: async (fx) => ({ input: { message: `What about ${fx.marks.seek}?` } }) },
  'Mutation.createConversation': { ...like('createConversation'), vars: async () => ({ input: { title: 'Matrix' } }) },
  'Mutation.updateConversation': { ...like('updateConversation'), vars: async (fx) => ({ input: { id: await fx.conversation(), title: 'Renamed' } }) },
  'Mutation.deleteConversation': { ...like('deleteConversation'), vars: async (fx) => ({ input: { id: await fx.conversation() } }) },
  'Mutation.regenerateReply': { ...like('regenerateReply'), vars: async (fx) => ({ input: { conversationId: await fx.conversation() } }) },
  'Mutation.createNote': { ...like('createNote'), vars: async () => ({ input: { title: 'Matrix', content: 'made in the matrix' } }) },
  'Mutation.updateNote': { ...like('updateNote'), vars: async (fx) => ({ input: { id: await fx.note(), content: 'changed' } }) },
  'Mutation.deleteNote': { ...like('deleteNote'), vars: async (fx) => ({ input: { id: await fx.note() } }) },
  'Mutation.uploadDocument': { ...like('uploadDocument'), vars: async () => ({ input: { title: 'Matrix', content: 'made in the matrix' } }) },
  'Mutation.uploadDocument#organization': {
    ...like('uploadDocument#organization'),
    vars: async (fx) => ({ input: { title: 'Matrix', content: 'made in the matrix', visibility: 'ORGANIZATION', organizationId: (await fx.org()).id } }),
  },
  'Mutation.updateDocument': { ...like('updateDocument'), vars: async (fx) => ({ input: { id: await fx.document(), title: 'Renamed' } }) },
  'Mutation.updateDocument#shared': { ...like('updateDocument#shared'), vars: async (fx) => ({ input: { id: await fx.sharedDocument(), title: 'Renamed' } }) },
  'Mutation.deleteDocument': { ...like('deleteDocument'), vars: async (fx) => ({ input: { id: await fx.document() } }) },
  'Mutation.deleteDocument#shared': { ...like('deleteDocument#shared'), vars: async (fx) => ({ input: { id: await fx.sharedDocument() } }) },
  'Mutation.updateDocument#memberShared': { ...like('updateDocument#memberShared'), vars: async (fx) => ({ input: { id: await fx.memberSharedDocument(), title: 'Renamed' } }) },
  'Mutation.updateDocument#unshare': { ...like('updateDocument#unshare'), vars: async (fx) => ({ input: { id: await fx.memberSharedDocument(), visibility: 'PRIVATE' } }) },
  'Mutation.deleteDocument#memberShared': { ...like('deleteDocument#memberShared'), vars: async (fx) => ({ input: { id: await fx.memberSharedDocument() } }) },
  'Mutation.setLiveNickname': { ...like('setLiveNickname'), vars: async () => ({ input: { nickname: 'Matrix' } }) },
  'Mutation.startLiveSession': {
    ...like('startLiveSession'),
    vars: async (fx, who) => {
      await fx.endActiveSession(who);
      return { input: { sessionType: 'VOICE' } };
    },
  },
  'Mutation.liveHeartbeat': { ...like('liveHeartbeat'), vars: async (fx) => ({ input: { sessionId: await fx.liveSession() } }) },
  'Mutation.endLiveSession': { ...like('endLiveSession'), vars: async (fx) => ({ input: { sessionId: await fx.liveSession() } }) },
  'Mutation.sendLiveText': { auth: 'live:write', access: 'self', vars: async (fx) => ({ input: { sessionId: await fx.liveSession(), text: 'Hello' } }) },
  'Mutation.sendLiveAudio': { auth: 'live:write', access: 'self', vars: async (fx) => ({ input: { sessionId: await fx.liveSession(), text: 'Hello', final: true } }) },
  'Mutation.saveLiveTranscript': {
    ...like('saveLiveTranscript'),
    vars: async () => ({ input: { sessionStartedAt: iso(now() - 60_000), sessionEndedAt: iso(now()), transcripts: [{ role: 'USER', text: 'matrix', timestamp: iso(now() - 1000) }] } }),
  },
  'Mutation.saveLiveTranscript#session': {
    ...like('saveLiveTranscript#session'),
    vars: async (fx) => ({ input: { sessionId: await fx.liveSession(), sessionStartedAt: iso(now() - 60_000), sessionEndedAt: iso(now()), transcripts: [] } }),
  },

  'Query.xelModules': { ...like('listXelModules'), vars: async () => ({ level: 'A1' }) },
  'Query.xelModule': { ...like('getXelModule'), vars: async (fx) => ({ id: (await fx.xelTask()).moduleId }) },
  'Query.xelDashboard': { ...like('getXelDashboard'), vars: async () => ({}) },
  'Query.learningTime': { ...like('getLearningTime'), vars: async () => ({ startDate: '2026-03-01', endDate: '2026-03-07' }) },
  'Query.learningPulse': { ...like('getLearningPulse'), vars: async () => ({}) },
  // The course is everyone's (with their own progress); a dashboard is its learner's only.
  'Query.node#xelModule': { ...nodeOf('user'), vars: async (fx) => ({ id: (await fx.xelTask()).moduleId }) },
  'Query.node#xelTask': { ...nodeOf('user'), vars: async (fx) => ({ id: (await fx.xelTask()).taskId }) },
  'Query.node#xelDashboard': { ...nodeOf('self'), vars: async (fx) => ({ id: dashboardIdOf(fx.user('owner').user.id) }) },
  'Mutation.submitXelTask': { ...like('submitXelTask'), vars: async (fx) => ({ input: { taskId: (await fx.xelTask()).taskId, response: (await fx.xelTask()).optionId } }) },
  'Mutation.evaluateXel': { ...like('evaluateXel'), vars: async () => ({ input: { kind: 'WRITING', text: 'I has went to the market yesterday and buyed some apples.' } }) },
  'Mutation.updateXelPreferences': { ...like('updateXelPreferences'), vars: async () => ({ input: { timezone: 'Europe/Paris', dailyGoalXp: 30 } }) },

  'Query.xpProfile': { ...like('getXpProfile'), vars: async () => ({}) },
  'Query.publicXpProfile': { ...like('getPublicXpProfile'), vars: async (fx) => ({ username: await fx.publicXpProfile() }) },
  'Query.xpStreakStatus': { ...like('getXpStreakStatus'), vars: async () => ({}) },
  'Query.xpWeeklyActivity': { ...like('getXpWeeklyActivity'), vars: async () => ({}) },
  'Query.xpQuests': { ...like('listXpQuests'), vars: async () => ({}) },
  // A profile and a quest are their learner's only.
  'Query.node#xpProfile': { ...nodeOf('self'), vars: async (fx) => ({ id: xpProfileIdOf(fx.user('owner').user.id) }) },
  'Query.node#xpQuest': { ...nodeOf('self'), vars: async (fx) => ({ id: await fx.xpQuest() }) },
  'Mutation.buyStreakFreeze': {
    ...like('buyStreakFreeze'),
    vars: async (fx, who) => {
      await fx.fundXpWallet(who);
      return {};
    },
  },

  'Query.integrations': { ...like('listIntegrations'), vars: async () => ({}) },
  'Query.searchStatus': { ...like('searchStatus'), vars: async () => ({}) },
  'Mutation.reindexSearch': { ...like('reindexSearch'), vars: async () => ({}) },
  'Query.integrationJwks': { ...like('integrationJwks'), vars: async (fx) => ({ tenantId: (await fx.integrationToken()).tenantId }) },
  'Query.integrationKeyFingerprint': { ...like('integrationKeyFingerprint'), vars: async (fx) => ({ tenantId: (await fx.integrationToken()).tenantId }) },
  'Query.integrationTokenVerification': { ...like('verifyIntegrationToken'), vars: async (fx) => ({ token: (await fx.integrationToken()).token, tenantId: (await fx.org()).id }) },
  'Query.integrationTokenRevocations': { ...like('listIntegrationTokenRevocations'), vars: async (fx) => ({ tenantId: (await fx.org()).id }) },
  'Query.engagementStats': { ...like('getEngagementStats'), vars: async (fx) => ({ organizationId: (await fx.org()).id, teamId: (await fx.org()).teamId, startDate: '2026-03-01', endDate: '2026-03-07' }) },
  'Query.memberStats': { ...like('getMemberStats'), vars: async (fx) => ({ organizationId: (await fx.org()).id, userId: fx.user('member').user.id, startDate: '2026-03-01', endDate: '2026-03-07' }) },
  'Query.memberProgress': { ...like('listMemberProgress'), vars: async (fx) => ({ organizationId: (await fx.org()).id, startDate: '2026-03-01', endDate: '2026-03-07', sort: 'LEARNING_SECONDS', order: 'ASC', q: 'e', first: 10 }) },
  'Query.integrationProfile': { ...like('integrationProfile'), vars: async () => ({}) },
  'Mutation.grantIntegrationToken': { ...like('grantIntegrationToken'), vars: async (fx) => ({ input: { mode: 'SERVER', scopes: ['PROFILE_READ'], ttlSeconds: 120, tenantId: (await fx.org()).id } }) },
  'Mutation.revokeIntegrationToken': { ...like('revokeIntegrationToken'), vars: async (fx) => ({ input: { tenantId: (await fx.integrationToken()).tenantId, jti: (await fx.integrationToken()).jti, reason: 'matrix' } }) },
  'Mutation.rotateIntegrationToken': { ...like('rotateIntegrationToken'), vars: async (fx) => ({ input: { mode: 'SERVER', scopes: ['PROFILE_READ'], ttlSeconds: 120, integrationToken: (await fx.integrationToken()).token } }) },
  'Mutation.connectGoogleCalendar': { ...like('connectGoogleCalendar'), vars: async () => ({}) },
  'Mutation.completeGoogleCalendarConnection': {
    auth: 'integrations:write',
    access: 'user',
    rejectionConsumes: 'the OAuth state is single-use: a failed completion burns it, and the flow must start over',
    vars: async (fx, who) => {
      const { callback } = await fx.calendarFlow(fx.actingRole(who));
      return { input: { state: callback.searchParams.get('state'), code: callback.searchParams.get('code') } };
    },
  },
  'Mutation.disconnectGoogleCalendar': {
    ...like('disconnectGoogleCalendar'),
    vars: async (fx, who) => {
      await fx.connectCalendar(fx.actingRole(who));
      return {};
    },
  },
  'Query.calendarEvents': {
    ...like('listCalendarEvents'),
    vars: async (fx, who) => {
      await fx.connectCalendar(fx.actingRole(who));
      return {};
    },
  },
  'Mutation.scheduleStudySession': {
    ...like('scheduleStudySession'),
    vars: async (fx, who) => {
      await fx.connectCalendar(fx.actingRole(who));
      return { input: { title: 'Matrix study', start: '2030-01-01T10:00:00Z', durationMinutes: 30 } };
    },
  },

  // Subscriptions: refused at subscribe time; an allowed one is proven by its first event.
  'Subscription.meUpdated': { ...like('getMe'), writes: true, vars: async () => ({}), trigger: async (fx, who) => bumpUser(fx, who) },
  'Subscription.organizationEvents': {
    ...like('getOrganization'),
    writes: true,
    vars: async (fx) => ({ organizationId: (await fx.org()).id }),
    trigger: async (fx) => {
      const org = await fx.org();
      fx.publish('ORGANIZATION_EVENT', { organizationId: org.id, type: 'organization_updated', userId: null, teamId: null, actorId: fx.user('owner').user.id, at: new Date().toISOString() });
    },
  },
  'Subscription.documentEvents': {
    ...like('listDocuments'),
    writes: true,
    vars: async () => ({}),
    trigger: async (fx, who) => {
      const userId = fx.actingUserId(who);
      if (userId) fx.publish('DOCUMENT_STATUS', { scope: `user:${userId}`, documentId: await fx.ownDocument(fx.actingRole(who)), status: 'ready' });
    },
  },
  'Subscription.documentEvents#shared': {
    ...like('getDocument#shared'),
    writes: true,
    vars: async (fx) => ({ organizationId: (await fx.org()).id }),
    trigger: async (fx) => {
      fx.publish('DOCUMENT_STATUS', { scope: `org:${(await fx.org()).id}`, documentId: await fx.sharedDocument(), status: 'ready' });
    },
  },
  'Subscription.chatStream': { ...like('chat'), vars: async (fx) => ({ input: { message: `What about ${fx.marks.seek}?` } }) },
  'Subscription.conversationEvents': {
    ...like('getConversation'),
    writes: true,
    vars: async (fx) => ({ conversationId: await fx.conversation() }),
    trigger: async (fx) => {
      fx.publish('CHAT_EVENT', { type: 'delta', conversationId: await fx.conversation(), userId: fx.user('owner').user.id, delta: 'matrix' });
    },
  },
  'Subscription.chatTurnEvents': {
    ...like('chatTurnEvents'),
    vars: async (fx) => ({ turnId: await fx.chatTurn() }),
    // Its events replay from the start: the first one comes without anything happening.
    trigger: async () => undefined,
  },
  'Subscription.myLiveSessionEvents': {
    auth: 'live:read',
    access: 'user',
    writes: true,
    vars: async () => ({}),
    trigger: async (fx, who) => {
      const userId = fx.actingUserId(who) ?? fx.user('owner').user.id;
      fx.publish('USER_LIVE_EVENT', { type: 'quota_warning', sessionId: randomUUID(), userId, remainingSeconds: 59, message: 'matrix', at: new Date().toISOString() });
    },
  },
  'Subscription.liveSessionEvents': {
    auth: 'live:read',
    access: 'self',
    writes: true,
    vars: async (fx) => ({ sessionId: await fx.liveSession() }),
    trigger: async (fx) => {
      const sessionId = await fx.liveSession();
      fx.publish('LIVE_EVENT', { type: 'quota_warning', sessionId, userId: fx.user('owner').user.id, remainingSeconds: 59, message: 'matrix', at: new Date().toISOString() });
    },
  },
};

/** The realtime socket (not in the route table: a WebSocket route). */
export const socketOperations: Record<string, SocketEntry> = {
  'WS /api/live/ws': {
    auth: 'live:write',
    access: 'user',
    writes: true,
    frames: async (fx, who) => {
      await fx.endActiveSession(who);
      return [{ type: 'start-session', data: { session_type: 'voice' } }];
    },
  },
  'WS /api/live/ws#bind': { auth: 'live:write', access: 'self', writes: true, frames: async (fx) => [{ type: 'start-session', data: { session_id: await fx.liveSession() } }] },
};

/** The operation an entry key names: `getDocument#shared` covers `getDocument`. */
export const baseKey = (key: string): string => key.split('#')[0]!;

export const randomId = () => randomUUID();
