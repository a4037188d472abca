import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import {
  GraphQLError,
  Kind,
  NoSchemaIntrospectionCustomRule,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { AppError } from '../common/errors.js';
import type { Config } from '../config.js';

type Limits = Config['graphql']['limits'];

/**
 * A rejection as a validation error of the document (GRAPHQL_VALIDATION_FAILED), rather
 * than an exception out of the validator.
 */
const report = [(ctx: ValidationContext | null, err: GraphQLError) => ctx?.reportError(new GraphQLError(err.message.replace(/^Syntax Error: /, '')))];

/**
 * The document limits (GraphQL Armor's rules): depth, aliases, cost and directives. The
 * same rules run on HTTP (Apollo) and graphql-ws; introspection is refused by a rule too
 * when it is configured off. Token count is the parser's own `maxTokens`.
 */
export function documentRules(limits: Limits, introspection: boolean): ValidationRule[] {
  const common = { exposeLimits: true, onReject: report, propagateOnRejection: false };
  return [
    maxDepthRule({ ...common, n: limits.maxDepth, ignoreIntrospection: true }),
    maxAliasesRule({ ...common, n: limits.maxAliases }),
    costLimitRule({ ...common, maxCost: limits.maxCost, ignoreIntrospection: true }),
    maxDirectivesRule({ ...common, n: limits.maxDirectives }),
    ...(introspection ? [] : [NoSchemaIntrospectionCustomRule]),
  ] as ValidationRule[];
}

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
export function checkHttpRequest(body: unknown, query: unknown, limits: Limits): void {
  if (Array.isArray(body)) {
    if (limits.maxBatch === 0) throw new AppError('bad_request', 'Batched operations are not accepted; send one operation per request');
    if (body.length > limits.maxBatch) throw new AppError('bad_request', `At most ${limits.maxBatch} operations in one request; this one has ${body.length}`, { max_batch: limits.maxBatch });
    for (const op of body) {
      const err = oversized((op as { query?: unknown } | null)?.query, limits);
      if (err) throw err;
    }
    return;
  }
  const err = oversized((body as { query?: unknown } | null)?.query ?? query, limits);
  if (err) throw err;
}

/** "query me", "mutation login", "subscription chatStream": bounded by the schema, for metrics labels. */
export function operationLabel(op: OperationDefinitionNode | null | undefined): string {
  if (!op) return 'unknown';
  const names = [...new Set(op.selectionSet.selections.flatMap((s) => (s.kind === Kind.FIELD ? [s.name.value] : [])))].sort();
  return `${op.operation} ${names.slice(0, 3).join(',')}${names.length > 3 ? ',…' : ''}`;
}

/**
 * Parsing and validation for graphql-ws, with the same limits as HTTP and a small cache:
 * many clients subscribe with the same document, and it is checked once.
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
    this.rules = [...specifiedRules, ...documentRules(limits, introspection)];
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
      outcome = [new GraphQLError(e.message, { nodes: e.nodes, source: e.source, positions: e.positions, extensions: { code: 'GRAPHQL_PARSE_FAILED' } })];
    }
    if (this.cache.size >= this.capacity) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(query, outcome);
    return outcome;
  }
}
