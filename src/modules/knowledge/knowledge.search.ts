import type { EntityManager } from '@mikro-orm/core';
import type { IndexEntry, SearchSource } from '../search/index.js';
import { DocumentChunk } from './knowledge.entities.js';
import { KnowledgeDocument } from './knowledge.entities.js';

/** A passage's title: its document's, and its heading when it has one. */
export const passageTitle = (documentTitle: string, heading: string | null): string => (heading ? `${documentTitle} — ${heading}` : documentTitle);

/** Documents' passages (shared with the document's organization when it is), for the search index's rebuild. */
export const knowledgeSearchSource: SearchSource = {
  types: ['document'],
  async *entries(em: EntityManager): AsyncIterable<IndexEntry[]> {
    for (const d of await em.find(KnowledgeDocument, {}, { fields: ['owner', 'organization', 'visibility', 'title', 'createdAt'] })) {
      const organizationId = d.visibility === 'organization' ? (d.organization?.id ?? null) : null;
      const chunks = await em.find(DocumentChunk, { document: d.id }, { fields: ['heading', 'text'], orderBy: { position: 'asc' } });
      yield chunks.map((c) => ({ userId: d.owner.id, type: 'document', sourceId: c.id, documentId: d.id, organizationId, title: passageTitle(d.title, c.heading), body: c.text, createdAt: d.createdAt }));
    }
  },
  async existing(em: EntityManager, _type, ids): Promise<ReadonlySet<string>> {
    return new Set((await em.find(DocumentChunk, { id: { $in: [...ids] } }, { fields: ['id'] })).map((c) => c.id));
  },
};
