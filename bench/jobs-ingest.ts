import { createClient, type Client } from 'graphql-ws';
import type * as PdfJs from 'pdfjs-dist/legacy/build/pdf.mjs';
import WebSocket from 'ws';
import { randomBytes } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pdfFile, textPdf } from '../test/helpers/hostile-documents.js';
import { THREAD_NAMES } from '../src/common/threads.js';
import { DB, fork, gatewayEnv, median, percentile, printTable, PROFILER, range, removeDir, scratchDatabase, spread, tempDir, threadGroups, userToken, type Child, type Row } from './lib.js';
import { printPerf, readPerfSamples, startPerf, summarizeSamples, type PerfSample } from './perf.js';

/**
 * Ingestion through the job queue against pdf.js alone (issue 20, "Measure"), the gateway in a
 * process of its own on a database file (SQLite) or PostgreSQL (BENCH_DB), so the worker threads
 * write as in production:
 *
 *   npm run bench -- jobs-throughput   N PDFs of 10 pages (BENCH_PDFS, default 40) uploaded through
 *                                      the API by 4 clients at once (BENCH_UPLOADERS), from the first upload to the
 *                                      last `ready`: documents/s, against pdf.js extracting the same
 *                                      PDFs one after another in one process (this one), next to
 *                                      each of BENCH_ROUNDS rounds (5; each round new PDFs, pdf.js
 *                                      first and last in turn): the median of the rounds' ratios
 *                                      (target ≥ 0.8×)
 *   npm run bench -- jobs-latency      one 10-page PDF uploaded again and again, one at a time
 *                                      (BENCH_RUNS, default 30): upload to `ready`, p50 and p95,
 *                                      against pdf.js extracting that PDF alone
 *   npm run bench -- jobs-load         GET /healthz, one request after another, while 20 PDFs of
 *                                      about 5 MB (100 pages of prose and an image each) are uploaded
 *                                      at once and ingested, against the same client at idle (issue
 *                                      20, "Off the event loop": p99 ≤ 2x idle); BENCH_LOAD_PDFS,
 *                                      BENCH_ROUNDS (3)
 *
 * `ready` is seen as the documentEvents event on a graphql-ws socket opened before the
 * uploads (no polling). Gateway settings can be given in the environment: WORKER_THREADS,
 * JOBS_CONCURRENCY. BENCH_PROFILER=perf: jobs-throughput also records the gateway's timed windows
 * with Linux perf (bench/perf.ts) and prints its CPU a document by thread and component.
 */
const PAGES = 10;
/** Clients uploading at once in jobs-throughput (BENCH_UPLOADERS). */
const UPLOADERS = Number(process.env.BENCH_UPLOADERS ?? 4);
const SETTINGS = ['WORKER_THREADS', 'JOBS_CONCURRENCY', 'WORKER_NICE'] as const;

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const WORDS =
  'the survey team walked ridge at dawn logged every cairn they passed along way river valley map north south measured stone old path water camp light morning report field notes elevation slope forest trail marker bridge season weather wind cloud record distance hour'.split(
    ' ',
  );

/** A PDF of 10 pages of prose, about 60 lines of 90 characters each (some 5,000 characters a page), different for each seed. */
export function samplePdf(seed: number): Buffer {
  const rand = rng(seed);
  const line = () => {
    let l = '';
    while (l.length < 85) l += `${WORDS[Math.floor(rand() * WORDS.length)]} `;
    return l.trim();
  };
  return textPdf(Array.from({ length: PAGES }, (_, p) => [`Report ${seed}, page ${p + 1}`, ...Array.from({ length: 57 }, line)]));
}

let pdfjs: typeof PdfJs | null = null;

/** pdf.js alone: the text of every page, read as the gateway's worker reads it (same options, page by page), on this thread. */
export async function extractPdf(data: Buffer): Promise<number> {
  pdfjs ??= await import('pdfjs-dist/legacy/build/pdf.mjs');
  const doc = await pdfjs.getDocument({ data: new Uint8Array(data), useSystemFonts: false, isEvalSupported: false, disableFontFace: true, verbosity: 0 }).promise;
  let chars = 0;
  for (let i = 1; i <= doc.numPages; i++) {
    const page = await doc.getPage(i);
    const content = await page.getTextContent();
    for (const item of content.items) if ('str' in item) chars += item.str.length;
    page.cleanup();
  }
  await doc.destroy();
  return chars;
}

/** pdf.js over `pdfs`, one after another: the seconds it takes, and this process's CPU seconds meanwhile. */
async function extractAll(pdfs: Buffer[]): Promise<{ seconds: number; cpu: number }> {
  const t = performance.now();
  const from = process.cpuUsage();
  for (const pdf of pdfs) if (!(await extractPdf(pdf))) throw new Error('pdf.js found no text in a sample PDF');
  const used = process.cpuUsage(from);
  return { seconds: (performance.now() - t) / 1000, cpu: (used.user + used.system) / 1e6 };
}

/** The gateway in its own process, a user, and a socket that notes when each document becomes ready. */
async function setUp(extra: Record<string, string> = {}): Promise<{ gw: Child; token: string; dataDir: string; ready: Map<string, { at: number; status: string }>; waitReady(id: string): Promise<number>; close(): Promise<void> }> {
  const dataDir = tempDir();
  const db = await scratchDatabase(dataDir);
  const settings = Object.fromEntries(SETTINGS.filter((k) => process.env[k]).map((k) => [k, process.env[k]!]));
  const gw = await fork('serve', ['gateway'], gatewayEnv(db.url, dataDir, { XEL_GRAMMAR_PRELOAD: 'false', ...extra, ...settings }));
  const token = await userToken(gw.url, 'ingest');
  const ready = new Map<string, { at: number; status: string }>();
  const waiting = new Map<string, () => void>();
  const socket: Client = createClient({ url: `ws://127.0.0.1:${gw.port}/graphql`, webSocketImpl: WebSocket, connectionParams: { Authorization: `Bearer ${token}` }, retryAttempts: 0 });
  await new Promise<void>((resolve, reject) => {
    socket.on('connected', () => resolve());
    socket.subscribe<{ documentEvents: { id: string; status: string } }>(
      { query: 'subscription { documentEvents { id status } }' },
      {
        next: (r) => {
          const d = r.data?.documentEvents;
          if (!d) return;
          ready.set(d.id, { at: performance.now(), status: d.status });
          waiting.get(d.id)?.();
        },
        error: reject,
        complete: () => undefined,
      },
    );
  });
  // The subscription starts once acknowledged: an upload made now is not missed.
  await new Promise((r) => setTimeout(r, 200));
  return {
    gw,
    token,
    dataDir,
    ready,
    waitReady: (id) =>
      new Promise<number>((resolve, reject) => {
        const settle = () => {
          const r = ready.get(id)!;
          if (r.status !== 'READY') reject(new Error(`document ${id} ended ${r.status}`));
          else resolve(r.at);
        };
        if (ready.has(id)) settle();
        else waiting.set(id, settle);
      }),
    async close() {
      await socket.dispose();
      await gw.stop();
      await db.drop();
      removeDir(dataDir);
    },
  };
}

async function upload(url: string, token: string, name: string, pdf: Buffer): Promise<string> {
  const form = new FormData();
  form.append('file', new Blob([pdf], { type: 'application/pdf' }), name);
  const res = await fetch(`${url}/api/knowledge/documents`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  const body = (await res.json()) as { id?: string };
  if (res.status !== 201 || !body.id) throw new Error(`upload ${name}: ${res.status} ${JSON.stringify(body)}`);
  return body.id;
}

const settingsNote = () => SETTINGS.filter((k) => process.env[k]).map((k) => `${k}=${process.env[k]}`).join(', ') || 'default settings';

/** PDFs read before the timed ones, by pdf.js alone and by the gateway alike (BENCH_WARM_UP). */
const WARM_UP = Number(process.env.BENCH_WARM_UP ?? 2);

/** One round of jobs-throughput: the gateway's window and pdf.js alone on the same PDFs, next to each other. */
interface ThroughputRound {
  /** Seconds from the first upload to the last `ready`, and to the last upload answered. */
  queued: number;
  accepted: number;
  /** pdf.js alone over the same PDFs: seconds, and CPU ms a document. */
  alone: number;
  aloneCpu: number;
  /** CPU ms a document: the gateway (all threads), by thread group, the reading threads' waits for a core, the uploading clients. */
  gatewayCpu: number;
  threads: { label: string; ms: number }[];
  readingWait: number | null;
  clientsCpu: number;
}


export async function jobsThroughputBench(): Promise<void> {
  const n = Number(process.env.BENCH_PDFS ?? 40);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
  // Each round's documents are new bytes (a store keeps equal bytes once); pdf.js alone reads the same ones.
  const batch = (round: number) => Array.from({ length: n }, (_, i) => samplePdf(1000 + round * n + i));
  const env = await setUp();
  try {
    const { gw, token } = env;
    // Warm-up: pdf.js here, and the gateway's threads and statements, on other PDFs.
    const warm = Array.from({ length: WARM_UP }, (_, i) => samplePdf(i + 1));
    await extractAll(warm);
    const timed: ThroughputRound[] = [];
    const perfSamples: PerfSample[] = [];
    let size = 0;
    for (let r = 0; r < rounds; r++) {
      const pdfs = batch(r);
      size = pdfs.reduce((s, p) => s + p.length, 0) / n;
      // Which goes first alternates, so that a host speeding up or slowing down falls on both alike.
      const aloneFirst = r % 2 === 0;
      const alone = aloneFirst ? await extractAll(pdfs) : null;
      // The gateway's warm-up uploads just before its timed ones: a reading thread that has been idle
      // for a second ends (WORKER_THREADS), and starting one (pdf.js loaded and compiled again) would
      // fall inside the window, which measures documents streaming through running threads.
      for (const [i, pdf] of (r === 0 ? warm : warm.slice(0, 1)).entries()) await env.waitReady(await upload(gw.url, token, `warm-${r}-${i}.pdf`, pdf));
      // The CPU of the gateway's process (all its threads) and of this one (the uploading clients and the socket) over the same window.
      await gw.ask({ cmd: 'cpu-start' });
      const perfFile = join(env.dataDir, `round-${r}.perf.data`);
      const recording = PROFILER === 'perf' ? await startPerf(gw.pid, perfFile) : null;
      const clientsCpu = process.cpuUsage();
      const t = performance.now();
      let next = 0;
      const ids: string[] = [];
      await Promise.all(
        Array.from({ length: UPLOADERS }, async () => {
          while (next < n) {
            const i = next++;
            ids.push(await upload(gw.url, token, `report-${r}-${i}.pdf`, pdfs[i]!));
          }
        }),
      );
      const accepted = (performance.now() - t) / 1000;
      const last = Math.max(...(await Promise.all(ids.map((id) => env.waitReady(id)))));
      if (recording) {
        await recording.stop();
        perfSamples.push(...readPerfSamples(perfFile));
      }
      const { cpuUs, threadsCpuUs, threadsWaitUs } = await gw.ask<{ cpuUs: number; threadsCpuUs?: Record<string, number>; threadsWaitUs?: Record<string, number> }>({ cmd: 'cpu-stop' });
      const clients = process.cpuUsage(clientsCpu);
      const reference = alone ?? (await extractAll(pdfs));
      const wait = threadsWaitUs?.[THREAD_NAMES.reading];
      timed.push({
        queued: (last - t) / 1000,
        accepted,
        alone: reference.seconds,
        aloneCpu: (reference.cpu / n) * 1000,
        gatewayCpu: cpuUs / 1000 / n,
        threads: threadGroups(threadsCpuUs, ['serving', 'reading', 'writing', 'v8', 'libuv', 'other']).map(({ label, us }) => ({ label, ms: us / 1000 / n })),
        readingWait: wait === undefined ? null : wait / 1000 / n,
        clientsCpu: (clients.user + clients.system) / 1000 / n,
      });
    }
    const of = (f: (x: ThroughputRound) => number) => timed.map(f);
    const ratios = of((x) => x.alone / x.queued);
    const aloneRate = of((x) => n / x.alone);
    const aloneCpu = of((x) => x.aloneCpu);
    const cores = availableParallelism();
    const bound = of((x) => (cores * 1000) / (x.gatewayCpu + x.clientsCpu));
    const versus = `pdf.js alone ${spread(aloneCpu, 1)} ms`;
    printTable(
      `Ingestion through the job queue (${DB}, ${settingsNote()}): ${n} PDFs of ${PAGES} pages (${(size / 1024).toFixed(0)} KB each), ${UPLOADERS} clients uploading; reference: pdf.js alone, one PDF after another in one process, on the same PDFs next to each round (first and last in turn); median of ${rounds} rounds [range], ratios round by round (load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(', ')})`,
      [
        { scenario: `upload to ready, documents/s, ratio [${range(ratios)}]`, figure: spread(of((x) => n / x.queued), 1), reference: `pdf.js alone ${spread(aloneRate, 1)}/s`, ratio: median(ratios), target: '>= 0.8' },
        { scenario: 'uploads answered, documents/s', figure: spread(of((x) => n / x.accepted), 1), reference: `pdf.js alone ${spread(aloneRate, 1)}/s`, ratio: median(of((x) => x.alone / x.accepted)) },
        { scenario: 'CPU per document, the gateway (all threads, upload to ready), ms', figure: spread(of((x) => x.gatewayCpu), 1), reference: versus, ratio: median(of((x) => x.aloneCpu / x.gatewayCpu)) },
        // By thread (Linux: each thread's run time, by its name; see src/common/threads.ts): the serving
        // thread's (requests, the queue, the serving connection) and the rest leave the reading thread less of the cores.
        ...(timed[0]!.threads.map(({ label }, i) => ({ scenario: `of which ${label}, ms`, figure: spread(of((x) => x.threads[i]!.ms), 1), reference: versus, ratio: null })) as Row[]),
        // Runnable but not running: what the reading threads lost to the other threads (and processes) on the cores.
        ...(timed.every((x) => x.readingWait !== null) ? [{ scenario: 'the reading threads waited for a core (runnable, not running), ms per document', figure: spread(of((x) => x.readingWait!), 1), reference: '', ratio: null }] : []),
        { scenario: 'CPU per document, the uploading clients (this process), ms', figure: spread(of((x) => x.clientsCpu), 1), reference: versus, ratio: null },
        {
          scenario: `the most ${cores} cores allow at this CPU: documents/s (${cores} × 1000 ÷ the gateway's and the clients' CPU per document)`,
          figure: spread(bound, 1),
          reference: `pdf.js alone ${spread(aloneRate, 1)}/s`,
          ratio: median(timed.map((x, i) => bound[i]! / (n / x.alone))),
        },
      ],
    );
    if (perfSamples.length) {
      // All the timed rounds' samples, per document: the serving thread's components, then the reading threads' (pdf.js and the rest).
      for (const role of ['serving', 'reading', 'writing'] as const) printPerf(`The gateway's CPU a document, ${rounds} rounds of ${n}`, summarizeSamples(perfSamples, n * rounds, role), 16, role);
    }
  } finally {
    await env.close();
  }
}

export async function jobsLatencyBench(): Promise<void> {
  const runs = Number(process.env.BENCH_RUNS ?? 30);
  const pdf = samplePdf(7);
  const env = await setUp();
  try {
    const { gw, token } = env;
    const total: number[] = [];
    const answered: number[] = [];
    const alone: number[] = [];
    for (let i = 0; i < runs + 3; i++) {
      let t = performance.now();
      await extractPdf(pdf);
      const extract = performance.now() - t;
      t = performance.now();
      const id = await upload(gw.url, token, `report-${i}.pdf`, pdf);
      const answer = performance.now() - t;
      const at = await env.waitReady(id);
      // The first runs warm the JIT, the threads and the connections.
      if (i < 3) continue;
      alone.push(extract);
      answered.push(answer);
      total.push(at - t);
    }
    const rows = [50, 95].flatMap((p) => [
      { scenario: `upload to ready p${p} (ms)`, figure: percentile(total, p).toFixed(1), reference: `pdf.js alone ${percentile(alone, p).toFixed(1)}`, ratio: percentile(total, p) / percentile(alone, p) },
      { scenario: `upload answered p${p} (ms)`, figure: percentile(answered, p).toFixed(1), reference: `pdf.js alone ${percentile(alone, p).toFixed(1)}`, ratio: percentile(answered, p) / percentile(alone, p) },
    ]);
    printTable(`Upload to ready of a ${PAGES}-page PDF (${DB}, ${settingsNote()}), ${runs} uploads one after another; reference: pdf.js extracting that PDF alone in one process, in the same run`, rows);
  } finally {
    await env.close();
  }
}

/**
 * A PDF of `pages` pages, each a page of prose (as `samplePdf`'s) beside a grey image of
 * `imageBytes` raw 8-bit pixels: about `imageBytes` + 2 KB a page, most of it what text
 * extraction skips, as in a scanned-and-OCRed or illustrated report.
 */
export function illustratedPdf(seed: number, pages: number, imageBytes: number): Buffer {
  const rand = rng(seed);
  const line = () => {
    let l = '';
    while (l.length < 85) l += `${WORDS[Math.floor(rand() * WORDS.length)]} `;
    return l.trim();
  };
  const width = 240;
  const height = Math.max(1, Math.floor(imageBytes / width));
  // Objects: 1 catalog, 2 page tree, 3 font, then per page its content stream, its image, the page.
  const objects: (Buffer | string)[][] = [
    ['<< /Type /Catalog /Pages 2 0 R >>'],
    [`<< /Type /Pages /Kids [${Array.from({ length: pages }, (_, i) => `${6 + 3 * i} 0 R`).join(' ')}] /Count ${pages} >>`],
    ['<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>'],
  ];
  for (let i = 0; i < pages; i++) {
    const lines = [`Report ${seed}, page ${i + 1}`, ...Array.from({ length: 57 }, line)].map((l) => l.replace(/[\\()]/g, (c) => `\\${c}`));
    const content = deflateSync(Buffer.from(`q ${width} 0 0 ${height} 300 40 cm /Im0 Do Q\nBT /F1 10 Tf\n${lines.map((l, k) => `1 0 0 1 56 ${760 - k * 13} Tm (${l}) Tj\n`).join('')}ET\n`, 'latin1'));
    const pixels = randomBytes(width * height);
    objects.push(
      [`<< /Length ${content.length} /Filter /FlateDecode >>\nstream\n`, content, '\nendstream'],
      [`<< /Type /XObject /Subtype /Image /Width ${width} /Height ${height} /ColorSpace /DeviceGray /BitsPerComponent 8 /Length ${pixels.length} >>\nstream\n`, pixels, '\nendstream'],
      [`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> /XObject << /Im0 ${5 + 3 * i} 0 R >> >> /Contents ${4 + 3 * i} 0 R >>`],
    );
  }
  return pdfFile(objects);
}

export async function jobsLoadBench(): Promise<void> {
  const n = Number(process.env.BENCH_LOAD_PDFS ?? 20);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const idleMs = 3000;
  const pages = 100;
  const imageBytes = 48_000;
  // Each round's documents are new bytes (a store keeps equal bytes once, and pdf.js reads every document anyway).
  const batch = (round: number) => Array.from({ length: n }, (_, i) => illustratedPdf(10_000 * (round + 1) + i, pages, imageBytes));
  const env = await setUp({ KNOWLEDGE_MAX_USER_BYTES: String(4 * 1024 ** 3) });
  let poller: Child | null = null;
  try {
    const { gw, token } = env;
    // Warm-up: the threads, pdf.js and the statements, on one such PDF.
    await env.waitReady(await upload(gw.url, token, 'warm.pdf', illustratedPdf(1, pages, imageBytes)));
    const idle: number[] = [];
    const during: number[] = [];
    const ratios: number[] = [];
    const p50s: number[] = [];
    const worst: number[] = [];
    const seconds: number[] = [];
    const cpu: number[] = [];
    const gatewayLoop: number[] = [];
    const gatewayLoopP99: number[] = [];
    const clientLoop: number[] = [];
    const pollerLoop: number[] = [];
    // The polling client in a process of its own: this one encodes and sends the uploads.
    poller = await fork('poller');
    const polling = poller;
    const poll = async () => {
      await polling.ask({ cmd: 'start', url: gw.url });
      return async () => polling.ask<{ latencies: number[]; loopMaxMs: number }>({ cmd: 'stop' });
    };
    let size = 0;
    for (let r = 0; r < rounds; r++) {
      const pdfs = batch(r);
      size = pdfs.reduce((t, p) => t + p.length, 0) / n;
      const stopIdle = await poll();
      await new Promise((ok) => setTimeout(ok, idleMs));
      const quiet = (await stopIdle()).latencies;
      await gw.ask({ cmd: 'cpu-start' });
      await gw.ask({ cmd: 'loop-start' });
      // This process's own loop too: it sends the uploads (100 MB).
      const own = monitorEventLoopDelay({ resolution: 10 });
      own.enable();
      const stop = await poll();
      const t = performance.now();
      const ids = await Promise.all(pdfs.map((pdf, i) => upload(gw.url, token, `large-${r}-${i}.pdf`, pdf)));
      const last = Math.max(...(await Promise.all(ids.map((id) => env.waitReady(id)))));
      const polled = await stop();
      const busy = polled.latencies;
      own.disable();
      pollerLoop.push(polled.loopMaxMs);
      const loop = await gw.ask<{ maxMs: number; p99Ms: number }>({ cmd: 'loop-stop' });
      const { cpuUs } = await gw.ask<{ cpuUs: number }>({ cmd: 'cpu-stop' });
      gatewayLoop.push(loop.maxMs);
      gatewayLoopP99.push(loop.p99Ms);
      clientLoop.push(own.max / 1e6);
      idle.push(percentile(quiet, 99));
      during.push(percentile(busy, 99));
      ratios.push(percentile(busy, 99) / percentile(quiet, 99));
      p50s.push(percentile(busy, 50) / percentile(quiet, 50));
      worst.push(Math.max(...busy));
      seconds.push((last - t) / 1000);
      cpu.push(cpuUs / 1000 / n);
    }
    printTable(
      `GET /healthz during the ingestion of ${n} PDFs uploaded at once (${DB}, ${settingsNote()}): ${pages} pages each, ${(size / 1024 / 1024).toFixed(1)} MB; one client polling one request after another (in a process of its own); reference: the same client at idle for ${idleMs / 1000} s before each round; median of ${rounds} rounds [range] (load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(', ')})`,
      [
        { scenario: `/healthz p99 during ingestion (ms), ratio [${range(ratios)}]`, figure: spread(during, 1), reference: `idle ${spread(idle, 1)}`, ratio: median(ratios), target: '<= 2x idle' },
        { scenario: `/healthz p50 during ingestion vs idle, ratio [${range(p50s)}]`, figure: '', reference: '', ratio: median(p50s) },
        { scenario: '/healthz slowest answer during ingestion (ms)', figure: spread(worst, 1), reference: '', ratio: null },
        { scenario: "the gateway's event-loop delay during ingestion, p99 / max (ms)", figure: `${spread(gatewayLoopP99, 1)} / ${spread(gatewayLoop, 1)}`, reference: '', ratio: null },
        { scenario: "the polling process's own event-loop delay, max (ms)", figure: spread(pollerLoop, 1), reference: '', ratio: null },
        { scenario: "the uploading process's own event-loop delay, max (ms)", figure: spread(clientLoop, 1), reference: '', ratio: null },
        { scenario: `first upload to last ready (s), ${n} documents`, figure: spread(seconds, 1), reference: '', ratio: null },
        { scenario: 'the gateway\'s CPU a document, all threads (ms)', figure: spread(cpu, 0), reference: '', ratio: null },
      ],
    );
  } finally {
    await poller?.stop();
    await env.close();
  }
}
