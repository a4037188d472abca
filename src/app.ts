import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import formbody from '@fastify/formbody';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import websocket from '@fastify/websocket';
import type { MikroORM } from '@mikro-orm/core';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { type ContextRoot } from './common/context.js';
import { registerConsole } from './console.js';
import { createEventBus } from './common/pubsub.js';
import type { Config } from './config.js';
import { openDatabase } from './db/orm.js';
import { registerGraphQL } from './graphql/apollo.js';
import { buildGatewaySchema } from './graphql/schema.js';
import { allRoutes } from './modules/index.js';
import { registerLiveSocket } from './modules/live/live.socket.js';
import { createServices, type Services } from './modules/services.js';
import { installErrorHandlers } from './rest/errors.js';
import { buildOpenApi } from './rest/openapi.js';
import { registerRestRoutes } from './rest/router.js';
import { VERSION } from './version.js';

export interface App {
  server: FastifyInstance;
  orm: MikroORM;
  /** The domain services, for tools and tests that work below the HTTP doors. */
  services: Services;
  config: Config;
  /** Stops accepting, finishes in-flight requests, closes sockets (1001) and the database. */
  close(): Promise<void>;
}

/** A caller's X-Request-Id is kept when it is short and plain; otherwise a new one is made. */
const genReqId = (req: { headers: Record<string, string | string[] | undefined> }): string => {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(given) ? given : randomUUID();
};

/** Builds the whole gateway from a config. No global state: tests build several. */
export async function buildApp(config: Config): Promise<App> {
  const server = Fastify({
    logger: {
      level: config.logLevel,
      redact: { paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie'], censor: '[redacted]' },
      serializers: {
        // Browsers put the access token in the live socket's URL (?token=), and Google's redirect
        // puts the authorization code and state in the integration callback's: they never reach the logs.
        req: (req: { method: string; url: string; host?: string; ip?: string; socket?: { remotePort?: number } }) => ({
          method: req.method,
          url: req.url.replace(/([?&](?:token|access_token|refresh_token|api_key|code|state)=)[^&]*/gi, '$1[redacted]'),
          host: req.host,
          remoteAddress: req.ip,
          remotePort: req.socket?.remotePort,
        }),
      },
    },
    genReqId,
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    requestTimeout: config.requestTimeoutMs,
    connectionTimeout: config.requestTimeoutMs,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  const log = server.log as unknown as Logger;

  const orm = await openDatabase(config.db, log);
  const events = createEventBus();
  const root: ContextRoot = { em: orm.em, services: createServices(config, events), config, log };
  const interrupted = await root.services.knowledge.failInterrupted(orm.em.fork());
  if (interrupted) log.warn({ documents: interrupted }, 'documents left processing by a restart marked failed');
  // Sessions that went silent while the server was down are settled at their last sign of life.
  const settled = await root.services.live.sweep(orm.em.fork());
  if (settled) log.info({ sessions: settled }, 'live sessions settled on start');
  root.services.live.startSweeper(orm.em, log);
  await root.services.xel.init(orm.em, log);

  server.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  // While shutting down, responses of in-flight requests close their keep-alive
  // connection, so the server is not held open by clients that would send more.
  let draining = false;
  server.addHook('preClose', async () => {
    draining = true;
  });
  server.addHook('onSend', async (_req, reply) => {
    if (draining) reply.header('connection', 'close');
  });
  installErrorHandlers(server);

  // Cookies are read and set only where a browser flow needs them (the integrations' binding cookie).
  await server.register(cookie);
  await server.register(formbody);
  await server.register(multipart, { limits: { fileSize: config.knowledge.maxBytes, files: 1, fields: 20, fieldSize: 64 * 1024 } });
  if (config.corsOrigins.length) {
    await server.register(cors, { origin: [...config.corsOrigins], exposedHeaders: ['X-Request-Id', 'X-Total-Count', 'Retry-After'] });
  }
  await server.register(websocket, {
    options: { maxPayload: 1024 * 1024 },
    // Clients are told the server is going away (1001) rather than seeing the socket drop.
    preClose(done) {
      for (const client of this.websocketServer.clients) client.close(1001, 'Server shutting down');
      this.websocketServer.close(() => done());
    },
  });

  server.get('/healthz', async () => ({ status: 'ok' }));
  server.get('/readyz', async (_req, reply) => {
    try {
      await orm.em.getConnection().execute('select 1');
      return { status: 'ready', database: 'ok' };
    } catch (err) {
      log.warn({ err }, 'readiness check failed');
      return reply.code(503).send({ status: 'unavailable', database: 'unreachable' });
    }
  });

  registerRestRoutes(server, allRoutes, root);
  const liveSockets = registerLiveSocket(server, root);
  const openapi = buildOpenApi(allRoutes, { version: VERSION });
  server.get('/openapi.json', async () => openapi);
  if (config.apiDocs) {
    await server.register(swagger, { mode: 'static', specification: { document: openapi as never } });
    await server.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  }

  const schema = await buildGatewaySchema(events);
  await registerGraphQL(server, schema, root);
  if (config.webConsole) await registerConsole(server);
  await server.ready();

  let closing: Promise<void> | null = null;
  return {
    server,
    orm,
    services: root.services,
    config,
    close: () =>
      (closing ??= (async () => {
        root.services.live.stopSweeper();
        await server.close();
        // A turn whose listener left is still writing its partial reply: let it finish.
        await root.services.conversations.drain();
        await root.services.knowledge.drain();
        await liveSockets.drain();
        await orm.close(true);
      })()),
  };
}
