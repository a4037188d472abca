import 'reflect-metadata';
import cookie from '@fastify/cookie';
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import cors from '@fastify/cors';
import formbody from '@fastify/formbody';
import helmet from 'helmet';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import websocket from '@fastify/websocket';
import type { MikroORM } from '@mikro-orm/core';
import type { GraphQLSchema } from 'graphql';
import Fastify, { type FastifyInstance } from 'fastify';
import type { DestinationStream, Logger } from 'pino';
import { systemClock, type Clock } from './common/clock.js';
import { type ContextRoot } from './common/context.js';
import { registerConsole } from './console.js';
import { preloadPasswordList } from './common/password-policy.js';
import { AppError } from './common/errors.js';
import { Metrics } from './common/metrics.js';
import { createEventBus } from './common/pubsub.js';
import { hashedKey, RateLimits } from './common/rate-limits.js';
import { RedisConnections } from './common/redis.js';
import { redactLogLine, safeErrorSerializer, safeUrl } from './common/log-safety.js';
import { recordingSpan, traceIncoming, traceLogFields, tracingOn } from './common/tracing.js';
import { createSocketLimiter } from './common/socket-limits.js';
import { CORS_EXPOSED_HEADERS, type Config } from './config.js';
import { openDatabase, poolStats } from './db/orm.js';
import { traceStatements } from './db/tracing.js';
import { registerGraphQL } from './graphql/apollo.js';
import { IDE_CSP } from './graphql/ide.js';
import { buildGatewaySchema } from './graphql/schema.js';
import { traceResolvers } from './graphql/tracing.js';
import { compose, ResolverContainer } from './modules/composition.js';
import { allEntities, allResolvers, modules } from './modules/index.js';
import { buildAsyncApi, LiveSession, registerLiveSocket } from './modules/live/index.js';
import type { ServiceMap } from './modules/manifest.js';
import { clientErrorHandler, frameworkErrors, installErrorHandlers, sendError } from './rest/errors.js';
import { buildOpenApi } from './rest/openapi.js';
import { connectionIdleMs, registerRestRoutes } from './rest/router.js';
import { VERSION } from './version.js';
import { TableQueue } from './db/queue/table-queue.js';

export interface App {
  server: FastifyInstance;
  orm: MikroORM;
  /** The domain services, for tools and tests that work below the HTTP doors. */
  services: ServiceMap;
  /** What request contexts are made from, for tools and tests that call services directly (createContext). */
  root: ContextRoot;
  /** The GraphQL schema, its resolvers bound to this app's services. */
  schema: GraphQLSchema;
  config: Config;
  /** What the process holds open now: the soak test checks these return to where they were. */
  stats(): Promise<RuntimeStats>;
  /** Stops accepting, finishes in-flight requests, closes sockets (1001) and the database. */
  close(): Promise<void>;
}

export interface RuntimeStats {
  /** WebSockets open on every route. */
  webSockets: number;
  graphqlWs: { connections: number; operations: number };
  liveSockets: number;
  /** What the WebSocket limits did: floods closed, clients that stopped reading dropped. */
  socketLimits: { floodsClosed: number; slowConsumersDropped: number; tracked: number };
  /** Database connections: in use and idle in the pool. */
  db: { used: number; free: number };
  /** Node's active handles and requests, by kind (sockets, timers...). */
  handles: Record<string, number>;
}

/** A caller's X-Request-Id is kept when it is short and plain; otherwise a new one is made. */
const genReqId = (req: { headers: Record<string, string | string[] | undefined> }): string => {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(given) ? given : randomUUID();
};

/**
 * The JSON API's Content-Security-Policy: it serves no documents, so nothing may load,
 * frame or be framed. The GraphQL IDE and /docs get policies of their own.
 */
const API_CSP = { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] };

/**
 * The security headers of every answer, as helmet sets them: helmet's middleware run once
 * against a response that records what it is given. What it sets depends on the options
 * alone (no directive here is a function of the request), so running it on every request
 * (thirteen middlewares, each a validated `setHeader` on the raw response) only did the same
 * work again: about 2 µs of a 60 µs request answered from memory.
 */
function securityHeaderSet(): Record<string, string> {
  const middleware = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: API_CSP },
    // Cross-origin callers are governed by CORS; these would only get in their way.
    crossOriginResourcePolicy: false,
    crossOriginOpenerPolicy: false,
    crossOriginEmbedderPolicy: false,
  });
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = String(value);
      return recorder;
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  let answered = false;
  middleware({} as IncomingMessage, recorder as unknown as ServerResponse, (err?: unknown) => {
    if (err) throw err instanceof Error ? err : new Error('helmet failed');
    answered = true;
  });
  if (!answered) throw new Error('helmet did not answer at once');
  return headers;
}

/** /docs (Swagger UI): its bundle and styles from the gateway, the document from the same origin. */
const DOCS_CSP =
  "default-src 'self'; base-uri 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; form-action 'self'";

export interface BuildOptions {
  /** Where log lines go (stdout when absent): tests capture them to scan for secrets. */
  logStream?: DestinationStream;
  /** The clock open sockets keep credential expiry by (the system's when absent): tests move their own. */
  clock?: Clock;
}

/** Builds the whole gateway from a config. No global state: tests build several. */
export async function buildApp(config: Config, options: BuildOptions = {}): Promise<App> {
  const limits = config.limits;
  // How long a connection may stay idle while a request arrives or its answer leaves (see the hooks below).
  const idleMs = connectionIdleMs(config);
  const server = Fastify({
    logger: {
      level: config.logLevel,
      ...(options.logStream ? { stream: options.logStream } : {}),
      // Every line of every logger (children of this one: plugins', requests', the ORM's, Apollo's,
      // graphql-ws's) at every level, credentials withheld by one list (src/common/log-safety.ts).
      hooks: { streamWrite: redactLogLine },
      // With tracing on, each line written during a request carries its trace_id and span_id.
      ...(tracingOn() ? { mixin: traceLogFields } : {}),
      serializers: {
        // Browsers put the access token in the live socket's URL (?token=), Google's redirect puts
        // the authorization code and state in the integration callback's, and GraphQL GET requests
        // carry whole documents and variables: none of it reaches the logs.
        req: (req: { method: string; url: string; host?: string; ip?: string; socket?: { remotePort?: number } }) => ({
          method: req.method,
          url: safeUrl(req.url),
          host: req.host,
          remoteAddress: req.ip,
          remotePort: req.socket?.remotePort,
        }),
        // Database errors quote their statement with its values; those stay out of the logs.
        err: safeErrorSerializer,
      },
    },
    genReqId,
    bodyLimit: config.bodyLimitBytes,
    // A number of hops as proxy-addr counts them: the first n hops from this server are proxies.
    trustProxy: typeof config.trustProxy === 'number' ? (_address: string, hop: number) => hop < (config.trustProxy as number) : config.trustProxy === false ? false : [...config.trustProxy],
    // Slow clients: all headers within headersTimeout, the whole request within requestTimeout
    // (both checked every timeoutCheckMs, and answered 408), and no socket idle much longer. The
    // idle timeout comes a little after the request timeout: when both were equal, a body that
    // stopped midway was destroyed by the idle timer, unanswered, before the 408 could be sent.
    requestTimeout: config.requestTimeoutMs,
    connectionTimeout: idleMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    http: { headersTimeout: limits.headersTimeoutMs, connectionsCheckingInterval: limits.timeoutCheckMs },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // Errors met before a route runs (a path parameter past maxParamLength, a malformed URL,
    // headers too large, a client too slow) answer the envelope too.
    frameworkErrors,
    clientErrorHandler,
    // The server Fastify would make (its settings as Fastify sets them), with each request's
    // trace started where Node hands it over while tracing is on (src/common/tracing.ts).
    serverFactory: (handler, opts) => {
      const o = opts as { http: object; keepAliveTimeout: number; requestTimeout: number; connectionTimeout: number; maxRequestsPerSocket?: number };
      const s = createServer(o.http, traceIncoming(handler));
      s.keepAliveTimeout = o.keepAliveTimeout;
      s.requestTimeout = o.requestTimeout;
      s.setTimeout(o.connectionTimeout);
      if (o.maxRequestsPerSocket && o.maxRequestsPerSocket > 0) s.maxRequestsPerSocket = o.maxRequestsPerSocket;
      return s;
    },
  });
  const log = server.log as unknown as Logger;
  // The idle timeout guards a request's arrival and its answer's delivery (a client that stops
  // reading), not the time its handler works: a provider may take longer to answer than the
  // socket may stay idle, and a request cut then would leave its work done and its client
  // unanswered (retrying into duplicates). So it is off from the handler's start until the
  // answer is sent; requestTimeout (the body) and keepAliveTimeout (between requests) are Node's own.
  server.addHook('preHandler', (req, _reply, done) => {
    req.raw.socket?.setTimeout(0);
    done();
  });
  server.addHook('onSend', (req, _reply, payload, done) => {
    req.raw.socket?.setTimeout(idleMs);
    done(null, payload);
  });
  // A JSON content type with an empty body is no body (many HTTP clients send the header on every
  // request, DELETE and logout included), not Fastify's 400 "Body cannot be empty": a route that
  // needs a body still says which fields are missing. Any other body is parsed as Fastify parses
  // it, prototype poisoning refused.
  const json = server.getDefaultJsonParser('error', 'error');
  server.removeContentTypeParser('application/json');
  server.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => (body === '' ? done(null, undefined) : json(req, body as string, done)));

  // The list of common passwords, read now rather than on the first sign-up.
  preloadPasswordList();
  const orm = await openDatabase(config.db, allEntities, log);
  traceStatements(orm, config.db.driver);
  const metrics = new Metrics(config.metrics.enabled, config.metrics.maxOperationNames);
  // With Redis, events reach every gateway process and rate limits count across them.
  const redis = config.redis ? new RedisConnections(config.redis.url, log) : null;
  if (redis && !(await redis.connected(3000))) log.warn('starting without Redis: events stay in this process and rate limits count in memory until it answers');
  const events = createEventBus({ redis, prefix: config.keyPrefix, log, metrics });
  const rateLimits = new RateLimits(config, redis?.commands ?? null, metrics);
  const jobs = new TableQueue(orm.em, {
    driver: config.db.driver,
    ...config.jobs,
    clock: options.clock,
    log,
    observe: (queue, outcome, seconds) => metrics.observeJob(queue, outcome, seconds),
  });
  metrics.watchJobs(() => jobs.counts());
  const stopThreadWatch = config.metrics.enabled ? metrics.watchThreads() : () => undefined;
  // The composition root: every module's services in dependency order, then what the doors need of them.
  const composition = compose(modules, { config, events, rateLimits, metrics, clock: options.clock ?? systemClock, redis: redis?.commands ?? null, log, jobs });
  const { services } = composition;
  const root: ContextRoot = {
    em: orm.em,
    config,
    log,
    loaders: composition.loaders,
    authenticate: (em, credentials) => services.auth.authenticate(em, credentials),
    revokedAmong: (em, principals) => services.auth.revokedAmong(em, principals),
    events,
    clock: services.clock,
    metrics,
    rateLimits,
  };
  const interrupted = await services.knowledge.failInterrupted(orm.em.fork());
  if (interrupted) log.warn({ documents: interrupted }, 'documents left processing by a restart marked failed');
  // Sessions that went silent while the server was down are settled at their last sign of life.
  const settled = await services.live.sweep(orm.em.fork());
  if (settled) log.info({ sessions: settled }, 'live sessions settled on start');
  // Conversation learning sessions idle past the timeout end at their last activity (then a recurring job sweeps).
  await services.conversationSessions.sweep(orm.em.fork());
  await services.xel.init(orm.em, log);
  await jobs.prepare();
  jobs.start();

  // Every answer names its request, and carries the security headers (set first, so that an
  // answer refused by a later hook, a rate limit's 429, carries them too).
  const security = config.securityHeaders ? securityHeaderSet() : null;
  server.addHook('onRequest', (req, reply, done) => {
    reply.header('x-request-id', req.id);
    if (security) {
      reply.headers(security);
      const url = req.url;
      const q = url.indexOf('?');
      const path = q < 0 ? url : url.slice(0, q);
      // The IDE is a browser application served by the gateway: it needs scripts, styles and sockets of its own origin.
      if ((path === '/graphql' && req.method === 'GET') || path.startsWith('/graphql/ide/')) reply.header('content-security-policy', IDE_CSP);
      // The web console sets a policy of its own on its files (src/console.ts); the API's would win over it.
      else if (path === '/console' || path.startsWith('/console/')) reply.removeHeader('content-security-policy');
    }
    done();
  });
  // With tracing on, the HTTP span is named by its route (`GET /api/auth/me`), as the semantic conventions name server spans.
  if (tracingOn()) {
    server.addHook('onRequest', (req, _reply, done) => {
      const span = recordingSpan();
      if (span) {
        const route = req.routeOptions.url;
        if (route) span.updateName(`${req.method} ${route}`).setAttribute('http.route', route);
        // The client as TRUST_PROXY lets Fastify see it (X-Forwarded-For only from trusted proxies).
        span.setAttribute('client.address', req.ip);
      }
      done();
    });
  }
  // While shutting down, responses of in-flight requests close their keep-alive
  // connection, so the server is not held open by clients that would send more.
  let draining = false;
  server.addHook('preClose', async () => {
    draining = true;
  });
  server.addHook('onSend', (_req, reply, payload, done) => {
    if (draining) reply.header('connection', 'close');
    // Answers are not kept by any cache unless they say so: public REST routes, public GraphQL
    // queries and static files set their own Cache-Control; everything else is per caller.
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    done(null, payload);
  });
  installErrorHandlers(server);
  // Every request made with an API key counts against the key's limit, whichever door.
  // (Hooks that need not wait are written with `done`: an async hook costs every request a promise.)
  server.addHook('onRequest', (req, _reply, done) => {
    const key = req.headers['x-api-key'];
    if (typeof key !== 'string' || !key) return done();
    rateLimits.consume('api_key', hashedKey(key)).then(() => done(), (e: unknown) => done(e as Error));
  });

  // Cookies are read and set only where a browser flow needs them (the integrations' binding cookie).
  await server.register(cookie);
  await server.register(formbody);
  await server.register(multipart, { limits: { fileSize: config.knowledge.maxBytes, files: 1, fields: 20, fieldSize: 64 * 1024 } });
  // No origins configured: no CORS headers at all, so other origins' pages cannot read responses.
  // API credentials are headers (Authorization, X-API-Key), so credentials mode stays off: the one
  // cookie, the integrations' flow binding, serves same-origin browser redirects only.
  if (config.corsOrigins.length) {
    await server.register(cors, {
      origin: config.corsOrigins.includes('*') ? '*' : [...config.corsOrigins],
      credentials: false,
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: [...config.corsAllowedHeaders],
      exposedHeaders: [...CORS_EXPOSED_HEADERS],
      maxAge: 600,
    });
  }
  await server.register(websocket, {
    options: { maxPayload: limits.wsMaxPayloadBytes },
    // Clients are told the server is going away (1001) rather than seeing the socket drop.
    preClose(done) {
      for (const client of this.websocketServer.clients) client.close(1001, 'Server shutting down');
      this.websocketServer.close(() => done());
    },
  });

  registerMetrics(server, root, orm, redis);
  // Every socket, whichever route takes it, is limited before the route sees its first message.
  const socketLimiter = createSocketLimiter({ maxMessagesPerSecond: limits.wsMaxMessagesPerSecond, maxBufferedBytes: limits.wsMaxBufferedBytes, sendTimeoutMs: limits.wsSendTimeoutMs }, log);
  server.websocketServer.on('connection', (socket) => socketLimiter.attach(socket));

  server.get('/healthz', async () => ({ status: 'ok' }));
  server.get('/readyz', async (_req, reply) => {
    const [database, redisOk, queueOk, uploadsOk] = await Promise.all([
      orm.em
        .getConnection()
        .execute('select 1')
        .then(
          () => true,
          (err: unknown) => {
            log.warn({ err }, 'readiness check failed: database');
            return false;
          },
        ),
      redis ? redis.ready() : Promise.resolve(true),
      // The job queue's table answers.
      jobs.ready(),
      // Uploads can be stored (a file made in DATA_DIR/uploads, or the bucket answers).
      services.uploads.ready(),
    ]);
    const ok = database && redisOk && queueOk && uploadsOk;
    const body = {
      status: ok ? 'ready' : 'unavailable',
      database: database ? 'ok' : 'unreachable',
      jobs: queueOk ? 'ok' : 'unavailable',
      uploads: uploadsOk ? 'ok' : 'unavailable',
      ...(redis ? { redis: redisOk ? 'ok' : 'unreachable' } : {}),
    };
    return reply.code(ok ? 200 : 503).send(body);
  });

  registerRestRoutes(server, composition.routes, root);
  const liveSockets = registerLiveSocket(server, root, services);
  const openapi = buildOpenApi(composition.routes, { version: VERSION });
  server.get('/openapi.json', async () => openapi);
  // The live socket, which OpenAPI cannot describe, as an AsyncAPI 3 document.
  const asyncapi = buildAsyncApi({ version: VERSION });
  server.get('/asyncapi.json', async () => asyncapi);
  if (config.apiDocs) {
    await server.register(swagger, { mode: 'static', specification: { document: openapi as never } });
    await server.register(swaggerUi, { routePrefix: '/docs', staticCSP: config.securityHeaders ? DOCS_CSP : false });
  }

  const schema = await buildGatewaySchema({ events, resolvers: allResolvers, nodes: composition.nodes, container: new ResolverContainer(services, allResolvers) });
  traceResolvers(schema);
  const graphql = await registerGraphQL(server, schema, root);
  if (config.webConsole) await registerConsole(server);
  await server.ready();

  let closing: Promise<void> | null = null;
  return {
    server,
    orm,
    services,
    root,
    schema,
    config,
    stats: async () => {
      const pool = await poolStats(orm);
      const handles: Record<string, number> = {};
      for (const kind of process.getActiveResourcesInfo()) handles[kind] = (handles[kind] ?? 0) + 1;
      return {
        webSockets: server.websocketServer.clients.size,
        graphqlWs: graphql.ws.stats(),
        liveSockets: liveSockets.size(),
        socketLimits: socketLimiter.stats(),
        db: { used: 'used' in pool ? pool.used : 0, free: 'free' in pool ? pool.free : 0 },
        handles,
      };
    },
    close: () =>
      (closing ??= (async () => {
        // Running jobs are told to stop now; what has not finished within half the shutdown's time is
        // given back (due at once, for another process or the restart) rather than held until its lease lapses.
        const jobsStopped = jobs.stop(config.shutdownTimeoutMs / 2);
        socketLimiter.stop();
        stopThreadWatch();
        await server.close();
        // A turn whose listener left is still writing its partial reply: let it finish.
        await services.conversations.drain();
        await jobsStopped;
        await services.documentReaders.close();
        await liveSockets.drain();
        await services.auth.passwords.close();
        // The app's own grammar checker and voice go with it (nothing of them is shared by the process).
        services.live.close();
        await services.xel.close();
        await redis?.close();
        await orm.close(true);
      })()),
  };
}

/**
 * Prometheus metrics: every HTTP request by route and status (GraphQL operations are
 * counted by the Apollo and graphql-ws hooks), open WebSockets, and gauges read when
 * scraped (database pool, active live sessions, Redis). /metrics answers only when
 * enabled, and asks for `Authorization: Bearer METRICS_TOKEN` when one is set.
 */
function registerMetrics(server: FastifyInstance, root: ContextRoot, orm: MikroORM, redis: RedisConnections | null): void {
  const { metrics } = root;
  server.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url;
    if (route !== '/metrics') metrics.observeHttp(req.method, route ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  server.websocketServer.on('connection', (socket: { once(e: 'close', f: () => void): void }, req: { url?: string }) => {
    const path = req.url?.split('?')[0] ?? '';
    const labels = { path: path === '/graphql' || path === '/api/live/ws' ? path : 'other' };
    metrics.websockets.inc(labels);
    socket.once('close', () => metrics.websockets.dec(labels));
  });

  metrics.gauge('xentree_db_pool_connections', 'Database connections of this process by state (used, free, pending acquires, max; SQLite: its one connection, max only)', ['state'], async (set) => {
    const pool = await poolStats(orm);
    for (const [state, n] of Object.entries(pool)) set({ state }, n);
  });
  metrics.gauge('xentree_live_sessions_active', 'Live sessions active now (all processes: read from the database)', [], async (set) => {
    set({}, await root.em.fork().count(LiveSession, { status: 'active' }));
  });
  if (redis) metrics.gauge('xentree_redis_up', 'Whether Redis answers (1) or not (0)', [], async (set) => set({}, (await redis.ready()) ? 1 : 0));

  const config = root.config.metrics;
  if (!config.enabled) return;
  const expected = config.token ? Buffer.from(`Bearer ${config.token}`) : null;
  server.get('/metrics', async (req, reply) => {
    if (expected) {
      const given = Buffer.from(req.headers.authorization ?? '');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        return sendError(req, reply, new AppError('not_authenticated', 'Metrics need Authorization: Bearer METRICS_TOKEN'));
      }
    }
    const { contentType, body } = await metrics.render();
    return reply.type(contentType).send(body);
  });
}
