import { randomUUID } from 'node:crypto';
import type { EntityManager as SqlEntityManager } from '@mikro-orm/sql';
import { sql, type ExpressionBuilder } from 'kysely';
import { createContext } from '../src/common/context.js';
import { DB, percentile, printTable, startGateway, userToken, type RawTables } from './lib.js';

const MESSAGES = Number(process.env.BENCH_SEARCH_MESSAGES ?? 100_000);
const QUERIES = 60;

/** A deterministic pseudo-random generator, so every run searches the same text. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** 4000 made-up words, drawn with a Zipf-like skew as natural text is. */
function vocabulary(rand: () => number): string[] {
  const syllables = ['ka', 'lo', 'mi', 'ne', 'ru', 'ta', 'shi', 'vo', 'pe', 'da', 'gri', 'zu', 'fa', 'no', 'che', 'bli', 'str', 'ow', 'ex', 'qua'];
  const words = new Set<string>();
  while (words.size < 4000) {
    const n = 2 + Math.floor(rand() * 3);
    words.add(Array.from({ length: n }, () => syllables[Math.floor(rand() * syllables.length)]).join(''));
  }
  return [...words];
}

/** Full-text search over MESSAGES stored messages against a LIKE scan of the same rows. */
export async function searchBench(): Promise<void> {
  const gw = await startGateway();
  try {
    const token = await userToken(gw.url, 'searcher');
    await userToken(gw.url, 'neighbour');
    const em = gw.app.orm.em.fork() as unknown as SqlEntityManager;
    // Seeding and the LIKE reference go straight to the database through Kysely (MikroORM's SQL layer).
    const db = em.getKysely<RawTables>();
    const [me, other] = (await db.selectFrom('users').select(['id', 'username']).orderBy('username', 'desc').execute()) as { id: string; username: string }[];
    const rand = rng(42);
    const words = vocabulary(rand);
    const pick = () => words[Math.min(words.length - 1, Math.floor(words.length * rand() ** 3))]!;
    const seeded = performance.now();
    const rows: Record<string, unknown>[] = [];
    const now = Date.now();
    for (let i = 0; i < MESSAGES + MESSAGES / 5; i++) {
      const body = Array.from({ length: 12 + Math.floor(rand() * 18) }, pick).join(' ');
      const at = new Date(now - i * 60_000);
      rows.push({
        id: randomUUID(),
        user_id: i < MESSAGES ? me!.id : other!.id,
        type: 'message',
        source_id: randomUUID(),
        conversation_id: null,
        role: 'user',
        title: `Conversation ${i % 500}`,
        body,
        created_at: DB === 'sqlite' ? at.getTime() : at,
      });
    }
    // SQLite caps the terms of one compound insert; PostgreSQL takes larger batches.
    const batch = DB === 'sqlite' ? 100 : 1000;
    for (let i = 0; i < rows.length; i += batch) await db.insertInto('search_entries').values(rows.slice(i, i + batch)).execute();
    if (DB === 'postgresql') await sql`analyze search_entries`.execute(db);
    const seedMs = performance.now() - seeded;

    // Mid-frequency words: common enough to match many messages, rare enough to mean something.
    const queries = Array.from({ length: QUERIES }, (_, i) => (i % 3 === 0 ? `${words[150 + i]} ${words[40 + i]}` : words[100 + i * 7]!));
    const root = gw.app.root;
    const ctx = createContext(root, { requestId: 'bench', transport: 'internal', principal: { kind: 'user', userId: me!.id, sessionId: 'bench' } });
    const fts: number[] = [];
    const like: number[] = [];
    const http: number[] = [];
    const graphql: number[] = [];
    const SEARCH = 'query Search($q: String!) { search(q: $q, first: 20) { edges { cursor node { sourceId title snippet score } } pageInfo { hasNextPage endCursor } } }';
    let matched = 0;
    for (const q of [...queries.slice(0, 5), ...queries]) {
      let t = performance.now();
      const res = await gw.app.services.search.search({ ...ctx, em: gw.app.orm.em.fork() }, { q, limit: 20 });
      fts.push(performance.now() - t);
      matched += res.total;
      const terms = q.split(' ');
      t = performance.now();
      const matches = (e: ExpressionBuilder<RawTables, 'search_entries'>) => e.and([e('user_id', '=', me!.id), ...terms.map((term) => e('body', 'like', `%${term}%`))]);
      await db.selectFrom('search_entries').select(['id', 'title', 'body', 'created_at']).where(matches).orderBy('created_at', 'desc').limit(20).execute();
      await db.selectFrom('search_entries').select((e) => e.fn.countAll().as('n')).where(matches).execute();
      like.push(performance.now() - t);
      t = performance.now();
      const r = await fetch(`${gw.url}/api/core/search?q=${encodeURIComponent(q)}&limit=20`, { headers: { authorization: `Bearer ${token}` } });
      if (!r.ok) throw new Error(`search failed: ${r.status}`);
      await r.json();
      http.push(performance.now() - t);
      t = performance.now();
      const g = await fetch(`${gw.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query: SEARCH, variables: { q } }) });
      const body = (await g.json()) as { errors?: unknown };
      if (!g.ok || body.errors) throw new Error(`GraphQL search failed: ${g.status} ${JSON.stringify(body).slice(0, 200)}`);
      graphql.push(performance.now() - t);
    }
    // The first five were warm-up.
    for (const list of [fts, like, http, graphql]) list.splice(0, 5);
    printTable(`Search over ${MESSAGES.toLocaleString('en')} messages of one user (+${(MESSAGES / 5).toLocaleString('en')} of another), ${QUERIES} queries; seeded in ${(seedMs / 1000).toFixed(1)} s; average ${(matched / (QUERIES + 5)).toFixed(0)} matches per query`, [
      { scenario: 'full-text search, p50 (ms)', figure: percentile(fts, 50).toFixed(2), reference: `LIKE scan ${percentile(like, 50).toFixed(2)}`, ratio: percentile(fts, 50) / percentile(like, 50) },
      { scenario: 'full-text search, p95 (ms)', figure: percentile(fts, 95).toFixed(2), reference: `LIKE scan ${percentile(like, 95).toFixed(2)}`, ratio: percentile(fts, 95) / percentile(like, 95), target: '<= 20 ms; ratio <= 0.05' },
      { scenario: 'GET /api/core/search over HTTP, p95 (ms)', figure: percentile(http, 95).toFixed(2), reference: `LIKE scan ${percentile(like, 95).toFixed(2)}`, ratio: percentile(http, 95) / percentile(like, 95) },
      { scenario: 'GraphQL `search` connection (first 20), p95 (ms)', figure: percentile(graphql, 95).toFixed(2), reference: `REST ${percentile(http, 95).toFixed(2)}`, ratio: percentile(graphql, 95) / percentile(http, 95) },
    ]);
  } finally {
    await gw.close();
  }
}
