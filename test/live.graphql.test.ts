import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EndLiveSessionDocument,
  LiveHeartbeatDocument,
  LiveNodeDocument,
  LiveQuotaDocument,
  LiveSessionDocument,
  LiveSessionEventsDocument,
  LiveTranscriptDocument,
  LiveTranscriptsDocument,
  LiveTranscriptTurnsDocument,
  SaveLiveTranscriptDocument,
  SendLiveAudioDocument,
  SendLiveTextDocument,
  SetLiveNicknameDocument,
  StartLiveSessionDocument,
} from './generated/graphql.js';
import { signUp } from './helpers/factories.js';
import { errorCode, gql, subscribe, until, wsClient } from './helpers/graphql.js';
import { restClient, type RestClient } from './helpers/http.js';
import { listening, received } from './helpers/live.js';
import { makeCast, makeKey, makeOrg } from './helpers/orgs.js';
import { startServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let api: RestClient;

beforeAll(async () => {
  server = await startServer();
  api = restClient(server.url);
});
afterAll(() => server.close());

describe('live sessions through GraphQL (graphql-ws)', () => {
  for (const sessionType of ['VOICE', 'AVATAR'] as const) {
    it(`runs a ${sessionType.toLowerCase()} session end to end: text in, transcript, spoken audio${sessionType === 'AVATAR' ? ' and expressions' : ''} out`, async () => {
      const u = await signUp(api);
      await api.post('/api/core/notes', { title: 'Tides', content: 'High tide at the harbour is at six.' }, { token: u.accessToken });
      const started = await gql(server.url, StartLiveSessionDocument, { input: { sessionType } }, u.accessToken);
      expect(started.errors).toBeUndefined();
      const id = started.data!.startLiveSession.session.id;
      expect(started.data!.startLiveSession.quota.activeSession).toEqual({ id, status: 'ACTIVE' });
      const { client } = wsClient(server.wsUrl, { Authorization: `Bearer ${u.accessToken}` });
      const sub = subscribe(client, LiveSessionEventsDocument, { sessionId: id });
      try {
        await listening(server, sub, id, u.user.id);
        const sent = await gql(server.url, SendLiveTextDocument, { input: { sessionId: id, text: 'When is high tide at the harbour?' } }, u.accessToken);
        expect(sent.errors).toBeUndefined();
        // The answer carries what the turn changed: the transcript with both turns, and the reply's id.
        const turn = sent.data!.sendLiveText;
        expect(turn.session).toMatchObject({ id, status: 'ACTIVE' });
        expect(turn.transcript).toMatchObject({ sessionId: id, turnCount: 2, preview: 'When is high tide at the harbour?' });
        expect(turn.transcript.transcripts.map((t) => t.role)).toEqual(['USER', 'AI']);
        const events = () => received(sub).map((r) => r.data!.liveSessionEvents);
        await until(() => events().some((e) => e.__typename === 'LiveTranscriptTurn' && e.role === 'AI'));
        const all = events();
        const kinds = [...new Set(all.map((e) => e.__typename))];
        expect(kinds).toContain('LiveTranscriptTurn');
        expect(kinds).toContain('LiveAudioResponse');
        expect(kinds.includes('LiveAvatarExpression')).toBe(sessionType === 'AVATAR');
        const audio = all.filter((e): e is Extract<typeof e, { __typename: 'LiveAudioResponse' }> => e.__typename === 'LiveAudioResponse');
        expect(audio.map((a) => a.seq)).toEqual(audio.map((_, i) => i));
        expect(new Set(audio.map((a) => a.turnId))).toEqual(new Set([turn.turnId]));
        expect(audio.at(-1)!.final).toBe(true);
        expect(audio.at(-1)!.text).toContain('High tide at the harbour is at six');
        const pcm = Buffer.concat(audio.map((a) => Buffer.from(a.audio, 'base64')));
        expect(pcm.length / 2 / 24_000).toBeGreaterThan(1);
        let energy = 0;
        for (let i = 0; i < pcm.length / 2; i++) energy += Math.abs(pcm.readInt16LE(i * 2));
        expect(energy / (pcm.length / 2)).toBeGreaterThan(200);
        const turns = all.filter((e) => e.__typename === 'LiveTranscriptTurn').map((e) => (e as { role: string }).role);
        expect(turns).toEqual(['USER', 'AI']);
        if (sessionType === 'AVATAR') {
          const faces = all.filter((e): e is Extract<typeof e, { __typename: 'LiveAvatarExpression' }> => e.__typename === 'LiveAvatarExpression');
          expect(faces.every((f) => f.visemes.at(-1)!.viseme === 'SIL')).toBe(true);
        }
        const ended = await gql(server.url, EndLiveSessionDocument, { input: { sessionId: id } }, u.accessToken);
        expect(ended.data!.endLiveSession.session).toMatchObject({ id, status: 'ENDED', endReason: 'CLIENT' });
        expect(ended.data!.endLiveSession.quota.activeSession).toBeNull();
        expect(ended.data!.endLiveSession.query.liveQuota.usedSeconds).toBe(ended.data!.endLiveSession.quota.usedSeconds);
        const stored = await api.get('/api/live/transcripts', { token: u.accessToken });
        expect(stored.body[0]).toMatchObject({ session_id: id, turn_count: 2 });
      } finally {
        sub.unsubscribe();
        await client.dispose();
      }
    });
  }

  it("refuses text for someone else's session, or an ended one", async () => {
    const u = await signUp(api);
    const other = await signUp(api);
    const started = await gql(server.url, StartLiveSessionDocument, { input: { sessionType: 'VOICE' } }, u.accessToken);
    const id = started.data!.startLiveSession.session.id;
    expect(errorCode(await gql(server.url, SendLiveTextDocument, { input: { sessionId: id, text: 'hi' } }, other.accessToken))).toBe('not_found');
    expect(errorCode(await gql(server.url, SendLiveTextDocument, { input: { sessionId: id, text: '  ' } }, u.accessToken))).toBe('validation_error');
    await gql(server.url, EndLiveSessionDocument, { input: { sessionId: id } }, u.accessToken);
    expect(errorCode(await gql(server.url, SendLiveTextDocument, { input: { sessionId: id, text: 'hi' } }, u.accessToken))).toBe('conflict');
  });
});

describe('turns sent at once', () => {
  it('keep every turn, in one transcript of the session', async () => {
    const u = await signUp(api);
    const started = await gql(server.url, StartLiveSessionDocument, { input: { sessionType: 'VOICE' } }, u.accessToken);
    const id = started.data!.startLiveSession.session.id;
    const sent = await Promise.all([1, 2, 3, 4].map((i) => gql(server.url, SendLiveTextDocument, { input: { sessionId: id, text: `Turn number ${i}` } }, u.accessToken)));
    for (const r of sent) expect(r.errors).toBeUndefined();
    const rows = await server.app.orm.em.fork().getConnection().execute('select turns from live_transcripts where session_id = ?', [id]);
    expect(rows).toHaveLength(1);
    const turns = (typeof rows[0]!.turns === 'string' ? JSON.parse(rows[0]!.turns) : rows[0]!.turns) as { role: string; text: string }[];
    expect(turns).toHaveLength(8);
    expect(turns.filter((t) => t.role === 'user').map((t) => t.text).sort()).toEqual(['Turn number 1', 'Turn number 2', 'Turn number 3', 'Turn number 4']);
  });
});

describe('audio through GraphQL', () => {
  it('buffers chunks until final and needs words without speech-to-text', async () => {
    const u = await signUp(api);
    const started = await gql(server.url, StartLiveSessionDocument, { input: { sessionType: 'VOICE' } }, u.accessToken);
    const id = started.data!.startLiveSession.session.id;
    const chunk = Buffer.alloc(9600, 3).toString('base64');
    const first = await gql(server.url, SendLiveAudioDocument, { input: { sessionId: id, audio: chunk } }, u.accessToken);
    expect(first.data?.sendLiveAudio).toMatchObject({ turnId: null, transcript: null, session: { id, status: 'ACTIVE' } });
    const noStt = await gql(server.url, SendLiveAudioDocument, { input: { sessionId: id, audio: chunk, final: true } }, u.accessToken);
    expect(errorCode(noStt)).toBe('validation_error');
    expect(noStt.errors?.[0]?.message).toMatch(/speech-to-text/);
    const tooBig = await gql(server.url, SendLiveAudioDocument, { input: { sessionId: id, audio: Buffer.alloc(200_000).toString('base64') } }, u.accessToken);
    expect(errorCode(tooBig)).toBe('validation_error');
    const withText = await gql(server.url, SendLiveAudioDocument, { input: { sessionId: id, audio: chunk, final: true, text: 'hello' } }, u.accessToken);
    expect(withText.data?.sendLiveAudio.turnId).toEqual(expect.any(String));
    expect(withText.data?.sendLiveAudio.transcript).toMatchObject({ sessionId: id, turnCount: 2, preview: 'hello' });
    const transcripts = await api.get('/api/live/transcripts', { token: u.accessToken });
    expect(transcripts.body[0]).toMatchObject({ session_id: id, turn_count: 2, preview: 'hello' });
    await gql(server.url, EndLiveSessionDocument, { input: { sessionId: id } }, u.accessToken);
  });
});

describe('the rest of the live schema', () => {
  it('heartbeats, ends with a reason, and answers the session, the quota and the transcripts by id and as nodes', async () => {
    const u = await signUp(api);
    const other = await signUp(api);
    const started = await gql(server.url, StartLiveSessionDocument, { input: { sessionType: 'VOICE', language: 'en', avatarId: 'fox-1' } }, u.accessToken);
    const { session, quota } = started.data!.startLiveSession;
    const beat = await gql(server.url, LiveHeartbeatDocument, { input: { sessionId: session.id } }, u.accessToken);
    expect(beat.data!.liveHeartbeat.session).toMatchObject({ id: session.id, status: 'ACTIVE', endReason: null, usedSeconds: null });
    expect(beat.data!.liveHeartbeat.quota).toMatchObject({ id: quota.id, activeSession: { id: session.id } });
    expect((await gql(server.url, LiveSessionDocument, { id: session.id }, u.accessToken)).data!.liveSession).toMatchObject({ id: session.id, sessionType: 'VOICE' });

    const ended = await gql(server.url, EndLiveSessionDocument, { input: { sessionId: session.id, reason: 'IDLE' } }, u.accessToken);
    expect(ended.data!.endLiveSession.session).toMatchObject({ status: 'ENDED', endReason: 'IDLE', usedSeconds: ended.data!.endLiveSession.usedSeconds });
    expect(ended.data!.endLiveSession.quota).toMatchObject({ id: quota.id, activeSession: null, usedSeconds: ended.data!.endLiveSession.usedSeconds });
    // REST says the same, in its own words.
    const rest = await api.post('/api/live/session/end', { session_id: session.id }, { token: u.accessToken });
    expect(rest.body).toMatchObject({ session_id: session.id, status: 'ended', end_reason: 'idle', session_type: 'voice' });
    const badReason = await api.post('/api/live/session/end', { session_id: session.id, reason: 'bored' }, { token: u.accessToken });
    expect(badReason.status).toBe(400);

    const now = Date.now();
    const saved = await gql(
      server.url,
      SaveLiveTranscriptDocument,
      {
        input: {
          sessionId: session.id,
          sessionStartedAt: new Date(now - 60_000).toISOString(),
          sessionEndedAt: new Date(now).toISOString(),
          transcripts: [
            { role: 'AI', text: 'And then?', timestamp: new Date(now - 10_000).toISOString() },
            { role: 'USER', text: 'Hello there', timestamp: new Date(now - 20_000).toISOString() },
          ],
        },
      },
      u.accessToken,
    );
    expect(saved.errors).toBeUndefined();
    const t = saved.data!.saveLiveTranscript.transcript;
    expect(t).toMatchObject({ sessionId: session.id, turnCount: 2, durationSeconds: 60, preview: 'Hello there', session: { id: session.id, status: 'ENDED' } });
    expect(t.transcripts.map((x) => x.role)).toEqual(['USER', 'AI']);
    const outside = await gql(
      server.url,
      SaveLiveTranscriptDocument,
      { input: { sessionStartedAt: new Date(now - 60_000).toISOString(), sessionEndedAt: new Date(now).toISOString(), transcripts: [{ role: 'USER', text: 'late', timestamp: new Date(now + 60_000).toISOString() }] } },
      u.accessToken,
    );
    expect(outside.errors?.[0]?.extensions).toMatchObject({ code: 'validation_error', fields: [{ path: ['transcripts', 0, 'timestamp'], message: 'is outside the session window' }] });
    // A window that ends before it starts: the message names no field in the other door's spelling.
    const reversed = await gql(
      server.url,
      SaveLiveTranscriptDocument,
      { input: { sessionStartedAt: new Date(now).toISOString(), sessionEndedAt: new Date(now - 60_000).toISOString(), transcripts: [] } },
      u.accessToken,
    );
    expect(reversed.errors?.[0]?.extensions).toMatchObject({ code: 'validation_error', fields: [{ path: ['sessionEndedAt'], message: 'must not be before the session\'s start' }] });

    const one = await gql(server.url, LiveTranscriptDocument, { id: t.id }, u.accessToken);
    expect(one.data!.liveTranscript).toMatchObject({ id: t.id, session: { id: session.id, endReason: 'IDLE' } });
    const list = await gql(server.url, LiveTranscriptsDocument, { first: 10 }, u.accessToken);
    expect(list.data!.liveTranscripts).toMatchObject({ totalCount: 1, edges: [{ node: { id: t.id, turns: { edges: [{ node: { role: 'USER' } }, { node: { role: 'AI' } }] } } }], pageInfo: { hasNextPage: false, hasPreviousPage: false } });
    // The deprecated one-list field costs what it can hold (2,000 turns): ten transcripts of it pass the limit.
    const costly = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${u.accessToken}` },
      body: JSON.stringify({ query: '{ liveTranscripts(first: 10) { edges { node { transcripts { text } } } } }' }),
    });
    expect(((await costly.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('query_too_costly');

    // Nodes: the owner's objects resolve, with the same rights as their own queries; anyone else's are null.
    for (const [id, typename] of [
      [session.id, 'LiveSession'],
      [t.id, 'LiveTranscript'],
      [quota.id, 'LiveQuota'],
    ] as const) {
      expect((await gql(server.url, LiveNodeDocument, { id }, u.accessToken)).data!.node).toMatchObject({ __typename: typename, id });
      const foreign = await gql(server.url, LiveNodeDocument, { id }, other.accessToken);
      expect(foreign.errors).toBeUndefined();
      expect(foreign.data!.node).toBeNull();
    }
    const foreignSession = await gql(server.url, LiveSessionDocument, { id: session.id }, other.accessToken);
    expect(foreignSession.errors).toBeUndefined();
    expect(foreignSession.data).toEqual({ liveSession: null });
    const foreignTranscript = await gql(server.url, LiveTranscriptDocument, { id: t.id }, other.accessToken);
    expect(foreignTranscript.errors).toBeUndefined();
    expect(foreignTranscript.data).toEqual({ liveTranscript: null });
    expect((await gql(server.url, LiveQuotaDocument, {}, other.accessToken)).data!.liveQuota.id).not.toBe(quota.id);
  });

  it('pages a transcript\'s turns as a connection, oldest first, forward and backward', async () => {
    const u = await signUp(api);
    const now = Date.now();
    const turns = ['one', 'two', 'three', 'four', 'five'].map((text, i) => ({ role: i % 2 ? 'AI' : 'USER', text, timestamp: new Date(now - 50_000 + i * 1000).toISOString() }) as const);
    const saved = await gql(
      server.url,
      SaveLiveTranscriptDocument,
      { input: { sessionStartedAt: new Date(now - 60_000).toISOString(), sessionEndedAt: new Date(now).toISOString(), transcripts: turns } },
      u.accessToken,
    );
    expect(saved.errors).toBeUndefined();
    const id = saved.data!.saveLiveTranscript.transcript.id;
    const page = async (vars: { first?: number; after?: string; last?: number; before?: string }, token = u.accessToken) => gql(server.url, LiveTranscriptTurnsDocument, { id, ...vars }, token);
    const texts = (r: Awaited<ReturnType<typeof page>>) => r.data!.liveTranscript!.turns.edges.map((e) => e.node.text);

    const first = await page({ first: 2 });
    expect(first.errors).toBeUndefined();
    expect(texts(first)).toEqual(['one', 'two']);
    expect(first.data!.liveTranscript!.turns).toMatchObject({ totalCount: 5, pageInfo: { hasNextPage: true, hasPreviousPage: false } });
    const second = await page({ first: 2, after: first.data!.liveTranscript!.turns.pageInfo.endCursor! });
    expect(texts(second)).toEqual(['three', 'four']);
    const third = await page({ first: 2, after: second.data!.liveTranscript!.turns.pageInfo.endCursor! });
    expect(texts(third)).toEqual(['five']);
    expect(third.data!.liveTranscript!.turns.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });

    const latest = await page({ last: 2 });
    expect(texts(latest)).toEqual(['four', 'five']);
    expect(latest.data!.liveTranscript!.turns.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    const before = await page({ last: 2, before: latest.data!.liveTranscript!.turns.pageInfo.startCursor! });
    expect(texts(before)).toEqual(['two', 'three']);
    expect((await page({})).data!.liveTranscript!.turns.edges).toHaveLength(5);

    // The same arguments' rules as every connection.
    for (const [vars, path] of [
      [{ first: 101 }, 'first'],
      [{ first: 2, after: 'not-a-cursor' }, 'after'],
      [{ first: 2, before: first.data!.liveTranscript!.turns.pageInfo.endCursor! }, 'before'],
    ] as const) {
      const bad = await page(vars);
      expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'validation_error', fields: [{ path: [path] }] });
    }
  });

  it('sets the nickname and answers the user to a bearer token, the nickname alone to an API key', async () => {
    const cast = await makeCast(api);
    const org = await makeOrg(api, cast);
    const key = await makeKey(api, cast.owner, org.id, ['live:write', 'live:read']);
    const byUser = await gql(server.url, SetLiveNicknameDocument, { input: { nickname: '  Ann  ' } }, cast.owner.accessToken);
    expect(byUser.data!.setLiveNickname).toEqual({ nickname: 'Ann', user: { id: cast.owner.user.id, nickname: 'Ann' } });
    const byKey = await gql(server.url, SetLiveNicknameDocument, { input: { nickname: 'Annie' } }, { apiKey: key.key });
    expect(byKey.errors).toBeUndefined();
    expect(byKey.data!.setLiveNickname).toEqual({ nickname: 'Annie', user: null });
    expect((await api.get('/api/auth/me', { token: cast.owner.accessToken })).body.nickname).toBe('Annie');
    // A key with live:read only sees its own quota as a node, not someone else's.
    const quota = await gql(server.url, LiveQuotaDocument, {}, { apiKey: key.key });
    expect((await gql(server.url, LiveNodeDocument, { id: quota.data!.liveQuota.id }, { apiKey: key.key })).data!.node).toMatchObject({ __typename: 'LiveQuota' });
  });
});
