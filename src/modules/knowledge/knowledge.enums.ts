import { defineEnum, type ValueOf } from '../../graphql/enums.js';

/** Where a document is in its ingestion. */
export const DocumentStatus = defineEnum('DocumentStatus', 'Where a document is in its ingestion (text extraction, chunking, indexing), which runs in the background after the upload.', {
  processing: 'Uploaded; extraction and indexing are under way. Ask for the document again to see it change.',
  ready: 'Indexed: searchable, and citable in grounded answers.',
  failed: 'Ingestion failed; `error` says why and nothing was indexed. Upload it again.',
});
export type DocumentStatusValue = ValueOf<typeof DocumentStatus>;

/** Who may read a document. */
export const DocumentVisibility = defineEnum(
  'DocumentVisibility',
  'Who may read a document.',
  {
    private: 'Only the uploader.',
    organization: 'Every member of the organization it is shared with (`organizationId`); its admins may rename or delete it; only the uploader changes where it is shared.',
  },
  { message: 'must be private or organization' },
);
export type DocumentVisibilityValue = ValueOf<typeof DocumentVisibility>;

/** How a knowledge search ranked its results. */
export const KnowledgeSearchMode = defineEnum('KnowledgeSearchMode', 'How a knowledge search ranked its results.', {
  lexical: 'Full-text ranking only (no embeddings endpoint is configured).',
  hybrid: 'Full-text and vector similarity, fused by reciprocal rank.',
  'lexical (embeddings unavailable)': 'Full-text ranking only, because the configured embeddings endpoint failed for this query.',
});
export type KnowledgeSearchModeValue = ValueOf<typeof KnowledgeSearchMode>;
