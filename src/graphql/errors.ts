import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import { AppError, ERROR_CODES, INTERNAL_MESSAGE } from '../common/errors.js';
import { asKnownError } from '../common/unavailable.js';

/** Codes GraphQL itself produces for bad documents; they are safe to show as they are. */
const GRAPHQL_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

/**
 * A GraphQLError of any loaded copy of graphql: an error raised by the copy another package
 * loaded (graphql-ws executing a subscription, for one) fails `instanceof` against ours.
 */
const isGraphQLError = (e: unknown): e is GraphQLError => e instanceof GraphQLError || (e instanceof Error && e.name === 'GraphQLError');

/** The error behind a GraphQL error: an AppError raised before execution (limits, rate limits) arrives wrapped without a path. */
function originalOf(error: unknown): unknown {
  const unwrapped = unwrapResolverError(error);
  return unwrapped instanceof GraphQLError && unwrapped.originalError instanceof AppError ? unwrapped.originalError : unwrapped;
}

/**
 * The HTTP status and headers of a GraphQL answer over HTTP with these errors, as REST
 * answers the same errors: 429 for a rate limit, 503 for a database outage (with their
 * Retry-After), 200 otherwise (GraphQL's errors travel in the body).
 */
export function httpStatusOf(errors: readonly unknown[]): { status: number; headers: Record<string, string> } {
  let status = 200;
  const headers: Record<string, string> = {};
  for (const e of errors) {
    const known = asKnownError(originalOf(e));
    if (!known) continue;
    Object.assign(headers, known.headers);
    if (known.code === 'rate_limited') status = 429;
    else if (known.code === 'service_unavailable' && status === 200) status = 503;
  }
  return { status, headers };
}

/**
 * The GraphQL face of an error, shared by Apollo (HTTP) and graphql-ws: AppErrors keep
 * their code and details, GraphQL's own document errors pass, anything else is logged
 * and masked as `internal_error`.
 */
export function formatGraphQLError(formatted: GraphQLFormattedError, error: unknown, log: Logger, requestId?: string): GraphQLFormattedError {
  const original = originalOf(error);
  const base = { message: formatted.message, ...(formatted.locations ? { locations: formatted.locations } : {}), ...(formatted.path ? { path: formatted.path } : {}) };
  const known = asKnownError(original);
  if (known) {
    if (known.code === 'service_unavailable' && !(original instanceof AppError)) log.warn({ err: original, reqId: requestId }, known.message);
    return { ...base, message: known.message, extensions: { code: known.code, ...known.details } };
  }
  const code = formatted.extensions?.code;
  if (typeof code === 'string' && GRAPHQL_CODES.has(code)) {
    return { ...base, extensions: { code } };
  }
  // The gateway's own refusals made as GraphQL errors (the socket's limits) keep their code.
  if (isGraphQLError(original) && !original.originalError && typeof code === 'string' && code in ERROR_CODES && code !== 'internal_error') {
    return { ...base, extensions: { code } };
  }
  // Variables that do not fit their type: BAD_USER_INPUT, as Apollo says over HTTP. graphql-ws
  // runs graphql-js without Apollo, and the scalar's own refusal comes as the original error.
  if (isGraphQLError(original) && !formatted.path && /^Variable "\$/.test(formatted.message)) {
    return { ...base, extensions: { code: 'BAD_USER_INPUT' } };
  }
  if (isGraphQLError(original) && !original.originalError && !formatted.path) {
    // A document error without a code (e.g. from a validation rule): the client's fault.
    return { ...base, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } };
  }
  log.error({ err: original, reqId: requestId }, 'unhandled error in GraphQL operation');
  return { ...base, message: INTERNAL_MESSAGE, extensions: { code: 'internal_error', requestId } };
}
