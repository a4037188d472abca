import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { z } from 'zod';
import { fields, str, type Unchecked } from '../../common/validation.js';
import { KnowledgeDocument } from './document.entity.js';

const id = str().uuid('must be an id');
const visibility = z.enum(['private', 'organization'], { error: 'must be private or organization' });

/** An upload after the door read it: a file (multipart, base64) or text (JSON). */
export const uploadSchema = z
  .object({
    title: fields.text(300).nullish(),
    filename: fields.text(300).nullish(),
    mimeType: str().max(100).nullish(),
    content: z.string({ error: 'must be a string' }).nullish(),
    data: z.instanceof(Buffer).nullish(),
    visibility: visibility.default('private'),
    organizationId: id.nullish(),
  })
  .superRefine((v, ctx) => {
    if (!v.data && (v.content === undefined || v.content === null)) ctx.addIssue({ code: 'custom', path: ['file'], message: 'send a file, or content as text' });
    if (v.visibility === 'organization' && !v.organizationId) ctx.addIssue({ code: 'custom', path: ['organizationId'], message: 'is required to share with an organization' });
    if (v.visibility === 'private' && v.organizationId) ctx.addIssue({ code: 'custom', path: ['visibility'], message: 'must be organization when organization_id is given' });
    if (!v.title && !v.filename) ctx.addIssue({ code: 'custom', path: ['title'], message: 'is required (or a file name)' });
  });
export type UploadData = Unchecked<typeof uploadSchema>;

export const updateDocumentSchema = z
  .object({
    title: fields.text(300).pipe(z.string().min(1, 'must not be empty')).optional(),
    visibility: visibility.optional(),
    organizationId: id.nullish(),
  })
  .superRefine((v, ctx) => {
    if (v.visibility === 'organization' && !v.organizationId) ctx.addIssue({ code: 'custom', path: ['organizationId'], message: 'is required to share with an organization' });
  });
export type UpdateDocumentData = Unchecked<typeof updateDocumentSchema>;

export const knowledgeSearchSchema = z.object({
  query: fields.text(1000).pipe(z.string().min(1, 'must not be empty')),
  limit: z.coerce.number({ error: 'must be a whole number' }).int().min(1, 'must be at least 1').max(50, 'must be at most 50').default(5),
  organizationId: id.nullish(),
  documentIds: z.array(id, { error: 'must be a list of ids' }).max(100).nullish(),
});
export type KnowledgeSearchData = Unchecked<typeof knowledgeSearchSchema>;

export const ragSchema = z.object({
  question: fields.text(4000).pipe(z.string().min(1, 'must not be empty')),
  limit: z.coerce.number({ error: 'must be a whole number' }).int().min(1).max(20, 'must be at most 20').default(5),
  provider: z.enum(['auto', 'local', 'openai', 'anthropic'], { error: 'must be one of auto, local, openai, anthropic' }).nullish(),
  organizationId: id.nullish(),
  documentIds: z.array(id).max(100).nullish(),
});
export type RagData = Unchecked<typeof ragSchema>;

export interface KnowledgeHit {
  documentId: string;
  chunkId: string;
  title: string;
  snippet: string;
  score: number;
  visibility: 'private' | 'organization';
  organizationId: string | null;
  /** The chunk's whole text, for grounding. */
  text: string;
  /** Cosine similarity to the query, when the semantic lane ranked it. */
  similarity?: number | null;
}

@InputType()
export class UploadDocumentInput {
  @Field(() => String, { nullable: true, description: 'Defaults to the file name.' })
  title?: string | null;

  @Field(() => String, { nullable: true, description: 'e.g. notes.md, report.pdf: tells the type.' })
  filename?: string | null;

  @Field(() => String, { nullable: true })
  mimeType?: string | null;

  @Field(() => String, { nullable: true, description: 'The text itself (text, Markdown, HTML).' })
  content?: string | null;

  @Field(() => String, { nullable: true, description: 'The file, base64-encoded (PDF and others).' })
  contentBase64?: string | null;

  @Field(() => String, { nullable: true, defaultValue: 'private', description: 'private or organization.' })
  visibility?: string | null;

  @Field(() => ID, { nullable: true })
  organizationId?: string | null;
}

@InputType()
export class UpdateDocumentInput {
  @Field(() => String, { nullable: true })
  title?: string;

  @Field(() => String, { nullable: true, description: 'private or organization.' })
  visibility?: string;

  @Field(() => ID, { nullable: true })
  organizationId?: string | null;
}

@ObjectType('KnowledgeHit')
export class KnowledgeHitType {
  @Field(() => ID)
  documentId!: string;

  @Field(() => ID)
  chunkId!: string;

  @Field(() => String)
  title!: string;

  @Field(() => String, { description: 'HTML-escaped; matched terms in <mark>.' })
  snippet!: string;

  @Field(() => Number)
  score!: number;

  @Field(() => String)
  visibility!: string;
}

@ObjectType('KnowledgeSearchResult')
export class KnowledgeSearchResultType {
  @Field(() => String)
  query!: string;

  @Field(() => String, { description: 'lexical (full-text only), or hybrid (full-text and vectors fused).' })
  mode!: string;

  @Field(() => [KnowledgeHitType])
  results!: KnowledgeHitType[];
}

@ObjectType('DocumentPage')
export class DocumentPage {
  @Field(() => Int)
  total!: number;

  @Field(() => [KnowledgeDocument])
  items!: KnowledgeDocument[];
}

@ObjectType('RagCitation')
export class RagCitationType {
  @Field(() => ID)
  documentId!: string;

  @Field(() => String)
  title!: string;

  @Field(() => String)
  snippet!: string;
}

@ObjectType('RagAnswer')
export class RagAnswerType {
  @Field(() => String)
  answer!: string;

  @Field(() => [RagCitationType])
  citations!: RagCitationType[];

  @Field(() => String)
  provider!: string;

  @Field(() => String)
  model!: string;
}
