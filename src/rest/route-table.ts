import type { z } from 'zod';
import type { RequestContext } from '../common/context.js';
import type { AppError } from '../common/errors.js';
import type { Config, RateLimitName } from '../config.js';
import type { Page } from '../common/pagination.js';
import type { IntegrationScope } from '../common/integration-scopes.js';
import type { Requirement } from '../common/scopes.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Who may call a route. `public`: nobody is authenticated. `optional`: valid credentials
 * are used when present. `bearer`: a user's access token (API keys refused). A scope: a
 * bearer token, or an API key holding that scope. The service checks the same again.
 */
export type RouteAuth = 'public' | 'optional' | Requirement;

/**
 * What a handler receives: the body and the query string with snake_case keys renamed to
 * the services' camelCase and parsed by the route's schemas (`z.output` of each), and the
 * path parameters. A route without a schema gets an empty object.
 */
export interface RouteInput<B = Record<string, unknown>, Q = Record<string, unknown>> {
  body: B;
  params: Record<string, string>;
  query: Q;
  /** The `Last-Event-ID` header, for a stream that resumes (a browser's EventSource sends it when it reconnects). */
  lastEventId?: string;
  /** The `Idempotency-Key` header, for a route that makes a retry with it safe. */
  idempotencyKey?: string;
}

/** The parsed type of an optional schema. */
export type Parsed<S> = S extends z.ZodType ? z.output<S> : Record<string, never>;

/** One documented REST endpoint: everything the router and the OpenAPI document need. */
export interface RestRoute<R = unknown> {
  method: HttpMethod;
  /** The documented path, with `{param}` placeholders. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  auth: RouteAuth;
  /** The integration token scope that also admits this route (besides `xel:read` and `live:read`, which admit what the API key scope does). */
  integration?: IntegrationScope;
  /** The body's and the query's names are documented in camelCase (as the published integration-token bodies are), not snake_case. */
  camelCase?: true;
  /** The service's input schema; the OpenAPI document shows it with snake_case names. */
  body?: {
    schema: z.ZodType;
    required: boolean;
    contentTypes?: readonly string[];
    /** A larger body limit than the server's default (uploads). */
    maxBytes?: (config: Config) => number;
    /**
     * multipart/form-data is read into the body: the `file` part as `data` (a Buffer),
     * `filename` and `mimeType`; other parts as strings.
     */
    multipart?: boolean;
    /** What the body is, for the OpenAPI document (by default, "The <operationId> input."). */
    description?: string;
    /**
     * The body as a client sends it in one media type, where that differs from what the door
     * hands the service (a multipart upload: a `file` part, read into `data`): for the document only.
     */
    documented?: Readonly<Record<string, z.ZodType>>;
  };
  query?: z.ZodType;
  /** Calls the service, nothing else. */
  handler: (ctx: RequestContext, input: RouteInput) => Promise<R>;
  /**
   * The success status, and the documented response shape with its serializer. A `list`
   * route's handler returns a Page: the body is the array of serialized items and
   * X-Total-Count carries the total.
   */
  response:
    | { status: 204; description: string }
    | {
        status: 200 | 201 | 202;
        description: string;
        schema: z.ZodType;
        list?: false;
        serialize: (result: R, ctx: RequestContext) => unknown;
        /** When the status depends on the result (201 created, or 200 for what already existed): the status, else `status`. */
        statusOf?: (result: R) => 200 | 201 | 202;
      }
    | {
        status: 200;
        description: string;
        /** A file, not JSON: sent as an attachment with its own media type (never rendered by a browser as the API's origin). */
        file: (result: R) => { bytes: Buffer; mimeType: string; filename: string };
        list?: false;
      }
    | {
        status: 200;
        description: string;
        /** The schema of one item. */
        schema: z.ZodType;
        list: true;
        serialize: (item: never, ctx: RequestContext) => unknown;
      };
  /**
   * Server-sent events, for callers sending `Accept: text/event-stream`: the handler starts
   * a stream (errors before it starts still answer the JSON envelope); each event is written
   * as `event: <type>` with the serialized data; a client that leaves cancels it.
   */
  sse?: {
    start: (ctx: RequestContext, input: RouteInput) => Promise<EventStream>;
    serialize: (event: { type: string }) => unknown;
    /** The event's `id:` field (a resumable stream: a client reconnects with it as Last-Event-ID). */
    id?: (event: { type: string }) => string;
    description: string;
  };
  /**
   * Browser flows: when `location` gives a URL, the answer is a 302 there (no body, not
   * cached, no referrer passed on) instead of the JSON response. When `onError` gives a URL
   * for a failure (any failure once the request is the route's: its input refused by the
   * route's schemas included), the answer is a 302 there too, instead of the error envelope.
   */
  redirect?: {
    description: string;
    location: (result: R, input: RouteInput, ctx: RequestContext) => string | null;
    onError?: (error: AppError, config: Config) => string | null;
  };
  /**
   * Error codes the handler's service can answer besides the ones the route's declaration
   * implies (auth: 401/403; a body: 400, 413, 415; a path id: 404; API keys or `rateLimits`: 429).
   */
  errors?: readonly string[];
  /** The rate limits the service counts this operation against (429 rate_limited with Retry-After and RateLimit-*). */
  rateLimits?: readonly RateLimitName[];
  /**
   * A GET whose answer is the same for every caller (no per-user data, no authentication
   * needed): its successful answers say `Cache-Control: public, max-age=<seconds>`. Every
   * other answer is `no-store`.
   */
  publicCacheSeconds?: number;
}

/** A stream of events that the client may cancel. */
export interface EventStream {
  events(): AsyncIterable<{ type: string }>;
  cancel(): void;
  /** Nothing will ever follow (resumed past the end of a stream that ended): answered 204, which stops an EventSource reconnecting. */
  ended?: boolean;
}

type SingleResponse<R> = Exclude<RestRoute<R>['response'], { list: true }>;

/** A route as written in a table: the handler's input typed by the route's own schemas. */
type TypedRoute<R, B extends z.ZodType | undefined, Q extends z.ZodType | undefined> = Omit<RestRoute<R>, 'response' | 'body' | 'query' | 'handler' | 'sse' | 'redirect'> & {
  body?: Omit<NonNullable<RestRoute['body']>, 'schema'> & { schema: B & z.ZodType };
  query?: Q;
  handler: (ctx: RequestContext, input: RouteInput<Parsed<B>, Parsed<Q>>) => Promise<R>;
  sse?: Omit<NonNullable<RestRoute['sse']>, 'start'> & { start: (ctx: RequestContext, input: RouteInput<Parsed<B>, Parsed<Q>>) => Promise<EventStream> };
  redirect?: {
    description: string;
    location: (result: R, input: RouteInput<Parsed<B>, Parsed<Q>>, ctx: RequestContext) => string | null;
    onError?: (error: AppError, config: Config) => string | null;
  };
};

/**
 * Keeps the handler's input the parsed output of the route's schemas, and its result the
 * serializer's argument: no casts between the table and the service.
 */
export const defineRoute = <R, B extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined>(
  route: TypedRoute<R, B, Q> & { response: SingleResponse<R> },
): RestRoute => route as unknown as RestRoute;

/** A list route: the handler returns a Page, each item is serialized, X-Total-Count is set. */
export const defineListRoute = <T, B extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined>(
  route: TypedRoute<Page<T>, B, Q> & {
    response: { status: 200; description: string; schema: z.ZodType; serialize: (item: T, ctx: RequestContext) => unknown };
  },
): RestRoute => ({ ...route, response: { ...route.response, list: true } }) as unknown as RestRoute;

export const JSON_ONLY = ['application/json'] as const;
