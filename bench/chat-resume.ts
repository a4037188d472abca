import { randomBytes } from 'node:crypto';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { percentile, printTable, startGateway, userToken, type Gateway } from './lib.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 40);
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const START = 'mutation ($input: StartChatTurnInput!) { startChatTurn(input: $input) { turn { turnId } } }';
const EVENTS = 'subscription ($turnId: ID!, $after: Int) { chatTurnEvents(turnId: $turnId, after: $after) { seq type } }';

const socket = (gw: Gateway, token: string): Client =>
  createClient({ url: `${gw.url.replace(/^http/, 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { Authorization: `Bearer ${token}` }, retryAttempts: 0 });

/** Subscribes; resolves with the ms from `t0` to the first event whose type is `type`, and the turn's end. */
function firstEvent(client: Client, turnId: string, after: number, type: string, t0: number): Promise<{ ms: number; done: Promise<void> }> {
  return new Promise((resolve, reject) => {
    let seen = false;
    let finish!: () => void;
    const done = new Promise<void>((r) => (finish = r));
    client.subscribe<{ chatTurnEvents: { seq: number; type: string } }>(
      { query: EVENTS, variables: { turnId, after } },
      {
        next: (r) => {
          if (!seen && r.data?.chatTurnEvents.type === type) {
            seen = true;
            resolve({ ms: performance.now() - t0, done });
          }
        },
        error: reject,
        complete: () => finish(),
      },
    );
  });
}

async function startTurn(gw: Gateway, token: string): Promise<string> {
  const res = await fetch(`${gw.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: START, variables: { input: { message: `Tell me about topic ${randomBytes(3).toString('hex')}` } } }),
  });
  const body = (await res.json()) as { data?: { startChatTurn: { turn: { turnId: string } } }; errors?: unknown };
  if (!body.data) throw new Error(`startChatTurn failed: ${JSON.stringify(body.errors)}`);
  return body.data.startChatTurn.turn.turnId;
}

/**
 * Per run: a fresh turn's first token (the mutation, then the subscription on an open
 * socket, to the first DELTA), then a reconnect (a new socket, the subscription with
 * `after: 1`) to the first missed event, replayed from the buffer.
 */
async function measure(gw: Gateway, token: string): Promise<{ fresh: number[]; resume: number[] }> {
  const fresh: number[] = [];
  const resume: number[] = [];
  const live = socket(gw, token);
  try {
    for (let i = 0; i < RUNS + 3; i++) {
      const t0 = performance.now();
      const turnId = await startTurn(gw, token);
      const first = await firstEvent(live, turnId, 0, 'DELTA', t0);
      await first.done;
      const t1 = performance.now();
      const again = socket(gw, token);
      const missed = await firstEvent(again, turnId, 1, 'DELTA', t1);
      await missed.done;
      await again.dispose();
      // The first runs warm the JIT and the connections.
      if (i >= 3) {
        fresh.push(first.ms);
        resume.push(missed.ms);
      }
    }
  } finally {
    await live.dispose();
  }
  return { fresh, resume };
}

/** Resumable chat turns (issue 18): reconnect to the first missed event, against a fresh turn's first token. */
export async function chatResumeBench(): Promise<void> {
  const rows = [];
  for (const buffer of ['memory', 'redis'] as const) {
    const gw = await startGateway(buffer === 'redis' ? { REDIS_URL, REDIS_KEY_PREFIX: `xt-bench-${randomBytes(4).toString('hex')}:` } : {});
    try {
      const token = await userToken(gw.url, `resume_${buffer}`);
      const { fresh, resume } = await measure(gw, token);
      for (const p of [50, 95]) {
        const f = percentile(fresh, p);
        const r = percentile(resume, p);
        rows.push({ scenario: `${buffer} buffer: reconnect to first missed event p${p} (ms)`, figure: r.toFixed(2), reference: f.toFixed(2), ratio: r / f, target: '<= 1' });
      }
    } finally {
      await gw.close();
    }
  }
  printTable(`Chat turns: reconnect (new graphql-ws socket, chatTurnEvents after: 1) to the first missed event (${RUNS} runs; reference: a fresh turn's first token, local provider)`, rows);
}
