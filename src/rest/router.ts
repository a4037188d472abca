import type { OutgoingHttpHeaders } from 'node:http';
import type { Config } from '../config.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { camelizeKeys, TooDeepError } from '../common/case.js';
import { authorize, notAuthenticated } from '../common/access.js';
import { createAuthenticatedContext, createContext, type ContextRoot, type RequestContext } from '../common/context.js';
import { watchCredentials, type CredentialWatch } from '../common/credential-watch.js';
import type { Page } from '../common/pagination.js';
import type { Credentials } from '../common/principal.js';
import { inSpan, tracingOn } from '../common/tracing.js';
import { AppError, INTERNAL_MESSAGE } from '../common/errors.js';
import { asKnownError } from '../common/unavailable.js';
import { parseInput } from '../common/validation.js';
import { toEnvelope } from './envelope.js';
import { httpExchange } from './http-exchange.js';
import { JSON_ONLY, type EventStream, type RestRoute } from './route-table.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Where a route reads its input from, for error locations. */
    inputSource?: 'body' | 'query';
    /** The route documents its input's names in camelCase (error locations keep them so). */
    camelCase?: boolean;
  }
}

/** `/api/x/{id}` to Fastify's `/api/x/:id`. */
export const toFastifyPath = (path: string): string => path.replace(/\{(\w+)\}/g, ':$1');

const mediaType = (req: FastifyRequest): string => (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();

/** The credentials of an HTTP request: bearer token, API key, the address it came from, and its Origin. */
export function credentialsOf(req: FastifyRequest): Credentials {
  const apiKey = req.headers['x-api-key'];
  return { authorization: req.headers.authorization, apiKey: typeof apiKey === 'string' ? apiKey : undefined, ip: req.ip, origin: req.headers.origin };
}

/**
 * How long a connection may stay idle while a request arrives or its answer leaves (a client
 * that stops reading): a little past the request timeout, so a body that stopped midway is
 * answered 408 before the idle timer destroys it. Off while a handler works (src/app.ts).
 */
export const connectionIdleMs = (config: Pick<Config, 'requestTimeoutMs' | 'limits'>): number => config.requestTimeoutMs + 2 * config.limits.timeoutCheckMs + 1000;

/**
 * Writes a stream as server-sent events. A client that disconnects cancels the stream;
 * an error after the stream started is sent as an `error` event in the envelope's shape.
 * The connection's idle timeout guards the stream (a client that stops reading is cut once
 * nothing moves), and a comment every third of it keeps a reading client's connection alive
 * through a long silence (a provider slow to its first token), past proxies' idle timeouts too.
 */
async function streamEvents(reply: FastifyReply, sse: NonNullable<RestRoute['sse']>, stream: EventStream, ctx: RequestContext, watch: CredentialWatch | null, config: Config): Promise<void> {
  const requestId = ctx.requestId;
  reply.hijack();
  const res = reply.raw;
  // What the hooks set on the reply (security headers, CORS) goes out with the stream too: a
  // hijacked reply's own headers are not written by Fastify.
  res.writeHead(200, {
    ...(reply.getHeaders() as OutgoingHttpHeaders),
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    'x-request-id': requestId,
  });
  // The headers now, not with the first event: a client learns the stream is open while it waits.
  res.flushHeaders();
  let open = true;
  const write = (type: string, data: unknown, id?: string) => {
    if (open) res.write(`${id === undefined ? '' : `id: ${id}\n`}event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const idleMs = connectionIdleMs(config);
  res.socket?.setTimeout(idleMs);
  const keepAlive = setInterval(() => {
    if (open) res.write(': keep-alive\n\n');
  }, Math.max(1000, Math.floor(idleMs / 3)));
  keepAlive.unref();
  // Credentials that end while the stream is open (logout, revocation, expiry) end it, as they close sockets.
  watch?.onEnd((end) => {
    if (!open) return;
    write('error', { error: 'invalid_token', message: end.message, reason: end.reason });
    open = false;
    stream.cancel();
    res.end();
  });
  res.on('close', () => {
    if (open) stream.cancel();
    open = false;
  });
  try {
    for await (const event of stream.events()) {
      if (!open) break;
      write(event.type, sse.serialize(event), sse.id?.(event));
    }
  } catch (e) {
    const known = asKnownError(e);
    const err = known ?? new AppError('internal_error', INTERNAL_MESSAGE, { request_id: requestId });
    if (!known) reply.log.error({ err: e }, 'stream failed');
    write('error', toEnvelope(err).detail);
  } finally {
    clearInterval(keepAlive);
    open = false;
    res.end();
  }
}

/**
 * A header parameter's value as RFC 8187 writes it (`filename*`): percent-encoded UTF-8 except its
 * attr-chars, which encodeURIComponent also leaves `'`, `(`, `)` and `*` among (strict parsers then
 * drop the parameter).
 */
export const rfc8187 = (value: string): string => encodeURIComponent(value).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** A browser flow's 302: no body, not cached, no referrer passed on. */
const redirectTo = (reply: FastifyReply, location: string) =>
  reply.code(302).header('location', location).header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').send();

/**
 * A browser flow's failures are redirects too (the OAuth callback): whatever fails once the
 * request is the route's, its input refused by the route's schemas included. Where `onError`
 * gives no URL, the error goes on to the envelope as anywhere else.
 */
function redirectingErrors(onError: NonNullable<NonNullable<RestRoute['redirect']>['onError']>, root: ContextRoot) {
  return (error: Error, req: FastifyRequest, reply: FastifyReply) => {
    const appError = error instanceof AppError ? error : new AppError('internal_error', INTERNAL_MESSAGE);
    const location = onError(appError, root.config);
    if (!location) throw error;
    if (!(error instanceof AppError)) req.log.error({ err: error }, 'request failed');
    // Sent here; an error handler that sends returns nothing (Fastify then leaves the reply alone).
    void redirectTo(reply, location);
  };
}

/** A multipart body as the services take it: `file` as data, filename and type; fields camelCased. */
async function readMultipart(req: FastifyRequest): Promise<Record<string, unknown>> {
  const body: Record<string, unknown> = {};
  try {
    for await (const part of req.parts()) {
      if (part.type === 'file') {
        if (part.fieldname !== 'file') {
          part.file.resume();
          throw AppError.validation([{ loc: [part.fieldname], message: 'unexpected file; send it as "file"' }]);
        }
        body.data = await part.toBuffer();
        body.filename = part.filename;
        body.mimeType = part.mimetype;
      } else {
        body[part.fieldname.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())] = part.value;
      }
    }
  } catch (e) {
    throw malformedMultipart(e);
  }
  return body;
}

/**
 * What reading a multipart body can fail with, as the client's error: the plugin's limits
 * (file size, files, fields: answered by the error handler), and the parser's own errors
 * (no boundary, a part without headers, a body that stops before its closing boundary,
 * which ends the file's stream early), which were 500s.
 */
function malformedMultipart(e: unknown): unknown {
  if (e instanceof AppError) return e;
  const err = e as { code?: string; statusCode?: number; message?: string };
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) return e;
  const message = err.message ?? '';
  if (/boundary not found/i.test(message)) return new AppError('bad_request', 'The multipart body has no boundary: send Content-Type: multipart/form-data; boundary=…');
  if (err.code === 'ERR_STREAM_PREMATURE_CLOSE' || /unexpected end|malformed|multipart/i.test(message)) {
    return new AppError('bad_request', 'The multipart body is malformed: it ends before its closing boundary, or breaks a limit (one file, at most 20 other fields)');
  }
  return e;
}

/** Where the input of a route comes from, and how it names its fields, for error locations. */
export const inputSourceOf = (req: FastifyRequest): { source: 'body' | 'query'; camelCase: boolean } => ({
  source: req.routeOptions.config?.inputSource ?? 'body',
  camelCase: req.routeOptions.config?.camelCase === true,
});

/**
 * Mounts the route table. Each handler only authenticates, reads input and shapes
 * output: the service does the rest.
 */
export function registerRestRoutes(app: FastifyInstance, routes: readonly RestRoute[], root: ContextRoot): void {
  for (const route of routes) {
    app.route({
      method: route.method,
      url: toFastifyPath(route.path),
      config: { inputSource: route.query && !route.body ? 'query' : 'body', camelCase: route.camelCase === true },
      ...(route.body?.maxBytes ? { bodyLimit: route.body.maxBytes(root.config) } : {}),
      // A route that needs credentials refuses a request without any before its body is read: an
      // anonymous 19 MB JSON body to the upload route was parsed (seconds of the event loop) to answer 401.
      ...(route.auth !== 'public' && route.auth !== 'optional'
        ? {
            onRequest: (req: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void) =>
              done(req.headers.authorization || req.headers['x-api-key'] ? undefined : notAuthenticated()),
          }
        : {}),
      ...(route.redirect?.onError ? { errorHandler: redirectingErrors(route.redirect.onError, root) } : {}),
      handler: traced(route, async (req: FastifyRequest, reply: FastifyReply) => {
        // A multipart body is not parsed into req.body (it is streamed below), so it counts as sent too.
        if (route.body && (req.body !== undefined || req.isMultipart())) {
          const accepted = route.body.contentTypes ?? JSON_ONLY;
          if (!accepted.includes(mediaType(req))) {
            throw new AppError('unsupported_media_type', `Send the body as ${accepted.join(' or ')}`);
          }
        }
        const base = {
          requestId: req.id,
          transport: 'rest' as const,
          log: req.log as never,
          client: { ip: req.ip ?? null, userAgent: req.headers['user-agent'] ?? null },
          http: httpExchange(req, reply),
        };
        const ctx =
          route.auth === 'public'
            ? createContext(root, base)
            : await createAuthenticatedContext(root, base, credentialsOf(req));
        if (route.auth !== 'public' && route.auth !== 'optional') authorize(ctx, route.auth, route.integration);

        let input: { body: Record<string, unknown>; params: Record<string, string>; query: Record<string, unknown>; lastEventId?: string; idempotencyKey?: string };
        try {
          input = {
            body: route.body?.multipart && req.isMultipart() ? await readMultipart(req) : ((camelizeKeys(req.body ?? {}) as Record<string, unknown>) ?? {}),
            params: req.params as Record<string, string>,
            query: camelizeKeys(req.query ?? {}) as Record<string, unknown>,
            ...(typeof req.headers['last-event-id'] === 'string' ? { lastEventId: req.headers['last-event-id'] } : {}),
            ...(typeof req.headers['idempotency-key'] === 'string' ? { idempotencyKey: req.headers['idempotency-key'] } : {}),
          };
        } catch (e) {
          if (e instanceof TooDeepError) throw new AppError('bad_request', e.message);
          throw e;
        }
        // The handler gets what the route's schemas make of the input (the services parse
        // again with the same schemas, so a call from any door is checked the same way).
        if (route.body) input.body = parseInput(route.body.schema, input.body) as Record<string, unknown>;
        if (route.query) input.query = parseInput(route.query, input.query) as Record<string, unknown>;
        if (route.sse && (req.headers.accept ?? '').includes('text/event-stream')) {
          // Revocations are listened for before the stream starts, and the credentials checked again
          // once they reach the watch: one revoked just after the check above is refused here.
          const watch = ctx.principal ? watchCredentials(root, ctx.principal) : null;
          try {
            const ended = await watch?.ready;
            if (ended) throw new AppError('invalid_token', ended.message, { reason: ended.reason });
            const stream = await route.sse.start(ctx, input);
            if (stream.ended) {
              stream.cancel();
              return reply.code(204).send();
            }
            return await streamEvents(reply, route.sse, stream, ctx, watch, root.config);
          } finally {
            watch?.stop();
          }
        }
        const result = await route.handler(ctx, input);
        const location = route.redirect?.location(result, input, ctx);
        if (location) {
          return redirectTo(reply, location);
        }
        const res = route.response;
        if (res.status === 204) return reply.code(204).send();
        if ('file' in res) {
          const f = res.file(result);
          const ascii = f.filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
          return reply
            .code(200)
            .header('content-type', f.mimeType)
            .header('content-disposition', `attachment; filename="${ascii}"; filename*=UTF-8''${rfc8187(f.filename)}`)
            .header('content-security-policy', "default-src 'none'; sandbox")
            .header('x-content-type-options', 'nosniff')
            .send(f.bytes);
        }
        const body = res.list
          ? await Promise.all((result as Page<unknown>).items.map((item) => res.serialize(item as never, ctx)))
          : await res.serialize(result, ctx);
        if (res.list) reply.header('x-total-count', String((result as Page<unknown>).total));
        if (route.publicCacheSeconds && route.method === 'GET') reply.header('cache-control', `public, max-age=${route.publicCacheSeconds}`);
        return reply.code(!res.list && 'statusOf' in res && res.statusOf ? res.statusOf(result) : res.status).send(body);
      }),
    });
  }
}

type Handler = (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/**
 * With tracing on, a route's handler runs as the span of its REST operation (`REST <operationId>`),
 * inside the request's HTTP span: the services' statements and calls are its children. Off: the
 * handler itself.
 */
function traced(route: RestRoute, handler: Handler): Handler {
  if (!tracingOn()) return handler;
  const name = `REST ${route.operationId}`;
  const attributes = { 'xentree.rest.operation': route.operationId, 'http.route': route.path };
  return (req, reply) => inSpan(name, attributes, () => handler(req, reply));
}
