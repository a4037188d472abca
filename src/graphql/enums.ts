import { registerEnumType } from 'type-graphql';
import { z } from 'zod';

/** `not_started` → `NOT_STARTED`, `organizations:read` → `ORGANIZATIONS_READ`, `en-GB` → `EN_GB`. */
export const graphqlEnumName = (value: string): string => {
  const name = value.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, '').toUpperCase();
  return /^[0-9]/.test(name) ? `_${name}` : name;
};

/** A closed set of values, declared once, with a description for the set and for each value. */
export interface ClosedSet<V extends string> {
  /** The GraphQL name of the enum. */
  readonly name: string;
  /** The values as REST and the services know them (the contract's lower-case strings). */
  readonly values: readonly [V, ...V[]];
  /** The zod schema: REST validation, the OpenAPI enum and the services' input rules. */
  readonly schema: z.ZodEnum<{ [K in V]: K }>;
  /**
   * The GraphQL enum (`@Field(() => Set.graphql)`): UPPER_CASE names whose internal values are
   * the same strings as REST's, so resolvers and services never translate.
   */
  readonly graphql: Record<string, V>;
  readonly description: string;
  /** Whether `value` is one of the set's values. */
  has(value: unknown): value is V;
}

/** The value type of a closed set: `ValueOf<typeof DocumentStatus>` is `'processing' | 'ready' | 'failed'`. */
export type ValueOf<S> = S extends ClosedSet<infer V> ? V : never;

/**
 * Declares a closed set once: the zod enum (REST, OpenAPI, validation) and the GraphQL enum
 * (registered under `name`, values in UPPER_CASE mapping to the REST strings). Every value
 * is described; the description object's keys are the values, so none can be forgotten.
 *
 *   export const DocumentStatus = defineEnum('DocumentStatus', 'Where a document is in its ingestion.', {
 *     processing: 'Uploaded; text extraction and indexing are under way.',
 *     ready: 'Indexed: searchable and citable.',
 *     failed: 'Ingestion failed; `error` says why.',
 *   });
 */
export function defineEnum<const V extends string>(name: string, description: string, values: Record<V, string>, options: { message?: string } = {}): ClosedSet<V> {
  const list = Object.keys(values) as V[];
  if (!list.length) throw new Error(`enum ${name} has no values`);
  const graphql: Record<string, V> = {};
  const valuesConfig: Record<string, { description: string }> = {};
  for (const v of list) {
    const key = graphqlEnumName(v);
    if (key in graphql) throw new Error(`enum ${name}: ${v} and ${graphql[key]} have the same GraphQL name ${key}`);
    graphql[key] = v;
    valuesConfig[key] = { description: values[v] };
  }
  registerEnumType(graphql, { name, description, valuesConfig });
  const message = options.message ?? `must be one of: ${list.join(', ')}`;
  const schema = z.enum(list as [V, ...V[]], { error: message }) as unknown as z.ZodEnum<{ [K in V]: K }>;
  const set = new Set<string>(list);
  return { name, values: list as [V, ...V[]], schema, graphql, description, has: (value: unknown): value is V => typeof value === 'string' && set.has(value) };
}
