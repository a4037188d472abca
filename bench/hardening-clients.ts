import { connect, type Socket } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import WebSocket from 'ws';

/**
 * Clients for the hardening suites (soak, slow and hostile clients), written against the
 * wire: the graphql-ws protocol by hand (so a client can vanish mid-subscription), raw TCP
 * for slow headers and bodies, the live socket's JSON frames.
 */

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `cond` holds, polling; false when `ms` ran out. */
export async function eventually(cond: () => boolean | Promise<boolean>, ms: number, every = 20): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (await cond()) return true;
    if (Date.now() > end) return false;
    await sleep(every);
  }
}

/** A full garbage collection, for memory figures (turns --expose-gc on at run time). */
export function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
}

export interface GqlWs {
  ws: WebSocket;
  messages: { id?: string; type: string; payload?: unknown }[];
  closed: Promise<{ code: number; reason: string }>;
  subscribe(id: string, query: string, variables?: Record<string, unknown>): void;
  complete(id: string): void;
  /** Waits for a message of `type` (for `id`); null when the socket closed or `ms` ran out. */
  next(type: string, id?: string, ms?: number): Promise<{ id?: string; type: string; payload?: unknown } | null>;
}

/** Opens /graphql with graphql-transport-ws and sends connection_init; resolves once acknowledged (or refused). */
export async function graphqlWs(wsUrl: string, params: Record<string, unknown>): Promise<GqlWs & { acked: boolean }> {
  const ws = new WebSocket(`${wsUrl}/graphql`, 'graphql-transport-ws');
  const messages: GqlWs['messages'] = [];
  const waiters: (() => void)[] = [];
  ws.on('message', (m: Buffer) => {
    messages.push(JSON.parse(m.toString()) as GqlWs['messages'][number]);
    waiters.splice(0).forEach((w) => w());
  });
  ws.on('error', () => undefined);
  const closed = new Promise<{ code: number; reason: string }>((r) =>
    ws.on('close', (code: number, reason: Buffer) => {
      r({ code, reason: reason.toString() });
      waiters.splice(0).forEach((w) => w());
    }),
  );
  const next: GqlWs['next'] = async (type, id, ms = 5000) => {
    const end = Date.now() + ms;
    let seen = 0;
    for (;;) {
      const found = messages.slice(seen).find((m) => m.type === type && (id === undefined || m.id === id));
      if (found) return found;
      seen = messages.length;
      if (ws.readyState === ws.CLOSED || Date.now() > end) return null;
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(1, end - Date.now()));
        waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  };
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ type: 'connection_init', payload: params }));
  const ack = await next('connection_ack');
  return {
    ws,
    messages,
    closed,
    acked: ack !== null,
    next,
    subscribe: (id, query, variables) => ws.send(JSON.stringify({ id, type: 'subscribe', payload: { query, variables } })),
    complete: (id) => ws.send(JSON.stringify({ id, type: 'complete' })),
  };
}

/** A live socket frame's data: JSON, read field by field. */
export type LiveFrameData = Record<string, unknown>;

export interface LiveWs {
  ws: WebSocket;
  frames: { type: string; data: LiveFrameData }[];
  closed: Promise<{ code: number; reason: string }>;
  send(type: string, data?: unknown): void;
  next(type: string, ms?: number): Promise<{ type: string; data: LiveFrameData } | null>;
}

/** Opens the live socket with a bearer token in the Authorization header. */
export async function liveWs(wsUrl: string, token: string): Promise<LiveWs> {
  const ws = new WebSocket(`${wsUrl}/api/live/ws`, { headers: { authorization: `Bearer ${token}` } });
  const frames: LiveWs['frames'] = [];
  ws.on('message', (m: Buffer) => frames.push(JSON.parse(m.toString()) as LiveWs['frames'][number]));
  ws.on('error', () => undefined);
  const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code: number, reason: Buffer) => r({ code, reason: reason.toString() })));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    ws,
    frames,
    closed,
    send: (type, data) => ws.send(JSON.stringify({ type, data })),
    next: async (type, ms = 10_000) => {
      const end = Date.now() + ms;
      for (;;) {
        const found = frames.find((f) => f.type === type);
        if (found) return found;
        if (ws.readyState === ws.CLOSED || Date.now() > end) return null;
        await sleep(10);
      }
    },
  };
}

export interface RawConnection {
  socket: Socket;
  /** What the server sent. */
  received: () => string;
  closed: Promise<void>;
  isClosed: () => boolean;
}

/** A raw TCP connection to the gateway, for clients that speak HTTP slowly or not at all. */
export async function rawConnection(url: string): Promise<RawConnection> {
  const u = new URL(url);
  const socket = connect({ host: u.hostname, port: Number(u.port) });
  let data = '';
  let closed = false;
  socket.on('data', (c: Buffer) => (data += c.toString()));
  socket.on('error', () => undefined);
  const done = new Promise<void>((r) =>
    socket.on('close', () => {
      closed = true;
      r();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  return { socket, received: () => data, closed: done, isClosed: () => closed };
}

/**
 * Sends `text` a few bytes at a time, `everyMs` apart, until it is all sent or the server
 * closed the connection. Returns whether the server closed it first.
 */
export async function dribble(c: RawConnection, text: string, everyMs: number, bytes = 1): Promise<boolean> {
  for (let i = 0; i < text.length; i += bytes) {
    if (c.isClosed() || c.socket.destroyed) return true;
    c.socket.write(text.slice(i, i + bytes));
    await sleep(everyMs);
  }
  return c.isClosed();
}
