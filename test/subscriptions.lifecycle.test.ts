import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Topic } from '../src/common/pubsub.js';
import { signUp } from './helpers/factories.js';
import { subscribe, until, wsClient } from './helpers/graphql.js';
import { restClient, type RestClient } from './helpers/http.js';
import { makeCast, makeOrg } from './helpers/orgs.js';
import { startServer, type TestServer } from './helpers/server.js';

/**
 * Every subscription ends when its subject does, with real graphql-ws clients: a live
 * session's last event then completion, a deleted conversation or organization, a lost
 * membership (one error, then completion), and a subject that is already over or unknown
 * (answered at once).
 */
let server: TestServer;
let api: RestClient;

beforeAll(async () => {
  server = await startServer({ LIVE_MIN_START_SECONDS: '1' });
  api = restClient(server.url);
});
afterAll(() => server.close());

const doc = (query: string) => parse(query) as TypedDocumentNode<any, any>;
const LIVE = doc('subscription ($id: ID!) { liveSessionEvents(sessionId: $id) { __typename ... on LiveSessionEnded { sessionId endReason usedSeconds } } }');
const CONVERSATION = doc('subscription ($id: ID!) { conversationEvents(conversationId: $id) { type conversationId } }');
const ORGANIZATION = doc('subscription ($id: ID!) { organizationEvents(organizationId: $id) { type userId } }');
const DOCUMENTS = doc('subscription ($org: ID) { documentEvents(organizationId: $org) { id title status error chunkCount organizationId } }');

/** A graphql-ws client signed in as `token`, disposed by `close`. */
function socket(token: string) {
  const { client, closes } = wsClient(server.wsUrl, { Authorization: `Bearer ${token}` });
  return { client, closes, close: () => client.dispose() };
}

/** Resolves once `n` subscribers of this process listen to the scope (a subscription is acknowledged before it listens). */
const listening = (topic: Topic, scope: string, n = 1) => until(() => server.app.services.events.listeners(topic, scope) >= n);

describe('liveSessionEvents', () => {
  it('sends LiveSessionEnded, then completes', async () => {
    const u = await signUp(api);
    const started = await api.post('/api/live/session/start', { session_type: 'voice' }, { token: u.accessToken });
    const id = started.body.session_id as string;
    const s = socket(u.accessToken);
    const sub = subscribe(s.client, LIVE, { id });
    try {
      await listening('LIVE_EVENT', id);
      expect((await api.post('/api/live/session/end', { session_id: id }, { token: u.accessToken })).status).toBe(200);
      await until(() => sub.completed);
      expect(sub.received.map((r) => r.data?.liveSessionEvents)).toEqual([{ __typename: 'LiveSessionEnded', sessionId: id, endReason: 'CLIENT', usedSeconds: expect.any(Number) }]);
      expect(sub.error).toBeNull();
      // Completed on the server too: it listens no more.
      await until(() => server.app.services.events.listeners('LIVE_EVENT', id) === 0);
    } finally {
      await s.close();
    }
  });

  it('answers a session that already ended with its LiveSessionEnded at once, then completes; an unknown or foreign one with not_found', async () => {
    const u = await signUp(api);
    const other = await signUp(api);
    const started = await api.post('/api/live/session/start', { session_type: 'avatar' }, { token: u.accessToken });
    const id = started.body.session_id as string;
    const ended = await api.post('/api/live/session/end', { session_id: id, reason: 'idle' }, { token: u.accessToken });
    const s = socket(u.accessToken);
    const o = socket(other.accessToken);
    try {
      const late = subscribe(s.client, LIVE, { id });
      await late.settled();
      expect(late.completed).toBe(true);
      expect(late.received.map((r) => r.data?.liveSessionEvents)).toEqual([{ __typename: 'LiveSessionEnded', sessionId: id, endReason: 'IDLE', usedSeconds: ended.body.used_seconds }]);
      for (const [client, sessionId] of [
        [s.client, '00000000-0000-4000-8000-000000000000'],
        [s.client, 'not-an-id'],
        [o.client, id],
      ] as const) {
        const refused = subscribe(client, LIVE, { id: sessionId });
        await refused.settled();
        expect(refused.errorCode, sessionId).toBe('not_found');
        expect(refused.received.every((r) => !r.data)).toBe(true);
      }
      expect(server.app.services.events.listeners('LIVE_EVENT', id)).toBe(0);
    } finally {
      await s.close();
      await o.close();
    }
  });
});

describe('conversationEvents', () => {
  it('completes when the conversation is deleted, through either door', async () => {
    const u = await signUp(api);
    const s = socket(u.accessToken);
    try {
      for (const door of ['rest', 'graphql'] as const) {
        const created = await api.post('/api/core/conversations', { title: `Doomed ${door}` }, { token: u.accessToken });
        const id = created.body.id as string;
        const sub = subscribe(s.client, CONVERSATION, { id });
        await listening('CHAT_EVENT', id);
        if (door === 'rest') expect((await api.delete(`/api/core/conversations/${id}`, { token: u.accessToken })).status).toBe(204);
        else {
          const r = await fetch(`${server.url}/graphql`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${u.accessToken}` },
            body: JSON.stringify({ query: 'mutation ($id: ID!) { deleteConversation(input: { id: $id }) { deletedId } }', variables: { id } }),
          });
          expect(((await r.json()) as { data: unknown }).data).toEqual({ deleteConversation: { deletedId: id } });
        }
        await until(() => sub.completed);
        expect(sub.received).toEqual([]);
        // Subscribing to it now answers not_found at once.
        const gone = subscribe(s.client, CONVERSATION, { id });
        await gone.settled();
        expect(gone.errorCode).toBe('not_found');
      }
    } finally {
      await s.close();
    }
  });
});

describe('organizationEvents', () => {
  it('answers a removed member one not_found error, then completes, while the others go on hearing', async () => {
    const cast = await makeCast(api);
    const org = await makeOrg(api, cast);
    const removed = socket(cast.member.accessToken);
    const stays = socket(cast.admin.accessToken);
    try {
      const gone = subscribe(removed.client, ORGANIZATION, { id: org.id });
      const watcher = subscribe(stays.client, ORGANIZATION, { id: org.id });
      await listening('ORGANIZATION_EVENT', org.id, 2);
      expect((await api.delete(`/api/organizations/${org.id}/members/${cast.member.user.id}`, { token: cast.owner.accessToken })).status).toBe(204);
      await until(() => gone.completed);
      expect(gone.received).toHaveLength(1);
      expect(gone.received[0]!.data).toBeNull();
      expect(gone.received[0]!.errors!.map((e) => [e.extensions?.code, e.path])).toEqual([['not_found', ['organizationEvents']]]);
      await watcher.waitFor(1);
      expect(watcher.received[0]!.data?.organizationEvents).toEqual({ type: 'MEMBER_REMOVED', userId: cast.member.user.id });
      // More changes: the removed member hears nothing more, the admin hears them.
      await api.patch(`/api/organizations/${org.id}`, { description: 'after' }, { token: cast.owner.accessToken });
      await watcher.waitFor(2);
      expect(gone.received).toHaveLength(1);
      expect(watcher.completed).toBe(false);
    } finally {
      await removed.close();
      await stays.close();
    }
  });

  it('carries the objects it names as their queries answer them at that event, for a normalized cache', async () => {
    const cast = await makeCast(api);
    const org = await makeOrg(api, cast);
    const s = socket(cast.member.accessToken);
    const OBJECTS = doc(
      'subscription ($id: ID!) { organizationEvents(organizationId: $id) { type organization { id name memberCount } team { id name } member { id role user { id } } memberId actor { id } } }',
    );
    try {
      const sub = subscribe(s.client, OBJECTS, { id: org.id });
      await listening('ORGANIZATION_EVENT', org.id);
      const owner = { token: cast.owner.accessToken };
      expect((await api.patch(`/api/organizations/${org.id}`, { name: 'Renamed' }, owner)).status).toBe(200);
      await sub.waitFor(1);
      expect((await api.patch(`/api/organizations/${org.id}/teams/${org.teamId}`, { name: 'Platform' }, owner)).status).toBe(200);
      await sub.waitFor(2);
      expect((await api.patch(`/api/organizations/${org.id}/members/${cast.extra.user.id}`, { role: 'admin' }, owner)).status).toBe(200);
      await sub.waitFor(3);
      expect((await api.delete(`/api/organizations/${org.id}/members/${cast.extra.user.id}`, owner)).status).toBe(204);
      await sub.waitFor(4);
      expect((await api.post(`/api/organizations/${org.id}/members`, { user_id: cast.extra.user.id, role: 'member' }, owner)).status).toBe(201);
      await sub.waitFor(5);
      const events = sub.received.map((r) => r.data?.organizationEvents);
      const organization = (memberCount: number) => ({ id: org.id, name: 'Renamed', memberCount });
      const actor = { id: cast.owner.user.id };
      expect(events[0]).toEqual({ type: 'ORGANIZATION_UPDATED', organization: organization(4), team: null, member: null, memberId: null, actor });
      expect(events[1]).toEqual({ type: 'TEAM_UPDATED', organization: organization(4), team: { id: org.teamId, name: 'Platform' }, member: null, memberId: null, actor });
      const membershipId = events[2]!.member.id as string;
      expect(events[2]).toEqual({ type: 'MEMBER_UPDATED', organization: organization(4), team: null, member: { id: membershipId, role: 'ADMIN', user: { id: cast.extra.user.id } }, memberId: membershipId, actor });
      // The membership is gone, but its id stays, so a normalized cache can evict it.
      expect(events[3]).toEqual({ type: 'MEMBER_REMOVED', organization: organization(3), team: null, member: null, memberId: membershipId, actor });
      // Back in: a new membership, named by both.
      expect(events[4]).toEqual({ type: 'MEMBER_ADDED', organization: organization(4), team: null, member: { id: expect.any(String), role: 'MEMBER', user: { id: cast.extra.user.id } }, memberId: events[4]!.member.id, actor });
      expect(events[4]!.member.id).not.toBe(membershipId);
    } finally {
      await s.close();
    }
  });

  it('answers a member who leaves one not_found error, then completes', async () => {
    const cast = await makeCast(api);
    const org = await makeOrg(api, cast);
    const s = socket(cast.extra.accessToken);
    try {
      const sub = subscribe(s.client, ORGANIZATION, { id: org.id });
      await listening('ORGANIZATION_EVENT', org.id);
      expect((await api.delete(`/api/organizations/${org.id}/members/${cast.extra.user.id}`, { token: cast.extra.accessToken })).status).toBe(204);
      await until(() => sub.completed);
      expect(sub.received.map((r) => r.errors?.[0]?.extensions?.code)).toEqual(['not_found']);
    } finally {
      await s.close();
    }
  });

  it('sends ORGANIZATION_DELETED, then completes; subscribing to it then, or as an outsider, answers not_found', async () => {
    const cast = await makeCast(api);
    const org = await makeOrg(api, cast);
    const member = socket(cast.member.accessToken);
    const stranger = socket(cast.stranger.accessToken);
    try {
      const outsider = subscribe(stranger.client, ORGANIZATION, { id: org.id });
      await outsider.settled();
      expect(outsider.errorCode).toBe('not_found');
      const sub = subscribe(member.client, ORGANIZATION, { id: org.id });
      await listening('ORGANIZATION_EVENT', org.id);
      expect((await api.delete(`/api/organizations/${org.id}`, { token: cast.owner.accessToken })).status).toBe(204);
      await until(() => sub.completed);
      expect(sub.received.map((r) => r.data?.organizationEvents)).toEqual([{ type: 'ORGANIZATION_DELETED', userId: null }]);
      const late = subscribe(member.client, ORGANIZATION, { id: org.id });
      await late.settled();
      expect(late.errorCode).toBe('not_found');
    } finally {
      await member.close();
      await stranger.close();
    }
  });
});

describe('documentEvents', () => {
  it('tells the uploader when a document is READY or FAILED, with the Document as it is then', async () => {
    const u = await signUp(api);
    const other = await signUp(api);
    const s = socket(u.accessToken);
    const o = socket(other.accessToken);
    try {
      const mine = subscribe(s.client, DOCUMENTS, {});
      const theirs = subscribe(o.client, DOCUMENTS, {});
      await listening('DOCUMENT_STATUS', `user:${u.user.id}`);
      await listening('DOCUMENT_STATUS', `user:${other.user.id}`);
      const good = await api.post('/api/knowledge/documents', { title: 'Volcanoes', content: '# Volcanoes\n\nStromboli erupts every few minutes.' }, { token: u.accessToken });
      expect(good.body.status).toBe('processing');
      await mine.waitFor(1);
      expect(mine.received[0]!.data?.documentEvents).toEqual({ id: good.body.id, title: 'Volcanoes', status: 'READY', error: null, chunkCount: 1, organizationId: null });
      // HTML without any text is accepted, then fails in the background.
      const bad = await api.post('/api/knowledge/documents', { title: 'Empty', filename: 'empty.html', content: '<html><body><p> </p></body></html>', mime_type: 'text/html' }, { token: u.accessToken });
      expect(bad.status).toBe(201);
      await mine.waitFor(2);
      expect(mine.received[1]!.data?.documentEvents).toMatchObject({ id: bad.body.id, status: 'FAILED', error: expect.stringMatching(/no text/), chunkCount: 0 });
      // Someone else's documents are not theirs to hear of: the next thing they hear is their own.
      const own = await api.post('/api/knowledge/documents', { title: 'Theirs', content: 'Their own words.' }, { token: other.accessToken });
      await theirs.waitFor(1);
      expect(theirs.received.map((r) => r.data?.documentEvents.id)).toEqual([own.body.id]);
    } finally {
      await s.close();
      await o.close();
    }
  });

  it('tells the members of an organization when a document shared with it is ready; a removed member gets one error, and deletion completes it', async () => {
    const cast = await makeCast(api);
    const org = await makeOrg(api, cast);
    const member = socket(cast.member.accessToken);
    const extra = socket(cast.extra.accessToken);
    const stranger = socket(cast.stranger.accessToken);
    try {
      const outsider = subscribe(stranger.client, DOCUMENTS, { org: org.id });
      await outsider.settled();
      expect(outsider.errorCode).toBe('not_found');
      const sub = subscribe(member.client, DOCUMENTS, { org: org.id });
      const leaving = subscribe(extra.client, DOCUMENTS, { org: org.id });
      await listening('DOCUMENT_STATUS', `org:${org.id}`, 2);
      // A private upload of the owner's is not shared: the members hear of the shared one only.
      await api.post('/api/knowledge/documents', { title: 'Private', content: 'Only mine.' }, { token: cast.owner.accessToken });
      const shared = await api.post(
        '/api/knowledge/documents',
        { title: 'Handbook', content: '# Handbook\n\nWe meet on Thursdays.', visibility: 'organization', organization_id: org.id },
        { token: cast.owner.accessToken },
      );
      await sub.waitFor(1);
      expect(sub.received.map((r) => r.data?.documentEvents)).toEqual([{ id: shared.body.id, title: 'Handbook', status: 'READY', error: null, chunkCount: 1, organizationId: org.id }]);
      await leaving.waitFor(1);

      expect((await api.delete(`/api/organizations/${org.id}/members/${cast.extra.user.id}`, { token: cast.owner.accessToken })).status).toBe(204);
      await until(() => leaving.completed);
      expect(leaving.received.map((r) => r.errors?.[0]?.extensions?.code ?? 'data')).toEqual(['data', 'not_found']);

      expect((await api.delete(`/api/organizations/${org.id}`, { token: cast.owner.accessToken })).status).toBe(204);
      await until(() => sub.completed);
      expect(sub.received).toHaveLength(1);
    } finally {
      await member.close();
      await extra.close();
      await stranger.close();
    }
  });
});
