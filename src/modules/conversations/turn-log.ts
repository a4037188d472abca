import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Clock } from '../../common/clock.js';
import { AppError } from '../../common/errors.js';
import type { ChatTurnEntry, EventBus } from '../../common/pubsub.js';

/** Who a turn belongs to and where it is stored; kept beside its events for as long as they are. */
export interface TurnMeta {
  userId: string;
  conversationId: string;
  /** The turn is in a conversation that existed when it started (else its reply makes the conversation). */
  existing?: boolean;
}

/**
 * Where a turn's events are kept for replay: in this process's memory, or in Redis (a
 * stream per turn, so every gateway process reads the same events). Every write extends the
 * turn's lifetime to `ttlMs` after it; a turn with no write for that long is gone.
 */
export interface TurnStore {
  /** Claims `turnId` for `meta`; null when claimed now, else the meta of whoever claimed it first. */
  reserve(turnId: string, meta: TurnMeta): Promise<TurnMeta | null>;
  meta(turnId: string): Promise<TurnMeta | null>;
  /** Forgets a claim whose turn never started (its input or the rate limit refused it). */
  release(turnId: string): Promise<void>;
  append(entry: ChatTurnEntry): Promise<void>;
  /** The stored events with `seq > after`, in order. */
  range(turnId: string, after: number): Promise<ChatTurnEntry[]>;
  /** The last stored event. */
  last(turnId: string): Promise<ChatTurnEntry | null>;
}

/** In memory, for one process: bounded by the number of turns (the oldest go first) and by age. */
export class MemoryTurnStore implements TurnStore {
  private readonly turns = new Map<string, { meta: TurnMeta; entries: ChatTurnEntry[]; expiresAt: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs: number,
    private readonly maxTurns: number,
  ) {}

  private live(turnId: string) {
    const t = this.turns.get(turnId);
    if (t && t.expiresAt <= this.clock.now()) {
      this.turns.delete(turnId);
      return undefined;
    }
    return t;
  }

  private sweep(): void {
    const now = this.clock.now();
    // Insertion order is roughly age order: stop at the first one still alive, unless over the bound.
    for (const [id, t] of this.turns) {
      if (t.expiresAt > now && this.turns.size < this.maxTurns) break;
      this.turns.delete(id);
    }
  }

  async reserve(turnId: string, meta: TurnMeta): Promise<TurnMeta | null> {
    const t = this.live(turnId);
    if (t) return t.meta;
    this.sweep();
    this.turns.set(turnId, { meta, entries: [], expiresAt: this.clock.now() + this.ttlMs });
    return null;
  }

  async meta(turnId: string): Promise<TurnMeta | null> {
    return this.live(turnId)?.meta ?? null;
  }

  async release(turnId: string): Promise<void> {
    this.turns.delete(turnId);
  }

  async append(entry: ChatTurnEntry): Promise<void> {
    const t = this.live(entry.turnId);
    if (!t) return;
    t.entries.push(entry);
    t.expiresAt = this.clock.now() + this.ttlMs;
  }

  async range(turnId: string, after: number): Promise<ChatTurnEntry[]> {
    const entries = this.live(turnId)?.entries ?? [];
    // seq n is at index n - 1.
    return entries.slice(Math.max(0, after));
  }

  async last(turnId: string): Promise<ChatTurnEntry | null> {
    return this.live(turnId)?.entries.at(-1) ?? null;
  }
}

/**
 * In Redis: `<prefix>chat-turn:<id>` holds the meta (SET NX, so one process claims a turn id),
 * `<prefix>chat-turn:<id>:events` a stream whose entry ids are `0-<seq>`, so reading from a
 * sequence number is XRANGE from `0-<seq + 1>`. Both expire `ttlMs` after the last write.
 */
export class RedisTurnStore implements TurnStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlMs: number,
  ) {}

  private key(turnId: string) {
    return `${this.prefix}chat-turn:${turnId}`;
  }

  private async call<T>(what: Promise<T>): Promise<T> {
    try {
      return await what;
    } catch (e) {
      throw new AppError('service_unavailable', 'The chat turn buffer (Redis) is unreachable; try again', { cause: (e as Error).message });
    }
  }

  async reserve(turnId: string, meta: TurnMeta): Promise<TurnMeta | null> {
    const set = await this.call(this.redis.set(this.key(turnId), JSON.stringify(meta), 'PX', this.ttlMs, 'NX'));
    if (set === 'OK') return null;
    return (await this.meta(turnId)) ?? meta;
  }

  async meta(turnId: string): Promise<TurnMeta | null> {
    const raw = await this.call(this.redis.get(this.key(turnId)));
    return raw ? (JSON.parse(raw) as TurnMeta) : null;
  }

  async release(turnId: string): Promise<void> {
    await this.call(this.redis.del(this.key(turnId), `${this.key(turnId)}:events`));
  }

  async append(entry: ChatTurnEntry): Promise<void> {
    const key = this.key(entry.turnId);
    await this.call(
      this.redis
        .multi()
        .xadd(`${key}:events`, `0-${entry.seq}`, 'e', JSON.stringify(entry))
        .pexpire(`${key}:events`, this.ttlMs)
        .pexpire(key, this.ttlMs)
        .exec()
        .then((replies) => {
          const failed = replies?.find(([err]) => err)?.[0];
          if (failed) throw failed;
        }),
    );
  }

  async range(turnId: string, after: number): Promise<ChatTurnEntry[]> {
    const rows = await this.call(this.redis.xrange(`${this.key(turnId)}:events`, `0-${after + 1}`, '+'));
    return rows.map(([, fields]) => JSON.parse(fields[1]!) as ChatTurnEntry);
  }

  async last(turnId: string): Promise<ChatTurnEntry | null> {
    const rows = await this.call(this.redis.xrevrange(`${this.key(turnId)}:events`, '+', '-', 'COUNT', 1));
    return rows[0] ? (JSON.parse(rows[0][1][1]!) as ChatTurnEntry) : null;
  }
}

/** Events a turn stores one by one; past this, the rest of the reply is kept as one DELTA before the end. */
export const MAX_TURN_EVENTS = 10_000;

const isLast = (e: ChatTurnEntry) => e.type === 'done' || e.type === 'error';

/** What a turn's writer takes: an event without its turn id and sequence number. */
export type TurnEvent = Omit<ChatTurnEntry, 'turnId' | 'seq'>;

/**
 * Resumable chat turns: each event of a turn gets the next sequence number, is stored in the
 * turn's replay buffer, then published on the turn's channel. A reader asks for the events
 * after a sequence number: it listens first, reads what is stored, then follows what is
 * published, skipping what it already sent and filling any gap from the store, so it sees
 * every event once, in order, whichever process runs the turn.
 */
export class ChatTurnLog {
  constructor(
    private readonly store: TurnStore,
    private readonly events: EventBus,
    private readonly log?: Logger,
  ) {}

  reserve(turnId: string, meta: TurnMeta): Promise<TurnMeta | null> {
    return this.store.reserve(turnId, meta);
  }

  meta(turnId: string): Promise<TurnMeta | null> {
    return this.store.meta(turnId);
  }

  release(turnId: string): Promise<void> {
    return this.store.release(turnId);
  }

  /** The events stored after `after` (for a snapshot). */
  range(turnId: string, after: number): Promise<ChatTurnEntry[]> {
    return this.store.range(turnId, after);
  }

  /** Whether the turn has ended: its last event (DONE or ERROR) is stored; with `after`, at or before it (nothing follows). */
  async ended(turnId: string, after = Number.MAX_SAFE_INTEGER): Promise<boolean> {
    const last = await this.store.last(turnId);
    return last !== null && isLast(last) && last.seq <= after;
  }

  /**
   * The writer of one turn: `emit` numbers an event and stores it, then publishes it, in
   * order; `flushed` resolves once everything emitted is written. After the last event
   * (`done` or `error`) it takes nothing more.
   */
  writer(turnId: string): { emit(event: TurnEvent): void; flushed(): Promise<void> } {
    let seq = 0;
    let ended = false;
    let held: TurnEvent | null = null;
    let chain: Promise<void> = Promise.resolve();
    const write = (event: TurnEvent) => {
      const entry: ChatTurnEntry = { ...event, turnId, seq: ++seq };
      // Published even when it could not be stored: who listens now still hears it.
      chain = chain
        .then(() => this.store.append(entry))
        .catch((err: unknown) => this.log?.warn({ err, turnId, seq: entry.seq }, 'a chat turn event could not be stored'))
        .then(() => this.events.publish('CHAT_TURN', entry));
    };
    return {
      emit: (event) => {
        if (ended) return;
        if (event.type === 'delta' && seq >= MAX_TURN_EVENTS - 2) {
          held = { ...event, delta: `${held?.delta ?? ''}${event.delta ?? ''}` };
          return;
        }
        if (held) write(held);
        held = null;
        if (isLast(event as ChatTurnEntry)) ended = true;
        write(event);
      },
      flushed: () => chain,
    };
  }

  /**
   * The turn's events after `after`, then the live rest; completes after the last one.
   * `return()` stops at once, even while waiting for the next event.
   */
  follow(turnId: string, after: number): AsyncIterableIterator<ChatTurnEntry> {
    const live = this.events.subscribe('CHAT_TURN', turnId);
    const store = this.store;
    const events = this.events;
    let sent = after;
    async function* run(): AsyncGenerator<ChatTurnEntry> {
      await events.ready('CHAT_TURN', turnId);
      const fill = async function* (upTo: number): AsyncGenerator<ChatTurnEntry> {
        for (const e of await store.range(turnId, sent)) {
          if (e.seq > upTo) return;
          if (e.seq !== sent + 1) continue;
          sent = e.seq;
          yield e;
          if (isLast(e)) return;
        }
      };
      for await (const e of fill(Number.MAX_SAFE_INTEGER)) {
        yield e;
        if (isLast(e)) return;
      }
      // Asked for what follows the last event of a finished turn: nothing will.
      const last = await store.last(turnId);
      if (last && isLast(last) && last.seq <= sent) return;
      for (;;) {
        const r = await live.next();
        if (r.done) return;
        const e = r.value;
        // Already sent, or before `after`; the last event ends the reader even then (asked past it, nothing follows).
        if (e.seq <= sent) {
          if (isLast(e)) return;
          continue;
        }
        // Something published before this process listened, or lost on the way: read it back.
        if (e.seq > sent + 1) {
          for await (const f of fill(e.seq - 1)) {
            yield f;
            if (isLast(f)) return;
          }
          // Not stored either (the buffer was unreachable): go on rather than wait for it forever.
        }
        sent = e.seq;
        yield e;
        if (isLast(e)) return;
      }
    }
    const gen = run();
    const it: AsyncIterableIterator<ChatTurnEntry> = {
      next: async () => {
        const r = await gen.next();
        if (r.done) await live.return?.();
        return r;
      },
      return: async () => {
        await live.return?.();
        await gen.return(undefined);
        return { done: true, value: undefined };
      },
      throw: async (e: unknown) => {
        await live.return?.();
        await gen.return(undefined);
        throw e;
      },
      [Symbol.asyncIterator]: () => it,
    };
    return it;
  }
}
