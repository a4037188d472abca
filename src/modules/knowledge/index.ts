import { resolver, service, type ModuleManifest } from '../manifest.js';
import { DocumentChunk } from './knowledge.entities.js';
import { KnowledgeDocument } from './knowledge.entities.js';
import { KnowledgeHitResolver, KnowledgeResolver, RagCitationResolver, SearchHitDocumentResolver } from './knowledge.resolver.js';
import { knowledgeRoutes } from './knowledge.rest.js';
import { knowledgeSearchSource } from './knowledge.search.js';
import { KnowledgeService } from './knowledge.service.js';
import { DocumentReaders } from './extract-worker.js';
import { LocalFileStore, type BlobStore } from '../../storage/file-store.js';
import { S3FileStore } from '../../storage/s3-store.js';

export { KnowledgeDocument, KnowledgeService };
export { documentRef } from './knowledge.resolver.js';

declare module '../manifest.js' {
  interface ServiceMap {
    knowledge: KnowledgeService;
    /** Where uploads are kept, content-addressed (DATA_DIR/uploads, or an S3-compatible bucket). */
    uploads: BlobStore;
    /** The worker-thread pool that reads documents (extraction, chunking) off the event loop. */
    documentReaders: DocumentReaders;
  }
}

export const knowledgeModule: ModuleManifest = {
  name: 'knowledge',
  entities: [KnowledgeDocument, DocumentChunk],
  services: [
    // An S3-compatible bucket when S3_BUCKET is set, else DATA_DIR/uploads.
    service('uploads', ['config', 'clock'], ({ config, clock }) => (config.storage.s3 ? new S3FileStore(config.storage.s3, { clock }) : new LocalFileStore(config.storage.dir))),
    service('documentReaders', ['config'], ({ config }) => new DocumentReaders(config.jobs.workerThreads, { driver: config.db.driver, url: config.db.url, busyTimeoutMs: config.db.sqliteBusyTimeoutMs }, config.jobs.workerHeapMb, config.jobs.workerNice)),
    service('knowledge', ['search', 'ai', 'config', 'events', 'jobs', 'uploads', 'documentReaders', 'organizations', 'log', 'rateLimits'], ({ search, ai, config, events, jobs, uploads, documentReaders, organizations, log, rateLimits }) => {
      search.registerSource(knowledgeSearchSource);
      const knowledge = new KnowledgeService(search, ai, config, events, { jobs, store: uploads, readers: documentReaders, log, rateLimits });
      // An organization's documents go with it.
      organizations.onDelete((em, organizationId) => knowledge.removeOrganizationDocuments(em, organizationId));
      return knowledge;
    }),
  ],
  resolvers: [
    resolver(KnowledgeResolver, (s) => new KnowledgeResolver(s.events, s.knowledge, s.organizations)),
    resolver(KnowledgeHitResolver, (s) => new KnowledgeHitResolver(s.knowledge)),
    resolver(RagCitationResolver, (s) => new RagCitationResolver(s.knowledge)),
    resolver(SearchHitDocumentResolver, (s) => new SearchHitDocumentResolver(s.knowledge)),
  ],
  routes: knowledgeRoutes,
  // `node(id:)` for documents: those the caller may read, as `document(id:)`.
  nodes: ({ knowledge }) => [{ typename: 'Document', load: (ctx, ids) => knowledge.visible(ctx, ids) }],
};
