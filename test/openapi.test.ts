import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE } from '../src/common/errors.js';
import { allRoutes } from '../src/modules/index.js';
import { describeApi, errorCodesOf } from '../src/rest/openapi.js';
import { TAG_DESCRIPTIONS } from '../src/rest/tags.js';

/**
 * The OpenAPI document as a client generator reads it. These tests are the checklist for a
 * new route: each failure names what to add (an id, a description, a tag line).
 */
type Json = Record<string, unknown>;
const { document: doc, conflicts, duplicates } = describeApi(allRoutes, { version: 'test' });
const schemas = (doc.components as { schemas: Record<string, Json> }).schemas;
const operations = Object.entries(doc.paths as Record<string, Record<string, Json>>).flatMap(([path, ops]) =>
  Object.entries(ops).map(([method, op]) => ({ path, method, op, at: `${method.toUpperCase()} ${path}` })),
);
const isObject = (v: unknown): v is Json => !!v && typeof v === 'object' && !Array.isArray(v);

/** Every node of a JSON value with the path to it. */
function* walk(node: unknown, at: string): Generator<{ node: Json; at: string }> {
  if (Array.isArray(node)) {
    for (const [i, v] of node.entries()) yield* walk(v, `${at}[${i}]`);
  } else if (isObject(node)) {
    yield { node, at };
    for (const [k, v] of Object.entries(node)) if (k !== 'examples' && k !== 'example') yield* walk(v, `${at}.${k}`);
  }
}

const DOCUMENTED = [
  'Error',
  'TokenResponse',
  'UserProfile',
  'ChatRequest',
  'ChatResponse',
  'ConversationCreateRequest',
  'ConversationResponse',
  'KnowledgeSearchRequest',
  'LiveStartSessionRequest',
  'LiveSessionResponse',
  'LiveQuotaResponse',
  'TranscriptTurn',
  'SaveLiveTranscriptsRequest',
  'OrganizationCreateRequest',
  'OrganizationResponse',
  'MemberResponse',
  'XELModuleSummary',
  'XELTaskSubmissionRequest',
];

describe('the OpenAPI document', () => {
  it('is valid OpenAPI 3.1 (a maintained validator checks it)', async () => {
    const result = await new Validator().validate(structuredClone(doc));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc.openapi).toBe('3.1.0');
  });

  it('names each documented schema, and every other object shape, as a component', () => {
    expect(Object.keys(schemas)).toEqual(expect.arrayContaining(DOCUMENTED));
    // One name, one shape; one shape, one name (give a zod schema `.meta({ id })` to name it once).
    expect(conflicts).toEqual([]);
    expect(duplicates).toEqual([]);
    const inline: string[] = [];
    for (const { node, at } of walk(doc.paths, 'paths')) if (isObject(node.properties)) inline.push(at);
    for (const [name, schema] of Object.entries(schemas)) {
      for (const { node, at } of walk(schema, name)) if (at !== name && isObject(node.properties)) inline.push(at);
    }
    expect(inline).toEqual([]);
    // Every reference resolves.
    const dangling = [...walk(doc, '')].flatMap(({ node, at }) =>
      typeof node.$ref === 'string' && !resolves(node.$ref) ? [`${at}: ${node.$ref}`] : [],
    );
    expect(dangling).toEqual([]);
  });

  it('shows the documented examples, and each example fits its schema', () => {
    for (const name of DOCUMENTED) expect(schemas[name]!.examples, name).toBeDefined();
    expect(schemas.OrganizationCreateRequest!.examples).toContainEqual(expect.objectContaining({ name: 'Acme Learning', slug: 'acme-learning' }));
    expect(schemas.TokenResponse!.examples).toContainEqual(expect.objectContaining({ token_type: 'bearer' }));
    expect(schemas.LiveStartSessionRequest!.examples).toContainEqual(expect.objectContaining({ session_type: 'voice' }));
    expect(schemas.ChatRequest!.examples).toContainEqual(expect.objectContaining({ provider: 'auto', user_language: 'en' }));
    const misfits: string[] = [];
    for (const [name, schema] of Object.entries(schemas)) {
      for (const example of (schema.examples as unknown[] | undefined) ?? []) misfits.push(...fits(example, schema, name));
    }
    expect(misfits).toEqual([]);
  });

  it('describes every operation, parameter, request body, response, property and tag', () => {
    const missing: string[] = [];
    for (const { op, at } of operations) {
      if (!op.description) missing.push(`${at}: operation`);
      for (const p of (op.parameters as Json[] | undefined) ?? []) if (!p.description) missing.push(`${at}: parameter ${String(p.name)}`);
      if (op.requestBody && !(op.requestBody as Json).description) missing.push(`${at}: request body`);
      for (const [status, r] of Object.entries(op.responses as Record<string, Json>)) if (!r.description) missing.push(`${at}: response ${status}`);
    }
    for (const [name, schema] of Object.entries(schemas)) {
      for (const [prop, s] of Object.entries((schema.properties as Record<string, Json> | undefined) ?? {})) {
        const target = typeof s.$ref === 'string' ? schemas[s.$ref.split('/').pop()!] : undefined;
        if (!s.description && !target?.description) missing.push(`${name}.${prop} (describe it in zod, or in src/rest/glossary.ts)`);
      }
    }
    const tags = doc.tags as { name: string; description: string }[];
    for (const t of tags) if (!t.description) missing.push(`tag ${t.name} (add it to src/rest/tags.ts)`);
    expect(missing).toEqual([]);
    expect(tags.map((t) => t.name).sort()).toEqual([...new Set(allRoutes.map((r) => r.tag))].sort());
    expect(Object.keys(TAG_DESCRIPTIONS)).toEqual(expect.arrayContaining(tags.map((t) => t.name)));
  });

  it('has no generator noise: no ±2^53 bounds, no giant regular expressions', () => {
    const noise = [...walk(doc, '')].flatMap(({ node, at }) => [
      ...(Math.abs(Number(node.minimum)) === Number.MAX_SAFE_INTEGER || Math.abs(Number(node.maximum)) === Number.MAX_SAFE_INTEGER ? [`${at}: 2^53 bound`] : []),
      ...(typeof node.pattern === 'string' && node.pattern.length > 100 ? [`${at}: pattern of ${node.pattern.length} characters`] : []),
    ]);
    expect(noise).toEqual([]);
    // The formats say what the removed expressions did.
    expect(schemas.UserProfile!.properties).toMatchObject({ created_at: { type: 'string', format: 'date-time' } });
    expect(JSON.stringify(doc)).not.toContain('9007199254740991');
  });

  it('lists every status an operation can answer, with the error codes each carries', () => {
    for (const r of allRoutes) {
      const op = (doc.paths as Record<string, Record<string, Json>>)[r.path]![r.method.toLowerCase()]!;
      const responses = op.responses as Record<string, Json>;
      const at = `${r.method} ${r.path}`;
      const codes = errorCodesOf(r);
      // Each error code sits under its status, with an example of the envelope.
      for (const code of codes) {
        const res = responses[String(ERROR_CATALOGUE[code].status)];
        expect(res?.['x-error-codes'], `${at} ${code}`).toContain(code);
        expect(((res!.content as Json)['application/json'] as Json).examples, `${at} ${code}`).toHaveProperty(code);
      }
      if (r.body) expect(Object.keys(responses), at).toEqual(expect.arrayContaining(['400', '413', '415']));
      if (r.auth !== 'public' && r.auth !== 'optional') expect(Object.keys(responses), at).toEqual(expect.arrayContaining(['401', '403']));
      if (/\{\w+\}/.test(r.path)) expect(Object.keys(responses), at).toContain('404');
      if (r.auth !== 'public' && r.auth !== 'bearer') expect(responses['429']?.['x-error-codes'], at).toContain('rate_limited');
      if (responses['429']) expect(Object.keys(responses['429'].headers as Json), at).toContain('Retry-After');
      expect(responses['500'], at).toBeDefined();
      expect(responses['503']?.headers, at).toHaveProperty('Retry-After');
    }
    const chat = (doc.paths as Record<string, Record<string, Json>>)['/api/core/chat']!.post!.responses as Record<string, Json>;
    expect(Object.keys(chat['429']!.headers as Json)).toEqual(['Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'RateLimit-Policy']);
    expect(chat['429']!.description).toContain('`chat`');
    const start = (doc.paths as Record<string, Record<string, Json>>)['/api/live/session/start']!.post!.responses as Record<string, Json>;
    expect(start['429']!['x-error-codes']).toEqual(expect.arrayContaining(['rate_limited', 'live_quota_exceeded']));
    const login = (doc.paths as Record<string, Record<string, Json>>)['/api/auth/login']!.post!.responses as Record<string, Json>;
    expect(login['429']!.description).toContain('`login_ip`');
    expect(Object.keys(login)).toEqual(expect.arrayContaining(['200', '400', '401', '413', '415', '429', '500']));
  });

  it('documents the multipart upload as a client sends it', () => {
    const upload = ((doc.paths as Record<string, Record<string, Json>>)['/api/knowledge/documents']!.post!.requestBody as Json).content as Record<string, Json>;
    expect(upload['multipart/form-data']!.schema).toEqual({ $ref: '#/components/schemas/DocumentUploadForm' });
    expect(schemas.DocumentUploadForm!.properties).toMatchObject({ file: { type: 'string', format: 'binary' } });
    expect(upload['application/json']!.schema).toEqual({ $ref: '#/components/schemas/DocumentCreateRequest' });
  });
});

function resolves(ref: string): boolean {
  const [, kind, name] = /^#\/components\/(\w+)\/(.+)$/.exec(ref) ?? [];
  return !!kind && !!name && !!((doc.components as Record<string, Json>)[kind] ?? {})[name];
}

/** Where an example breaks its schema (types, required fields, enums; references followed). */
function fits(value: unknown, schema: Json, at: string): string[] {
  if (typeof schema.$ref === 'string') return fits(value, schemas[schema.$ref.split('/').pop()!]!, at);
  if (Array.isArray(schema.anyOf)) {
    return (schema.anyOf as Json[]).some((s) => fits(value, s, at).length === 0) ? [] : [`${at}: fits no alternative`];
  }
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) return [`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`];
  const types = ([] as unknown[]).concat(schema.type ?? []);
  const typeOf = value === null ? 'null' : Array.isArray(value) ? 'array' : Number.isInteger(value) ? 'integer' : typeof value;
  if (types.length && !types.includes(typeOf) && !(typeOf === 'integer' && types.includes('number'))) return [`${at}: ${typeOf}, not ${types.join('|')}`];
  if (typeOf === 'array' && isObject(schema.items)) return (value as unknown[]).flatMap((v, i) => fits(v, schema.items as Json, `${at}[${i}]`));
  if (typeOf !== 'object' || !isObject(schema.properties)) return [];
  const obj = value as Json;
  const props = schema.properties;
  return [
    ...((schema.required as string[] | undefined) ?? []).filter((k) => !(k in obj)).map((k) => `${at}.${k}: required, missing`),
    ...Object.entries(obj).flatMap(([k, v]) => (props[k] ? fits(v, props[k] as Json, `${at}.${k}`) : schema.additionalProperties === false ? [`${at}.${k}: unknown`] : [])),
  ];
}
