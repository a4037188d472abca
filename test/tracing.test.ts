import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchDatabase } from '../src/db/scratch.js';
import { ChatDocument } from './generated/graphql.js';
import { signUp } from './helpers/factories.js';
import { startFakeOpenAI, type FakeAi } from './helpers/fake-ai.js';
import { restClient } from './helpers/http.js';
import { startProcess, type GatewayProcess } from './helpers/process.js';
import { driver, PG_ADMIN_URL, TEST_JWT_SECRET } from './helpers/server.js';
import { eventually } from './helpers/wait.js';

/**
 * OpenTelemetry end to end (README "Tracing"): the built gateway, started as `npm start` starts
 * it, with OTEL_EXPORTER_OTLP_ENDPOINT pointing at a local OTLP/HTTP receiver here that reads
 * what the exporter really sends (OTLP JSON, ExportTraceServiceRequest), and a local
 * OpenAI-compatible provider that records the headers it is called with.
 */

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: { key: string; value: Record<string, unknown> }[];
  scope: string;
}

const SERVER = 2;
const CLIENT = 3;

/** An OTLP/HTTP trace receiver on 127.0.0.1: every span it was sent, and every request's content type. */
async function startReceiver(): Promise<{ url: string; spans: OtlpSpan[]; contentTypes: string[]; close(): Promise<void> }> {
  const spans: OtlpSpan[] = [];
  const contentTypes: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      contentTypes.push(`${req.method} ${req.url} ${req.headers['content-type']}`);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans: { scopeSpans: { scope: { name: string }; spans: Omit<OtlpSpan, 'scope'>[] }[] }[];
      };
      for (const rs of body.resourceSpans) for (const ss of rs.scopeSpans) for (const s of ss.spans) spans.push({ ...s, scope: ss.scope.name });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, spans, contentTypes, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const attr = (span: OtlpSpan, key: string): unknown => {
  const v = span.attributes?.find((a) => a.key === key)?.value;
  return v ? Object.values(v)[0] : undefined;
};

/** A gateway process with its own data directory and database, and the provider. */
async function startGateway(env: Record<string, string>, provider: FakeAi): Promise<{ gateway: GatewayProcess; close(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'xt-tracing-'));
  const scratch = driver === 'postgresql' ? await createScratchDatabase(PG_ADMIN_URL, 'xt_tracing') : null;
  const gateway = await startProcess({
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    DATABASE_URL: scratch ? scratch.url : `sqlite:${join(dataDir, 'db.sqlite3')}`,
    JWT_SECRET: TEST_JWT_SECRET,
    RATE_LIMITS_ENABLED: 'false',
    XEL_GRAMMAR_PRELOAD: 'false',
    OPENAI_BASE_URL: provider.url,
    OPENAI_API_KEY: 'sk-test',
    OPENAI_MODELS: 'gpt-test',
    ...env,
  });
  return {
    gateway,
    async close() {
      await gateway.stop();
      await scratch?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** One chat turn over GraphQL (the mutation `chat`): the response, its request id, and the conversation. */
async function chatTurn(url: string, token: string, message: string) {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: print(ChatDocument), variables: { input: { message } } }),
  });
  const body = (await res.json()) as { data?: { chat: { conversation: { id: string }; assistantMessage: { content: string } } }; errors?: unknown };
  return { status: res.status, body, requestId: res.headers.get('x-request-id')! };
}

/** The process's JSON log lines. */
const logLines = (gateway: GatewayProcess): Record<string, unknown>[] =>
  gateway
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

const MESSAGE = 'Tell me about the purple giraffe 9183';
const UNKNOWN_CONVERSATION = '00000000-0000-4000-8000-000000000000';

describe('tracing on', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let provider: FakeAi;
  let gw: Awaited<ReturnType<typeof startGateway>>;
  let token: string;

  beforeAll(async () => {
    receiver = await startReceiver();
    provider = await startFakeOpenAI();
    gw = await startGateway({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'gateway-under-test' }, provider);
    token = (await signUp(restClient(gw.gateway.url))).accessToken;
  });
  afterAll(async () => {
    await gw?.close();
    await provider?.close();
    await receiver?.close();
  });

  it('traces a chat turn end to end under one trace id, and propagates it to the provider', async () => {
    provider.enqueue({ kind: 'answer', tokens: ['Purple', ' giraffes', ' hum'] });
    const turn = await chatTurn(gw.gateway.url, token, MESSAGE);
    expect(turn.status).toBe(200);
    expect(turn.body.data?.chat.assistantMessage.content).toBe('Purple giraffes hum');

    // The provider was called with W3C trace context.
    const sent = provider.requests.find((r) => r.path === '/v1/chat/completions' && r.body?.messages?.at(-1)?.content === MESSAGE)!;
    expect(sent).toBeDefined();
    const traceparent = String(sent.headers.traceparent);
    const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(traceparent);
    expect(m, traceparent).not.toBeNull();
    const [, traceId, callerSpanId] = m!;

    // Everything of that trace reaches the receiver, over OTLP/HTTP at /v1/traces.
    const spansOf = () => receiver.spans.filter((s) => s.traceId === traceId);
    const http = await eventually(() => spansOf().find((s) => s.kind === SERVER && s.name === 'POST /graphql'), undefined, 'the HTTP span');
    const call = await eventually(() => spansOf().find((s) => s.spanId === callerSpanId), undefined, 'the provider call span');
    const operation = await eventually(() => spansOf().find((s) => s.name === 'mutation Chat'), undefined, 'the GraphQL operation span');
    expect(receiver.contentTypes[0]).toMatch(/^POST \/v1\/traces application\/json/);
    expect(http.parentSpanId ?? '').toBe('');
    expect(attr(http, 'http.route')).toBe('/graphql');
    expect(operation.parentSpanId).toBe(http.spanId);
    expect(attr(operation, 'graphql.operation.type')).toBe('mutation');
    const resolver = spansOf().find((s) => s.name === 'resolve Mutation.chat')!;
    expect(resolver.parentSpanId).toBe(operation.spanId);

    // The provider call: a client span of fetch, under the resolver.
    expect(call.kind).toBe(CLIENT);
    expect(call.scope).toBe('@opentelemetry/instrumentation-undici');
    expect(String(attr(call, 'url.full'))).toBe(`${provider.url}/chat/completions`);
    const ancestors = (s: OtlpSpan): string[] => {
      const parent = spansOf().find((p) => p.spanId === s.parentSpanId);
      return parent ? [parent.spanId, ...ancestors(parent)] : [];
    };
    expect(ancestors(call)).toContain(resolver.spanId);

    // The database statements: spans of this trace, under the operation, the turn's inserts among them.
    const statements = await eventually(() => {
      const s = spansOf().filter((x) => attr(x, 'db.system.name') === driver);
      return s.some((x) => attr(x, 'db.operation.name') === 'insert' && attr(x, 'db.collection.name') === 'messages') ? s : undefined;
    }, undefined, 'the statement spans');
    for (const s of statements) {
      expect(s.kind).toBe(CLIENT);
      expect(ancestors(s)).toContain(http.spanId);
    }
    // Statements are recorded without their values: the message itself appears in no span.
    expect(JSON.stringify(spansOf())).not.toContain('purple giraffe');

    // The request's log lines carry the trace id.
    const lines = await eventually(() => {
      const l = logLines(gw.gateway).filter((x) => x.reqId === turn.requestId);
      return l.some((x) => x.msg === 'request completed') ? l : undefined;
    }, undefined, 'the request log');
    for (const line of lines) expect(line.trace_id).toBe(traceId);
  });

  it('continues a caller\'s trace, and names it in REST and GraphQL error envelopes', async () => {
    const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await fetch(`${gw.gateway.url}/api/core/conversations/${UNKNOWN_CONVERSATION}/messages`, {
      headers: { authorization: `Bearer ${token}`, traceparent: `00-${callerTrace}-00f067aa0ba902b7-01` },
    });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { detail: Record<string, unknown> }).detail).toMatchObject({ error: 'not_found', trace_id: callerTrace });
    const http = await eventually(() => receiver.spans.find((s) => s.traceId === callerTrace && s.kind === SERVER), undefined, 'the HTTP span');
    expect(http.parentSpanId).toBe('00f067aa0ba902b7');
    expect(http.name).toBe('GET /api/core/conversations/:conversation_id/messages');
    const rest = await eventually(() => receiver.spans.find((s) => s.traceId === callerTrace && s.name.startsWith('REST ')), undefined, 'the REST operation span');
    expect(rest.parentSpanId).toBe(http.spanId);

    const g = await fetch(`${gw.gateway.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ me { id } }' }) });
    const body = (await g.json()) as { errors: { extensions: Record<string, unknown> }[] };
    expect(body.errors[0]!.extensions).toMatchObject({ code: 'not_authenticated', trace_id: expect.stringMatching(/^[0-9a-f]{32}$/) });
  });

  it('records the HTTP request as the semantic conventions name it, without the credentials of its query string', async () => {
    const caller = '6bf92f3577b34da6a3ce929d0e0e4738';
    await fetch(`${gw.gateway.url}/api/core/conversations/${UNKNOWN_CONVERSATION}/messages?token=s3cret-query-token&limit=5`, {
      headers: { authorization: `Bearer ${token}`, traceparent: `00-${caller}-00f067aa0ba902b7-01`, 'user-agent': 'trace-test/1' },
    });
    const http = await eventually(() => receiver.spans.find((s) => s.traceId === caller && s.kind === SERVER), undefined, 'the HTTP span');
    expect(attr(http, 'http.request.method')).toBe('GET');
    expect(attr(http, 'url.path')).toBe(`/api/core/conversations/${UNKNOWN_CONVERSATION}/messages`);
    expect(attr(http, 'url.scheme')).toBe('http');
    expect(String(attr(http, 'url.query'))).toContain('limit=5');
    expect(JSON.stringify(http)).not.toContain('s3cret-query-token');
    expect(attr(http, 'http.route')).toBe('/api/core/conversations/:conversation_id/messages');
    expect(attr(http, 'http.response.status_code')).toBe(404);
    expect(attr(http, 'client.address')).toBe('127.0.0.1');
    expect(attr(http, 'server.port')).toBe(Number(new URL(gw.gateway.url).port));
    expect(attr(http, 'user_agent.original')).toBe('trace-test/1');
  });

  it('keeps a request\'s trace across a body that arrives after its headers, read or unreadable', async () => {
    // Expect: 100-continue holds the body back until the gateway has taken the request: the
    // body's events then come from the socket, outside the request's trace.
    const post = (path: string, body: string, traceparent: string) =>
      new Promise<{ status: number; body: { detail: Record<string, unknown> } }>((resolve, reject) => {
        const u = new URL(path, gw.gateway.url);
        const req = httpRequest(
          { host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), expect: '100-continue', traceparent } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as { detail: Record<string, unknown> } }));
          },
        );
        req.on('error', reject);
        req.on('continue', () => req.end(body));
        req.flushHeaders();
      });

    const unreadable = '7bf92f3577b34da6a3ce929d0e0e4739';
    const bad = await post('/api/auth/login', '{"username": ', `00-${unreadable}-00f067aa0ba902b7-01`);
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toMatchObject({ trace_id: unreadable });

    const read = '8bf92f3577b34da6a3ce929d0e0e4730';
    const refused = await post('/api/auth/login', JSON.stringify({ username: 'nobody-traced', password: 'not the password 1' }), `00-${read}-00f067aa0ba902b7-01`);
    expect(refused.status).toBe(401);
    expect(refused.body.detail).toMatchObject({ trace_id: read });
    const http = await eventually(() => receiver.spans.find((s) => s.traceId === read && s.kind === SERVER), undefined, 'the HTTP span');
    expect(attr(http, 'http.response.status_code')).toBe(401);
    const rest = await eventually(() => receiver.spans.find((s) => s.traceId === read && s.name.startsWith('REST ')), undefined, 'the REST operation span');
    expect(rest.parentSpanId).toBe(http.spanId);
    const badHttp = await eventually(() => receiver.spans.find((s) => s.traceId === unreadable && s.kind === SERVER), undefined, 'the unreadable request\'s HTTP span');
    expect(attr(badHttp, 'http.response.status_code')).toBe(400);
  });

  it('follows the caller\'s sampling decision: a trace it does not sample keeps its id but sends no spans', async () => {
    const unsampled = '0af7651916cd43dd8448eb211c80319c';
    const res = await fetch(`${gw.gateway.url}/api/core/conversations/${UNKNOWN_CONVERSATION}/messages`, {
      headers: { authorization: `Bearer ${token}`, traceparent: `00-${unsampled}-b7ad6b7169203331-00` },
    });
    expect(((await res.json()) as { detail: Record<string, unknown> }).detail.trace_id).toBe(unsampled);
    // A sampled request after it: once its spans are in, the batch that would have held the other's has been sent.
    const after = '5bf92f3577b34da6a3ce929d0e0e4737';
    await fetch(`${gw.gateway.url}/api/auth/me`, { headers: { authorization: `Bearer ${token}`, traceparent: `00-${after}-00f067aa0ba902b7-01` } });
    await eventually(() => receiver.spans.some((s) => s.traceId === after && s.kind === SERVER), undefined, 'the sampled request');
    expect(receiver.spans.filter((s) => s.traceId === unsampled)).toEqual([]);
  });
});

describe('tracing off', () => {
  it('sends no trace context, writes no trace fields and adds none to errors', async () => {
    const provider = await startFakeOpenAI();
    const gw = await startGateway({}, provider);
    try {
      const token = (await signUp(restClient(gw.gateway.url))).accessToken;
      const turn = await chatTurn(gw.gateway.url, token, MESSAGE);
      expect(turn.status).toBe(200);
      const sent = provider.requests.find((r) => r.path === '/v1/chat/completions')!;
      expect(sent).toBeDefined();
      expect(sent.headers.traceparent).toBeUndefined();

      const res = await fetch(`${gw.gateway.url}/api/core/conversations/${UNKNOWN_CONVERSATION}/messages`, {
        headers: { authorization: `Bearer ${token}`, traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
      });
      const detail = ((await res.json()) as { detail: Record<string, unknown> }).detail;
      expect(detail.error).toBe('not_found');
      expect(detail).not.toHaveProperty('trace_id');
      const g = await fetch(`${gw.gateway.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ me { id } }' }) });
      const body = (await g.json()) as { errors: { extensions: Record<string, unknown> }[] };
      expect(body.errors[0]!.extensions.code).toBe('not_authenticated');
      expect(body.errors[0]!.extensions).not.toHaveProperty('trace_id');

      const lines = await eventually(() => {
        const l = logLines(gw.gateway).filter((x) => x.reqId === turn.requestId);
        return l.some((x) => x.msg === 'request completed') ? l : undefined;
      }, undefined, 'the request log');
      for (const line of logLines(gw.gateway)) expect(line).not.toHaveProperty('trace_id');
      expect(lines.length).toBeGreaterThan(0);
    } finally {
      await gw.close();
      await provider.close();
    }
  });
});
