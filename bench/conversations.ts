import { countStatements, percentile, printTable, startGateway, userToken, type Gateway } from './lib.js';

const QUERY = `query { conversations(first: 20) { edges { node { id title messages(last: 10) { edges { node { id role content } } } } } } }`;
const RUNS = Number(process.env.BENCH_RUNS ?? 60);

async function seed(gw: Gateway, token: string): Promise<void> {
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
  for (let c = 0; c < 20; c++) {
    let conversationId: string | undefined;
    for (let t = 0; t < 6; t++) {
      const res = await fetch(`${gw.url}/api/core/chat`, { method: 'POST', headers, body: JSON.stringify({ message: `Question ${t} of conversation ${c} about topic ${c * 7 + t}`, conversation_id: conversationId }) });
      conversationId ??= ((await res.json()) as { conversation_id: string }).conversation_id;
    }
  }
}

async function timeQuery(gw: Gateway, token: string): Promise<{ p50: number; p95: number; statements: number }> {
  const run = async () => {
    const res = await fetch(`${gw.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query: QUERY }) });
    const body = (await res.json()) as { errors?: unknown; data: { conversations: { edges: { node: { messages: { edges: unknown[] } } }[] } } };
    if (body.errors || body.data.conversations.edges.length !== 20 || body.data.conversations.edges.some((e) => e.node.messages.edges.length !== 10)) {
      throw new Error(`unexpected answer: ${JSON.stringify(body).slice(0, 300)}`);
    }
  };
  for (let i = 0; i < 5; i++) await run();
  const statements = await countStatements(gw.app, run);
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await run();
    times.push(performance.now() - t);
  }
  return { p50: percentile(times, 50), p95: percentile(times, 95), statements };
}

/** 20 conversations with their last 10 messages: statements and latency, batched and not. */
export async function conversationsBench(): Promise<void> {
  const results: Record<string, Awaited<ReturnType<typeof timeQuery>>> = {};
  for (const batching of ['true', 'false']) {
    const gw = await startGateway({ DATALOADER_BATCHING: batching });
    try {
      const token = await userToken(gw.url);
      await seed(gw, token);
      results[batching] = await timeQuery(gw, token);
    } finally {
      await gw.close();
    }
  }
  const on = results.true!;
  const off = results.false!;
  printTable(`GraphQL: 20 conversations x last 10 messages (${RUNS} sequential runs; reference: the same query with batching off)`, [
    { scenario: 'SQL statements per query', figure: String(on.statements), reference: String(off.statements), ratio: on.statements / off.statements, target: 'constant' },
    { scenario: 'latency p50 (ms)', figure: on.p50.toFixed(2), reference: off.p50.toFixed(2), ratio: on.p50 / off.p50 },
    { scenario: 'latency p95 (ms)', figure: on.p95.toFixed(2), reference: off.p95.toFixed(2), ratio: on.p95 / off.p95, target: '<= 0.2' },
  ]);
}
