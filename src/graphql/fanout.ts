import { createSourceEventStream, execute, getOperationAST, GraphQLError, Kind, type DocumentNode, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import { clearLoaded } from '../common/context.js';
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

  /**
   * How one event of the subscription `args` is executed: graphql-jit's compiled function for
   * the document (as it maps events itself, and as the HTTP door runs queries), compiled once
   * per document; else graphql-js's `execute`. graphql-js coerced the variables and walked the
   * document again for every event, which was most of what a chat token cost on graphql-ws.
   */
  executorOf(args: ExecutionArgs): (payload: unknown) => Result {
    let byName = this.compiled.get(args.document);
    if (!byName) this.compiled.set(args.document, (byName = new Map<string, CompiledQuery | null>()));
    const name = args.operationName ?? '';
    let compiled = byName.get(name);
    if (compiled === undefined) {
      const out = compileQuery(args.schema, args.document, args.operationName ?? undefined, { disablingCapturingStackErrors: true });
      byName.set(name, (compiled = isCompiledQuery(out) ? out : null));
    }
    if (!compiled) return (payload) => execute({ ...args, rootValue: payload });
    const query = compiled;
    const variables = args.variableValues ?? {};
    return (payload) => query.query(payload, args.contextValue, variables);
  }

  keyOf(args: ExecutionArgs): string {
    let id = this.documentIds.get(args.document);
    if (id === undefined) this.documentIds.set(args.document, (id = this.nextDocumentId++));
    return `${id}|${args.operationName ?? ''}|${JSON.stringify(args.variableValues ?? {})}`;
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
 * The source stream mapped through `map`, as an iterator whose `return()` reaches the
 * source at once (an async generator would queue it behind a pending `next()`, and a
 * subscriber who leaves would stay subscribed until the next event).
 */
function mapped<T, R>(source: AsyncIterator<T> & Partial<AsyncIterable<T>>, map: (value: T) => R | Promise<R>): AsyncGenerator<R> {
  const it: AsyncGenerator<R> = {
    async next() {
      const r = await source.next();
      if (r.done) return { done: true, value: undefined };
      // A shared result is usually there already: awaiting it anyway would cost every subscriber a turn.
      const value = map(r.value);
      return { done: false, value: value instanceof Promise ? await value : value };
    },
    async return() {
      await source.return?.();
      return { done: true, value: undefined };
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
export function createFanOut(): (args: ExecutionArgs) => Promise<AsyncGenerator<ExecutionResult> | ExecutionResult> {
  const shared = new SharedResults();
  return (args) => fanOutSubscribe(shared, args);
}

async function fanOutSubscribe(results: SharedResults, args: ExecutionArgs): Promise<AsyncGenerator<ExecutionResult> | ExecutionResult> {
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
  const run = results.executorOf(args);
  // A source may be an iterable that is not its own iterator (chatStream's turn): take its iterator.
  return mapped((source)[Symbol.asyncIterator](), (payload) => {
    if (payload instanceof SubscriptionRefusal) return refusal(payload, responseKey);
    return key !== null ? results.execute(run, key, payload) : run(payload);
  });
}
