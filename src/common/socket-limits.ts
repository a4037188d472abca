import type { Logger } from 'pino';
import type { WebSocket } from 'ws';

export interface SocketLimits {
  /** Messages a client may send in one second; past it the socket is closed with 1008. */
  maxMessagesPerSecond: number;
  /** Bytes that may wait unread by the client; past it the socket is cut off. */
  maxBufferedBytes: number;
  /** How long a message sent to the client may wait to be taken; past it the socket is cut off. */
  sendTimeoutMs: number;
}

/** Close code for a client that floods the socket (RFC 6455: policy violation). */
export const WS_POLICY_VIOLATION = 1008;

/** How long a flooding client has to answer the close frame before its connection is dropped. */
const CLOSE_GRACE_MS = 1000;

interface Tracked {
  socket: WebSocket;
  /** When each send still waiting to reach the connection started, oldest first. */
  pending: number[];
  /**
   * When a send made with nothing waiting before it (so without a callback: most sends reach
   * the connection at once) was left partly unwritten; it is written before any later send.
   */
  since: number | null;
}

export interface SocketLimiter {
  /** Puts a socket under the limits, before its route attaches its own listeners. */
  attach(socket: WebSocket): void;
  /** What the limits did so far. */
  stats(): { floodsClosed: number; slowConsumersDropped: number; tracked: number };
  /** Cuts off now the sockets whose oldest send has waited past the limit (the timer does this every so often). */
  sweep(): void;
  stop(): void;
}

/**
 * Limits every WebSocket, whichever route accepted it (GraphQL subscriptions, the live socket):
 *
 * - A client sending more than `maxMessagesPerSecond` is closed (1008) and nothing more it
 *   sends is handed to the route, so a flood cannot queue unbounded work.
 * - A client that does not read what it is sent is cut off at once (no close frame: it would
 *   wait behind the unread data, and holding that data is the memory this protects), when
 *   its unread bytes pass `maxBufferedBytes`, or when a message has waited `sendTimeoutMs` to
 *   reach it (a sender that waits for its sends keeps its backlog upstream, in the
 *   subscription's queue, where the socket's buffer never shows it).
 * - A client breaking the protocol (a message over the size limit, invalid UTF-8) is closed
 *   by ws with the matching code; that is logged as the client's doing, not the route's error.
 *
 * The limits are per socket: other clients are untouched.
 */
export function createSocketLimiter(limits: SocketLimits, log: Logger, now: () => number = Date.now): SocketLimiter {
  const tracked = new Set<Tracked>();
  const counts = { floodsClosed: 0, slowConsumersDropped: 0 };

  const drop = (t: Tracked, why: string, detail: Record<string, unknown>) => {
    counts.slowConsumersDropped++;
    log.warn({ ...detail, why }, 'websocket client is not reading; disconnecting');
    tracked.delete(t);
    t.socket.terminate();
  };

  /** Nothing left unwritten: the send made without a callback has reached the connection. */
  const written = (t: Tracked) => {
    if (t.since !== null && t.socket.bufferedAmount === 0) t.since = null;
  };
  const sweep = () => {
    const at = now();
    for (const t of tracked) {
      written(t);
      const oldest = t.since ?? t.pending[0];
      if (oldest !== undefined && at - oldest > limits.sendTimeoutMs) drop(t, 'send timeout', { waitedMs: at - oldest, limitMs: limits.sendTimeoutMs });
    }
  };
  // One timer for every socket: a send stuck behind a client that stopped reading.
  const timer = setInterval(sweep, Math.min(1000, Math.max(50, Math.floor(limits.sendTimeoutMs / 4))));
  timer.unref();

  return {
    stats: () => ({ ...counts, tracked: tracked.size }),
    sweep,
    stop: () => clearInterval(timer),
    attach(socket: WebSocket): void {
      const t: Tracked = { socket, pending: [], since: null };
      tracked.add(t);
      socket.once('close', () => tracked.delete(t));
      let windowStart = now();
      let count = 0;
      let refused = false;

      const emit = socket.emit.bind(socket) as (event: string | symbol, ...args: unknown[]) => boolean;
      socket.emit = ((event: string | symbol, ...args: unknown[]): boolean => {
        if (event === 'error') {
          const err = args[0] as NodeJS.ErrnoException | undefined;
          if (typeof err?.code === 'string' && err.code.startsWith('WS_ERR_')) {
            log.info({ code: err.code }, 'websocket client broke the protocol; closed');
            return true;
          }
          return emit(event, ...args);
        }
        if (event !== 'message') return emit(event, ...args);
        if (refused) return false;
        const at = now();
        if (at - windowStart >= 1000) {
          windowStart = at;
          count = 0;
        }
        if (++count > limits.maxMessagesPerSecond) {
          refused = true;
          counts.floodsClosed++;
          log.warn({ limit: limits.maxMessagesPerSecond }, 'websocket client sent too many messages; closing');
          socket.close(WS_POLICY_VIOLATION, 'Too many messages');
          setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
          return false;
        }
        return emit(event, ...args);
      }) as typeof socket.emit;

      const send = socket.send.bind(socket) as (data: unknown, options: object, cb?: (err?: Error) => void) => void;
      socket.send = ((data: unknown, optionsOrCb?: object | ((err?: Error) => void), cb?: (err?: Error) => void): void => {
        const callback = (typeof optionsOrCb === 'function' ? optionsOrCb : cb) as ((err?: Error) => void) | undefined;
        const options = typeof optionsOrCb === 'object' && optionsOrCb ? optionsOrCb : {};
        if (socket.readyState !== socket.OPEN) return send(data, options, callback);
        // What the last untimed send left may have been written since: then this send is timed from its own start.
        written(t);
        if (t.since === null && t.pending.length === 0 && socket.bufferedAmount === 0) {
          // Nothing waits: the send most likely reaches the connection at once, and needs no
          // callback to time it (a callback per send cost every subscriber's every frame).
          send(data, options, callback);
          if (socket.bufferedAmount > 0) t.since = now();
        } else {
          t.pending.push(now());
          send(data, options, (err?: Error) => {
            t.pending.shift();
            // Sends reach the connection in order: the one without a callback is there too.
            t.since = null;
            callback?.(err);
          });
        }
        if (socket.bufferedAmount > limits.maxBufferedBytes && tracked.has(t)) drop(t, 'unread bytes', { buffered: socket.bufferedAmount, limit: limits.maxBufferedBytes });
      }) as typeof socket.send;
    },
  };
}
