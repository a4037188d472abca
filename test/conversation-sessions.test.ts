import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ForeignKeyConstraintViolationException } from '@mikro-orm/core';
import { asKnownError } from '../src/common/unavailable.js';
import { ManualClock } from './helpers/clock.js';
import { signUp } from './helpers/factories.js';
import { restClient, type RestClient } from './helpers/http.js';
import { startServer, type TestServer } from './helpers/server.js';

/**
 * Conversation learning sessions (issue 21, item 1): the server's clock (a ManualClock here),
 * gaps up to the idle timeout counted and longer ones never, the sweeper, a chat message as
 * activity, race-safe start, idempotent end, both doors.
 */
const IDLE = 300;
const clock = new ManualClock();
let server: TestServer;
let api: RestClient;

beforeAll(async () => {
  server = await startServer({ CONVERSATION_SESSION_IDLE_SECONDS: String(IDLE), CONVERSATION_SESSION_SWEEP_INTERVAL_MS: '1000' }, { clock });
  api = restClient(server.url);
});
afterAll(() => server.close());

async function learner() {
  const u = await signUp(api);
  const t = { token: u.accessToken };
  const c = await api.post('/api/core/conversations', { title: 'Learning' }, t);
  expect(c.status).toBe(201);
  const base = `/api/core/conversations/${c.body.id as string}/session`;
  return { u, t, conversationId: c.body.id as string, base };
}

const gql = async (token: string, query: string, variables: Record<string, unknown>) => {
  const res = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
  return (await res.json()) as { data?: any; errors?: { extensions?: { code?: string } }[] };
};

const rowOf = async (id: string) =>
  (await server.app.orm.em.fork().getConnection().execute('select status, active_key, active_seconds from conversation_sessions where id = ?', [id]))[0] as { status: string; active_key: string | null; active_seconds: number };

describe('conversation learning sessions', () => {
  it('a start racing the deletion of its conversation answers not_found, not a database error', async () => {
    const { t, conversationId, base } = await learner();
    const sessions = server.app.services.conversationSessions as unknown as { running: (...args: unknown[]) => Promise<unknown> };
    const running = sessions.running.bind(sessions);
    // The conversation goes after the start checked it, before the start writes its session.
    const spy = vi.spyOn(sessions, 'running').mockImplementationOnce(async (...args: unknown[]) => {
      expect((await api.delete(`/api/core/conversations/${conversationId}`, t)).status).toBe(204);
      return running(...args);
    });
    try {
      const start = await api.post(`${base}/start`, undefined, t);
      expect(start.status).toBe(404);
      expect(start.body.detail.error).toBe('not_found');
    } finally {
      spy.mockRestore();
    }
    // Any other write whose row went meanwhile answers conflict (409), never internal_error.
    expect(asKnownError(new ForeignKeyConstraintViolationException(new Error('FOREIGN KEY constraint failed')))).toMatchObject({ code: 'conflict' });
  });

  it('activity racing the end of its session answers conflict, not the ended session', async () => {
    const { t, base } = await learner();
    expect((await api.post(`${base}/start`, undefined, t)).status).toBe(201);
    const sessions = server.app.services.conversationSessions as unknown as { running: (...args: unknown[]) => Promise<unknown> };
    const running = sessions.running.bind(sessions);
    // The activity has read the running session; the end lands before its write.
    const spy = vi.spyOn(sessions, 'running').mockImplementationOnce(async (...args: unknown[]) => {
      const found = await running(...args);
      expect((await api.post(`${base}/end`, undefined, t)).body.active).toBe(false);
      return found;
    });
    try {
      clock.advance(5_000);
      const act = await api.post(`${base}/activity`, undefined, t);
      expect(act.status).toBe(409);
      expect(act.body.detail.error).toBe('conflict');
    } finally {
      spy.mockRestore();
    }
    expect((await api.get(`${base}/status`, t)).body).toMatchObject({ active: false, session: { status: 'ended' } });
  });

  it('start, activity, status and end: counted by the server, one running session, end idempotent', async () => {
    const { t, conversationId, base } = await learner();
    const before = await api.get(`${base}/status`, t);
    expect(before.body).toEqual({ active: false, session: null, total_active_seconds: 0 });

    const start = await api.post(`${base}/start`, undefined, t);
    expect(start.status).toBe(201);
    expect(start.body).toMatchObject({ conversation_id: conversationId, status: 'active', active_seconds: 0, ended_at: null });
    expect(start.body.started_at).toBe(new Date(clock.now()).toISOString());
    const again = await api.post(`${base}/start`, undefined, t);
    expect(again.status).toBe(200);
    expect(again.body.session_id).toBe(start.body.session_id);

    clock.advance(60_000);
    const act = await api.post(`${base}/activity`, undefined, t);
    expect(act.status).toBe(200);
    expect(act.body).toMatchObject({ session_id: start.body.session_id, status: 'active', active_seconds: 60, last_activity_at: new Date(clock.now()).toISOString() });
    clock.advance(IDLE * 1000); // exactly the idle timeout: still counted
    expect((await api.post(`${base}/activity`, undefined, t)).body.active_seconds).toBe(60 + IDLE);

    clock.advance(30_000);
    const status = await api.get(`${base}/status`, t);
    expect(status.body).toMatchObject({ active: true, total_active_seconds: 60 + IDLE, session: { status: 'active', active_seconds: 60 + IDLE } });

    const end = await api.post(`${base}/end`, undefined, t);
    expect(end.status).toBe(200);
    expect(end.body).toMatchObject({ active: false, total_active_seconds: 90 + IDLE, session: { status: 'ended', active_seconds: 90 + IDLE, ended_at: new Date(clock.now()).toISOString() } });
    clock.advance(10_000);
    const twice = await api.post(`${base}/end`, undefined, t);
    expect(twice.body).toEqual(end.body);
    expect((await api.post(`${base}/activity`, undefined, t)).status).toBe(409);
  });

  it('a gap longer than the idle timeout is not counted: the session ended at its last activity', async () => {
    const { t, base } = await learner();
    const start = await api.post(`${base}/start`, undefined, t);
    clock.advance(100_000);
    await api.post(`${base}/activity`, undefined, t);
    const last = new Date(clock.now()).toISOString();
    clock.advance((IDLE + 1) * 1000);
    // Found by the next call (whether or not the sweeper came first): ended at its last activity, the silence not counted.
    const late = await api.post(`${base}/activity`, undefined, t);
    expect(late.status).toBe(409);
    expect(late.body.detail.error).toBe('conflict');
    const status = await api.get(`${base}/status`, t);
    expect(status.body).toMatchObject({ active: false, total_active_seconds: 100, session: { session_id: start.body.session_id, status: 'ended', active_seconds: 100, ended_at: last, last_activity_at: last } });
    // An end after the timeout also stops at the last activity.
    const next = await api.post(`${base}/start`, undefined, t);
    expect(next.status).toBe(201);
    clock.advance((IDLE + 5) * 1000);
    const end = await api.post(`${base}/end`, undefined, t);
    expect(end.body).toMatchObject({ active: false, total_active_seconds: 100, session: { session_id: next.body.session_id, active_seconds: 0, ended_at: next.body.started_at } });
  });

  it('the sweeper ends idle sessions at their last activity, once', async () => {
    const { t, base } = await learner();
    const start = await api.post(`${base}/start`, undefined, t);
    clock.advance(42_000);
    await api.post(`${base}/activity`, undefined, t);
    // Moving the clock past the timeout and the sweep interval makes the recurring sweep job due.
    clock.advance((IDLE + 2) * 1000);
    server.app.services.jobs.wake();
    await vi.waitFor(async () => expect((await rowOf(start.body.session_id as string)).status).toBe('ended'), { timeout: 60_000, interval: 50 });
    expect(await rowOf(start.body.session_id as string)).toEqual({ status: 'ended', active_key: null, active_seconds: 42 });
    // Idempotent: nothing left to end.
    expect(await server.app.services.conversationSessions.sweep(server.app.orm.em.fork())).toBe(0);
    const status = await api.get(`${base}/status`, t);
    expect(status.body.session).toMatchObject({ status: 'ended', active_seconds: 42 });
    expect(status.body.session.ended_at).toBe(status.body.session.last_activity_at);
  });

  it('a chat message in the conversation counts as activity', async () => {
    const { t, conversationId, base } = await learner();
    await api.post(`${base}/start`, undefined, t);
    clock.advance(120_000);
    const chat = await api.post('/api/core/chat', { message: 'What is the past tense of go?', conversation_id: conversationId }, t);
    expect(chat.status).toBe(200);
    const status = await api.get(`${base}/status`, t);
    expect(status.body).toMatchObject({ active: true, session: { active_seconds: 120, last_activity_at: new Date(clock.now()).toISOString() } });
    // A chat in another conversation is not activity here.
    clock.advance(60_000);
    await api.post('/api/core/chat', { message: 'Another topic' }, t);
    expect((await api.get(`${base}/status`, t)).body.session.active_seconds).toBe(120);
  });

  it('concurrent starts make one session', async () => {
    const { t, base } = await learner();
    const all = await Promise.all(Array.from({ length: 8 }, () => api.post(`${base}/start`, undefined, t)));
    expect(all.filter((r) => r.status === 201)).toHaveLength(1);
    expect(all.every((r) => r.status === 201 || r.status === 200)).toBe(true);
    expect(new Set(all.map((r) => r.body.session_id)).size).toBe(1);
  });

  it('someone else\'s conversation is not found; a deleted conversation keeps its learning time', async () => {
    const { t, conversationId, base } = await learner();
    const other = await signUp(api);
    for (const op of ['start', 'activity', 'end']) expect((await api.post(`${base}/${op}`, undefined, { token: other.accessToken })).status, op).toBe(404);
    expect((await api.get(`${base}/status`, { token: other.accessToken })).status).toBe(404);
    expect((await api.get('/api/core/conversations/not-an-id/session/status', t)).status).toBe(404);

    const start = await api.post(`${base}/start`, undefined, t);
    clock.advance(30_000);
    await api.post(`${base}/activity`, undefined, t);
    expect((await api.delete(`/api/core/conversations/${conversationId}`, t)).status).toBe(204);
    expect(await rowOf(start.body.session_id as string)).toEqual({ status: 'ended', active_key: null, active_seconds: 30 });
  });

  it('GraphQL: the same sessions', async () => {
    const { t, conversationId } = await learner();
    const fields = 'id status startedAt lastActivityAt endedAt activeSeconds conversationId';
    const start = await gql(t.token, `mutation($id: ID!) { startConversationSession(input: { conversationId: $id }) { created session { ${fields} } } }`, { id: conversationId });
    expect(start.data.startConversationSession).toMatchObject({ created: true, session: { status: 'ACTIVE', activeSeconds: 0, conversationId } });
    clock.advance(15_000);
    const act = await gql(t.token, `mutation($id: ID!) { recordConversationSessionActivity(input: { conversationId: $id }) { session { activeSeconds } } }`, { id: conversationId });
    expect(act.data.recordConversationSessionActivity.session.activeSeconds).toBe(15);
    const status = await gql(t.token, `query($id: ID!) { conversationSessionStatus(conversationId: $id) { active totalActiveSeconds session { id } } }`, { id: conversationId });
    expect(status.data.conversationSessionStatus).toEqual({ active: true, totalActiveSeconds: 15, session: { id: start.data.startConversationSession.session.id } });
    const end = await gql(t.token, `mutation($id: ID!) { endConversationSession(input: { conversationId: $id }) { session { status activeSeconds } status { active } } }`, { id: conversationId });
    expect(end.data.endConversationSession).toEqual({ session: { status: 'ENDED', activeSeconds: 15 }, status: { active: false } });
    const node = await gql(t.token, `query($id: ID!) { node(id: $id) { ... on ConversationSession { activeSeconds } } }`, { id: start.data.startConversationSession.session.id });
    expect(node.data.node).toEqual({ activeSeconds: 15 });
    const stranger = await signUp(api);
    const hidden = await gql(stranger.accessToken, `query($id: ID!) { conversationSessionStatus(conversationId: $id) { active } }`, { id: conversationId });
    expect(hidden.data.conversationSessionStatus).toBeNull();
    const refused = await gql(stranger.accessToken, `mutation($id: ID!) { startConversationSession(input: { conversationId: $id }) { created } }`, { id: conversationId });
    expect(refused.errors?.[0]?.extensions?.code).toBe('not_found');
  });
});
