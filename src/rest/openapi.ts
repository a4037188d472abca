import { z } from 'zod';
import { toSnake } from '../common/case.js';
import { ERROR_CATALOGUE, GRAPHQL_ONLY_CODES, type ErrorCode } from '../common/errors.js';
import { describeRequirement } from '../common/scopes.js';
import { DEFAULT_RATE_LIMITS, type RateLimitName } from '../config.js';
import { glossaryDescription } from './glossary.js';
import { JSON_ONLY, type RestRoute } from './route-table.js';
import { TAG_DESCRIPTIONS } from './tags.js';

type JsonSchema = Record<string, unknown>;

const isObject = (v: unknown): v is JsonSchema => !!v && typeof v === 'object' && !Array.isArray(v);
const pascal = (s: string): string => s.replace(/(^|[_\s-])([a-z0-9])/gi, (_, _sep: string, c: string) => c.toUpperCase());
/** `ChatResponseCitations` to `ChatResponseCitation`: the name of one item of a list. */
const singular = (name: string): string =>
  /ies$/.test(name) ? name.replace(/ies$/, 'y') : /[^s]s$/.test(name) ? name.slice(0, -1) : `${name}Item`;
/** A stable text of a schema, to tell two definitions under one name apart. */
const canonical = (v: unknown): string =>
  JSON.stringify(v, (_k, val: unknown) => (isObject(val) ? Object.fromEntries(Object.entries(val).sort(([a], [b]) => a.localeCompare(b))) : val));

/** Keys whose values are data (examples, defaults), not schemas: never renamed or cleaned. */
const DATA_KEYS = new Set(['examples', 'example', 'default', 'const', 'enum']);

/** Renames object property names to snake_case, as REST callers send and receive them. */
function snakeSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(snakeSchema);
  if (!isObject(schema)) return schema;
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(schema)) {
    if (DATA_KEYS.has(k)) out[k] = v;
    else if (k === 'properties' && isObject(v)) {
      out[k] = Object.fromEntries(Object.entries(v).map(([p, s]) => [toSnake(p), snakeSchema(s)]));
    } else if (k === 'required' && Array.isArray(v)) {
      out[k] = v.map((p) => toSnake(String(p)));
    } else {
      out[k] = snakeSchema(v);
    }
  }
  return out;
}

const SAFE = Number.MAX_SAFE_INTEGER;
/**
 * Takes out what the zod converter adds that says nothing to a client: ±2^53 bounds on every
 * integer, the regular expressions it writes beside a `format` (email, uuid, date-time...),
 * and `additionalProperties: false` on answers (a client must accept fields added later).
 */
function denoise(schema: unknown, io: 'input' | 'output'): unknown {
  if (Array.isArray(schema)) return schema.map((s) => denoise(s, io));
  if (!isObject(schema)) return schema;
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(schema)) {
    if (DATA_KEYS.has(k)) out[k] = v;
    else if (k === 'minimum' && v === -SAFE) continue;
    else if (k === 'maximum' && v === SAFE) continue;
    else if (k === 'pattern' && schema.format) continue;
    else if (k === 'additionalProperties' && v === false && io === 'output') continue;
    else out[k] = denoise(v, io);
  }
  return out;
}

/** Where a schema's definitions refer to each other, as components. */
function retarget(schema: unknown, names: ReadonlyMap<string, string>): unknown {
  if (Array.isArray(schema)) return schema.map((s) => retarget(s, names));
  if (!isObject(schema)) return schema;
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === '$ref' && typeof v === 'string' && v.startsWith('#/$defs/')) out[k] = `#/components/schemas/${names.get(v.slice(8)) ?? v.slice(8)}`;
    else out[k] = DATA_KEYS.has(k) ? v : retarget(v, names);
  }
  return out;
}

/**
 * zod leaves out the examples of a schema that transforms when it shows what it takes (they
 * would be of what it makes); the documented examples are of what a client sends, so they stay.
 */
const keepExamples = (ctx: { zodSchema: unknown; jsonSchema: JsonSchema }): void => {
  const meta = z.globalRegistry.get(ctx.zodSchema as z.ZodType);
  if (meta?.examples && !ctx.jsonSchema.examples) ctx.jsonSchema.examples = meta.examples;
};

const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });

/**
 * The named schemas of the document. Every object shape becomes one: a zod schema's
 * `.meta({ id })` names it (the documented names); an unnamed one is named after where it is
 * (`<OperationId>Request`, `<OperationId>Response`, `<Parent><Property>`). One name, one shape:
 * a second, different shape under a name already taken is a `conflict`; one shape under two
 * derived names is a `duplicate` (give the zod schema an id); tests list both.
 */
class Components {
  readonly schemas: Record<string, JsonSchema> = {};
  readonly conflicts: string[] = [];
  private readonly derived = new Map<string, string>();
  readonly duplicates: string[] = [];

  /** Gives each property without a description of its own the glossary's line for it (src/rest/glossary.ts). */
  describeProperties(): void {
    for (const [name, schema] of Object.entries(this.schemas)) {
      if (!isObject(schema.properties)) continue;
      for (const [prop, s] of Object.entries(schema.properties)) {
        if (!isObject(s) || s.description) continue;
        const text = glossaryDescription(prop, name);
        if (text) schema.properties[prop] = { ...s, description: text };
      }
    }
  }

  /** Registers a named shape (lifting the objects inside it) and returns the name it got. */
  put(name: string, schema: JsonSchema, io: 'input' | 'output', named: boolean): string {
    const lifted = this.liftInside(schema, name, io);
    const existing = this.schemas[name];
    if (existing) {
      if (canonical(existing) === canonical(lifted)) return name;
      // A named schema read as a request and as an answer can differ (defaults): the request's
      // reading keeps the name when the name says it is one, the other gets a suffix.
      const variant = `${name}${io === 'input' ? 'Input' : 'Output'}`;
      const other = this.schemas[variant];
      if (!other) {
        this.schemas[variant] = lifted;
        return variant;
      }
      if (canonical(other) === canonical(lifted)) return variant;
      this.conflicts.push(`${name}: two different shapes under one name`);
      return name;
    }
    if (!named) {
      const key = canonical(lifted);
      const seen = this.derived.get(key);
      if (seen && seen !== name) this.duplicates.push(`${name} and ${seen} are the same shape: name it once with .meta({ id })`);
      else this.derived.set(key, name);
    }
    this.schemas[name] = lifted;
    return name;
  }

  /** The properties, items and alternatives of a shape, with every inline object made a component. */
  private liftInside(schema: JsonSchema, name: string, io: 'input' | 'output'): JsonSchema {
    const out: JsonSchema = {};
    for (const [k, v] of Object.entries(schema)) {
      if (k === 'properties' && isObject(v)) {
        out[k] = Object.fromEntries(Object.entries(v).map(([p, s]) => [p, this.lift(s, `${name}${pascal(p)}`, io)]));
      } else if (k === 'items' && isObject(v)) {
        out[k] = this.lift(v, singular(name), io);
      } else if ((k === 'anyOf' || k === 'oneOf' || k === 'allOf') && Array.isArray(v)) {
        const objects = v.filter((s) => isObject(s) && s.type === 'object' && s.properties).length;
        let n = 0;
        out[k] = v.map((s) => this.lift(s, objects > 1 && isObject(s) && s.properties ? `${name}${++n}` : name, io));
      } else if (k === 'additionalProperties' && isObject(v)) {
        out[k] = this.lift(v, `${name}Value`, io);
      } else {
        out[k] = v;
      }
    }
    return out;
  }

  /** An inline object becomes a component named `name`; anything else is searched for objects. */
  lift(schema: unknown, name: string, io: 'input' | 'output'): unknown {
    if (!isObject(schema) || schema.$ref) return schema;
    if (schema.type === 'object' && isObject(schema.properties)) {
      const { description, ...shape } = schema;
      const got = this.put(name, shape, io, false);
      // The property's description stays beside the reference.
      return description ? { $ref: ref(got).$ref, description } : ref(got);
    }
    return this.liftInside(schema, name, io);
  }

  /**
   * A zod schema as the document shows it (snake_case, no generator noise), its named parts
   * components; an object at the root is a component too, `fallback` naming it when zod does not.
   */
  fromZod(schema: z.ZodType, io: 'input' | 'output', fallback: string, camelCase = false): JsonSchema {
    const raw = z.toJSONSchema(schema, { io, unrepresentable: 'any', override: keepExamples }) as JsonSchema;
    const { $schema: _drop, $defs, ...root } = denoise(camelCase ? raw : snakeSchema(raw), io) as JsonSchema;
    const defs = (isObject($defs) ? $defs : {}) as Record<string, JsonSchema>;
    const names = new Map<string, string>();
    // Definitions first (under the names they will have), then what refers to them.
    for (const id of Object.keys(defs)) names.set(id, id);
    for (const [id, def] of Object.entries(defs)) names.set(id, this.put(id, retarget(def, names) as JsonSchema, io, true));
    return this.lift(retarget(root, names), fallback, io) as JsonSchema;
  }
}

/** The envelope every error answers with: `Error` of the documentation. */
const errorSchema: JsonSchema = {
  type: 'object',
  description: 'The error envelope of every failed request.',
  required: ['detail'],
  properties: {
    detail: { $ref: '#/components/schemas/ErrorDetail' },
  },
  examples: [
    { detail: { error: 'live_quota_exceeded', message: 'Your live minutes for this month are used up', retry_after_seconds: 86400 } },
    { detail: { error: 'INSUFFICIENT_API_KEY_SCOPE', message: 'This API key lacks the scope live:write', required_scope: 'live:write', granted_scopes: ['live:read'] } },
  ],
};
const errorDetailSchema: JsonSchema = {
  type: 'object',
  description: 'What went wrong: a code, a message for people, and fields that depend on the code.',
  required: ['error', 'message'],
  properties: {
    error: {
      type: 'string',
      description: 'The error code; the catalogue gives each one its status and meaning.',
      enum: (Object.keys(ERROR_CATALOGUE) as ErrorCode[]).filter((c) => !GRAPHQL_ONLY_CODES.has(c)),
    },
    message: { type: 'string', description: 'A human-readable explanation, never internals.' },
    fields: { type: 'array', description: 'validation_error: each offending field.', items: { $ref: '#/components/schemas/FieldError' } },
    required_scope: { type: 'string', description: 'INSUFFICIENT_API_KEY_SCOPE: the scope the operation needs.' },
    granted_scopes: { type: 'array', items: { type: 'string' }, description: 'INSUFFICIENT_API_KEY_SCOPE: the scopes the key holds.' },
    retry_after_seconds: { type: 'integer', description: 'rate_limited, live_quota_exceeded: seconds until trying again may succeed (the Retry-After header says the same).' },
    request_id: { type: 'string', description: 'internal_error: the request id to quote when reporting it.' },
    trace_id: { type: 'string', pattern: '^[0-9a-f]{32}$', description: 'Only when the server traces (OpenTelemetry, OTEL_EXPORTER_OTLP_ENDPOINT set): the W3C trace id of the failed request, to find its trace.' },
  },
  additionalProperties: true,
};
const fieldErrorSchema: JsonSchema = {
  type: 'object',
  description: 'One invalid input field.',
  required: ['loc', 'message'],
  properties: {
    loc: { type: 'array', items: { type: ['string', 'integer'] }, description: 'Where the field is: `body` or `query`, then its path in snake_case, e.g. ["body", "transcripts", 0, "text"].' },
    message: { type: 'string', description: 'What is wrong with it.' },
  },
};

const RATE_LIMIT_HEADERS: Record<string, JsonSchema> = {
  'Retry-After': { description: 'Seconds until a new attempt may succeed.', schema: { type: 'integer' } },
  'RateLimit-Limit': { description: 'Requests allowed in the window of the limit that refused this one.', schema: { type: 'integer' } },
  'RateLimit-Remaining': { description: 'Requests left in the window (0 when refused).', schema: { type: 'integer' } },
  'RateLimit-Reset': { description: 'Seconds until the window frees up.', schema: { type: 'integer' } },
  'RateLimit-Policy': { description: 'The limit as `<points>;w=<seconds>`.', schema: { type: 'string' } },
};

/** What each rate limit counts, for the 429's description. */
const RATE_LIMIT_TEXT: Record<RateLimitName, string> = {
  login_ip: 'sign-in attempts per client address',
  login_account: 'failed sign-ins per account (then growing delays for unknown addresses)',
  login_account_ip: 'failed sign-ins per account from one address',
  reauth_session: 'wrong current passwords per login session',
  register_ip: 'registrations per client address',
  register_account: 'registrations per email or username',
  chat: 'chat turns per user',
  evaluation: 'evaluations per user',
  api_key: 'requests per API key',
};

/** The error codes an operation can answer, from what the route declares (auth, body, path ids, limits) and its own list. */
export function errorCodesOf(r: RestRoute): ErrorCode[] {
  const codes = new Set<ErrorCode>();
  const requirement = r.auth === 'public' || r.auth === 'optional' ? null : r.auth;
  if (r.body) codes.add('validation_error').add('bad_request').add('payload_too_large').add('unsupported_media_type');
  if (r.query) codes.add('validation_error');
  if (requirement || r.auth === 'optional') codes.add('invalid_token');
  if (requirement) codes.add('not_authenticated').add(requirement === 'bearer' ? 'forbidden' : 'INSUFFICIENT_API_KEY_SCOPE');
  if (requirement === 'bearer') codes.add('forbidden');
  if (/\{\w+\}/.test(r.path)) codes.add('not_found');
  if (acceptsApiKeys(r) || r.rateLimits?.length) codes.add('rate_limited');
  for (const code of r.errors ?? []) {
    if (!(code in ERROR_CATALOGUE)) throw new Error(`${r.operationId}: unknown error code ${code} (see src/common/errors.ts)`);
    codes.add(code as ErrorCode);
  }
  // Every operation answers these: a failure of the server, and the database (or another dependency) away for a while.
  codes.add('internal_error').add('service_unavailable');
  return [...codes];
}

const acceptsApiKeys = (r: RestRoute): boolean => r.auth !== 'public' && r.auth !== 'bearer';

function errorResponses(r: RestRoute): Record<string, unknown> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of errorCodesOf(r)) {
    const status = ERROR_CATALOGUE[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const limits: RateLimitName[] = [...(r.rateLimits ?? []), ...(acceptsApiKeys(r) ? (['api_key'] as const) : [])];
  const out: Record<string, unknown> = {};
  for (const status of [...byStatus.keys()].sort((a, b) => a - b)) {
    const codes = byStatus.get(status)!;
    const lines = codes.map((c) => {
      let text = `- \`${c}\`: ${ERROR_CATALOGUE[c].description}`;
      if (c === 'rate_limited' && limits.length) {
        text += ` Limits: ${limits.map((l) => `\`${l}\` (${RATE_LIMIT_TEXT[l]}, by default ${DEFAULT_RATE_LIMITS[l].points} per ${DEFAULT_RATE_LIMITS[l].seconds} s)`).join('; ')}.`;
      }
      return text;
    });
    const limited = codes.includes('rate_limited');
    out[status] = {
      description: `Error codes:\n${lines.join('\n')}`,
      ...(status === 503 ? { headers: { 'Retry-After': { $ref: '#/components/headers/Retry-After' } } } : {}),
      ...(status === 429
        ? {
            headers: Object.fromEntries(
              Object.keys(RATE_LIMIT_HEADERS)
                .filter((h) => limited || h === 'Retry-After')
                .map((h) => [h, { $ref: `#/components/headers/${h}` }]),
            ),
          }
        : {}),
      content: {
        'application/json': {
          schema: ref('Error'),
          examples: Object.fromEntries(
            codes.map((c) => [c, { summary: ERROR_CATALOGUE[c].description, value: { detail: { error: c, message: exampleMessage(c) } } }]),
          ),
        },
      },
      'x-error-codes': codes,
    };
  }
  return out;
}

const EXAMPLE_MESSAGES: Partial<Record<ErrorCode, string>> = {
  validation_error: 'Invalid input: name must not be empty',
  not_found: 'Organization not found',
  rate_limited: 'Too many requests; try again in 30 s',
};
const exampleMessage = (c: ErrorCode): string => EXAMPLE_MESSAGES[c] ?? ERROR_CATALOGUE[c].description;

/** The OpenAPI 3.1 document, generated from the route table so the two cannot drift. */
export function buildOpenApi(routes: readonly RestRoute[], info: { version: string }): JsonSchema {
  return describeApi(routes, info).document;
}

/**
 * The document with what its generation found wrong: shapes under one name that differ, and
 * unnamed shapes seen twice (tests fail on both, naming what to fix).
 */
export function describeApi(routes: readonly RestRoute[], info: { version: string }): { document: JsonSchema; conflicts: string[]; duplicates: string[] } {
  const components = new Components();
  components.schemas.Error = errorSchema;
  components.schemas.ErrorDetail = errorDetailSchema;
  components.schemas.FieldError = fieldErrorSchema;
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const base = pascal(r.operationId);
    const params = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1]!,
      in: 'path',
      required: true,
      description: glossaryDescription(m[1]!) ?? '',
      schema: { type: 'string' },
    }));
    const query = r.query ? queryParameters(components, r.query, base, r.camelCase === true) : [];
    const requirement = r.auth === 'public' || r.auth === 'optional' ? null : r.auth;
    // The request first: a shape read both ways keeps its plain name for the request (the documented TranscriptTurn).
    const body = r.body ? requestBody(components, r, base) : undefined;
    const success = successResponse(components, r, base);
    const responses: Record<string, unknown> = { [r.response.status]: success };
    if (r.redirect) {
      responses[302] = { description: r.redirect.description, headers: { Location: { description: 'Where to go', schema: { type: 'string' } } } };
    }
    Object.assign(responses, errorResponses(r));
    const rateText = r.rateLimits?.length ? `Rate limited: ${r.rateLimits.map((l) => `\`${l}\``).join(', ')} (429 with Retry-After and RateLimit-*).` : null;
    paths[r.path] ??= {};
    paths[r.path]![r.method.toLowerCase()] = {
      operationId: r.operationId,
      summary: r.summary,
      description: [r.description ?? `${r.summary}.`, requirement ? describeRequirement(requirement) : r.auth === 'public' ? 'No authentication.' : 'Authentication optional.', rateText]
        .filter(Boolean)
        .join('\n\n'),
      tags: [r.tag],
      security: securityOf(r.auth),
      ...(requirement && requirement !== 'bearer' ? { 'x-required-scope': requirement } : {}),
      ...(params.length || query.length ? { parameters: [...params, ...query] } : {}),
      ...(body ? { requestBody: body } : {}),
      responses,
    };
  }
  components.describeProperties();
  const tags = [...new Set(routes.map((r) => r.tag))].map((name) => ({ name, description: TAG_DESCRIPTIONS[name] ?? '' }));
  const document: JsonSchema = {
    openapi: '3.1.0',
    info: {
      title: 'Xentree gateway REST compatibility API',
      version: info.version,
      description:
        'The documented /api endpoints, served by the same services as the GraphQL API at /graphql. ' +
        'Field names are snake_case; times are ISO-8601 UTC. Lists take `limit` and `offset`, answer a JSON array and set `X-Total-Count`. ' +
        'Errors use the envelope {"detail": {"error", "message", ...}} (the `Error` schema); each response lists the codes it can carry.',
    },
    servers: [{ url: '/' }],
    tags,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An access token from /api/auth/login or /api/auth/refresh.' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'xntr- and 86 characters; acts for its creator in one organization, within its scopes.' },
      },
      headers: RATE_LIMIT_HEADERS,
      schemas: Object.fromEntries(Object.entries(components.schemas).sort(([a], [b]) => a.localeCompare(b))),
    },
    security: [{ bearer: [] }],
    paths,
  };
  return { document, conflicts: components.conflicts, duplicates: components.duplicates };
}

function requestBody(components: Components, r: RestRoute, base: string): JsonSchema {
  const b = r.body!;
  const content: Record<string, unknown> = {};
  for (const ct of b.contentTypes ?? JSON_ONLY) {
    const documented = b.documented?.[ct];
    content[ct] = { schema: components.fromZod(documented ?? b.schema, 'input', documented ? `${base}${pascal(ct.split('/')[1]!)}Request` : `${base}Request`, r.camelCase === true) };
  }
  const first = Object.values(content)[0] as { schema: JsonSchema };
  const named = typeof first.schema.$ref === 'string' ? components.schemas[first.schema.$ref.split('/').pop()!]?.description : undefined;
  return { required: b.required, description: b.description ?? named ?? `What ${r.operationId} takes: ${r.summary}.`, content };
}

function successResponse(components: Components, r: RestRoute, base: string): JsonSchema {
  const res = r.response;
  if (res.status === 204) return { description: res.description };
  if ('file' in res) return { description: res.description, content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary', description: 'The file, with its own media type.' } } } };
  const item = components.fromZod(res.schema, 'output', res.list ? `${base}Item` : `${base}Response`);
  return {
    description: res.description,
    content: {
      ...(r.sse ? { 'text/event-stream': { schema: { type: 'string', description: r.sse.description } } } : {}),
      'application/json': { schema: res.list ? { type: 'array', items: item } : item },
    },
    headers: {
      ...(res.list ? { 'X-Total-Count': { description: 'Size of the whole list', schema: { type: 'integer' } } } : {}),
      'Cache-Control': r.publicCacheSeconds
        ? { description: 'The same for every caller: caches may keep it', schema: { type: 'string', const: `public, max-age=${r.publicCacheSeconds}` } }
        : { description: 'Per caller: not kept by caches', schema: { type: 'string', const: 'no-store' } },
    },
  };
}

/** OpenAPI security: an API key entry names the scope it needs. */
function securityOf(auth: RestRoute['auth']): unknown[] {
  if (auth === 'public') return [];
  if (auth === 'optional') return [{}, { bearer: [] }, { apiKey: [] }];
  if (auth === 'bearer') return [{ bearer: [] }];
  return [{ bearer: [] }, { apiKey: [auth] }];
}

function queryParameters(components: Components, schema: z.ZodType, base: string, camelCase: boolean): unknown[] {
  const raw = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', override: keepExamples }) as JsonSchema;
  const js = denoise(camelCase ? raw : snakeSchema(raw), 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, s]) => {
    const { description, ...rest } = s;
    return {
      name,
      in: 'query',
      required: js.required?.includes(name) ?? false,
      description: (description as string | undefined) ?? glossaryDescription(name) ?? '',
      schema: components.lift(rest, `${base}${pascal(name)}`, 'input'),
    };
  });
}
