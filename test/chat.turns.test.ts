import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchDatabase } from '../src/db/scratch.js';
import { ChatTurnEventsDocument, StartChatTurnDocument } from './generated/graphql.js';
import { signUp } from './helpers/factories.js';
import { startFakeOpenAI, type FakeAi } from './helpers/fake-ai.js';
import { errorCode, gql, subscribe, until, wsClient } from './helpers/graphql.js';
import { WAIT_MS } from './helpers/wait.js';
import { restClient, type RestClient } from './helpers/http.js';
import { redisPrefix, TEST_REDIS_URL } from './helpers/process.js';
import { afterCredentialCheck, driver, PG_ADMIN_URL, startServer, type TestServer } from './helpers/server.js';

/**
 * Resumable chat turns (issue 18, item 3): a mutation starts a turn, its numbered events are
 * kept in a replay buffer, and a client that drops mid-reply resumes from the last sequence
 * number it saw (graphql-ws `after`, SSE `Last-Event-ID`) and gets the rest, nothing missed
 * or repeated, on one process (memory) and across two processes sharing Redis.
 */

const AI_ENV = { OPENAI_BASE_URL: '', OPENAI_API_KEY: 'sk-test', OPENAI_MODELS: 'gpt-test', AI_IDLE_TIMEOUT_MS: '20000', AI_TIMEOUT_MS: '20000' };

/** A promise the test settles: the fake provider holds the reply there. */
function gate() {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

interface SseEvent {
  id: string | undefined;
  event: string | undefined;
  data: any;
}

/**
 * Reads a server-sent event stream as a browser's EventSource would, one event at a time;
 * `drop()` closes the connection from the client's side (a network drop).
 */
async function openSse(url: string, token: string, headers: Record<string, string> = {}) {
  const abort = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', authorization: `Bearer ${token}`, ...headers }, signal: abort.signal });
  const events: SseEvent[] = [];
  let ended = false;
  const waiters: (() => void)[] = [];
  const notify = () => waiters.splice(0).forEach((w) => w());
  const pump = (async () => {
    if (!res.body || !(res.headers.get('content-type') ?? '').includes('text/event-stream')) {
      ended = true;
      notify();
      return;
    }
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const field = (name: string) => new RegExp(`^${name}: (.*)$`, 'm').exec(block)?.[1];
          const data = field('data');
          events.push({ id: field('id'), event: field('event'), data: data ? JSON.parse(data) : null });
          notify();
        }
      }
    } catch {
      // aborted by drop()
    }
    ended = true;
    notify();
  })();
  const wait = async (cond: () => boolean) => {
    const deadline = Date.now() + 10_000;
    while (!cond()) {
      if (ended && !cond()) throw new Error(`stream ended with ${events.length} events`);
      if (Date.now() > deadline) throw new Error(`timed out with ${events.length} events`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, deadline - Date.now());
        waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  };
  return {
    res,
    events,
    get ended() {
      return ended;
    },
    waitFor: (n: number) => wait(() => events.length >= n),
    /** Until the server ends the stream. */
    finished: async () => {
      await wait(() => ended);
      await pump;
    },
    drop: async () => {
      abort.abort();
      await pump;
    },
  };
}

const reply = ['Al', 'pha', ' be', 'ta', ' gam', 'ma', ' del', 'ta'];

describe.each(['memory', 'redis'] as const)('resumable chat turns, one process (%s buffer)', (buffer) => {
  let openai: FakeAi;
  let server: TestServer;
  let api: RestClient;
  let owner: Awaited<ReturnType<typeof signUp>>;
  let stranger: Awaited<ReturnType<typeof signUp>>;

  beforeAll(async () => {
    openai = await startFakeOpenAI();
    server = await startServer({ ...AI_ENV, OPENAI_BASE_URL: openai.url, ...(buffer === 'redis' ? { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: redisPrefix() } : {}) });
    api = restClient(server.url);
    owner = await signUp(api);
    stranger = await signUp(api);
  });
  afterAll(async () => {
    await server?.close();
    await openai?.close();
  });

  /** The turn's stored events so far (REST, without an event stream). */
  const stored = async (turnId: string, token = owner.accessToken) => (await api.get(`/api/core/chat/turns/${turnId}/events`, { token })).body.events as { seq: number; type: string; data: any }[];
  const completions = () => openai.requests.filter((r) => r.path === '/v1/chat/completions').length;

  it('resumes over graphql-ws after a drop mid-reply: the missed events replayed, then the live rest, no gap, no duplicate, one turn stored', async () => {
    const [first, second] = [gate(), gate()];
    openai.enqueue({ kind: 'answer', tokens: reply, holds: [{ afterTokens: 3, until: first.promise }, { afterTokens: 6, until: second.promise }] });
    const turnId = randomUUID();
    const started = await gql(server.url, StartChatTurnDocument, { input: { message: 'Spell the Greek letters', provider: 'OPENAI', turnId } }, owner.accessToken);
    expect(started.errors).toBeUndefined();
    expect(started.data!.startChatTurn.turn).toMatchObject({ turnId, started: true });
    const conversationId = started.data!.startChatTurn.turn.conversationId;

    // Watch until three pieces arrived, then the connection drops.
    const a = wsClient(server.wsUrl, { Authorization: `Bearer ${owner.accessToken}` });
    const before = subscribe(a.client, ChatTurnEventsDocument, { turnId });
    await before.waitFor(4);
    await a.client.dispose();
    await until(() => server.app.services.events.listeners('CHAT_TURN', turnId) === 0);
    const seen = before.received.map((r) => r.data!.chatTurnEvents);
    expect(seen.map((e) => [e.seq, e.type])).toEqual([
      [1, 'START'],
      [2, 'DELTA'],
      [3, 'DELTA'],
      [4, 'DELTA'],
    ]);

    // While nobody listens the reply goes on (leaving cancels nothing).
    first.open();
    await expect.poll(async () => (await stored(turnId)).length, { timeout: WAIT_MS }).toBe(7);

    // Resubscribe from the last one seen: the three missed at once, then the live rest.
    const b = wsClient(server.wsUrl, { Authorization: `Bearer ${owner.accessToken}` });
    try {
      const after = subscribe(b.client, ChatTurnEventsDocument, { turnId, after: seen.at(-1)!.seq });
      await after.waitFor(3);
      expect(after.received.map((r) => r.data!.chatTurnEvents.seq)).toEqual([5, 6, 7]);
      second.open();
      await until(() => after.completed);
      const rest = after.received.map((r) => r.data!.chatTurnEvents);
      const all = [...seen, ...rest];
      expect(all.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(all.at(-1)!.type).toBe('DONE');
      expect(all.every((e) => e.turnId === turnId && e.conversationId === conversationId)).toBe(true);
      const text = all.filter((e) => e.type === 'DELTA').map((e) => e.delta).join('');
      expect(text).toBe(reply.join(''));
      expect(all.at(-1)!.response).toMatchObject({ content: reply.join(''), status: 'COMPLETE', conversationId });
    } finally {
      await b.client.dispose();
    }
    // One turn: the question and the whole reply.
    const messages = (await api.get(`/api/core/conversations/${conversationId}/messages`, { token: owner.accessToken })).body as { role: string; content: string; status: string }[];
    expect(messages.map((m) => [m.role, m.content, m.status])).toEqual([
      ['user', 'Spell the Greek letters', 'complete'],
      ['assistant', reply.join(''), 'complete'],
    ]);
  });

  it('resumes a server-sent event stream with Last-Event-ID: ids are sequence numbers, nothing missed or repeated', async () => {
    const [first, second] = [gate(), gate()];
    openai.enqueue({ kind: 'answer', tokens: reply, holds: [{ afterTokens: 3, until: first.promise }, { afterTokens: 6, until: second.promise }] });
    const start = await api.post('/api/core/chat/turns', { message: 'Over SSE', provider: 'openai' }, { token: owner.accessToken });
    expect(start.status).toBe(202);
    expect(start.body).toEqual({ turn_id: expect.any(String), conversation_id: expect.any(String), started: true });
    const turnId = start.body.turn_id as string;
    const url = `${server.url}/api/core/chat/turns/${turnId}/events`;

    const one = await openSse(url, owner.accessToken);
    expect(one.res.status).toBe(200);
    await one.waitFor(4);
    await one.drop();
    expect(one.events.map((e) => [e.id, e.event])).toEqual([
      ['1', 'start'],
      ['2', 'delta'],
      ['3', 'delta'],
      ['4', 'delta'],
    ]);
    expect(one.events[0]!.data).toEqual({ turn_id: turnId, seq: 1, conversation_id: start.body.conversation_id });

    first.open();
    await expect.poll(async () => (await stored(turnId)).length, { timeout: WAIT_MS }).toBe(7);

    // The browser's EventSource reconnects to the same URL with Last-Event-ID.
    const two = await openSse(url, owner.accessToken, { 'last-event-id': one.events.at(-1)!.id! });
    await two.waitFor(3);
    second.open();
    await two.finished();
    const all = [...one.events, ...two.events];
    expect(all.map((e) => e.id)).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
    expect(all.map((e) => e.data.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(all.filter((e) => e.event === 'delta').map((e) => e.data.content).join('')).toBe(reply.join(''));
    expect(all.at(-1)).toMatchObject({ event: 'done', data: { turn_id: turnId, content: reply.join(''), status: 'complete', conversation_id: start.body.conversation_id } });

    // A finished turn replays: from ?after= (no header), and its JSON snapshot says it finished.
    const replay = await openSse(`${url}?after=8`, owner.accessToken);
    await replay.finished();
    expect(replay.events.map((e) => [e.id, e.event])).toEqual([
      ['9', 'delta'],
      ['10', 'done'],
    ]);
    // A Last-Event-ID that is no sequence number is named as the header it is.
    const badId = await api.get(`/api/core/chat/turns/${turnId}/events`, { token: owner.accessToken, headers: { 'last-event-id': 'abc' } });
    expect(badId.status).toBe(400);
    expect(badId.body.detail.fields).toEqual([{ loc: ['header', 'Last-Event-ID'], message: 'must be the id of an event of this stream (a sequence number)' }]);
    const snapshot = await api.get(`/api/core/chat/turns/${turnId}/events?after=9`, { token: owner.accessToken });
    expect(snapshot.body).toMatchObject({ turn_id: turnId, finished: true, events: [{ seq: 10, type: 'done' }] });
    // Past the last event of a finished turn: 204, nothing (what stops an EventSource reconnecting).
    const past = await openSse(url, owner.accessToken, { 'last-event-id': '10' });
    await past.finished();
    expect(past.res.status).toBe(204);
    expect(past.events).toEqual([]);
  });

  it('completes a reader asked past the last event: at the end of a running turn, at once (SSE: 204) for a finished one, whose snapshot says it finished', async () => {
    const held = gate();
    openai.enqueue({ kind: 'answer', tokens: reply, hold: { afterTokens: 2, until: held.promise } });
    const start = await api.post('/api/core/chat/turns', { message: 'Past the end', provider: 'openai' }, { token: owner.accessToken });
    const turnId = start.body.turn_id as string;
    const url = `${server.url}/api/core/chat/turns/${turnId}/events`;
    await expect.poll(async () => (await stored(turnId)).length, { timeout: WAIT_MS }).toBe(3);
    const { client } = wsClient(server.wsUrl, { Authorization: `Bearer ${owner.accessToken}` });
    try {
      const sub = subscribe(client, ChatTurnEventsDocument, { turnId, after: 50 });
      // (Its headers come with its first bytes: here, its end.)
      const opening = openSse(url, owner.accessToken, { 'last-event-id': '50' });
      await until(() => server.app.services.events.listeners('CHAT_TURN', turnId) === 2);
      held.open();
      await until(() => sub.completed);
      const sse = await opening;
      await sse.finished();
      expect(sse.res.status).toBe(200);
      expect(sub.received).toEqual([]);
      expect(sse.events).toEqual([]);

      const ended = reply.length + 2;
      const snapshot = await api.get(`/api/core/chat/turns/${turnId}/events?after=${ended}`, { token: owner.accessToken });
      expect(snapshot.body).toEqual({ turn_id: turnId, conversation_id: start.body.conversation_id, finished: true, events: [] });
      for (const headers of [{ 'last-event-id': String(ended) }, { 'last-event-id': '50' }]) {
        const past = await openSse(url, owner.accessToken, headers);
        await past.finished();
        expect(past.res.status).toBe(204);
      }
      const pastByQuery = await openSse(`${url}?after=${ended}`, owner.accessToken);
      await pastByQuery.finished();
      expect(pastByQuery.res.status).toBe(204);
      const late = subscribe(client, ChatTurnEventsDocument, { turnId, after: 50 });
      await until(() => late.completed);
      expect(late.received).toEqual([]);
    } finally {
      await client.dispose();
    }
  });

  it('stores one turn when the start is retried and the turn watched twice at once (a React StrictMode double mount)', async () => {
    const held = gate();
    openai.enqueue({ kind: 'answer', tokens: reply, hold: { afterTokens: 2, until: held.promise } });
    const requestsBefore = completions();
    const turnId = randomUUID();
    const input = { message: 'Mounted twice', provider: 'OPENAI' as const, turnId };
    const [x, y] = await Promise.all([0, 1].map(() => gql(server.url, StartChatTurnDocument, { input }, owner.accessToken)));
    const turns = [x!, y!].map((r) => r.data!.startChatTurn.turn);
    expect(turns.map((t) => t.started).sort()).toEqual([false, true]);
    expect(turns[0]!.conversationId).toBe(turns[1]!.conversationId);
    // REST with the same id answers the same turn too.
    const again = await api.post('/api/core/chat/turns', { message: 'Mounted twice', turn_id: turnId }, { token: owner.accessToken });
    expect(again.body).toEqual({ turn_id: turnId, conversation_id: turns[0]!.conversationId, started: false });

    const { client } = wsClient(server.wsUrl, { Authorization: `Bearer ${owner.accessToken}` });
    try {
      // Mount, unmount, mount again: the first subscription goes away mid-reply.
      const mount1 = subscribe(client, ChatTurnEventsDocument, { turnId });
      const mount2 = subscribe(client, ChatTurnEventsDocument, { turnId });
      await mount1.waitFor(3);
      mount1.unsubscribe();
      await mount2.waitFor(3);
      held.open();
      await until(() => mount2.completed);
      const events = mount2.received.map((r) => r.data!.chatTurnEvents);
      expect(events.map((e) => e.seq)).toEqual(reply.map((_, i) => i + 1).concat([reply.length + 1, reply.length + 2]));
      expect(events.at(-1)!.response!.content).toBe(reply.join(''));
    } finally {
      await client.dispose();
    }
    expect(completions() - requestsBefore).toBe(1);
    const messages = (await api.get(`/api/core/conversations/${turns[0]!.conversationId}/messages`, { token: owner.accessToken })).body as { role: string; status: string }[];
    expect(messages.map((m) => `${m.role}:${m.status}`)).toEqual(['user:complete', 'assistant:complete']);
  });

  it('answers an unknown, malformed or foreign turn at once with not_found, a bad sequence number with validation_error, and starts nothing for bad input', async () => {
    const start = await api.post('/api/core/chat/turns', { message: 'Mine only' }, { token: owner.accessToken });
    const mine = start.body.turn_id as string;
    await expect.poll(async () => (await stored(mine)).at(-1)?.type, { timeout: WAIT_MS }).toBe('done');

    const s = wsClient(server.wsUrl, { Authorization: `Bearer ${stranger.accessToken}` });
    const o = wsClient(server.wsUrl, { Authorization: `Bearer ${owner.accessToken}` });
    try {
      for (const [client, turnId] of [
        [o.client, randomUUID()],
        [o.client, 'not-an-id'],
        [s.client, mine],
      ] as const) {
        const refused = subscribe(client, ChatTurnEventsDocument, { turnId });
        await refused.settled();
        expect(refused.errorCode).toBe('not_found');
        expect(refused.received.every((r) => !r.data)).toBe(true);
      }
      const negative = subscribe(o.client, ChatTurnEventsDocument, { turnId: mine, after: -1 });
      await negative.settled();
      expect(negative.errorCode).toBe('validation_error');
    } finally {
      await s.client.dispose();
      await o.client.dispose();
    }

    // REST: the envelope, as JSON, with or without Accept: text/event-stream.
    for (const accept of ['application/json', 'text/event-stream']) {
      const foreign = await api.get(`/api/core/chat/turns/${mine}/events`, { token: stranger.accessToken, headers: { accept } });
      expect(foreign.status).toBe(404);
      expect(foreign.body.detail.error).toBe('not_found');
      const unknown = await api.get(`/api/core/chat/turns/${randomUUID()}/events`, { token: owner.accessToken, headers: { accept } });
      expect(unknown.status).toBe(404);
      const badId = await api.get(`/api/core/chat/turns/${mine}/events`, { token: owner.accessToken, headers: { accept, 'last-event-id': 'abc' } });
      expect(badId.status).toBe(400);
      expect(badId.body.detail.error).toBe('validation_error');
    }

    // Starting: a foreign turn id is a conflict, a malformed one invalid; neither calls the provider.
    const before = completions();
    const taken = await api.post('/api/core/chat/turns', { message: 'Steal it', turn_id: mine }, { token: stranger.accessToken });
    expect(taken.status).toBe(409);
    expect(taken.body.detail.error).toBe('conflict');
    const malformed = await gql(server.url, StartChatTurnDocument, { input: { message: 'x', turnId: 'nope' } }, owner.accessToken);
    expect(errorCode(malformed)).toBe('validation_error');
    const empty = await api.post('/api/core/chat/turns', { message: '' }, { token: owner.accessToken });
    expect(empty.status).toBe(400);
    const foreignConversation = await api.post('/api/core/chat/turns', { message: 'x', conversation_id: (await api.get(`/api/core/chat/turns/${mine}/events`, { token: owner.accessToken })).body.conversation_id }, { token: stranger.accessToken });
    expect(foreignConversation.status).toBe(404);
    expect(completions()).toBe(before);
  });

  it('ends a turn whose provider fails with ERROR as its last event, stores nothing, and replays that ERROR to a late subscriber', async () => {
    openai.enqueue({ kind: 'status', status: 400, body: { error: { message: 'bad model' } } });
    const start = await gql(server.url, StartChatTurnDocument, { input: { message: 'Fail please', provider: 'OPENAI' } }, owner.accessToken);
    const { turnId, conversationId } = start.data!.startChatTurn.turn;
    const { client } = wsClient(server.wsUrl, { Authorization: `Bearer ${owner.accessToken}` });
    try {
      const sub = subscribe(client, ChatTurnEventsDocument, { turnId });
      await until(() => sub.completed);
      expect(sub.received.map((r) => [r.data!.chatTurnEvents.seq, r.data!.chatTurnEvents.type])).toEqual([
        [1, 'START'],
        [2, 'ERROR'],
      ]);
      expect(sub.received[1]!.data!.chatTurnEvents.error).toMatchObject({ code: 'upstream_unavailable' });
      const late = subscribe(client, ChatTurnEventsDocument, { turnId, after: 1 });
      await until(() => late.completed);
      expect(late.received.map((r) => r.data!.chatTurnEvents.type)).toEqual(['ERROR']);
    } finally {
      await client.dispose();
    }
    expect((await api.get(`/api/core/conversations/${conversationId}`, { token: owner.accessToken })).status).toBe(404);
  });

  it('ends an open event stream when its credentials are revoked; the turn itself goes on and is stored', async () => {
    const u = await signUp(api);
    const held = gate();
    openai.enqueue({ kind: 'answer', tokens: reply, hold: { afterTokens: 2, until: held.promise } });
    const start = await api.post('/api/core/chat/turns', { message: 'Then I log out', provider: 'openai' }, { token: u.accessToken });
    const stream = await openSse(`${server.url}/api/core/chat/turns/${start.body.turn_id}/events`, u.accessToken);
    const ws = wsClient(server.wsUrl, { Authorization: `Bearer ${u.accessToken}` });
    const sub = subscribe(ws.client, ChatTurnEventsDocument, { turnId: start.body.turn_id });
    await stream.waitFor(3);
    await sub.waitFor(3);
    expect((await api.post('/api/auth/logout', {}, { token: u.accessToken })).status).toBe(204);
    await stream.finished();
    expect(stream.events.at(-1)).toMatchObject({ event: 'error', data: { error: 'invalid_token', reason: 'logout' } });
    // The graphql-ws socket closes as every socket of a revoked session does.
    await until(() => ws.closes.length > 0);
    expect(ws.closes[0]).toEqual({ code: 4401, reason: 'invalid_token: logout' });
    expect(sub.received).toHaveLength(3);
    // Leaving cancelled nothing: signed in again, the owner finds the whole reply.
    held.open();
    const login = await api.post('/api/auth/login', { username: u.input.username, password: u.input.password }, { form: true });
    await expect.poll(async () => (await stored(start.body.turn_id, login.body.access_token)).at(-1)?.type, { timeout: WAIT_MS }).toBe('done');
    const last = (await stored(start.body.turn_id, login.body.access_token)).at(-1)!;
    expect(last.data).toMatchObject({ content: reply.join(''), status: 'complete' });
  });

  it('refuses an event stream whose credentials were revoked just after they were checked, before anything of it listened', async () => {
    const u = await signUp(api);
    const held = gate();
    openai.enqueue({ kind: 'answer', tokens: reply, hold: { afterTokens: 2, until: held.promise } });
    const start = await api.post('/api/core/chat/turns', { message: 'Logged out meanwhile', provider: 'openai' }, { token: u.accessToken });
    expect(start.status).toBe(202);
    afterCredentialCheck(server, u.accessToken, () => api.post('/api/auth/logout', {}, { token: u.accessToken }));
    const stream = await openSse(`${server.url}/api/core/chat/turns/${start.body.turn_id}/events`, u.accessToken);
    expect(stream.res.status).toBe(401);
    expect(await stream.res.json()).toMatchObject({ detail: { error: 'invalid_token', reason: 'logout' } });
    held.open();
    const login = await api.post('/api/auth/login', { username: u.input.username, password: u.input.password }, { form: true });
    await expect.poll(async () => (await stored(start.body.turn_id, login.body.access_token)).at(-1)?.type, { timeout: WAIT_MS }).toBe('done');
  });

  it("forgets a deleted conversation's turns: their replay answers not_found, on both doors, instead of the reply", async () => {
    const turnIn = async (conversationId?: string) => {
      openai.enqueue({ kind: 'answer', tokens: reply });
      const start = await api.post('/api/core/chat/turns', { message: 'Remember this', provider: 'openai', ...(conversationId ? { conversation_id: conversationId } : {}) }, { token: owner.accessToken });
      expect(start.status).toBe(202);
      await expect.poll(async () => (await stored(start.body.turn_id as string)).at(-1)?.type, { timeout: WAIT_MS }).toBe('done');
      return { turnId: start.body.turn_id as string, conversationId: start.body.conversation_id as string };
    };
    // The turn that made the conversation, and one in it once it existed.
    const first = await turnIn();
    const second = await turnIn(first.conversationId);
    expect((await api.delete(`/api/core/conversations/${first.conversationId}`, { token: owner.accessToken })).status).toBe(204);
    for (const { turnId } of [first, second]) {
      const r = await api.get(`/api/core/chat/turns/${turnId}/events`, { token: owner.accessToken });
      expect(r.status).toBe(404);
      expect(JSON.stringify(r.body)).not.toContain(reply.join(''));
      const { client } = wsClient(server.wsUrl, { Authorization: `Bearer ${owner.accessToken}` });
      try {
        const sub = subscribe(client, ChatTurnEventsDocument, { turnId });
        await until(() => sub.completed);
        expect(sub.received.flatMap((r) => r.errors ?? []).map((e) => e.extensions?.code)).toEqual(['not_found']);
      } finally {
        await client.dispose();
      }
    }
  });
});

describe('resumable chat turns across two processes sharing Redis', () => {
  let openai: FakeAi;
  let a: TestServer;
  let b: TestServer;
  let dataDir: string;
  let drop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    openai = await startFakeOpenAI();
    dataDir = mkdtempSync(join(tmpdir(), 'xt-turns-'));
    let databaseUrl: string;
    if (driver === 'postgresql') {
      const scratch = await createScratchDatabase(PG_ADMIN_URL, 'xt_turns');
      databaseUrl = scratch.url;
      drop = scratch.drop;
    } else {
      databaseUrl = `sqlite:${join(dataDir, 'shared.sqlite3')}`;
    }
    const env = { ...AI_ENV, OPENAI_BASE_URL: openai.url, DATABASE_URL: databaseUrl, REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: redisPrefix() };
    // One after the other: the first applies the migrations.
    a = await startServer(env);
    b = await startServer(env);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await drop?.();
    await openai?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('resumes on the other process a turn started and dropped on one, over graphql-ws and SSE; a retry there starts nothing', async () => {
    const u = await signUp(restClient(a.url));
    const [first, second] = [gate(), gate()];
    openai.enqueue({ kind: 'answer', tokens: reply, holds: [{ afterTokens: 3, until: first.promise }, { afterTokens: 6, until: second.promise }] });
    const turnId = randomUUID();
    const started = await gql(a.url, StartChatTurnDocument, { input: { message: 'Across processes', provider: 'OPENAI', turnId } }, u.accessToken);
    expect(started.data!.startChatTurn.turn.started).toBe(true);
    // The same id on the other process: the same turn.
    const retried = await gql(b.url, StartChatTurnDocument, { input: { message: 'Across processes', provider: 'OPENAI', turnId } }, u.accessToken);
    expect(retried.data!.startChatTurn.turn).toEqual({ ...started.data!.startChatTurn.turn, started: false });

    const onA = wsClient(a.wsUrl, { Authorization: `Bearer ${u.accessToken}` });
    const before = subscribe(onA.client, ChatTurnEventsDocument, { turnId });
    await before.waitFor(4);
    await onA.client.dispose();
    const seen = before.received.map((r) => r.data!.chatTurnEvents);

    first.open();
    await expect.poll(async () => ((await restClient(b.url).get(`/api/core/chat/turns/${turnId}/events`, { token: u.accessToken })).body.events as unknown[]).length, { timeout: WAIT_MS }).toBe(7);

    const onB = wsClient(b.wsUrl, { Authorization: `Bearer ${u.accessToken}` });
    const sse = await openSse(`${b.url}/api/core/chat/turns/${turnId}/events`, u.accessToken, { 'last-event-id': '2' });
    try {
      const after = subscribe(onB.client, ChatTurnEventsDocument, { turnId, after: seen.at(-1)!.seq });
      await after.waitFor(3);
      await sse.waitFor(5);
      // B listens for the live rest, from A, through Redis.
      await until(() => b.app.services.events.listeners('CHAT_TURN', turnId) >= 2);
      second.open();
      await until(() => after.completed);
      await sse.finished();
      const all = [...seen, ...after.received.map((r) => r.data!.chatTurnEvents)];
      expect(all.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(all.filter((e) => e.type === 'DELTA').map((e) => e.delta).join('')).toBe(reply.join(''));
      expect(sse.events.map((e) => Number(e.id))).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
      expect(sse.events.at(-1)).toMatchObject({ event: 'done', data: { content: reply.join('') } });
    } finally {
      await onB.client.dispose();
    }
    expect(openai.requests.filter((r) => r.path === '/v1/chat/completions')).toHaveLength(1);
  });
});
