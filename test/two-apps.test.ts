import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from './helpers/factories.js';
import { gql } from './helpers/graphql.js';
import { restClient } from './helpers/http.js';
import { startServer, type TestServer } from './helpers/server.js';
import { AMERICAN_ESSAY } from './helpers/xel-essays.js';
import { SendLiveTextDocument, StartLiveSessionDocument } from './generated/graphql.js';

/**
 * No process-wide state: two gateways built in one process with different settings each
 * behave by their own (the grammar checker's dialect, the live voice), and closing one
 * leaves the other working.
 */

/** An OpenAI-compatible /audio/speech that records what it was asked. */
async function startFakeVoice() {
  const asked: { voice: string; model: string }[] = [];
  const tone = Buffer.alloc(4800); // 0.1 s of 24 kHz 16-bit mono
  const server = createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      if (req.url !== '/v1/audio/speech') return void res.writeHead(404).end();
      asked.push(JSON.parse(Buffer.concat(chunks).toString()) as { voice: string; model: string });
      res.writeHead(200, { 'content-type': 'audio/pcm' });
      res.end(tone);
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/v1`, asked, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('two apps in one process', () => {
  it('check grammar each in its own XEL_DIALECT', async () => {
    const [american, british] = [await startServer({ XEL_DIALECT: 'american' }), await startServer({ XEL_DIALECT: 'british' })];
    try {
      const corrections = async (s: TestServer) => {
        const api = restClient(s.url);
        const u = await signUp(api);
        const r = await api.post('/api/xel/evaluate', { kind: 'writing', text: AMERICAN_ESSAY, prompt: 'Has technology changed the way students learn? Give your opinion.', level: 'B2' }, { token: u.accessToken });
        expect(r.status).toBe(200);
        return (r.body.corrections as { text: string }[]).map((c) => c.text);
      };
      // The British checker shows American spellings as corrections; the American one does not.
      const [us, uk] = await Promise.all([corrections(american), corrections(british)]);
      expect(uk).toEqual(expect.arrayContaining(['behavior', 'favorite']));
      expect(us).not.toContain('behavior');
      expect(us).not.toContain('favorite');
      // Closing one app stops its checker only: the other still answers, in its dialect.
      await american.close();
      expect(await corrections(british)).toEqual(uk);
    } finally {
      await american.close();
      await british.close();
    }
  }, 180_000);

  describe('speak each with its own voice', () => {
    let fake: Awaited<ReturnType<typeof startFakeVoice>>;
    let nova: TestServer;
    let echo: TestServer;
    beforeAll(async () => {
      fake = await startFakeVoice();
      nova = await startServer({ TTS_BASE_URL: fake.url, TTS_MODEL: 'tts-a', TTS_VOICE: 'nova' });
      echo = await startServer({ TTS_BASE_URL: fake.url, TTS_MODEL: 'tts-b', TTS_VOICE: 'echo' });
    });
    afterAll(async () => {
      await nova?.close();
      await echo?.close();
      await fake?.close();
    });

    it('asks the speech endpoint for the voice and model of the app the turn went through', async () => {
      const turn = async (s: TestServer) => {
        const u = await signUp(restClient(s.url));
        const started = await gql(s.url, StartLiveSessionDocument, { input: { sessionType: 'VOICE' } }, u.accessToken);
        const sessionId = started.data!.startLiveSession.session.id;
        const before = fake.asked.length;
        const sent = await gql(s.url, SendLiveTextDocument, { input: { sessionId, text: 'Say something short.' } }, u.accessToken);
        expect(sent.errors).toBeUndefined();
        return fake.asked.slice(before);
      };
      const a = await turn(nova);
      const b = await turn(echo);
      expect(a.length).toBeGreaterThan(0);
      expect(b.length).toBeGreaterThan(0);
      expect(new Set(a.map((x) => `${x.model}/${x.voice}`))).toEqual(new Set(['tts-a/nova']));
      expect(new Set(b.map((x) => `${x.model}/${x.voice}`))).toEqual(new Set(['tts-b/echo']));
    });
  });
});
