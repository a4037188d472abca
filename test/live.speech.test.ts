import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { signUp } from './helpers/factories.js';
import { restClient } from './helpers/http.js';
import { startServer, type TestServer } from './helpers/server.js';
import { eventually, WAIT_MS } from './helpers/wait.js';

/** A local OpenAI-compatible speech server: /audio/transcriptions (multipart WAV) and /audio/speech (raw PCM). */
async function startFakeSpeech() {
  const seen: { path: string; contentType: string; body: Buffer }[] = [];
  let failTranscription = false;
  const tone = Buffer.alloc(24_000); // 0.5 s of 24 kHz 16-bit mono
  for (let i = 0; i < tone.length / 2; i++) tone.writeInt16LE(Math.round(Math.sin((i / 24_000) * 2 * Math.PI * 220) * 8000), i * 2);
  const server = createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = Buffer.concat(chunks);
      seen.push({ path: req.url ?? '', contentType: req.headers['content-type'] ?? '', body });
      if (req.url === '/v1/audio/transcriptions') {
        if (failTranscription) {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { message: 'model crashed' } }));
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ text: 'what grows on sunny windowsills' }));
        return;
      }
      if (req.url === '/v1/audio/speech') {
        res.writeHead(200, { 'content-type': 'audio/pcm' });
        res.end(tone);
        return;
      }
      res.writeHead(404).end();
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/v1`,
    seen,
    failNext: () => (failTranscription = true),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

let fake: Awaited<ReturnType<typeof startFakeSpeech>>;
let server: TestServer;

beforeAll(async () => {
  fake = await startFakeSpeech();
  server = await startServer({ STT_BASE_URL: fake.url, STT_MODEL: 'whisper-test', TTS_BASE_URL: fake.url, TTS_MODEL: 'tts-test', TTS_VOICE: 'nova' });
});
afterAll(async () => {
  await server.close();
  await fake.close();
});

describe('speech adapters on the realtime socket', () => {
  it('transcribes the turn\'s audio, answers, and speaks through the OpenAI-compatible endpoints', async () => {
    const api = restClient(server.url);
    const u = await signUp(api);
    await api.post('/api/core/notes', { title: 'Herbs', content: 'Basil grows on sunny windowsills.' }, { token: u.accessToken });
    const ws = new WebSocket(`${server.wsUrl}/api/live/ws?token=${u.accessToken}`);
    const frames: { type: string; data: any }[] = [];
    ws.on('message', (d) => frames.push(JSON.parse((d as Buffer).toString())));
    await new Promise((r) => ws.once('open', r));
    const waitFor = (pred: (f: { type: string; data: any }) => boolean) => eventually(() => frames.find(pred), WAIT_MS, `a frame (got ${frames.map((f) => f.type).join(', ')})`);
    ws.send(JSON.stringify({ type: 'start-session', data: { session_type: 'voice', language: 'en' } }));
    await waitFor((f) => f.type === 'session-started');
    const speech = Buffer.alloc(48_000, 1);
    ws.send(JSON.stringify({ type: 'audio-input', data: { audio: speech.subarray(0, 24_000).toString('base64') } }));
    ws.send(JSON.stringify({ type: 'audio-input', data: { audio: speech.subarray(24_000).toString('base64'), final: true } }));
    const userTurn = await waitFor((f) => f.type === 'transcript' && f.data.role === 'user');
    expect(userTurn.data.text).toBe('what grows on sunny windowsills');
    const final = await waitFor((f) => f.type === 'audio-response' && f.data.final);
    expect(final.data.text).toContain('Basil grows on sunny windowsills');

    const upload = fake.seen.find((s) => s.path === '/v1/audio/transcriptions')!;
    expect(upload.contentType).toMatch(/^multipart\/form-data/);
    const riff = upload.body.indexOf('RIFF');
    expect(riff).toBeGreaterThan(0);
    expect(upload.body.readUInt32LE(riff + 24)).toBe(24_000);
    expect(upload.body.readUInt32LE(riff + 40)).toBe(48_000);
    expect(upload.body.toString('latin1')).toContain('whisper-test');
    const tts = fake.seen.filter((s) => s.path === '/v1/audio/speech').map((s) => JSON.parse(s.body.toString()));
    expect(tts[0]).toMatchObject({ model: 'tts-test', voice: 'nova', response_format: 'pcm' });
    const pcm = Buffer.concat(frames.filter((f) => f.type === 'audio-response').map((f) => Buffer.from(f.data.audio, 'base64')));
    expect(pcm.length).toBe(24_000 * tts.length);

    fake.failNext();
    ws.send(JSON.stringify({ type: 'audio-input', data: { audio: speech.toString('base64'), final: true } }));
    const err = await waitFor((f) => f.type === 'error');
    expect(err.data).toMatchObject({ error: 'upstream_unavailable' });
    expect(err.data.message).toMatch(/Speech to text failed: the speech-to-text endpoint answered 500: model crashed/);
    ws.close();
  });
});

describe('the live reply', () => {
  it('addresses the user by their nickname and speaks their language, through the configured model', async () => {
    const { startFakeOpenAI } = await import('./helpers/fake-ai.js');
    const ai = await startFakeOpenAI();
    const s = await startServer({ OPENAI_BASE_URL: ai.url, OPENAI_MODELS: 'gpt-live' });
    try {
      const c = restClient(s.url);
      const u = await signUp(c);
      await c.patch('/api/live/nickname', { nickname: 'Ana' }, { token: u.accessToken });
      ai.enqueue({ kind: 'answer', tokens: ['Olá Ana', ', tudo bem?'] });
      const ws = new WebSocket(`${s.wsUrl}/api/live/ws?token=${u.accessToken}`);
      const frames: { type: string; data: any }[] = [];
      ws.on('message', (d) => frames.push(JSON.parse((d as Buffer).toString())));
      await new Promise((r) => ws.once('open', r));
      ws.send(JSON.stringify({ type: 'start-session', data: { session_type: 'voice', language: 'pt' } }));
      ws.send(JSON.stringify({ type: 'audio-input', data: { text: 'Oi!', final: true } }));
      const final = await eventually(() => frames.find((f) => f.type === 'audio-response' && f.data.final));
      expect(final?.data.text).toBe('Olá Ana, tudo bem?');
      const sent = ai.requests.find((r) => r.path === '/v1/chat/completions')!;
      expect(sent.body.messages[0].content).toContain("The user's name is Ana");
      expect(sent.body.messages[0].content).toContain('"pt"');
      ws.close();
    } finally {
      await s.close();
      await ai.close();
    }
  });
});
