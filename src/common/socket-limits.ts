import type { WebSocket } from 'ws';
import type { Logger } from 'pino';

export interface SocketLimits {
  /** Messages a client may send in one second; past it the socket is closed with 1008. */
  maxMessagesPerSecond: number;
  /** Bytes that may wait unread by the client; past it the socket is cut off. */
  maxBufferedBytes: number;
}

/** Close code for a client that floods the socket (RFC 6455: policy violation). */
export const WS_POLICY_VIOLATION = 1008;

/** How long a flooding client has to answer the close frame before its connection is dropped. */
const CLOSE_GRACE_MS = 1000;

/** Counters for the soak benchmark and tests: what the limits did since the process started. */
export const socketLimitStats = { floodsClosed: 0, slowConsumersDropped: 0 };

/**
 * Limits one WebSocket, whichever route accepted it (GraphQL subscriptions, the live socket).
 * Attached when the connection opens, before the route's own listeners:
 *
 * - A client sending more than `maxMessagesPerSecond` is closed (1008) and nothing more it
 *   sends is handed to the route, so a flood cannot queue unbounded work.
 * - A client that does not read what it is sent (its unread bytes, `bufferedAmount`, pass
 *   `maxBufferedBytes`) is cut off at once: a close frame would wait behind the unread data,
 *   and holding that data for it is exactly the memory the limit protects.
 *
 * Other clients are untouched: the limits are per socket.
 */
export function limitSocket(socket: WebSocket, limits: SocketLimits, log: Logger): void {
  let windowStart = Date.now();
  let count = 0;
  let refused = false;

  const emit = socket.emit.bind(socket) as (event: string | symbol, ...args: unknown[]) => boolean;
  socket.emit = ((event: string | symbol, ...args: unknown[]): boolean => {
    if (event === 'error') {
      // A client breaking the protocol (a message over the size limit, invalid UTF-8, a bad
      // frame): ws closes the socket with the matching code (1009, 1007, 1002) on its own.
      // It is the client's doing, not the route's: noted here, not raised as the route's error.
      const err = args[0] as NodeJS.ErrnoException | undefined;
      if (typeof err?.code === 'string' && err.code.startsWith('WS_ERR_')) {
        log.info({ code: err.code }, 'websocket client broke the protocol; closed');
        return true;
      }
      return emit(event, ...args);
    }
    if (event !== 'message') return emit(event, ...args);
    if (refused) return false;
    const now = Date.now();
    if (now - windowStart >= 1000) {
      windowStart = now;
      count = 0;
    }
    if (++count > limits.maxMessagesPerSecond) {
      refused = true;
      socketLimitStats.floodsClosed++;
      log.warn({ limit: limits.maxMessagesPerSecond }, 'websocket client sent too many messages; closing');
      socket.close(WS_POLICY_VIOLATION, 'Too many messages');
      setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
      return false;
    }
    return emit(event, ...args);
  }) as typeof socket.emit;

  const send = socket.send.bind(socket) as (...args: unknown[]) => void;
  socket.send = ((...args: unknown[]): void => {
    send(...args);
    if (socket.bufferedAmount > limits.maxBufferedBytes && socket.readyState !== socket.CLOSED) {
      socketLimitStats.slowConsumersDropped++;
      log.warn({ buffered: socket.bufferedAmount, limit: limits.maxBufferedBytes }, 'websocket client is not reading; disconnecting');
      socket.terminate();
    }
  }) as typeof socket.send;
}
