import type { ModuleManifest } from '../manifest.js';
import { DocumentChunk } from './document-chunk.entity.js';
import { KnowledgeDocument } from './document.entity.js';
import { KnowledgeResolver } from './knowledge.resolver.js';
import { knowledgeRoutes } from './knowledge.rest.js';

export const knowledgeModule: ModuleManifest = {
  name: 'knowledge',
  entities: [KnowledgeDocument, DocumentChunk],
  resolvers: [KnowledgeResolver],
  routes: knowledgeRoutes,
  // `node(id:)` for documents: those the caller may read, as `document(id:)`.
  nodes: [{ typename: 'Document', load: (ctx, ids) => ctx.services.knowledge.visible(ctx, ids) }],
};
