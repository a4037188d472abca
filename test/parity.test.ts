import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AddMemberDocument,
  LoginDocument,
  LogoutDocument,
  MeDocument,
  OrganizationDocument,
  RefreshTokenDocument,
  RegisterDocument,
  RemoveMemberDocument,
  RevokeApiKeyDocument,
  UpdateMeDocument,
} from './generated/graphql.js';
import { PASSWORD, newUserInput, signUp } from './helpers/factories.js';
import { errorCode, gql } from './helpers/graphql.js';
import { restClient, type RestClient } from './helpers/http.js';
import { startServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let api: RestClient;
beforeAll(async () => {
  server = await startServer();
  api = restClient(server.url);
});
afterAll(() => server.close());

/** One outcome, whichever door: the error code (or 'ok') and the error's field locations in service terms. */
interface Outcome {
  code: string;
  fields?: string[];
}

const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

function fromRest(res: { status: number; body: any }): Outcome {
  if (res.status < 300) return { code: 'ok' };
  const d = res.body.detail;
  return { code: d.error, ...(d.fields ? { fields: d.fields.map((f: { loc: string[] }) => f.loc.slice(1).map(camel).join('.')) } : {}) };
}

function fromGql(res: { errors?: readonly { extensions?: Record<string, unknown> }[] }): Outcome {
  if (!res.errors?.length) return { code: 'ok' };
  const ext = res.errors[0]!.extensions ?? {};
  const fields = ext.fields as { loc: string[] }[] | undefined;
  return { code: String(ext.code), ...(fields ? { fields: fields.map((f) => f.loc.join('.')) } : {}) };
}

/**
 * Each scenario runs through REST and through GraphQL on fresh data and must give the same
 * outcome: same success, or same error code with the same fields.
 */
const scenarios: { name: string; expected: Outcome; rest: () => Promise<Outcome>; gql: () => Promise<Outcome> }[] = [
  {
    name: 'register with invalid fields',
    expected: { code: 'validation_error', fields: ['email', 'username', 'password'] },
    rest: async () => fromRest(await api.post('/api/auth/register', { email: 'x', username: '!', password: '1' })),
    gql: async () => fromGql(await gql(server.url, RegisterDocument, { input: { email: 'x', username: '!', password: '1' } })),
  },
  {
    name: 'register a taken email',
    expected: { code: 'conflict' },
    rest: async () => {
      const u = await signUp(api);
      return fromRest(await api.post('/api/auth/register', newUserInput({ email: u.input.email })));
    },
    gql: async () => {
      const u = await signUp(api);
      const i = newUserInput({ email: u.input.email });
      return fromGql(await gql(server.url, RegisterDocument, { input: { email: i.email, username: i.username, password: i.password } }));
    },
  },
  {
    name: 'login with a wrong password',
    expected: { code: 'invalid_credentials' },
    rest: async () => fromRest(await api.post('/api/auth/login', { username: (await signUp(api)).input.username, password: 'wrong one' }, { form: true })),
    gql: async () => fromGql(await gql(server.url, LoginDocument, { input: { username: (await signUp(api)).input.username, password: 'wrong one' } })),
  },
  {
    name: 'login with an empty username',
    expected: { code: 'validation_error', fields: ['username'] },
    rest: async () => fromRest(await api.post('/api/auth/login', { username: '', password: 'x' })),
    gql: async () => fromGql(await gql(server.url, LoginDocument, { input: { username: '', password: 'x' } })),
  },
  {
    name: 'refresh with a reused token',
    expected: { code: 'invalid_token' },
    rest: async () => {
      const u = await signUp(api);
      await api.post('/api/auth/refresh', { refresh_token: u.refreshToken });
      return fromRest(await api.post('/api/auth/refresh', { refresh_token: u.refreshToken }));
    },
    gql: async () => {
      const u = await signUp(api);
      await gql(server.url, RefreshTokenDocument, { input: { refreshToken: u.refreshToken } });
      return fromGql(await gql(server.url, RefreshTokenDocument, { input: { refreshToken: u.refreshToken } }));
    },
  },
  {
    name: 'read me anonymously',
    expected: { code: 'not_authenticated' },
    rest: async () => fromRest(await api.get('/api/auth/me')),
    gql: async () => fromGql(await gql(server.url, MeDocument, {})),
  },
  {
    name: 'change the password without the current one',
    expected: { code: 'validation_error', fields: ['currentPassword'] },
    rest: async () => fromRest(await api.patch('/api/auth/me', { new_password: 'a new password' }, { token: (await signUp(api)).accessToken })),
    gql: async () => fromGql(await gql(server.url, UpdateMeDocument, { input: { newPassword: 'a new password' } }, (await signUp(api)).accessToken)),
  },
  {
    name: 'change the password with a wrong current one',
    expected: { code: 'invalid_credentials', fields: ['currentPassword'] },
    rest: async () =>
      fromRest(await api.patch('/api/auth/me', { new_password: 'a new password', current_password: 'wrong' }, { token: (await signUp(api)).accessToken })),
    gql: async () =>
      fromGql(await gql(server.url, UpdateMeDocument, { input: { newPassword: 'a new password', currentPassword: 'wrong' } }, (await signUp(api)).accessToken)),
  },
  {
    name: 'change the password correctly',
    expected: { code: 'ok' },
    rest: async () =>
      fromRest(await api.patch('/api/auth/me', { new_password: 'a new password', current_password: PASSWORD }, { token: (await signUp(api)).accessToken })),
    gql: async () =>
      fromGql(await gql(server.url, UpdateMeDocument, { input: { newPassword: 'a new password', currentPassword: PASSWORD } }, (await signUp(api)).accessToken)),
  },
  {
    name: 'log out without credentials',
    expected: { code: 'not_authenticated' },
    rest: async () => fromRest(await api.post('/api/auth/logout')),
    gql: async () => fromGql(await gql(server.url, LogoutDocument, { input: {} })),
  },
  {
    name: 'read an organization by a malformed id',
    expected: { code: 'not_found' },
    rest: async () => fromRest(await api.get('/api/organizations/not-an-id', { token: (await signUp(api)).accessToken })),
    gql: async () => fromGql(await gql(server.url, OrganizationDocument, { id: 'not-an-id' }, (await signUp(api)).accessToken)),
  },
  {
    name: 'add a member with a malformed team id',
    expected: { code: 'validation_error', fields: ['teamId'] },
    rest: async () => {
      const u = await signUp(api);
      const org = await api.post('/api/organizations', { name: 'Parity' }, { token: u.accessToken });
      return fromRest(await api.post(`/api/organizations/${org.body.id}/members`, { user_id: (await signUp(api)).user.id, team_id: 'x' }, { token: u.accessToken }));
    },
    gql: async () => {
      const u = await signUp(api);
      const org = await api.post('/api/organizations', { name: 'Parity' }, { token: u.accessToken });
      return fromGql(await gql(server.url, AddMemberDocument, { input: { organizationId: org.body.id, userId: (await signUp(api)).user.id, teamId: 'x' } }, u.accessToken));
    },
  },
  {
    name: 'the last owner leaves',
    expected: { code: 'conflict' },
    rest: async () => {
      const u = await signUp(api);
      const org = await api.post('/api/organizations', { name: 'Parity' }, { token: u.accessToken });
      return fromRest(await api.delete(`/api/organizations/${org.body.id}/members/${u.user.id}`, { token: u.accessToken }));
    },
    gql: async () => {
      const u = await signUp(api);
      const org = await api.post('/api/organizations', { name: 'Parity' }, { token: u.accessToken });
      return fromGql(await gql(server.url, RemoveMemberDocument, { input: { organizationId: org.body.id, userId: u.user.id } }, u.accessToken));
    },
  },
  {
    name: 'revoke an API key that does not exist',
    expected: { code: 'not_found' },
    rest: async () => fromRest(await api.delete('/api/api-keys/00000000-0000-4000-8000-000000000000', { token: (await signUp(api)).accessToken })),
    gql: async () => fromGql(await gql(server.url, RevokeApiKeyDocument, { input: { id: '00000000-0000-4000-8000-000000000000' } }, (await signUp(api)).accessToken)),
  },
];

describe('REST and GraphQL give the same outcome', () => {
  for (const s of scenarios) {
    it(s.name, async () => {
      const [rest, graph] = [await s.rest(), await s.gql()];
      expect(rest).toEqual(s.expected);
      expect(graph).toEqual(s.expected);
    });
  }

  it('report the same profile', async () => {
    const u = await signUp(api);
    const rest = (await api.get('/api/auth/me', { token: u.accessToken })).body;
    const graph = (await gql(server.url, MeDocument, {}, u.accessToken)).data!.me;
    expect(graph).toEqual({
      id: rest.id,
      email: rest.email,
      username: rest.username,
      fullName: rest.full_name,
      nickname: rest.nickname,
      preferredLanguage: rest.preferred_language,
      timezone: rest.timezone,
      avatarUrl: rest.avatar_url,
      plan: rest.plan,
      createdAt: rest.created_at,
      updatedAt: rest.updated_at,
    });
    expect(errorCode(await gql(server.url, MeDocument, {}, u.accessToken))).toBeUndefined();
  });
});
