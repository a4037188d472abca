import { randomUUID } from 'node:crypto';
import { JsonType, OptionalProps } from '@mikro-orm/core';
import { Entity, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { KnowledgeDocument } from './document.entity.js';

/** One passage of a document, in reading order; its search entry carries the same id. */
@Entity({ tableName: 'document_chunks' })
@Unique({ name: 'document_chunks_position_unique', properties: ['document', 'position'] })
export class DocumentChunk {
  [OptionalProps]?: 'embedding' | 'heading';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => KnowledgeDocument, { deleteRule: 'cascade', index: false })
  document!: KnowledgeDocument;

  @Property({ type: 'integer' })
  position!: number;

  /** The nearest heading above the passage, if any. */
  @Property({ type: 'string', length: 300, nullable: true })
  heading: string | null = null;

  @Property({ type: 'text' })
  text!: string;

  /** Unit vector from the embeddings endpoint, when one is configured. */
  @Property({ type: JsonType, nullable: true, lazy: true })
  embedding: number[] | null = null;
}
