import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { signUp } from './helpers/factories.js';
import { errorCode, gql, until } from './helpers/graphql.js';
import { restClient, type RestClient } from './helpers/http.js';
import { startServer, type TestServer } from './helpers/server.js';
import { EndLiveSessionDocument, SendLiveAudioDocument, SendLiveTextDocument } from './generated/graphql.js';

/**
 * Live through its service: the realtime socket and GraphQL call the same LiveService API
 * (sendText, sendAudio, end), so they refuse the same input the same way, and an end reason
 * outside the closed set is refused on every door and never becomes a metric label.
 */
let server: TestServer;
let api: RestClient;

beforeAll(async () => {
  server = await startServer({ LIVE_MIN_START_SECONDS: '1' });
  api = restClient(server.url);
});
afterAll(() => server.close());

interface Frame {
  type: string;
  data: any;
}

async function socket(token: string) {
  const ws = new WebSocket(`${server.wsUrl}/api/live/ws?token=${token}`);
  const frames: Frame[] = [];
  ws.on('message', (d) => frames.push(JSON.parse((d as Buffer).toString()) as Frame));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const send = (type: string, data: unknown) => ws.send(JSON.stringify({ type, data }));
  /** The next frame of `type` after the `seen` first ones. */
  const next = async (type: string, seen: number): Promise<Frame> => {
    await until(() => frames.slice(seen).some((f) => f.type === type));
    return frames.slice(seen).find((f) => f.type === type)!;
  };
  return { ws, frames, send, next };
}

const start = async (token: string) => (await api.post('/api/live/session/start', { session_type: 'voice' }, { token })).body.session_id as string;

const scrape = async () => (await fetch(`${server.url}/metrics`)).text();

describe('one LiveService API for the socket and GraphQL', () => {
  const BAD_TEXTS: [string, string, RegExp][] = [
    ['blank', '   ', /must not be empty/],
    ['too long', 'x'.repeat(4001), /at most 4000 characters/],
    ['a NUL character', 'hello\u0000there', /NUL/],
  ];

  it.each(BAD_TEXTS)('refuses %s text with the same code and field message on both doors, storing nothing', async (_name, text, message) => {
    const u = await signUp(api);
    const sessionId = await start(u.accessToken);
    const c = await socket(u.accessToken);
    try {
      c.send('start-session', { session_id: sessionId });
      await c.next('session-started', 0);

      const seen = c.frames.length;
      c.send('audio-input', { text, final: true });
      const fromSocket = (await c.next('error', seen)).data as { error: string; fields?: { loc: string[]; message: string }[] };

      const viaText = await gql(server.url, SendLiveTextDocument, { input: { sessionId, text } }, u.accessToken);
      const viaAudio = await gql(server.url, SendLiveAudioDocument, { input: { sessionId, text, final: true } }, u.accessToken);

      expect(fromSocket.error).toBe('validation_error');
      expect(errorCode(viaText)).toBe('validation_error');
      expect(errorCode(viaAudio)).toBe('validation_error');
      const socketField = fromSocket.fields?.find((f) => f.loc.at(-1) === 'text');
      expect(socketField?.message).toMatch(message);
      const gqlFields = (r: { errors?: typeof viaText.errors }) => (r.errors?.[0]?.extensions?.fields ?? []) as { path: string[]; message: string }[];
      expect(gqlFields(viaText).find((f) => f.path.at(-1) === 'text')?.message).toBe(socketField?.message);
      expect(gqlFields(viaAudio).find((f) => f.path.at(-1) === 'text')?.message).toBe(socketField?.message);

      // Nothing was said: no transcript, and the session is still running.
      expect((await api.get('/api/live/transcripts', { token: u.accessToken })).body).toEqual([]);
      expect((await api.get('/api/live/quota', { token: u.accessToken })).body.active_session_id).toBe(sessionId);
      expect(c.ws.readyState).toBe(WebSocket.OPEN);
    } finally {
      c.ws.close();
      await api.post('/api/live/session/end', { session_id: sessionId }, { token: u.accessToken });
    }
  });

  it('takes the same good text on both doors', async () => {
    const u = await signUp(api);
    const sessionId = await start(u.accessToken);
    const c = await socket(u.accessToken);
    try {
      c.send('start-session', { session_id: sessionId });
      await c.next('session-started', 0);
      c.send('audio-input', { text: '  Hello from the socket.  ', final: true });
      await until(() => c.frames.some((f) => f.type === 'audio-response' && f.data.final));
      const sent = await gql(server.url, SendLiveTextDocument, { input: { sessionId, text: '  Hello from GraphQL.  ' } }, u.accessToken);
      expect(sent.errors).toBeUndefined();
      const list = await api.get('/api/live/transcripts', { token: u.accessToken });
      const t = await api.get(`/api/live/transcripts/${list.body[0].id}`, { token: u.accessToken });
      const turns = (t.body.transcripts as { role: string; text: string }[]).filter((x) => x.role === 'user').map((x) => x.text);
      // Trimmed the same way, whichever door.
      expect(turns).toEqual(['Hello from the socket.', 'Hello from GraphQL.']);
    } finally {
      c.ws.close();
      await api.post('/api/live/session/end', { session_id: sessionId }, { token: u.accessToken });
    }
  });
});

describe('ending with a reason', () => {
  const ARBITRARY = 'pwned_label_1234';

  it('refuses a reason outside the closed set on the socket: nothing settled, and it never becomes a metric label', async () => {
    const u = await signUp(api);
    const c = await socket(u.accessToken);
    c.send('start-session', { session_type: 'voice' });
    const started = await c.next('session-started', 0);
    const sessionId = started.data.session_id as string;

    const seen = c.frames.length;
    c.send('end-session', { reason: ARBITRARY });
    const refused = await c.next('error', seen);
    expect(refused.data.error).toBe('validation_error');
    expect(refused.data.fields).toEqual([expect.objectContaining({ loc: expect.arrayContaining(['reason']) })]);
    // Nothing settled: the session runs on and the socket stays open.
    expect(c.frames.some((f) => f.type === 'session-ended')).toBe(false);
    expect((await api.get('/api/live/quota', { token: u.accessToken })).body.active_session_id).toBe(sessionId);
    expect(c.ws.readyState).toBe(WebSocket.OPEN);

    // The other doors refuse it too.
    const rest = await api.post('/api/live/session/end', { session_id: sessionId, reason: ARBITRARY }, { token: u.accessToken });
    expect(rest.status).toBe(400);
    expect(rest.body.detail.error).toBe('validation_error');
    const viaGql = await gql(server.url, EndLiveSessionDocument, { input: { sessionId, reason: ARBITRARY as never } }, u.accessToken);
    expect(viaGql.errors?.length).toBeGreaterThan(0);
    expect((await api.get('/api/live/quota', { token: u.accessToken })).body.active_session_id).toBe(sessionId);

    // A reason of the set ends it, through LiveService.end.
    const before = c.frames.length;
    c.send('end-session', { reason: 'client' });
    const ended = await c.next('session-ended', before);
    expect(ended.data).toMatchObject({ reason: 'client' });
    expect((await api.get('/api/live/quota', { token: u.accessToken })).body.active_session_id).toBeNull();

    const metrics = await scrape();
    expect(metrics).not.toContain(ARBITRARY);
    const reasons = [...metrics.matchAll(/^xentree_live_sessions_ended_total\{reason="([^"]*)"\}/gm)].map((m) => m[1]);
    expect(reasons).toContain('client');
    for (const r of reasons) expect(['client', 'disconnected', 'idle', 'max_duration', 'quota_exceeded', 'revoked']).toContain(r);
  });
});
