import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ChatDocument, ChatStreamDocument, ConversationEventsDocument, ConversationMessagesDocument, ProvidersDocument } from './generated/graphql.js';
import { signUp } from './helpers/factories.js';
import { startFakeAnthropic, startFakeOpenAI, type FakeAi, type Step } from './helpers/fake-ai.js';
import { errorCode, gql, subscribe, until, wsClient } from './helpers/graphql.js';
import { eventually } from './helpers/wait.js';
import { restClient, type RestClient } from './helpers/http.js';
import { startServer, type TestServer } from './helpers/server.js';

let openai: FakeAi;
let anthropic: FakeAi;
let server: TestServer;
let api: RestClient;
let token: string;

beforeAll(async () => {
  openai = await startFakeOpenAI();
  anthropic = await startFakeAnthropic();
  server = await startServer({
    OPENAI_BASE_URL: openai.url,
    OPENAI_API_KEY: 'sk-test',
    OPENAI_MODELS: 'gpt-test,gpt-other',
    ANTHROPIC_BASE_URL: anthropic.url,
    ANTHROPIC_API_KEY: 'ak-test',
    ANTHROPIC_MODELS: 'claude-test',
    AI_TIMEOUT_MS: '1500',
    AI_IDLE_TIMEOUT_MS: '1000',
    AI_MAX_REPLY_CHARS: '200000',
    AI_MAX_RETRIES: '2',
    AI_RETRY_BASE_MS: '20',
    AI_MAX_RETRY_AFTER_MS: '2000',
  });
  api = restClient(server.url);
  token = (await signUp(api)).accessToken;
});
afterAll(async () => {
  await server.close();
  await openai.close();
  await anthropic.close();
});
beforeEach(() => {
  openai.requests.length = 0;
  anthropic.requests.length = 0;
});

const chat = (body: Record<string, unknown>, opts: { sse?: boolean; tok?: string } = {}) =>
  api.post('/api/core/chat', body, { token: opts.tok ?? token, headers: opts.sse ? { accept: 'text/event-stream' } : {} });

/** Parses a text/event-stream body into events. */
const sseEvents = (text: string) =>
  text
    .split('\n\n')
    .filter(Boolean)
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      return { event, data: data ? JSON.parse(data) : null };
    });

async function messagesOf(conversationId: string, tok = token) {
  return (await api.get(`/api/core/conversations/${conversationId}/messages?limit=100`, { token: tok })).body as { role: string; content: string; status: string; usage: unknown }[];
}

describe('providers list', () => {
  it('says which providers are configured and answering, with their models', async () => {
    const res = await api.get('/api/core/providers');
    expect(res.body.default).toBe('auto');
    const byId = Object.fromEntries(res.body.providers.map((p: { id: string }) => [p.id, p]));
    expect(byId.local).toMatchObject({ available: true, configured: true, models: ['local-retrieval-v1'] });
    expect(byId.openai).toMatchObject({ available: true, configured: true, models: ['gpt-test', 'gpt-other'], default_model: 'gpt-test' });
    expect(byId.anthropic).toMatchObject({ available: true, configured: true, default_model: 'claude-test' });
    const g = await gql(server.url, ProvidersDocument, {});
    expect(g.data?.providers.providers.map((p) => p.id)).toEqual(['local', 'openai', 'anthropic']);
    expect(g.data?.providers.default).toBe('AUTO');
    expect(g.data?.providers.providers.map((p) => p.kind)).toEqual(['LOCAL', 'OPENAI', 'ANTHROPIC']);
    expect(g.data?.providers.providers[0]!.capabilities).toEqual(['CHAT', 'STREAMING', 'CITATIONS', 'OFFLINE']);
  });

  it('reports a configured provider that does not answer as unavailable', async () => {
    const s = await startServer({ OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', OPENAI_MODELS: 'm' });
    try {
      const res = await restClient(s.url).get('/api/core/providers');
      const openaiInfo = res.body.providers.find((p: { id: string }) => p.id === 'openai');
      expect(openaiInfo).toMatchObject({ configured: true, available: false });
    } finally {
      await s.close();
    }
  });
});

describe('OpenAI-compatible adapter', () => {
  it('streams a reply, records usage, and routes auto to the first configured real provider', async () => {
    openai.enqueue({ kind: 'answer', tokens: ['Bon', 'jour', ' à', ' vous'], split: true, usage: { prompt: 20, completion: 4 } });
    const res = await chat({ message: 'Say hello', user_language: 'fr' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ content: 'Bonjour à vous', provider: 'openai', model: 'gpt-test', usage: { prompt_tokens: 20, completion_tokens: 4, total_tokens: 24 }, status: 'complete' });
    const sent = openai.requests.find((r) => r.path === '/v1/chat/completions')!;
    expect(sent.headers.authorization).toBe('Bearer sk-test');
    expect(sent.body).toMatchObject({ model: 'gpt-test', stream: true, stream_options: { include_usage: true } });
    expect(sent.body.messages[0]).toEqual({ role: 'system', content: expect.stringContaining('"fr"') });
    expect(sent.body.messages.at(-1)).toEqual({ role: 'user', content: 'Say hello' });
    const stored = await messagesOf(res.body.conversation_id);
    expect(stored.map((m) => [m.role, m.content])).toEqual([
      ['user', 'Say hello'],
      ['assistant', 'Bonjour à vous'],
    ]);
    expect(stored[1]!.usage).toEqual({ prompt_tokens: 20, completion_tokens: 4, total_tokens: 24 });
  });

  it('takes provider as "a model or routing mode": a model name routes to the provider serving it', async () => {
    anthropic.enqueue({ kind: 'answer', tokens: ['Hi'] });
    const byModel = await chat({ message: 'Hello', provider: 'claude-test' });
    expect(byModel.status).toBe(200);
    expect(byModel.body).toMatchObject({ provider: 'anthropic', model: 'claude-test', content: 'Hi' });
    expect(anthropic.requests.find((r) => r.path === '/v1/messages')!.body).toMatchObject({ model: 'claude-test' });
    openai.enqueue({ kind: 'answer', tokens: ['Yo'] });
    const other = await chat({ message: 'Hello', provider: 'gpt-other', model: 'gpt-other' });
    expect(other.body).toMatchObject({ provider: 'openai', model: 'gpt-other' });
    // A name nobody serves, or a model contradicting the one named: refused, nothing stored.
    const before = (await api.get('/api/core/conversations?limit=100', { token })).body.length;
    const unknown = await chat({ message: 'Hello', provider: 'gpt-9000' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.detail).toMatchObject({ error: 'validation_error', fields: [{ loc: ['body', 'provider'], message: expect.stringContaining('claude-test') }] });
    const contradicting = await chat({ message: 'Hello', provider: 'claude-test', model: 'gpt-test' });
    expect(contradicting.status).toBe(400);
    expect(contradicting.body.detail.fields[0].loc).toEqual(['body', 'model']);
    expect((await api.get('/api/core/conversations?limit=100', { token })).body.length).toBe(before);
    expect(openai.requests.length + anthropic.requests.length).toBe(2);
  });

  it('sends the conversation so far, or the caller\'s history when there is no conversation', async () => {
    const first = await chat({ message: 'First question' });
    await chat({ message: 'Second question', conversation_id: first.body.conversation_id });
    const sent = openai.requests.filter((r) => r.path === '/v1/chat/completions').at(-1)!;
    expect(sent.body.messages.map((m: { role: string; content: string }) => m.content)).toEqual(['First question', 'Hello there!', 'Second question']);

    await chat({ message: 'And now?', conversation_history: [{ role: 'user', content: 'Earlier' }, { role: 'assistant', content: 'Earlier answer' }] });
    const stateless = openai.requests.filter((r) => r.path === '/v1/chat/completions').at(-1)!;
    expect(stateless.body.messages.map((m: { content: string }) => m.content)).toEqual(['Earlier', 'Earlier answer', 'And now?']);
  });

  it('streams server-sent events token by token', async () => {
    openai.enqueue({ kind: 'answer', tokens: ['One', ' two', ' three'] });
    const res = await chat({ message: 'Count', provider: 'openai' }, { sse: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    // The stream carries what every answer carries.
    expect(res.headers.get('x-request-id')).toBeTruthy();
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const events = sseEvents(res.body as string);
    expect(events.map((e) => e.event)).toEqual(['start', 'delta', 'delta', 'delta', 'done']);
    expect(events.filter((e) => e.event === 'delta').map((e) => e.data.content)).toEqual(['One', ' two', ' three']);
    expect(events.at(-1)!.data).toMatchObject({ content: 'One two three', status: 'complete', conversation_id: events[0]!.data.conversation_id });
  });

  it('drops the NUL characters a provider sends, which the database cannot store, from the stream and the stored reply', async () => {
    openai.enqueue({ kind: 'answer', tokens: ['Nul\u0000', 'ls', '\u0000', ' gone'] });
    const streamed = await chat({ message: 'Send me a NUL', provider: 'openai' }, { sse: true });
    const events = sseEvents(streamed.body as string);
    expect(events.filter((e) => e.event === 'delta').map((e) => e.data.content)).toEqual(['Nul', 'ls', ' gone']);
    const done = events.at(-1)!;
    expect(done.event).toBe('done');
    expect(done.data).toMatchObject({ content: 'Nulls gone', status: 'complete' });
    expect((await messagesOf(done.data.conversation_id as string)).map((m) => m.content)).toEqual(['Send me a NUL', 'Nulls gone']);

    anthropic.enqueue({ kind: 'answer', tokens: ['Also\u0000', ' here'] });
    const answered = await chat({ message: 'And Claude?', provider: 'anthropic' });
    expect(answered.status).toBe(200);
    expect(answered.body.content).toBe('Also here');
  });

  it('cuts off a reply longer than any model gives, storing nothing, and takes the next turn', async () => {
    const before = (await api.get('/api/core/conversations', { token })).headers.get('x-total-count');
    openai.enqueue({ kind: 'answer', tokens: Array.from({ length: 500 }, () => 'endless '.repeat(100)) });
    const res = await chat({ message: 'Talk forever', provider: 'openai' });
    expect(res.status).toBe(502);
    expect(res.body.detail).toMatchObject({ error: 'upstream_unavailable', provider: 'openai' });
    expect(res.body.detail.message).toMatch(/sent a reply longer than 200000 characters.*Nothing was stored/);
    expect((await api.get('/api/core/conversations', { token })).headers.get('x-total-count')).toBe(before);
    expect((await chat({ message: 'Short, please', provider: 'openai' })).status).toBe(200);
  });

  it('retries 429 (honouring Retry-After), 5xx, dropped connections and timeouts before the first token', async () => {
    openai.enqueue({ kind: 'status', status: 429, headers: { 'retry-after': '0' } }, { kind: 'status', status: 503 });
    expect((await chat({ message: 'retry me' })).body.content).toBe('Hello there!');
    openai.enqueue({ kind: 'drop', afterTokens: [] }, { kind: 'hang' });
    const res = await chat({ message: 'and me' });
    expect(res.status).toBe(200);
    expect(res.body.content).toBe('Hello there!');
    expect(openai.requests.filter((r) => r.path === '/v1/chat/completions')).toHaveLength(6);
  });

  it('keep-alive comments keep a reply waiting past the idle timeout, but not past the whole reply\'s limit', async () => {
    const s = await startServer({ OPENAI_BASE_URL: openai.url, OPENAI_API_KEY: 'sk-test', OPENAI_MODELS: 'gpt-test', AI_IDLE_TIMEOUT_MS: '2000', AI_MAX_REPLY_MS: '5000', AI_MAX_RETRIES: '0' });
    try {
      const a = restClient(s.url);
      const t = (await signUp(a)).accessToken;
      // Comments every 100 ms for 60 s: never silent for the 2 s idle timeout, ended at 5 s.
      openai.enqueue({ kind: 'keepAlive', everyMs: 100, times: 600 });
      const res = await a.post('/api/core/chat', { message: 'Think hard', provider: 'openai' }, { token: t });
      expect(res.status).toBe(502);
      expect(res.body.detail).toMatchObject({ error: 'upstream_unavailable', provider: 'openai' });
      expect(res.body.detail.message).toMatch(/took longer than 5000 ms to reply/);
    } finally {
      await s.close();
    }
  });

  it('answers upstream_unavailable, storing nothing, when retries run out or the failure is final', async () => {
    const before = (await api.get('/api/core/conversations', { token })).headers.get('x-total-count');
    openai.enqueue({ kind: 'status', status: 500 }, { kind: 'status', status: 502 }, { kind: 'status', status: 503 });
    const exhausted = await chat({ message: 'doomed' });
    expect(exhausted.status).toBe(502);
    expect(exhausted.body.detail).toMatchObject({ error: 'upstream_unavailable', provider: 'openai' });
    expect(exhausted.body.detail.message).toMatch(/failed with 503.*Nothing was stored/);

    openai.enqueue({ kind: 'status', status: 401, body: { error: { message: 'Incorrect API key provided' } } });
    const refused = await chat({ message: 'doomed' });
    expect(refused.status).toBe(502);
    expect(refused.body.detail.message).toMatch(/refused the configured credentials.*Incorrect API key/);

    openai.enqueue({ kind: 'status', status: 429, headers: { 'retry-after': '120' } });
    const tooLong = await chat({ message: 'doomed' });
    expect(tooLong.body.detail.message).toMatch(/rate limiting/);

    // Mid-stream failures cannot be retried without repeating text: the turn fails whole.
    const midStream: Step[] = [
      { kind: 'drop', afterTokens: ['partial'] },
      { kind: 'cutoff', tokens: ['cut'] },
      { kind: 'malformed', afterTokens: ['bad'] },
      { kind: 'midStreamError', afterTokens: ['oops'] },
    ];
    for (const step of midStream) {
      openai.enqueue(step);
      const res = await chat({ message: 'doomed' });
      expect(res.status, step.kind).toBe(502);
      expect(res.body.detail.error).toBe('upstream_unavailable');
    }
    expect((await api.get('/api/core/conversations', { token })).headers.get('x-total-count')).toBe(before);
    const found = await api.get('/api/core/search?q=doomed', { token });
    expect(found.body.total).toBe(0);
  });

  it('keeps the partial reply when the client disconnects mid-stream', async () => {
    openai.enqueue({ kind: 'answer', tokens: ['Slow', ' and', ' steady', ' wins', ' the', ' race'], delayMs: 150 });
    const controller = new AbortController();
    const res = await fetch(`${server.url}/api/core/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${token}` },
      body: JSON.stringify({ message: 'tell me slowly' }),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    let text = '';
    let conversationId = '';
    while (!text.includes(' and')) {
      const { value } = await reader.read();
      text += new TextDecoder().decode(value);
      conversationId ||= /"conversation_id":"([^"]+)"/.exec(text)?.[1] ?? '';
    }
    controller.abort();
    // The partial reply is stored once the server notices the listener left: wait for it to appear.
    const stored: Awaited<ReturnType<typeof messagesOf>> = await eventually(async () => {
      const r = await api.get(`/api/core/conversations/${conversationId}/messages`, { token });
      return r.status === 200 && r.body.length >= 2 && r.body;
    });
    expect(stored.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(stored[1]!.status).toBe('partial');
    expect(stored[1]!.content.startsWith('Slow and')).toBe(true);
    expect(stored[1]!.content).not.toContain('race');
  });

  it("keeps the old reply when a regeneration's stream is left before its end: nothing of it is stored, and the conversation's watchers get DONE with the old reply", async () => {
    openai.enqueue({ kind: 'answer', tokens: ['The', ' first', ' answer'] });
    const first = await chat({ message: 'answer me twice', provider: 'openai' });
    const conversationId = first.body.conversation_id as string;
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const { client } = wsClient(server.wsUrl, { Authorization: `Bearer ${token}` });
    try {
      const watch = subscribe(client, ConversationEventsDocument, { conversationId });
      await until(() => server.app.services.events.listeners('CHAT_EVENT', conversationId) === 1);
      openai.enqueue({ kind: 'answer', tokens: ['A', ' second', ' try'], hold: { afterTokens: 2, until: held } });
      const controller = new AbortController();
      const res = await fetch(`${server.url}/api/core/conversations/${conversationId}/regenerate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${token}` },
        body: JSON.stringify({ provider: 'openai' }),
        signal: controller.signal,
      });
      const reader = res.body!.getReader();
      let text = '';
      while (!text.includes(' second')) text += new TextDecoder().decode((await reader.read()).value);
      controller.abort();
      await until(() => watch.received.some((r) => r.data?.conversationEvents.type === 'DONE'));
      const events = watch.received.map((r) => r.data!.conversationEvents);
      expect(events.map((e) => e.type)).toEqual(['START', 'DELTA', 'DELTA', 'DONE']);
      expect(events.at(-1)!.response).toEqual({ content: 'The first answer', status: 'COMPLETE', messageId: first.body.message_id });
    } finally {
      release();
      await client.dispose();
    }
    const stored = await messagesOf(conversationId);
    expect(stored.map((m) => [m.role, m.content, m.status])).toEqual([
      ['user', 'answer me twice', 'complete'],
      ['assistant', 'The first answer', 'complete'],
    ]);
    expect((stored[1] as unknown as { id: string }).id).toBe(first.body.message_id);
  });

  it('keeps its connection to the provider for the next turn once a reply is read to its end', async () => {
    // (OpenAI ends a reply with [DONE]: the body was left there, and its connection closed when its end came apart.)
    const before = openai.connections;
    for (const word of ['one', 'two', 'three']) {
      openai.enqueue({ kind: 'answer', tokens: [word], endApart: true });
      const res = await chat({ message: `say ${word}`, provider: 'openai' });
      expect(res.status).toBe(200);
      expect(res.body.content).toBe(word);
    }
    // At most one new connection (none when an earlier test left one open).
    expect(openai.connections - before).toBeLessThanOrEqual(1);
  });

  it('never calls a base URL a caller supplies', async () => {
    const res = await chat({ message: 'hi', base_url: 'http://127.0.0.1:1/evil', provider: 'openai' });
    expect(res.status).toBe(200);
    expect(openai.requests.some((r) => r.path === '/v1/chat/completions')).toBe(true);
  });
});

describe('Anthropic adapter', () => {
  it('streams the Messages API events, with the system prompt apart and usage from message_start and message_delta', async () => {
    anthropic.enqueue({ kind: 'answer', tokens: ['Hi', ' from', ' Claude'], split: true, usage: { prompt: 0, completion: 3 } });
    const res = await chat({ message: 'Hello Claude', provider: 'anthropic', user_language: 'en' });
    expect(res.body).toMatchObject({ content: 'Hi from Claude', provider: 'anthropic', model: 'claude-test', usage: { prompt_tokens: 11, completion_tokens: 3, total_tokens: 14 } });
    const sent = anthropic.requests.find((r) => r.path === '/v1/messages')!;
    expect(sent.headers['x-api-key']).toBe('ak-test');
    expect(sent.headers['anthropic-version']).toBe('2023-06-01');
    expect(sent.body).toMatchObject({ model: 'claude-test', stream: true, max_tokens: 1024, messages: [{ role: 'user', content: 'Hello Claude' }] });
    expect(sent.body.system).toContain('"en"');
  });

  it('retries an overloaded error before the first token, and fails whole after it', async () => {
    anthropic.enqueue({ kind: 'midStreamError', afterTokens: [], errorType: 'overloaded_error' });
    expect((await chat({ message: 'retry', provider: 'anthropic' })).body.content).toBe('Hello there!');
    anthropic.enqueue({ kind: 'midStreamError', afterTokens: ['Half'], errorType: 'overloaded_error' });
    const res = await chat({ message: 'fail', provider: 'anthropic' }, { sse: true });
    const events = sseEvents(res.body as string);
    expect(events.map((e) => e.event)).toEqual(['start', 'delta', 'error']);
    expect(events.at(-1)!.data).toMatchObject({ error: 'upstream_unavailable' });
    expect(events.at(-1)!.data.message).toMatch(/overloaded_error/);
  });
});

describe('GraphQL chat', () => {
  it('answers the chat mutation and streams through the chatStream subscription', async () => {
    openai.enqueue({ kind: 'answer', tokens: ['Graph', 'QL'] });
    const m = await gql(server.url, ChatDocument, { input: { message: 'via graphql' } }, token);
    expect(m.data?.chat.assistantMessage).toMatchObject({ role: 'ASSISTANT', content: 'GraphQL', provider: 'OPENAI', model: 'gpt-test', status: 'COMPLETE', position: 2, usage: { totalTokens: 14 } });
    expect(m.data?.chat.userMessage).toMatchObject({ role: 'USER', content: 'via graphql', position: 1 });
    expect(m.data?.chat.conversation).toMatchObject({ id: m.data?.chat.assistantMessage.conversationId, messageCount: 2, title: 'via graphql' });

    openai.enqueue({ kind: 'answer', tokens: ['Sub', 'scribed'], delayMs: 20 });
    const { client } = wsClient(server.wsUrl, { Authorization: `Bearer ${token}` });
    const sub = subscribe(client, ChatStreamDocument, { input: { message: 'stream it' } });
    try {
      await sub.waitFor(4);
      const types = sub.received.map((r) => r.data?.chatStream.type);
      expect(types).toEqual(['START', 'DELTA', 'DELTA', 'DONE']);
      const done = sub.received[3]!.data!.chatStream.response!;
      expect(done).toMatchObject({ content: 'Subscribed', status: 'COMPLETE' });
      const stored = await gql(server.url, ConversationMessagesDocument, { id: done.conversationId }, token);
      expect(stored.data?.conversation?.messages.edges.map((e) => e.node.content)).toEqual(['stream it', 'Subscribed']);
    } finally {
      sub.unsubscribe();
      await client.dispose();
    }
  });

  it('reports upstream failures on the subscription as an error event', async () => {
    openai.enqueue({ kind: 'status', status: 400, body: { error: { message: 'bad model' } } });
    const { client } = wsClient(server.wsUrl, { Authorization: `Bearer ${token}` });
    const sub = subscribe(client, ChatStreamDocument, { input: { message: 'fail please' } });
    try {
      await sub.waitFor(2);
      expect(sub.received[1]!.data?.chatStream).toMatchObject({ type: 'ERROR', error: { code: 'upstream_unavailable' } });
    } finally {
      sub.unsubscribe();
      await client.dispose();
    }
    // A provider is an enum: an unknown one never reaches the service.
    const m = await gql(server.url, ChatDocument, { input: { message: 'x', provider: 'NONSENSE' as never } }, token);
    expect(errorCode(m)).toBe('bad_user_input');
    const unoffered = await gql(server.url, ChatDocument, { input: { message: 'x', provider: 'OPENAI', model: 'gpt-nonsense' } }, token);
    expect(errorCode(unoffered)).toBe('validation_error');
  });

  it('keeps the partial reply when the subscriber leaves mid-stream', async () => {
    openai.enqueue({ kind: 'answer', tokens: ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H'], delayMs: 100 });
    const { client } = wsClient(server.wsUrl, { Authorization: `Bearer ${token}` });
    const sub = subscribe(client, ChatStreamDocument, { input: { message: 'leave early' } });
    await sub.waitFor(3);
    const conversationId = sub.received[0]!.data!.chatStream.conversationId;
    sub.unsubscribe();
    await client.dispose();
    // The partial reply is stored once the server notices the listener left: wait for it to appear.
    const stored: Awaited<ReturnType<typeof messagesOf>> = await eventually(async () => {
      const r = await api.get(`/api/core/conversations/${conversationId}/messages`, { token });
      return r.status === 200 && r.body.length >= 2 && r.body;
    });
    expect(stored[1]).toMatchObject({ role: 'assistant', status: 'partial' });
    expect(stored[1]!.content.length).toBeGreaterThan(0);
    expect(stored[1]!.content.length).toBeLessThan(8);
  });
});

describe('shutdown with a turn in flight', () => {
  it('stores the partial reply of a subscriber cut off by the shutdown before closing the database', async () => {
    const fake = await startFakeOpenAI();
    const s = await startServer({ OPENAI_BASE_URL: fake.url, OPENAI_MODELS: 'gpt-test', AI_IDLE_TIMEOUT_MS: '5000' });
    try {
      const u = await signUp(restClient(s.url));
      fake.enqueue({ kind: 'answer', tokens: ['one', ' two', ' three', ' four', ' five', ' six'], delayMs: 150 });
      const { client } = wsClient(s.wsUrl, { Authorization: `Bearer ${u.accessToken}` });
      const sub = subscribe(client, ChatStreamDocument, { input: { message: 'going down' } });
      await sub.waitFor(3);
      const conversationId = sub.received[0]!.data!.chatStream.conversationId;
      await s.app.close();
      // MikroORM 7 would reconnect on the next statement: ask the connection without sending one.
      expect(await s.app.orm.isConnected()).toBe(false);
      await client.dispose();
      // Reopen the same database to look: only possible on PostgreSQL (the SQLite one was in memory).
      if (s.config.db.driver === 'postgresql') {
        const { MikroORM } = await import('@mikro-orm/core');
        const { ormOptions } = await import('../src/db/orm.js');
        const orm = await MikroORM.init(ormOptions(s.config.db, (await import('../src/modules/index.js')).allEntities));
        try {
          const msgs = await orm.em.fork().getConnection().execute<{ role: string; status: string }[]>('select role, status from messages where conversation_id = ? order by position', [conversationId]);
          expect(msgs.map((m: { role: string; status: string }) => `${m.role}:${m.status}`)).toEqual(['user:complete', 'assistant:partial']);
        } finally {
          await orm.close(true);
        }
      }
    } finally {
      await s.close();
      await fake.close();
    }
  });
});
