import { randomUUID } from 'node:crypto';
import type { WebsocketHandler } from '@fastify/websocket';
import { getOperationAST, GraphQLError, Kind, OperationTypeNode, type GraphQLSchema } from 'graphql';
import { hashedKey } from '../common/rate-limits.js';
import { createAuthenticatedContext, type ContextRoot, type RequestContext } from '../common/context.js';
import { AppError } from '../common/errors.js';
import { closeReasonOf, CREDENTIALS_ENDED, watchCredentials } from '../common/credential-watch.js';
import type { Credentials, Principal } from '../common/principal.js';
import { isDatabaseUnavailable } from '../common/unavailable.js';
import { checkCost } from './cost.js';
import { errorCode, formatGraphQLError, withoutSuggestions } from './errors.js';
import { createFanOut, DELIVERY, type FanOutArgs } from './fanout.js';
import { makeWsHandler } from './ws-adapter.js';
import { DocumentChecker, operationLabel } from './limits.js';

/** Close code for a connection whose credentials were refused (graphql-ws's Forbidden). */
export const WS_FORBIDDEN = 4403;

/** Credentials from connection params (`Authorization` or `X-API-Key`, as clients spell them), the socket's address and the upgrade's Origin. */
function credentialsFrom(params: Readonly<Record<string, unknown>> | undefined, ip: string | undefined, origin?: string): Credentials {
  const key = params?.['X-API-Key'] ?? params?.['x-api-key'] ?? params?.apiKey;
  return { authorization: authorizationFrom(params), apiKey: typeof key === 'string' ? key : undefined, ip, origin };
}

/** `Authorization` from connection params, under the spellings clients use. */
function authorizationFrom(params: Readonly<Record<string, unknown>> | undefined): string | undefined {
  if (!params) return undefined;
  for (const key of ['Authorization', 'authorization']) {
    if (typeof params[key] === 'string') return params[key];
  }
  const token = params.token ?? params.accessToken;
  return typeof token === 'string' ? `Bearer ${token}` : undefined;
}

/**
 * graphql-ws on /graphql. Credentials come in the connection params; bad ones close the
 * socket with 4403 and the reason. Credentials that expire or are revoked while the socket
 * is open close it with 4401 (`invalid_token: <reason>`), on every process. Each operation
 * gets its own context, authenticated again.
 * Apollo's formatError does not run here, so errors are formatted by the same function.
 * Documents meet the same limits as over HTTP (size, tokens, depth, aliases, directives,
 * introspection, and cost with the operation's variables), and an API key's requests count
 * against its rate limit.
 */
export function makeGraphQLWsHandler(schema: GraphQLSchema, root: ContextRoot): GraphQLWsHandler {
  const log = root.log.child({ transport: 'graphql-ws' });
  // With introspection off (production), errors carry no "Did you mean …?" either.
  const hideSuggestions = !root.config.graphql.introspection;
  const format = (errors: readonly GraphQLError[], requestId: string) =>
    errors.map((e) => {
      const formatted = formatGraphQLError(e.toJSON(), e, log, requestId);
      return hideSuggestions ? withoutSuggestions(formatted) : formatted;
    });
  const { metrics, rateLimits } = root;
  const documents = new DocumentChecker(schema, root.config.graphql.limits, root.config.graphql.introspection);
  /** Per socket: operation id -> when it started and what it is, for metrics. */
  const operations = new WeakMap<object, Map<string, { start: number; label: string; field: string | null }>>();
  const opsOf = (ctx: object) => {
    let m = operations.get(ctx);
    if (!m) operations.set(ctx, (m = new Map<string, { start: number; label: string; field: string | null }>()));
    return m;
  };

  // Open connections, to count what they run (the soak test watches these return to zero).
  const open = new Set<{ subscriptions: Record<string, unknown> }>();
  /** Per connection: what stops watching its credentials. */
  const watches = new WeakMap<object, () => void>();
  /** Per connection: the operations that answer once (queries, mutations) running now, and a close waiting for them. */
  const answers = new WeakMap<object, { running: Set<string>; closing: { code: number; reason: string } | null }>();
  const answersOf = (ctx: object) => {
    let a = answers.get(ctx);
    if (!a) answers.set(ctx, (a = { running: new Set(), closing: null }));
    return a;
  };
  /**
   * Closes a connection once the operations that answer once have answered: a logout sent over
   * this very socket revokes its credentials while its mutation runs, and its client must still
   * get the result. Operations sent meanwhile are refused.
   */
  const closeAfterAnswers = (ctx: { extra: { socket: { close(code: number, reason: string): void } } }, code: number, reason: string) => {
    const a = answersOf(ctx);
    if (a.running.size) a.closing ??= { code, reason };
    else ctx.extra.socket.close(code, reason);
  };
  type Connection = Parameters<typeof closeAfterAnswers>[0] & { extra: { socket: { readyState: number; OPEN: number } } };
  /**
   * Watches a connection's credentials: their expiry or revocation closes the socket (with its
   * subscriptions). Resolves once revocations reach the watch and the credentials were checked
   * again: one revoked just after they were checked, its event published to nobody, has closed it.
   */
  const watch = async (ctx: Connection, principal: Principal) => {
    // (A socket that closed while its credentials were checked has had its onClose already.)
    if (ctx.extra.socket.readyState !== ctx.extra.socket.OPEN) return;
    const w = watchCredentials(root, principal);
    watches.set(ctx, w.stop);
    w.onEnd((end) => {
      log.info({ userId: principal.userId, reason: end.reason }, 'graphql-ws connection closed: its credentials ended');
      closeAfterAnswers(ctx, CREDENTIALS_ENDED, closeReasonOf(end));
    });
    await w.ready;
  };
  /** Connections let in while the database was away, their credentials not checked yet. */
  const unchecked = new WeakSet<object>();
  /**
   * The first operation of an unchecked connection whose credentials can be checked settles
   * them as the connection's: watched from then on (expiry, revocation), or, refused, the
   * connection closes as it would have at connect, once the operation has its answer.
   */
  const checkLate = async (ctx: Connection, context: RequestContext) => {
    if (!unchecked.has(ctx)) return;
    if (context.principal) {
      unchecked.delete(ctx);
      await watch(ctx, context.principal);
    } else if (context.authError && !isDatabaseUnavailable(context.authError)) {
      unchecked.delete(ctx);
      closeAfterAnswers(ctx, WS_FORBIDDEN, `${context.authError.code}: ${context.authError.message}`.slice(0, 120));
    }
  };

  const handler = makeWsHandler({
    schema,
    // This app's fan-out: its shared results are its own.
    subscribe: createFanOut(),
    onSubscribe: async (ctx, id, payload): Promise<FanOutArgs | readonly GraphQLError[]> => {
      // A connection carries a bounded number of operations: past it, new ones are refused, the others go on.
      if (answersOf(ctx).closing) return [new GraphQLError('The credentials of this connection ended; reconnect with fresh ones', { extensions: { code: 'invalid_token' } })];
      const max = root.config.limits.wsMaxSubscriptions;
      if (Object.keys(ctx.subscriptions).length > max) {
        return [new GraphQLError(`At most ${max} subscriptions run on one connection; complete one first`, { extensions: { code: 'rate_limited' } })];
      }
      const start = performance.now();
      const checked = documents.check(payload.query);
      if (!('kind' in checked)) {
        metrics.observeOperation('ws', 'invalid', errorCode(checked[0]!), (performance.now() - start) / 1000);
        return checked;
      }
      const op = getOperationAST(checked, payload.operationName);
      const label = operationLabel(op, metrics);
      try {
        checkCost(schema, checked, payload.operationName, payload.variables, root.config.graphql.limits.maxCost);
      } catch (e) {
        if (!(e instanceof AppError)) throw e;
        metrics.observeOperation('ws', label, e.code, (performance.now() - start) / 1000);
        return [new GraphQLError(e.message, { originalError: e })];
      }
      const apiKey = credentialsFrom(ctx.connectionParams, undefined).apiKey;
      if (apiKey) {
        try {
          await rateLimits.consume('api_key', hashedKey(apiKey));
        } catch (e) {
          if (!(e instanceof AppError)) throw e;
          metrics.observeOperation('ws', label, e.code, (performance.now() - start) / 1000);
          return [new GraphQLError(e.message, { originalError: e })];
        }
      }
      const first = op?.selectionSet.selections[0];
      opsOf(ctx).set(id, { start, label, field: op?.operation === OperationTypeNode.SUBSCRIPTION && first?.kind === Kind.FIELD ? first.name.value : null });
      if (op?.operation !== OperationTypeNode.SUBSCRIPTION) answersOf(ctx).running.add(id);
      // A subscription's frames are written by the fan-out itself, on this socket, under this id.
      return { schema, document: checked, operationName: payload.operationName, variableValues: payload.variables, [DELIVERY]: { id, send: ctx.extra.send } };
    },
    onOperation: (ctx, id, _payload, _args, result) => {
      const op = opsOf(ctx).get(id);
      if (!op) return;
      const errors = 'errors' in result ? result.errors : undefined;
      const code = errors?.length ? errorCode(errors[0]!) : 'ok';
      metrics.observeOperation('ws', op.label, code, (performance.now() - op.start) / 1000);
      if (op.field && Symbol.asyncIterator in result) metrics.subscriptions.inc({ field: op.field });
      else op.field = null;
    },
    onComplete: (ctx, id) => {
      const ops = opsOf(ctx);
      const op = ops.get(id);
      if (op?.field) metrics.subscriptions.dec({ field: op.field });
      ops.delete(id);
      const a = answersOf(ctx);
      a.running.delete(id);
      const closing = a.closing;
      // graphql-ws sends the operation's `complete` right after this hook: the close goes after it.
      if (closing && !a.running.size) setImmediate(() => ctx.extra.socket.close(closing.code, closing.reason));
    },
    onConnect: async (ctx) => {
      open.add(ctx);
      const credentials = credentialsFrom(ctx.connectionParams, ctx.extra.request.ip, ctx.extra.request.headers.origin);
      if (!credentials.authorization && !credentials.apiKey) return true;
      const em = root.em.fork();
      try {
        const principal = await root.authenticate(em, credentials);
        // Acknowledged once the credentials are watched.
        if (principal) await watch(ctx, principal);
        return true;
      } catch (e) {
        // The database is away: credentials cannot be checked now. The connection is kept, and
        // each operation (authenticated again in its own context) answers service_unavailable
        // until the database is back; the first one that authenticates has them watched.
        if (isDatabaseUnavailable(e)) {
          unchecked.add(ctx);
          return true;
        }
        if (!(e instanceof AppError)) throw e;
        ctx.extra.socket.close(WS_FORBIDDEN, `${e.code}: ${e.message}`.slice(0, 120));
        return false;
      }
    },
    context: async (ctx) => {
      const context = await createAuthenticatedContext(
        root,
        {
          requestId: randomUUID(),
          transport: 'graphql-ws',
          log,
          client: { ip: ctx.extra.request.ip ?? null, userAgent: ctx.extra.request.headers['user-agent'] ?? null },
        },
        credentialsFrom(ctx.connectionParams, ctx.extra.request.ip, ctx.extra.request.headers.origin),
      );
      await checkLate(ctx, context);
      return context;
    },
    onError: (_ctx, _id, _payload, errors) => format(errors, 'ws'),
    onNext: (_ctx, _id, _payload, _args, result) => {
      if (!('errors' in result) || !result.errors?.length) return result;
      return { ...result, errors: format(result.errors, 'ws') };
    },
    onClose: (ctx) => {
      open.delete(ctx);
      watches.get(ctx)?.();
      watches.delete(ctx);
    },
  });
  return {
    handler,
    stats: () => ({ connections: open.size, operations: [...open].reduce((n, c) => n + Object.keys(c.subscriptions).length, 0) }),
  };
}

export interface GraphQLWsHandler {
  handler: WebsocketHandler;
  /** Open graphql-ws connections and the operations they run. */
  stats(): { connections: number; operations: number };
}
