import { toSnake } from '../common/case.js';
import { type AppError, describeFields } from '../common/errors.js';
import { currentTraceId } from '../common/tracing.js';

export interface Envelope {
  detail: { error: string; message: string; [key: string]: unknown };
}

/**
 * The documented REST error body. Field locations are translated to the REST naming:
 * prefixed with where the value was (`body`, `query`) and snake_cased (kept camelCase on a
 * route that documents its input so). With tracing on,
 * `trace_id` names the request's trace.
 */
export function toEnvelope(err: AppError, source: 'body' | 'query' = 'body', camelCase = false): Envelope {
  const { fields, ...rest } = err.details;
  const detail: Envelope['detail'] = { error: err.code, message: err.message, ...rest };
  // Fields are named as the route documents its input: snake_case, or camelCase (the integration-token bodies).
  const named = (p: string): string => (camelCase ? p : toSnake(p));
  if (typeof rest.field === 'string') detail.field = named(rest.field);
  if (fields) {
    const restFields = fields.map((f) => ({
      // A header keeps its own name (`['header', 'Last-Event-ID']`): it is neither in the body nor the query.
      loc: f.loc[0] === 'header' ? [...f.loc] : [source, ...f.loc.map((p) => (typeof p === 'string' ? named(p) : p))],
      message: f.message,
    }));
    detail.fields = restFields;
    if (err.code === 'validation_error') detail.message = describeFields(restFields.map((f) => ({ ...f, loc: f.loc.slice(1) })));
  }
  // With tracing on, the trace the failed request belongs to (README "Tracing").
  const traceId = currentTraceId();
  if (traceId) detail.trace_id = traceId;
  return { detail };
}
