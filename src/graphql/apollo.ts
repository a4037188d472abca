import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { fastifyApolloDrainPlugin, fastifyApolloHandler } from '@as-integrations/fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import { createAuthenticatedContext, type ContextRoot, type RequestContext } from '../common/context.js';
import { httpExchange } from '../rest/http-exchange.js';
import { credentialsOf } from '../rest/router.js';
import { formatGraphQLError } from './errors.js';
import { makeGraphQLWsHandler, type GraphQLWsHandler } from './ws.js';
import { ideHtml, registerIdeAssets } from './ide.js';

/**
 * Mounts GraphQL at /graphql: queries and mutations over HTTP (Apollo), subscriptions over
 * graphql-ws on the same path, and the IDE for browsers.
 */
export async function registerGraphQL(app: FastifyInstance, schema: GraphQLSchema, root: ContextRoot): Promise<{ apollo: ApolloServer<RequestContext>; ws: GraphQLWsHandler }> {
  const log = root.log;
  const apollo = new ApolloServer<RequestContext>({
    schema,
    introspection: root.config.graphql.introspection,
    includeStacktraceInErrorResponses: false,
    logger: log as unknown as Logger & { warn: Logger['warn'] },
    formatError: (formatted, error) => formatGraphQLError(formatted, error, log),
    // Cache hints are unused; the plugin's per-field hook costs on every resolved field.
    plugins: [fastifyApolloDrainPlugin(app), ApolloServerPluginLandingPageDisabled(), ApolloServerPluginCacheControlDisabled()],
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
    handler: async function (req: FastifyRequest, reply: FastifyReply) {
      const query = (req.query ?? {}) as Record<string, unknown>;
      if (ide && !query.query && (req.headers.accept ?? '').includes('text/html')) {
        return reply.type('text/html; charset=utf-8').send(ideHtml(req));
      }
      return httpHandler.call(this, req as never, reply as never);
    },
    wsHandler: ws.handler,
  });
  app.route({ method: 'POST', url: '/graphql', handler: httpHandler });
  return { apollo, ws };
}
