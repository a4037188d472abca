import { nestedHtml, pdfBomb, plainText } from '../test/helpers/hostile-documents.js';
import type { Breakdown } from './serve.js';
import { DB, fork, gatewayEnv, percentile, pollHealth, removeDir, rssOf, scratchDatabase, tempDir, userToken } from './lib.js';

/**
 * Hostile documents against a gateway in a process of its own, while a client polls
 * GET /healthz one request after another (issue 19, finding 1: a 14 KB PDF froze the
 * gateway for two minutes). Uploaded one at a time: the PDF bomb (50 pages sharing one
 * FlateDecode content stream of 2 MB), a 10 MB text file, HTML nested 100,000 elements deep,
 * and, to watch indexing itself, texts that are accepted (1 MB, the issue's 1.24 s stall, and
 * 4 MB, about 5,400 passages) and a 3 MB flat HTML page. For each: the answer to the upload,
 * what became of the document, and /healthz's latency while it was read and indexed against
 * the same client at idle (p99 and ratio; target ≤ 2x idle and never above 250 ms). Resident
 * memory of the gateway is sampled throughout: its growth over idle (target ≤ 100 MB), and inside
 * it, where that memory is (the main thread's heap, Buffers, the worker threads' heaps, malloc's).
 * The gateway runs with malloc's settings as `npm start` gives them (MALLOC_MMAP_THRESHOLD_).
 *
 *   npm run bench -- hardening-documents          (BENCH_DB=postgresql for PostgreSQL;
 *                                                  BENCH_MALLOC=glibc for glibc's defaults)
 */
export async function documentsBench(): Promise<void> {
  const dataDir = tempDir();
  const db = await scratchDatabase(dataDir);
  // glibc's malloc settings as `npm start` sets them, or those given (BENCH_MALLOC=glibc: glibc's defaults), to compare the gateway's memory.
  const given = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => /^(MALLOC_|GLIBC_TUNABLES$)/.test(e[0]) && e[1] !== undefined));
  const malloc = Object.keys(given).length || process.env.BENCH_MALLOC === 'glibc' ? given : { MALLOC_MMAP_THRESHOLD_: '131072' };
  const gw = await fork('serve', ['gateway'], gatewayEnv(db.url, dataDir, { XEL_GRAMMAR_PRELOAD: 'false', ...malloc }));
  try {
    const token = await userToken(gw.url, 'documents');
    const auth = { authorization: `Bearer ${token}` };

    /** /healthz, one request after another, until stopped; memory sampled beside it. */
    const poll = () => {
      let rssPeak = 0;
      let running = true;
      const client = pollHealth(gw.url);
      const memory = (async () => {
        while (running) {
          rssPeak = Math.max(rssPeak, await rssOf(gw.pid));
          await new Promise((r) => setTimeout(r, 50));
        }
      })();
      return async () => {
        running = false;
        const [latencies] = await Promise.all([client(), memory]);
        return { latencies, rssPeak };
      };
    };

    // Warm-up (JIT, the first pdf.js and worker loads), then idle.
    await upload(gw.url, auth, 'warm.pdf', 'application/pdf', pdfBomb(2, 64 * 1024)).catch(() => undefined);
    await upload(gw.url, auth, 'warm.html', 'text/html', '<h1>Warm</h1><p>up</p>');
    await settle(gw.url, auth);
    // The idle reference carries the same instruments inside the gateway as every document's window
    // (the event-loop monitor and the memory sampler, which reads /proc and asks the reading threads
    // for their heaps every 50 ms): a stall of theirs falls on both sides of the ratio alike.
    const idleStop = poll();
    await gw.ask({ cmd: 'loop-start' });
    await gw.ask({ cmd: 'memory-start' });
    await new Promise((r) => setTimeout(r, 3000));
    const idle = await idleStop();
    await gw.ask({ cmd: 'loop-stop' });
    await gw.ask({ cmd: 'memory-stop' });
    const { rss: rssIdle, breakdown: idleMemory } = await gw.ask<{ rss: number; breakdown: Breakdown }>({ cmd: 'gc' });
    const idleP99 = percentile(idle.latencies, 99);

    const flatHtml = `<html><body>${plainText(1_000_000)
      .split('\n\n')
      .map((p, i) => (i % 20 === 0 ? `<h2>Section ${i / 20}</h2><p>${p}</p>` : `<p>${p}</p>`))
      .join('')}</body></html>`;
    const documents: [string, string, string, Buffer | string][] = [
      ['PDF bomb: 50 pages, one 2 MB FlateDecode stream', 'bomb.pdf', 'application/pdf', pdfBomb(50, 2 * 1024 * 1024)],
      ['text file, 10 MB', 'ten.txt', 'text/plain', plainText(10_000_000)],
      ['HTML nested 100,000 deep', 'deep.html', 'text/html', nestedHtml(100_000)],
      ['text file, 1 MB (accepted)', 'one.txt', 'text/plain', plainText(1_000_000)],
      ['text file, 4 MB (accepted)', 'four.txt', 'text/plain', plainText(4_000_000)],
      ['flat HTML page, 1 MB (accepted)', 'flat.html', 'text/html', flatHtml],
    ];
    const rows: string[] = [];
    const during: number[] = [];
    let rssPeak = 0;
    let loopMax = 0;
    /** The gateway's own breakdown at its resident peak, and each part's maximum, over all documents. */
    let atPeak: Breakdown | null = null;
    let maxima: Breakdown | null = null;
    for (const [name, file, type, data] of documents) {
      const stop = poll();
      await gw.ask({ cmd: 'loop-start' });
      await gw.ask({ cmd: 'memory-start' });
      const t = performance.now();
      const up = await upload(gw.url, auth, file, type, data);
      const answered = performance.now() - t;
      const doc = up.status === 201 ? ((await settle(gw.url, auth, up.body.id)) as DocumentAnswer) : null;
      const settled = performance.now() - t;
      const { latencies, rssPeak: peak } = await stop();
      const loop = await gw.ask<{ maxMs: number; p99Ms: number }>({ cmd: 'loop-stop' });
      const mem = await gw.ask<{ atPeak: Breakdown; max: Breakdown }>({ cmd: 'memory-stop' });
      if (!atPeak || mem.atPeak.rss > atPeak.rss) atPeak = mem.atPeak;
      maxima = maxima ? maxOf(maxima, mem.max) : mem.max;
      loopMax = Math.max(loopMax, loop.maxMs);
      during.push(...latencies);
      rssPeak = Math.max(rssPeak, peak);
      const outcome =
        up.status === 201
          ? `201, then ${doc?.status}${doc?.status === 'ready' ? `, ${doc.chunk_count} passages` : ` (${doc?.error})`}`
          : `${up.status} ${up.body.detail.error}: ${up.body.detail.limit} (max ${up.body.detail.max}${up.body.detail.found !== undefined ? `, found ${up.body.detail.found}` : ''})`;
      const p99 = percentile(latencies, 99);
      rows.push(
        `| ${name} | ${(Buffer.byteLength(data) / 1024).toFixed(0)} KB | ${outcome} | ${answered.toFixed(0)} / ${settled.toFixed(0)} | ${latencies.length} | ${p99.toFixed(1)} | ${Math.max(...latencies).toFixed(1)} | ${(p99 / idleP99).toFixed(2)} | ${loop.maxMs.toFixed(0)} | ${((peak - rssIdle) / 2 ** 20).toFixed(0)} |`,
      );
    }
    const { rss: rssAfter, breakdown: afterMemory } = await gw.ask<{ rss: number; breakdown: Breakdown }>({ cmd: 'gc' });
    const allP99 = percentile(during, 99);

    console.log(`\nHostile documents (${DB}${Object.keys(malloc).length ? `, ${Object.entries(malloc).map(([k, v]) => `${k}=${v}`).join(' ')}` : ''}), one at a time, while a client polls GET /healthz; reference: the same client at idle (${idle.latencies.length} requests in 3 s)\n`);
    console.log('| document | size | outcome | upload answered / settled (ms) | /healthz requests | p99 (ms) | max (ms) | p99 / idle p99 | gateway event-loop delay, max (ms) | RSS peak over idle (MB) |');
    console.log('|---|---:|---|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of rows) console.log(r);
    console.log(`\n| figure | value | reference | ratio | target |`);
    console.log('|---|---:|---:|---:|---|');
    console.log(`| /healthz p99 during ingestion (ms) | ${allP99.toFixed(1)} | ${idleP99.toFixed(1)} idle | ${(allP99 / idleP99).toFixed(2)} | ≤ 2x idle and ≤ 250 ms |`);
    console.log(`| /healthz p50 during ingestion (ms) | ${percentile(during, 50).toFixed(1)} | ${percentile(idle.latencies, 50).toFixed(1)} idle | ${(percentile(during, 50) / percentile(idle.latencies, 50)).toFixed(2)} | |`);
    console.log(`| /healthz slowest answer (ms) | ${Math.max(...during).toFixed(1)} | ${Math.max(...idle.latencies).toFixed(1)} idle | | |`);
    console.log(`| the gateway's event-loop delay, max (ms) | ${loopMax.toFixed(0)} | | | |`);
    console.log(`| resident memory, peak over idle (MB) | ${((rssPeak - rssIdle) / 2 ** 20).toFixed(0)} | ${(rssIdle / 2 ** 20).toFixed(0)} idle | | ≤ 100 MB |`);
    console.log(`| resident memory after, collected, over idle (MB) | ${((rssAfter - rssIdle) / 2 ** 20).toFixed(0)} | | | |`);
    printBreakdown(idleMemory, atPeak!, maxima!, afterMemory);
  } finally {
    await gw.stop();
    await db.drop();
    removeDir(dataDir);
  }
}

/** Megabytes; '–' for a figure not taken (NaN, which crosses IPC as null). */
const MB = (bytes: number | null) => (bytes === null || Number.isNaN(bytes) ? '–' : (bytes / 2 ** 20).toFixed(1));
const maxOf = (a: Breakdown, b: Breakdown) =>
  Object.fromEntries((Object.entries(a) as [keyof Breakdown, number | null][]).map(([k, v]) => [k, v === null || b[k] === null ? null : Math.max(v, b[k])])) as unknown as Breakdown;

/**
 * Where the gateway's resident memory is, sampled inside it every 50 ms: at idle, at its resident
 * peak during ingestion (each part at that instant), each part's own peak, and after (collected).
 * The worker threads are in the same process: their heaps count in its resident memory.
 */
function printBreakdown(idle: Breakdown, peak: Breakdown, max: Breakdown, after: Breakdown): void {
  const rows: [string, (b: Breakdown) => string][] = [
    ['resident (RSS)', (b) => MB(b.rss)],
    ['of which anonymous / file-backed', (b) => `${MB(b.rssAnon)} / ${MB(b.rssFile)}`],
    ['main thread: V8 heap used / reserved', (b) => `${MB(b.heapUsed)} / ${MB(b.heapTotal)}`],
    ['main thread: external (of which ArrayBuffers, Buffers)', (b) => `${MB(b.external)} (${MB(b.arrayBuffers)})`],
    ['main thread: V8 malloced', (b) => MB(b.malloced)],
    ['worker threads: count', (b) => String(b.threads)],
    ['worker threads: V8 heap used / reserved', (b) => `${MB(b.threadHeapUsed)} / ${MB(b.threadHeapTotal)}`],
    ['worker threads: external', (b) => MB(b.threadExternal)],
    ['the rest: code, stacks, native (SQLite, pg), malloc free lists', (b) => MB(b.other)],
    ['malloc heaps (main arena and the threads\' arenas), resident', (b) => MB(b.mallocHeaps)],
  ];
  console.log(`\nThe gateway's memory (MB), sampled inside it every 50 ms\n`);
  console.log('| part | idle | at the resident peak | each part\'s own peak | after, collected |');
  console.log('|---|---:|---:|---:|---:|');
  for (const [name, f] of rows) console.log(`| ${name} | ${f(idle)} | ${f(peak)} | ${f(max)} | ${f(after)} |`);
}

/** The fields of a knowledge document (and of an upload's refusal) this bench reads. */
interface DocumentAnswer {
  id: string;
  status: string;
  chunk_count?: number;
  error?: string | null;
  detail: { error: string; limit: string; max: number; found?: number };
}

async function upload(url: string, headers: Record<string, string>, name: string, type: string, data: Buffer | string): Promise<{ status: number; body: DocumentAnswer }> {
  const form = new FormData();
  form.append('file', new Blob([data], { type }), name);
  const res = await fetch(`${url}/api/knowledge/documents`, { method: 'POST', headers, body: form });
  return { status: res.status, body: (await res.json()) as DocumentAnswer };
}

/** Polls the document (or all documents) until nothing is processing; returns the document. */
async function settle(url: string, headers: Record<string, string>, id?: string): Promise<DocumentAnswer | DocumentAnswer[]> {
  for (;;) {
    const res = await fetch(`${url}/api/knowledge/documents${id ? `/${id}` : '?limit=100'}`, { headers });
    const body = (await res.json()) as DocumentAnswer | DocumentAnswer[];
    const docs = Array.isArray(body) ? body : [body];
    if (docs.every((d) => d.status !== 'processing')) return body;
    await new Promise((r) => setTimeout(r, 100));
  }
}
