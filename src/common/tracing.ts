import { context, isSpanContextValid, SpanKind, SpanStatusCode, trace, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import { VERSION } from '../version.js';

/**
 * What the gateway's own code uses of OpenTelemetry: the API only (`@opentelemetry/api`, a
 * few kilobytes with no-op defaults), never the SDK, which src/tracing.ts loads when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set. Tracing is a property of the process (one tracer
 * provider, one context manager, patched `http`): src/main.ts starts it before the app is
 * loaded, and turns the hooks below on. While it is off, every helper here returns at its
 * first line: no span objects, no context switches, no extra log fields.
 */
let on = false;
let tracer: Tracer | null = null;

/** Called once by src/tracing.ts, after its tracer provider is registered. */
export function tracingStarted(): void {
  on = true;
  tracer = trace.getTracer('xentree-gateway', VERSION);
}

/** Whether this process traces (OTEL_EXPORTER_OTLP_ENDPOINT set). */
export const tracingOn = (): boolean => on;

/** The trace id of the work in progress (32 hex digits), or undefined when tracing is off or nothing is traced here. */
export function currentTraceId(): string | undefined {
  if (!on) return undefined;
  const sc = trace.getActiveSpan()?.spanContext();
  return sc && isSpanContextValid(sc) ? sc.traceId : undefined;
}

/** Log fields of the work in progress (pino's `mixin`): the trace and span ids, as OpenTelemetry's log conventions name them. */
export function traceLogFields(): Record<string, string> {
  const sc = on ? trace.getActiveSpan()?.spanContext() : undefined;
  return sc && isSpanContextValid(sc) ? { trace_id: sc.traceId, span_id: sc.spanId } : {};
}

/** The span of the work in progress when it is recorded (sampled), else undefined. */
export function recordingSpan(): Span | undefined {
  if (!on) return undefined;
  const span = trace.getActiveSpan();
  return span?.isRecording() ? span : undefined;
}

/** Marks `span` failed with `error`, and ends nothing. */
export function spanFailed(span: Span, error: unknown): void {
  if (error instanceof Error) span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : String(error) });
}

/**
 * Runs `fn` as the span `name` (a child of the current one), which ends when `fn` settles.
 * Off, or inside a trace that is not sampled: `fn` runs alone, with no span.
 */
export async function inSpan<T>(name: string, attributes: Attributes, fn: (span: Span | undefined) => Promise<T>, kind: SpanKind = SpanKind.INTERNAL): Promise<T> {
  if (!on || !tracer) return fn(undefined);
  const parent = context.active();
  if (!trace.getSpan(parent)?.isRecording()) return fn(undefined);
  const span = tracer.startSpan(name, { kind, attributes }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), fn, undefined, span);
  } catch (e) {
    spanFailed(span, e);
    throw e;
  } finally {
    span.end();
  }
}

/**
 * A span for work that has already happened (a database statement that MikroORM reports once
 * done): it started `tookMs` ago and ends now, as a child of the current span. Only inside a
 * recorded trace.
 */
export function pastSpan(name: string, tookMs: number, attributes: Attributes, kind: SpanKind, error?: boolean): void {
  if (!on || !tracer) return;
  const parent = context.active();
  if (!trace.getSpan(parent)?.isRecording()) return;
  const end = Date.now();
  const span = tracer.startSpan(name, { kind, attributes, startTime: end - tookMs }, parent);
  if (error) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end(end);
}

/** The tracer, for code that needs a span of its own shape (GraphQL's resolvers). Null while tracing is off. */
export const gatewayTracer = (): Tracer | null => tracer;
