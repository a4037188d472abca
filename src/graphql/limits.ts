import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import {
  getEnterLeaveForKind,
  GraphQLError,
  Kind,
  NoSchemaIntrospectionCustomRule,
  OperationTypeNode,
  parse,
  SingleFieldSubscriptionsRule,
  specifiedRules,
  validate,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { AppError, type ErrorCode } from '../common/errors.js';
import type { Metrics } from '../common/metrics.js';
import type { Config } from '../config.js';

type Limits = Config['graphql']['limits'];

/**
 * A limit's refusal as a validation error of the document carrying its own code, the figure
 * found and the limit (GraphQL Armor reports them in its message only).
 */
const refuse =
  (code: ErrorCode, figure: string, limit: number, say: (found: string) => string) =>
  (ctx: ValidationContext | null, err: GraphQLError): void => {
    const found = /found (\d+)/.exec(err.message)?.[1];
    const message = found ? `${say(found)}; the limit is ${limit}` : err.message.replace(/^Syntax Error: /, '');
    const appError = new AppError(code, message, { ...(found ? { [figure]: Number(found) } : {}), [`max_${figure}`]: limit });
    ctx?.reportError(new GraphQLError(message, { originalError: appError }));
  };

/**
 * The document limits checked at validation (GraphQL Armor's rules): depth, aliases and
 * directives, each refused with its own code. The same rules run on HTTP (Apollo and the fast
 * path) and graphql-ws; introspection is refused by a rule too when it is configured off.
 * Token count is the parser's own `maxTokens`. Cost depends on the variables, so it is
 * checked once they are known (./cost.ts), not here.
 */
export function documentRules(limits: Limits, introspection: boolean): ValidationRule[] {
  const common = { exposeLimits: true, propagateOnRejection: false };
  return [
    // Fragments add no depth: a document nests as deep as its fields do, however it is factored.
    maxDepthRule({ ...common, n: limits.maxDepth, ignoreIntrospection: true, flattenFragments: true, onReject: [refuse('query_too_deep', 'depth', limits.maxDepth, (n) => `The document nests ${n} levels deep`)] }),
    maxAliasesRule({ ...common, n: limits.maxAliases, onReject: [refuse('too_many_aliases', 'aliases', limits.maxAliases, (n) => `The document uses ${n} aliases`)] }),
    maxDirectivesRule({ ...common, n: limits.maxDirectives, onReject: [refuse('too_many_directives', 'directives', limits.maxDirectives, (n) => `The document uses ${n} directives`)] }),
    ...(introspection ? [] : [NoSchemaIntrospectionCustomRule]),
  ] as ValidationRule[];
}

/** The selections of a subscription's top level (through its fragments) that carry @skip or @include. */
function conditionalRootSelections(context: ValidationContext, set: SelectionSetNode, seen = new Set<string>()): SelectionNode[] {
  const found: SelectionNode[] = [];
  for (const selection of set.selections) {
    if (selection.directives?.some((d) => d.name.value === 'skip' || d.name.value === 'include')) found.push(selection);
    if (selection.kind === Kind.INLINE_FRAGMENT) found.push(...conditionalRootSelections(context, selection.selectionSet, seen));
    if (selection.kind === Kind.FRAGMENT_SPREAD && !seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = context.getFragment(selection.name.value);
      if (fragment) found.push(...conditionalRootSelections(context, fragment.selectionSet, seen));
    }
  }
  return found;
}

/**
 * graphql-js's SingleFieldSubscriptionsRule, after the rule of the current GraphQL spec draft
 * that a subscription's top level takes no @skip or @include (its one field is always there).
 * graphql-js 16 evaluates those directives without the operation's variables: `@include(if: $s)`
 * threw out of validation ("not provided a runtime value"), and `@skip(if: true)` left no field,
 * on which graphql-js's subscribe failed with a TypeError (the socket closed with 4500).
 */
export const SingleRootFieldRule: ValidationRule = (context) => {
  const graphqlJs = getEnterLeaveForKind(SingleFieldSubscriptionsRule(context), Kind.OPERATION_DEFINITION).enter;
  return {
    OperationDefinition(node, ...rest) {
      if (node.operation === OperationTypeNode.SUBSCRIPTION) {
        const conditional = conditionalRootSelections(context, node.selectionSet);
        if (conditional.length) {
          const name = node.name ? `Subscription "${node.name.value}"` : 'Anonymous Subscription';
          context.reportError(new GraphQLError(`${name} must not use @skip or @include in its top level selection: it always selects its one field.`, { nodes: conditional }));
          return;
        }
      }
      graphqlJs?.(node, ...rest);
    },
  };
};

/** graphql-js's specified rules, with SingleRootFieldRule in place of its SingleFieldSubscriptionsRule. */
export const validationRules: readonly ValidationRule[] = specifiedRules.map((rule) => (rule === SingleFieldSubscriptionsRule ? SingleRootFieldRule : rule));

/** A document larger than the limit, in UTF-8 bytes. */
export function oversized(query: unknown, limits: Limits): AppError | null {
  if (typeof query !== 'string' || query.length * 3 <= limits.maxQueryBytes) return null;
  const bytes = Buffer.byteLength(query);
  return bytes > limits.maxQueryBytes
    ? new AppError('payload_too_large', `The GraphQL document is ${bytes} bytes; the limit is ${limits.maxQueryBytes}`, { limit_bytes: limits.maxQueryBytes })
    : null;
}

/**
 * The checks Apollo does not make on an HTTP request: the number of operations in a
 * batch, and each document's size.
 * @throws bad_request (too many operations), payload_too_large
 */
export function checkHttpRequest(body: unknown, query: HttpOperation | undefined, limits: Limits): void {
  if (Array.isArray(body)) {
    if (limits.maxBatch === 0) throw new AppError('bad_request', 'Batched operations are not accepted; send one operation per request');
    if (body.length > limits.maxBatch) throw new AppError('bad_request', `At most ${limits.maxBatch} operations in one request; this one has ${body.length}`, { max_batch: limits.maxBatch });
    for (const op of body) check(op as HttpOperation | null, limits);
    return;
  }
  check((body as HttpOperation | null)?.query !== undefined ? (body as HttpOperation) : (query ?? null), limits);
}

/** One operation of an HTTP request, as sent (nothing checked yet). */
export interface HttpOperation {
  query?: unknown;
  operationName?: unknown;
}

function check(op: HttpOperation | null, limits: Limits): void {
  const err = oversized(op?.query, limits);
  if (err) throw err;
  // Refused before Apollo validates it: graphql-js's rule for subscriptions, which Apollo always
  // runs, evaluates @skip/@include without the variables and throws (an internal error).
  if (isSubscription(op)) throw subscriptionOverHttp();
}

/** Whether the operation an HTTP request selects is a subscription (a document that does not parse is left to Apollo). */
function isSubscription(op: HttpOperation | null): boolean {
  const q = op?.query;
  if (typeof q !== 'string' || !q.includes('subscription')) return false;
  let operations: OperationDefinitionNode[];
  try {
    operations = parse(q, { noLocation: true }).definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  } catch {
    return false;
  }
  const name = typeof op?.operationName === 'string' && op.operationName ? op.operationName : null;
  const chosen = name ? operations.find((o) => o.name?.value === name) : operations.length === 1 ? operations[0] : undefined;
  return chosen?.operation === OperationTypeNode.SUBSCRIPTION;
}

/**
 * Subscriptions are served by graphql-ws on the same path; over HTTP, graphql-js would run
 * the subscription's resolver once as if it were a query (issue 19, finding 7: `meUpdated`
 * answered data, a stranger's `conversationEvents` an internal error with its stack logged).
 * The GraphQL over HTTP draft leaves the answer open; this one is the envelope's `bad_request`.
 */
export function subscriptionOverHttp(): AppError {
  return new AppError('bad_request', 'Subscriptions are served over WebSocket (the graphql-ws protocol on /graphql), not over HTTP');
}

/**
 * The metrics label of an operation: `query ConsoleConversations` for a named one (the first
 * distinct names a process sees; later ones are `query other`, see Metrics), `query me` or
 * `mutation createNote,deleteNote` for an anonymous one (root fields: bounded by the schema).
 */
export function operationLabel(op: OperationDefinitionNode | null | undefined, metrics: Metrics): string {
  if (!op) return 'unknown';
  if (op.name) return metrics.operationNameLabel(op.operation, op.name.value);
  const names = [...new Set(op.selectionSet.selections.flatMap((s) => (s.kind === Kind.FIELD ? [s.name.value] : [])))].sort();
  return `${op.operation} ${names.slice(0, 3).join(',')}${names.length > 3 ? ',…' : ''}`;
}

/**
 * Parsing and validation for the fast path and graphql-ws, with the same limits as Apollo
 * and a small cache: many clients send the same document, and it is checked once.
 */
export class DocumentChecker {
  private readonly cache = new Map<string, DocumentNode | readonly GraphQLError[]>();
  private readonly rules: ValidationRule[];

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly limits: Limits,
    introspection: boolean,
    private readonly capacity = 500,
  ) {
    this.rules = [...validationRules, ...documentRules(limits, introspection)];
  }

  /** The parsed document, or the errors to answer. */
  check(query: string): DocumentNode | readonly GraphQLError[] {
    const size = oversized(query, this.limits);
    if (size) return [new GraphQLError(size.message, { originalError: size })];
    const cached = this.cache.get(query);
    if (cached) return cached;
    let outcome: DocumentNode | readonly GraphQLError[];
    try {
      const doc = parse(query, { maxTokens: this.limits.maxTokens });
      const errors = validate(this.schema, doc, this.rules);
      outcome = errors.length ? errors : doc;
    } catch (e) {
      if (!(e instanceof GraphQLError)) throw e;
      outcome = [new GraphQLError(e.message, { nodes: e.nodes, source: e.source, positions: e.positions, extensions: { code: 'graphql_parse_failed' } })];
    }
    if (this.cache.size >= this.capacity) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(query, outcome);
    return outcome;
  }
}
