import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { readFileSync } from 'node:fs';
import { buildSchema as parseSdl } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../src/common/errors.js';
import { SCOPES, type Requirement } from '../src/common/scopes.js';
import { apiKeysRoutes } from '../src/modules/api-keys/api-keys.rest.js';
import { integrationsRoutes } from '../src/modules/integrations/integrations.rest.js';
import { organizationsRoutes } from '../src/modules/organizations/organizations.rest.js';
import type { RouteAuth } from '../src/rest/route-table.js';
import {
  AddMemberDocument,
  ApiKeysDocument,
  CalendarEventsDocument,
  CompleteGoogleCalendarConnectionDocument,
  ConnectGoogleCalendarDocument,
  DisconnectGoogleCalendarDocument,
  IntegrationsDocument,
  ScheduleStudySessionDocument,
  CreateApiKeyDocument,
  CreateOrganizationDocument,
  CreateTeamDocument,
  DeleteOrganizationDocument,
  DeleteTeamDocument,
  OrganizationDocument,
  OrganizationMembersDocument,
  OrganizationsDocument,
  OrganizationTeamsDocument,
  RemoveMemberDocument,
  RenameTeamDocument,
  RevokeApiKeyDocument,
  TeamMembersDocument,
  UpdateMemberDocument,
  UpdateOrganizationDocument,
} from './generated/graphql.js';
import { startFakeGoogle, type FakeGoogle } from './helpers/fake-google.js';
import { gql, type Caller } from './helpers/graphql.js';
import { restClient, type RestClient } from './helpers/http.js';
import { CookieJar, startGoogleGateway, startInBrowser } from './helpers/integrations.js';
import { makeCast, makeKey, makeOrg, type Cast } from './helpers/orgs.js';
import type { TestServer } from './helpers/server.js';

/**
 * Every organization, member, team, API-key and integration operation, through both doors,
 * for every kind of caller. Each cell runs on a fresh organization, so destructive
 * operations do not disturb the next cell. Integrations are the caller's own (an API key's:
 * its creator's), so anyone signed in may use them; the gateway talks to a fake Google.
 */

type Who = 'anonymous' | 'stranger' | 'member' | 'admin' | 'owner' | 'keyWithScope' | 'keyWithoutScope' | 'expiredKey' | 'revokedKey' | 'keyFromDisallowedIp';
const WHO: Who[] = ['anonymous', 'stranger', 'member', 'admin', 'owner', 'keyWithScope', 'keyWithoutScope', 'expiredKey', 'revokedKey', 'keyFromDisallowedIp'];
type Outcome = 'ok' | keyof typeof ERROR_CODES;

interface Fixture {
  org: { id: string; teamId: string };
  cast: Cast;
  /** A key of the owner's that the operation may revoke. */
  ownersKeyId: string;
  /** Google's redirect back to the callback, for a flow the acting user started. */
  callback?: URL;
  /** The browser that started that flow: its binding cookie goes with the callback. */
  browser?: CookieJar;
}

interface Operation {
  name: string;
  /** The REST route this covers, as `METHOD /path`. */
  rest: string;
  /** The GraphQL field this covers. */
  graphql: string;
  requires: Requirement;
  /** The least role that may do it; 'stranger' when anyone signed in may. */
  minRole: 'stranger' | 'member' | 'admin' | 'owner';
  /** The route's declared auth, when it is not `requires` (the OAuth callback: optional). */
  routeAuth?: RouteAuth;
  /** Outcomes that differ from the rule, per door. */
  exceptions?: { rest?: Partial<Record<Who, Outcome>>; graphql?: Partial<Record<Who, Outcome>> };
  /** Readies what the operation acts on, for the user acting (an API key's creator). */
  prepare?: (f: Fixture, actorToken: string) => Promise<void>;
  /** What a stranger gets when minRole is not 'stranger' (almost always not_found). */
  call: {
    rest: (api: RestClient, f: Fixture, auth: { token?: string; apiKey?: string }) => Promise<{ status: number; body: any }>;
    graphql: (url: string, f: Fixture, caller: Caller) => Promise<{ errors?: readonly { extensions?: Record<string, unknown> }[] | undefined }>;
  };
}

const doc = <T, V>(d: TypedDocumentNode<T, V>) => d as TypedDocumentNode<T, any>;

let server: TestServer;
let api: RestClient;
let cast: Cast;
let fake: FakeGoogle;

/** Starts a Google Calendar flow as the actor and consents at the fake Google: the redirect back, not yet followed. */
async function startFlow(f: Fixture, actorToken: string): Promise<void> {
  f.browser = new CookieJar();
  f.callback = (await startInBrowser(api, { token: actorToken }, f.browser)).callback;
}

/** The callback as the browser that started the flow follows it: its binding cookie, and `auth` if any. */
const followCallback = (f: Fixture, auth: { token?: string; apiKey?: string } = {}) =>
  api.get(f.callback!.pathname + f.callback!.search, { ...auth, headers: { cookie: f.browser!.header(f.callback!) ?? '' } });

/** Connects the actor's Google Calendar (the browser's callback carries no credentials, only its cookie). */
async function connectCalendar(f: Fixture, actorToken: string): Promise<void> {
  await startFlow(f, actorToken);
  const done = await followCallback(f);
  if (done.status !== 200) throw new Error(`callback: ${done.status} ${JSON.stringify(done.body)}`);
}

const operations: Operation[] = [
  {
    name: 'list organizations',
    rest: 'GET /api/organizations',
    graphql: 'organizations',
    requires: 'organizations:read',
    minRole: 'stranger',
    call: {
      rest: (api, _f, a) => api.get('/api/organizations', a),
      graphql: (url, _f, c) => gql(url, doc(OrganizationsDocument), {}, c),
    },
  },
  {
    name: 'create organization',
    rest: 'POST /api/organizations',
    graphql: 'createOrganization',
    requires: 'bearer',
    minRole: 'stranger',
    call: {
      rest: (api, _f, a) => api.post('/api/organizations', { name: 'Made in the matrix' }, a),
      graphql: (url, _f, c) => gql(url, doc(CreateOrganizationDocument), { input: { name: 'Made in the matrix' } }, c),
    },
  },
  {
    name: 'get organization',
    rest: 'GET /api/organizations/{org_id}',
    graphql: 'organization',
    requires: 'organizations:read',
    minRole: 'member',
    call: {
      rest: (api, f, a) => api.get(`/api/organizations/${f.org.id}`, a),
      graphql: (url, f, c) => gql(url, doc(OrganizationDocument), { id: f.org.id }, c),
    },
  },
  {
    name: 'update organization',
    rest: 'PATCH /api/organizations/{org_id}',
    graphql: 'updateOrganization',
    requires: 'organizations:write',
    minRole: 'admin',
    call: {
      rest: (api, f, a) => api.patch(`/api/organizations/${f.org.id}`, { description: 'changed' }, a),
      graphql: (url, f, c) => gql(url, doc(UpdateOrganizationDocument), { id: f.org.id, input: { description: 'changed' } }, c),
    },
  },
  {
    name: 'delete organization',
    rest: 'DELETE /api/organizations/{org_id}',
    graphql: 'deleteOrganization',
    requires: 'organizations:write',
    minRole: 'owner',
    call: {
      rest: (api, f, a) => api.delete(`/api/organizations/${f.org.id}`, a),
      graphql: (url, f, c) => gql(url, doc(DeleteOrganizationDocument), { id: f.org.id }, c),
    },
  },
  {
    name: 'list members',
    rest: 'GET /api/organizations/{org_id}/members',
    graphql: 'Organization.members',
    requires: 'organizations:read',
    minRole: 'member',
    call: {
      rest: (api, f, a) => api.get(`/api/organizations/${f.org.id}/members`, a),
      graphql: (url, f, c) => gql(url, doc(OrganizationMembersDocument), { id: f.org.id }, c),
    },
  },
  {
    name: 'add member',
    rest: 'POST /api/organizations/{org_id}/members',
    graphql: 'addMember',
    requires: 'organizations:write',
    minRole: 'admin',
    call: {
      rest: (api, f, a) => api.post(`/api/organizations/${f.org.id}/members`, { user_id: f.cast.newcomer.user.id, role: 'member' }, a),
      graphql: (url, f, c) => gql(url, doc(AddMemberDocument), { organizationId: f.org.id, input: { userId: f.cast.newcomer.user.id } }, c),
    },
  },
  {
    name: 'update member',
    rest: 'PATCH /api/organizations/{org_id}/members/{target_user_id}',
    graphql: 'updateMember',
    requires: 'organizations:write',
    minRole: 'admin',
    call: {
      rest: (api, f, a) => api.patch(`/api/organizations/${f.org.id}/members/${f.cast.extra.user.id}`, { team_id: null }, a),
      graphql: (url, f, c) => gql(url, doc(UpdateMemberDocument), { organizationId: f.org.id, userId: f.cast.extra.user.id, input: { teamId: null } }, c),
    },
  },
  {
    name: 'remove member',
    rest: 'DELETE /api/organizations/{org_id}/members/{target_user_id}',
    graphql: 'removeMember',
    requires: 'organizations:write',
    minRole: 'admin',
    call: {
      rest: (api, f, a) => api.delete(`/api/organizations/${f.org.id}/members/${f.cast.extra.user.id}`, a),
      graphql: (url, f, c) => gql(url, doc(RemoveMemberDocument), { organizationId: f.org.id, userId: f.cast.extra.user.id }, c),
    },
  },
  {
    name: 'list teams',
    rest: 'GET /api/organizations/{org_id}/teams',
    graphql: 'Organization.teams',
    requires: 'organizations:read',
    minRole: 'member',
    call: {
      rest: (api, f, a) => api.get(`/api/organizations/${f.org.id}/teams`, a),
      graphql: (url, f, c) => gql(url, doc(OrganizationTeamsDocument), { id: f.org.id }, c),
    },
  },
  {
    name: 'create team',
    rest: 'POST /api/organizations/{org_id}/teams',
    graphql: 'createTeam',
    requires: 'organizations:write',
    minRole: 'admin',
    call: {
      rest: (api, f, a) => api.post(`/api/organizations/${f.org.id}/teams`, { name: 'Matrix' }, a),
      graphql: (url, f, c) => gql(url, doc(CreateTeamDocument), { organizationId: f.org.id, name: 'Matrix' }, c),
    },
  },
  {
    name: 'rename team',
    rest: 'PATCH /api/organizations/{org_id}/teams/{team_id}',
    graphql: 'renameTeam',
    requires: 'organizations:write',
    minRole: 'admin',
    call: {
      rest: (api, f, a) => api.patch(`/api/organizations/${f.org.id}/teams/${f.org.teamId}`, { name: 'Renamed' }, a),
      graphql: (url, f, c) => gql(url, doc(RenameTeamDocument), { organizationId: f.org.id, teamId: f.org.teamId, name: 'Renamed' }, c),
    },
  },
  {
    name: 'delete team',
    rest: 'DELETE /api/organizations/{org_id}/teams/{team_id}',
    graphql: 'deleteTeam',
    requires: 'organizations:write',
    minRole: 'admin',
    call: {
      rest: (api, f, a) => api.delete(`/api/organizations/${f.org.id}/teams/${f.org.teamId}`, a),
      graphql: (url, f, c) => gql(url, doc(DeleteTeamDocument), { organizationId: f.org.id, teamId: f.org.teamId }, c),
    },
  },
  {
    name: 'list team members',
    rest: 'GET /api/organizations/{org_id}/teams/{team_id}/members',
    graphql: 'Team.members',
    requires: 'organizations:read',
    minRole: 'member',
    call: {
      rest: (api, f, a) => api.get(`/api/organizations/${f.org.id}/teams/${f.org.teamId}/members`, a),
      graphql: (url, f, c) => gql(url, doc(TeamMembersDocument), { id: f.org.id }, c),
    },
  },
  {
    name: 'create API key',
    rest: 'POST /api/api-keys',
    graphql: 'createApiKey',
    requires: 'bearer',
    minRole: 'member',
    call: {
      rest: (api, f, a) => api.post('/api/api-keys', { name: 'k', organization_id: f.org.id, scopes: ['organizations:read'] }, a),
      graphql: (url, f, c) => gql(url, doc(CreateApiKeyDocument), { input: { name: 'k', organizationId: f.org.id, scopes: ['organizations:read'] } }, c),
    },
  },
  {
    name: 'list API keys',
    rest: 'GET /api/api-keys',
    graphql: 'apiKeys',
    requires: 'bearer',
    minRole: 'stranger',
    call: {
      rest: (api, _f, a) => api.get('/api/api-keys', a),
      graphql: (url, _f, c) => gql(url, doc(ApiKeysDocument), {}, c),
    },
  },
  {
    name: 'revoke API key',
    rest: 'DELETE /api/api-keys/{key_id}',
    graphql: 'revokeApiKey',
    requires: 'bearer',
    minRole: 'admin',
    call: {
      rest: (api, f, a) => api.delete(`/api/api-keys/${f.ownersKeyId}`, a),
      graphql: (url, f, c) => gql(url, doc(RevokeApiKeyDocument), { id: f.ownersKeyId }, c),
    },
  },
  {
    name: 'list integrations',
    rest: 'GET /api/integrations',
    graphql: 'integrations',
    requires: 'integrations:read',
    minRole: 'stranger',
    call: {
      rest: (api, _f, a) => api.get('/api/integrations', a),
      graphql: (url, _f, c) => gql(url, doc(IntegrationsDocument), {}, c),
    },
  },
  {
    name: 'start connecting Google Calendar',
    rest: 'GET /api/integrations/google-calendar/connect',
    graphql: 'connectGoogleCalendar',
    requires: 'integrations:write',
    minRole: 'stranger',
    call: {
      rest: (api, _f, a) => api.get('/api/integrations/google-calendar/connect', a),
      graphql: (url, _f, c) => gql(url, doc(ConnectGoogleCalendarDocument), {}, c),
    },
  },
  {
    // The browser arrives by redirect without credentials: the state names the user, the
    // binding cookie shows it is the browser that started. Sent credentials are checked like
    // any others. GraphQL has no such door: it needs a caller.
    name: 'finish connecting Google Calendar',
    rest: 'GET /api/integrations/google-calendar/callback',
    graphql: 'completeGoogleCalendarConnection',
    requires: 'integrations:write',
    routeAuth: 'optional',
    minRole: 'stranger',
    exceptions: { rest: { anonymous: 'ok' } },
    prepare: startFlow,
    call: {
      rest: (_api, f, a) => followCallback(f, a),
      graphql: (url, f, c) =>
        gql(url, doc(CompleteGoogleCalendarConnectionDocument), { state: f.callback!.searchParams.get('state'), code: f.callback!.searchParams.get('code') }, c),
    },
  },
  {
    name: 'disconnect Google Calendar',
    rest: 'DELETE /api/integrations/google-calendar',
    graphql: 'disconnectGoogleCalendar',
    requires: 'integrations:write',
    minRole: 'stranger',
    prepare: connectCalendar,
    call: {
      rest: (api, _f, a) => api.delete('/api/integrations/google-calendar', a),
      graphql: (url, _f, c) => gql(url, doc(DisconnectGoogleCalendarDocument), {}, c),
    },
  },
  {
    name: 'list calendar events',
    rest: 'GET /api/integrations/google-calendar/events',
    graphql: 'calendarEvents',
    requires: 'integrations:read',
    minRole: 'stranger',
    prepare: connectCalendar,
    call: {
      rest: (api, _f, a) => api.get('/api/integrations/google-calendar/events', a),
      graphql: (url, _f, c) => gql(url, doc(CalendarEventsDocument), {}, c),
    },
  },
  {
    name: 'schedule a study session',
    rest: 'POST /api/integrations/google-calendar/study-sessions',
    graphql: 'scheduleStudySession',
    requires: 'integrations:write',
    minRole: 'stranger',
    prepare: connectCalendar,
    call: {
      rest: (api, _f, a) => api.post('/api/integrations/google-calendar/study-sessions', { title: 'Matrix study', start: '2030-01-01T10:00:00Z', duration_minutes: 30 }, a),
      graphql: (url, _f, c) => gql(url, doc(ScheduleStudySessionDocument), { input: { title: 'Matrix study', start: '2030-01-01T10:00:00Z', durationMinutes: 30 } }, c),
    },
  },
];

const allTableRoutes = [...organizationsRoutes, ...apiKeysRoutes, ...integrationsRoutes];

const RANK = { stranger: 0, member: 1, admin: 2, owner: 3 } as const;

/** The rule, written once: what each caller must get. */
function expected(op: Operation, who: Who, door: 'rest' | 'graphql'): Outcome {
  const exception = op.exceptions?.[door]?.[who];
  if (exception) return exception;
  if (who === 'anonymous') return 'not_authenticated';
  if (who === 'expiredKey' || who === 'revokedKey') return 'invalid_token';
  if (who === 'keyFromDisallowedIp') return 'forbidden';
  if (who === 'keyWithScope' || who === 'keyWithoutScope') {
    if (op.requires === 'bearer') return 'forbidden';
    if (who === 'keyWithoutScope') return 'INSUFFICIENT_API_KEY_SCOPE';
    return 'ok'; // the owner's key: the owner's role applies
  }
  const rank = RANK[who];
  if (rank >= RANK[op.minRole]) return 'ok';
  // Outside the organization: it does not exist for you. Inside it: not your role.
  // An API key's revocation by an outsider or a plain member is a key they cannot see.
  return who === 'stranger' || op.name === 'revoke API key' ? 'not_found' : 'forbidden';
}

beforeAll(async () => {
  fake = await startFakeGoogle();
  // No return URL: the callback answers JSON, so its outcomes read like every other route's.
  server = await startGoogleGateway(fake, { INTEGRATIONS_RETURN_URL: '' });
  api = restClient(server.url);
  cast = await makeCast(api);
});
afterAll(async () => {
  await server?.close();
  await fake?.close();
});

async function setUp(op: Operation, who: Who): Promise<{ f: Fixture; auth: { token?: string; apiKey?: string } }> {
  const org = await makeOrg(api, cast);
  const ownersKey = await makeKey(api, cast.owner, org.id, ['organizations:read']);
  const f: Fixture = { org, cast, ownersKeyId: ownersKey.id };
  const scope = op.requires === 'bearer' ? 'organizations:write' : op.requires;
  const without = SCOPES.filter((s) => s !== scope && !s.startsWith('api:'));
  await op.prepare?.(f, who === 'stranger' || who === 'member' || who === 'admin' || who === 'owner' ? cast[who].accessToken : cast.owner.accessToken);
  switch (who) {
    case 'anonymous':
      return { f, auth: {} };
    case 'stranger':
    case 'member':
    case 'admin':
    case 'owner':
      return { f, auth: { token: cast[who].accessToken } };
    case 'keyWithScope':
      return { f, auth: { apiKey: (await makeKey(api, cast.owner, org.id, op.requires === 'bearer' ? [...SCOPES] : [scope])).key } };
    case 'keyWithoutScope':
      return { f, auth: { apiKey: (await makeKey(api, cast.owner, org.id, without)).key } };
    case 'expiredKey': {
      const k = await makeKey(api, cast.owner, org.id, [...SCOPES], { expires_at: new Date(Date.now() + 3_600_000).toISOString() });
      await server.app.orm.em.fork().getConnection().execute('update api_keys set expires_at = ? where id = ?', [
        server.config.db.driver === 'sqlite' ? Date.now() - 1000 : new Date(Date.now() - 1000),
        k.id,
      ]);
      return { f, auth: { apiKey: k.key } };
    }
    case 'revokedKey': {
      const k = await makeKey(api, cast.owner, org.id, [...SCOPES]);
      await api.delete(`/api/api-keys/${k.id}`, { token: cast.owner.accessToken });
      return { f, auth: { apiKey: k.key } };
    }
    case 'keyFromDisallowedIp':
      return { f, auth: { apiKey: (await makeKey(api, cast.owner, org.id, [...SCOPES], { allowed_ips: ['203.0.113.0/24', '2001:db8::/32'] })).key } };
  }
}

const restOutcome = (res: { status: number; body: any }): Outcome => (res.status < 300 ? 'ok' : res.body.detail.error);
const gqlOutcome = (res: { errors?: readonly { extensions?: Record<string, unknown> }[] | undefined }): Outcome =>
  res.errors?.length ? (res.errors[0]!.extensions?.code as Outcome) : 'ok';

describe('permission matrix', () => {
  it('covers every organization, API key and integration route of the REST table and every such GraphQL field', () => {
    const routes = allTableRoutes.map((r) => `${r.method} ${r.path}`).sort();
    expect(operations.map((o) => o.rest).sort()).toEqual(routes);
    const schema = parseSdl(readFileSync('schema/schema.graphql', 'utf8'));
    const fields = [
      ...Object.values(schema.getQueryType()!.getFields()),
      ...Object.values(schema.getMutationType()!.getFields()),
    ]
      .filter((f) => /organization|member|team|apikey|integration|calendar|studysession/i.test(f.name) && !['register'].includes(f.name))
      .map((f) => f.name);
    for (const f of fields) expect(operations.map((o) => o.graphql), `GraphQL field ${f} has no matrix entry`).toContain(f);
  });

  it('declares in the route table and in the schema the scope each service enforces', () => {
    const schema = parseSdl(readFileSync('schema/schema.graphql', 'utf8'));
    const all = { ...schema.getQueryType()!.getFields(), ...schema.getMutationType()!.getFields() };
    for (const op of operations) {
      const route = allTableRoutes.find((r) => `${r.method} ${r.path}` === op.rest)!;
      expect(route.auth, op.name).toBe(op.routeAuth ?? op.requires);
      const field = all[op.graphql];
      if (field) expect(field.description, op.graphql).toContain(op.requires === 'bearer' ? 'Bearer token only' : `\`${op.requires}\``);
    }
  });

  for (const op of operations) {
    describe(op.name, () => {
      for (const who of WHO) {
        const want = expected(op, who, 'rest');
        const wantGraphql = expected(op, who, 'graphql');
        it(`${who} → ${want === wantGraphql ? want : `${want} (REST), ${wantGraphql} (GraphQL)`}, through REST and GraphQL`, async () => {
          const r = await setUp(op, who);
          const rest = await op.call.rest(api, r.f, r.auth);
          expect(restOutcome(rest), `REST ${op.rest} as ${who}: ${JSON.stringify(rest.body)}`).toBe(want);
          if (want !== 'ok') expect(rest.status).toBe(ERROR_CODES[want]);
          if (want === 'INSUFFICIENT_API_KEY_SCOPE') {
            expect(rest.body.detail.required_scope).toBe(op.requires);
            expect(rest.body.detail.granted_scopes).not.toContain(op.requires);
          }
          const again = await setUp(op, who);
          const caller: Caller = again.auth.token ? again.auth.token : again.auth.apiKey ? { apiKey: again.auth.apiKey } : undefined;
          const g = await op.call.graphql(server.url, again.f, caller);
          expect(gqlOutcome(g), `GraphQL ${op.graphql} as ${who}: ${JSON.stringify(g.errors)}`).toBe(wantGraphql);
          if (wantGraphql === 'INSUFFICIENT_API_KEY_SCOPE') expect(g.errors![0]!.extensions!.required_scope).toBe(op.requires);
        });
      }
    });
  }
});
