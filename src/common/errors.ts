/**
 * The one list of error codes, shared by REST's envelope (`detail.error`) and GraphQL's
 * `extensions.code` (over HTTP and graphql-ws), with each code's HTTP status and meaning.
 * The GraphQL schema publishes it as the `ErrorCode` enum. Codes are lower snake_case, as
 * the REST contract has them; `INSUFFICIENT_API_KEY_SCOPE` is spelled as the public
 * documentation spells it.
 */
export const ERROR_CATALOGUE = {
  validation_error: { status: 400, description: 'The input broke a rule: `fields` lists each offending field (`loc` in REST, `path` in GraphQL) with a message.' },
  bad_request: { status: 400, description: 'The request cannot be understood as sent (malformed JSON, too many operations in a batch, a body nested too deep...).' },
  not_authenticated: { status: 401, description: 'Credentials are required and none were sent.' },
  invalid_token: { status: 401, description: 'The access token or refresh token is expired, forged, revoked, or was already used.' },
  invalid_credentials: { status: 401, description: 'The username, email or password is wrong.' },
  forbidden: { status: 403, description: 'The caller is known but may not do this (a role too low, an API key on a bearer-only operation...).' },
  INSUFFICIENT_API_KEY_SCOPE: { status: 403, description: 'The API key lacks the scope the operation needs: `required_scope` and `granted_scopes` say which.' },
  not_found: { status: 404, description: 'Nothing with that id exists for this caller (someone else\'s objects are not found either).' },
  method_not_allowed: { status: 405, description: 'The path exists but not with this HTTP method.' },
  request_timeout: { status: 408, description: 'The request took longer than the server waits for it.' },
  conflict: { status: 409, description: 'The request conflicts with the current state (a name taken, a session already active...).' },
  payload_too_large: { status: 413, description: 'The body, an upload or a GraphQL document is larger than its limit.' },
  document_too_large: { status: 413, description: 'A document would become more than the knowledge base takes (extracted characters, pages, passages, HTML nesting, a PDF\'s text per byte), or more than the user may store: `limit` names which, `max` gives it. Nothing was stored.' },
  unsupported_media_type: { status: 415, description: 'The body is sent in a media type this endpoint does not take.' },
  live_quota_exceeded: { status: 429, description: 'The month\'s live entitlement is used up; the message gives the renewal date.' },
  rate_limited: { status: 429, description: 'Too many requests: `retry_after_seconds` (and the Retry-After header) say when to try again.' },
  headers_too_large: { status: 431, description: 'The request\'s headers are larger than the server accepts.' },
  internal_error: { status: 500, description: 'Something failed on the server; the message names the request id to quote.' },
  upstream_unavailable: { status: 502, description: 'A provider the operation depends on (AI, speech, Google) failed or did not answer.' },
  service_unavailable: { status: 503, description: 'The feature is not configured on this server, or a dependency is down.' },
  graphql_parse_failed: { status: 400, graphqlOnly: true, description: 'The document is not valid GraphQL syntax, or has more lexical tokens than the server parses (`max_tokens`).' },
  graphql_validation_failed: { status: 400, graphqlOnly: true, description: 'The document does not fit the schema (an unknown field, a wrong argument...), or uses introspection where it is off.' },
  bad_user_input: { status: 400, graphqlOnly: true, description: 'A variable\'s value does not fit its declared type.' },
  operation_resolution_failure: { status: 400, graphqlOnly: true, description: '`operationName` names no operation of the document, or the document holds several and none is named.' },
  persisted_query_not_found: { status: 200, graphqlOnly: true, description: 'The persisted query\'s hash is unknown; send the query with its hash once (Apollo\'s automatic persisted queries).' },
  persisted_query_not_supported: { status: 200, graphqlOnly: true, description: 'Persisted queries are not accepted here.' },
  query_too_deep: { status: 400, graphqlOnly: true, description: 'The document nests deeper than the limit: `depth` and `max_depth`.' },
  too_many_aliases: { status: 400, graphqlOnly: true, description: 'The document uses more aliases than the limit: `aliases` and `max_aliases`.' },
  too_many_directives: { status: 400, graphqlOnly: true, description: 'The document uses more directives than the limit: `directives` and `max_directives`.' },
  query_too_costly: { status: 400, graphqlOnly: true, description: 'The operation, with its variables, costs more than the limit: `cost`, `max_cost` and a `breakdown` of the costliest fields.' },
} as const satisfies Record<string, { status: number; graphqlOnly?: true; description: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** Each code's HTTP status. */
export const ERROR_CODES = Object.fromEntries(Object.entries(ERROR_CATALOGUE).map(([code, c]) => [code, c.status])) as { readonly [K in ErrorCode]: (typeof ERROR_CATALOGUE)[K]['status'] };

/** Codes only the GraphQL door answers (REST's envelope never carries them). */
export const GRAPHQL_ONLY_CODES: ReadonlySet<ErrorCode> = new Set(
  (Object.keys(ERROR_CATALOGUE) as ErrorCode[]).filter((c) => 'graphqlOnly' in ERROR_CATALOGUE[c]),
);

/** One invalid input field: `loc` is the path to it, in the caller's own naming. */
export interface FieldError {
  loc: (string | number)[];
  message: string;
}

export interface ErrorDetails {
  fields?: FieldError[];
  [key: string]: unknown;
}

export class AppError extends Error {
  override name = 'AppError';
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetails = {},
    /** Extra response headers, e.g. Retry-After. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.status = ERROR_CODES[code];
  }

  static validation(fields: FieldError[], message?: string): AppError {
    return new AppError('validation_error', message ?? describeFields(fields), { fields });
  }

  static notFound(what: string): AppError {
    return new AppError('not_found', `${what} not found`);
  }
}

/** "Invalid input: email must be a valid email address; password must be at least 8 characters" */
export function describeFields(fields: FieldError[]): string {
  if (!fields.length) return 'Invalid input';
  return `Invalid input: ${fields.map((f) => `${f.loc.join('.') || 'value'} ${f.message}`).join('; ')}`;
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;

/** The message every unknown error is masked with. */
export const INTERNAL_MESSAGE = 'An internal error occurred. Quote the request id when reporting it.';
