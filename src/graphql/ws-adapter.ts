import type { WebsocketHandler } from '@fastify/websocket';
import type { FastifyRequest } from 'fastify';
import { CloseCode, DEPRECATED_GRAPHQL_WS_PROTOCOL, handleProtocols, makeServer, type ServerOptions } from 'graphql-ws';
import type { RawData, WebSocket } from 'ws';
import { AppError } from '../common/errors.js';

/** Bytes a socket may have queued before a send waits for them to leave. */
const HIGH_WATER = 512 * 1024;

export interface Extra {
  readonly socket: WebSocket;
  readonly request: FastifyRequest;
  /**
   * Sends a frame as graphql-ws's own sends do (queued on the socket; a promise only past
   * HIGH_WATER). The fan-out writes a subscription's frames through it (see fanout.ts's Delivery).
   */
  readonly send: (data: string) => void | Promise<void>;
}

/** A message's text: ws hands a Buffer (the default binaryType), the other shapes are for completeness. */
const textOf = (data: RawData): string => (Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)).toString();
/** The close reason of a failure: an AppError says what it is, anything else is masked (it is logged). */
const reasonOf = (err: unknown): string => (err instanceof AppError ? `${err.code}: ${err.message}`.slice(0, 120) : 'Internal server error');

/**
 * graphql-ws on @fastify/websocket: graphql-ws's own adapter (`graphql-ws/use/@fastify/websocket`)
 * with one change for fan-out. Its send waits for every frame to be written before the
 * subscription takes the next event, a promise and a callback per frame; here a frame is
 * queued on the socket and only a socket with more than HIGH_WATER bytes waiting makes
 * its subscription wait, so a slow client still holds back only itself.
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
    const send = (data: string): void | Promise<void> => {
      if (socket.readyState !== socket.OPEN) return;
      if (socket.bufferedAmount < HIGH_WATER) {
        socket.send(data);
        return;
      }
      return new Promise<void>((resolve) => socket.send(data, () => resolve()));
    };
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send,
        close: (code, reason) => socket.close(code, reason),
        onMessage: (cb) =>
          socket.on('message', (event) => {
            cb(textOf(event)).catch((err: unknown) => {
              request.log.error({ err }, 'error handling a graphql-ws message');
              socket.close(CloseCode.InternalServerError, reasonOf(err));
            });
          }),
      },
      { socket, request, send },
    );
    socket.once('close', (code, reason) => {
      if (pongWait) clearTimeout(pongWait);
      if (pingInterval) clearInterval(pingInterval);
      if (code === Number(CloseCode.SubprotocolNotAcceptable) && socket.protocol === DEPRECATED_GRAPHQL_WS_PROTOCOL) request.log.warn('a client spoke the retired subscriptions-transport-ws protocol');
      void closed(code, String(reason));
    });
  } as WebsocketHandler;
}
