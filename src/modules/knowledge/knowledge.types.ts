import { Field, Float, ID, InputType, ObjectType } from 'type-graphql';
import { z } from 'zod';
import { fields, str } from '../../common/validation.js';
import { ValidatedBy } from '../../graphql/inputs.js';
import { QUERY_ROOT_DESCRIPTION, QueryRoot } from '../../graphql/query-root.js';
import { connectionType } from '../../graphql/relay.js';
import { AiProvider, type AiProviderId } from '../ai/index.js';
import { KnowledgeDocument } from './knowledge.entities.js';
import { DocumentVisibility, KnowledgeSearchMode, type DocumentVisibilityValue, type KnowledgeSearchModeValue } from './knowledge.enums.js';

const id = str().uuid('must be an id');
/** An id the service looks up: anything that is not a readable document answers not_found, as a REST path parameter does. */
const ref = str().max(100, 'must be an id');
const visibility = DocumentVisibility.schema;

type UploadShape = { visibility?: string | null | undefined; organizationId?: string | null | undefined; title?: string | null | undefined; filename?: string | null | undefined };
/** The rules an upload keeps whichever door it came through (no visibility is private). */
const uploadRules = (v: UploadShape, ctx: z.RefinementCtx) => {
  const visibility = v.visibility ?? 'private';
  if (visibility === 'organization' && !v.organizationId) ctx.addIssue({ code: 'custom', path: ['organizationId'], message: 'is required to share with an organization' });
  if (visibility === 'private' && v.organizationId) ctx.addIssue({ code: 'custom', path: ['visibility'], message: 'must be organization when organization_id is given' });
  if (!v.title && !v.filename) ctx.addIssue({ code: 'custom', path: ['title'], message: 'is required (or a file name)' });
};

const uploadFields = {
  title: fields.text(300).nullish(),
  filename: fields.text(300).nullish(),
  mimeType: str().max(100).nullish(),
  content: z.string({ error: 'must be a string' }).nullish(),
  organizationId: id.nullish(),
};

/** An upload after the door read it: a file (multipart, base64) or text (JSON). */
export const uploadSchema = z
  .object({ ...uploadFields, visibility: visibility.default('private'), data: z.instanceof(Buffer).nullish() })
  .superRefine((v, ctx) => {
    if (!v.data && (v.content === undefined || v.content === null)) ctx.addIssue({ code: 'custom', path: ['file'], message: 'send a file, or content as text' });
    uploadRules(v, ctx);
  });
export type UploadData = z.input<typeof uploadSchema>;

/** The GraphQL door's upload: the file arrives base64-encoded inside the request. */
export const uploadDocumentInputSchema = z
  .object({ ...uploadFields, visibility: visibility.nullish(), contentBase64: z.string({ error: 'must be a base64 string' }).nullish() })
  .superRefine((v, ctx) => {
    if (!v.contentBase64 && (v.content === undefined || v.content === null)) ctx.addIssue({ code: 'custom', path: ['content'], message: 'send content as text, or a file as contentBase64' });
    if (v.contentBase64 && v.content !== undefined && v.content !== null) ctx.addIssue({ code: 'custom', path: ['contentBase64'], message: 'send content as text or a file as contentBase64, not both' });
    // Standard or URL-safe base64, padded or not (whitespace ignored), as Buffer decodes it: anything else would decode to other bytes silently.
    const b64 = v.contentBase64?.replace(/\s+/g, '');
    if (b64 && (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(b64) || b64.replace(/=+$/, '').length % 4 === 1)) ctx.addIssue({ code: 'custom', path: ['contentBase64'], message: 'must be base64' });
    uploadRules(v, ctx);
  });

const updateDocumentFields = {
  title: fields.text(300).pipe(z.string().min(1, 'must not be empty')).nullish(),
  visibility: visibility.nullish(),
  organizationId: id.nullish(),
};
const updateRules = (v: { visibility?: string | null; organizationId?: string | null }, ctx: z.RefinementCtx) => {
  if (v.visibility === 'organization' && !v.organizationId) ctx.addIssue({ code: 'custom', path: ['organizationId'], message: 'is required to share with an organization' });
};
/** A title or visibility given as null is left as it is, as an absent one. */
export const updateDocumentSchema = z.object(updateDocumentFields).superRefine(updateRules);
export type UpdateDocumentData = z.input<typeof updateDocumentSchema>;
export const updateDocumentInputSchema = z.object({ id: ref, ...updateDocumentFields }).superRefine(updateRules);
export const deleteDocumentInputSchema = z.object({ id: ref });

export const knowledgeSearchSchema = z.object({
  query: fields.text(1000).pipe(z.string().min(1, 'must not be empty')),
  limit: z.coerce.number({ error: 'must be a whole number' }).int().min(1, 'must be at least 1').max(50, 'must be at most 50').default(5),
  organizationId: id.nullish(),
  documentIds: z.array(id, { error: 'must be a list of ids' }).max(100).nullish(),
}).meta({ id: 'KnowledgeSearchRequest', description: 'A semantic search over the documents the caller may read.', examples: [{ query: 'refund policy', limit: 5 }] });
export type KnowledgeSearchData = z.input<typeof knowledgeSearchSchema>;

export const ragSchema = z.object({
  question: fields.text(4000).pipe(z.string().min(1, 'must not be empty')),
  limit: z.coerce.number({ error: 'must be a whole number' }).int().min(1).max(20, 'must be at most 20').default(5),
  provider: AiProvider.schema.nullish(),
  organizationId: id.nullish(),
  documentIds: z.array(id).max(100).nullish(),
}).meta({ id: 'RagQueryRequest' });
export type RagData = z.input<typeof ragSchema>;

export interface KnowledgeHit {
  documentId: string;
  chunkId: string;
  title: string;
  snippet: string;
  score: number;
  visibility: DocumentVisibilityValue;
  organizationId: string | null;
  /** The chunk's whole text, for grounding. */
  text: string;
  /** When the document was uploaded (what a citation dates it by). */
  createdAt: Date;
  /** Cosine similarity to the query, when the semantic lane ranked it. */
  similarity?: number | null;
}

@ValidatedBy(uploadDocumentInputSchema)
@InputType('UploadDocumentInput', { description: 'A document to add: text in `content`, or a file in `contentBase64`.' })
export class UploadDocumentInput {
  @Field(() => String, { nullable: true, description: 'The title (at most 300 characters); the file name when absent.' })
  title?: string | null;

  @Field(() => String, { nullable: true, description: 'The file name, e.g. notes.md or report.pdf: with the content, it tells the type.' })
  filename?: string | null;

  @Field(() => String, { nullable: true, description: 'The media type the sender claims (text/plain, text/markdown, text/html, application/pdf); checked against the content.' })
  mimeType?: string | null;

  @Field(() => String, { nullable: true, description: 'The text itself (plain text, Markdown or HTML).' })
  content?: string | null;

  @Field(() => String, { nullable: true, description: 'The file, base64-encoded (PDF and the others).' })
  contentBase64?: string | null;

  @Field(() => DocumentVisibility.graphql, { nullable: true, description: 'Who may read it: PRIVATE (when absent or null) or ORGANIZATION (with `organizationId`).' })
  visibility?: DocumentVisibilityValue | null;

  @Field(() => ID, { nullable: true, description: 'The organization to share it with (you must be a member).' })
  organizationId?: string | null;
}

@ValidatedBy(updateDocumentInputSchema)
@InputType('UpdateDocumentInput', { description: 'A rename, or a change of who may read a document. What is absent or null stays as it is.' })
export class UpdateDocumentInput {
  @Field(() => ID, { description: 'The document (yours, or shared with an organization you administer).' })
  id!: string;

  @Field(() => String, { nullable: true, description: 'The new title (1 to 300 characters).' })
  title?: string | null;

  @Field(() => DocumentVisibility.graphql, { nullable: true, description: 'PRIVATE to unshare it, ORGANIZATION (with `organizationId`) to share it.' })
  visibility?: DocumentVisibilityValue | null;

  @Field(() => ID, { nullable: true, description: 'The organization to share it with, for ORGANIZATION.' })
  organizationId?: string | null;
}

@ValidatedBy(deleteDocumentInputSchema)
@InputType('DeleteDocumentInput', { description: 'The document to delete.' })
export class DeleteDocumentInput {
  @Field(() => ID, { description: 'The document (yours, or shared with an organization you administer): it goes with its passages.' })
  id!: string;
}

@ObjectType('KnowledgeHit', { description: 'A passage of a document matching a knowledge search.' })
export class KnowledgeHitType {
  @Field(() => ID, { description: 'The document the passage belongs to.' })
  documentId!: string;

  @Field(() => ID, { description: 'The passage (chunk).' })
  chunkId!: string;

  @Field(() => String, { description: 'The document\'s title, with the passage\'s heading when it has one.' })
  title!: string;

  @Field(() => String, { description: 'The passage, HTML-escaped, with the matched words in <mark>…</mark>.' })
  snippet!: string;

  @Field(() => Float, { description: 'How well it matches (higher is better; comparable only within one search).' })
  score!: number;

  @Field(() => DocumentVisibility.graphql, { description: 'Whether the document is yours alone or shared with an organization.' })
  visibility!: DocumentVisibilityValue;
}

/**
 * Not a connection: a knowledge search answers the best `limit` passages (at most 50) for
 * grounding, ranked in memory when two rankings are fused, rather than a list to browse.
 */
@ObjectType('KnowledgeSearchResult', { description: 'The passages best matching a knowledge search, best first.' })
export class KnowledgeSearchResultType {
  @Field(() => String, { description: 'The query, as searched.' })
  query!: string;

  @Field(() => KnowledgeSearchMode.graphql, { description: 'How the passages were ranked.' })
  mode!: KnowledgeSearchModeValue;

  @Field(() => [KnowledgeHitType], { description: 'At most `limit` passages, best first.' })
  results!: KnowledgeHitType[];
}

@ObjectType('RagCitation', { description: 'A passage a grounded answer was given.' })
export class RagCitationType {
  @Field(() => ID, { description: 'The document the passage belongs to.' })
  documentId!: string;

  @Field(() => String, { description: 'The document\'s title, with the passage\'s heading when it has one.' })
  title!: string;

  @Field(() => String, { description: 'The passage, as HTML: the text escaped, with no markup (the same rule as search snippets).' })
  snippet!: string;
}

@ObjectType('RagAnswer', { description: 'A grounded answer: what the provider made of the passages found, and the passages.' })
export class RagAnswerType {
  @Field(() => String, { description: 'The answer; when nothing relevant was found it says so, and no provider was asked.' })
  answer!: string;

  @Field(() => [RagCitationType], { description: 'The passages the answer was given, numbered as the answer cites them ([1], [2]…).' })
  citations!: RagCitationType[];

  @Field(() => AiProvider.graphql, { description: 'The provider that answered (never AUTO).' })
  provider!: AiProviderId;

  @Field(() => String, { description: 'The model that answered.' })
  model!: string;
}

export const DocumentConnection = connectionType<KnowledgeDocument>('Document', () => KnowledgeDocument, 'newest first');

@ObjectType('UploadDocumentPayload', { description: 'The accepted document, still PROCESSING.' })
export class UploadDocumentPayload {
  @Field(() => KnowledgeDocument, { description: 'The new document; its status changes in the background (ask for it again).' })
  document!: KnowledgeDocument;

  @Field(() => QueryRoot, { description: QUERY_ROOT_DESCRIPTION })
  query!: QueryRoot;
}

@ObjectType('UpdateDocumentPayload', { description: 'The changed document.' })
export class UpdateDocumentPayload {
  @Field(() => KnowledgeDocument, { description: 'The document as it is now.' })
  document!: KnowledgeDocument;

  @Field(() => QueryRoot, { description: QUERY_ROOT_DESCRIPTION })
  query!: QueryRoot;
}

@ObjectType('DeleteDocumentPayload', { description: 'What the deletion removed.' })
export class DeleteDocumentPayload {
  @Field(() => ID, { description: 'The deleted document\'s id (its passages went with it).' })
  deletedId!: string;

  @Field(() => QueryRoot, { description: QUERY_ROOT_DESCRIPTION })
  query!: QueryRoot;
}
