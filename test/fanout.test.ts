import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { clearLoaded, createContext } from '../src/common/context.js';
import { User } from '../src/modules/users/index.js';
import { signUp } from './helpers/factories.js';
import { until, wsClient } from './helpers/graphql.js';
import { restClient } from './helpers/http.js';
import { startServer, type TestServer } from './helpers/server.js';

/**
 * Subscriptions answered from the event alone are executed once per event and document,
 * and the result is shared: each subscriber must still get exactly its own document's
 * shape, and only its own session's events.
 */
let server: TestServer;

beforeAll(async () => {
  server = await startServer({ LIVE_MIN_START_SECONDS: '1' });
});
afterAll(() => server.close());

type Frame = { data?: { liveSessionEvents?: Record<string, unknown> }; errors?: unknown };

function watch(token: string, query: string, sessionId: string) {
  const { client } = wsClient(server.wsUrl, { Authorization: `Bearer ${token}` });
  const frames: Frame[] = [];
  const stop = client.subscribe({ query, variables: { id: sessionId } }, { next: (f) => void frames.push(f as Frame), error: () => undefined, complete: () => undefined });
  return { frames, stop: async () => (stop(), await client.dispose()) };
}

describe('shared execution of subscription events', () => {
  it('gives each subscriber its own document, for its own session only', async () => {
    const api = restClient(server.url);
    const [u, v] = [await signUp(api), await signUp(api)];
    const start = async (token: string) => (await api.post('/api/live/session/start', { session_type: 'voice' }, { token })).body.session_id as string;
    const [mine, theirs] = [await start(u.accessToken), await start(v.accessToken)];

    const short = 'subscription W($id: ID!) { liveSessionEvents(sessionId: $id) { __typename } }';
    const long = 'subscription W($id: ID!) { liveSessionEvents(sessionId: $id) { __typename ... on LiveSessionEnded { sessionId endReason usedSeconds } } }';
    const a = watch(u.accessToken, short, mine);
    const b = watch(u.accessToken, long, mine);
    const c = watch(u.accessToken, long, mine);
    const other = watch(v.accessToken, long, theirs);
    try {
      const listening = (id: string) => server.app.services.events.listeners('LIVE_EVENT', id);
      await until(() => listening(mine) === 3 && listening(theirs) === 1);
      // One of the three leaves before the event: the others still hear it.
      await c.stop();
      await until(() => listening(mine) === 2);
      await api.post('/api/live/session/end', { session_id: mine }, { token: u.accessToken });
      await until(() => a.frames.length > 0 && b.frames.length > 0);
      expect(a.frames).toEqual([{ data: { liveSessionEvents: { __typename: 'LiveSessionEnded' } } }]);
      expect(b.frames).toHaveLength(1);
      expect(b.frames[0]!.data!.liveSessionEvents).toMatchObject({ __typename: 'LiveSessionEnded', sessionId: mine, endReason: 'CLIENT' });
      expect(c.frames).toEqual([]);
      // The other session's watcher hears its own session end, and nothing of mine before it.
      await api.post('/api/live/session/end', { session_id: theirs }, { token: v.accessToken });
      await until(() => other.frames.length > 0);
      expect(other.frames).toHaveLength(1);
      expect(other.frames[0]!.data!.liveSessionEvents).toMatchObject({ __typename: 'LiveSessionEnded', sessionId: theirs });
    } finally {
      await Promise.all([a.stop(), b.stop(), other.stop()]);
    }
  });
});

/** A schema whose one subscription field, `ticks` (a string), takes its source from `subscribe` and each event's value from `resolve`. */
async function ticksSchema(subscribe: (root: unknown, args: unknown, ctx: unknown) => AsyncIterable<unknown>, resolve: (event: unknown) => unknown) {
  const { GraphQLObjectType, GraphQLSchema, GraphQLString } = await import('graphql');
  return new GraphQLSchema({
    query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLString } } }),
    subscription: new GraphQLObjectType({ name: 'Subscription', fields: { ticks: { type: GraphQLString, subscribe, resolve } } }),
  });
}

describe('a subscription at rest', () => {
  it("lets go of what its subscribe read: the context's identity map is cleared once the source stream is made", async () => {
    const { parse } = await import('graphql');
    const { createFanOut } = await import('../src/graphql/fanout.js');
    // An identity map as a list: the subscribe resolver "loads" the subject into it, as an access check does.
    const em = {
      identityMap: [] as string[],
      clear() {
        this.identityMap = [];
      },
    };
    const events: string[] = [];
    let wake: (() => void) | null = null;
    const source: AsyncIterableIterator<string> = {
      [Symbol.asyncIterator]: () => source,
      next: async () => {
        while (!events.length) await new Promise<void>((r) => (wake = r));
        return { done: false, value: events.shift()! };
      },
      return: async () => ({ done: true, value: undefined }),
    };
    const schema = await ticksSchema(
      (_root, _args, ctx) => {
        (ctx as { em: typeof em }).em.identityMap.push('the subject', 'the caller');
        return source;
      },
      (event) => event,
    );
    const stream = await createFanOut()({ schema, document: parse('subscription { ticks }'), contextValue: { em } });
    expect(Symbol.asyncIterator in stream).toBe(true);
    expect(em.identityMap).toEqual([]);
    // Events are still executed (on forks of their own in the app; here, the event alone).
    const next = (stream as AsyncGenerator<unknown>).next();
    events.push('tick 1');
    (wake as (() => void) | null)?.();
    expect(await next).toEqual({ done: false, value: { data: { ticks: 'tick 1' } } });
    await (stream as AsyncGenerator<unknown>).return(undefined);
  });
});

describe("a request context's loaded entities", () => {
  it('are let go of by clearLoaded, which makes no fork for a context that has not made one', async () => {
    const api = restClient(server.url);
    const u = await signUp(api);
    const fork = vi.spyOn(server.app.root.em, 'fork');
    try {
      const anonymous = createContext(server.app.root, { requestId: 'anonymous', transport: 'internal' });
      clearLoaded(anonymous);
      expect(fork).not.toHaveBeenCalled();
      const reader = createContext(server.app.root, { requestId: 'reader', transport: 'internal' });
      await reader.em.findOneOrFail(User, { id: u.user.id });
      expect(fork).toHaveBeenCalledTimes(1);
      expect(reader.em.getUnitOfWork().getIdentityMap().values()).toHaveLength(1);
      clearLoaded(reader);
      expect(reader.em.getUnitOfWork().getIdentityMap().values()).toHaveLength(0);
      expect(fork).toHaveBeenCalledTimes(1);
    } finally {
      fork.mockRestore();
    }
  });
});

describe('frames written by the fan-out itself (a Delivery on the arguments)', () => {
  /** A subscription `ticks(fail)` over a source we feed: an event "fail" resolves to an error. */
  async function setup(send?: (frame: string) => void) {
    const { GraphQLError, parse } = await import('graphql');
    const { createFanOut, DELIVERY } = await import('../src/graphql/fanout.js');
    const events: string[] = [];
    let wake: (() => void) | null = null;
    let returned = false;
    const source: AsyncIterableIterator<string> = {
      [Symbol.asyncIterator]: () => source,
      next: async () => {
        while (!events.length && !returned) await new Promise<void>((r) => (wake = r));
        if (returned) return { done: true, value: undefined };
        const value = events.shift()!;
        return value === 'end' ? { done: true, value: undefined } : { done: false, value };
      },
      return: async () => {
        returned = true;
        wake?.();
        return { done: true, value: undefined };
      },
    };
    const schema = await ticksSchema(
      () => source,
      (event) => {
        if (event === 'fail') throw new GraphQLError('no tick');
        return event;
      },
    );
    const frames: string[] = [];
    const stream = (await createFanOut()({ schema, document: parse('subscription { ticks }'), contextValue: {}, [DELIVERY]: { id: 'op "1"', send: send ?? ((f: string) => void frames.push(f)) } })) as AsyncGenerator<{ data?: unknown; errors?: readonly unknown[] }>;
    const push = (e: string) => {
      events.push(e);
      wake?.();
    };
    return { stream, frames, push, returned: () => returned };
  }
  /** graphql-ws's own frame for a result (its emit.next: id, type, payload). */
  const frame = (id: string, payload: unknown) => JSON.stringify({ id, type: 'next', payload });

  it("writes each result as graphql-ws's next frame, hands a result with errors to graphql-ws in order, and ends with the source", async () => {
    const { stream, frames, push } = await setup();
    // Nothing is read from the source before graphql-ws asks for the first result.
    push('tick 1');
    await new Promise((r) => setImmediate(r));
    expect(frames).toEqual([]);
    const first = stream.next();
    push('tick 2');
    await until(() => frames.length === 2);
    expect(frames).toEqual([frame('op "1"', { data: { ticks: 'tick 1' } }), frame('op "1"', { data: { ticks: 'tick 2' } })]);
    // An error goes through graphql-ws (its onNext formats errors); what follows waits for graphql-ws to ask again.
    push('fail');
    push('tick 3');
    const handed = await first;
    expect(handed.done).toBe(false);
    expect(handed.value!.errors).toHaveLength(1);
    await new Promise((r) => setImmediate(r));
    expect(frames).toHaveLength(2);
    const last = stream.next();
    await until(() => frames.length === 3);
    expect(frames[2]).toBe(frame('op "1"', { data: { ticks: 'tick 3' } }));
    push('end');
    expect(await last).toEqual({ done: true, value: undefined });
  });

  it('stops writing at once when graphql-ws returns it (the client completed the operation)', async () => {
    const { stream, frames, push, returned } = await setup();
    const pending = stream.next();
    push('tick 1');
    await until(() => frames.length === 1);
    await stream.return(undefined);
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(returned()).toBe(true);
    push('tick 2');
    await new Promise((r) => setImmediate(r));
    expect(frames).toHaveLength(1);
    expect(await stream.next()).toEqual({ done: true, value: undefined });
  });

  it('lets go of its source when a frame cannot be written, and answers the error to graphql-ws', async () => {
    const { stream, push, returned } = await setup(() => {
      throw new Error('the socket refused the frame');
    });
    const pending = stream.next();
    push('tick 1');
    await expect(pending).rejects.toThrow('the socket refused the frame');
    // graphql-ws answers the error and forgets the operation without calling return(): the source is returned here.
    await until(() => returned());
    expect(await stream.next()).toEqual({ done: true, value: undefined });
  });
});
