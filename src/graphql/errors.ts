import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLEnumType, GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import { registerEnumType } from 'type-graphql';
import { AppError, ERROR_CATALOGUE, ERROR_CODES, INTERNAL_MESSAGE, type ErrorCode, type FieldError } from '../common/errors.js';
import { currentTraceId } from '../common/tracing.js';
import { asKnownError } from '../common/unavailable.js';

/**
 * The codes Apollo Server and graphql-js give their own errors, and the gateway's code for
 * each: the same words in the one casing every other code has. Apollo's HTTP statuses stay.
 * Apollo Client recognizes persisted-query answers by their message as well as their code,
 * so automatic persisted queries keep working.
 */
export const APOLLO_CODES: Readonly<Record<string, ErrorCode>> = {
  GRAPHQL_PARSE_FAILED: 'graphql_parse_failed',
  GRAPHQL_VALIDATION_FAILED: 'graphql_validation_failed',
  BAD_USER_INPUT: 'bad_user_input',
  BAD_REQUEST: 'bad_request',
  OPERATION_RESOLUTION_FAILURE: 'operation_resolution_failure',
  PERSISTED_QUERY_NOT_FOUND: 'persisted_query_not_found',
  PERSISTED_QUERY_NOT_SUPPORTED: 'persisted_query_not_supported',
};

const ERROR_CODE_DESCRIPTION =
  'What went wrong, as `extensions.code` of a GraphQL error (over HTTP and graphql-ws) and `detail.error` of a REST error carry it: the same list for both doors. Values are lower snake_case like the REST codes (`INSUFFICIENT_API_KEY_SCOPE` keeps its documented spelling). Codes marked "GraphQL only" concern documents and are never answered by REST.';

const valueDescription = (code: ErrorCode): string => {
  const c: { description: string; graphqlOnly?: true } = ERROR_CATALOGUE[code];
  return c.graphqlOnly ? `GraphQL only. ${c.description}` : c.description;
};

/**
 * The codes as a type-graphql enum, for a field that carries a code (`@Field(() => ErrorCodes)`):
 * enum values keep the codes' own casing, since clients compare them with the code they receive.
 */
export const ErrorCodes = Object.fromEntries((Object.keys(ERROR_CATALOGUE) as ErrorCode[]).map((c) => [c, c])) as { readonly [K in ErrorCode]: K };
registerEnumType(ErrorCodes, {
  name: 'ErrorCode',
  description: ERROR_CODE_DESCRIPTION,
  valuesConfig: Object.fromEntries((Object.keys(ERROR_CATALOGUE) as ErrorCode[]).map((c) => [c, { description: valueDescription(c) }])),
});

/** The same enum for graphql-js: added to the schema when no field brings it in (src/graphql/schema.ts). */
export const ErrorCodeEnum = new GraphQLEnumType({
  name: 'ErrorCode',
  description: ERROR_CODE_DESCRIPTION,
  values: Object.fromEntries((Object.keys(ERROR_CATALOGUE) as ErrorCode[]).map((c) => [c, { value: c, description: valueDescription(c) }])),
});

/**
 * A GraphQLError of any loaded copy of graphql: an error raised by the copy another package
 * loaded (graphql-ws executing a subscription, for one) fails `instanceof` against ours.
 */
const isGraphQLError = (e: unknown): e is GraphQLError => e instanceof GraphQLError || (e instanceof Error && e.name === 'GraphQLError');

/** An AppError's extensions: its code and details, with validation fields as `{ path, message }` (graphql-conventions.md). */
export function appErrorExtensions(e: AppError): Record<string, unknown> {
  const { fields, ...rest } = e.details;
  return { code: e.code, ...rest, ...(fields ? { fields: fields.map((f: FieldError) => ({ path: f.loc, message: f.message })) } : {}) };
}

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
 * The GraphQL face of an error, shared by Apollo (HTTP), the fast path and graphql-ws: AppErrors
 * keep their code and details, GraphQL's own document errors get their lower-case code,
 * anything else is logged and masked as `internal_error`. With tracing on, `extensions.trace_id`
 * names the operation's trace.
 */
export function formatGraphQLError(formatted: GraphQLFormattedError, error: unknown, log: Logger, requestId?: string): GraphQLFormattedError {
  const out = formatError(formatted, error, log, requestId);
  // With tracing on, the trace the operation belongs to (README "Tracing").
  const traceId = currentTraceId();
  return traceId ? { ...out, extensions: { ...out.extensions, trace_id: traceId } } : out;
}

/** graphql-js's refusal of a document past `maxTokens` ("Document contains more that 2000 tokens. Parsing aborted."). */
const TOO_MANY_TOKENS = /^(?:Syntax Error: )?Document contains more that (\d+) tokens\. Parsing aborted\.$/;

function formatError(formatted: GraphQLFormattedError, error: unknown, log: Logger, requestId?: string): GraphQLFormattedError {
  const original = originalOf(error);
  const base = { message: formatted.message, ...(formatted.locations ? { locations: formatted.locations } : {}), ...(formatted.path ? { path: formatted.path } : {}) };
  // Past the token limit: said as the other limits say it, with the limit (GRAPHQL_MAX_TOKENS).
  const tokens = TOO_MANY_TOKENS.exec(formatted.message);
  if (tokens) {
    const max = Number(tokens[1]);
    return { message: `The document has more than ${max} lexical tokens, the limit; send a smaller document.`, extensions: { code: 'graphql_parse_failed', max_tokens: max } };
  }
  const known = asKnownError(original);
  if (known) {
    if (known.code === 'service_unavailable' && !(original instanceof AppError)) log.warn({ err: original, reqId: requestId }, known.message);
    return { ...base, message: known.message, extensions: appErrorExtensions(known) };
  }
  const code = formatted.extensions?.code;
  if (typeof code === 'string' && code in APOLLO_CODES) {
    return { ...base, extensions: { code: APOLLO_CODES[code] } };
  }
  // The gateway's own refusals made as GraphQL errors (the socket's limits) keep their code.
  if (isGraphQLError(original) && !original.originalError && typeof code === 'string' && code in ERROR_CODES && code !== 'internal_error') {
    return { ...base, extensions: { code } };
  }
  // Variables that do not fit their type: bad_user_input, as over HTTP. graphql-ws runs
  // graphql-js without Apollo, and the scalar's own refusal comes as the original error.
  if (isGraphQLError(original) && !formatted.path && /^Variable "\$/.test(formatted.message)) {
    return { ...base, extensions: { code: 'bad_user_input' } };
  }
  if (isGraphQLError(original) && !original.originalError && !formatted.path) {
    // A document error without a code (e.g. from a validation rule): the client's fault.
    return { ...base, extensions: { code: 'graphql_validation_failed' } };
  }
  log.error({ err: original, reqId: requestId }, 'unhandled error in GraphQL operation');
  return { ...base, message: INTERNAL_MESSAGE, extensions: { code: 'internal_error', requestId } };
}

const SUGGESTION = / ?Did you mean(.+?)\?$/;

/**
 * An error without graphql-js's suggestions ("Cannot query field "creatApiKey" on type
 * "Mutation". Did you mean "createApiKey"?"): with introspection off, they would list the
 * schema one guess at a time (issue 19, finding 10). The same pattern Apollo's
 * `hideSchemaDetailsFromClientErrors` strips, applied to every error of every door, variable
 * errors included.
 */
export function withoutSuggestions<E extends { message: string }>(e: E): E {
  return SUGGESTION.test(e.message) ? { ...e, message: e.message.replace(SUGGESTION, '') } : e;
}

/** The code an error will be answered with, for metrics (without formatting or logging it). */
export function errorCode(e: GraphQLError): string {
  const original = e.originalError;
  if (original instanceof AppError) return original.code;
  const code = e.extensions?.code;
  if (typeof code === 'string') return APOLLO_CODES[code] ?? code;
  return original ? 'internal_error' : 'graphql_validation_failed';
}

/**
 * A lookup by id as GraphQL answers it (the schema's conventions: a foreign or unknown id is
 * null, never an error that reveals it): the service's not_found becomes null, and so does a
 * validation_error about nothing but the `idArgs` (a malformed id names nothing, as an unknown
 * one); any other error (credentials, an API key's scope, other arguments) stays. REST answers
 * the same not_found as 404.
 */
export const nullWhenNotFound = <T>(lookup: Promise<T>, idArgs: readonly string[] = []): Promise<T | null> =>
  lookup.catch((e: unknown) => {
    if (!(e instanceof AppError)) throw e;
    if (e.code === 'not_found') return null;
    if (e.code === 'validation_error' && e.details.fields?.length && e.details.fields.every((f) => idArgs.includes(String(f.loc[0])))) return null;
    throw e;
  });
