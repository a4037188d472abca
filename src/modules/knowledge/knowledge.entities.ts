import { randomUUID } from 'node:crypto';
import { DateTimeType, OptionalProps, JsonType } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Node } from '../../graphql/relay.js';
import { Organization } from '../organizations/index.js';
import { User } from '../users/index.js';
import { DocumentStatus as DocumentStatusEnum, DocumentVisibility as DocumentVisibilityEnum, type DocumentStatusValue, type DocumentVisibilityValue } from './knowledge.enums.js';

export type DocumentStatus = DocumentStatusValue;
export type DocumentVisibility = DocumentVisibilityValue;

/** A document of the knowledge base: its text is split into chunks and indexed for search. */
@ObjectType('Document', {
  implements: Node,
  description: 'A document of the knowledge base: its text is split into passages (chunks), indexed for search and cited by grounded answers. Yours, or shared with an organization of yours.',
})
@Entity({ tableName: 'documents' })
@Index({ name: 'documents_owner_index', properties: ['owner', 'createdAt'] })
@Index({ name: 'documents_organization_index', properties: ['organization'] })
// Which documents hold some stored bytes: a deletion's file removal and the upload store's upkeep ask.
@Index({ name: 'documents_file_key_index', properties: ['fileKey'] })
export class KnowledgeDocument {
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'status' | 'error' | 'chunkCount' | 'organization' | 'visibility' | 'text' | 'fileKey';

  @Field(() => ID, { description: 'The document\'s id, the same as REST\'s `document_id`.' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => User, { deleteRule: 'cascade', index: false })
  owner!: User;

  @ManyToOne(() => Organization, { nullable: true, deleteRule: 'cascade', index: false })
  organization: Organization | null = null;

  @Field(() => DocumentVisibilityEnum.graphql, { description: 'Who may read it.' })
  @Property({ type: 'string', length: 16 })
  visibility: DocumentVisibility = 'private';

  @Field(() => String, { description: 'The title (the file name unless one was given).' })
  @Property({ type: 'string', length: 300 })
  title!: string;

  @Field(() => String, { description: 'The media type the upload was recognised as: text/plain, text/markdown, text/html or application/pdf.' })
  @Property({ type: 'string', length: 100 })
  mimeType!: string;

  @Field(() => Int, { description: 'The size of the upload in bytes.' })
  @Property({ type: 'integer' })
  sizeBytes!: number;

  @Field(() => DocumentStatusEnum.graphql, { description: 'Where its ingestion is; it changes in the background after the upload.' })
  @Property({ type: 'string', length: 16 })
  status: DocumentStatus = 'processing';

  @Field(() => String, { nullable: true, description: 'Why ingestion failed (status FAILED); null otherwise.' })
  @Property({ type: 'string', length: 500, nullable: true })
  error: string | null = null;

  @Field(() => Int, { description: 'How many passages were indexed (0 until READY).' })
  @Property({ type: 'integer' })
  chunkCount: number = 0;

  /** Where the original bytes are stored (src/storage/): null for documents uploaded before they were kept. */
  @Property({ type: 'string', length: 100, nullable: true })
  fileKey: string | null = null;

  /** The extracted text, kept so the index can be rebuilt. */
  @Property({ type: 'text', nullable: true, lazy: true })
  text: string | null = null;

  @Field(() => GraphQLDateTime, { description: 'When it was uploaded: `documents` lists the newest first.' })
  @Property({ type: DateTimeType })
  createdAt: Date = new Date();

  @Field(() => GraphQLDateTime, { description: 'When it last changed (processing, a rename, sharing).' })
  @Property({ type: DateTimeType, onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}

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
