import { resolver, service, type ModuleManifest } from '../manifest.js';
import { DocumentChunk } from './knowledge.entities.js';
import { KnowledgeDocument } from './knowledge.entities.js';
import { KnowledgeResolver } from './knowledge.resolver.js';
import { knowledgeRoutes } from './knowledge.rest.js';
import { knowledgeSearchSource } from './knowledge.search.js';
import { KnowledgeService } from './knowledge.service.js';

export { KnowledgeService };

declare module '../manifest.js' {
  interface ServiceMap {
    knowledge: KnowledgeService;
  }
}

export const knowledgeModule: ModuleManifest = {
  name: 'knowledge',
  entities: [KnowledgeDocument, DocumentChunk],
  services: [
    service('knowledge', ['search', 'ai', 'config', 'events'], ({ search, ai, config, events }) => {
      search.registerSource(knowledgeSearchSource);
      return new KnowledgeService(search, ai, config, events);
    }),
  ],
  resolvers: [resolver(KnowledgeResolver, (s) => new KnowledgeResolver(s.events, s.knowledge))],
  routes: knowledgeRoutes,
  // `node(id:)` for documents: those the caller may read, as `document(id:)`.
  nodes: ({ knowledge }) => [{ typename: 'Document', load: (ctx, ids) => knowledge.visible(ctx, ids) }],
};
