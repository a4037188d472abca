import { getMetadataStorage } from 'type-graphql';
import type { GraphQLArgument, GraphQLInputField, GraphQLInputType, GraphQLNamedType, GraphQLSchema } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { boundInputs } from '../src/graphql/inputs.js';
import { gatewaySchema, graphqlCjs, rootFields } from './helpers/graphql-ops.js';

/**
 * The schema's conventions (../shared/api/graphql-conventions.md), checked on the schema the
 * resolvers build: every element described, ids as ID, instants as DateTime, enums in
 * UPPER_CASE, output lists non-null of non-null, growing lists as connections, entities as
 * Nodes, and every InputType the same as the zod schema of the service it feeds.
 */
const {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  isIntrospectionType,
  isSpecifiedScalarType,
} = graphqlCjs;

let schema: GraphQLSchema;
let types: GraphQLNamedType[];
beforeAll(async () => {
  schema = await gatewaySchema();
  types = Object.values(schema.getTypeMap()).filter((t) => !isIntrospectionType(t) && !(isScalarType(t) && isSpecifiedScalarType(t)));
});

/** Error codes keep REST's lower snake_case (the one documented exception aside): the one enum not in UPPER_CASE. */
const LOWER_CASE_ENUMS = new Set(['ErrorCode']);

describe('documentation', () => {
  it('describes every type, field, argument, input field and enum value', () => {
    const missing: string[] = [];
    const need = (what: string, description: string | null | undefined) => {
      if (!description?.trim()) missing.push(what);
    };
    for (const t of types) {
      need(t.name, t.description);
      if (isObjectType(t) || isInterfaceType(t)) {
        for (const f of Object.values(t.getFields())) {
          need(`${t.name}.${f.name}`, f.description);
          for (const a of f.args) need(`${t.name}.${f.name}(${a.name})`, a.description);
        }
      } else if (isInputObjectType(t)) {
        for (const f of Object.values(t.getFields())) need(`${t.name}.${f.name}`, f.description);
      } else if (isEnumType(t)) {
        for (const v of t.getValues()) need(`${t.name}.${v.name}`, v.description);
      }
    }
    expect(missing, `undescribed schema elements (${missing.length})`).toEqual([]);
  });

  it("ends every root field's description with what an API key needs, or says it is public or bearer-only", async () => {
    const bad = (await rootFields())
      .filter(({ field }) => !/API keys need the scope `[a-z]+:[a-z]+`( \(or [^)]+\))?\.|Bearer token only|[Pp]ublic|[Nn]o authentication|[Aa]ny (signed-in )?caller|Any credentials/.test(field.description ?? ''))
      .map((f) => f.key);
    expect(bad).toEqual([]);
  });
});

describe('names and types', () => {
  it('names enum values in UPPER_CASE', () => {
    const bad = types.filter(isEnumType).flatMap((t) => (LOWER_CASE_ENUMS.has(t.name) ? [] : t.getValues().filter((v) => !/^[A-Z][A-Z0-9_]*$/.test(v.name)).map((v) => `${t.name}.${v.name}`)));
    expect(bad).toEqual([]);
  });

  const fieldsAndArgs = () =>
    types.flatMap((t) => {
      if (isObjectType(t) || isInterfaceType(t)) {
        return Object.values(t.getFields()).flatMap((f) => [
          { where: `${t.name}.${f.name}`, name: f.name, type: f.type as GraphQLInputType },
          ...f.args.map((a: GraphQLArgument) => ({ where: `${t.name}.${f.name}(${a.name})`, name: a.name, type: a.type })),
        ]);
      }
      if (isInputObjectType(t)) return Object.values(t.getFields()).map((f: GraphQLInputField) => ({ where: `${t.name}.${f.name}`, name: f.name, type: f.type }));
      return [];
    });

  it('types every id as ID, in and out', () => {
    const bad = fieldsAndArgs()
      .filter((f) => /^(id|ids|.*Id|.*Ids)$/.test(f.name) && isScalarType(getNamedType(f.type)) && getNamedType(f.type).name !== 'ID')
      .map((f) => `${f.where}: ${String(f.type)}`);
    expect(bad).toEqual([]);
  });

  it('types every instant as DateTime, in and out', () => {
    const bad = fieldsAndArgs()
      .filter((f) => /(At|Before|After)$|^(from|to|since|until|start|end|expiresAt|timestamp)$/.test(f.name) && !['before', 'after'].includes(f.name))
      .filter((f) => getNamedType(f.type).name === 'String')
      .map((f) => `${f.where}: ${String(f.type)}`);
    expect(bad).toEqual([]);
  });

  it('answers lists as non-null lists of non-null items', () => {
    const bad: string[] = [];
    for (const t of types) {
      if (!isObjectType(t) && !isInterfaceType(t)) continue;
      for (const f of Object.values(t.getFields())) {
        // `nodes(ids:)` answers null for each id the caller may not see, by the Relay specification.
        if (`${t.name}.${f.name}` === 'Query.nodes') continue;
        let type = f.type;
        let nullableList = false;
        if (isListType(type)) nullableList = true;
        if (isNonNullType(type)) type = type.ofType;
        if (isListType(type) && (nullableList || !isNonNullType(type.ofType))) bad.push(`${t.name}.${f.name}: ${String(f.type)}`);
      }
    }
    expect(bad).toEqual([]);
  });

  /** Root fields whose names depart from the conventions, each with its reason (README, "Where the schema departs from the conventions"). */
  const NAMED_OTHERWISE: Record<string, string> = {
    'Mutation.login': 'the name every authentication client knows, released in 0.1.0',
    'Mutation.logout': 'the name every authentication client knows, released in 0.1.0',
    'Mutation.register': 'the name every authentication client knows, released in 0.1.0',
    'Mutation.chat': "the REST door's verb (POST /api/core/chat), released in 0.1.0",
    'Mutation.liveHeartbeat': 'the documented POST /api/live/session/heartbeat, released in 0.1.0',
  };
  /** The verbs mutations begin with. A new verb is added here when it reads as one. */
  const VERBS = ['add', 'buy', 'complete', 'connect', 'create', 'delete', 'disconnect', 'end', 'evaluate', 'grant', 'record', 'refresh', 'regenerate', 'reindex', 'remove', 'rename', 'revoke', 'rotate', 'save', 'schedule', 'send', 'set', 'start', 'submit', 'update', 'upload'];

  it('names mutations verbNoun, with one `input: VerbNounInput!` (or none) and a `VerbNounPayload!`', () => {
    const bad: string[] = [];
    for (const f of Object.values(schema.getMutationType()!.getFields())) {
      const where = `Mutation.${f.name}`;
      const Name = f.name[0]!.toUpperCase() + f.name.slice(1);
      if (!(where in NAMED_OTHERWISE) && !new RegExp(`^(${VERBS.join('|')})[A-Z]\\w+$`).test(f.name)) bad.push(`${where}: not verbNoun`);
      // A mutation with nothing to say (connectGoogleCalendar, buyStreakFreeze) takes no input at all.
      if (f.args.length > 1 || (f.args[0] && (f.args[0].name !== 'input' || String(f.args[0].type) !== `${Name}Input!`))) bad.push(`${where}: arguments ${f.args.map((a) => `${a.name}: ${String(a.type)}`).join(', ')}`);
      if (String(f.type) !== `${Name}Payload!`) bad.push(`${where}: returns ${String(f.type)}`);
    }
    expect(bad).toEqual([]);
  });

  it('names subscriptions nounEvents or nounUpdated (deprecated ones aside)', () => {
    const bad = Object.values(schema.getSubscriptionType()!.getFields())
      .filter((f) => !f.deprecationReason && !/^[a-z]\w*(Events|Updated)$/.test(f.name) && !(`Subscription.${f.name}` in NAMED_OTHERWISE))
      .map((f) => f.name);
    expect(bad).toEqual([]);
  });

  it('keeps the list of departures true: each names a root field that departs', () => {
    const stale = Object.keys(NAMED_OTHERWISE).filter((where) => {
      const [root, name] = where.split('.') as [string, string];
      const field = (root === 'Mutation' ? schema.getMutationType() : schema.getSubscriptionType())?.getFields()[name];
      return !field || (root === 'Mutation' && new RegExp(`^(${VERBS.join('|')})[A-Z]`).test(name));
    });
    expect(stale).toEqual([]);
  });

  it('makes every type with an id a Node', () => {
    const bad = types
      .filter((t) => isObjectType(t) && 'id' in t.getFields() && !t.getInterfaces().some((i) => i.name === 'Node'))
      .map((t) => t.name);
    expect(bad).toEqual([]);
  });

  it('serves a list of Nodes as a connection, not a bare list (small fixed lists inside one object aside)', () => {
    // Lists that belong to one object and cannot grow past a handful: a module's tasks, a message's citations...
    const FIXED = new Set([
      'XelModule.tasks',
      'Query.nodes',
      // The server's AI providers, a fixed set of three (local, openai, anthropic).
      'Providers.providers',
      // One entry per provider (IntegrationProvider, one value today), each changing in place: it cannot grow with use.
      'Query.integrations',
      // Today's quests: three a day, drawn for the caller.
      'Query.xpQuests',
    ]);
    const bad: string[] = [];
    for (const t of types) {
      if (!isObjectType(t) || t.name.endsWith('Connection') || t.name.endsWith('Payload') || t.name.endsWith('Event')) continue;
      for (const f of Object.values(t.getFields())) {
        const inner = isNonNullType(f.type) ? f.type.ofType : f.type;
        if (!isListType(inner)) continue;
        const item = getNamedType(f.type);
        if (isObjectType(item) && item.getInterfaces().some((i) => i.name === 'Node') && !FIXED.has(`${t.name}.${f.name}`)) bad.push(`${t.name}.${f.name}`);
      }
    }
    expect(bad).toEqual([]);
  });
});

/* ------------------------------------------------------------------------------------------ */
/* InputTypes against their zod schemas.                                                       */

type Json = Record<string, any>;

/** The schema inline: without the global registry's names (the OpenAPI components), so nothing is a `$ref`. */
const jsonOf = (schema: z.ZodType): Json => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', metadata: z.registry() });

/** The JSON schema's alternatives, flattened (`type: [a, null]`, anyOf, oneOf). */
function alternatives(s: Json): Json[] {
  if (Array.isArray(s.anyOf)) return s.anyOf.flatMap(alternatives);
  if (Array.isArray(s.oneOf)) return s.oneOf.flatMap(alternatives);
  if (Array.isArray(s.type)) return s.type.map((t: string) => ({ ...s, type: t }));
  return [s];
}

const acceptsNull = (s: Json): boolean => alternatives(s).some((a) => a.type === 'null' || Object.keys(a).filter((k) => k !== 'default' && k !== 'description').length === 0);

/** The differences between a GraphQL input type and the JSON schema zod gives for its values. */
function compareType(where: string, gql: GraphQLInputType, js: Json, out: string[]): void {
  const nonNull = isNonNullType(gql);
  const inner = nonNull ? gql.ofType : gql;
  const alts = alternatives(js).filter((a) => a.type !== 'null');
  if (!nonNull && !acceptsNull(js)) out.push(`${where}: nullable in GraphQL (clients may send null) but the schema refuses null`);
  // An unconstrained schema (`unknown`, a coerce input) takes anything.
  if (alts.some((a) => Object.keys(a).filter((k) => k !== 'default' && k !== 'description').length === 0)) return;
  if (isListType(inner)) {
    const arr = alts.find((a) => a.type === 'array');
    if (!arr) return void out.push(`${where}: a list in GraphQL, ${JSON.stringify(js).slice(0, 80)} in the schema`);
    return compareType(`${where}[]`, inner.ofType, arr.items ?? {}, out);
  }
  if (isInputObjectType(inner)) {
    const obj = alts.find((a) => a.type === 'object');
    if (!obj) return void out.push(`${where}: an input object in GraphQL, ${JSON.stringify(js).slice(0, 80)} in the schema`);
    return compareObject(where, inner.getFields(), obj, out);
  }
  if (isEnumType(inner)) {
    const values = inner.getValues().map((v) => String(v.value)).sort();
    const en = alts.find((a) => Array.isArray(a.enum));
    if (!en) return void out.push(`${where}: enum ${inner.name} in GraphQL, ${JSON.stringify(js).slice(0, 80)} in the schema`);
    const zodValues = [...(en.enum as unknown[])].map(String).sort();
    if (JSON.stringify(values) !== JSON.stringify(zodValues)) out.push(`${where}: enum ${inner.name} has ${values.join(',')}, the schema ${zodValues.join(',')}`);
    return;
  }
  const want: Record<string, string[]> = { String: ['string'], ID: ['string'], Int: ['integer'], Float: ['number', 'integer'], Boolean: ['boolean'], DateTime: ['string'], Date: ['string'] };
  const expected = want[inner.name];
  if (!expected) return; // custom scalars parse themselves
  if (!alts.some((a) => expected.includes(a.type))) out.push(`${where}: ${inner.name} in GraphQL, ${JSON.stringify(alts.map((a) => a.type))} in the schema`);
  if (inner.name === 'Int' && !alts.some((a) => a.type === 'integer')) out.push(`${where}: Int in GraphQL, not an integer in the schema`);
  if (inner.name === 'DateTime' && !alts.some((a) => a.format === 'date-time')) out.push(`${where}: DateTime in GraphQL, a string without format date-time in the schema`);
}

function compareObject(where: string, fields: Record<string, GraphQLInputField>, js: Json, out: string[]): void {
  const props: Json = js.properties ?? {};
  const required = new Set<string>(js.required ?? []);
  for (const f of Object.values(fields)) {
    const p = props[f.name];
    if (!p) {
      out.push(`${where}.${f.name}: in GraphQL, not in the schema`);
      continue;
    }
    const optionalInGraphQL = !isNonNullType(f.type) || f.defaultValue !== undefined;
    const optionalInSchema = !required.has(f.name);
    if (optionalInGraphQL !== optionalInSchema) out.push(`${where}.${f.name}: ${optionalInGraphQL ? 'optional' : 'required'} in GraphQL, ${optionalInSchema ? 'optional' : 'required'} in the schema`);
    compareType(`${where}.${f.name}`, f.type, p, out);
  }
  for (const name of Object.keys(props)) if (!(name in fields)) out.push(`${where}.${name}: in the schema, not in GraphQL`);
}

describe('InputTypes and the zod schemas of their services', () => {
  it('binds every InputType and ArgsType to a zod schema (@ValidatedBy)', () => {
    const storage = getMetadataStorage();
    const used = new Set(types.filter(isInputObjectType).map((t) => t.name));
    const unbound = storage.inputTypes.filter((t) => used.has(t.name) && !boundInputs().has(t.target)).map((t) => t.name);
    expect(unbound, 'InputTypes without @ValidatedBy(schema)').toEqual([]);
  });

  it('keeps every bound InputType the same as its schema: fields, types, nullability, enum values', () => {
    const storage = getMetadataStorage();
    const problems: string[] = [];
    for (const [target, zodSchema] of boundInputs()) {
      const meta = storage.inputTypes.find((t) => t.target === target);
      if (!meta) continue; // ArgsTypes are compared below, field by field
      const gqlType = schema.getType(meta.name);
      if (!gqlType || !isInputObjectType(gqlType)) continue; // not used by any operation
      const js = jsonOf(zodSchema);
      const obj = alternatives(js).find((a) => a.type === 'object');
      if (!obj) problems.push(`${meta.name}: the bound schema is not an object`);
      else compareObject(meta.name, gqlType.getFields(), obj, problems);
    }
    expect(problems).toEqual([]);
  });

  it('keeps every bound ArgsType (connection arguments...) the same as its schema', () => {
    const storage = getMetadataStorage();
    const problems: string[] = [];
    for (const [target, zodSchema] of boundInputs()) {
      const meta = storage.argumentTypes.find((t) => t.target === target);
      if (!meta) continue;
      const js = alternatives(jsonOf(zodSchema)).find((a) => a.type === 'object') ?? {};
      const props: Json = js.properties ?? {};
      for (const f of meta.fields ?? []) if (!(f.name in props)) problems.push(`${meta.name}.${f.name}: in GraphQL, not in the schema`);
      for (const name of Object.keys(props)) if (!(meta.fields ?? []).some((f) => f.name === name)) problems.push(`${meta.name}.${name}: in the schema, not in GraphQL`);
    }
    expect(problems).toEqual([]);
  });
});

describe('subscription events', () => {
  it('resolves an EVENT_FIELDS event to itself only where its resolver method returns its root, and every other field through its method', async () => {
    const { EVENT_FIELDS } = await import('../src/graphql/schema.js');
    const storage = getMetadataStorage();
    const fields = schema.getSubscriptionType()!.getFields();
    const probe = { an: 'event' };
    for (const name of EVENT_FIELDS) {
      const meta = storage.subscriptions.find((s) => s.schemaName === name);
      expect(meta, name).toBeDefined();
      const method = (meta!.target.prototype as Record<string, (...args: unknown[]) => unknown>)[meta!.methodName]!;
      // The method, as the class has it, with its root and arguments: it must answer the root as it is.
      expect(method.call(Object.create(meta!.target.prototype as object), probe, 'an argument', null), name).toBe(probe);
      expect(fields[name]!.resolve!(probe, {}, {}, {} as never), name).toBe(probe);
      // Nor would type-graphql's resolver have done more: no middleware, no roles, on the method or its class.
      const target = meta!.target;
      expect(storage.middlewares.filter((m) => m.target === target && m.fieldName === meta!.methodName), name).toEqual([]);
      expect(storage.resolverMiddlewares.filter((m) => m.target === target), name).toEqual([]);
      expect(storage.authorizedFields.filter((a) => a.target === target && a.fieldName === meta!.methodName), name).toEqual([]);
      expect(storage.authorizedResolver.filter((a) => a.target === target), name).toEqual([]);
    }
    // A field that works out its value per event keeps type-graphql's resolver.
    expect(EVENT_FIELDS.has('meUpdated')).toBe(false);
    expect(fields.meUpdated!.resolve!.length).toBeGreaterThan(1);
  });
});
