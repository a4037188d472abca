import { z } from 'zod';
import { toSnake } from '../common/case.js';
import { ERROR_CODES, GRAPHQL_ONLY_CODES } from '../common/errors.js';
import { describeRequirement } from '../common/scopes.js';
import { JSON_ONLY, type RestRoute } from './route-table.js';

type JsonSchema = Record<string, unknown>;

/** Renames object property names to snake_case, as REST callers send and receive them. */
function snakeSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(snakeSchema);
  if (!schema || typeof schema !== 'object') return schema;
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(schema as JsonSchema)) {
    if (k === 'properties' && v && typeof v === 'object') {
      out[k] = Object.fromEntries(Object.entries(v as JsonSchema).map(([p, s]) => [toSnake(p), snakeSchema(s)]));
    } else if (k === 'required' && Array.isArray(v)) {
      out[k] = v.map((p) => toSnake(String(p)));
    } else {
      out[k] = snakeSchema(v);
    }
  }
  return out;
}

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
};

const envelopeSchema: JsonSchema = {
  type: 'object',
  required: ['detail'],
  properties: {
    detail: {
      type: 'object',
      required: ['error', 'message'],
      properties: {
        error: { type: 'string', enum: Object.keys(ERROR_CODES).filter((c) => !GRAPHQL_ONLY_CODES.has(c as never)) },
        message: { type: 'string' },
        fields: {
          type: 'array',
          items: {
            type: 'object',
            properties: { loc: { type: 'array', items: { type: ['string', 'integer'] } }, message: { type: 'string' } },
          },
        },
      },
      additionalProperties: true,
    },
  },
};

/** The OpenAPI 3.1 document, generated from the route table so the two cannot drift. */
export function buildOpenApi(routes: readonly RestRoute[], info: { version: string }): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const params = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    const query = r.query ? queryParameters(r.query, r.camelCase) : [];
    const errorStatuses = new Set<number>([400, 500]);
    const requirement = r.auth === 'public' || r.auth === 'optional' ? null : r.auth;
    if (requirement) errorStatuses.add(401).add(403);
    for (const code of r.errors ?? []) errorStatuses.add(ERROR_CODES[code as keyof typeof ERROR_CODES] ?? 500);
    const responses: Record<string, unknown> = {
      [r.response.status]:
        r.response.status === 204
          ? { description: r.response.description }
          : 'file' in r.response
            ? { description: r.response.description, content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } }
            : {
              description: r.response.description,
              content: {
                ...(r.sse ? { 'text/event-stream': { schema: { type: 'string', description: r.sse.description } } } : {}),
                'application/json': {
                  schema: r.response.list
                    ? { type: 'array', items: snakeSchema(jsonSchema(r.response.schema, 'output')) }
                    : snakeSchema(jsonSchema(r.response.schema, 'output')),
                },
              },
              headers: {
                ...(r.response.list ? { 'X-Total-Count': { description: 'Size of the whole list', schema: { type: 'integer' } } } : {}),
                'Cache-Control': r.publicCacheSeconds
                  ? { description: 'The same for every caller: caches may keep it', schema: { type: 'string', const: `public, max-age=${r.publicCacheSeconds}` } }
                  : { description: 'Per caller: not kept by caches', schema: { type: 'string', const: 'no-store' } },
              },
            },
    };
    if (r.redirect) {
      responses[302] = { description: r.redirect.description, headers: { Location: { description: 'Where to go', schema: { type: 'string' } } } };
    }
    for (const s of [...errorStatuses].sort()) {
      responses[s] = { description: 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorEnvelope' } } } };
    }
    const body = r.body
      ? {
          required: r.body.required,
          content: Object.fromEntries(
            (r.body.contentTypes ?? JSON_ONLY).map((ct) => [ct, { schema: r.camelCase ? jsonSchema(r.body!.schema, 'input') : snakeSchema(jsonSchema(r.body!.schema, 'input')) }]),
          ),
        }
      : undefined;
    paths[r.path] ??= {};
    paths[r.path]![r.method.toLowerCase()] = {
      operationId: r.operationId,
      summary: r.summary,
      description: [r.description, requirement ? describeRequirement(requirement) : null].filter(Boolean).join('\n\n') || undefined,
      tags: [r.tag],
      security: securityOf(r.auth),
      ...(requirement && requirement !== 'bearer' ? { 'x-required-scope': requirement } : {}),
      ...(params.length || query.length ? { parameters: [...params, ...query] } : {}),
      ...(body ? { requestBody: body } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Xentree gateway REST compatibility API',
      version: info.version,
      description:
        'The documented /api endpoints, served by the same services as the GraphQL API at /graphql. ' +
        'Errors use the envelope {"detail": {"error", "message", ...}}.',
    },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'xntr- and 86 characters; acts for its creator in one organization, within its scopes.' },
      },
      schemas: { ErrorEnvelope: envelopeSchema },
    },
    security: [{ bearer: [] }],
    paths,
  };
}

/** OpenAPI security: an API key entry names the scope it needs. */
function securityOf(auth: RestRoute['auth']): unknown[] {
  if (auth === 'public') return [];
  if (auth === 'optional') return [{}, { bearer: [] }, { apiKey: [] }];
  if (auth === 'bearer') return [{ bearer: [] }];
  return [{ bearer: [] }, { apiKey: [auth] }];
}

function queryParameters(schema: z.ZodType, camelCase?: true): unknown[] {
  const js = (camelCase ? jsonSchema(schema, 'input') : snakeSchema(jsonSchema(schema, 'input'))) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, s]) => ({
    name,
    in: 'query',
    required: js.required?.includes(name) ?? false,
    schema: s,
  }));
}
