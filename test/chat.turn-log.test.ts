import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createEventBus, type ChatTurnEntry } from '../src/common/pubsub.js';
import { ChatTurnLog, MAX_TURN_EVENTS, MemoryTurnStore, RedisTurnStore } from '../src/modules/conversations/turn-log.js';
import { ManualClock } from './helpers/clock.js';

/**
 * The replay buffer's reader on its own (no database, no provider): what it does with the
 * races a real deployment has but a test cannot time, forced here on purpose.
 */

const TTL = 60_000;
const meta = { userId: 'u', conversationId: 'c' };

function setup(maxTurns = 100) {
  const clock = new ManualClock();
  const events = createEventBus();
  const store = new MemoryTurnStore(clock, TTL, maxTurns);
  return { clock, events, store, log: new ChatTurnLog(store, events) };
}

const entry = (seq: number, type: ChatTurnEntry['type'] = 'delta'): ChatTurnEntry => ({ turnId: 't', seq, type, conversationId: 'c', delta: type === 'delta' ? `d${seq}` : null });

async function take(it: AsyncIterator<ChatTurnEntry>, n: number): Promise<number[]> {
  const out: number[] = [];
  while (out.length < n) {
    const r = await it.next();
    if (r.done) break;
    out.push(r.value.seq);
  }
  return out;
}

describe('ChatTurnLog.follow', () => {
  it('skips an event published again after it was replayed, and fills a gap in what is published from the store', async () => {
    const { events, store, log } = setup();
    await store.reserve('t', meta);
    for (const seq of [1, 2, 3]) await store.append(entry(seq));
    const it = log.follow('t', 1);
    expect(await take(it, 2)).toEqual([2, 3]);
    // 3 again (published after the reader replayed it), then 6 while 4 and 5 only reached the store.
    events.publish('CHAT_TURN', entry(3));
    await store.append(entry(4));
    await store.append(entry(5));
    await store.append(entry(6));
    events.publish('CHAT_TURN', entry(6));
    events.publish('CHAT_TURN', entry(5));
    await store.append(entry(7, 'done'));
    events.publish('CHAT_TURN', entry(7, 'done'));
    expect(await take(it, 10)).toEqual([4, 5, 6, 7]);
    expect((await it.next()).done).toBe(true);
    // Completed: it listens no more.
    expect(events.listeners('CHAT_TURN', 't')).toBe(0);
  });

  it('completes at once past the end of a finished turn, and return() ends a reader that waits', async () => {
    const { events, store, log } = setup();
    await store.reserve('t', meta);
    await store.append(entry(1, 'start'));
    await store.append(entry(2, 'done'));
    expect((await log.follow('t', 2).next()).done).toBe(true);

    await store.reserve('u', meta);
    const waiting = log.follow('u', 0);
    const next = waiting.next();
    await expect.poll(() => events.listeners('CHAT_TURN', 'u')).toBe(1);
    await waiting.return!();
    expect((await next).done).toBe(true);
    expect(events.listeners('CHAT_TURN', 'u')).toBe(0);
  });

  it('completes at the last event of a running turn when asked past it, sending nothing', async () => {
    const { events, store, log } = setup();
    await store.reserve('t', meta);
    await store.append(entry(1, 'start'));
    const it = log.follow('t', 50);
    const next = it.next();
    await expect.poll(() => events.listeners('CHAT_TURN', 't')).toBe(1);
    // Published only (as if its store had failed): the reader cannot learn from the store that the turn ended.
    events.publish('CHAT_TURN', entry(2));
    events.publish('CHAT_TURN', entry(3, 'done'));
    expect(await next).toEqual({ done: true, value: undefined });
    expect(events.listeners('CHAT_TURN', 't')).toBe(0);
  });
});

describe('ChatTurnLog.writer', () => {
  it('numbers events from 1, takes nothing after the last, and keeps the pieces past the bound as one DELTA before the end', async () => {
    const { store, log } = setup();
    await store.reserve('t', meta);
    const w = log.writer('t');
    w.emit({ type: 'start', conversationId: 'c' });
    for (let i = 0; i < MAX_TURN_EVENTS + 5; i++) w.emit({ type: 'delta', conversationId: 'c', delta: 'x' });
    w.emit({ type: 'done', conversationId: 'c' });
    w.emit({ type: 'delta', conversationId: 'c', delta: 'late' });
    await w.flushed();
    const all = await store.range('t', 0);
    expect(all.length).toBe(MAX_TURN_EVENTS);
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: MAX_TURN_EVENTS }, (_, i) => i + 1));
    expect(all.at(-1)!.type).toBe('done');
    expect(all.filter((e) => e.type === 'delta').map((e) => e.delta).join('')).toBe('x'.repeat(MAX_TURN_EVENTS + 5));
  });
});

describe('MemoryTurnStore', () => {
  it('forgets a turn its TTL after its last event, and the oldest turns past its bound', async () => {
    const { clock, store } = setup(2);
    expect(await store.reserve('a', meta)).toBeNull();
    expect(await store.reserve('a', { userId: 'other', conversationId: 'x' })).toEqual(meta);
    clock.advance(TTL - 1);
    await store.append({ ...entry(1, 'start'), turnId: 'a' });
    clock.advance(TTL - 1);
    expect(await store.meta('a')).toEqual(meta);
    clock.advance(1);
    expect(await store.meta('a')).toBeNull();
    expect(await store.range('a', 0)).toEqual([]);

    await store.reserve('b', meta);
    await store.reserve('c', meta);
    await store.reserve('d', meta);
    expect(await store.meta('b')).toBeNull();
    expect(await store.meta('c')).toEqual(meta);
    expect(await store.meta('d')).toEqual(meta);
  });
});

describe('RedisTurnStore', () => {
  it('answers service_unavailable at once while Redis is unreachable (a turn is then refused before it starts)', async () => {
    const redis = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      const store = new RedisTurnStore(redis, 'xt-unreachable:', TTL);
      await expect(store.reserve('t', meta)).rejects.toMatchObject({ code: 'service_unavailable' });
      await expect(store.range('t', 0)).rejects.toMatchObject({ code: 'service_unavailable' });
    } finally {
      redis.disconnect();
    }
  });
});
