import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { signUp } from './helpers/factories.js';
import { until } from './helpers/graphql.js';
import { eventually, WAIT_MS } from './helpers/wait.js';
import { ManualClock } from './helpers/clock.js';
import { restClient, type RestClient } from './helpers/http.js';
import { makeCast, makeKey, makeOrg } from './helpers/orgs.js';
import { startServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let api: RestClient;

beforeAll(async () => {
  server = await startServer();
  api = restClient(server.url);
});
afterAll(() => server.close());

interface Frame {
  type: string;
  data: any;
}

/** A raw `ws` client that records frames and lets a test wait for one. */
async function connect(query: string, headers: Record<string, string> = {}, wsUrl = server.wsUrl) {
  const ws = new WebSocket(`${wsUrl}/api/live/ws${query}`, { headers });
  const frames: Frame[] = [];
  let closeCode: number | null = null;
  ws.on('message', (d) => frames.push(JSON.parse((d as Buffer).toString()) as Frame));
  ws.on('close', (code) => (closeCode = code));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const waitFor = async (pred: (f: Frame) => boolean, ms = WAIT_MS): Promise<Frame> => {
    const end = Date.now() + ms;
    for (;;) {
      const f = frames.find(pred);
      if (f) return f;
      if (Date.now() > end) throw new Error(`no matching frame; got ${frames.map((x) => x.type).join(', ')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { ws, frames, waitFor, send: (type: string, data: unknown) => ws.send(JSON.stringify({ type, data })), closeCode: () => closeCode };
}

const pcmOf = (frames: Frame[], turnId: string) => Buffer.concat(frames.filter((f) => f.type === 'audio-response' && f.data.turn_id === turnId).map((f) => Buffer.from(f.data.audio, 'base64')));

describe('the realtime socket', () => {
  it('runs a voice session: a typed turn gets a spoken reply, stored in the transcript; closing ends the session', async () => {
    const u = await signUp(api);
    await api.post('/api/core/notes', { title: 'Plants', content: 'Basil likes warm sunny windowsills.' }, { token: u.accessToken });
    const c = await connect(`?token=${u.accessToken}`);
    c.send('start-session', { session_type: 'voice', language: 'en' });
    const started = await c.waitFor((f) => f.type === 'session-started');
    expect(started.data).toMatchObject({ session_type: 'voice', status: 'active', remaining_seconds: 1800 });
    c.send('audio-input', { text: 'Where does basil like to grow?', final: true });
    const final = await c.waitFor((f) => f.type === 'audio-response' && f.data.final === true);
    const chunks = c.frames.filter((f) => f.type === 'audio-response');
    expect(chunks.map((f) => f.data.seq)).toEqual(chunks.map((_, i) => i));
    expect(final.data.text).toContain('Basil likes warm sunny windowsills');
    const pcm = pcmOf(c.frames, final.data.turn_id);
    const samples = pcm.length / 2;
    expect(samples / 24_000).toBeGreaterThan(1);
    let energy = 0;
    for (let i = 0; i < samples; i++) energy += Math.abs(pcm.readInt16LE(i * 2));
    expect(energy / samples).toBeGreaterThan(200);
    await c.waitFor((f) => f.type === 'transcript' && f.data.role === 'ai');
    expect(c.frames.some((f) => f.type === 'avatar-expression')).toBe(false);

    c.ws.close();
    await until(async () => (await api.get('/api/live/quota', { token: u.accessToken })).body.active_session_id === null);
    const transcripts = await api.get('/api/live/transcripts', { token: u.accessToken });
    expect(transcripts.body).toHaveLength(1);
    const full = await api.get(`/api/live/transcripts/${transcripts.body[0].id}`, { token: u.accessToken });
    expect(full.body.transcripts.map((t: { role: string }) => t.role)).toEqual(['user', 'ai']);
    expect(full.body.session_id).toBe(started.data.session_id);
  });

  it('binds to a session started over REST and sends avatar expressions with visemes in order', async () => {
    const u = await signUp(api);
    const rest = await api.post('/api/live/session/start', { session_type: 'avatar' }, { token: u.accessToken });
    const c = await connect('', { authorization: `Bearer ${u.accessToken}` });
    c.send('start-session', { session_id: rest.body.session_id });
    await c.waitFor((f) => f.type === 'session-started');
    c.send('audio-input', { text: 'Hello there!', final: true });
    await c.waitFor((f) => f.type === 'audio-response' && f.data.final === true);
    const expressions = c.frames.filter((f) => f.type === 'avatar-expression');
    expect(expressions.length).toBeGreaterThan(0);
    for (const e of expressions) {
      expect(typeof e.data.expression).toBe('string');
      const offsets = e.data.visemes.map((v: { offset_ms: number }) => v.offset_ms);
      expect(offsets).toEqual([...offsets].sort((a: number, b: number) => a - b));
      expect(e.data.visemes.at(-1).viseme).toBe('sil');
    }
    c.send('end-session', {});
    const ended = await c.waitFor((f) => f.type === 'session-ended');
    expect(ended.data).toMatchObject({ reason: 'client' });
    expect((await api.get('/api/live/quota', { token: u.accessToken })).body.active_session_id).toBeNull();
  });

  it('answers bad frames with error frames and keeps the socket open', async () => {
    const u = await signUp(api);
    const other = await signUp(api);
    const foreign = await api.post('/api/live/session/start', { session_type: 'voice' }, { token: other.accessToken });
    const c = await connect(`?token=${u.accessToken}`);
    c.ws.send('not json');
    c.send('dance', {});
    c.send('audio-input', { text: 'too early', final: true });
    c.send('start-session', { session_id: foreign.body.session_id });
    c.send('start-session', { session_type: 'voice' });
    await c.waitFor((f) => f.type === 'session-started');
    c.send('audio-input', { audio: Buffer.alloc(10).toString('base64'), final: true });
    c.send('audio-input', { audio: Buffer.alloc(200_000).toString('base64') });
    // An end reason outside the closed set is refused, and the session goes on.
    c.send('end-session', { reason: 'bored' });
    const errors = () => c.frames.filter((f) => f.type === 'error').map((f) => f.data.error);
    await until(() => errors().length >= 7);
    expect(errors()).toEqual(['bad_request', 'validation_error', 'conflict', 'not_found', 'validation_error', 'validation_error', 'validation_error']);
    expect(c.frames.some((f) => f.type === 'session-ended')).toBe(false);
    expect(c.frames.find((f) => f.type === 'error' && /speech-to-text/.test(f.data.message))).toBeDefined();
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    c.ws.close();
    await api.post('/api/live/session/end', { session_id: foreign.body.session_id }, { token: other.accessToken });
  });

  it('refuses sockets without credentials, and API keys without live:write', async () => {
    const anon = await connect('');
    await anon.waitFor((f) => f.type === 'error');
    expect(anon.frames[0]!.data.error).toBe('not_authenticated');
    const cast = await makeCast(api);
    const org = await makeOrg(api, cast);
    const key = await makeKey(api, cast.member, org.id, ['live:read']);
    const reader = await connect('', { 'x-api-key': key.key });
    await reader.waitFor((f) => f.type === 'error');
    expect(reader.frames[0]!.data.error).toBe('INSUFFICIENT_API_KEY_SCOPE');
    const writer = await makeKey(api, cast.member, org.id, ['live:write']);
    const ok = await connect('', { 'x-api-key': writer.key });
    ok.send('start-session', { session_type: 'voice' });
    await ok.waitFor((f) => f.type === 'session-started');
    ok.send('end-session', {});
    await ok.waitFor((f) => f.type === 'session-ended');
  });

  it('answers a live:write key without quoting notes or messages, which need conversations:read', async () => {
    const cast = await makeCast(api);
    const org = await makeOrg(api, cast);
    await api.post('/api/core/notes', { title: 'Vault', content: 'The heron vault opens with 5813.' }, { token: cast.member.accessToken });
    const reply = async (scopes: string[]) => {
      const key = await makeKey(api, cast.member, org.id, scopes);
      const c = await connect('', { 'x-api-key': key.key });
      c.send('start-session', { session_type: 'voice' });
      await c.waitFor((f) => f.type === 'session-started');
      c.send('audio-input', { text: 'heron vault', final: true });
      const ai = await c.waitFor((f) => f.type === 'transcript' && f.data.role === 'ai');
      c.send('end-session', {});
      await c.waitFor((f) => f.type === 'session-ended');
      return ai.data.text as string;
    };
    expect(await reply(['live:write'])).not.toContain('5813');
    expect(await reply(['live:write', 'conversations:read'])).toContain('5813');
  });

  it('ends the session on the socket when the quota runs out', async () => {
    const s = await startServer({ LIVE_PLANS: 'free:2', LIVE_MIN_START_SECONDS: '1' });
    try {
      const c2 = restClient(s.url);
      const u = await signUp(c2);
      const ws = new WebSocket(`${s.wsUrl}/api/live/ws?token=${u.accessToken}`);
      const frames: Frame[] = [];
      ws.on('message', (d) => frames.push(JSON.parse((d as Buffer).toString()) as Frame));
      const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
      await new Promise((r) => ws.once('open', r));
      ws.send(JSON.stringify({ type: 'start-session', data: { session_type: 'voice' } }));
      expect(await closed).toBe(1000);
      const ended = frames.find((f) => f.type === 'session-ended');
      expect(ended?.data).toMatchObject({ reason: 'quota_exceeded', used_seconds: 2, remaining_seconds: 0 });
    } finally {
      await s.close();
    }
  });
});

describe('logs', () => {
  it('never record the token a browser puts in the socket URL', async () => {
    const { Writable } = await import('node:stream');
    const lines: string[] = [];
    const s = await startServer({ LOG_LEVEL: 'info' });
    // Capture what the server logs by swapping the stream under pino.
    const logger = s.app.server.log as unknown as { [k: symbol]: unknown };
    const streamSym = Object.getOwnPropertySymbols(logger).find((k) => String(k) === 'Symbol(pino.stream)')!;
    logger[streamSym] = new Writable({
      write(chunk, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    });
    try {
      const u = await signUp(restClient(s.url));
      const ws = new WebSocket(`${s.wsUrl}/api/live/ws?token=${u.accessToken}`);
      await new Promise((r) => ws.once('open', r));
      ws.close();
      // The request's log line names the socket URL: wait for it rather than for a guessed time.
      await until(() => lines.join('').includes('/api/live/ws?token=[redacted]'));
      const all = lines.join('');
      expect(all).toContain('/api/live/ws?token=[redacted]');
      expect(all).not.toContain(u.accessToken);
    } finally {
      await s.close();
    }
  });
});

describe('a dropped connection', () => {
  it('mid-turn loses nothing said, and ends the session', async () => {
    const u = await signUp(api);
    const c = await connect(`?token=${u.accessToken}`);
    c.send('start-session', { session_type: 'voice' });
    const started = await c.waitFor((f) => f.type === 'session-started');
    c.send('audio-input', { text: 'Remember that the meeting moved to Thursday.', final: true });
    await c.waitFor((f) => f.type === 'transcript' && f.data.role === 'user');
    c.ws.terminate();
    const transcript = await eventually(async () => {
      const list = await api.get('/api/live/transcripts', { token: u.accessToken });
      return list.body[0]?.turn_count === 2 && ((await api.get(`/api/live/transcripts/${list.body[0].id}`, { token: u.accessToken })).body as { transcripts: { role: string }[] });
    });
    expect(transcript?.transcripts.map((t) => t.role)).toEqual(['user', 'ai']);
    // The session is settled once the turn in flight has been stored, a moment after it: wait for it.
    await eventually(async () => (await api.get('/api/live/quota', { token: u.accessToken })).body.active_session_id === null, WAIT_MS, 'the session settled');
    const ended = await api.post('/api/live/session/end', { session_id: started.data.session_id }, { token: u.accessToken });
    expect(ended.body.end_reason).toBe('disconnected');
  });
});

describe('a session that ends or lives on elsewhere', () => {
  /** A gateway on a clock of the test's, a user, and a socket carrying a voice session of theirs. */
  async function sessionOnSocket(env: Record<string, string> = {}) {
    const own = new ManualClock();
    const s = await startServer(env, { clock: own });
    const rest = restClient(s.url);
    const u = await signUp(rest);
    const c = await connect(`?token=${u.accessToken}`, {}, s.wsUrl);
    c.send('start-session', { session_type: 'voice' });
    const started = await c.waitFor((f) => f.type === 'session-started');
    return { own, s, rest, u, t: { token: u.accessToken }, c, id: started.data.session_id as string };
  }

  it('closing the socket meters the session to its last sign of life, heartbeats over REST included', async () => {
    const { own, s, rest, t, c, id } = await sessionOnSocket();
    try {
      // Kept alive over REST (the socket itself silent): 5 s, then 4 s of silence, then the socket closes.
      own.advance(5000);
      expect((await rest.post('/api/live/session/heartbeat', { session_id: id }, t)).status).toBe(200);
      own.advance(4000);
      c.ws.close();
      await eventually(async () => (await rest.get('/api/live/quota', t)).body.active_session_id === null, WAIT_MS, 'the session settled');
      const ended = await rest.post('/api/live/session/end', { session_id: id }, t);
      expect(ended.body).toMatchObject({ end_reason: 'disconnected', used_seconds: 5 });
    } finally {
      await s.close();
    }
  });

  it('an end through REST, or by the sweeper, is announced on the socket, which closes and can be opened again', async () => {
    const { own, s, rest, u, t, c, id } = await sessionOnSocket({ LIVE_IDLE_TIMEOUT_SECONDS: '2' });
    try {
      own.advance(3000);
      expect((await rest.post('/api/live/session/end', { session_id: id }, t)).status).toBe(200);
      const ended = await c.waitFor((f) => f.type === 'session-ended');
      expect(ended.data).toMatchObject({ reason: 'client', used_seconds: 3 });
      await eventually(async () => c.closeCode() === 1000, WAIT_MS, 'the socket closed');

      // A silent session swept as idle: the same.
      const d = await connect(`?token=${u.accessToken}`, {}, s.wsUrl);
      d.send('start-session', { session_type: 'voice' });
      await d.waitFor((f) => f.type === 'session-started');
      own.advance(2600);
      expect(await s.app.services.live.sweep(s.app.orm.em.fork())).toBe(1);
      expect((await d.waitFor((f) => f.type === 'session-ended')).data).toMatchObject({ reason: 'idle' });
      await eventually(async () => d.closeCode() === 1000, WAIT_MS, 'the socket closed');
      expect(d.frames.filter((f) => f.type === 'session-ended')).toHaveLength(1);
    } finally {
      await s.close();
    }
  });
});
