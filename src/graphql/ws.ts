import { randomUUID } from 'node:crypto';
import type { WebsocketHandler } from '@fastify/websocket';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import { makeHandler } from 'graphql-ws/use/@fastify/websocket';
import { createAuthenticatedContext, type ContextRoot } from '../common/context.js';
import { AppError } from '../common/errors.js';
import type { Credentials } from '../common/principal.js';
import { formatGraphQLError } from './errors.js';

/** Close code for a connection whose credentials were refused (graphql-ws's Forbidden). */
export const WS_FORBIDDEN = 4403;

/** Credentials from connection params (`Authorization` or `X-API-Key`, as clients spell them) and the socket's address. */
function credentialsFrom(params: Readonly<Record<string, unknown>> | undefined, ip: string | undefined): Credentials {
  const key = params?.['X-API-Key'] ?? params?.['x-api-key'] ?? params?.apiKey;
  return { authorization: authorizationFrom(params), apiKey: typeof key === 'string' ? key : undefined, ip };
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
 * socket with 4403 and the reason. Each operation gets its own context, authenticated
 * again, so an access token that expired or was revoked stops new subscriptions.
 * Apollo's formatError does not run here, so errors are formatted by the same function.
 */
export function makeGraphQLWsHandler(schema: GraphQLSchema, root: ContextRoot): GraphQLWsHandler {
  const log = root.log.child({ transport: 'graphql-ws' });
  const format = (errors: readonly GraphQLError[], requestId: string) =>
    errors.map((e) => formatGraphQLError(e.toJSON(), e, log, requestId));
  // Open connections, to count what they run (the soak test watches these return to zero).
  const open = new Set<{ subscriptions: Record<string, unknown> }>();

  const handler = makeHandler({
    schema,
    onConnect: async (ctx) => {
      open.add(ctx);
      const credentials = credentialsFrom(ctx.connectionParams, ctx.extra.request.ip);
      if (!credentials.authorization && !credentials.apiKey) return true;
      const em = root.em.fork();
      try {
        await root.services.auth.authenticate(em, credentials);
        return true;
      } catch (e) {
        if (!(e instanceof AppError)) throw e;
        ctx.extra.socket.close(WS_FORBIDDEN, `${e.code}: ${e.message}`.slice(0, 120));
        return false;
      }
    },
    context: async (ctx) =>
      createAuthenticatedContext(
        root,
        {
          requestId: randomUUID(),
          transport: 'graphql-ws',
          log,
          client: { ip: ctx.extra.request.ip ?? null, userAgent: ctx.extra.request.headers['user-agent'] ?? null },
        },
        credentialsFrom(ctx.connectionParams, ctx.extra.request.ip),
      ),
    // A connection carries a bounded number of operations: past it, new ones are refused, the others go on.
    onSubscribe: (ctx) => {
      const max = root.config.limits.wsMaxSubscriptions;
      if (Object.keys(ctx.subscriptions).length <= max) return undefined;
      return [new GraphQLError(`At most ${max} subscriptions run on one connection; complete one first`, { extensions: { code: 'rate_limited' } })];
    },
    onError: (_ctx, _id, _payload, errors) => format(errors, 'ws') as unknown as GraphQLError[],
    onNext: (_ctx, _id, _payload, _args, result) => {
      if (!('errors' in result) || !result.errors?.length) return result;
      return { ...result, errors: format(result.errors, 'ws') } as unknown as typeof result;
    },
    onClose: (ctx) => {
      open.delete(ctx);
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
