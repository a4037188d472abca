import { z } from 'zod';
import { defineRoute, type RestRoute } from '../../rest/route-table.js';
import type { ServiceMap } from '../manifest.js';
import type { SearchStatus } from './search-maintenance.service.js';
import { ContentKind, SearchEngine, SearchReindexStatus } from './search.enums.js';
import { searchSchema, type SearchResult } from './search.service.js';

const searchResponseSchema = z.object({
  query: z.string(),
  total: z.number().int(),
  results: z.array(
    z.object({
      type: ContentKind.schema,
      id: z.string(),
      title: z.string(),
      snippet: z.string(),
      score: z.number(),
      conversation_id: z.string().nullable(),
      document_id: z.string().nullable().describe('For a document passage (whose `id` is the passage\'s): the document, as `/api/knowledge/documents/{id}` knows it; null otherwise.'),
      created_at: z.iso.datetime(),
    }),
  ),
}).meta({ id: 'SearchResponse' });
const toSearch = (r: SearchResult): z.infer<typeof searchResponseSchema> => ({
  query: r.query,
  total: r.total,
  results: r.results.map((h) => ({ type: h.type, id: h.id, title: h.title, snippet: h.snippet, score: h.score, conversation_id: h.conversationId, document_id: h.documentId, created_at: h.createdAt.toISOString() })),
});
const tag = 'Conversations';

const statusSchema = z.object({
  engine: SearchEngine.schema.describe("The full-text engine: the database's own."),
  entries: z.object({ message: z.number().int(), note: z.number().int(), transcript: z.number().int(), document: z.number().int() }),
  vector_lane: z.object({ enabled: z.boolean(), model: z.string().nullable() }).describe('Knowledge passages also get embeddings when EMBEDDINGS_BASE_URL is set.'),
  pending_jobs: z.number().int().describe('Background jobs still to run (pending or running), which may write to the index.'),
  last_reindex: z.object({ started_at: z.iso.datetime().nullable(), finished_at: z.iso.datetime().nullable(), status: SearchReindexStatus.schema }).nullable(),
});
const toStatus = (r: SearchStatus): z.infer<typeof statusSchema> => ({
  engine: r.engine,
  entries: r.entries,
  vector_lane: r.vectorLane,
  pending_jobs: r.pendingJobs,
  last_reindex: r.lastReindex ? { started_at: r.lastReindex.startedAt?.toISOString() ?? null, finished_at: r.lastReindex.finishedAt?.toISOString() ?? null, status: r.lastReindex.status } : null,
});
const ADMINS_ONLY = 'Platform administrators only (a user whose platform_role is admin, granted by the operator with `npm run admin -- grant EMAIL`); anyone else gets 404.';

export const searchRoutes = (s: Pick<ServiceMap, 'search' | 'searchMaintenance'>): RestRoute[] => [
  defineRoute({
    method: 'GET',
    path: '/api/core/search',
    operationId: 'search',
    summary: 'Full-text search over your messages and notes (transcripts and documents as they arrive)',
    description: 'q: words to find (all of them; the last may be a prefix). types: comma list of message, note, transcript, document. An API key finds only the kinds its scopes cover: document passages need rag:read, transcripts live:read (asking for a kind it lacks answers 403).',
    tag,
    auth: 'conversations:read',
    query: searchSchema,
    handler: (ctx, { query }) => s.search.search(ctx, query),
    response: { status: 200, description: 'Ranked results with highlighted snippets', schema: searchResponseSchema, serialize: toSearch },
  }),
  defineRoute({
    method: 'GET',
    path: '/api/core/search/status',
    operationId: 'searchStatus',
    summary: 'The search index: entries by kind, the vector lane, pending jobs, the last reindex',
    description: ADMINS_ONLY,
    tag,
    auth: 'optional',
    handler: (ctx) => s.searchMaintenance.status(ctx),
    response: { status: 200, description: 'Status', schema: statusSchema, serialize: toStatus },
    errors: ['not_found'],
  }),
  defineRoute({
    method: 'POST',
    path: '/api/core/search/reindex',
    operationId: 'reindexSearch',
    summary: 'Rebuild the search index in the background (searchable throughout)',
    description: `${ADMINS_ONLY} A reindex already queued or running is answered instead of a second one.`,
    tag,
    auth: 'optional',
    handler: (ctx) => s.searchMaintenance.reindex(ctx),
    response: { status: 202, description: 'Accepted', schema: z.object({ job_id: z.string(), status: z.enum(['queued', 'running', 'succeeded', 'failed']) }), serialize: (r) => ({ job_id: r.jobId, status: r.status }) },
    errors: ['not_found'],
  }),
];
