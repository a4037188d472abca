import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EndLiveSessionDocument, LiveSessionEventsDocument, SendLiveTextDocument, StartLiveSessionDocument } from './generated/graphql.js';
import { signUp } from './helpers/factories.js';
import { errorCode, gql, subscribe, wsClient } from './helpers/graphql.js';
import { restClient, type RestClient } from './helpers/http.js';
import { startServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let api: RestClient;

beforeAll(async () => {
  server = await startServer();
  api = restClient(server.url);
});
afterAll(() => server.close());

describe('live sessions through GraphQL (graphql-ws)', () => {
  for (const sessionType of ['voice', 'avatar'] as const) {
    it(`runs a ${sessionType} session end to end: text in, transcript, spoken audio${sessionType === 'avatar' ? ' and expressions' : ''} out`, async () => {
      const u = await signUp(api);
      await api.post('/api/core/notes', { title: 'Tides', content: 'High tide at the harbour is at six.' }, { token: u.accessToken });
      const started = await gql(server.url, StartLiveSessionDocument, { sessionType }, u.accessToken);
      const id = started.data!.startLiveSession.session.id;
      const { client } = wsClient(server.wsUrl, { Authorization: `Bearer ${u.accessToken}` });
      const sub = subscribe(client, LiveSessionEventsDocument, { sessionId: id });
      try {
        await new Promise((r) => setTimeout(r, 200));
        const sent = await gql(server.url, SendLiveTextDocument, { sessionId: id, text: 'When is high tide at the harbour?' }, u.accessToken);
        expect(sent.errors).toBeUndefined();
        const events = () => sub.received.map((r) => r.data!.liveSessionEvents);
        for (let i = 0; i < 200 && !events().some((e) => e.__typename === 'LiveTranscriptTurn' && e.role === 'ai'); i++) await new Promise((r) => setTimeout(r, 20));
        const all = events();
        const kinds = [...new Set(all.map((e) => e.__typename))];
        expect(kinds).toContain('LiveTranscriptTurn');
        expect(kinds).toContain('LiveAudioResponse');
        expect(kinds.includes('LiveAvatarExpression')).toBe(sessionType === 'avatar');
        const audio = all.filter((e): e is Extract<typeof e, { __typename: 'LiveAudioResponse' }> => e.__typename === 'LiveAudioResponse');
        expect(audio.map((a) => a.seq)).toEqual(audio.map((_, i) => i));
        expect(audio.at(-1)!.final).toBe(true);
        expect(audio.at(-1)!.text).toContain('High tide at the harbour is at six');
        const pcm = Buffer.concat(audio.map((a) => Buffer.from(a.audio, 'base64')));
        expect(pcm.length / 2 / 24_000).toBeGreaterThan(1);
        let energy = 0;
        for (let i = 0; i < pcm.length / 2; i++) energy += Math.abs(pcm.readInt16LE(i * 2));
        expect(energy / (pcm.length / 2)).toBeGreaterThan(200);
        const turns = all.filter((e) => e.__typename === 'LiveTranscriptTurn').map((e) => (e as { role: string }).role);
        expect(turns).toEqual(['user', 'ai']);
        await gql(server.url, EndLiveSessionDocument, { sessionId: id }, u.accessToken);
        const stored = await api.get('/api/live/transcripts', { token: u.accessToken });
        expect(stored.body[0]).toMatchObject({ session_id: id, turn_count: 2 });
      } finally {
        sub.unsubscribe();
        await client.dispose();
      }
    });
  }

  it('refuses text for someone else\'s session, or an ended one', async () => {
    const u = await signUp(api);
    const other = await signUp(api);
    const started = await gql(server.url, StartLiveSessionDocument, { sessionType: 'voice' }, u.accessToken);
    const id = started.data!.startLiveSession.session.id;
    expect(errorCode(await gql(server.url, SendLiveTextDocument, { sessionId: id, text: 'hi' }, other.accessToken))).toBe('not_found');
    expect(errorCode(await gql(server.url, SendLiveTextDocument, { sessionId: id, text: '  ' }, u.accessToken))).toBe('validation_error');
    await gql(server.url, EndLiveSessionDocument, { sessionId: id }, u.accessToken);
    expect(errorCode(await gql(server.url, SendLiveTextDocument, { sessionId: id, text: 'hi' }, u.accessToken))).toBe('conflict');
  });
});

describe('audio through GraphQL', () => {
  it('buffers chunks until final and needs words without speech-to-text', async () => {
    const { SendLiveAudioDocument } = await import('./generated/graphql.js');
    const u = await signUp(api);
    const started = await gql(server.url, StartLiveSessionDocument, { sessionType: 'voice' }, u.accessToken);
    const id = started.data!.startLiveSession.session.id;
    const chunk = Buffer.alloc(9600, 3).toString('base64');
    expect((await gql(server.url, SendLiveAudioDocument, { sessionId: id, audio: chunk }, u.accessToken)).data?.sendLiveAudio).toBe(true);
    const noStt = await gql(server.url, SendLiveAudioDocument, { sessionId: id, audio: chunk, final: true }, u.accessToken);
    expect(errorCode(noStt)).toBe('validation_error');
    expect(noStt.errors?.[0]?.message).toMatch(/speech-to-text/);
    const tooBig = await gql(server.url, SendLiveAudioDocument, { sessionId: id, audio: Buffer.alloc(200_000).toString('base64') }, u.accessToken);
    expect(errorCode(tooBig)).toBe('validation_error');
    const withText = await gql(server.url, SendLiveAudioDocument, { sessionId: id, audio: chunk, final: true, text: 'hello' }, u.accessToken);
    expect(withText.data?.sendLiveAudio).toBe(true);
    const transcripts = await api.get('/api/live/transcripts', { token: u.accessToken });
    expect(transcripts.body[0]).toMatchObject({ session_id: id, turn_count: 2, preview: 'hello' });
    await gql(server.url, EndLiveSessionDocument, { sessionId: id }, u.accessToken);
  });
});
