import {
  getArgumentValues,
  getNamedType,
  getOperationAST,
  GraphQLError,
  isInterfaceType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  TypeInfo,
  ValidationContext,
  visit,
  type DocumentNode,
  type FieldNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type GraphQLType,
} from 'graphql';
import { createComplexityRule, type ComplexityEstimatorArgs } from 'graphql-query-complexity';
import { AppError } from '../common/errors.js';
import { DEFAULT_PAGE } from './relay.js';

/**
 * What an operation costs, computed once its variables are known, so a page size costs the
 * same whether it is written in the document or passed as a variable.
 *
 * The model (graphql-query-complexity walks the document; the estimator below prices each field):
 * - a field returning an object costs 1, plus what it selects; a scalar or enum field costs 0
 *   (it is read from an object already loaded), and so do a connection's edges and its
 *   `pageInfo` (wrappers made with the page, so a list costs the same as a connection or as a
 *   page of items); `__typename` and introspection cost 0;
 * - a list of objects multiplies what one item costs by the number of items it can hold: its
 *   own `first`, `last` or `limit` argument (the default page size, 20, when the argument is
 *   there but not given), the number of `ids` it is asked for, or, for a list directly inside a
 *   field that took such an argument (a connection's `edges`, a page's `items`), that field's
 *   page size; any other list of objects counts as LIST_SIZE items. Nested lists multiply;
 * - a union or interface costs its costliest possible type; `@skip`/`@include` are honoured;
 * - a field may declare its own cost in its extensions (`@Extensions({ cost: n })`): n replaces
 *   the 1 (or 0) above and still multiplies like the rest; a plain list that can hold more than
 *   LIST_SIZE items declares how many (`@Extensions({ listSize: n })`: a year of days is 366).
 */

/** Items assumed in a list of objects that takes no page size (a message's citations, a module's tasks). */
export const LIST_SIZE = 10;

/** One field's share of the cost, for a refusal's breakdown. */
export interface CostEntry {
  /** Response path, with aliases: `conversations.edges.node.messages`. */
  path: string;
  /** What the field costs where it appears (once): all its items and everything they select. */
  cost: number;
  /** The number of items it was counted for (1 for a single object). */
  multiplier: number;
}

export interface OperationCost {
  cost: number;
  /** The costliest fields (root fields and multiplied lists), costliest first. */
  breakdown: CostEntry[];
}

const PAGE_ARGS = ['first', 'last', 'limit'] as const;
const PAGE_ARG_NAMES = new Set<string>([...PAGE_ARGS, 'ids']);

/** A connection's edge (`cursor` and `node`) or `PageInfo`: made with the page, loading nothing of its own. */
function isWrapper(type: GraphQLNamedType): boolean {
  if (!isObjectType(type)) return false;
  if (type.name === 'PageInfo') return true;
  const fields = type.getFields();
  return 'node' in fields && 'cursor' in fields;
}

/** Whether a type is a list, past a non-null wrapper. */
const listOf = (type: GraphQLType): boolean => isListType(isNonNullType(type) ? type.ofType : type);

interface Frame {
  /** The field node whose selection is being priced (null for an operation or a fragment). */
  field: FieldNode | null;
  /** The type whose fields the selection picks. */
  type: GraphQLCompositeType | undefined;
  /** Items per list directly inside this field, when the field took a page size. */
  page: number | null;
}

/** Selections visited (fragments expanded at each spread) before an operation counts as too costly to price. */
export const MAX_PRICED_NODES = 10_000;

/** The page size a field's arguments ask for, or null when it takes none. */
function pageSize(field: GraphQLField<unknown, unknown>, args: Record<string, unknown>): number | null {
  const ids = args.ids;
  if (Array.isArray(ids) && field.args.some((a) => a.name === 'ids')) return ids.length;
  let declared = false;
  for (const name of PAGE_ARGS) {
    if (!field.args.some((a) => a.name === name)) continue;
    declared = true;
    const v = args[name];
    if (typeof v === 'number' && Number.isFinite(v)) return Math.max(0, Math.floor(v));
  }
  return declared ? DEFAULT_PAGE : null;
}

/** What introspection's root fields cost: the whole schema (a few hundred types and their fields), or one type. */
export const INTROSPECTION_COST: Readonly<Record<string, number>> = { __schema: 1000, __type: 50 };

/**
 * The cost of the operation `operationName` of `document` with `variables`, and its breakdown.
 * Variables that do not fit the operation make no cost (0): execution refuses them itself.
 */
export function operationCost(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined, variables: Record<string, unknown> | null | undefined): OperationCost {
  const errors: GraphQLError[] = [];
  const context = new ValidationContext(schema, document, new TypeInfo(schema), (e) => errors.push(e));
  const frames: Frame[] = [];
  const entries = new Map<string, CostEntry>();
  const pathOf = (node: FieldNode) => [...frames.flatMap((f) => (f.field ? [(f.field.alias ?? f.field.name).value] : [])), (node.alias ?? node.name).value].join('.');

  const estimate = ({ field, node, args, childComplexity }: ComplexityEstimatorArgs): number => {
    // Introspection is priced by what it answers at its root, whatever it selects below: the
    // whole schema once (an IDE's query) fits the limit, fifteen aliased copies of it do not.
    if (field.name.startsWith('__')) return INTROSPECTION_COST[field.name] ?? 0;
    const named = getNamedType(field.type);
    const declared: unknown = field.extensions?.cost;
    const own = typeof declared === 'number' ? declared : isLeafType(named) || isWrapper(named) ? 0 : 1;
    let multiplier = 1;
    if (listOf(field.type) && !isLeafType(named)) {
      const parent = frames[frames.length - 1];
      const listSize: unknown = field.extensions?.listSize;
      multiplier = pageSize(field, args) ?? (typeof listSize === 'number' ? listSize : parent?.field && parent.page !== null ? parent.page : LIST_SIZE);
    }
    const cost = multiplier * (own + childComplexity);
    if (multiplier !== 1 || !frames.some((f) => f.field)) {
      const path = pathOf(node);
      const seen = entries.get(path);
      // A field under a union or interface is priced once per possible type: keep the costliest.
      if (!seen || seen.cost < cost) entries.set(path, { path, cost, multiplier });
    }
    return cost;
  };

  const visitor = createComplexityRule({
    maximumComplexity: Number.MAX_SAFE_INTEGER,
    estimators: [estimate],
    variables: variables ?? {},
    maxQueryNodes: MAX_PRICED_NODES,
    ...(operationName ? { operationName } : {}),
  })(context);

  // The library prices a field after its selection, recursing through nodeComplexity: wrapping
  // it keeps the stack of fields being priced, for paths and for the page size lists inherit.
  const inner = visitor.nodeComplexity.bind(visitor);
  visitor.nodeComplexity = (node, typeDef, fragments) => {
    const frame: Frame = { field: null, type: typeDef, page: null };
    if (node.kind === Kind.FIELD) {
      frame.field = node;
      const parent = frames[frames.length - 1]?.type;
      const def = parent && (isObjectType(parent) || isInterfaceType(parent)) ? parent.getFields()[node.name.value] : undefined;
      if (def?.args.some((a) => PAGE_ARG_NAMES.has(a.name))) {
        try {
          frame.page = pageSize(def, getArgumentValues(def, node, visitor.variableValues));
        } catch {
          // Arguments that do not coerce: the library reports them, and execution refuses them.
        }
      }
    }
    frames.push(frame);
    try {
      return inner(node, typeDef, fragments);
    } finally {
      frames.pop();
    }
  };

  // Only the operation asked for is priced, straight from its definition: walking the whole
  // document with type information, as a validation rule would, costs more than the pricing.
  const operation = getOperationAST(document, operationName);
  if (!operation) return { cost: 0, breakdown: [] };
  try {
    visitor.onOperationDefinitionEnter(operation);
    visitor.onOperationDefinitionLeave(operation);
  } catch (e) {
    // Fragments spread within fragments can make a small document huge once expanded.
    if (e instanceof GraphQLError && /maximum allowed number of nodes/.test(e.message)) return { cost: Number.POSITIVE_INFINITY, breakdown: [] };
    throw e;
  }
  if (errors.length) return { cost: 0, breakdown: [] };
  const breakdown = [...entries.values()].sort((a, b) => b.cost - a.cost || a.path.localeCompare(b.path)).slice(0, 20);
  return { cost: visitor.complexity, breakdown };
}

/**
 * The variables an operation's cost can depend on: page sizes (`first`, `last`, `limit`),
 * `ids`, and the conditions of `@skip`/`@include`. Two requests of one document whose values
 * for these agree cost the same, so a door can remember which it has admitted.
 */
export function costVariables(document: DocumentNode): string[] {
  const names = new Set<string>();
  visit(document, {
    Argument(node) {
      if ((PAGE_ARG_NAMES.has(node.name.value) || node.name.value === 'if') && node.value.kind === Kind.VARIABLE) names.add(node.value.name.value);
    },
  });
  return [...names].sort();
}

/** What of `variables` the cost depends on, as a key (a list counts by its length). */
export function costKey(names: readonly string[], variables: Record<string, unknown> | null | undefined): string {
  if (!names.length) return '';
  return JSON.stringify(names.map((n) => {
    const v = variables?.[n];
    return Array.isArray(v) ? { length: v.length } : (v ?? null);
  }));
}

/**
 * Refuses an operation that costs more than `maxCost`.
 * @throws query_too_costly, with the cost, the limit and the breakdown
 */
export function checkCost(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined, variables: Record<string, unknown> | null | undefined, maxCost: number): OperationCost {
  const result = operationCost(schema, document, operationName, variables);
  if (result.cost === Number.POSITIVE_INFINITY) {
    throw new AppError('query_too_costly', `The operation selects more than ${MAX_PRICED_NODES} fields once its fragments are expanded; the cost limit is ${maxCost}.`, { max_cost: maxCost, breakdown: [] });
  }
  if (result.cost > maxCost) {
    throw new AppError('query_too_costly', `The operation costs ${result.cost}; the limit is ${maxCost}. Ask for smaller pages (first, last, limit) or fewer nested lists.`, {
      cost: result.cost,
      max_cost: maxCost,
      breakdown: result.breakdown,
    });
  }
  return result;
}
