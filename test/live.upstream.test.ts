import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from './helpers/factories.js';
import { startFakeOpenAI, type FakeAi } from './helpers/fake-ai.js';
import { restClient, type RestClient } from './helpers/http.js';
import { startServer, type TestServer } from './helpers/server.js';

/**
 * Speech endpoints: speech to text answers `state.transcript`; text to speech fails while
 * `failing` is set, else answers `speechBytes` of silence (0.1 s).
 */
async function startFakeSpeech() {
  const state = { failing: false, transcript: 'Hello there', speechBytes: 4800 };
  const server = createServer((req, res) => {
    void (async () => {
      for await (const _ of req) void _;
      if (req.url === '/v1/audio/transcriptions') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ text: state.transcript }));
        return;
      }
      if (state.failing) {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'voice overloaded' } }));
        return;
      }
      res.writeHead(200, { 'content-type': 'audio/pcm' });
      const chunk = Buffer.alloc(Math.min(state.speechBytes, 1024 * 1024));
      for (let sent = 0; sent < state.speechBytes && !res.destroyed; sent += chunk.length) {
        if (!res.write(chunk)) await new Promise((r) => (res.once('drain', r), res.once('close', r)));
      }
      res.end();
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/v1`,
    state,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

let openai: FakeAi;
let tts: Awaited<ReturnType<typeof startFakeSpeech>>;
let server: TestServer;
let api: RestClient;

beforeAll(async () => {
  openai = await startFakeOpenAI();
  tts = await startFakeSpeech();
  server = await startServer({
    OPENAI_BASE_URL: openai.url,
    OPENAI_API_KEY: 'sk-test',
    OPENAI_MODELS: 'gpt-test',
    AI_MAX_RETRIES: '1',
    AI_RETRY_BASE_MS: '1',
    TTS_BASE_URL: tts.url,
    STT_BASE_URL: tts.url,
  });
  api = restClient(server.url);
});
afterAll(async () => {
  await server.close();
  await openai.close();
  await tts.close();
});

async function sendLiveText(token: string, sessionId: string, text: string) {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: 'mutation($s: ID!, $t: String!) { sendLiveText(input: { sessionId: $s, text: $t }) { turnId } }', variables: { s: sessionId, t: text } }),
  });
  return (await res.json()) as { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}

describe('a live turn whose upstream fails or misbehaves', () => {
  it('answers upstream_unavailable when the AI provider fails, and the session takes the next turn', async () => {
    const u = await signUp(api);
    const started = await api.post('/api/live/session/start', { session_type: 'voice' }, { token: u.accessToken });
    expect(started.status).toBe(201);
    const sessionId = started.body.session_id as string;

    openai.enqueue({ kind: 'status', status: 503 }, { kind: 'status', status: 503 });
    const failed = await sendLiveText(u.accessToken, sessionId, 'Hello there');
    expect(failed.errors?.[0]?.extensions).toMatchObject({ code: 'upstream_unavailable', provider: 'openai' });
    expect(failed.errors?.[0]?.message).toMatch(/OpenAI-compatible failed with 503/);

    const next = await sendLiveText(u.accessToken, sessionId, 'Hello again');
    expect(next.errors).toBeUndefined();
  });

  it('answers upstream_unavailable when the text-to-speech endpoint fails', async () => {
    const u = await signUp(api);
    const started = await api.post('/api/live/session/start', { session_type: 'voice' }, { token: u.accessToken });
    const sessionId = started.body.session_id as string;

    tts.state.failing = true;
    try {
      const failed = await sendLiveText(u.accessToken, sessionId, 'Hello there');
      expect(failed.errors?.[0]?.extensions?.code).toBe('upstream_unavailable');
      expect(failed.errors?.[0]?.message).toMatch(/^Text to speech failed: the text-to-speech endpoint answered 503: voice overloaded/);
    } finally {
      tts.state.failing = false;
    }
    expect((await sendLiveText(u.accessToken, sessionId, 'Hello again')).errors).toBeUndefined();
  });

  it('answers upstream_unavailable when the text-to-speech endpoint sends more audio than a sentence can take, reading no further', async () => {
    const u = await signUp(api);
    const started = await api.post('/api/live/session/start', { session_type: 'voice' }, { token: u.accessToken });
    const sessionId = started.body.session_id as string;

    tts.state.speechBytes = 40 * 1024 * 1024;
    try {
      const failed = await sendLiveText(u.accessToken, sessionId, 'Hello there');
      expect(failed.errors?.[0]?.extensions?.code).toBe('upstream_unavailable');
      expect(failed.errors?.[0]?.message).toBe('Text to speech failed: the text-to-speech endpoint answered more than 28800000 bytes');
    } finally {
      tts.state.speechBytes = 4800;
    }
    expect((await sendLiveText(u.accessToken, sessionId, 'Hello again')).errors).toBeUndefined();
  });

  it('drops the NUL characters speech to text sends, which the stored transcript cannot hold', async () => {
    const u = await signUp(api);
    const started = await api.post('/api/live/session/start', { session_type: 'voice' }, { token: u.accessToken });
    const sessionId = started.body.session_id as string;
    tts.state.transcript = 'Good\u0000 morning\u0000';
    try {
      const res = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${u.accessToken}` },
        body: JSON.stringify({
          query: 'mutation($s: ID!, $a: String!) { sendLiveAudio(input: { sessionId: $s, audio: $a, final: true }) { turnId transcript { turns { edges { node { role text } } } } } }',
          variables: { s: sessionId, a: Buffer.alloc(4800, 1).toString('base64') },
        }),
      });
      const body = (await res.json()) as { data?: any; errors?: unknown[] };
      expect(body.errors).toBeUndefined();
      expect(body.data.sendLiveAudio.transcript.turns.edges[0].node).toEqual({ role: 'USER', text: 'Good morning' });
    } finally {
      tts.state.transcript = 'Hello there';
    }
  });

  it('refuses a speech-to-text transcript longer than a turn may be, storing nothing of it', async () => {
    const u = await signUp(api);
    const started = await api.post('/api/live/session/start', { session_type: 'voice' }, { token: u.accessToken });
    const sessionId = started.body.session_id as string;
    const audio = Buffer.alloc(4800, 1).toString('base64');
    const send = async () => {
      const res = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${u.accessToken}` },
        body: JSON.stringify({
          query: 'mutation($s: ID!, $a: String!) { sendLiveAudio(input: { sessionId: $s, audio: $a, final: true }) { transcript { turns { edges { node { role text } } } } } }',
          variables: { s: sessionId, a: audio },
        }),
      });
      return (await res.json()) as { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] };
    };
    tts.state.transcript = 'word '.repeat(1000);
    try {
      const refused = await send();
      expect(refused.errors?.[0]?.extensions?.code).toBe('upstream_unavailable');
      expect(refused.errors?.[0]?.message).toMatch(/^Speech to text failed: the speech-to-text endpoint answered 4999 characters, more than a turn's 4000/);
    } finally {
      tts.state.transcript = 'Hello there';
    }
    const next = await send();
    expect(next.errors).toBeUndefined();
    expect(next.data.sendLiveAudio.transcript.turns.edges.map((e: any) => e.node)).toEqual([
      { role: 'USER', text: 'Hello there' },
      { role: 'AI', text: expect.any(String) },
    ]);
  });
});
