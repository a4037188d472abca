import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type Metric, type MetricValue } from 'prom-client';
import { ThreadCpuTotals } from './threads.js';

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

  /** Requests answered, by method, route (the route pattern) and status: a counter and a latency histogram. */
  private readonly http = new CountedTimings(
    this.registry,
    { name: 'xentree_http_requests_total', help: 'HTTP requests by method, route (the route pattern, e.g. /api/conversations/:id) and status' },
    { name: 'xentree_http_request_duration_seconds', help: 'Time to answer an HTTP request, by method, route and status' },
    ['method', 'route', 'status'],
  );

  /** GraphQL operations, by transport, operation and status: a counter and a latency histogram. */
  private readonly operations = new CountedTimings(
    this.registry,
    {
      name: 'xentree_graphql_operations_total',
      help: 'GraphQL operations by transport (http, ws), operation ("query ConsoleConversations" by operation name; "query me" by root fields when anonymous; "query other" past the cap on names) and status (ok, or the first error code)',
    },
    {
      name: 'xentree_graphql_operation_duration_seconds',
      help: 'Time to answer a GraphQL operation (a subscription: until it is set up), by transport, operation and status',
    },
    ['transport', 'operation', 'status'],
  );

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
    this.http.observe(method, route, status, seconds);
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

  /**
   * CPU time by thread role (`xentree_thread_cpu_seconds_total{thread}`: serving, reading,
   * writing, passwords, grammar, v8, libuv, other; src/common/threads.ts): beside the process's own total,
   * where its CPU goes. The threads are read every `everyMs` as well as when scraped, so a thread
   * that lives between two scrapes (a reading thread ends after a second idle) is counted up to
   * its last second. Linux only (from /proc); elsewhere the series is absent. Answers the function
   * that stops the readings.
   */
  watchThreads(totals: ThreadCpuTotals = new ThreadCpuTotals(), everyMs = 1000): () => void {
    const timer = setInterval(() => totals.sample(), everyMs);
    timer.unref();
    const c: Counter<'thread'> = new Counter({
      name: 'xentree_thread_cpu_seconds_total',
      help: 'CPU time of this process by thread role: serving (the event loop), reading and writing (documents), passwords (hashing), grammar (XEL essays), v8 (garbage collection, compiling), libuv (file system), other',
      labelNames: ['thread'] as const,
      registers: [this.registry],
      collect() {
        c.reset();
        for (const [thread, seconds] of totals.sample()) c.inc({ thread }, seconds);
      },
    });
    return () => clearInterval(timer);
  }

  /** Records one attempt of a background job. */
  observeJob(queue: string, outcome: 'completed' | 'retried' | 'dead', seconds: number): void {
    this.jobs.inc({ queue, outcome });
    this.jobDuration.observe({ queue, outcome }, seconds);
  }

  /**
   * Queue depth when scraped: jobs by queue and state (pending, running, dead), every pair `read`
   * answers (0 included, so a series reads 0 rather than vanishing). Not `xentree_jobs`: that is
   * the OpenMetrics family of the counter `xentree_jobs_total`.
   */
  watchJobs(read: () => Promise<{ queue: string; state: string; count: number }[]>): void {
    this.gauge('xentree_job_queue_depth', 'Background jobs in the queue by queue and state: pending (waiting, waiting to be retried, or held by a process whose lease lapsed; a recurring job waiting for its next period is not counted), running, dead (kept with their last error)', ['queue', 'state'], async (set) => {
      for (const c of await read()) set({ queue: c.queue, state: c.state }, c.count);
    });
  }

  /** Records one GraphQL operation. */
  observeOperation(transport: 'http' | 'ws', operation: string, status: string, seconds: number): void {
    this.operations.observe(transport, operation, status, seconds);
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

interface Series {
  readonly labels: Record<string, string>;
  /** Observations per bucket, not cumulative: one slot per bound, and the last for +Inf only. */
  readonly buckets: Float64Array;
  sum: number;
  count: number;
}

/**
 * A counter and a latency histogram over the same three labels, as every request and GraphQL
 * operation records them: both are read from one series per label values, in the registry's
 * text as prom-client's own Counter and Histogram would write them. prom-client checks and
 * hashes the labels on every `inc` and `observe` (and keys buckets by their bound as a
 * string): a profile of an in-memory query showed the two pairs at about 5 µs a request. Here
 * a request walks three maps keyed by the label values themselves (constant strings, the
 * status a number) and adds to a typed array; the label objects and cumulative buckets are
 * made when scraped.
 */
export class CountedTimings {
  private readonly series = new Map<string, Map<string, Map<string | number, Series>>>();
  /** The same series in the order they first appeared, as the registry's text lists them. */
  private readonly listed: Series[] = [];

  constructor(
    registry: Registry,
    counter: { name: string; help: string },
    private readonly histogram: { name: string; help: string },
    private readonly labelNames: readonly [string, string, string],
    private readonly bounds: readonly number[] = BUCKETS,
  ) {
    // The registry reads a metric through get() (and reset() when asked); prom-client's own
    // metric classes are the only ones its types name.
    registry.registerMetric(this.metric('counter', counter, () => this.counterValues()) as unknown as Metric);
    registry.registerMetric(this.metric('histogram', histogram, () => this.histogramValues()) as unknown as Metric);
  }

  observe(a: string, b: string, c: string | number, seconds: number): void {
    // (prom-client throws on these; a request's metrics are not worth failing it.)
    if (!Number.isFinite(seconds)) return;
    let byB = this.series.get(a);
    if (!byB) this.series.set(a, (byB = new Map<string, Map<string | number, Series>>()));
    let byC = byB.get(b);
    if (!byC) byB.set(b, (byC = new Map<string | number, Series>()));
    let s = byC.get(c);
    if (!s) {
      const [na, nb, nc] = this.labelNames;
      s = { labels: { [na]: a, [nb]: b, [nc]: String(c) }, buckets: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 };
      byC.set(c, s);
      this.listed.push(s);
    }
    let i = 0;
    while (i < this.bounds.length && seconds > this.bounds[i]!) i++;
    s.buckets[i]! += 1;
    s.sum += seconds;
    s.count += 1;
  }

  private counterValues(): MetricValue<string>[] {
    return this.listed.map((s) => ({ labels: s.labels, value: s.count }));
  }

  private histogramValues(): MetricValue<string>[] {
    const values: (MetricValue<string> & { metricName: string })[] = [];
    const { name } = this.histogram;
    for (const s of this.listed) {
      let cumulative = 0;
      this.bounds.forEach((le, i) => {
        cumulative += s.buckets[i]!;
        values.push({ metricName: `${name}_bucket`, labels: { le, ...s.labels }, value: cumulative });
      });
      values.push({ metricName: `${name}_bucket`, labels: { le: '+Inf', ...s.labels }, value: s.count });
      values.push({ metricName: `${name}_sum`, labels: s.labels, value: s.sum });
      values.push({ metricName: `${name}_count`, labels: s.labels, value: s.count });
    }
    return values;
  }

  private metric(type: 'counter' | 'histogram', about: { name: string; help: string }, values: () => MetricValue<string>[]) {
    return {
      ...about,
      type,
      aggregator: 'sum' as const,
      get: async () => ({ ...about, type, aggregator: 'sum', values: values() }),
      reset: () => {
        this.series.clear();
        this.listed.length = 0;
      },
    };
  }
}
