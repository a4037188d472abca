import { z } from 'zod';
import { pageSchema } from '../../common/pagination.js';
import { defineListRoute, defineRoute, type RestRoute } from '../../rest/route-table.js';
import { AiProvider } from '../ai/index.js';
import type { KnowledgeDocument } from './knowledge.entities.js';
import { DocumentStatus, DocumentVisibility, KnowledgeSearchMode } from './knowledge.enums.js';
import { knowledgeSearchSchema, ragSchema, updateDocumentSchema, uploadSchema } from './knowledge.types.js';
import type { ServiceMap } from '../manifest.js';

/** `DocumentResponse` of the contract. */
export const documentSchema = z.object({
  id: z.string(),
  title: z.string(),
  mime_type: z.string(),
  size_bytes: z.number().int(),
  visibility: DocumentVisibility.schema,
  organization_id: z.string().nullable(),
  status: DocumentStatus.schema,
  error: z.string().nullable(),
  chunk_count: z.number().int(),
  created_at: z.iso.datetime(),
}).meta({ id: 'DocumentResponse' });
export const toDocument = (d: KnowledgeDocument): z.infer<typeof documentSchema> => ({
  id: d.id,
  title: d.title,
  mime_type: d.mimeType,
  size_bytes: d.sizeBytes,
  visibility: d.visibility,
  organization_id: d.organization?.id ?? null,
  status: d.status,
  error: d.error,
  chunk_count: d.chunkCount,
  created_at: d.createdAt.toISOString(),
});

const searchResponseSchema = z.object({
  query: z.string(),
  mode: KnowledgeSearchMode.schema,
  results: z.array(z.object({ document_id: z.string(), chunk_id: z.string(), title: z.string(), snippet: z.string(), score: z.number(), visibility: DocumentVisibility.schema })),
}).meta({ id: 'KnowledgeSearchResponse' });

const ragResponseSchema = z.object({
  answer: z.string(),
  citations: z.array(z.object({ document_id: z.string(), title: z.string(), snippet: z.string() })),
  provider: AiProvider.schema,
  model: z.string(),
}).meta({ id: 'RagQueryResponse' });

const tag = 'Knowledge base';

const sharing = {
  visibility: DocumentVisibility.schema.optional().describe('private (default: you only) or organization (its members).'),
  organization_id: z.string().optional().describe('The organization to share it with (visibility organization).'),
};
/** The multipart upload as a client sends it (the door reads `file` into the service's `data`, `filename` and `mimeType`). */
const uploadFormSchema = z
  .object({ file: z.file().describe('The document: text, Markdown, HTML or PDF.'), title: z.string().max(300).optional().describe('A title (default: the file name).'), ...sharing })
  .meta({ id: 'DocumentUploadForm', description: 'A document uploaded as a file.' });
/** A text document sent as JSON. */
const uploadJsonSchema = z
  .object({ title: z.string().max(300).describe('The title.'), content: z.string().describe('The text of the document.'), ...sharing })
  .meta({ id: 'DocumentCreateRequest', description: 'A document sent as text.', examples: [{ title: 'Refund policy', content: 'Refunds are possible within 30 days…', visibility: 'private' }] });

export const knowledgeRoutes = (s: Pick<ServiceMap, 'knowledge'>): RestRoute[] => [
  defineRoute({
    method: 'POST',
    path: '/api/knowledge/search',
    operationId: 'knowledgeSearch',
    summary: 'Ranked chunks of the documents you may read',
    tag,
    auth: 'rag:read',
    body: { schema: knowledgeSearchSchema, required: true },
    handler: (ctx, { body }) => s.knowledge.searchChunks(ctx, body),
    response: {
      status: 200,
      description: 'Results',
      schema: searchResponseSchema,
      serialize: (r) => ({
        query: r.query,
        mode: r.mode,
        results: r.results.map((h) => ({ document_id: h.documentId, chunk_id: h.chunkId, title: h.title, snippet: h.snippet, score: h.score, visibility: h.visibility })),
      }),
    },
  }),
  defineListRoute({
    method: 'GET',
    path: '/api/knowledge/documents',
    operationId: 'listDocuments',
    summary: 'Documents you may read: yours and those shared with your organizations',
    tag,
    auth: 'rag:read',
    query: pageSchema.extend({ organizationId: z.string().optional() }),
    handler: (ctx, { query }) => s.knowledge.list(ctx, query),
    response: { status: 200, description: 'DocumentResponse[]', schema: documentSchema, serialize: toDocument },
  }),
  defineRoute({
    method: 'POST',
    path: '/api/knowledge/documents',
    operationId: 'uploadDocument',
    summary: 'Upload a document (text, Markdown, HTML, PDF)',
    description:
      'multipart/form-data with a `file` part (and title, visibility, organization_id fields), or JSON {title, content}. ' +
      'Answers 201 with status "processing"; extraction and indexing follow in the background (poll the document). ' +
      'Empty, truncated or mislabelled files answer 400 and nothing is stored; too large ones 413 (`payload_too_large` for the bytes sent, ' +
      '`document_too_large` for what it would become: extracted characters, PDF pages, a PDF\'s text per byte, HTML nesting, passages, ' +
      'or the bytes the user already keeps; `limit` names which).',
    tag,
    auth: 'rag:write',
    body: {
      schema: uploadSchema,
      required: true,
      contentTypes: ['multipart/form-data', 'application/json'],
      multipart: true,
      maxBytes: (c) => c.knowledge.maxBytes * 2 + 64 * 1024,
      description: 'A file as multipart/form-data, or a text as JSON.',
      documented: { 'multipart/form-data': uploadFormSchema, 'application/json': uploadJsonSchema },
    },
    handler: (ctx, { body }) => s.knowledge.upload(ctx, body),
    response: { status: 201, description: 'DocumentResponse', schema: documentSchema, serialize: toDocument },
    errors: ['payload_too_large', 'document_too_large', 'not_found'],
  }),
  defineRoute({
    method: 'GET',
    path: '/api/knowledge/documents/{document_id}',
    operationId: 'getDocument',
    summary: 'One document, with its processing status',
    tag,
    auth: 'rag:read',
    handler: (ctx, { params }) => s.knowledge.get(ctx, params.document_id!),
    response: { status: 200, description: 'DocumentResponse', schema: documentSchema, serialize: toDocument },
    errors: ['not_found'],
  }),
  defineRoute({
    method: 'GET',
    path: '/api/knowledge/documents/{document_id}/file',
    operationId: 'getDocumentFile',
    summary: 'The original file of a document, as uploaded',
    description: 'Whoever may read the document may download it (404 otherwise). Sent as an attachment with the media type the upload was recognised as. Documents uploaded before files were kept answer 404.',
    tag,
    auth: 'rag:read',
    handler: (ctx, { params }) => s.knowledge.file(ctx, params.document_id!),
    response: { status: 200, description: 'The file', file: (f) => ({ bytes: f.bytes, mimeType: f.mimeType, filename: f.title }) },
    errors: ['not_found'],
  }),
  defineRoute({
    method: 'PATCH',
    path: '/api/knowledge/documents/{document_id}',
    operationId: 'updateDocument',
    summary: 'Rename, share with an organization, or make private again',
    description: 'The uploader may rename, share or unshare it; an admin of the organization it is shared with may only rename it. Search follows at once.',
    tag,
    auth: 'rag:write',
    body: { schema: updateDocumentSchema, required: true },
    handler: (ctx, { params, body }) => s.knowledge.update(ctx, params.document_id!, body),
    response: { status: 200, description: 'DocumentResponse', schema: documentSchema, serialize: toDocument },
    errors: ['not_found', 'forbidden'],
  }),
  defineRoute({
    method: 'DELETE',
    path: '/api/knowledge/documents/{document_id}',
    operationId: 'deleteDocument',
    summary: 'Delete a document with its chunks',
    tag,
    auth: 'rag:write',
    handler: (ctx, { params }) => s.knowledge.delete(ctx, params.document_id!),
    response: { status: 204, description: 'Deleted' },
    errors: ['not_found', 'forbidden'],
  }),
  defineRoute({
    method: 'POST',
    path: '/api/rag/query',
    operationId: 'ragQuery',
    summary: 'A grounded answer from the knowledge base, with citations',
    description: 'When nothing relevant is found the answer says so instead of inventing one.',
    tag,
    auth: 'rag:read',
    rateLimits: ['chat'],
    body: { schema: ragSchema, required: true },
    handler: (ctx, { body }) => s.knowledge.ask(ctx, body),
    response: {
      status: 200,
      description: 'Answer',
      schema: ragResponseSchema,
      serialize: (r) => ({ answer: r.answer, citations: r.citations.map((c) => ({ document_id: c.documentId, title: c.title, snippet: c.snippet })), provider: r.provider, model: r.model }),
    },
    errors: ['upstream_unavailable'],
  }),
];
