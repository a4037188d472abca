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

describe('a subscription at rest', () => {
  it("lets go of what its subscribe read: the context's identity map is cleared once the source stream is made", async () => {
    const { GraphQLObjectType, GraphQLSchema, GraphQLString, parse } = await import('graphql');
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
    const schema = new GraphQLSchema({
      query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLString } } }),
      subscription: new GraphQLObjectType({
        name: 'Subscription',
        fields: {
          ticks: {
            type: GraphQLString,
            subscribe: (_root: unknown, _args: unknown, ctx: { em: typeof em }) => {
              ctx.em.identityMap.push('the subject', 'the caller');
              return source;
            },
            resolve: (event: unknown) => event,
          },
        },
      }),
    });
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
