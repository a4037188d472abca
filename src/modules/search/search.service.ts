import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import { z } from 'zod';
import { authorize } from '../../common/access.js';
import { systemClock, type Clock } from '../../common/clock.js';
import type { RequestContext } from '../../common/context.js';
import { keyOrganizationOf } from '../../common/principal.js';
import { pageSchema } from '../../common/pagination.js';
import type { Requirement } from '../../common/scopes.js';
import { clip, excerpt, highlightHtml as highlight, MARK_END, MARK_START } from '../../common/text.js';
import { toDate } from '../../common/time.js';
import { parseInput, str } from '../../common/validation.js';
import { offsetConnection, type ConnectionPage, type PageRequest } from '../../graphql/relay.js';
import type { Passage, SearchHit } from './search.types.js';
import { SearchEntry } from './search.entities.js';
import { ContentKind, type ContentKindValue, type SearchEngineValue } from './search.enums.js';

export const SEARCH_TYPES = ContentKind.values;

/**
 * What reading each kind of entry needs beyond the search itself (`conversations:read`): a
 * document's passages are the knowledge base's (`rag:read`, as `POST /api/knowledge/search`), a
 * transcript is a live session's (`live:read`). A bearer token reads every kind.
 */
const KIND_SCOPES: Record<ContentKindValue, Requirement> = { message: 'conversations:read', note: 'conversations:read', transcript: 'live:read', document: 'rag:read' };

/**
 * The kinds a search may return to this caller: the ones asked for, each of which the caller's
 * credentials must cover (INSUFFICIENT_API_KEY_SCOPE otherwise), or when none is asked for,
 * every kind they cover (an API key without `rag:read` finds no document passage).
 */
function readableKinds(ctx: RequestContext, asked: readonly ContentKindValue[] | undefined): readonly ContentKindValue[] | undefined {
  if (asked?.length) {
    for (const kind of asked) authorize(ctx, KIND_SCOPES[kind]);
    return asked;
  }
  if (ctx.principal?.kind === 'user') return asked;
  return coveredKinds(ctx, SEARCH_TYPES);
}

/** Whether the caller's credentials cover `need` (a refusal is an answer here, not an error). */
function covers(ctx: RequestContext, need: Requirement): boolean {
  try {
    authorize(ctx, need);
    return true;
  } catch {
    return false;
  }
}

/** Of `kinds`, those the caller's credentials let it read. */
const coveredKinds = (ctx: RequestContext, kinds: readonly ContentKindValue[]): ContentKindValue[] => kinds.filter((kind) => covers(ctx, KIND_SCOPES[kind]));
export type SearchType = ContentKindValue;

const MAX_TERMS = 32;

/** Words too common to help the local provider find a passage. */
const STOPWORDS = new Set(
  'a an and are as at be but by can could did do does for from had has have how i if in into is it its me my no not of on or our so than that the their them then there these they this to was we were what when where which who why will with would you your about tell said say please find show'.split(
    ' ',
  ),
);

export const searchSchema = z.object({
  q: str().trim().min(1, 'must not be empty').max(1000, 'must be at most 1000 characters'),
  types: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .transform((v) => (v === undefined ? undefined : (Array.isArray(v) ? v : v.split(',')).map((t) => t.trim()).filter(Boolean)))
    .pipe(z.array(ContentKind.schema).optional()),
  conversationId: str().uuid('must be an id').optional(),
  from: z.coerce.date({ error: 'must be an ISO-8601 date-time' }).optional(),
  to: z.coerce.date({ error: 'must be an ISO-8601 date-time' }).optional(),
  ...pageSchema.shape,
});
export type SearchData = z.input<typeof searchSchema>;
/** What `search` filters on, without the page (GraphQL pages with cursors). */
export type SearchFilters = Omit<SearchData, 'limit' | 'offset'>;

/**
 * The columns of an entry in `search_entries` as `row` fills them, for a writer that inserts
 * entries without the ORM: document ingestion in a worker thread, on a connection of its own
 * (src/modules/knowledge/extract-worker.ts). `created_at`: milliseconds on SQLite, as the ORM stores it.
 */
export const SEARCH_ENTRY_COLUMNS = ['id', 'user_id', 'type', 'source_id', 'conversation_id', 'role', 'document_id', 'organization_id', 'title', 'body', 'created_at'] as const;

/** What the index keeps of one item. */
export interface IndexEntry {
  userId: string;
  type: SearchType;
  sourceId: string;
  conversationId?: string | null;
  documentId?: string | null;
  organizationId?: string | null;
  role?: string | null;
  title: string;
  body: string;
  createdAt?: Date;
}

/**
 * A module whose content is searchable: the kinds it indexes, and every entry it has now, in
 * batches, for a rebuild. Modules register theirs with the search service when composed.
 */
export interface SearchSource {
  readonly types: readonly SearchType[];
  entries(em: EntityManager): AsyncIterable<readonly IndexEntry[]>;
  /** Which of these items of `type` still exist (the rebuild asks inside each batch's transaction, after reading the batch). */
  existing(em: EntityManager, type: SearchType, sourceIds: readonly string[]): Promise<ReadonlySet<string>>;
}

export interface SearchResult {
  query: string;
  total: number;
  results: SearchHit[];
}

/** The words of a question worth searching for: no stopwords, no single letters. */
export const keywords = (question: string): string[] => terms(question).filter((w) => !STOPWORDS.has(w) && (w.length > 1 || /\p{N}/u.test(w)));

/** The words of a query: letters and digits only, so no query syntax ever reaches the engine. */
export function terms(query: string): string[] {
  const words = query.normalize('NFKC').toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return [...new Set(words)].slice(0, MAX_TERMS);
}

const plain = (raw: string): string => raw.replaceAll(MARK_START, '').replaceAll(MARK_END, '');

/** all: every word, the last as a prefix (search as you type); exact: every word as is; any: one of them. */
type Mode = 'all' | 'exact' | 'any';

interface Row {
  document_id: string | null;
  organization_id: string | null;
  body: string;
  total: number | string | null;
  id: string;
  type: SearchType;
  source_id: string;
  conversation_id: string | null;
  title: string;
  created_at: number | string | Date;
  score: number | string;
  snippet: string;
}

export interface Filter {
  userId: string;
  /** Also what is shared with these organizations (documents). */
  orgIds?: readonly string[] | undefined;
  /**
   * The caller is an API key of this organization: acting inside it, it finds the user's own
   * documents only when private or shared with it, not those shared with another organization.
   */
  keyOrganizationId?: string | null | undefined;
  documentIds?: readonly string[] | undefined;
  organizationId?: string | undefined;
  /** Leave out assistant replies. */
  excludeReplies?: boolean;
  types?: readonly string[] | undefined;
  conversationId?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
}

/**
 * Full-text search over one user's content, and the index writes the content services make
 * inside their own transactions. SQLite: FTS5 with bm25 and snippet(); PostgreSQL: tsvector
 * with ts_rank_cd and ts_headline. The owner filter is part of the matching query itself,
 * so ranking only ever sees the caller's rows.
 */
export class SearchService {
  private readonly sources: SearchSource[] = [];

  constructor(
    private readonly driver: 'sqlite' | 'postgresql',
    private readonly clock: Clock = systemClock,
  ) {}

  /** The full-text engine this database gives. */
  get engine(): SearchEngineValue {
    return this.driver === 'sqlite' ? 'sqlite-fts5' : 'postgresql-tsvector';
  }

  /** Adds a module's content to what `rebuild` writes again. */
  registerSource(source: SearchSource): void {
    this.sources.push(source);
  }

  /** Adds or replaces the entry of one item, in `em`'s transaction. */
  async index(em: EntityManager, entry: IndexEntry): Promise<void> {
    await em.nativeDelete(SearchEntry, { type: entry.type, sourceId: entry.sourceId });
    this.add(em, entry);
  }

  /**
   * Adds the entry of an item that has none yet (one just created), written at `em`'s next
   * flush: no statement to remove an entry that cannot exist.
   */
  add(em: EntityManager, entry: IndexEntry): void {
    em.create(SearchEntry, this.row(entry));
  }

  /**
   * Adds the entries of items that have none yet (a document's new passages) in one
   * statement, in `em`'s transaction: no entity is made for them, which for thousands of
   * passages is most of the work.
   */
  async addMany(em: EntityManager, entries: readonly IndexEntry[]): Promise<void> {
    if (entries.length) await em.insertMany(SearchEntry, entries.map((e) => ({ id: randomUUID(), ...this.row(e) })));
  }

  private row(entry: IndexEntry) {
    return {
      user: entry.userId,
      type: entry.type,
      sourceId: entry.sourceId,
      conversationId: entry.conversationId ?? null,
      role: entry.role ?? null,
      documentId: entry.documentId ?? null,
      organizationId: entry.organizationId ?? null,
      title: clip(entry.title, 300),
      body: entry.body,
      createdAt: entry.createdAt ?? new Date(this.clock.now()),
      indexedAt: new Date(this.clock.now()),
    };
  }

  /** Removes entries: of items, of a conversation's messages, or of documents' passages; in `em`'s transaction. */
  async remove(em: EntityManager, where: { type?: SearchType; sourceIds?: string[]; conversationId?: string; documentIds?: string[] }): Promise<void> {
    if (!where.type && !where.sourceIds && !where.conversationId && !where.documentIds) throw new Error('search.remove needs a filter');
    await em.nativeDelete(SearchEntry, {
      ...(where.type ? { type: where.type } : {}),
      ...(where.sourceIds ? { sourceId: { $in: where.sourceIds } } : {}),
      ...(where.conversationId ? { conversationId: where.conversationId } : {}),
      ...(where.documentIds ? { documentId: { $in: where.documentIds } } : {}),
    });
  }

  /** A conversation was renamed: its messages' entries take the new title, in `em`'s transaction. */
  async retitleConversation(em: EntityManager, conversationId: string, title: string): Promise<void> {
    await em.nativeUpdate(SearchEntry, { conversationId }, { title: clip(title, 300) });
  }

  /** Items were renamed: their entries take the new titles, in `em`'s transaction. */
  async retitle(em: EntityManager, items: readonly { type: SearchType; sourceId: string; title: string }[]): Promise<void> {
    for (const item of items) await em.nativeUpdate(SearchEntry, { type: item.type, sourceId: item.sourceId }, { title: clip(item.title, 300) });
  }

  /** A document's passages are shared with an organization (null: private again), in `em`'s transaction. */
  async share(em: EntityManager, documentId: string, organizationId: string | null): Promise<void> {
    await em.nativeUpdate(SearchEntry, { documentId }, { organizationId });
  }

  /**
   * Writes every entry again from the content itself, every kind from the module that owns it,
   * while the index stays searchable (the one rebuild: the `search.reindex` job runs it, and
   * `npm run search:rebuild` in its own process): every item's entry is replaced by a fresh one
   * in a short transaction of its batch (an item is never without its entry), then entries
   * written before `since` and not again (their item is gone) are removed, then the full-text
   * index is compacted. Writes by the content services meanwhile stand: in each batch's
   * transaction an item deleted since the batch was read is left out (its source says it no
   * longer exists), and one whose entry a service wrote since then keeps that entry (it is newer
   * than what the batch read). Answers how many entries were written.
   * @throws when a kind of content has no registered source (its entries would be lost), or when `signal` aborts
   */
  async rebuild(em: EntityManager, since: Date = new Date(this.clock.now()), signal?: AbortSignal): Promise<number> {
    const missing = SEARCH_TYPES.filter((t) => !this.sources.some((s) => s.types.includes(t)));
    if (missing.length) throw new Error(`no search source registered for ${missing.join(', ')}`);
    let count = 0;
    for (const source of this.sources) {
      const batches = source.entries(em)[Symbol.asyncIterator]();
      for (;;) {
        // (An entry written after this instant was written after the batch's read began. One written
        // within the same millisecond counts as before it: a clock that stands still, as tests' do,
        // must not keep a rebuild from writing.)
        const readAt = new Date(this.clock.now());
        const next = await batches.next();
        if (next.done) break;
        const batch = next.value;
        signal?.throwIfAborted();
        if (!batch.length) continue;
        count += await em.transactional(async (tx) => {
          const byType = new Map<SearchType, string[]>();
          for (const e of batch) byType.set(e.type, [...(byType.get(e.type) ?? []), e.sourceId]);
          const keep = new Set<string>();
          for (const [type, ids] of byType) {
            const existing = await source.existing(tx, type, ids);
            const fresher = new Set((await tx.find(SearchEntry, { type, sourceId: { $in: ids }, indexedAt: { $gt: readAt } }, { fields: ['sourceId'] })).map((x) => x.sourceId));
            const write = ids.filter((id) => existing.has(id) && !fresher.has(id));
            if (!write.length) continue;
            await tx.nativeDelete(SearchEntry, { type, sourceId: { $in: write } });
            for (const id of write) keep.add(`${type}:${id}`);
          }
          const written = batch.filter((e) => keep.has(`${e.type}:${e.sourceId}`));
          await this.addMany(tx, written);
          return written.length;
        });
      }
    }
    await em.nativeDelete(SearchEntry, { $or: [{ indexedAt: null }, { indexedAt: { $lt: since } }] });
    if (this.driver === 'sqlite') await em.getConnection().execute(`insert into search_fts(search_fts) values ('optimize')`);
    return count;
  }

  /** Entries by kind of content. */
  async counts(em: EntityManager): Promise<Record<SearchType, number>> {
    const rows = (await em.getConnection().execute('select type, count(*) as n from search_entries group by type')) as { type: string; n: number | string }[];
    const out = Object.fromEntries(SEARCH_TYPES.map((t) => [t, 0])) as Record<SearchType, number>;
    for (const r of rows) if ((SEARCH_TYPES as readonly string[]).includes(r.type)) out[r.type as SearchType] = Number(r.n);
    return out;
  }

  /**
   * Searches the caller's own content: ranked, with highlighted snippets, filtered and paginated.
   * Text without a single word (only punctuation, emoji, query syntax) finds nothing.
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE, validation_error
   */
  async search(ctx: RequestContext, data: SearchData, need: Requirement = 'conversations:read'): Promise<SearchResult> {
    const p = authorize(ctx, need);
    const input = parseInput(searchSchema, data);
    const types = readableKinds(ctx, input.types);
    const words = terms(input.q);
    if (!words.length) return { query: input.q, total: 0, results: [] };
    const filter: Filter = { userId: p.userId, keyOrganizationId: keyOrganizationOf(p), types, conversationId: input.conversationId, from: input.from, to: input.to };
    const rows = await this.query(ctx.em, words, 'all', filter, input.limit, input.offset, 16);
    const carried = rows[0]?.total;
    // Past the last page no row carries the total, and SQLite never does: count apart then.
    const total = carried !== null && carried !== undefined ? Number(carried) : rows.length || input.offset > 0 ? await this.count(ctx.em, words, 'all', filter) : 0;
    return { query: input.q, total, results: rows.map((r) => this.hit(r, highlight)) };
  }

  /**
   * One page of `search` for GraphQL, best match first. The cursor is an opaque offset into
   * the ranking rather than a keyset on (rank, id): a rank is no stable sort key (bm25 and
   * ts_rank_cd depend on the statistics of the whole index, so any write moves every score,
   * and a keyset on a score would skip or repeat matches arbitrarily), while an offset moves
   * by exactly the better matches written since, and pages backward as easily as forward.
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE, validation_error
   */
  async searchConnection(ctx: RequestContext, data: SearchFilters, request: PageRequest): Promise<ConnectionPage<SearchHit>> {
    const p = authorize(ctx, 'conversations:read');
    const input = parseInput(searchSchema, data);
    const types = readableKinds(ctx, input.types);
    const words = terms(input.q);
    const filter: Filter = { userId: p.userId, keyOrganizationId: keyOrganizationOf(p), types, conversationId: input.conversationId, from: input.from, to: input.to };
    return offsetConnection(
      request,
      async (offset, limit) => {
        if (!words.length) return { items: [], total: 0 };
        const rows = await this.query(ctx.em, words, 'all', filter, limit, offset, 16);
        const carried = rows[0]?.total;
        return { items: rows.map((r) => this.hit(r, highlight)), total: carried === null || carried === undefined ? null : Number(carried) };
      },
      () => (words.length ? this.count(ctx.em, words, 'all', filter) : Promise.resolve(0)),
    );
  }

  /**
   * The passages of the caller's content that best match a question, any word counting:
   * what the local provider quotes and what grounds the other providers.
   */
  async retrieve(ctx: RequestContext, question: string, limit = 5, types?: readonly SearchType[], orgIds?: readonly string[]): Promise<Passage[]> {
    if (!ctx.principal) return [];
    const words = keywords(question);
    if (!words.length) return [];
    const p = ctx.principal;
    // What is quoted is read: an API key (a chat turn needs only conversations:write, the live
    // socket live:write) gets the passages a search would find for it, and no others.
    const kinds = p.kind === 'user' ? types : covers(ctx, 'conversations:read') ? coveredKinds(ctx, types ?? SEARCH_TYPES) : [];
    if (p.kind !== 'user' && !kinds?.length) return [];
    const rows = await this.query(ctx.em, words, 'any', { userId: p.userId, keyOrganizationId: keyOrganizationOf(p), orgIds, types: kinds, excludeReplies: true }, limit, 0, 40);
    return rows.map((r) => {
      const hit = this.hit(r, plain);
      // The quoted text is the item itself (cut at a word), the same on both databases.
      return { type: hit.type, id: hit.id, title: hit.title, snippet: highlight(r.snippet), text: excerpt(r.body, 400), conversationId: hit.conversationId, createdAt: hit.createdAt };
    });
  }

  /**
   * Ranked matches for `words` under `filter`, for other services (the knowledge base):
   * `all` and `exact` need every word (`all` takes the last as a prefix), `any` one of them.
   */
  async find(em: EntityManager, words: string[], mode: Mode, filter: Filter, limit: number, offset = 0): Promise<{ hit: SearchHit; text: string }[]> {
    if (!words.length) return [];
    const rows = await this.query(em, words, mode, filter, limit, offset, 24);
    return rows.map((r) => ({ hit: this.hit(r, highlight), text: r.body }));
  }

  /** Regenerates the full-text index from the entries table (after a restore, or to compact it). */
  async rebuildIndex(em: EntityManager): Promise<void> {
    if (this.driver === 'sqlite') await em.getConnection().execute(`insert into search_fts(search_fts) values ('rebuild')`);
    else await em.getConnection().execute('reindex index search_entries_tsv_index');
  }

  private hit(r: Row, render: (s: string) => string): SearchHit {
    return {
      type: r.type,
      id: r.source_id,
      documentId: r.document_id ?? null,
      organizationId: r.organization_id ?? null,
      title: r.title,
      snippet: render(r.snippet ?? ''),
      score: Number(Number(r.score).toPrecision(6)),
      conversationId: r.conversation_id,
      createdAt: toDate(r.created_at),
    };
  }

  private where(filter: Filter, alias: string): { sql: string; params: unknown[] } {
    const parts: string[] = [];
    const params: unknown[] = [];
    let own = `${alias}.user_id = ?`;
    params.push(filter.userId);
    if (filter.keyOrganizationId) {
      own = `(${own} and (${alias}.type <> 'document' or ${alias}.organization_id is null or ${alias}.organization_id = ?))`;
      params.push(filter.keyOrganizationId);
    }
    if (filter.orgIds?.length) {
      parts.push(`(${own} or (${alias}.type = 'document' and ${alias}.organization_id in (${filter.orgIds.map(() => '?').join(', ')})))`);
      params.push(...filter.orgIds);
    } else {
      parts.push(own);
    }
    if (filter.documentIds?.length) {
      parts.push(`${alias}.document_id in (${filter.documentIds.map(() => '?').join(', ')})`);
      params.push(...filter.documentIds);
    }
    if (filter.organizationId) {
      parts.push(`${alias}.organization_id = ?`);
      params.push(filter.organizationId);
    }
    if (filter.types?.length) {
      parts.push(`${alias}.type in (${filter.types.map(() => '?').join(', ')})`);
      params.push(...filter.types);
    }
    if (filter.excludeReplies) parts.push(`(${alias}.role is null or ${alias}.role <> 'assistant')`);
    if (filter.conversationId) {
      parts.push(`${alias}.conversation_id = ?`);
      params.push(filter.conversationId);
    }
    const when = (d: Date) => (this.driver === 'sqlite' ? d.getTime() : d);
    if (filter.from) {
      parts.push(`${alias}.created_at >= ?`);
      params.push(when(filter.from));
    }
    if (filter.to) {
      parts.push(`${alias}.created_at < ?`);
      params.push(when(filter.to));
    }
    return { sql: parts.join(' and '), params };
  }

  /**
   * FTS5: every word quoted (so nothing is syntax); `all` ANDs them, the last as a prefix
   * (search as you type) once it has three characters: shorter prefixes match too much to help.
   */
  private ftsQuery(words: string[], mode: Mode): string {
    const quoted = words.map((w) => `"${w.replaceAll('"', '""')}"`);
    if (mode === 'any') return quoted.join(' OR ');
    if (mode === 'all' && words[words.length - 1]!.length >= 3) quoted[quoted.length - 1] += '*';
    return quoted.join(' ');
  }

  /** tsquery from words that hold only letters and digits: safe to splice into to_tsquery. */
  private tsQuery(words: string[], mode: Mode): string {
    if (mode === 'any') return words.join(' | ');
    return words.map((w, i) => (mode === 'all' && i === words.length - 1 && w.length >= 3 ? `${w}:*` : w)).join(' & ');
  }

  /**
   * One page of matches. PostgreSQL makes snippets only for the rows of the page and returns
   * the total from the same pass (a window count); SQLite's sorter makes snippets only for
   * the rows it returns, and FTS5 cannot rank inside a window query, so it counts apart.
   */
  private async query(em: EntityManager, words: string[], mode: Mode, filter: Filter, limit: number, offset: number, snippetWords: number): Promise<Row[]> {
    const conn = em.getConnection();
    const w = this.where(filter, 'e');
    if (this.driver === 'sqlite') {
      const match = this.ftsQuery(words, mode);
      return (await conn.execute(
        `select e.id, e.type, e.source_id, e.conversation_id, e.document_id, e.organization_id, e.title, e.created_at, e.body, null as total,
                -bm25(search_fts, 4.0, 1.0) as score,
                snippet(search_fts, 1, char(2), char(3), '…', ?) as snippet
           from search_fts join search_entries e on e.rowid = search_fts.rowid
          where search_fts match ? and ${w.sql}
          order by bm25(search_fts, 4.0, 1.0), e.created_at desc, e.id
          limit ? offset ?`,
        [snippetWords, match, ...w.params, limit, offset],
      )) as Row[];
    }
    const tsq = this.tsQuery(words, mode);
    const options = `StartSel=${MARK_START}, StopSel=${MARK_END}, MaxWords=${snippetWords}, MinWords=${Math.min(8, snippetWords)}, MaxFragments=2, FragmentDelimiter=" … "`;
    return (await conn.execute(
      `select e.id, e.type, e.source_id, e.conversation_id, e.document_id, e.organization_id, e.title, e.created_at, e.body, top.score, top.total,
              ts_headline('simple', e.body, to_tsquery('simple', ?), ?) as snippet
         from (select e.id, ts_rank_cd(e.tsv, to_tsquery('simple', ?)) as score, e.created_at, count(*) over () as total
                 from search_entries e
                where e.tsv @@ to_tsquery('simple', ?) and ${w.sql}
                order by score desc, e.created_at desc, e.id
                limit ? offset ?) top
         join search_entries e on e.id = top.id
        order by top.score desc, top.created_at desc, top.id`,
      [tsq, options, tsq, tsq, ...w.params, limit, offset],
    )) as Row[];
  }

  private async count(em: EntityManager, words: string[], mode: Mode, filter: Filter): Promise<number> {
    const conn = em.getConnection();
    const w = this.where(filter, 'e');
    const rows = (
      this.driver === 'sqlite'
        ? await conn.execute(
            `select count(*) as n from search_fts join search_entries e on e.rowid = search_fts.rowid where search_fts match ? and ${w.sql}`,
            [this.ftsQuery(words, mode), ...w.params],
          )
        : await conn.execute(`select count(*) as n from search_entries e where e.tsv @@ to_tsquery('simple', ?) and ${w.sql}`, [
            this.tsQuery(words, mode),
            ...w.params,
          ])
    ) as { n: number | string }[];
    return Number(rows[0]?.n ?? 0);
  }
}
