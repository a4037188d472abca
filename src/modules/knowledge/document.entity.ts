import { randomUUID } from 'node:crypto';
import { DateTimeType, Entity, Index, ManyToOne, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Organization } from '../organizations/organization.entity.js';
import { User } from '../users/user.entity.js';

export type DocumentStatus = 'processing' | 'ready' | 'failed';
export type DocumentVisibility = 'private' | 'organization';

/** A document of the knowledge base: its text is split into chunks and indexed for search. */
@ObjectType('Document')
@Entity({ tableName: 'documents' })
@Index({ name: 'documents_owner_index', properties: ['owner', 'createdAt'] })
@Index({ name: 'documents_organization_index', properties: ['organization'] })
export class KnowledgeDocument {
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'status' | 'error' | 'chunkCount' | 'organization' | 'visibility' | 'text';

  @Field(() => ID)
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => User, { deleteRule: 'cascade', index: false })
  owner!: User;

  @ManyToOne(() => Organization, { nullable: true, deleteRule: 'cascade', index: false })
  organization: Organization | null = null;

  @Field(() => String, { description: 'private (the uploader only) or organization (its members).' })
  @Property({ type: 'string', length: 16 })
  visibility: DocumentVisibility = 'private';

  @Field(() => String)
  @Property({ type: 'string', length: 300 })
  title!: string;

  @Field(() => String)
  @Property({ type: 'string', length: 100 })
  mimeType!: string;

  @Field(() => Int)
  @Property({ type: 'integer' })
  sizeBytes!: number;

  @Field(() => String, { description: 'processing, ready or failed.' })
  @Property({ type: 'string', length: 16 })
  status: DocumentStatus = 'processing';

  @Field(() => String, { nullable: true, description: 'Why ingestion failed.' })
  @Property({ type: 'string', length: 500, nullable: true })
  error: string | null = null;

  @Field(() => Int)
  @Property({ type: 'integer' })
  chunkCount: number = 0;

  /** The extracted text, kept so the index can be rebuilt. */
  @Property({ type: 'text', nullable: true, lazy: true })
  text: string | null = null;

  @Field(() => GraphQLDateTime)
  @Property({ type: DateTimeType })
  createdAt: Date = new Date();

  @Field(() => GraphQLDateTime)
  @Property({ type: DateTimeType, onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
