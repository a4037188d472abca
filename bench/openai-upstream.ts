/**
 * A local OpenAI-compatible chat-completions server for the chat-stream benchmark, in a
 * process of its own, driven by the parent over IPC. `POST /v1/chat/completions` with
 * `stream: true` answers server-sent events as OpenAI sends them: a role chunk, one chunk
 * per token (the first at once, the next ones `paceMs` apart), the finish chunk, the usage
 * chunk, `[DONE]`; without `stream` one JSON completion. `GET /v1/models` lists the model.
 *
 * IPC commands: config (tokens, paceMs, hold: after the first token each stream waits for
 * release), holding (how many streams wait), release, cpu-start / cpu-stop (this process's CPU time and tokens written in
 * between), gc (collect, then report resident memory, the heap's and external memory in use, and open streams), exit.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MODEL, tokensOf } from './chat-reply.js';


const send = (m: unknown) => process.send?.(m);

let tokens = tokensOf(50);
let paceMs = 20;
let hold = false;
let release: () => void = () => undefined;
let released: Promise<void> = Promise.resolve();
let open = 0;
/** Streams waiting for release after their first token. */
let holding = 0;
let written = 0;
let cpuFrom = process.cpuUsage();
let writtenFrom = 0;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

const created = Math.floor(Date.now() / 1000);
const chunk = (delta: Record<string, unknown>, finish: string | null) =>
  `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created, model: MODEL, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

async function stream(res: ServerResponse): Promise<void> {
  const reply = tokens;
  const pace = paceMs;
  const wait = hold ? released : null;
  open++;
  let gone = false;
  res.on('close', () => (gone = true));
  try {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.write(chunk({ role: 'assistant', content: '' }, null));
    for (const [i, t] of reply.entries()) {
      if (gone) return;
      if (i === 1 && wait) {
        holding++;
        await wait;
        holding--;
      } else if (i > 0 && pace > 0) await sleep(pace);
      res.write(chunk({ content: t }, null));
      written++;
    }
    res.write(chunk({}, 'stop'));
    res.write(`data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created, model: MODEL, choices: [], usage: { prompt_tokens: 12, completion_tokens: reply.length, total_tokens: 12 + reply.length } })}\n\n`);
    res.end('data: [DONE]\n\n');
  } finally {
    open--;
  }
}

const server = createServer((req, res) => {
  void (async () => {
    const body = await readBody(req);
    if (req.method === 'GET' && req.url === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data: [{ id: MODEL, object: 'model' }] }));
      return;
    }
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'not found' } }));
      return;
    }
    const request = JSON.parse(body) as { stream?: boolean };
    if (request.stream) return stream(res);
    const content = tokens.join('');
    written += tokens.length;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion', created, model: MODEL, choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }] }));
  })();
});

type Command =
  | { cmd: 'config'; tokens: number; paceMs: number; hold?: boolean }
  | { cmd: 'release' | 'holding' | 'cpu-start' | 'cpu-stop' | 'gc' | 'exit' };

async function onCommand(m: Command): Promise<void> {
  if (m.cmd === 'config') {
    tokens = tokensOf(m.tokens);
    paceMs = m.paceMs;
    hold = m.hold ?? false;
    released = new Promise<void>((r) => (release = r));
    send({ configured: true });
  } else if (m.cmd === 'release') {
    hold = false;
    release();
    send({ released: true });
  } else if (m.cmd === 'holding') {
    send({ holding });
  } else if (m.cmd === 'cpu-start') {
    cpuFrom = process.cpuUsage();
    writtenFrom = written;
    send({ started: true });
  } else if (m.cmd === 'cpu-stop') {
    const d = process.cpuUsage(cpuFrom);
    send({ cpuUs: d.user + d.system, tokens: written - writtenFrom });
  } else if (m.cmd === 'gc') {
    for (let i = 0; i < 3; i++) {
      (globalThis as { gc?: () => void }).gc?.();
      await sleep(50);
    }
    const mem = process.memoryUsage();
    send({ rss: mem.rss, heap: mem.heapUsed + mem.external, open });
  } else if (m.cmd === 'exit') {
    server.close();
    process.exit(0);
  }
}

process.on('message', (m: Command) => void onCommand(m).catch((e: unknown) => send({ error: e instanceof Error ? e.message : String(e) })));

server.listen(0, '127.0.0.1', () => send({ ready: true, port: (server.address() as AddressInfo).port, pid: process.pid }));
