import { context, trace, type Span } from '@opentelemetry/api';
import { isObjectType, Kind, type GraphQLFieldResolver, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { gatewayTracer, inSpan, recordingSpan, spanFailed, tracingOn } from '../common/tracing.js';

/**
 * GraphQL under tracing: the operation as a span (whichever executor runs it: graphql-jit on
 * the fast path, Apollo otherwise), and a span for each resolver that does I/O. Both are made
 * here rather than by patching graphql-js, since the fast path does not run graphql-js's
 * `execute`. Nothing here runs while tracing is off.
 */

/** Runs one GraphQL request over HTTP as the span `graphql` (renamed once its operation is known). */
export function graphqlSpan<T>(fn: () => Promise<T>): Promise<T> {
  return inSpan('graphql', {}, fn);
}

/** Names the current GraphQL span after its operation (`query me`, `mutation chat`), as the semantic conventions do. */
export function nameOperation(op: OperationDefinitionNode | null | undefined): void {
  const span = recordingSpan();
  if (!span || !op) return;
  const name = op.name?.value;
  const roots = op.selectionSet.selections.flatMap((s) => (s.kind === Kind.FIELD ? [s.name.value] : [])).join(',');
  span.updateName(`${op.operation} ${name ?? roots}`);
  span.setAttributes({ 'graphql.operation.type': op.operation, ...(name ? { 'graphql.operation.name': name } : {}) });
}

const isPromise = (x: unknown): x is Promise<unknown> => typeof (x as { then?: unknown } | null)?.then === 'function';

/**
 * Wraps every field resolver of `schema` (in place) so that, inside a recorded trace, a
 * resolver that answers with a promise (one that does I/O) is a span `resolve Type.field` with
 * the statements and calls it makes as children. A resolver that answers at once leaves no
 * span (its span is dropped unended, so never exported). Off: the schema is left as it is.
 */
export function traceResolvers(schema: GraphQLSchema): void {
  const tracer = gatewayTracer();
  if (!tracingOn() || !tracer) return;
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const resolve = field.resolve;
      if (!resolve) continue;
      const name = `resolve ${type.name}.${field.name}`;
      const attributes = { 'graphql.field.name': field.name, 'graphql.field.type': String(field.type), 'graphql.parent.type': type.name };
      const traced: GraphQLFieldResolver<unknown, unknown> = function (this: unknown, source, args, ctx, info) {
        const parent = context.active();
        if (!trace.getSpan(parent)?.isRecording()) return resolve.call(this, source, args, ctx, info);
        const span: Span = tracer.startSpan(name, { attributes }, parent);
        let result: unknown;
        try {
          result = context.with(trace.setSpan(parent, span), () => resolve.call(this, source, args, ctx, info));
        } catch (e) {
          spanFailed(span, e);
          span.end();
          throw e;
        }
        if (!isPromise(result)) return result;
        return result.then(
          (value) => {
            span.end();
            return value;
          },
          (e: unknown) => {
            spanFailed(span, e);
            span.end();
            throw e;
          },
        );
      };
      field.resolve = traced;
    }
  }
}
