import type { WebsocketHandler } from '@fastify/websocket';
import type { FastifyRequest } from 'fastify';
import { CloseCode, DEPRECATED_GRAPHQL_WS_PROTOCOL, handleProtocols, makeServer, type ServerOptions } from 'graphql-ws';
import type { RawData, WebSocket } from 'ws';

/** Bytes a socket may have queued before a send waits for them to leave. */
const HIGH_WATER = 512 * 1024;

export interface Extra {
  readonly socket: WebSocket;
  readonly request: FastifyRequest;
}

/** A message's text: ws hands a Buffer (the default binaryType), the other shapes are for completeness. */
const textOf = (data: RawData): string => (Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)).toString();
const reasonOf = (err: unknown): string => (err instanceof Error ? err.message : String(err)).slice(0, 120) || 'Internal server error';

/** What a SerializedPayload stands for in the text graphql-ws writes, until `send` puts the payload's own text there. */
const PLACEHOLDER = '\u0000serialized payload';
const PLACEHOLDER_JSON = JSON.stringify(PLACEHOLDER);
/** The SerializedPayload graphql-ws is writing now (set by its toJSON, taken by the next `send`). */
let writing: SerializedPayload | null = null;

/**
 * A `next` message's payload already serialized (see the hooks' onNext in ws.ts): one result
 * shared by a thousand subscribers is serialized once, each frame writes only its envelope.
 * graphql-ws builds a frame as `send(JSON.stringify(message))`, synchronously: the payload's
 * toJSON leaves a placeholder there and says which payload it is, and this adapter's `send`,
 * called next, puts the payload's text in the placeholder's place.
 */
export class SerializedPayload {
  constructor(readonly json: string) {}

  toJSON(): string {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the payload being written, for the send that follows
    writing = this;
    return PLACEHOLDER;
  }
}

/** A frame with its SerializedPayload written in (a frame without one is returned as it is). */
function withPayload(data: string): string {
  const payload = writing;
  if (!payload) return data;
  writing = null;
  const at = data.lastIndexOf(PLACEHOLDER_JSON);
  // Never send a placeholder: graphql-ws would have changed how it writes frames.
  if (at < 0) throw new Error('a serialized payload was not written into its frame');
  return data.slice(0, at) + payload.json + data.slice(at + PLACEHOLDER_JSON.length);
}

/**
 * graphql-ws on @fastify/websocket: graphql-ws's own adapter (`graphql-ws/use/@fastify/websocket`)
 * with one change for fan-out. Its send waits for every frame to be written before the
 * subscription takes the next event, a promise and a callback per frame; here a frame is
 * queued on the socket and only a socket with more than HIGH_WATER bytes waiting makes
 * its subscription wait, so a slow client still holds back only itself. And a payload
 * serialized once (SerializedPayload) is written into each frame as it is.
 */
export function makeWsHandler(options: ServerOptions<Record<string, unknown> | undefined, Extra>, keepAliveMs = 12_000): WebsocketHandler {
  const server = makeServer(options);
  let serverErrorsHandled = false;
  return function handler(this: { websocketServer: { options: { handleProtocols?: unknown }; once(e: 'error', f: (err: unknown) => void): void; clients: Set<WebSocket> } }, socket: WebSocket, request: FastifyRequest) {
    this.websocketServer.options.handleProtocols = handleProtocols;
    if (!serverErrorsHandled) {
      serverErrorsHandled = true;
      this.websocketServer.once('error', (err) => {
        request.log.error({ err }, 'error on the WebSocket server');
        for (const client of this.websocketServer.clients) client.close(CloseCode.InternalServerError, 'Internal server error');
      });
    }
    socket.once('error', (err) => {
      request.log.error({ err }, 'error on a WebSocket');
      socket.close(CloseCode.InternalServerError, 'Internal server error');
    });
    let pongWait: NodeJS.Timeout | null = null;
    const pingInterval =
      keepAliveMs > 0
        ? setInterval(() => {
            if (socket.readyState !== socket.OPEN) return;
            pongWait = setTimeout(() => socket.terminate(), keepAliveMs);
            socket.once('pong', () => {
              if (pongWait) clearTimeout(pongWait);
              pongWait = null;
            });
            socket.ping();
          }, keepAliveMs)
        : null;
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (text) => {
          const data = withPayload(text);
          if (socket.readyState !== socket.OPEN) return;
          if (socket.bufferedAmount < HIGH_WATER) {
            socket.send(data);
            return;
          }
          return new Promise<void>((resolve) => socket.send(data, () => resolve()));
        },
        close: (code, reason) => socket.close(code, reason),
        onMessage: (cb) =>
          socket.on('message', (event) => {
            cb(textOf(event)).catch((err: unknown) => {
              request.log.error({ err }, 'error handling a graphql-ws message');
              socket.close(CloseCode.InternalServerError, reasonOf(err));
            });
          }),
      },
      { socket, request },
    );
    socket.once('close', (code, reason) => {
      if (pongWait) clearTimeout(pongWait);
      if (pingInterval) clearInterval(pingInterval);
      if (code === Number(CloseCode.SubprotocolNotAcceptable) && socket.protocol === DEPRECATED_GRAPHQL_WS_PROTOCOL) request.log.warn('a client spoke the retired subscriptions-transport-ws protocol');
      void closed(code, String(reason));
    });
  } as WebsocketHandler;
}
