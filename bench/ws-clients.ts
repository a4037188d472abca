/**
 * Many WebSocket clients in a process of their own, driven over IPC by the fan-out and
 * memory benchmarks: raw `ws` clients that either just listen (the raw broadcast reference)
 * or speak graphql-ws by hand (connection_init, subscribe), so both cost the same to run.
 * Each received frame's delivery latency is read from the publication time in its text.
 */
import WebSocket from 'ws';

interface Connect {
  cmd: 'connect';
  urls: string[];
  count: number;
  protocol: 'raw' | 'graphql-ws';
  token?: string;
  query?: string;
  variables?: Record<string, unknown>;
}

const send = (m: unknown) => process.send?.(m);
const sockets: WebSocket[] = [];
let received = 0;
let latencies: number[] = [];
let first = 0;
let last = 0;

function onFrame(data: WebSocket.RawData): void {
  const now = performance.timeOrigin + performance.now();
  const text = (data as Buffer).toString();
  const at = text.indexOf('t=');
  if (at < 0) return;
  received++;
  if (!first) first = now;
  last = now;
  latencies.push(now - parseFloat(text.slice(at + 2)));
}

/**
 * One client, connected and subscribed. On a loaded machine a server may close a handshake it
 * could not get to in time (graphql-ws's 4408, initialisation timeout): such a client tries again.
 */
async function open(url: string, m: Connect): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await openOnce(url, m);
    } catch (e) {
      if (attempt >= 5 || !(e instanceof Error) || !e.message.startsWith('closed 4408')) throw e;
    }
  }
}

async function openOnce(url: string, m: Connect): Promise<void> {
  const ws = new WebSocket(url, m.protocol === 'graphql-ws' ? 'graphql-transport-ws' : undefined, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  if (m.protocol === 'graphql-ws') {
    ws.send(JSON.stringify({ type: 'connection_init', payload: m.token ? { Authorization: `Bearer ${m.token}` } : {} }));
    await new Promise<void>((resolve, reject) => {
      ws.once('message', (d: Buffer) => ((JSON.parse(d.toString()) as { type?: string }).type === 'connection_ack' ? resolve() : reject(new Error(d.toString()))));
      ws.once('close', (code, reason) => reject(new Error(`closed ${code} ${reason.toString()}`)));
    });
    ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: m.query, variables: m.variables } }));
  }
  ws.on('message', onFrame);
  sockets.push(ws);
}

async function onCommand(m: Connect | { cmd: 'reset' | 'report' | 'close' }): Promise<void> {
  try {
    if (m.cmd === 'connect') {
      // A few at a time: a thousand handshakes at once would measure the accept queue.
      for (let i = 0; i < m.count; i += 50) {
        await Promise.all(Array.from({ length: Math.min(50, m.count - i) }, (_, j) => open(m.urls[(i + j) % m.urls.length]!, m)));
      }
      send({ connected: sockets.length });
    } else if (m.cmd === 'reset') {
      received = 0;
      latencies = [];
      first = 0;
      last = 0;
      send({ reset: true });
    } else if (m.cmd === 'report') {
      send({ received, first, last, latencies });
    } else if (m.cmd === 'close') {
      for (const s of sockets) s.terminate();
      sockets.length = 0;
      send({ closed: true });
    }
  } catch (e) {
    send({ error: e instanceof Error ? e.message : String(e) });
  }
}

process.on('message', (m: Connect | { cmd: 'reset' | 'report' | 'close' }) => void onCommand(m));
send({ ready: true });
