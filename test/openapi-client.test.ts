import createClient, { type Client, type Middleware } from 'openapi-fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { components, paths } from './generated/openapi.js';
import { newUserInput } from './helpers/factories.js';
import { startServer, type TestServer } from './helpers/server.js';

/**
 * A client generated from /openapi.json (openapi-typescript's types, openapi-fetch) drives
 * the documented flows: what a client generator makes of the document compiles and works.
 */
type Api = Client<paths>;
type ErrorCode = components['schemas']['ErrorDetail']['error'];

let server: TestServer;
let api: Api;

beforeAll(async () => {
  server = await startServer();
  api = createClient<paths>({ baseUrl: server.url });
});
afterAll(() => server.close());

/** A client that sends `token` as the bearer token. */
function as(token: string): Api {
  const client = createClient<paths>({ baseUrl: server.url });
  const auth: Middleware = {
    onRequest({ request }) {
      request.headers.set('authorization', `Bearer ${token}`);
      return request;
    },
  };
  client.use(auth);
  return client;
}

/** Registers (JSON) and logs in (a form body, as documented); returns the profile and a client acting as the user. */
async function signUp(): Promise<{ user: components['schemas']['UserProfile']; tokens: components['schemas']['TokenResponse']; client: Api }> {
  const input = newUserInput();
  const reg = await api.POST('/api/auth/register', { body: input });
  expect(reg.response.status).toBe(201);
  const login = await api.POST('/api/auth/login', {
    body: { username: input.username, password: input.password },
    bodySerializer: (b) => new URLSearchParams(b as Record<string, string>).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  expect(login.response.status).toBe(200);
  return { user: reg.data!, tokens: login.data!, client: as(login.data!.access_token) };
}

const code = (error: { detail: { error: ErrorCode } } | undefined): ErrorCode | undefined => error?.detail.error;

describe('a typed client generated from the OpenAPI document', () => {
  it('authenticates: register, log in with a form, read and change the profile, refresh, log out', async () => {
    const { user, tokens, client } = await signUp();
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.expires_in).toBeGreaterThan(0);

    const me = await client.GET('/api/auth/me');
    expect(me.data).toMatchObject({ id: user.id, username: user.username, email: user.email });

    const changed = await client.PATCH('/api/auth/me', { body: { full_name: 'Ada Lovelace', timezone: 'Europe/London' } });
    expect(changed.data).toMatchObject({ full_name: 'Ada Lovelace', timezone: 'Europe/London' });

    const refreshed = await api.POST('/api/auth/refresh', { body: { refresh_token: tokens.refresh_token } });
    expect(refreshed.data?.refresh_token).not.toBe(tokens.refresh_token);
    // The refresh token worked once: presenting it again is refused, with the documented code.
    const reused = await api.POST('/api/auth/refresh', { body: { refresh_token: tokens.refresh_token } });
    expect(reused.response.status).toBe(401);
    expect(code(reused.error)).toBe('invalid_token');

    const anonymous = await api.GET('/api/auth/me');
    expect(anonymous.response.status).toBe(401);
    expect(code(anonymous.error)).toBe('not_authenticated');

    const out = await as(refreshed.data!.access_token).POST('/api/auth/logout', { body: { refresh_token: refreshed.data!.refresh_token } });
    expect(out.response.status).toBe(204);
  });

  it('keeps conversations: create, list with X-Total-Count, read, rename, delete', async () => {
    const { client } = await signUp();
    const created = await client.POST('/api/core/conversations', { body: { title: 'Grammar questions', system_prompt: 'Answer as a patient English teacher.' } });
    expect(created.response.status).toBe(201);
    const conversation = created.data!;
    expect(conversation).toMatchObject({ title: 'Grammar questions', message_count: 0, last_message_at: null });

    const list = await client.GET('/api/core/conversations', { params: { query: { limit: 10 } } });
    expect(list.data!.map((c) => c.id)).toEqual([conversation.id]);
    expect(list.response.headers.get('x-total-count')).toBe('1');

    const path = { conversation_id: conversation.id };
    const renamed = await client.PATCH('/api/core/conversations/{conversation_id}', { params: { path }, body: { title: 'Tenses' } });
    expect(renamed.data?.title).toBe('Tenses');
    const messages = await client.GET('/api/core/conversations/{conversation_id}/messages', { params: { path } });
    expect(messages.data).toEqual([]);

    const deleted = await client.DELETE('/api/core/conversations/{conversation_id}', { params: { path } });
    expect(deleted.response.status).toBe(204);
    const gone = await client.GET('/api/core/conversations/{conversation_id}', { params: { path } });
    expect(gone.response.status).toBe(404);
    expect(code(gone.error)).toBe('not_found');
  });

  it('runs an organization: create, add a member, change the role, list, and answers the documented errors', async () => {
    const owner = await signUp();
    const member = await signUp();
    const slug = `acme-learning-${Date.now().toString(36)}`;
    const body: components['schemas']['OrganizationCreateRequest'] = { name: 'Acme Learning', slug, description: 'Language training for Acme staff' };
    const created = await owner.client.POST('/api/organizations', { body });
    expect(created.response.status).toBe(201);
    const org = created.data!;
    expect(org).toMatchObject({ name: 'Acme Learning', slug, role: 'owner', member_count: 1 });

    const orgPath = { org_id: org.id };
    const added = await owner.client.POST('/api/organizations/{org_id}/members', { params: { path: orgPath }, body: { email: member.user.email, role: 'member' } });
    expect(added.response.status).toBe(201);
    expect(added.data).toMatchObject({ user_id: member.user.id, role: 'member', team_id: null });

    const promoted = await owner.client.PATCH('/api/organizations/{org_id}/members/{target_user_id}', {
      params: { path: { ...orgPath, target_user_id: member.user.id } },
      body: { role: 'admin' },
    });
    expect(promoted.data?.role).toBe('admin');

    const members = await member.client.GET('/api/organizations/{org_id}/members', { params: { path: orgPath } });
    expect(members.data!.map((m) => [m.username, m.role]).sort()).toEqual(
      [
        [owner.user.username, 'owner'],
        [member.user.username, 'admin'],
      ].sort(),
    );
    expect((await member.client.GET('/api/organizations')).data!.map((o) => o.id)).toEqual([org.id]);

    // 400 with the offending fields, 409 for a slug taken, 404 for someone else's organization, 415 for a body in another media type.
    const invalid = await owner.client.POST('/api/organizations', { body: { name: '' } });
    expect(invalid.response.status).toBe(400);
    expect(code(invalid.error)).toBe('validation_error');
    expect(invalid.error!.detail.fields?.[0]?.loc).toEqual(['body', 'name']);
    const taken = await owner.client.POST('/api/organizations', { body: { name: 'Acme again', slug } });
    expect(taken.response.status).toBe(409);
    expect(code(taken.error)).toBe('conflict');
    const outsider = await signUp();
    const hidden = await outsider.client.GET('/api/organizations/{org_id}', { params: { path: orgPath } });
    expect(hidden.response.status).toBe(404);
    expect(code(hidden.error)).toBe('not_found');
    const text = await owner.client.POST('/api/organizations', {
      body: { name: 'Plain text' },
      bodySerializer: () => 'name=Plain text',
      headers: { 'content-type': 'text/plain' },
    });
    expect(text.response.status).toBe(415);
    expect(code(text.error)).toBe('unsupported_media_type');

    const removed = await owner.client.DELETE('/api/organizations/{org_id}', { params: { path: orgPath } });
    expect(removed.response.status).toBe(204);
  });
});
