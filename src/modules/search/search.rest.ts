import { z } from 'zod';
import { defineRoute, type RestRoute } from '../../rest/route-table.js';
import type { ServiceMap } from '../manifest.js';
import { ContentKind } from './search.enums.js';
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
      created_at: z.iso.datetime(),
    }),
  ),
}).meta({ id: 'SearchResponse' });
const toSearch = (r: SearchResult): z.infer<typeof searchResponseSchema> => ({
  query: r.query,
  total: r.total,
  results: r.results.map((h) => ({ type: h.type, id: h.id, title: h.title, snippet: h.snippet, score: h.score, conversation_id: h.conversationId, created_at: h.createdAt.toISOString() })),
});
const tag = 'Conversations';

export const searchRoutes = (s: Pick<ServiceMap, 'search'>): RestRoute[] => [
  defineRoute({
    method: 'GET',
    path: '/api/core/search',
    operationId: 'search',
    summary: 'Full-text search over your messages and notes (transcripts and documents as they arrive)',
    description: 'q: words to find (all of them; the last may be a prefix). types: comma list of message, note, transcript, document.',
    tag,
    auth: 'conversations:read',
    query: searchSchema,
    handler: (ctx, { query }) => s.search.search(ctx, query),
    response: { status: 200, description: 'Ranked results with highlighted snippets', schema: searchResponseSchema, serialize: toSearch },
  }),
];
