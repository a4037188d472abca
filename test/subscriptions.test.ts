import { randomUUID } from 'node:crypto';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MeUpdatedDocument, UpdateMeDocument } from './generated/graphql.js';
import { signUp } from './helpers/factories.js';
import { gql, subscribe, until, wsClient } from './helpers/graphql.js';
import { restClient, type RestClient } from './helpers/http.js';
import { startServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let api: RestClient;

beforeAll(async () => {
  server = await startServer();
  api = restClient(server.url);
});
afterAll(() => server.close());


describe('subscriptions over graphql-ws', () => {
  it('delivers my profile changes, made through either door, to a socket authenticated by connection params', async () => {
    const me = await signUp(api);
    const other = await signUp(api);
    const { client } = wsClient(server.wsUrl, { Authorization: `Bearer ${me.accessToken}` });
    const sub = subscribe(client, MeUpdatedDocument);
    try {
      // Acknowledged is not yet listening: wait until the server listens for it.
      await until(() => server.app.services.events.listeners('USER_UPDATED', me.user.id) > 0);
      // Somebody else's change is not mine to see.
      expect((await api.patch('/api/auth/me', { full_name: 'Not Me' }, { token: other.accessToken })).status).toBe(200);
      expect((await api.patch('/api/auth/me', { full_name: 'Via REST' }, { token: me.accessToken })).status).toBe(200);
      await sub.waitFor(1);
      const upd = await gql(server.url, UpdateMeDocument, { input: { timezone: 'America/Sao_Paulo' } }, me.accessToken);
      expect(upd.errors).toBeUndefined();
      await sub.waitFor(2);
      expect(sub.received.map((r) => r.data?.meUpdated)).toEqual([
        { id: me.user.id, fullName: 'Via REST', timezone: 'UTC' },
        { id: me.user.id, fullName: 'Via REST', timezone: 'America/Sao_Paulo' },
      ]);
    } finally {
      sub.unsubscribe();
      await client.dispose();
    }
  });

  it('refuses @skip or @include on the top level of a subscription as a validation error of that operation; the socket and its other subscriptions go on', async () => {
    const me = await signUp(api);
    const { client, closes } = wsClient(server.wsUrl, { Authorization: `Bearer ${me.accessToken}` });
    const sub = subscribe(client, MeUpdatedDocument);
    try {
      await until(() => server.app.services.events.listeners('USER_UPDATED', me.user.id) > 0);
      for (const [query, variables] of [
        ['subscription { meUpdated @skip(if: true) { id } }', undefined],
        ['subscription { meUpdated @include(if: false) { id } }', undefined],
        ['subscription S($s: Boolean!) { meUpdated @include(if: $s) { id } }', { s: true }],
        ['subscription { ... @skip(if: false) { meUpdated { id } } }', undefined],
        ['subscription S($s: Boolean!) { ...F } fragment F on Subscription { meUpdated @skip(if: $s) { id } }', { s: false }],
      ] as const) {
        const refused = subscribe(client, parse(query), variables);
        await refused.settled();
        expect(refused.errorCode, query).toBe('graphql_validation_failed');
        expect((refused.error as { message: string }[])[0]!.message).toMatch(/^(Anonymous Subscription|Subscription "S") must not use @skip or @include in its top level selection/);
        expect(refused.received.every((r) => !r.data)).toBe(true);
      }
      expect(closes).toEqual([]);
      expect((await api.patch('/api/auth/me', { full_name: 'Still Here' }, { token: me.accessToken })).status).toBe(200);
      await sub.waitFor(1);
      expect(sub.received[0]!.data?.meUpdated).toMatchObject({ fullName: 'Still Here' });
    } finally {
      sub.unsubscribe();
      await client.dispose();
    }
  });

  it('accepts the token under the lower-case key and as a plain token', async () => {
    const me = await signUp(api);
    for (const params of [{ authorization: `Bearer ${me.accessToken}` }, { token: me.accessToken }]) {
      const { client } = wsClient(server.wsUrl, params);
      const sub = subscribe(client, MeUpdatedDocument);
      try {
        await until(() => server.app.services.events.listeners('USER_UPDATED', me.user.id) > 0);
        await api.patch('/api/auth/me', { full_name: `x${Date.now()}` }, { token: me.accessToken });
        await sub.waitFor(1);
      } finally {
        sub.unsubscribe();
        await client.dispose();
      }
      await until(() => server.app.services.events.listeners('USER_UPDATED', me.user.id) === 0);
    }
  });

  it('refuses a subscription without credentials with not_authenticated', async () => {
    const { client } = wsClient(server.wsUrl);
    const sub = subscribe(client, MeUpdatedDocument);
    try {
      await sub.settled();
      expect(sub.errorCode).toBe('not_authenticated');
      expect(sub.received.every((r) => !r.data)).toBe(true);
    } finally {
      await client.dispose();
    }
  });

  it('closes the socket with 4403 and the reason when the token is bad', async () => {
    const { client, closes } = wsClient(server.wsUrl, { Authorization: 'Bearer not.a.token' });
    const sub = subscribe(client, MeUpdatedDocument);
    await sub.settled().catch(() => undefined);
    await until(() => closes.length > 0);
    expect(closes[0]!.code).toBe(4403);
    expect(closes[0]!.reason).toMatch(/^invalid_token: /);
    await client.dispose();
  });

  it('closes the socket with 4401 once its session is logged out, and refuses it again with 4403', async () => {
    const me = await signUp(api);
    const { client, closes } = wsClient(server.wsUrl, { Authorization: `Bearer ${me.accessToken}` });
    const first = subscribe(client, MeUpdatedDocument);
    await until(() => server.app.services.events.listeners('USER_UPDATED', me.user.id) > 0);
    expect((await api.post('/api/auth/logout', undefined, { token: me.accessToken })).status).toBe(204);
    await until(() => closes.length > 0);
    expect(closes[0]).toEqual({ code: 4401, reason: 'invalid_token: logout' });
    await until(() => first.error !== null);
    // The client does not retry 4401 by itself; connecting again with the same token is refused.
    const second = subscribe(client, MeUpdatedDocument);
    await second.settled().catch(() => undefined);
    await until(() => closes.length > 1);
    expect(closes[1]!.code).toBe(4403);
    expect(closes[1]!.reason).toMatch(/^invalid_token: /);
    await client.dispose();
  });
});

describe('the objects a chat turn stored, on its DONE event', () => {
  const MESSAGE = 'id role content position conversationId';
  const CONVERSATION = 'id title messageCount lastMessageAt';

  it('are the reply and its conversation as queries answer them, so a normalized cache needs no refetch', async () => {
    const me = await signUp(api);
    const turnId = randomUUID();
    const started = await gql(server.url, parse('mutation($t: ID!) { startChatTurn(input: { turnId: $t, message: "Hello there" }) { turn { conversationId } } }'), { t: turnId }, me.accessToken);
    expect(started.errors).toBeUndefined();
    const conversationId = (started.data as { startChatTurn: { turn: { conversationId: string } } }).startChatTurn.turn.conversationId;
    const { client } = wsClient(server.wsUrl, { Authorization: `Bearer ${me.accessToken}` });
    const sub = subscribe(client, parse(`subscription($t: ID!) { chatTurnEvents(turnId: $t) { type response { messageId message { ${MESSAGE} } conversation { ${CONVERSATION} } } } }`), { t: turnId });
    try {
      await sub.settled();
      expect(sub.error).toBeNull();
      const events = sub.received.map((r) => (r.data as { chatTurnEvents: { type: string; response: any } }).chatTurnEvents);
      const done = events.find((e) => e.type === 'DONE')!.response;
      const read = await gql(
        server.url,
        parse(`query($c: ID!) { conversation(id: $c) { ${CONVERSATION} messages(last: 1) { edges { node { ${MESSAGE} } } } } }`),
        { c: conversationId },
        me.accessToken,
      );
      const { messages, ...conversation } = (read.data as { conversation: any }).conversation;
      expect(conversation.messageCount).toBe(2);
      expect(done.message).toEqual(messages.edges[0].node);
      expect(done.message.id).toBe(done.messageId);
      expect(done.conversation).toEqual(conversation);
    } finally {
      sub.unsubscribe();
      await client.dispose();
    }
  });
});

describe('graceful shutdown', () => {
  it('closes sockets with 1001, lets in-flight requests finish, then refuses new ones', async () => {
    const s = await startServer();
    const client = restClient(s.url);
    const me = await signUp(client);
    const { client: ws, closes } = wsClient(s.wsUrl, { Authorization: `Bearer ${me.accessToken}` });
    const sub = subscribe(ws, MeUpdatedDocument);
    await until(() => s.app.services.events.listeners('USER_UPDATED', me.user.id) > 0);
    // A login spends ~tens of ms hashing: it is in flight (the server has taken it) when close starts.
    const taken = new Promise<void>((resolve) => s.app.server.server.on('request', (req: { url?: string }) => req.url?.startsWith('/api/auth/login') && resolve()));
    const inflight = client.post('/api/auth/login', { username: me.input.username, password: me.input.password });
    await taken;
    const closing = s.close();
    const res = await inflight;
    expect(res.status).toBe(200);
    await closing;
    await until(() => closes.length > 0);
    expect(closes[0]!.code).toBe(1001);
    sub.unsubscribe();
    await ws.dispose();
    await expect(fetch(`${s.url}/healthz`)).rejects.toThrow();
  });
});
