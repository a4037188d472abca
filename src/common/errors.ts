/**
 * The one error type services throw. Each code has one HTTP status; the GraphQL and
 * WebSocket translators carry the same code in `extensions.code`.
 */
export const ERROR_CODES = {
  validation_error: 400,
  bad_request: 400,
  not_authenticated: 401,
  invalid_token: 401,
  invalid_credentials: 401,
  forbidden: 403,
  INSUFFICIENT_API_KEY_SCOPE: 403,
  not_found: 404,
  method_not_allowed: 405,
  request_timeout: 408,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  live_quota_exceeded: 429,
  rate_limited: 429,
  headers_too_large: 431,
  internal_error: 500,
  upstream_unavailable: 502,
  service_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

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
