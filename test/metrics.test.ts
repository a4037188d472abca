import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MeUpdatedDocument } from './generated/graphql.js';
import { signUp } from './helpers/factories.js';
import { subscribe, wsClient } from './helpers/graphql.js';
import { restClient, type RestClient } from './helpers/http.js';
import { metric } from './helpers/process.js';
import { startServer, type TestServer } from './helpers/server.js';
import { ManualClock } from './helpers/clock.js';
import { eventually } from './helpers/wait.js';

let server: TestServer;
/** Live sessions are metered by it: the test moves it a second on instead of sleeping one. */
const clock = new ManualClock();
let api: RestClient;

beforeAll(async () => {
  server = await startServer({ LIVE_MIN_START_SECONDS: '1' }, { clock });
  api = restClient(server.url);
});
afterAll(() => server.close());

const scrape = async (s: TestServer = server, headers: Record<string, string> = {}) => {
  const r = await fetch(`${s.url}/metrics`, { headers });
  return { status: r.status, type: r.headers.get('content-type') ?? '', text: await r.text() };
};

describe('/metrics', () => {
  it('is Prometheus text: requests by route and status, GraphQL operations by name and outcome, with latency histograms', async () => {
    const u = await signUp(api);
    const before = (await scrape()).text;
    await api.get('/api/auth/me', { token: u.accessToken });
    await api.get('/api/auth/me', { token: u.accessToken });
    await api.get('/api/auth/me');
    await api.get('/api/core/conversations/not-an-id', { token: u.accessToken });
    await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${u.accessToken}` }, body: JSON.stringify({ query: '{ me { id } }' }) });
    await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ me { id } }' }) });

    const m = await scrape();
    expect(m.status).toBe(200);
    expect(m.type).toContain('text/plain');
    const delta = (name: string, labels: Record<string, string>) => metric(m.text, name, labels) - metric(before, name, labels);
    expect(delta('xentree_http_requests_total', { method: 'GET', route: '/api/auth/me', status: '200' })).toBe(2);
    expect(delta('xentree_http_requests_total', { method: 'GET', route: '/api/auth/me', status: '401' })).toBe(1);
    expect(delta('xentree_http_requests_total', { method: 'GET', route: '/api/core/conversations/:conversation_id', status: '404' })).toBe(1);
    expect(delta('xentree_http_request_duration_seconds_count', { method: 'GET', route: '/api/auth/me', status: '200' })).toBe(2);
    expect(m.text).toMatch(/xentree_http_request_duration_seconds_bucket\{le="0\.005",method="GET",route="\/api\/auth\/me",status="200"\} \d+/);
    expect(delta('xentree_graphql_operations_total', { transport: 'http', operation: 'query me', status: 'ok' })).toBe(1);
    expect(delta('xentree_graphql_operations_total', { transport: 'http', operation: 'query me', status: 'not_authenticated' })).toBe(1);
    expect(delta('xentree_graphql_operation_duration_seconds_count', { transport: 'http', operation: 'query me', status: 'ok' })).toBe(1);
    // The process and the database pool.
    expect(metric(m.text, 'process_resident_memory_bytes')).toBeGreaterThan(10_000_000);
    expect(metric(m.text, 'xentree_db_pool_connections', { state: 'max' })).toBeGreaterThan(0);
  });

  it('says where the process\'s CPU goes, by thread role: the event loop, the hashing threads', async () => {
    if (process.platform !== 'linux') return;
    const before = (await scrape()).text;
    // A registration hashes a password on a hashing thread; the requests run on the serving thread.
    const u = await signUp(api);
    await api.get('/api/auth/me', { token: u.accessToken });
    const after = (await scrape()).text;
    const seconds = (text: string, thread: string) => metric(text, 'xentree_thread_cpu_seconds_total', { thread });
    expect(seconds(after, 'serving')).toBeGreaterThan(seconds(before, 'serving'));
    expect(seconds(after, 'passwords')).toBeGreaterThan(0);
    // Every role's total only grows.
    for (const thread of ['serving', 'passwords', 'v8', 'libuv', 'other']) expect(seconds(after, thread), thread).toBeGreaterThanOrEqual(seconds(before, thread) || 0);
  });

  it('labels named operations by name, up to a cap past which they are "other"; anonymous ones by their root fields', async () => {
    const capped = await startServer({ METRICS_MAX_OPERATION_NAMES: '2' });
    try {
      const u = await signUp(restClient(capped.url));
      const run = (query: string, token?: string) =>
        fetch(`${capped.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify({ query }) });
      const get = (query: string) => fetch(`${capped.url}/graphql?${new URLSearchParams({ query }).toString()}`, { headers: { authorization: `Bearer ${u.accessToken}`, 'apollo-require-preflight': 'true' } });
      await run('query First { me { id } }', u.accessToken);
      await get('query First { me { id } }');
      await run('query Second { me { id } }', u.accessToken);
      for (const name of ['Third', 'Fourth', 'Fifth']) await run(`query ${name} { me { id } }`, u.accessToken);
      await run('query First { me { id } }');
      await run('{ me { username } }', u.accessToken);
      const text = (await scrape(capped)).text;
      const count = (operation: string, status = 'ok') => metric(text, 'xentree_graphql_operations_total', { transport: 'http', operation, status });
      expect(count('query First')).toBe(2);
      expect(count('query First', 'not_authenticated')).toBe(1);
      expect(count('query Second')).toBe(1);
      expect(count('query other')).toBe(3);
      expect(count('query Third')).toBe(0);
      expect(count('query me')).toBe(1);
      expect(text).not.toContain('Fourth');
    } finally {
      await capped.close();
    }
  });

  it('counts open WebSockets and running subscriptions', async () => {
    const u = await signUp(api);
    const base = await scrape();
    const sockets = () => metric(base.text, 'xentree_websockets_active', { path: '/graphql' });
    const { client } = wsClient(server.wsUrl, { Authorization: `Bearer ${u.accessToken}` });
    const sub = subscribe(client, MeUpdatedDocument);
    const during = await eventually(async () => {
      const text = (await scrape()).text;
      return metric(text, 'xentree_subscriptions_active', { field: 'meUpdated' }) > metric(base.text, 'xentree_subscriptions_active', { field: 'meUpdated' }) && text;
    });
    expect(metric(during, 'xentree_websockets_active', { path: '/graphql' })).toBe(sockets() + 1);
    expect(metric(during, 'xentree_subscriptions_active', { field: 'meUpdated' })).toBe(metric(base.text, 'xentree_subscriptions_active', { field: 'meUpdated' }) + 1);
    expect(metric(during, 'xentree_graphql_operations_total', { transport: 'ws', operation: 'subscription MeUpdated', status: 'ok' })).toBeGreaterThanOrEqual(1);

    sub.unsubscribe();
    await client.dispose();
    const after = await eventually(async () => {
      const text = (await scrape()).text;
      return metric(text, 'xentree_websockets_active', { path: '/graphql' }) === sockets() && text;
    });
    expect(metric(after, 'xentree_websockets_active', { path: '/graphql' })).toBe(sockets());
    expect(metric(after, 'xentree_subscriptions_active', { field: 'meUpdated' })).toBe(metric(base.text, 'xentree_subscriptions_active', { field: 'meUpdated' }));
  });

  it('counts provider calls, active live sessions and metered seconds', async () => {
    const u = await signUp(api);
    const before = (await scrape()).text;
    expect((await api.post('/api/core/chat', { message: 'Hello' }, { token: u.accessToken })).status).toBe(200);
    const started = await api.post('/api/live/session/start', { session_type: 'voice' }, { token: u.accessToken });
    const during = (await scrape()).text;
    expect(metric(during, 'xentree_provider_calls_total', { provider: 'local', kind: 'chat' }) - metric(before, 'xentree_provider_calls_total', { provider: 'local', kind: 'chat' })).toBe(1);
    expect(metric(during, 'xentree_provider_failures_total', { provider: 'local', kind: 'chat' })).toBe(0);
    expect(metric(during, 'xentree_live_sessions_active')).toBe(1);

    clock.advance(1100);
    const ended = await api.post('/api/live/session/end', { session_id: started.body.session_id }, { token: u.accessToken });
    const after = (await scrape()).text;
    expect(ended.body.used_seconds).toBe(1);
    expect(metric(after, 'xentree_live_sessions_active')).toBe(0);
    expect(metric(after, 'xentree_live_metered_seconds_total') - metric(before, 'xentree_live_metered_seconds_total')).toBe(ended.body.used_seconds);
    expect(metric(after, 'xentree_live_sessions_ended_total', { reason: 'client' }) - metric(before, 'xentree_live_sessions_ended_total', { reason: 'client' })).toBe(1);
  });

  it('shows every job queue in every state, 0 when empty, under a gauge whose name is not the job counter\'s family', async () => {
    const text = (await scrape()).text;
    // A queue with no job reads 0 rather than vanishing from the scrape.
    for (const state of ['pending', 'running', 'dead']) expect(text).toMatch(new RegExp(`^xentree_job_queue_depth\\{queue="knowledge\\.remove-file",state="${state}"\\} 0$`, 'm'));
    expect(text).toMatch(/^# TYPE xentree_job_queue_depth gauge$/m);
    // In OpenMetrics, `xentree_jobs` is the family of the counter xentree_jobs_total.
    expect(text).not.toMatch(/^# TYPE xentree_jobs gauge$/m);
  });

  it('asks for the token when one is configured, and is absent when turned off', async () => {
    const token = 'a-metrics-token-of-some-length';
    const guarded = await startServer({ METRICS_TOKEN: token });
    const off = await startServer({ METRICS_ENABLED: 'false' });
    try {
      const refused = await scrape(guarded);
      expect(refused.status).toBe(401);
      expect(JSON.parse(refused.text).detail.error).toBe('not_authenticated');
      expect((await scrape(guarded, { authorization: 'Bearer wrong' })).status).toBe(401);
      expect((await scrape(guarded, { authorization: `Bearer ${token}` })).status).toBe(200);
      expect((await scrape(off)).status).toBe(404);
    } finally {
      await Promise.all([guarded.close(), off.close()]);
    }
  });
});
