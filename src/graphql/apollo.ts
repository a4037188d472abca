import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { fastifyApolloDrainPlugin, fastifyApolloHandler } from '@as-integrations/fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import { GraphQLError, OperationTypeNode, type GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import { createAuthenticatedContext, type ContextRoot, type RequestContext } from '../common/context.js';
import { httpExchange } from '../rest/http-exchange.js';
import { AppError } from '../common/errors.js';
import { credentialsOf } from '../rest/router.js';
import { cachePolicy, combinePolicies, NO_STORE } from './cache-control.js';
import { checkCost } from './cost.js';
import { errorCode, formatGraphQLError, httpStatusOf, withoutSuggestions } from './errors.js';
import { fastGraphQLHandler } from './http.js';
import { checkHttpRequest, documentRules, operationLabel, subscriptionOverHttp } from './limits.js';
import { makeGraphQLWsHandler, type GraphQLWsHandler } from './ws.js';
import { ideHtml, registerIdeAssets } from './ide.js';
import { graphqlSpan, nameOperation } from './tracing.js';
import { tracingOn } from '../common/tracing.js';

/**
 * Per operation over HTTP: subscriptions refused (graphql-ws serves them), the cost limit once the variables are known, metrics, an
 * AppError's headers (Retry-After...) on the response with 429 for a rate limit and 503 for
 * a database outage, as REST answers them, and Cache-Control (public only for a query of
 * public root fields without errors; in a batch, only if every answer is).
 */
function httpPlugin(schema: GraphQLSchema, root: ContextRoot): ApolloServerPlugin<RequestContext> {
  const { metrics } = root;
  const { maxCost } = root.config.graphql.limits;
  return {
    async requestDidStart() {
      const start = performance.now();
      let label = 'invalid';
      return {
        async didResolveOperation(rc) {
          label = operationLabel(rc.operation, metrics);
          nameOperation(rc.operation);
          try {
            if (rc.operation?.operation === OperationTypeNode.SUBSCRIPTION) throw subscriptionOverHttp();
            checkCost(schema, rc.document, rc.request.operationName, rc.request.variables, maxCost);
          } catch (e) {
            if (!(e instanceof AppError)) throw e;
            throw new GraphQLError(e.message, { originalError: e, extensions: { http: { status: e.status } } });
          }
        },
        async willSendResponse(rc) {
          const errors = rc.errors ?? [];
          const { status, headers } = httpStatusOf(errors);
          for (const [k, v] of Object.entries(headers)) rc.response.http.headers.set(k, v);
          if (status !== 200) rc.response.http.status = status;
          const policy = !errors.length && rc.operation ? cachePolicy(schema, rc.document!, rc.operation) : NO_STORE;
          rc.response.http.headers.set('cache-control', combinePolicies(rc.response.http.headers.get('cache-control'), policy));
          metrics.observeOperation('http', label, errors.length ? errorCode(errors[0]!) : 'ok', (performance.now() - start) / 1000);
        },
      };
    },
  };
}

/**
 * Mounts GraphQL at /graphql: queries and mutations over HTTP (Apollo), subscriptions over
 * graphql-ws on the same path, and the IDE for browsers.
 */
export async function registerGraphQL(app: FastifyInstance, schema: GraphQLSchema, root: ContextRoot): Promise<{ apollo: ApolloServer<RequestContext>; ws: GraphQLWsHandler }> {
  const log = root.log;
  const { limits, introspection } = root.config.graphql;
  const apollo = new ApolloServer<RequestContext>({
    schema,
    introspection,
    validationRules: documentRules(limits, true),
    parseOptions: { maxTokens: limits.maxTokens },
    allowBatchedHttpRequests: limits.maxBatch > 0,
    includeStacktraceInErrorResponses: false,
    logger: log,
    // With introspection off (production), no "Did you mean …?" either.
    hideSchemaDetailsFromClientErrors: !introspection,
    formatError: introspection ? (formatted, error) => formatGraphQLError(formatted, error, log) : (formatted, error) => withoutSuggestions(formatGraphQLError(formatted, error, log)),
    // Cache hints are unused; the plugin's per-field hook costs on every resolved field.
    plugins: [fastifyApolloDrainPlugin(app), ApolloServerPluginLandingPageDisabled(), ApolloServerPluginCacheControlDisabled(), httpPlugin(schema, root)],
  });
  await apollo.start();

  const httpHandler = fastifyApolloHandler(apollo, {
    context: (req: FastifyRequest, reply: FastifyReply) =>
      createAuthenticatedContext(
        root,
        {
          requestId: req.id,
          transport: 'graphql',
          log: req.log as unknown as Logger,
          client: { ip: req.ip ?? null, userAgent: req.headers['user-agent'] ?? null },
          http: httpExchange(req, reply),
        },
        credentialsOf(req),
      ),
  });

  const ws = makeGraphQLWsHandler(schema, root);
  const ide = root.config.graphql.ide;
  if (ide) await registerIdeAssets(app);

  app.route({
    method: 'GET',
    url: '/graphql',
    handler: traced(async function (this: FastifyInstance, req: FastifyRequest, reply: FastifyReply) {
      const query = (req.query ?? {}) as Record<string, unknown>;
      if (ide && !query.query && (req.headers.accept ?? '').includes('text/html')) {
        return reply.type('text/html; charset=utf-8').send(ideHtml(req));
      }
      checkHttpRequest(undefined, { query: query.query, operationName: query.operationName }, limits);
      return httpHandler.call(this, req as never, reply as never);
    }),
    wsHandler: ws.handler,
  });
  app.route({
    method: 'POST',
    url: '/graphql',
    preHandler: async (req) => checkHttpRequest(req.body, undefined, limits),
    handler: traced(fastGraphQLHandler(schema, root, httpHandler as never)),
  });
  return { apollo, ws };
}

/** With tracing on, a GraphQL request over HTTP runs as the span of its operation (src/graphql/tracing.ts); off, the handler itself. */
function traced(handler: RouteHandlerMethod): RouteHandlerMethod {
  if (!tracingOn()) return handler;
  return function (this: FastifyInstance, req, reply) {
    return graphqlSpan(() => handler.call(this, req, reply) as Promise<unknown>);
  };
}
