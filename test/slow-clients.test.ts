import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dribble, eventually, graphqlWs, liveWs, rawConnection, sleep } from '../bench/hardening-clients.js';
import { WAIT_MS } from './helpers/wait.js';
import { signUp } from './helpers/factories.js';
import { restClient, type RestClient } from './helpers/http.js';
import { startServer, type TestServer } from './helpers/server.js';
import { startFakeOpenAI } from './helpers/fake-ai.js';

/**
 * Slow and hostile clients, fast variant, on a server with short limits: headers sent a
 * byte at a time, a body that never finishes, an idle keep-alive connection, a WebSocket
 * client that never reads, floods of frames and of subscriptions, an oversized message.
 * Each is cut off by its limit, and a well-behaved client on the same server is served
 * throughout. No timing is asserted: only that the cut happens, and what the client is told.
 * `npm run bench -- hardening-slowloris` runs hundreds of these at once against the defaults.
 */

let server: TestServer;
let api: RestClient;
let user: Awaited<ReturnType<typeof signUp>>;

beforeAll(async () => {
  server = await startServer({
    HEADERS_TIMEOUT_MS: '500',
    REQUEST_TIMEOUT_MS: '1000',
    HTTP_TIMEOUT_CHECK_MS: '100',
    KEEP_ALIVE_TIMEOUT_MS: '500',
    WS_MAX_BUFFERED_BYTES: '65536',
    WS_SEND_TIMEOUT_MS: '1000',
    WS_MAX_MESSAGES_PER_SECOND: '50',
    WS_MAX_SUBSCRIPTIONS: '5',
    WS_MAX_PAYLOAD_BYTES: '65536',
    LIVE_MAX_PENDING_FRAMES: '4',
    LIVE_PLANS: 'free:1000000',
  });
  api = restClient(server.url);
  user = await signUp(api);
});
afterAll(() => server.close());

/** A well-behaved client: served while the hostile one is being dealt with. */
async function wellBehaved(): Promise<void> {
  const me = await api.get('/api/auth/me', { token: user.accessToken });
  expect(me.status).toBe(200);
}

const envelopeOf = (raw: string) => JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as { detail: { error: string } };

describe('slow HTTP clients', () => {
  it('cuts off headers sent a byte at a time, with 408 and the envelope', async () => {
    const c = await rawConnection(server.url);
    const slow = dribble(c, `GET /api/auth/me HTTP/1.1\r\nHost: x\r\nX-Slow: ${'a'.repeat(400)}\r\n\r\n`, 25);
    await wellBehaved();
    expect(await slow, 'the server closed the connection before the headers were done').toBe(true);
    expect(c.received()).toMatch(/^HTTP\/1\.1 408/);
    expect(envelopeOf(c.received()).detail.error).toBe('request_timeout');
    await wellBehaved();
  });

  it('cuts off a body that never finishes', async () => {
    const c = await rawConnection(server.url);
    c.socket.write('POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n');
    const slow = dribble(c, `{"username": "${'a'.repeat(480)}"}`, 25);
    await wellBehaved();
    expect(await slow, 'the server closed the connection before the body was done').toBe(true);
    expect(c.received()).toMatch(/^HTTP\/1\.1 408/);
    await wellBehaved();
  });

  it('answers 408 with the envelope to a body that stops midway (abuse round 2, finding 12)', async () => {
    // Headers and part of the body, then silence: the socket went idle, and the idle timeout
    // used to destroy it without a word just before the request timeout could answer.
    const c = await rawConnection(server.url);
    c.socket.write(`POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"username": "half`);
    await wellBehaved();
    expect(await eventually(() => c.isClosed(), WAIT_MS), 'the server closed the connection').toBe(true);
    expect(c.received()).toMatch(/^HTTP\/1\.1 408/);
    expect(envelopeOf(c.received()).detail.error).toBe('request_timeout');
    await wellBehaved();
  });

  it('answers a request whose handler works longer than a connection may stay idle (a slow provider), once', async () => {
    const ai = await startFakeOpenAI();
    // Idle limit: REQUEST_TIMEOUT_MS + 2 × HTTP_TIMEOUT_CHECK_MS + 1 s = 2.2 s; the provider answers after 3.5 s.
    const slow = await startServer({ REQUEST_TIMEOUT_MS: '1000', HTTP_TIMEOUT_CHECK_MS: '100', OPENAI_BASE_URL: ai.url, OPENAI_MODELS: 'gpt-test' });
    try {
      const c = restClient(slow.url);
      const u = await signUp(c);
      ai.enqueue({ kind: 'answer', tokens: ['Here', ' at', ' last.'], hold: { afterTokens: 0, until: sleep(3500) } });
      const res = await c.post('/api/core/chat', { message: 'Take your time', provider: 'openai' }, { token: u.accessToken });
      expect(res.status).toBe(200);
      expect(res.body.content).toBe('Here at last.');
      // Streamed: comments keep the connection alive through the silence, then the reply comes.
      ai.enqueue({ kind: 'answer', tokens: ['Streamed', ' late.'], hold: { afterTokens: 0, until: sleep(3500) } });
      const sse = await fetch(`${slow.url}/api/core/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${u.accessToken}` },
        body: JSON.stringify({ message: 'Stream it slowly', provider: 'openai' }),
      });
      expect(sse.status).toBe(200);
      const text = await sse.text();
      expect(text).toContain(': keep-alive\n\n');
      expect(text).toMatch(/event: done\n/);
    } finally {
      await slow.close();
      await ai.close();
    }
  });

  it('closes an idle keep-alive connection', async () => {
    const c = await rawConnection(server.url);
    c.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
    expect(await eventually(() => c.received().includes('"ok"'), WAIT_MS)).toBe(true);
    expect(await eventually(() => c.isClosed(), WAIT_MS), 'the idle connection was closed').toBe(true);
  });

  it('answers headers larger than the limit with 431 and the envelope', async () => {
    const c = await rawConnection(server.url);
    c.socket.write(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`);
    expect(await eventually(() => c.isClosed(), WAIT_MS)).toBe(true);
    expect(c.received()).toMatch(/^HTTP\/1\.1 431/);
    expect(envelopeOf(c.received()).detail.error).toBe('headers_too_large');
  });
});

describe('hostile WebSocket clients', () => {
  it('disconnects a subscriber that never reads, and keeps serving one that does', async () => {
    const session = await api.post('/api/live/session/start', { session_type: 'voice' }, { token: user.accessToken });
    expect(session.status).toBe(201);
    const sessionId = session.body.session_id as string;
    const auth = { Authorization: `Bearer ${user.accessToken}` };
    const reader = await graphqlWs(server.wsUrl, auth);
    reader.subscribe('r', 'subscription { meUpdated { id } }');
    const sink = await graphqlWs(server.wsUrl, auth);
    sink.subscribe('s', `subscription ($id: ID!) { liveSessionEvents(sessionId: $id) { __typename ... on LiveAudioResponse { audio } } }`, { id: sessionId });
    // The subscription is live once its first event arrives; then the client stops reading.
    const publishAudio = () =>
      server.app.services.events.publish('LIVE_EVENT', { type: 'audio_response', sessionId, userId: user.user.id, turnId: 't', seq: 0, audio: 'A'.repeat(16_384), text: '', final: false, at: new Date().toISOString() });
    expect(await eventually(async () => (publishAudio(), (await sink.next('next', 's', 50)) !== null), WAIT_MS)).toBe(true);
    (sink.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const open = (await server.app.stats()).webSockets;
    // Far more than any socket buffers, and more than a subscription queues (1,024 events, past
    // which its listener throws into the publisher): the server must neither hold it all for a
    // client that never reads nor fall over.
    for (let i = 0; i < 1500; i++) {
      publishAudio();
      if (i % 50 === 0) await sleep(5);
    }
    expect(await eventually(async () => (await server.app.stats()).webSockets < open, WAIT_MS), 'the server dropped the client that does not read').toBe(true);
    expect((await server.app.stats()).socketLimits.slowConsumersDropped).toBeGreaterThan(0);
    // The reading client still works.
    let got = null;
    for (let i = 0; i < 50 && !got; i++) {
      server.app.services.events.publish('USER_UPDATED', { userId: user.user.id });
      got = await reader.next('next', 'r', 100);
    }
    expect(got).not.toBeNull();
    reader.ws.close();
    await api.post('/api/live/session/end', { session_id: sessionId }, { token: user.accessToken });
  });

  it('closes a live socket that floods frames (1008), while another live client is answered', async () => {
    const other = await signUp(api);
    const calm = await liveWs(server.wsUrl, other.accessToken);
    calm.send('start-session', { session_type: 'voice' });
    expect(await calm.next('session-started', WAIT_MS)).not.toBeNull();

    const flooder = await liveWs(server.wsUrl, user.accessToken);
    for (let i = 0; i < 500; i++) flooder.send('ping', { i });
    const closed = await flooder.closed;
    expect(closed.code).toBe(1008);
    expect(closed.reason).toMatch(/too many/i);

    calm.send('audio-input', { text: 'Hello there', final: true });
    expect(await calm.next('audio-response', WAIT_MS), 'the calm client got its spoken reply').not.toBeNull();
    calm.send('end-session');
    await calm.closed;
  });

  it('answers frames past the waiting limit with rate_limited, without closing the socket', async () => {
    const l = await liveWs(server.wsUrl, user.accessToken);
    l.send('start-session', { session_type: 'voice' });
    expect(await l.next('session-started')).not.toBeNull();
    // A turn takes a while (a reply is synthesized); frames sent meanwhile wait behind it.
    l.send('audio-input', { text: 'Tell me something long enough to take a moment', final: true });
    for (let i = 0; i < 10; i++) l.send('audio-input', { text: 'more', final: false });
    expect(await eventually(() => l.frames.some((f) => f.type === 'error' && f.data.error === 'rate_limited'), WAIT_MS)).toBe(true);
    expect(l.ws.readyState).toBe(l.ws.OPEN);
    // The turn itself is still answered.
    expect(await eventually(() => l.frames.some((f) => f.type === 'audio-response' && f.data.final), WAIT_MS)).toBe(true);
    l.ws.close();
    await l.closed;
  });

  it('refuses subscriptions past the limit on one connection, and keeps the others', async () => {
    const c = await graphqlWs(server.wsUrl, { Authorization: `Bearer ${user.accessToken}` });
    for (let i = 1; i <= 8; i++) c.subscribe(String(i), 'subscription { meUpdated { id } }');
    expect(await eventually(() => c.messages.filter((m) => m.type === 'error').length === 3, WAIT_MS)).toBe(true);
    for (const e of c.messages.filter((m) => m.type === 'error')) expect((e.payload as { extensions: { code: string } }[])[0]!.extensions.code).toBe('rate_limited');
    const got = await eventually(async () => {
      server.app.services.events.publish('USER_UPDATED', { userId: user.user.id });
      await sleep(50);
      return new Set(c.messages.filter((m) => m.type === 'next').map((m) => m.id)).size === 5;
    }, WAIT_MS);
    expect(got, 'the five subscriptions within the limit get events').toBe(true);
    c.ws.close();
    await c.closed;
  });

  it('closes a socket that sends a message over the size limit (1009)', async () => {
    const c = await graphqlWs(server.wsUrl, { Authorization: `Bearer ${user.accessToken}` });
    c.ws.send(JSON.stringify({ id: 'big', type: 'subscribe', payload: { query: `{ __typename } #${'x'.repeat(100_000)}` } }));
    expect((await c.closed).code).toBe(1009);
    await wellBehaved();
  });
});
