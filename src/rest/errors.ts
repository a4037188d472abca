import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, INTERNAL_MESSAGE, type ErrorCode } from '../common/errors.js';
import { appErrorExtensions } from '../graphql/errors.js';
import { currentTraceId } from '../common/tracing.js';
import { asKnownError } from '../common/unavailable.js';
import { toEnvelope } from './envelope.js';
import { inputSourceOf } from './router.js';

/** Fastify's own client errors (body parsing, limits), as AppErrors. */
function fromFastifyError(err: FastifyError): AppError | null {
  const status = err.statusCode ?? 500;
  if (status >= 500 || status < 400) return null;
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new AppError('payload_too_large', 'Request body is larger than the limit');
  if (err.code === 'FST_REQ_FILE_TOO_LARGE') return new AppError('payload_too_large', 'The file is larger than the upload limit');
  if (err.code === 'FST_FILES_LIMIT' || err.code === 'FST_PARTS_LIMIT' || err.code === 'FST_FIELDS_LIMIT') return new AppError('bad_request', 'Send one file, with at most a few form fields');
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || status === 415) {
    return new AppError('unsupported_media_type', 'Unsupported Content-Type: send application/json');
  }
  const byStatus: Partial<Record<number, ErrorCode>> = { 400: 'bad_request', 404: 'not_found', 405: 'method_not_allowed', 413: 'payload_too_large' };
  const message = err instanceof SyntaxError || err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ? 'Request body is not valid JSON' : err.message;
  return new AppError(byStatus[status] ?? 'bad_request', message);
}

const isGraphQLPath = (req: FastifyRequest): boolean => req.url === '/graphql' || req.url.startsWith('/graphql?');

/** Sends `err` as the REST envelope, or as a GraphQL error list on /graphql. */
export function sendError(req: FastifyRequest, reply: FastifyReply, err: AppError): FastifyReply {
  for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
  reply.code(err.status);
  if (isGraphQLPath(req)) {
    const traceId = currentTraceId();
    return reply.send({ errors: [{ message: err.message, extensions: { ...appErrorExtensions(err), ...(traceId ? { trace_id: traceId } : {}) } }] });
  }
  const input = inputSourceOf(req);
  return reply.send(toEnvelope(err, input.source, input.camelCase));
}

/** Every error leaves as the envelope; unknown ones are logged with the request id and masked. */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, req, reply) => {
    const known = asKnownError(error) ?? fromFastifyError(error);
    if (known) {
      if (known.code === 'service_unavailable') req.log.warn({ err: error }, known.message);
      else if (known.status >= 500) req.log.error({ err: error }, known.message);
      return sendError(req, reply, known);
    }
    req.log.error({ err: error }, 'unhandled error');
    return sendError(req, reply, new AppError('internal_error', INTERNAL_MESSAGE, { request_id: req.id }));
  });

  app.setNotFoundHandler((req, reply) =>
    sendError(req, reply, new AppError('not_found', `No route ${req.method} ${req.url.split('?')[0]}`)),
  );
}

/**
 * Errors of the router itself, before any route: a path parameter longer than any id
 * (maxParamLength) names nothing, so not_found; a URL that cannot be decoded is bad_request.
 * The envelope, as everywhere, and never the offending URL echoed back.
 */
export function frameworkErrors(error: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const err =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? new AppError('not_found', 'No such resource: the identifier in the path is too long')
      : new AppError('bad_request', error.code === 'FST_ERR_BAD_URL' ? 'The request URL is malformed' : 'The request could not be routed');
  reply.header('x-request-id', req.id);
  void sendError(req, reply, err);
}

/**
 * Errors of the HTTP parser, before Fastify sees a request: headers too large (431), a
 * client too slow to send its headers or its body (408), bytes that are not HTTP (400).
 * Answered with the envelope when the socket can still take it, then closed.
 */
export function clientErrorHandler(this: FastifyInstance, err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const appError =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? new AppError('request_timeout', 'The request was not received in time')
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? new AppError('headers_too_large', 'The request headers (or the URL) are larger than the limit')
        : new AppError('bad_request', 'The request is not valid HTTP');
  this.log.debug({ code: err.code }, 'client error');
  if (socket.writable) {
    const body = JSON.stringify(toEnvelope(appError));
    // end() lets the answer out; a client that does not read it is dropped a moment later.
    setTimeout(() => socket.destroy(), 1000).unref();
    socket.end(
      `HTTP/1.1 ${appError.status} ${STATUS_CODES[appError.status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
    return;
  }
  socket.destroy();
}
