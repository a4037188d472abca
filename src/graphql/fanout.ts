import { createSourceEventStream, execute, getOperationAST, GraphQLError, Kind, type DocumentNode, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import { clearLoaded, forkContext, type RequestContext } from '../common/context.js';
import { SubscriptionRefusal } from './subscription-stream.js';

/**
 * Subscription fields whose events are answered from the event alone: what their
 * resolvers return depends on the event and the document, never on who listens (the
 * listener's rights were checked once, when it subscribed). For these, an event is
 * executed once per distinct document and variables, and every subscriber sends the same
 * result: with a thousand watchers of one live session, an event costs one execution, not
 * a thousand. Fields that read per viewer (meUpdated reloads the user, organizationEvents
 * checks membership again per event) are executed per subscriber as usual.
 */
export const SHARED_PAYLOAD_FIELDS: ReadonlySet<string> = new Set(['liveSessionEvents', 'conversationEvents']);

type Result = ExecutionResult | Promise<ExecutionResult>;

/**
 * What one app's fan-out remembers: results by event and document. Each app has its own
 * (its schema and its listeners), so two apps in one process never answer from each other's results.
 */
class SharedResults {
  /** Event payload -> (document and variables -> result). An event object is shared by all its listeners in the app. */
  private readonly results = new WeakMap<object, Map<string, Result>>();
  /** A key per parsed document (graphql-ws's document checker hands out one DocumentNode per query text). */
  private readonly documentIds = new WeakMap<object, number>();
  private nextDocumentId = 0;
  /** Document -> operation name -> its events' execution compiled by graphql-jit (null: graphql-jit cannot; graphql-js executes them). */
  private readonly compiled = new WeakMap<DocumentNode, Map<string, CompiledQuery | null>>();
  /** Shared result -> its JSON. */
  private readonly texts = new WeakMap<ExecutionResult, string>();

  /**
   * How one event of the subscription `args` is executed: graphql-jit's compiled function for
   * the document (as it maps events itself, and as the HTTP door runs queries), compiled once
   * per document; else graphql-js's `execute`. graphql-js coerced the variables and walked the
   * document again for every event, which was most of what a chat token cost on graphql-ws.
   */
  executorOf(args: ExecutionArgs): (payload: unknown, context: unknown) => Result {
    let byName = this.compiled.get(args.document);
    if (!byName) this.compiled.set(args.document, (byName = new Map<string, CompiledQuery | null>()));
    const name = args.operationName ?? '';
    let compiled = byName.get(name);
    if (compiled === undefined) {
      const out = compileQuery(args.schema, args.document, args.operationName ?? undefined, { disablingCapturingStackErrors: true });
      byName.set(name, (compiled = isCompiledQuery(out) ? out : null));
    }
    if (!compiled) return (payload, context) => execute({ ...args, rootValue: payload, contextValue: context });
    const query = compiled;
    const variables = args.variableValues ?? {};
    return (payload, context) => query.query(payload, context, variables);
  }

  keyOf(args: ExecutionArgs): string {
    let id = this.documentIds.get(args.document);
    if (id === undefined) this.documentIds.set(args.document, (id = this.nextDocumentId++));
    return `${id}|${args.operationName ?? ''}|${JSON.stringify(args.variableValues ?? {})}`;
  }

  /** A shared result's JSON, made once for all its subscribers' frames. */
  json(result: ExecutionResult): string {
    let text = this.texts.get(result);
    if (text === undefined) this.texts.set(result, (text = JSON.stringify(result)));
    return text;
  }

  execute(run: (payload: unknown) => Result, key: string, payload: unknown): Result {
    if (payload === null || typeof payload !== 'object') return run(payload);
    let byKey = this.results.get(payload);
    if (!byKey) this.results.set(payload, (byKey = new Map<string, Result>()));
    let result = byKey.get(key);
    if (!result) byKey.set(key, (result = run(payload)));
    return result;
  }
}

/**
 * Where a subscription's frames go when the fan-out writes them itself: graphql-ws's
 * operation id and the socket's send (ws-adapter's Extra.send). Set by the WebSocket door on
 * the execution arguments (under DELIVERY); without it, results go back through graphql-ws.
 */
export interface Delivery {
  readonly id: string;
  readonly send: (frame: string) => void | Promise<void>;
}

/** The key under which the execution arguments carry their Delivery. */
export const DELIVERY = Symbol('graphql-ws delivery');

export type FanOutArgs = ExecutionArgs & { [DELIVERY]?: Delivery };

const DONE = { done: true, value: undefined } as const;

/**
 * The source stream mapped through `map`, as an iterator whose `return()` reaches the
 * source at once (an async generator would queue it behind a pending `next()`, and a
 * subscriber who leaves would stay subscribed until the next event).
 */
function mapped<T, R>(source: AsyncIterator<T>, map: (value: T) => R | Promise<R>): AsyncGenerator<R> {
  const it: AsyncGenerator<R> = {
    async next() {
      const r = await source.next();
      if (r.done) return DONE;
      // A shared result is usually there already: awaiting it anyway would cost every subscriber a turn.
      const value = map(r.value);
      return { done: false, value: value instanceof Promise ? await value : value };
    },
    async return() {
      await source.return?.();
      return DONE;
    },
    async throw(e: unknown) {
      if (source.throw) await source.throw(e);
      throw e;
    },
    async [Symbol.asyncDispose]() {
      await source.return?.();
    },
    [Symbol.asyncIterator]() {
      return it;
    },
  };
  return it;
}

/**
 * The source stream mapped through `map`, its results written by this iterator itself as
 * graphql-ws's `next` frames, through `delivery`. graphql-ws iterates a subscription with
 * `for await`, then per result awaits its onNext hook and its send and stringifies the whole
 * message: four turns of the microtask queue and a serialization per subscriber and event.
 * Here graphql-ws's `next()` waits until the subscription ends (then it sends `complete`, as
 * for any iterator), and a result is written as soon as it is made, its JSON made once per
 * shared result (`json`). A result that carries errors is handed to graphql-ws instead (its
 * onNext formats errors), and the stream waits until graphql-ws asks for the next one, so
 * frames keep their order. A send past the socket's high-water mark is awaited, as
 * graphql-ws awaits it: a slow client holds back only itself.
 */
function delivered(source: AsyncIterator<unknown>, map: (value: unknown) => Result, delivery: Delivery, json: (result: ExecutionResult) => string): AsyncGenerator<ExecutionResult> {
  const head = `{"id":${JSON.stringify(delivery.id)},"type":"next","payload":`;
  let started = false;
  let stopped = false;
  /** graphql-ws's pending next(). */
  let waiter: { resolve: (r: IteratorResult<ExecutionResult>) => void; reject: (e: unknown) => void } | null = null;
  /** The stream, waiting for graphql-ws to have sent a result handed to it. */
  let handedOff: (() => void) | null = null;
  const settle = (r: IteratorResult<ExecutionResult>) => {
    const w = waiter;
    waiter = null;
    w?.resolve(r);
  };
  const pump = async () => {
    try {
      for (;;) {
        const r = await source.next();
        if (stopped) return;
        if (r.done) return settle(DONE);
        const made = map(r.value);
        const result = made instanceof Promise ? await made : made;
        if (stopped) return;
        if (result.errors !== undefined) {
          await new Promise<void>((resume) => {
            handedOff = resume;
            settle({ done: false, value: result });
          });
          if (stopped) return;
          continue;
        }
        const sent = delivery.send(head + json(result) + '}');
        if (sent) await sent;
      }
    } catch (e) {
      const w = waiter;
      waiter = null;
      // graphql-ws answers the error and forgets the operation without returning its iterator
      // (a rejected next() ends a for-await without return()): the source is let go of here.
      void stop().catch(() => undefined);
      w?.reject(e);
    }
  };
  const stop = async () => {
    stopped = true;
    settle(DONE);
    const resume = handedOff;
    handedOff = null;
    resume?.();
    await source.return?.();
  };
  const it: AsyncGenerator<ExecutionResult> = {
    next() {
      if (stopped) return Promise.resolve(DONE);
      const next = new Promise<IteratorResult<ExecutionResult>>((resolve, reject) => (waiter = { resolve, reject }));
      const resume = handedOff;
      handedOff = null;
      resume?.();
      // Started by graphql-ws's first next(): no frame goes out before graphql-ws holds the operation.
      if (!started) {
        started = true;
        void pump();
      }
      return next;
    },
    async return() {
      await stop();
      return DONE;
    },
    async throw(e: unknown) {
      await stop();
      throw e;
    },
    async [Symbol.asyncDispose]() {
      await stop();
    },
    [Symbol.asyncIterator]() {
      return it;
    },
  };
  return it;
}

/** A subscription's context for one event: the same caller on a fresh fork, with loaders of its own (another context as it is). */
const eventContext = (context: unknown): unknown =>
  context !== null && typeof context === 'object' && 'makeLoaders' in context && 'em' in context ? forkContext(context as RequestContext) : context;

/**
 * A lost right to watch: one result carrying the error at the field's path (the shape
 * graphql-js gives an error raised when subscribing), after which the source completes.
 */
function refusal(r: SubscriptionRefusal, responseKey: string): ExecutionResult {
  return { data: null, errors: [new GraphQLError(r.error.message, { path: [responseKey], originalError: r.error })] };
}

/**
 * graphql-ws's `subscribe` for one app: graphql-js's source stream, each event executed as
 * the root value (by graphql-jit, see executorOf), with shared execution for the fields
 * above, and a `SubscriptionRefusal` from a source answered as its error.
 */
export function createFanOut(): (args: FanOutArgs) => Promise<AsyncGenerator<ExecutionResult> | ExecutionResult> {
  const shared = new SharedResults();
  return (args) => fanOutSubscribe(shared, args);
}

async function fanOutSubscribe(results: SharedResults, args: FanOutArgs): Promise<AsyncGenerator<ExecutionResult> | ExecutionResult> {
  const op = getOperationAST(args.document, args.operationName);
  const first = op?.selectionSet.selections[0];
  const field = first?.kind === Kind.FIELD ? first : null;
  const shared = op?.selectionSet.selections.length === 1 && field !== null && SHARED_PAYLOAD_FIELDS.has(field.name.value);
  // The field's own subscribe (authorization, the caller's scope) runs per subscriber.
  const source = await createSourceEventStream(args);
  if (!(Symbol.asyncIterator in source)) return source;
  // What the field's subscribe read to authorize (the subject, the caller's memberships) stays in
  // the context's identity map for as long as the subscription waits, a few KB of entities per
  // subscriber; each event is executed on a fork of its own (forkContext), so it is let go.
  clearLoaded(args.contextValue);
  const key = shared ? results.keyOf(args) : null;
  const responseKey = field ? (field.alias?.value ?? field.name.value) : '';
  const execute = results.executorOf(args);
  // Each event on a unit of work of its own: what one event's resolvers loaded (the loaders'
  // caches, the identity map) would otherwise answer the next events of the subscription.
  const run = (payload: unknown): Result => execute(payload, eventContext(args.contextValue));
  const map = (payload: unknown): Result => {
    if (payload instanceof SubscriptionRefusal) return refusal(payload, responseKey);
    return key !== null ? results.execute(run, key, payload) : run(payload);
  };
  // A source may be an iterable that is not its own iterator (chatStream's turn): take its iterator.
  const events = source[Symbol.asyncIterator]();
  const delivery = args[DELIVERY];
  if (!delivery) return mapped(events, map);
  return delivered(events, map, delivery, key !== null ? (result) => results.json(result) : (result) => JSON.stringify(result));
}
