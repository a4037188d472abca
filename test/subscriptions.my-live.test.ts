import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EndLiveSessionDocument, MyLiveSessionEventsDocument, MyLiveSessionEventsWithSessionDocument, StartLiveSessionDocument } from './generated/graphql.js';
import { signUp } from './helpers/factories.js';
import { gql, subscribe, until, wsClient } from './helpers/graphql.js';
import { restClient, type RestClient } from './helpers/http.js';
import { startServer, type TestServer } from './helpers/server.js';

/**
 * Live events from the first one (issue 18, item 4): a client subscribes to its own live
 * sessions' lifecycle before it starts one, so the LiveSessionStarted of the session it
 * starts reaches it, whichever door started it; nobody else hears it.
 */
let server: TestServer;
let api: RestClient;

beforeAll(async () => {
  server = await startServer({ LIVE_MIN_START_SECONDS: '1' });
  api = restClient(server.url);
});
afterAll(() => server.close());

describe('myLiveSessionEvents', () => {
  it('sends LiveSessionStarted of a session started after subscribing, then its LiveSessionEnded, and goes on for the next session', async () => {
    const u = await signUp(api);
    const other = await signUp(api);
    const mine = wsClient(server.wsUrl, { Authorization: `Bearer ${u.accessToken}` });
    const theirs = wsClient(server.wsUrl, { Authorization: `Bearer ${other.accessToken}` });
    try {
      const sub = subscribe(mine.client, MyLiveSessionEventsDocument);
      const spy = subscribe(theirs.client, MyLiveSessionEventsDocument);
      await until(() => server.app.services.events.listeners('USER_LIVE_EVENT', u.user.id) === 1 && server.app.services.events.listeners('USER_LIVE_EVENT', other.user.id) === 1);

      const started = await gql(server.url, StartLiveSessionDocument, { input: { sessionType: 'VOICE' } }, u.accessToken);
      expect(started.errors).toBeUndefined();
      const sessionId = started.data!.startLiveSession.session.id;
      await sub.waitFor(1);
      expect(sub.received[0]!.data!.myLiveSessionEvents).toEqual({ __typename: 'LiveSessionStarted', sessionId, remainingSeconds: started.data!.startLiveSession.remainingSeconds });

      await gql(server.url, EndLiveSessionDocument, { input: { sessionId } }, u.accessToken);
      await sub.waitFor(2);
      expect(sub.received[1]!.data!.myLiveSessionEvents).toEqual({ __typename: 'LiveSessionEnded', sessionId, endReason: 'CLIENT' });
      // Not the end of this stream: the next session (through REST this time) comes too.
      expect(sub.completed).toBe(false);
      const next = await api.post('/api/live/session/start', { session_type: 'avatar' }, { token: u.accessToken });
      expect(next.status).toBe(201);
      await sub.waitFor(3);
      expect(sub.received[2]!.data!.myLiveSessionEvents).toMatchObject({ __typename: 'LiveSessionStarted', sessionId: next.body.session_id });
      await api.post('/api/live/session/end', { session_id: next.body.session_id }, { token: u.accessToken });
      await sub.waitFor(4);

      // The other user heard none of it; their own session reaches them alone.
      const own = await api.post('/api/live/session/start', { session_type: 'voice' }, { token: other.accessToken });
      await spy.waitFor(1);
      expect(spy.received.map((r) => r.data!.myLiveSessionEvents)).toEqual([{ __typename: 'LiveSessionStarted', sessionId: own.body.session_id, remainingSeconds: expect.any(Number) }]);
      expect(sub.received).toHaveLength(4);
    } finally {
      await mine.client.dispose();
      await theirs.client.dispose();
    }
  });

  it('answers the live quota with each lifecycle event, as liveQuota answers it at that event', async () => {
    const u = await signUp(api);
    const mine = wsClient(server.wsUrl, { Authorization: `Bearer ${u.accessToken}` });
    const QUOTA = 'id usedSeconds remainingSeconds activeSession { id }';
    const readQuota = async () => ((await gql(server.url, parse(`{ liveQuota { ${QUOTA} } }`), {}, u.accessToken)).data as { liveQuota: unknown }).liveQuota;
    try {
      const sub = subscribe(mine.client, parse(`subscription { myLiveSessionEvents { __typename ... on LiveSessionStarted { quota { ${QUOTA} } } ... on LiveSessionEnded { quota { ${QUOTA} } } } }`));
      await until(() => server.app.services.events.listeners('USER_LIVE_EVENT', u.user.id) === 1);
      const started = await api.post('/api/live/session/start', { session_type: 'voice' }, { token: u.accessToken });
      expect(started.status).toBe(201);
      await sub.waitFor(1);
      // While it runs, the seconds move with the clock: the quota's identity and its active session are compared.
      const { id, activeSession } = (await readQuota()) as { id: string; activeSession: unknown };
      expect(activeSession).toEqual({ id: started.body.session_id });
      expect((sub.received[0]!.data as any).myLiveSessionEvents).toEqual({ __typename: 'LiveSessionStarted', quota: expect.objectContaining({ id, activeSession }) });
      await api.post('/api/live/session/end', { session_id: started.body.session_id }, { token: u.accessToken });
      await sub.waitFor(2);
      const atEnd = await readQuota();
      expect(atEnd).toMatchObject({ activeSession: null });
      expect((sub.received[1]!.data as any).myLiveSessionEvents).toEqual({ __typename: 'LiveSessionEnded', quota: atEnd });
    } finally {
      await mine.client.dispose();
    }
  });

  it('answers the session itself with each lifecycle event, as it is at that event, so a client cache follows it', async () => {
    const u = await signUp(api);
    const mine = wsClient(server.wsUrl, { Authorization: `Bearer ${u.accessToken}` });
    try {
      const sub = subscribe(mine.client, MyLiveSessionEventsWithSessionDocument);
      await until(() => server.app.services.events.listeners('USER_LIVE_EVENT', u.user.id) === 1);
      const started = await gql(server.url, StartLiveSessionDocument, { input: { sessionType: 'VOICE' } }, u.accessToken);
      const sessionId = started.data!.startLiveSession.session.id;
      await sub.waitFor(1);
      expect(sub.received[0]!.data!.myLiveSessionEvents).toEqual({ __typename: 'LiveSessionStarted', sessionId, session: { id: sessionId, status: 'ACTIVE', endReason: null } });
      // The same subscription reads the session again for its end: not the ACTIVE one it read first.
      await gql(server.url, EndLiveSessionDocument, { input: { sessionId, reason: 'IDLE' } }, u.accessToken);
      await sub.waitFor(2);
      const ended = sub.received[1]!.data!.myLiveSessionEvents;
      expect(ended).toMatchObject({ __typename: 'LiveSessionEnded', sessionId, session: { id: sessionId, status: 'ENDED', endReason: 'IDLE' } });
      expect(ended.__typename === 'LiveSessionEnded' && ended.session?.usedSeconds).toBe(ended.__typename === 'LiveSessionEnded' && ended.usedSeconds);
    } finally {
      await mine.client.dispose();
    }
  });

  it('refuses an API key without live:read, and anonymous callers', async () => {
    const anon = wsClient(server.wsUrl);
    try {
      const refused = subscribe(anon.client, MyLiveSessionEventsDocument);
      await refused.settled();
      expect(refused.errorCode).toBe('not_authenticated');
    } finally {
      await anon.client.dispose();
    }
  });
});
