import type { EntityManager as SqlEntityManager } from '@mikro-orm/sql';
import { sql, type ExpressionBuilder } from 'kysely';
import { DB, percentile, printTable, startGateway, userToken, type RawTables } from './lib.js';

const DOCS = Number(process.env.BENCH_KNOWLEDGE_DOCS ?? 1000);
const QUERIES = 60;

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** About 5 KB of Markdown: headings and paragraphs of made-up words with a natural skew. */
function markdown(rand: () => number, words: string[], n: number): string {
  const pick = () => words[Math.min(words.length - 1, Math.floor(words.length * rand() ** 3))]!;
  const sentence = () => `${Array.from({ length: 8 + Math.floor(rand() * 10) }, pick).join(' ')}.`;
  let out = `# Document ${n}\n\n`;
  while (out.length < 5000) {
    out += `## Section ${pick()}\n\n`;
    for (let p = 0; p < 3; p++) out += `${Array.from({ length: 3 + Math.floor(rand() * 3) }, sentence).join(' ')}\n\n`;
  }
  return out;
}

/** Ingestion throughput and chunk search latency, against plain writes and a LIKE scan in the same run. */
export async function knowledgeBench(): Promise<void> {
  const gw = await startGateway({ KNOWLEDGE_MAX_BYTES: String(1024 * 1024) });
  try {
    const token = await userToken(gw.url, 'librarian');
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    const rand = rng(7);
    const syllables = ['ka', 'lo', 'mi', 'ne', 'ru', 'ta', 'shi', 'vo', 'pe', 'da', 'gri', 'zu', 'fa', 'no', 'che', 'bli'];
    const vocab = [...new Set(Array.from({ length: 6000 }, () => Array.from({ length: 2 + Math.floor(rand() * 3) }, () => syllables[Math.floor(rand() * syllables.length)]).join('')))];
    const docs = Array.from({ length: DOCS }, (_, i) => markdown(rand, vocab, i));

    // Reference: the same texts stored as notes (one row and one index entry each, no extraction or chunking).
    let t = performance.now();
    for (let i = 0; i < Math.min(DOCS, 200); i++) {
      await fetch(`${gw.url}/api/core/notes`, { method: 'POST', headers, body: JSON.stringify({ title: `Note ${i}`, content: docs[i] }) });
    }
    const notesPerSec = Math.min(DOCS, 200) / ((performance.now() - t) / 1000);

    t = performance.now();
    // Uploads from 8 clients at once; ingestion runs in the background, one document at a time.
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < DOCS) {
          const i = next++;
          const res = await fetch(`${gw.url}/api/knowledge/documents`, { method: 'POST', headers, body: JSON.stringify({ title: `Doc ${i}.md`, content: docs[i] }) });
          if (res.status !== 201) throw new Error(`upload ${i}: ${res.status} ${await res.text()}`);
        }
      }),
    );
    const accepted = performance.now() - t;
    await gw.app.services.knowledge.drain();
    const ingestSec = (performance.now() - t) / 1000;
    // Checks and the LIKE reference go straight to the database through Kysely (MikroORM's SQL layer).
    const db = (gw.app.orm.em.fork() as unknown as SqlEntityManager).getKysely<RawTables>();
    const { n: chunks } = await db.selectFrom('document_chunks').select((e) => e.fn.countAll().as('n')).executeTakeFirstOrThrow();
    const { n: failed } = await db.selectFrom('documents').select((e) => e.fn.countAll().as('n')).where('status', '!=', 'ready').executeTakeFirstOrThrow();
    if (Number(failed)) throw new Error(`${failed} documents did not become ready`);
    // As autovacuum would soon after a bulk load: planner statistics for the new rows.
    if (DB === 'postgresql') for (const table of ['search_entries', 'document_chunks', 'documents']) await sql`analyze ${sql.table(table)}`.execute(db);

    const queries = Array.from({ length: QUERIES }, (_, i) => (i % 3 === 0 ? `${vocab[150 + i]} ${vocab[60 + i]}` : vocab[120 + i * 5]!));
    const fts: number[] = [];
    const like: number[] = [];
    for (const q of [...queries.slice(0, 5), ...queries]) {
      let s = performance.now();
      const r = await fetch(`${gw.url}/api/knowledge/search`, { method: 'POST', headers, body: JSON.stringify({ query: q, limit: 10 }) });
      if (!r.ok) throw new Error(`search: ${r.status}`);
      await r.json();
      fts.push(performance.now() - s);
      s = performance.now();
      // The same question by scanning: every chunk read, matches counted, a page returned.
      const matches = (e: ExpressionBuilder<RawTables, 'document_chunks'>) => e.and(q.split(' ').map((term) => e('text', 'like', `%${term}%`)));
      await db.selectFrom('document_chunks').select(['id', 'text']).where(matches).orderBy('position').limit(10).execute();
      await db.selectFrom('document_chunks').select((e) => e.fn.countAll().as('n')).where(matches).execute();
      like.push(performance.now() - s);
    }
    fts.splice(0, 5);
    like.splice(0, 5);
    printTable(`Knowledge base: ${DOCS} Markdown documents of about 5 KB (${Number(chunks)} chunks); ${QUERIES} searches over them`, [
      { scenario: 'ingestion (upload to indexed), documents/s', figure: (DOCS / ingestSec).toFixed(1), reference: `notes written ${notesPerSec.toFixed(1)}/s`, ratio: DOCS / ingestSec / notesPerSec },
      { scenario: 'uploads accepted, documents/s', figure: (DOCS / (accepted / 1000)).toFixed(1), reference: `notes written ${notesPerSec.toFixed(1)}/s`, ratio: DOCS / (accepted / 1000) / notesPerSec },
      { scenario: 'POST /api/knowledge/search p50 (ms)', figure: percentile(fts, 50).toFixed(2), reference: `LIKE scan ${percentile(like, 50).toFixed(2)}`, ratio: percentile(fts, 50) / percentile(like, 50) },
      { scenario: 'POST /api/knowledge/search p95 (ms)', figure: percentile(fts, 95).toFixed(2), reference: `LIKE scan ${percentile(like, 95).toFixed(2)}`, ratio: percentile(fts, 95) / percentile(like, 95), target: '<= 20 ms' },
    ]);
  } finally {
    await gw.close();
  }
}
