import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { createPubSub, type PubSubEventTarget } from '@graphql-yoga/subscription';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Metrics } from './metrics.js';
import type { RedisConnections } from './redis.js';

/** What a chat turn streams, for whoever watches its conversation (see conversationEvents). */
export interface ChatEvent {
  conversationId: string;
  userId: string;
  /** `deleted`: the conversation is gone; its watchers complete (never sent to clients as an event). */
  type: 'start' | 'delta' | 'done' | 'error' | 'deleted';
  delta?: string | null;
  /** For done: the stored result (a ChatResult). */
  response?: unknown;
  error?: { code: string; message: string } | null;
}

/**
 * One event of a resumable chat turn (see ChatTurnLog), as stored in its replay buffer and
 * published on the turn's channel: `seq` counts from 1 without gaps; `done` or `error` is last.
 */
export interface ChatTurnEntry {
  turnId: string;
  seq: number;
  type: 'start' | 'delta' | 'done' | 'error';
  conversationId: string;
  delta?: string | null;
  response?: unknown;
  error?: { code: string; message: string } | null;
}

/**
 * Every event the gateway publishes, by topic. Payloads carry ids, never entities:
 * a subscriber reloads what it shows in its own EntityManager fork.
 */
export type Events = {
  USER_UPDATED: { userId: string };
  ORGANIZATION_EVENT: OrganizationEvent;
  LIVE_EVENT: LiveEvent;
  /** The lifecycle events of a user's live sessions (started, quota warning, ended), on the user's channel. */
  USER_LIVE_EVENT: LiveEvent;
  CHAT_EVENT: ChatEvent;
  CHAT_TURN: ChatTurnEntry;
  CREDENTIALS_REVOKED: CredentialsRevoked;
  DOCUMENT_STATUS: DocumentStatusEvent;
};

/** Why credentials stopped working while sockets may hold them open. */
export type RevocationReason = 'logout' | 'reuse_detected' | 'password_changed' | 'api_key_revoked' | 'integration_token_revoked';

/**
 * Credentials of one user were revoked: every socket they authenticate closes, on every
 * process. Which ones: login sessions by id, every session of the user but one (a password
 * change keeps the caller's), API keys by id, or integration tokens by jti.
 */
export interface CredentialsRevoked {
  userId: string;
  reason: RevocationReason;
  sessionIds?: string[];
  exceptSessionId?: string;
  apiKeyIds?: string[];
  integrationTokenIds?: string[];
}

/**
 * A document's ingestion finished (ready or failed). Published once for its uploader
 * (`scope` = `user:<id>`) and, when shared, once for its organization (`org:<id>`).
 */
export interface DocumentStatusEvent {
  scope: string;
  documentId: string;
  status: 'ready' | 'failed';
}

/** Something happened in a live session (more kinds arrive with the realtime pipeline). */
export type LiveEvent =
  | { type: 'session_started'; sessionId: string; userId: string; remainingSeconds: number; at: string }
  | { type: 'quota_warning'; sessionId: string; userId: string; remainingSeconds: number; message: string; at: string }
  | { type: 'session_ended'; sessionId: string; userId: string; usedSeconds: number; endReason: string; at: string }
  | { type: 'transcript'; sessionId: string; userId: string; role: string; text: string; timestamp: string; at: string }
  | { type: 'audio_response'; sessionId: string; userId: string; turnId: string; seq: number; audio: string; text: string; final: boolean; at: string }
  | {
      type: 'avatar_expression';
      sessionId: string;
      userId: string;
      turnId: string;
      expression: string;
      intensity: number;
      visemes: { offsetMs: number; viseme: string }[];
      at: string;
    };

/** Something changed in an organization; `userId` and `memberId` are the member and membership concerned, when one is. */
export interface OrganizationEvent {
  organizationId: string;
  type:
    | 'organization_updated'
    | 'organization_deleted'
    | 'member_added'
    | 'member_updated'
    | 'member_removed'
    | 'team_created'
    | 'team_updated'
    | 'team_deleted';
  userId: string | null;
  /** The membership concerned, for member events (absent from a process of an earlier release: read as null). */
  memberId?: string | null;
  teamId: string | null;
  actorId: string;
  at: string;
}

export type Topic = keyof Events;

/**
 * Each topic is scoped by the id its subscribers filter on (a user, an organization, a
 * session, a conversation): a channel per scope, so a process hears only what its own
 * subscribers asked for, and a Redis message reaches only the processes that need it.
 */
const SCOPE: { [T in Topic]: (e: Events[T]) => string } = {
  USER_UPDATED: (e) => e.userId,
  ORGANIZATION_EVENT: (e) => e.organizationId,
  LIVE_EVENT: (e) => e.sessionId,
  USER_LIVE_EVENT: (e) => e.userId,
  CHAT_EVENT: (e) => e.conversationId,
  CHAT_TURN: (e) => e.turnId,
  CREDENTIALS_REVOKED: (e) => e.userId,
  DOCUMENT_STATUS: (e) => e.scope,
};

type Channels = { [T in Topic]: [string, Events[T]] };

export interface EventBusOptions {
  /** Events travel through Redis between processes; without it, in this process only. */
  redis?: RedisConnections | null;
  /** Prefixes the Redis channels, so several deployments (or test runs) can share one Redis. */
  prefix?: string;
  log?: Logger;
  metrics?: Metrics;
}

type Listener = ((e: Event) => void) | { handleEvent(e: Event): void };

/**
 * A listener that throws (a subscriber too far behind overflows its queue) loses that
 * event; it must not take the dispatch, or the process, down with it.
 */
function guarded<T extends PubSubEventTarget<Channels>>(target: T, log?: Logger): T {
  const wrapped = new WeakMap<object, (e: Event) => void>();
  const safe = (listener: Listener) => {
    let w = wrapped.get(listener);
    if (!w) {
      const call = 'handleEvent' in listener ? (e: Event) => listener.handleEvent(e) : listener;
      w = (e: Event) => {
        try {
          call(e);
        } catch (err) {
          log?.warn({ err, topic: e.type }, 'an event was dropped for a subscriber that could not take it');
        }
      };
      wrapped.set(listener, w);
    }
    return w;
  };
  return {
    addEventListener: (type: string, listener: Listener | null) => listener && target.addEventListener(type, safe(listener)),
    removeEventListener: (type: string, listener: Listener | null) => listener && target.removeEventListener(type, safe(listener)),
    dispatchEvent: (event: Event) => target.dispatchEvent(event as never),
  } as unknown as T;
}

/**
 * @graphql-yoga/redis-event-target over the gateway's connections, with the channel prefix
 * and errors handled: a publish while Redis is away is logged and reaches this process's own
 * subscribers only (events are notifications; the state they announce is in the database, and
 * what must not be missed elsewhere is read again from there: see CredentialWatch), never an
 * unhandled rejection.
 */
function redisTarget(redis: RedisConnections, prefix: string, log?: Logger): PubSubEventTarget<Channels> {
  const failed = (what: string) => (err: Error) => log?.warn({ err: err.message }, `redis ${what} failed`);
  // How the target hands a message from Redis to this process's subscribers.
  let deliver: ((channel: string, message: string) => void) | null = null;
  const publishClient = {
    publish: (channel: string, message: string) =>
      redis.commands.publish(prefix + channel, message).catch((err: Error) => {
        failed('publish')(err);
        // Refused, so Redis will not bring it back: this process's subscribers hear it from here.
        deliver?.(channel, message);
      }),
  };
  const subscribeClient = {
    on: (_event: 'message', handler: (channel: string, message: string) => void) => {
      deliver = handler;
      return redis.subscriber.on('message', (channel: string, message: string) => {
        if (channel.startsWith(prefix)) handler(channel.slice(prefix.length), message);
      });
    },
    subscribe: (channel: string) => redis.subscriber.subscribe(prefix + channel).catch(failed('subscribe')),
    unsubscribe: (channel: string) => redis.subscriber.unsubscribe(prefix + channel).catch(failed('unsubscribe')),
  };
  return createRedisEventTarget({ publishClient: publishClient as unknown as Redis, subscribeClient: subscribeClient as unknown as Redis });
}

/** ioredis's states of a connection that lost Redis (it retries on its own). */
const AWAY = new Set(['reconnecting', 'close', 'end']);

/** Events a subscriber may fall behind by before it loses the oldest. */
const MAX_BEHIND = 1024;

/**
 * The events of one channel as an async iterator: a plain queue, no Repeater (fan-out to a
 * thousand subscribers runs this per event and subscriber). `return()` unsubscribes at once,
 * even while a `next()` waits.
 */
function channel<T>(target: PubSubEventTarget<Channels>, type: string, log?: Logger, onFinish?: () => void): AsyncIterableIterator<T> {
  const queue: T[] = [];
  let waiting: ((r: IteratorResult<T>) => void) | null = null;
  let done = false;
  let warned = false;
  const listener = (e: Event) => {
    const value = (e as CustomEvent<T>).detail;
    if (waiting) {
      const w = waiting;
      waiting = null;
      w({ value, done: false });
      return;
    }
    if (queue.length >= MAX_BEHIND) {
      queue.shift();
      if (!warned) log?.warn({ topic: type }, 'a subscriber fell behind; its oldest events are dropped');
      warned = true;
    }
    queue.push(value);
  };
  target.addEventListener(type, listener);
  const finish = () => {
    if (done) return;
    done = true;
    target.removeEventListener(type, listener);
    onFinish?.();
    queue.length = 0;
    const w = waiting;
    waiting = null;
    w?.({ value: undefined, done: true });
  };
  const it: AsyncIterableIterator<T> = {
    next: () =>
      queue.length ? Promise.resolve({ value: queue.shift()!, done: false }) : done ? Promise.resolve({ value: undefined, done: true }) : new Promise((resolve) => (waiting = resolve)),
    return: () => {
      finish();
      return Promise.resolve({ value: undefined, done: true });
    },
    throw: (e: unknown) => {
      finish();
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the iterator protocol: throw(e) answers a rejection with the very value given
      return Promise.reject(e);
    },
    [Symbol.asyncIterator]: () => it,
  };
  return it;
}

/**
 * In-process events: listeners by type, called in order. (Node's EventTarget would do, but
 * it warns past ten listeners of a type, and a thousand watchers of one session is the point.)
 */
function memoryTarget(): PubSubEventTarget<Channels> {
  const listeners = new Map<string, Set<(e: Event) => void>>();
  return {
    addEventListener(type: string, listener: ((e: Event) => void) | null) {
      if (!listener) return;
      let set = listeners.get(type);
      if (!set) listeners.set(type, (set = new Set()));
      set.add(listener);
    },
    removeEventListener(type: string, listener: ((e: Event) => void) | null) {
      const set = listeners.get(type);
      if (!set || !listener) return;
      set.delete(listener);
      if (!set.size) listeners.delete(type);
    },
    dispatchEvent(event: Event) {
      const set = listeners.get(event.type);
      if (set) for (const listener of [...set]) listener(event);
      return true;
    },
  };
}

export function createEventBus(options: EventBusOptions = {}) {
  const target = guarded(options.redis ? redisTarget(options.redis, `${options.prefix ?? ''}events:`, options.log) : memoryTarget(), options.log);
  const pubsub = createPubSub<Channels>({ eventTarget: target });
  /** Open iterators per channel in this process (for tests and stats: "is anyone listening yet?"). */
  const listening = new Map<string, number>();
  return {
    /** For type-graphql's buildSchema; the resolvers subscribe through `subscribe` below. */
    pubsub,
    /**
     * Publishes after commit; the topic's scope id is read from the payload. The event goes to
     * the target as the shape its listeners read (`type`, `detail`), as createPubSub's publish
     * would send it, without the CustomEvent that costs about a microsecond (a chat token is one event).
     */
    publish<T extends Topic>(topic: T, payload: Events[T]): void {
      options.metrics?.eventsPublished.inc({ topic });
      target.dispatchEvent({ type: `${topic}:${SCOPE[topic](payload)}`, detail: payload } as unknown as Parameters<typeof target.dispatchEvent>[0]);
    },
    /** The events of one scope of a topic (one user, organization, session or conversation). */
    subscribe<T extends Topic>(topic: T, scopeId: string): AsyncIterableIterator<Events[T]> {
      const name = `${topic}:${scopeId}`;
      listening.set(name, (listening.get(name) ?? 0) + 1);
      return channel<Events[T]>(target, name, options.log, () => {
        const n = (listening.get(name) ?? 1) - 1;
        if (n > 0) listening.set(name, n);
        else listening.delete(name);
      });
    },
    /**
     * Resolves once events of this scope published from now on reach this process's
     * subscribers (with Redis: once Redis confirmed the channel's subscription; in memory at
     * once). At most `timeoutMs` while Redis connects; false at once while it is away (the
     * subscription is made when it is back).
     */
    async ready(topic: Topic, scopeId: string, timeoutMs = 2000): Promise<boolean> {
      const redis = options.redis;
      if (!redis) return true;
      if (AWAY.has(redis.subscriber.status)) return false;
      let timer: NodeJS.Timeout | undefined;
      try {
        // Redis answers a connection's commands in order: this SUBSCRIBE's confirmation comes after the first one's.
        return await Promise.race([
          redis.subscriber.subscribe(`${options.prefix ?? ''}events:${topic}:${scopeId}`).then(() => true),
          new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
        ]);
      } catch {
        return false;
      } finally {
        clearTimeout(timer);
      }
    },
    /** How many subscribers of this process listen to one scope of a topic now. */
    listeners(topic: Topic, scopeId: string): number {
      return listening.get(`${topic}:${scopeId}`) ?? 0;
    },
  };
}

export type EventBus = ReturnType<typeof createEventBus>;
