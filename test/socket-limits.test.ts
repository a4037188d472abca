import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { createSocketLimiter } from '../src/common/socket-limits.js';
import { until } from './helpers/wait.js';

/**
 * The send timeout on its own (the slow-clients test meets it together with the buffered-bytes
 * limit): a client that stops reading is cut off once a send has waited past the limit,
 * whether or not that send was timed by a callback; a client that reads is never, however
 * long after its sends. The limiter's clock is the test's, and the test sweeps.
 */
const TIMEOUT_MS = 1000;
let stop: (() => Promise<void>) | null = null;
afterEach(async () => {
  await stop?.();
  stop = null;
});

async function pair() {
  let clock = 1_000_000;
  const limiter = createSocketLimiter({ maxMessagesPerSecond: 1000, maxBufferedBytes: 1 << 30, sendTimeoutMs: TIMEOUT_MS }, pino({ level: 'silent' }), () => clock);
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  await once(wss, 'listening');
  const accepted = once(wss, 'connection') as Promise<[WebSocket]>;
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, { perMessageDeflate: false });
  const [server] = await accepted;
  await once(client, 'open');
  limiter.attach(server);
  const closed = new Promise<void>((resolve) => server.once('close', () => resolve()));
  stop = async () => {
    limiter.stop();
    client.terminate();
    server.terminate();
    await new Promise((r) => wss.close(r));
  };
  return { limiter, server, client, closed, advance: (ms: number) => (clock += ms) };
}

describe('the send timeout', () => {
  it('cuts off a client that stopped reading once its one unwritten send has waited past the limit', async () => {
    const { limiter, server, client, closed, advance } = await pair();
    (client as unknown as { _socket: { pause(): void } })._socket.pause();
    // One send, with nothing before it, far larger than the connection takes at once.
    server.send(Buffer.alloc(32 * 1024 * 1024));
    await until(() => server.bufferedAmount > 0);
    advance(TIMEOUT_MS);
    limiter.sweep();
    expect(server.readyState).toBe(WebSocket.OPEN);
    advance(1);
    limiter.sweep();
    await closed;
    expect(limiter.stats().slowConsumersDropped).toBe(1);
  });

  it('cuts off a client that stopped reading once the oldest of several sends has waited past the limit', async () => {
    const { limiter, server, client, closed, advance } = await pair();
    (client as unknown as { _socket: { pause(): void } })._socket.pause();
    server.send(Buffer.alloc(16 * 1024 * 1024));
    await until(() => server.bufferedAmount > 0);
    advance(TIMEOUT_MS / 2);
    server.send(Buffer.alloc(1024));
    advance(TIMEOUT_MS / 2 + 1);
    limiter.sweep();
    await closed;
    expect(limiter.stats().slowConsumersDropped).toBe(1);
  });

  it('times a send from its own start when what an earlier send left was written meanwhile', async () => {
    const { limiter, server, client, advance } = await pair();
    const socket = (client as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    let received = 0;
    client.on('message', () => received++);
    socket.pause();
    server.send(Buffer.alloc(16 * 1024 * 1024));
    await until(() => server.bufferedAmount > 0);
    // The client reads again, slowly: by the limit, the first send has left.
    socket.resume();
    await until(() => received === 1 && server.bufferedAmount === 0);
    advance(TIMEOUT_MS - 10);
    // Then it stops again, and another send waits: only for 20 ms when the sweep comes.
    socket.pause();
    server.send(Buffer.alloc(16 * 1024 * 1024));
    await until(() => server.bufferedAmount > 0);
    advance(20);
    limiter.sweep();
    expect(server.readyState).toBe(WebSocket.OPEN);
    expect(limiter.stats().slowConsumersDropped).toBe(0);
  });

  it('keeps a client that reads, however long after its sends, large ones included', async () => {
    const { limiter, server, client, advance } = await pair();
    let received = 0;
    client.on('message', () => received++);
    for (let i = 0; i < 20; i++) server.send(Buffer.alloc(i % 5 === 0 ? 8 * 1024 * 1024 : 64 * 1024));
    await until(() => received === 20);
    advance(10 * TIMEOUT_MS);
    limiter.sweep();
    expect(server.readyState).toBe(WebSocket.OPEN);
    expect(limiter.stats().slowConsumersDropped).toBe(0);
    // And one more, after a long quiet.
    server.send('again');
    await until(() => received === 21);
    advance(10 * TIMEOUT_MS);
    limiter.sweep();
    expect(server.readyState).toBe(WebSocket.OPEN);
  });
});
