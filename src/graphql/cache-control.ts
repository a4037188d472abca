import { Kind, OperationTypeNode, type DocumentNode, type FragmentDefinitionNode, type GraphQLSchema, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import { Extensions } from 'type-graphql';

/**
 * Cache-Control for GraphQL answers. A root query field whose answer is the same for every
 * caller (no per-user data anywhere under it, no authentication needed) declares it where it
 * is defined:
 *
 *   @PublicCache(60)
 *   @Query(() => ProvidersType, { description: '…' })
 *   providers(…) { … }
 *
 * An answer is `public, max-age=<the smallest declared>` only when it is a query, every root
 * field it selects is declared public, and it carries no error. Everything else (mutations,
 * subscriptions, anything per user, errors) is `no-store`. Apollo (src/graphql/apollo.ts) and
 * the fast path (src/graphql/http.ts) both answer with this.
 */

/** The extension a public root field carries (field.extensions.publicCacheMaxAge). */
const EXTENSION = 'publicCacheMaxAge';

export const NO_STORE = 'no-store';

/**
 * Declares a root query field public: its answer may be kept by any cache (browsers, CDNs)
 * for `maxAgeSeconds`. Only for data that is the same for every caller.
 */
export function PublicCache(maxAgeSeconds: number): MethodDecorator & PropertyDecorator {
  if (!Number.isInteger(maxAgeSeconds) || maxAgeSeconds <= 0) throw new Error(`PublicCache: ${maxAgeSeconds} is not a positive whole number of seconds`);
  return Extensions({ [EXTENSION]: maxAgeSeconds });
}

/** The root query fields declared public, with their max-age: for documentation and tests. */
export function publicRootFields(schema: GraphQLSchema): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of Object.values(schema.getQueryType()?.getFields() ?? {})) {
    const age = f.extensions?.[EXTENSION];
    if (typeof age === 'number') out[f.name] = age;
  }
  return out;
}

/** The root fields an operation selects (through fragments on the root type too). */
function rootFieldNames(selectionSet: SelectionSetNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>, seen = new Set<string>()): string[] {
  const names: string[] = [];
  for (const s of selectionSet.selections) {
    if (s.kind === Kind.FIELD) names.push(s.name.value);
    else if (s.kind === Kind.INLINE_FRAGMENT) names.push(...rootFieldNames(s.selectionSet, fragments, seen));
    else if (!seen.has(s.name.value)) {
      seen.add(s.name.value);
      const f = fragments.get(s.name.value);
      if (f) names.push(...rootFieldNames(f.selectionSet, fragments, seen));
    }
  }
  return names;
}

/**
 * The Cache-Control of a successful answer to `operation`: public with the smallest max-age
 * of its root fields when they are all declared public, `no-store` otherwise. Depends only
 * on the document, so callers compute it once per document.
 */
export function cachePolicy(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode | null | undefined): string {
  if (!operation || operation.operation !== OperationTypeNode.QUERY) return NO_STORE;
  const fragments = new Map(document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])));
  const fields = schema.getQueryType()?.getFields() ?? {};
  let maxAge = Number.POSITIVE_INFINITY;
  for (const name of rootFieldNames(operation.selectionSet, fragments)) {
    if (name === '__typename') continue;
    const age = fields[name]?.extensions?.[EXTENSION];
    if (typeof age !== 'number') return NO_STORE;
    maxAge = Math.min(maxAge, age);
  }
  return Number.isFinite(maxAge) ? `public, max-age=${maxAge}` : NO_STORE;
}

/** Two answers in one response (a batch): public only if both are, for the shorter time. */
export function combinePolicies(a: string | undefined, b: string): string {
  if (a === undefined) return b;
  const age = (p: string) => (p.startsWith('public') ? Number(/max-age=(\d+)/.exec(p)?.[1] ?? NaN) : NaN);
  const [x, y] = [age(a), age(b)];
  return Number.isFinite(x) && Number.isFinite(y) ? `public, max-age=${Math.min(x, y)}` : NO_STORE;
}
