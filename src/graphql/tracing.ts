import { context, trace, type Span } from '@opentelemetry/api';
import { isObjectType, Kind, type GraphQLFieldResolver, type GraphQLObjectType, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { getMetadataStorage } from 'type-graphql';
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
  const plain = plainPropertyFields();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    const reads = plain(type);
    for (const field of Object.values(type.getFields())) {
      const resolve = field.resolve;
      if (!resolve || (reads.has(field.name) && field.extensions[WORKED_OUT_WHEN_READ] !== true)) continue;
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

/**
 * A field extension: the property behind this field is a getter of the object its parent
 * resolver made, which starts I/O when read (a connection's `totalCount`, counted only when
 * selected). Such a field keeps its span, where the statement it runs belongs.
 */
export const WORKED_OUT_WHEN_READ = 'workedOutWhenRead';

/**
 * The fields of each object type that only read a plain property of their object: declared with
 * `@Field` on a property (no resolver method anywhere in the class's chain or its interfaces, no
 * middleware or roles, named as the property) and no getter behind the name. type-graphql still
 * gives each a resolver, which returns the property at once; wrapping them only cost every field
 * of every object a context lookup, and every sampled one a span started then dropped. Whatever
 * such a property holds was made by the resolver of its parent, inside that one's span (but for a
 * getter that does I/O, marked WORKED_OUT_WHEN_READ). Anything the metadata does not vouch for
 * stays wrapped.
 */
function plainPropertyFields(): (type: GraphQLObjectType) => ReadonlySet<string> {
  const storage = getMetadataStorage();
  // (Classes as type-graphql's metadata holds them: its targets are typed `Function`.)
  const classOf = new Map<string, unknown>([...storage.objectTypes, ...storage.interfaceTypes].map((m) => [m.name, m.target]));
  const chain = (c: unknown): unknown[] => {
    const out: unknown[] = [];
    for (let k = c; typeof k === 'function' && k !== Function.prototype; k = Object.getPrototypeOf(k)) out.push(k);
    return out;
  };
  return (type) => {
    const own = classOf.get(type.name);
    if (!own) return new Set();
    const classes = new Set<unknown>([...chain(own), ...type.getInterfaces().flatMap((i) => chain(classOf.get(i.name)))]);
    const resolved = new Set<string>();
    for (const r of storage.fieldResolvers) {
      const target = r.kind === 'internal' ? r.target : (r.getObjectType?.() ?? r.resolverClassMetadata?.getObjectType());
      // A field resolver whose object type cannot be told is counted against every type.
      if (typeof target !== 'function' || classes.has(target)) resolved.add(r.schemaName);
    }
    const plain = new Set<string>();
    for (const f of storage.fields) {
      if (!classes.has(f.target) || f.name !== f.schemaName || resolved.has(f.schemaName) || f.middlewares?.length || f.roles?.length || f.params?.length) continue;
      const getter = [...classes].some((c) => {
        const d = Object.getOwnPropertyDescriptor((c as { prototype?: object }).prototype ?? {}, f.name);
        return d !== undefined && (d.get !== undefined || typeof d.value === 'function');
      });
      if (!getter) plain.add(f.schemaName);
    }
    return plain;
  };
}
