import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Latency buckets in seconds: sub-millisecond reads up to slow AI turns. */
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The gateway's Prometheus metrics (prom-client), one registry per app: tests build several
 * apps in one process, and nothing here is global. Label values come from the route table
 * and the schema, so their number stays bounded; the one exception, GraphQL operation names
 * (which clients choose), is capped: past the first `maxOperationNames` distinct names, an
 * operation is labelled `other`.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'xentree_http_requests_total',
    help: 'HTTP requests by method, route (the route pattern, e.g. /api/conversations/:id) and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'xentree_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: BUCKETS,
    registers: [this.registry],
  });

  readonly graphqlOperations = new Counter({
    name: 'xentree_graphql_operations_total',
    help: 'GraphQL operations by transport (http, ws), operation ("query ConsoleConversations" by operation name; "query me" by root fields when anonymous; "query other" past the cap on names) and status (ok, or the first error code)',
    labelNames: ['transport', 'operation', 'status'] as const,
    registers: [this.registry],
  });

  readonly graphqlDuration = new Histogram({
    name: 'xentree_graphql_operation_duration_seconds',
    help: 'Time to answer a GraphQL operation (a subscription: until it is set up), by transport, operation and status',
    labelNames: ['transport', 'operation', 'status'] as const,
    buckets: BUCKETS,
    registers: [this.registry],
  });

  readonly websockets = new Gauge({
    name: 'xentree_websockets_active',
    help: 'Open WebSocket connections by path',
    labelNames: ['path'] as const,
    registers: [this.registry],
  });

  readonly subscriptions = new Gauge({
    name: 'xentree_subscriptions_active',
    help: 'Running GraphQL subscriptions by field',
    labelNames: ['field'] as const,
    registers: [this.registry],
  });

  readonly providerCalls = new Counter({
    name: 'xentree_provider_calls_total',
    help: 'Calls to AI and speech providers by provider and kind (chat, embeddings, speech_to_text, text_to_speech)',
    labelNames: ['provider', 'kind'] as const,
    registers: [this.registry],
  });

  readonly providerFailures = new Counter({
    name: 'xentree_provider_failures_total',
    help: 'Provider calls that failed (after retries); a caller who left is not a failure',
    labelNames: ['provider', 'kind'] as const,
    registers: [this.registry],
  });

  readonly liveMeteredSeconds = new Counter({
    name: 'xentree_live_metered_seconds_total',
    help: 'Live seconds settled by this process (sum over processes for the total)',
    registers: [this.registry],
  });

  readonly liveSessionsEnded = new Counter({
    name: 'xentree_live_sessions_ended_total',
    help: 'Live sessions settled by this process, by end reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly rateLimited = new Counter({
    name: 'xentree_rate_limited_total',
    help: 'Requests refused by a rate limit, by limit',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });

  readonly eventsPublished = new Counter({
    name: 'xentree_events_published_total',
    help: 'Events published on the event bus by topic',
    labelNames: ['topic'] as const,
    registers: [this.registry],
  });

  readonly jobs = new Counter({
    name: 'xentree_jobs_total',
    help: 'Background jobs run, by queue (the handler, e.g. knowledge.ingest) and outcome: completed, retried (failed, tried again later), dead (attempts spent or a permanent error)',
    labelNames: ['queue', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly jobDuration = new Histogram({
    name: 'xentree_job_duration_seconds',
    help: 'Time one attempt of a background job took, by queue and outcome',
    labelNames: ['queue', 'outcome'] as const,
    buckets: BUCKETS,
    registers: [this.registry],
  });

  /** Operation names labelled so far ("query Name"); at most `maxOperationNames`. */
  private readonly operationNames = new Set<string>();

  constructor(
    readonly enabled: boolean,
    /** Distinct operation names kept as labels; later names are `other`. */
    readonly maxOperationNames = 100,
  ) {
    // Process figures (resident memory, CPU, event-loop lag, heap, handles) with their usual names.
    if (enabled) collectDefaultMetrics({ register: this.registry });
  }

  /** Records one answered HTTP request. */
  observeHttp(method: string, route: string, status: number, seconds: number): void {
    const labels = { method, route, status: String(status) };
    this.httpRequests.inc(labels);
    this.httpDuration.observe(labels, seconds);
  }

  /**
   * The label of a named operation: `query Name` for the first `maxOperationNames` distinct
   * names this process sees, then `query other`, so clients cannot grow the label set.
   */
  operationNameLabel(kind: string, name: string): string {
    const label = `${kind} ${name}`;
    if (this.operationNames.has(label)) return label;
    // Names longer than this are not worth a series of their own.
    if (name.length > 100 || this.operationNames.size >= this.maxOperationNames) return `${kind} other`;
    this.operationNames.add(label);
    return label;
  }

  /** Records one attempt of a background job. */
  observeJob(queue: string, outcome: 'completed' | 'retried' | 'dead', seconds: number): void {
    this.jobs.inc({ queue, outcome });
    this.jobDuration.observe({ queue, outcome }, seconds);
  }

  /** Queue depth when scraped: jobs by queue and state (pending, running, dead). */
  watchJobs(read: () => Promise<{ queue: string; state: string; count: number }[]>): void {
    this.gauge('xentree_jobs', 'Background jobs in the queue by queue and state: pending (waiting, or waiting to be retried), running, dead (kept with their last error)', ['queue', 'state'], async (set) => {
      for (const c of await read()) set({ queue: c.queue, state: c.state }, c.count);
    });
  }

  /** Records one GraphQL operation. */
  observeOperation(transport: 'http' | 'ws', operation: string, status: string, seconds: number): void {
    const labels = { transport, operation, status };
    this.graphqlOperations.inc(labels);
    this.graphqlDuration.observe(labels, seconds);
  }

  /**
   * A gauge read when scraped (`collect` may query, e.g. the database): a failing reader
   * leaves the gauge unset rather than failing the scrape.
   */
  gauge<L extends string>(name: string, help: string, labelNames: readonly L[], read: (set: (labels: Partial<Record<L, string>>, value: number) => void) => Promise<void> | void): void {
    const g: Gauge<L> = new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        g.reset();
        try {
          await read((labels, value) => g.set(labels as never, value));
        } catch {
          // Unreadable now (e.g. the database is down): the scrape goes on without it.
        }
      },
    });
  }

  /** The text exposition format. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
