import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, INTERNAL_MESSAGE, type ErrorCode } from '../common/errors.js';
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
    return reply.send({ errors: [{ message: err.message, extensions: { code: err.code, ...err.details } }] });
  }
  return reply.send(toEnvelope(err, inputSourceOf(req)));
}

/** Every error leaves as the envelope; unknown ones are logged with the request id and masked. */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, req, reply) => {
    const known = error instanceof AppError ? error : fromFastifyError(error);
    if (known) {
      if (known.status >= 500) req.log.error({ err: error }, known.message);
      return sendError(req, reply, known);
    }
    req.log.error({ err: error }, 'unhandled error');
    return sendError(req, reply, new AppError('internal_error', INTERNAL_MESSAGE, { request_id: req.id }));
  });

  app.setNotFoundHandler((req, reply) =>
    sendError(req, reply, new AppError('not_found', `No route ${req.method} ${req.url.split('?')[0]}`)),
  );
}
