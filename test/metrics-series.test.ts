import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CountedTimings } from '../src/common/metrics.js';

const BOUNDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** prom-client's own Counter and Histogram, as the gateway used them before CountedTimings. */
function reference() {
  const registry = new Registry();
  const labelNames = ['method', 'route', 'status'] as const;
  const counter = new Counter({ name: 'x_requests_total', help: 'requests', labelNames, registers: [registry] });
  const histogram = new Histogram({ name: 'x_request_duration_seconds', help: 'time', labelNames, buckets: BOUNDS, registers: [registry] });
  return {
    registry,
    observe(method: string, route: string, status: number, seconds: number) {
      const labels = { method, route, status: String(status) };
      counter.inc(labels);
      histogram.observe(labels, seconds);
    },
  };
}

function counted() {
  const registry = new Registry();
  const timings = new CountedTimings(registry, { name: 'x_requests_total', help: 'requests' }, { name: 'x_request_duration_seconds', help: 'time' }, ['method', 'route', 'status'], BOUNDS);
  return { registry, observe: timings.observe.bind(timings) };
}

describe('CountedTimings: a request counter and latency histogram read by the registry', () => {
  it('writes exactly what prom-client’s Counter and Histogram write for the same observations', async () => {
    const a = reference();
    const b = counted();
    const routes = ['/api/auth/me', '/graphql', '/api/core/conversations/:conversation_id', 'quo"te\\back\nslash'];
    // A fixed pseudo-random sequence, bounds themselves included (a value on a bound counts in its bucket).
    let seed = 7;
    const next = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    for (let i = 0; i < 2000; i++) {
      const seconds = i % 10 === 0 ? BOUNDS[i % BOUNDS.length]! : next() ** 3 * 40;
      const args = [next() < 0.8 ? 'GET' : 'POST', routes[Math.floor(next() * routes.length)]!, next() < 0.9 ? 200 : 404, seconds] as const;
      a.observe(...args);
      b.observe(...args);
    }
    const [want, got] = await Promise.all([a.registry.metrics(), b.registry.metrics()]);
    expect(got).toContain('x_request_duration_seconds_bucket{le="0.005",method="GET",route="/api/auth/me",status="200"}');
    expect(got).toBe(want);
  });

  it('starts again from nothing when the registry is reset, and leaves out values that are not numbers', async () => {
    const b = counted();
    b.observe('GET', '/a', 200, 0.2);
    b.observe('GET', '/a', 200, Number.NaN);
    expect(await b.registry.metrics()).toContain('x_requests_total{method="GET",route="/a",status="200"} 1');
    b.registry.resetMetrics();
    b.observe('GET', '/b', 500, 0.2);
    const text = await b.registry.metrics();
    expect(text).not.toContain('route="/a"');
    expect(text).toContain('x_request_duration_seconds_count{method="GET",route="/b",status="500"} 1');
  });
});
