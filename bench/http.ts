import autocannon from 'autocannon';
import { printTable, startGateway, userToken, type Row } from './lib.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);

interface Scenario {
  name: string;
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

/** Throughput of authenticated reads against GET /healthz, the HTTP stack doing no work. */
export async function httpBench(): Promise<void> {
  const gw = await startGateway();
  try {
    const token = await userToken(gw.url);
    const auth = { authorization: `Bearer ${token}` };
    const measure = async (s: Scenario) => {
      const r = await autocannon({ url: gw.url + s.path, method: s.method, headers: s.headers, body: s.body, connections: CONNECTIONS, duration: SECONDS });
      if (r.non2xx > 0 || r.errors > 0) throw new Error(`${s.name}: ${r.non2xx} non-2xx, ${r.errors} errors`);
      return r;
    };
    const reference: Scenario = { name: 'GET /healthz', method: 'GET', path: '/healthz' };
    await measure(reference);
    const ref = await measure(reference);
    const scenarios: Scenario[] = [
      { name: 'REST GET /api/auth/me', method: 'GET', path: '/api/auth/me', headers: auth },
      { name: 'GraphQL { me }', method: 'POST', path: '/graphql', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify({ query: '{ me { id username email } }' }) },
      { name: 'GET /readyz (one SQL round trip)', method: 'GET', path: '/readyz' },
    ];
    const rows: Row[] = [{ scenario: `${reference.name} (reference)`, figure: `${ref.requests.average.toFixed(0)} req/s, p99 ${ref.latency.p99} ms`, reference: '', ratio: 1 }];
    for (const s of scenarios) {
      const m = await measure(s);
      rows.push({
        scenario: s.name,
        figure: `${m.requests.average.toFixed(0)} req/s, p99 ${m.latency.p99} ms`,
        reference: `${ref.requests.average.toFixed(0)} req/s`,
        ratio: m.requests.average / ref.requests.average,
      });
    }
    printTable(`HTTP throughput: autocannon, ${CONNECTIONS} connections, ${SECONDS} s each (ratio: req/s vs /healthz)`, rows);
  } finally {
    await gw.close();
  }
}
