import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { DB, fork, gatewayEnv, median, percentile, removeDir, scratchDatabase, targetTable, tempDir, type Child } from './lib.js';
import { MODEL, tokensOf } from './chat-reply.js';
import { summarize } from './profile.js';

/**
 * Chat streams (issue 22): a chat turn through each of the gateway's doors against calling
 * the same local OpenAI-compatible server directly, in the same run. The server
 * (bench/openai-upstream.ts), the gateway (bench/serve.ts, NODE_ENV=production, rate limits
 * off) and the clients (this process) each run in a process of their own.
 *
 * - Time to first token, p50 and p95, one turn at a time: direct (POST /v1/chat/completions,
 *   stream: true, to the first content chunk) against REST SSE (POST /api/core/chat with
 *   Accept: text/event-stream, to the first `delta`), resumable REST (POST /api/core/chat/turns,
 *   then GET …/events as SSE), graphql-ws (startChatTurn over HTTP, then chatTurnEvents on an
 *   open socket, to the first DELTA), and plain REST (POST /api/core/chat as JSON: its total
 *   time against the direct stream's).
 * - Tokens per second with 200 concurrent streams per door against 200 direct ones, the
 *   doors alternating round by round; the server's pace, and at pace 0 its capacity. Beside
 *   them the gateway's CPU time per token (its own process counters).
 * - Resident memory per concurrent stream: the gateway's RSS (after a collection) with 200
 *   streams held open mid-reply, minus its RSS idle, ÷ 200; the reference is the upstream
 *   server's own.
 *
 * Every reply is checked whole (every token, in order) before it counts.
 */

const TOKENS = Number(process.env.BENCH_CHAT_TOKENS ?? 50);
const PACE_MS = Number(process.env.BENCH_CHAT_PACE_MS ?? 20);
/** Time-to-first-token runs wait for each reply's end; a fast pace keeps them short (it does not change the first token). */
const TTFT_PACE_MS = Number(process.env.BENCH_CHAT_TTFT_PACE_MS ?? 2);
const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const STREAMS = Number(process.env.BENCH_CHAT_STREAMS ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** BENCH_CHAT_PROFILE=dir: a V8 CPU profile of the gateway during each door's first timed burst, written there and summarized. */
const PROFILE = process.env.BENCH_CHAT_PROFILE;

const EXPECTED = tokensOf(TOKENS).join('');
const json = { 'content-type': 'application/json' };
const now = () => performance.now();

const table = targetTable(`Chat streams (${DB})`);
const row = table.row;

// Clients ---------------------------------------------------------------------------------

interface SseEvent {
  event: string;
  data: string;
}

interface Exchange {
  status: number;
  body: string;
}

/** One HTTP exchange on `agent`: the whole body, or (a 200 with `onEvent`) its server-sent events as they come. */
function exchange(agent: Agent, url: string, method: string, headers: Record<string, string>, body: string | null, onEvent?: (e: SseEvent) => void): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers: body === null ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) }, agent }, (res) => {
      res.setEncoding('utf8');
      let text = '';
      const streaming = onEvent && res.statusCode === 200 && (res.headers['content-type'] ?? '').startsWith('text/event-stream');
      res.on('data', (chunk: string) => {
        text += chunk;
        if (!streaming) return;
        let end: number;
        while ((end = text.indexOf('\n\n')) >= 0) {
          const block = text.slice(0, end);
          text = text.slice(end + 2);
          let event = 'message';
          let data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith('event:')) event = line.slice(6).trim();
            else if (line.startsWith('data:')) data += line.slice(5).trimStart();
          }
          try {
            onEvent(event === 'message' && !data ? { event: 'comment', data } : { event, data });
          } catch (e) {
            req.destroy();
            reject(e instanceof Error ? e : new Error(String(e)));
            return;
          }
        }
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body ?? undefined);
  });
}

/** One turn as a client saw it: ms from its start to the first token, to the last token, to its end; the text. */
interface Seen {
  /** When it started (performance.now()). */
  start: number;
  ttft: number;
  last: number;
  end: number;
  text: string;
}

interface Target {
  gateway: string;
  upstream: string;
  token: string;
  agent: Agent;
  /** An open graphql-ws client for this stream. */
  socket?: Client;
}

type Door = (t: Target, onFirst?: () => void) => Promise<Seen>;

const question = () => `Tell me about topic ${randomBytes(4).toString('hex')}`;

/** Times the tokens of one stream; `add` takes each piece of text. */
function timer(onFirst?: () => void) {
  const t0 = now();
  const seen = { start: t0, ttft: NaN, last: NaN, end: NaN, text: '' };
  return {
    seen,
    add(text: string) {
      if (!text) return;
      const t = now() - t0;
      if (Number.isNaN(seen.ttft)) {
        seen.ttft = t;
        onFirst?.();
      }
      seen.last = t;
      seen.text += text;
    },
    done(): Seen {
      seen.end = now() - t0;
      if (seen.text !== EXPECTED) throw new Error(`a reply arrived incomplete or out of order: ${JSON.stringify(seen.text.slice(0, 80))}…`);
      return seen;
    },
  };
}

const failed = (what: string, r: Exchange) => new Error(`${what}: ${r.status} ${r.body.slice(0, 300)}`);

/** The upstream called directly, as the gateway calls it. */
const direct: Door = async (t, onFirst) => {
  const tm = timer(onFirst);
  const body = JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: question() }], stream: true, stream_options: { include_usage: true } });
  const r = await exchange(t.agent, `${t.upstream}/v1/chat/completions`, 'POST', { ...json, accept: 'text/event-stream' }, body, (e) => {
    if (e.data === '[DONE]' || !e.data) return;
    const chunk = JSON.parse(e.data) as { choices?: { delta?: { content?: string } }[] };
    tm.add(chunk.choices?.[0]?.delta?.content ?? '');
  });
  if (r.status !== 200) throw failed('direct', r);
  return tm.done();
};

const auth = (t: Target) => ({ authorization: `Bearer ${t.token}` });

/** The gateway's SSE events of a turn: `delta` (content) adds text, `error` fails the run. */
const onTurnEvent = (tm: ReturnType<typeof timer>) => (e: SseEvent) => {
  if (e.event === 'delta') tm.add((JSON.parse(e.data) as { content: string }).content);
  else if (e.event === 'error') throw new Error(`error event: ${e.data}`);
};

/** POST /api/core/chat with Accept: text/event-stream. */
const restSse: Door = async (t, onFirst) => {
  const tm = timer(onFirst);
  const r = await exchange(t.agent, `${t.gateway}/api/core/chat`, 'POST', { ...json, ...auth(t), accept: 'text/event-stream' }, JSON.stringify({ message: question() }), onTurnEvent(tm));
  if (r.status !== 200) throw failed('POST /api/core/chat (SSE)', r);
  return tm.done();
};

/** POST /api/core/chat/turns, then GET /api/core/chat/turns/{id}/events as SSE. */
const turnsSse: Door = async (t, onFirst) => {
  const tm = timer(onFirst);
  const started = await exchange(t.agent, `${t.gateway}/api/core/chat/turns`, 'POST', { ...json, ...auth(t) }, JSON.stringify({ message: question() }));
  if (started.status !== 202) throw failed('POST /api/core/chat/turns', started);
  const { turn_id } = JSON.parse(started.body) as { turn_id: string };
  const r = await exchange(t.agent, `${t.gateway}/api/core/chat/turns/${turn_id}/events`, 'GET', { ...auth(t), accept: 'text/event-stream' }, null, onTurnEvent(tm));
  if (r.status !== 200) throw failed('GET /api/core/chat/turns/{id}/events', r);
  return tm.done();
};

const START = 'mutation ($input: StartChatTurnInput!) { startChatTurn(input: $input) { turn { turnId } } }';
const EVENTS = 'subscription ($turnId: ID!) { chatTurnEvents(turnId: $turnId) { seq type delta error { code message } } }';

/** startChatTurn over HTTP, then chatTurnEvents on the stream's open graphql-ws socket. */
const graphqlWs: Door = async (t, onFirst) => {
  const tm = timer(onFirst);
  const r = await exchange(t.agent, `${t.gateway}/graphql`, 'POST', { ...json, ...auth(t) }, JSON.stringify({ query: START, variables: { input: { message: question() } } }));
  const body = JSON.parse(r.body) as { data?: { startChatTurn: { turn: { turnId: string } } }; errors?: unknown };
  if (!body.data) throw failed('startChatTurn', r);
  const turnId = body.data.startChatTurn.turn.turnId;
  await new Promise<void>((resolve, reject) => {
    t.socket!.subscribe<{ chatTurnEvents: { type: string; delta: string | null; error: unknown } }>(
      { query: EVENTS, variables: { turnId } },
      {
        next: (m) => {
          const e = m.data?.chatTurnEvents;
          if (!e) return reject(new Error(`chatTurnEvents: ${JSON.stringify(m.errors)}`));
          if (e.type === 'DELTA') tm.add(e.delta ?? '');
          else if (e.type === 'ERROR') reject(new Error(`ERROR event: ${JSON.stringify(e.error)}`));
        },
        error: (e) => reject(e instanceof Error ? e : new Error(JSON.stringify(e))),
        complete: resolve,
      },
    );
  });
  return tm.done();
};

/** POST /api/core/chat as JSON: the reply arrives whole, so its first token is its end. */
const restJson: Door = async (t, onFirst) => {
  const tm = timer(onFirst);
  const r = await exchange(t.agent, `${t.gateway}/api/core/chat`, 'POST', { ...json, ...auth(t) }, JSON.stringify({ message: question() }));
  if (r.status !== 200) throw failed('POST /api/core/chat', r);
  tm.add((JSON.parse(r.body) as { content: string }).content);
  return tm.done();
};

/** BENCH_CHAT_DOORS=sse,turns,ws,rest (all by default) picks some. */
const DOORS: { key: string; name: string; door: Door; ws?: boolean; whole?: boolean }[] = [
  { key: 'sse', name: 'REST SSE (POST /api/core/chat, text/event-stream)', door: restSse },
  { key: 'turns', name: 'resumable REST SSE (POST /chat/turns + GET …/events)', door: turnsSse },
  { key: 'ws', name: 'graphql-ws (startChatTurn + chatTurnEvents)', door: graphqlWs, ws: true },
  { key: 'rest', name: 'plain REST (POST /api/core/chat, JSON)', door: restJson, whole: true },
].filter((d) => (process.env.BENCH_CHAT_DOORS ?? 'sse,turns,ws,rest').split(',').includes(d.key));
/** BENCH_CHAT_PHASES=memory,ttft,throughput,capacity picks some (the first three by default; capacity: the same bursts unpaced). */
const PHASES = (process.env.BENCH_CHAT_PHASES ?? 'memory,ttft,throughput').split(',');

function connect(gateway: string, token: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = createClient({
      url: `${gateway.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { Authorization: `Bearer ${token}` },
      retryAttempts: 0,
      lazy: false,
      // Kept open between subscriptions, as an application's client is; a socket that fails is the run's error, not a log line.
      keepAlive: 0,
      onNonLazyError: () => undefined,
      on: { connected: () => resolve(client), error: reject },
    });
  });
}

/** Opens `n` graphql-ws sockets, 50 at a time. */
async function sockets(gateway: string, token: string, n: number): Promise<Client[]> {
  const out: Client[] = [];
  for (let i = 0; i < n; i += 50) out.push(...(await Promise.all(Array.from({ length: Math.min(50, n - i) }, () => connect(gateway, token)))));
  return out;
}

const newAgent = () => new Agent({ keepAlive: true, maxSockets: Infinity });

// Phases ----------------------------------------------------------------------------------

async function timeToFirstToken(base: Omit<Target, 'agent'>): Promise<void> {
  const agent = newAgent();
  const socket = await connect(base.gateway, base.token);
  const t: Target = { ...base, agent, socket };
  const samples = { direct: [] as Seen[], doors: DOORS.map(() => [] as Seen[]) };
  try {
    for (let i = 0; i < RUNS + 5; i++) {
      // One turn at a time, the doors in turn, so load from elsewhere falls on all of them alike.
      const d = await direct(t);
      const seen = [];
      for (const { door } of DOORS) seen.push(await door(t));
      // The first runs warm the JIT and the connections.
      if (i < 5) continue;
      samples.direct.push(d);
      seen.forEach((s, j) => samples.doors[j]!.push(s));
    }
  } finally {
    await socket.dispose();
    agent.destroy();
  }
  for (const [j, { name, whole }] of DOORS.entries()) {
    const of = (xs: Seen[]) => xs.map((s) => (whole ? s.end : s.ttft));
    for (const p of [50, 95]) {
      const figure = percentile(of(samples.doors[j]!), p);
      const reference = percentile(of(samples.direct), p);
      const added = figure - reference;
      const what = whole ? 'reply time (whole, vs the direct stream to its end)' : 'time to first token';
      row({
        figure: `${name}: ${what} p${p} (ms)`,
        value: `${figure.toFixed(2)} (+${added.toFixed(2)})`,
        reference: `${reference.toFixed(2)} direct`,
        ratio: figure / reference,
        target: p === 50 && !whole ? 'added ≤ +5 ms' : 'report',
        met: p === 50 && !whole ? added <= 5 : null,
      });
    }
  }
}

interface Burst {
  tokensPerSecond: number;
  /** The gateway's (or, direct, the upstream's) CPU µs per token over the burst. */
  cpuPerToken: number;
}

/** `STREAMS` turns at once through `door`; tokens per second from the start to the last token received. */
async function burst(door: Door, base: Omit<Target, 'agent'>, server: Child, clients?: Client[], profile?: string): Promise<Burst> {
  const agent = newAgent();
  try {
    await server.ask({ cmd: profile ? 'profile-start' : 'cpu-start' });
    const t0 = now();
    const seen = await Promise.all(Array.from({ length: STREAMS }, (_, i) => door({ ...base, agent, socket: clients?.[i] })));
    const { cpuUs } = await server.ask<{ cpuUs: number }>(profile ? { cmd: 'profile-stop', file: profile } : { cmd: 'cpu-stop' });
    if (profile) {
      console.log(`    ${profile}: self time by component, µs per token`);
      const parts = summarize(JSON.parse(readFileSync(profile, 'utf8')) as Parameters<typeof summarize>[0], STREAMS * TOKENS);
      for (const p of parts.slice(0, 12)) console.log(`      ${p.us.toFixed(1).padStart(7)} µs ${(100 * p.share).toFixed(0).padStart(3)}%  ${p.component}`);
    }
    const last = Math.max(...seen.map((s) => s.start + s.last)) - t0;
    return { tokensPerSecond: (STREAMS * TOKENS) / (last / 1000), cpuPerToken: cpuUs / (STREAMS * TOKENS) };
  } finally {
    agent.destroy();
  }
}

async function throughput(base: Omit<Target, 'agent'>, gw: Child, upstream: Child, paceMs: number, label: string): Promise<void> {
  await upstream.ask({ cmd: 'config', tokens: TOKENS, paceMs });
  const clients = await sockets(base.gateway, base.token, STREAMS);
  try {
    const direct_: number[] = [];
    const directCpu: number[] = [];
    const doors = DOORS.map(() => ({ rates: [] as number[], cpus: [] as number[] }));
    // A warm-up burst per door, then ROUNDS rounds, every door once per round.
    for (let round = -1; round < ROUNDS; round++) {
      const d = await burst(direct, base, upstream);
      if (round >= 0) {
        direct_.push(d.tokensPerSecond);
        directCpu.push(d.cpuPerToken);
      }
      for (const [j, { key, door, ws }] of DOORS.entries()) {
        const profile = PROFILE && round === 0 ? join(PROFILE, `chat-${key}-${paceMs}ms.cpuprofile`) : undefined;
        const b = await burst(door, base, gw, ws ? clients : undefined, profile);
        if (round < 0) continue;
        doors[j]!.rates.push(b.tokensPerSecond);
        doors[j]!.cpus.push(b.cpuPerToken);
      }
    }
    for (const [j, { name }] of DOORS.entries()) {
      const ratios = doors[j]!.rates.map((r, i) => r / direct_[i]!);
      const ratio = median(ratios);
      const paced = paceMs > 0;
      row({
        figure: `${name}: tokens/s, ${STREAMS} concurrent streams, ${label}`,
        value: `${median(doors[j]!.rates).toFixed(0)}`,
        reference: `${median(direct_).toFixed(0)} direct`,
        ratio,
        target: `${paced ? '≥ 0.8' : 'report'}; range ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}`,
        met: paced ? ratio >= 0.8 : null,
      });
      row({
        figure: `${name}: gateway CPU per token, ${label} (µs)`,
        value: median(doors[j]!.cpus).toFixed(1),
        reference: `${median(directCpu).toFixed(1)} upstream's own`,
        ratio: median(doors[j]!.cpus) / median(directCpu),
        target: 'report',
        met: null,
      });
    }
  } finally {
    await Promise.all(clients.map(async (c) => c.dispose()));
  }
}

interface Memory {
  rss: number;
  heap: number;
}

/**
 * Starts `STREAMS` streams that the upstream holds after their first token; once the
 * upstream holds them all and every streaming client has its first token, measures, then
 * releases them and waits for their ends.
 */
async function held(door: Door, base: Omit<Target, 'agent'>, upstream: Child, measure: () => Promise<Memory>, streaming: boolean, ws: boolean): Promise<Memory> {
  await upstream.ask({ cmd: 'config', tokens: TOKENS, paceMs: PACE_MS, hold: true });
  const agent = newAgent();
  const clients = ws ? await sockets(base.gateway, base.token, STREAMS) : undefined;
  try {
    let first = 0;
    const failed: { error: Error | null } = { error: null };
    const runs = Promise.all(Array.from({ length: STREAMS }, (_, i) => door({ ...base, agent, socket: clients?.[i] }, () => first++))).catch((e: unknown) => {
      failed.error = e instanceof Error ? e : new Error(String(e));
      throw failed.error;
    });
    runs.catch(() => undefined);
    for (;;) {
      if (failed.error) throw failed.error;
      const { holding } = await upstream.ask<{ holding: number }>({ cmd: 'holding' });
      if (holding === STREAMS && (!streaming || first === STREAMS)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const memory = await measure();
    await upstream.ask({ cmd: 'release' });
    await runs;
    return memory;
  } finally {
    await Promise.all((clients ?? []).map(async (c) => c.dispose()));
    agent.destroy();
  }
}

async function memory(base: Omit<Target, 'agent'>, gw: Child, upstream: Child): Promise<void> {
  const of = (c: Child) => c.ask<Memory>({ cmd: 'gc' });
  const kb = (b: number) => `${(b / 1024).toFixed(1)} KB`;
  const per = (busy: Memory, idle: Memory) => ({ rss: (busy.rss - idle.rss) / STREAMS, heap: (busy.heap - idle.heap) / STREAMS });
  const upIdle = await of(upstream);
  const up = per(await held(direct, base, upstream, () => of(upstream), true, false), upIdle);
  for (const { name, door, ws, whole } of DOORS) {
    const idle = await of(gw);
    const gw_ = per(await held(door, base, upstream, () => of(gw), !whole, ws ?? false), idle);
    row({
      figure: `${name}: gateway resident memory per open stream, RSS (heap + external) (${STREAMS} held mid-reply; idle RSS ${(idle.rss / 1048576).toFixed(0)} MB)`,
      value: `${kb(gw_.rss)} (${kb(gw_.heap)})`,
      reference: `${kb(up.rss)} (${kb(up.heap)}) upstream's own (node:http SSE)`,
      ratio: gw_.heap / up.heap,
      target: 'report (ratio of heaps)',
      met: null,
    });
  }
}

export async function chatStreamBench(): Promise<void> {
  console.log(
    `\nChat streams: each door of the gateway against the same local OpenAI-compatible server called directly (${TOKENS} tokens a reply, ${DB}, load average at the start ${loadavg().map((l) => l.toFixed(1)).join(', ')})`,
  );
  const dir = tempDir();
  const db = await scratchDatabase(dir);
  const children: Child[] = [];
  try {
    const upstream = await fork('openai-upstream');
    children.push(upstream);
    const gw = await fork(
      'serve',
      ['gateway'],
      gatewayEnv(db.url, dir, {
        OPENAI_BASE_URL: `${upstream.url}/v1`,
        OPENAI_MODELS: MODEL,
        AI_DEFAULT_PROVIDER: 'openai',
        // The grammar checker loads on first use: its start-up load would fall on the first rounds.
        XEL_GRAMMAR_PRELOAD: 'false',
        // On a loaded machine 200 turns at once can hold a request's body past the default 30 s.
        REQUEST_TIMEOUT_MS: '120000',
      }),
    );
    children.push(gw);
    const name = `stream${randomBytes(3).toString('hex')}`;
    await fetch(`${gw.url}/api/auth/register`, { method: 'POST', headers: json, body: JSON.stringify({ email: `${name}@example.com`, username: name, password: 'bench password' }) });
    const login = (await (await fetch(`${gw.url}/api/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ username: name, password: 'bench password' }) })).json()) as { access_token: string };
    const base = { gateway: gw.url, upstream: upstream.url, token: login.access_token };

    // A few turns through every door first: the memory measured is the streams', not the first use of each code path.
    await upstream.ask({ cmd: 'config', tokens: TOKENS, paceMs: TTFT_PACE_MS });
    const warm = await connect(gw.url, base.token);
    const agent = newAgent();
    for (let i = 0; i < 5; i++) for (const { door } of DOORS) await door({ ...base, agent, socket: warm });
    await warm.dispose();
    agent.destroy();
    if (PHASES.includes('memory')) {
      console.log(`\n  memory (${STREAMS} streams held open after their first token)`);
      await memory(base, gw, upstream);
    }
    if (PHASES.includes('ttft')) {
      console.log(`\n  time to first token (${RUNS} turns a door, one at a time, ${TTFT_PACE_MS} ms between tokens)`);
      await upstream.ask({ cmd: 'config', tokens: TOKENS, paceMs: TTFT_PACE_MS });
      await timeToFirstToken(base);
    }
    if (PHASES.includes('throughput')) {
      console.log(`\n  throughput (${STREAMS} concurrent streams, ${ROUNDS} rounds, median)`);
      await throughput(base, gw, upstream, PACE_MS, `${PACE_MS} ms between tokens`);
    }
    if (PHASES.includes('capacity')) await throughput(base, gw, upstream, 0, 'unpaced (the upstream as fast as it writes)');
  } finally {
    for (const c of children) await c.stop();
    await db.drop();
    removeDir(dir);
  }
  table.print();
}
