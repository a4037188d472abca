import type { z } from 'zod';
import type { RequestContext } from '../common/context.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Who may call a route. `public`: nobody is authenticated. `optional`: a valid bearer is
 * used when present. `user`: a bearer access token is required (bearer-only).
 */
export type RouteAuth = 'public' | 'optional' | 'user';

export interface RouteInput {
  /** The request body with snake_case keys renamed to the services' camelCase. */
  body: Record<string, unknown>;
  params: Record<string, string>;
  query: Record<string, unknown>;
}

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
  /** The service's input schema; the OpenAPI document shows it with snake_case names. */
  body?: { schema: z.ZodType; required: boolean; contentTypes?: readonly string[] };
  query?: z.ZodType;
  /** Calls the service, nothing else. */
  handler: (ctx: RequestContext, input: RouteInput) => Promise<R>;
  /** The success status, and the documented response shape with its serializer. */
  response:
    | { status: 204; description: string }
    | { status: 200 | 201; description: string; schema: z.ZodType; serialize: (result: R) => unknown };
  /** Error codes worth listing in the document besides the ones every route can answer. */
  errors?: readonly string[];
}

/** Keeps the handler's result and the serializer's argument the same type. */
export const defineRoute = <R>(route: RestRoute<R>): RestRoute => route as unknown as RestRoute;

export const JSON_ONLY = ['application/json'] as const;
