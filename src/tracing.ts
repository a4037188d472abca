import { randomBytes } from 'node:crypto';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOffSampler, AlwaysOnSampler, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler, TracerProvider, type IdGenerator, type Sampler } from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { tracingStarted } from './common/tracing.js';
import type { Config } from './config.js';
import { VERSION } from './version.js';

/**
 * The OpenTelemetry SDK, loaded only when OTEL_EXPORTER_OTLP_ENDPOINT is set: src/main.ts
 * imports this module dynamically, and starts it before it loads the app, so that `http` is
 * patched before Fastify creates its server. What is traced:
 *
 * - every HTTP request, as a server span made where Node hands it to Fastify (traceIncoming in
 *   src/common/tracing.ts), continuing the caller's trace when it sends `traceparent`, the
 *   sampling decided before anything else is worked out; Fastify's route names it (src/app.ts);
 * - the GraphQL operation and the REST operation inside it, and each resolver that does I/O
 *   (src/graphql/tracing.ts, src/rest/router.ts), whichever executor runs them;
 * - every database statement (src/db/tracing.ts, from MikroORM's statement log, both drivers);
 * - every outgoing call made with `fetch` (AI providers, speech, embeddings, Google), as a
 *   client span whose context travels in the `traceparent` header
 *   (`@opentelemetry/instrumentation-undici`), and every outgoing `node:http` call (S3,
 *   `@opentelemetry/instrumentation-http`, with its incoming side off).
 *
 * Spans are batched and sent as OTLP/HTTP JSON to <endpoint>/v1/traces. The gateway's
 * sources are ES modules, but what is patched (`node:http`) is a built-in module and `fetch`
 * is observed through diagnostics channels, so no loader hook (`--import`, `module.register`)
 * is needed: starting this before the app is imported is enough.
 */
export interface Tracing {
  /** Sends what is batched and stops. */
  shutdown(): Promise<void>;
}

/** OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG as the specification defines them. */
export function samplerOf(config: Config['tracing']): Sampler {
  const ratio = new TraceIdRatioBasedSampler(config.samplerArg);
  switch (config.sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio;
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio });
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);

/**
 * Trace and span ids cut from a pool of random bytes (node:crypto's CSPRNG), hex-encoded 4 KB
 * at a time. Every request gets a trace id, sampled or not (it travels to providers in
 * `traceparent`): the SDK's own generator writes Math.random() into a buffer and hex-encodes
 * it in a native call per id, which a profile showed at 1.3 µs a request. An all-zero id is
 * invalid (W3C Trace Context) and is never handed out.
 */
export class PooledIdGenerator implements IdGenerator {
  private hex = '';
  private at = 0;

  constructor(
    private readonly random: (bytes: number) => Buffer = randomBytes,
    private readonly poolBytes = 4096,
  ) {}

  generateTraceId(): string {
    let id = this.take(32);
    while (id === ZERO_TRACE_ID) id = this.take(32);
    return id;
  }

  generateSpanId(): string {
    let id = this.take(16);
    while (id === ZERO_SPAN_ID) id = this.take(16);
    return id;
  }

  private take(chars: number): string {
    if (this.at + chars > this.hex.length) {
      this.hex = this.random(this.poolBytes).toString('hex');
      this.at = 0;
    }
    return this.hex.slice(this.at, (this.at += chars));
  }
}

/** Registers the tracer provider, the context manager, the W3C propagators and the instrumentations. */
export function startTracing(config: Config['tracing']): Tracing {
  if (!config.endpoint) throw new Error('tracing needs OTEL_EXPORTER_OTLP_ENDPOINT');
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.serviceName, [ATTR_SERVICE_VERSION]: VERSION }),
    sampler: samplerOf(config),
    idGenerator: new PooledIdGenerator(),
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${config.endpoint}/v1/traces` }) })],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
  trace.setGlobalTracerProvider(provider);
  const unregister = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      // Outgoing `node:http` calls only (the S3 client's): incoming requests get their server span
      // from src/common/tracing.ts (traceIncoming), which decides sampling before any other work.
      new HttpInstrumentation({ disableIncomingRequestInstrumentation: true, requireParentforOutgoingSpans: true }),
      new UndiciInstrumentation({ requireParentforSpans: true }),
    ],
  });
  tracingStarted();
  return {
    async shutdown() {
      unregister();
      await provider.shutdown();
    },
  };
}
