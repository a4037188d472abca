import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Local stand-ins for the OpenAI and Anthropic APIs on 127.0.0.1, speaking their real wire
 * formats (server-sent events as the providers send them). Each request takes the next
 * scripted behaviour from a queue; with none queued, a normal answer.
 */

export type Step =
  | {
      kind: 'answer';
      tokens: string[];
      delayMs?: number;
      split?: boolean;
      usage?: { prompt: number; completion: number };
      /** Stop after this many tokens until `until` settles (a stream held open mid-reply). */
      hold?: { afterTokens: number; until: Promise<unknown> };
      /** OpenAI: the end of the body comes in a later write than [DONE], as it can over a network. */
      endApart?: boolean;
      /** Several holds (a reply paused twice). */
      holds?: { afterTokens: number; until: Promise<unknown> }[];
    }
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  | { kind: 'drop'; afterTokens: string[] }
  | { kind: 'cutoff'; tokens: string[] }
  | { kind: 'malformed'; afterTokens?: string[] }
  | { kind: 'midStreamError'; afterTokens: string[]; errorType?: string }
  | { kind: 'hang' }
  /** Keep-alive comments every `everyMs`, `times` of them, then the end of the body: never a token. */
  | { kind: 'keepAlive'; everyMs: number; times: number };

export interface Recorded {
  path: string;
  headers: IncomingMessage['headers'];
  body: any;
}

export interface FakeAi {
  url: string;
  requests: Recorded[];
  /** Connections accepted so far (a client that keeps its connections alive opens few). */
  readonly connections: number;
  enqueue(...steps: Step[]): void;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function readBody(req: IncomingMessage): Promise<any> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : null;
}

/** Writes one SSE frame, optionally in two TCP writes split mid-line, as proxies do. */
async function frame(res: ServerResponse, text: string, split: boolean): Promise<void> {
  if (!split) {
    res.write(text);
    return;
  }
  const cut = Math.floor(text.length / 2);
  res.write(text.slice(0, cut));
  await sleep(5);
  res.write(text.slice(cut));
}

async function start(flavour: 'openai' | 'anthropic'): Promise<FakeAi> {
  const queue: Step[] = [];
  const requests: Recorded[] = [];
  const sockets = new Set<Socket>();

  const openaiChunk = (content: string) => `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;
  const anthropicEvent = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
  const delta = (t: string) => (flavour === 'openai' ? openaiChunk(t) : anthropicEvent('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: t } }));
  const head = (res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    if (flavour === 'anthropic') {
      res.write(anthropicEvent('message_start', { type: 'message_start', message: { id: 'msg_1', role: 'assistant', usage: { input_tokens: 11, output_tokens: 1 } } }));
      res.write(anthropicEvent('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }));
      res.write(anthropicEvent('ping', { type: 'ping' }));
    }
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      requests.push({ path: req.url ?? '', headers: req.headers, body });
      if (req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ data: [{ id: 'fake-model' }] }));
        return;
      }
      const step: Step = queue.shift() ?? { kind: 'answer', tokens: ['Hello', ' there', '!'] };
      switch (step.kind) {
        case 'status':
          res.writeHead(step.status, { 'content-type': 'application/json', ...step.headers });
          res.end(JSON.stringify(step.body ?? { error: { message: `status ${step.status}` } }));
          return;
        case 'hang':
          return; // never answers; the gateway's timeout must fire
        case 'keepAlive':
          head(res);
          for (let i = 0; i < step.times && !res.destroyed; i++) {
            res.write(': keep-alive\n\n');
            await sleep(step.everyMs);
          }
          res.end();
          return;
        case 'answer': {
          head(res);
          for (const [i, t] of step.tokens.entries()) {
            for (const h of [...(step.hold ? [step.hold] : []), ...(step.holds ?? [])]) if (i === h.afterTokens) await h.until;
            await frame(res, delta(t), step.split ?? false);
            if (step.delayMs) await sleep(step.delayMs);
          }
          const usage = step.usage ?? { prompt: 12, completion: step.tokens.length };
          if (flavour === 'openai') {
            res.write(`data: ${JSON.stringify({ id: 'c1', choices: [], usage: { prompt_tokens: usage.prompt, completion_tokens: usage.completion, total_tokens: usage.prompt + usage.completion } })}\n\n`);
            if (step.endApart) {
              res.write('data: [DONE]\n\n');
              await sleep(20);
              res.end();
            } else res.end('data: [DONE]\n\n');
          } else {
            res.write(anthropicEvent('content_block_stop', { type: 'content_block_stop', index: 0 }));
            res.write(anthropicEvent('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: usage.completion } }));
            res.end(anthropicEvent('message_stop', { type: 'message_stop' }));
          }
          return;
        }
        case 'drop':
          head(res);
          for (const t of step.afterTokens) res.write(delta(t));
          await sleep(10);
          req.socket.destroy();
          return;
        case 'cutoff':
          head(res);
          for (const t of step.tokens) res.write(delta(t));
          res.end();
          return;
        case 'malformed':
          head(res);
          for (const t of step.afterTokens ?? []) res.write(delta(t));
          res.end('data: {"choices": [ this is not json\n\n');
          return;
        case 'midStreamError':
          head(res);
          for (const t of step.afterTokens) res.write(delta(t));
          if (flavour === 'anthropic') res.end(anthropicEvent('error', { type: 'error', error: { type: step.errorType ?? 'overloaded_error', message: 'Overloaded' } }));
          else res.end(`data: ${JSON.stringify({ error: { message: 'The server had an error while processing your request' } })}\n\n`);
          return;
      }
    })();
  });
  let connections = 0;
  server.on('connection', (s) => {
    connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address() as { port: number };
  const base = `http://127.0.0.1:${address.port}`;
  return {
    url: flavour === 'openai' ? `${base}/v1` : base,
    requests,
    get connections() {
      return connections;
    },
    enqueue: (...steps) => queue.push(...steps),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export const startFakeOpenAI = () => start('openai');
export const startFakeAnthropic = () => start('anthropic');
