import { Parser } from '@asyncapi/parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { clientFrames, serverFrames, type ServerFrameType } from '../src/modules/live/live.protocol.js';
import { signUp } from './helpers/factories.js';
import { until } from './helpers/graphql.js';
import { restClient, type RestClient } from './helpers/http.js';
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
  data: unknown;
}

describe('/asyncapi.json, the live socket documented', () => {
  it('is a valid AsyncAPI 3.0 document by the AsyncAPI parser: no error, no warning', async () => {
    const res = await api.get('/asyncapi.json');
    expect(res.status).toBe(200);
    const { document, diagnostics } = await new Parser().parse(JSON.stringify(res.body));
    // Severity 0 is an error, 1 a warning (the parser's DiagnosticSeverity comes from its own copy of @stoplight/types).
    const serious = diagnostics.filter((d) => Number(d.severity) <= 1).map((d) => `${Number(d.severity) === 0 ? 'error' : 'warning'} ${d.path.join('.')}: ${d.message}`);
    expect(serious).toEqual([]);
    expect(document).toBeDefined();
    expect(document!.version()).toBe('3.0.0');
    const channel = document!.channels().all()[0]!;
    expect(channel.address()).toBe('/api/live/ws');
    // The seven documented events and ours, each with a payload schema.
    const names = document!.messages().all().map((m) => m.name());
    expect(names.sort()).toEqual(['audio-input', 'audio-response', 'avatar-expression', 'end-session', 'error', 'session-ended', 'session-started', 'start-session', 'transcript']);
    for (const m of document!.messages().all()) {
      expect(m.payload()?.type(), m.name()).toBe('object');
      expect(m.description(), m.name()).toBeTruthy();
    }
    const actions = Object.fromEntries(document!.operations().all().map((o) => [o.messages().all()[0]!.name(), o.action()]));
    for (const type of Object.keys(clientFrames)) expect(actions[type], type).toBe('send');
    for (const type of Object.keys(serverFrames)) expect(actions[type], type).toBe('receive');
    // No generator noise: no pattern next to a format, no ±2^53 bounds.
    expect(JSON.stringify(res.body)).not.toMatch(/9007199254740991|"pattern"/);
  });

  it('describes every frame the socket sends in a whole avatar session, as sent', async () => {
    const u = await signUp(api);
    const ws = new WebSocket(`${server.wsUrl}/api/live/ws?token=${u.accessToken}`);
    const frames: Frame[] = [];
    ws.on('message', (d) => frames.push(JSON.parse((d as Buffer).toString()) as Frame));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const send = (type: string, data?: unknown) => ws.send(JSON.stringify({ type, data }));
    const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));

    send('start-session', { session_type: 'avatar', language: 'en' });
    await until(() => frames.some((f) => f.type === 'session-started'));
    send('audio-input', { text: 'Hello! How are you today?', final: true });
    await until(() => frames.some((f) => f.type === 'audio-response' && (f.data as { final: boolean }).final));
    await until(() => frames.filter((f) => f.type === 'transcript').length === 2);
    send('end-session', { reason: 'not-a-reason' });
    await until(() => frames.some((f) => f.type === 'error'));
    send('end-session', { reason: 'client' });
    await closed;

    const seen = new Set(frames.map((f) => f.type));
    expect([...seen].sort()).toEqual(['audio-response', 'avatar-expression', 'error', 'session-ended', 'session-started', 'transcript']);
    for (const f of frames) {
      expect(Object.keys(f).sort(), f.type).toEqual(['data', 'type']);
      const spec = serverFrames[f.type as ServerFrameType];
      expect(spec, f.type).toBeDefined();
      const parsed = spec.data.safeParse(f.data);
      expect(parsed.success ? [] : parsed.error.issues.map((i) => `${f.type} ${i.path.join('.')}: ${i.message}`)).toEqual([]);
    }
    // And the document publishes exactly those schemas.
    const doc = (await api.get('/asyncapi.json')).body;
    expect(doc.components.schemas.SessionEndedFrame.properties.data.required.sort()).toEqual(['reason', 'remaining_seconds', 'used_seconds']);
    expect(doc.components.schemas.AvatarExpressionFrame.properties.data.properties.visemes.items.properties.viseme.enum).toContain('PP');
  });

  it('refuses, with an error frame, client frames the document does not describe', async () => {
    const u = await signUp(api);
    const ws = new WebSocket(`${server.wsUrl}/api/live/ws?token=${u.accessToken}`);
    const frames: Frame[] = [];
    ws.on('message', (d) => frames.push(JSON.parse((d as Buffer).toString()) as Frame));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.send(JSON.stringify({ type: 'session-started', data: {} }));
    await until(() => frames.some((f) => f.type === 'error'));
    expect(frames[0]).toMatchObject({ type: 'error', data: { error: 'validation_error' } });
    expect(clientFrames).not.toHaveProperty('session-started');
    ws.close();
  });
});
