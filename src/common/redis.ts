import { Redis } from 'ioredis';
import type { Logger } from 'pino';

/**
 * The gateway's two Redis connections (ioredis): one for commands (publishing, rate-limit
 * counters), one in subscriber mode for the event bus. Both reconnect on their own; while
 * Redis is away, commands fail at once instead of queueing (the rate limits fall back to
 * memory, publishing logs and drops), so no request waits on Redis, and /readyz says so.
 */
export class RedisConnections {
  readonly commands: Redis;
  readonly subscriber: Redis;
  private closed = false;

  constructor(url: string, log: Logger) {
    const retryStrategy = (times: number) => Math.min(100 * times, 2000);
    this.commands = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy, connectionName: 'xentree-commands' });
    // The subscriber keeps its queue: subscriptions made while Redis is away are sent on reconnect,
    // and ioredis subscribes again to every channel after a reconnect.
    this.subscriber = new Redis(url, { maxRetriesPerRequest: null, autoResubscribe: true, retryStrategy, connectionName: 'xentree-events' });
    for (const [name, client] of [
      ['commands', this.commands],
      ['events', this.subscriber],
    ] as const) {
      let down = false;
      client.on('error', (err: Error) => {
        // One line per outage, not one per reconnection attempt.
        if (!down && !this.closed) log.warn({ err: err.message, connection: name }, 'redis unreachable; retrying');
        down = true;
      });
      client.on('ready', () => {
        if (down) log.info({ connection: name }, 'redis reachable again');
        down = false;
      });
    }
  }

  /**
   * Resolves once both connections are ready, or after `timeoutMs` (the gateway starts
   * without Redis too, and says so on /readyz). Until then counters would fall back to memory.
   */
  async connected(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.commands.status !== 'ready' || this.subscriber.status !== 'ready') {
      if (Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, 10));
    }
    return true;
  }

  /** Both connections up, and Redis answering. */
  async ready(timeoutMs = 1000): Promise<boolean> {
    if (this.commands.status !== 'ready' || this.subscriber.status !== 'ready') return false;
    let timer: NodeJS.Timeout | undefined;
    try {
      const pong = await Promise.race([
        this.commands.ping(),
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('redis ping timed out')), timeoutMs))),
      ]);
      return pong === 'PONG';
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([this.commands.quit(), this.subscriber.quit()]);
    this.commands.disconnect();
    this.subscriber.disconnect();
  }
}
