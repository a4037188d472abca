import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, isSpanContextValid, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { VERSION } from '../version.js';
import { safeUrl } from './log-safety.js';

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
export function inSpan<T>(name: string, attributes: Attributes, fn: (span: Span | undefined) => Promise<T>, kind: SpanKind = SpanKind.INTERNAL): Promise<T> {
  // Outside a recorded trace `fn`'s own promise is answered, with no layer of promises around it
  // (every request of an unsampled trace passes here, REST's and GraphQL's).
  if (!on || !tracer) return fn(undefined);
  const parent = context.active();
  if (!trace.getSpan(parent)?.isRecording()) return fn(undefined);
  return recordedSpan(tracer, parent, name, attributes, fn, kind);
}

async function recordedSpan<T>(tracer: Tracer, parent: Context, name: string, attributes: Attributes, fn: (span: Span | undefined) => Promise<T>, kind: SpanKind): Promise<T> {
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

/** Probes and scrapes: not requests anyone wants a trace of. */
const UNTRACED = /^\/(?:healthz|readyz|metrics)(?:\?|$)/;
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', 'QUERY']);

/**
 * The HTTP server span of every request (but probes), made where Node hands the request to
 * Fastify: `handler` runs inside it. The sampling decision comes first, from the caller's
 * `traceparent`: a request that is not sampled costs one span context, with its trace
 * id (the caller's or a new one) passed on to providers with the sampled flag off, and
 * nothing else (no attributes worked out, no listeners, no export). A sampled one gets the
 * stable HTTP server attributes and ends when its response closes. Off: `handler` itself.
 * What follows a request body stays in the trace although Node emits the body's events from
 * the socket: Fastify reads bodies inside an AsyncResource of the request.
 */
export function traceIncoming<Req extends IncomingMessage, Res extends ServerResponse>(handler: (req: Req, res: Res) => void): (req: Req, res: Res) => void {
  if (!on || !tracer) return handler;
  const t = tracer;
  return (req, res) => {
    const url = req.url ?? '/';
    if (UNTRACED.test(url)) return handler(req, res);
    const q = url.indexOf('?');
    const raw = req.method ?? 'GET';
    const method = METHODS.has(raw) ? raw : '_OTHER';
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    // (No attributes for the sampler: the samplers OTEL_TRACES_SAMPLER names read none, and
    // the SDK would copy them for every request, sampled or not.)
    const span = t.startSpan(method === '_OTHER' ? 'HTTP' : method, { kind: SpanKind.SERVER }, parent);
    const ctx = trace.setSpan(parent, span);
    if (span.isRecording()) {
      const host = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(req.headers.host ?? '');
      const safe = q < 0 ? '' : safeUrl(url);
      const sq = safe.indexOf('?');
      span.setAttributes({
        'http.request.method': method,
        'url.scheme': 'http',
        'url.path': q < 0 ? url : url.slice(0, q),
        'network.protocol.version': req.httpVersion,
        'network.peer.address': req.socket.remoteAddress,
        'network.peer.port': req.socket.remotePort,
        ...(method !== raw ? { 'http.request.method_original': raw } : {}),
        ...(host?.[1] ? { 'server.address': host[1] } : {}),
        ...(host?.[2] ? { 'server.port': Number(host[2]) } : {}),
        ...(req.headers['user-agent'] ? { 'user_agent.original': req.headers['user-agent'] } : {}),
        // Credentials in query strings (the live socket's ?token=, OAuth callbacks' code and state)
        // and GraphQL GET documents stay out of spans as they stay out of the logs.
        ...(sq >= 0 ? { 'url.query': safe.slice(sq + 1) } : {}),
      });
      res.once('close', () => {
        if (res.writableFinished) {
          span.setAttribute('http.response.status_code', res.statusCode);
          if (res.statusCode >= 500) span.setAttribute('error.type', String(res.statusCode)).setStatus({ code: SpanStatusCode.ERROR });
        } else {
          // The connection closed before the response was sent whole.
          span.setAttribute('error.type', 'aborted').setStatus({ code: SpanStatusCode.ERROR });
        }
        span.end();
      });
    }
    context.with(ctx, handler, undefined, req, res);
  };
}
