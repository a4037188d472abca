import { Arg, Args, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { authorize, requireMembership } from '../../common/access.js';
import { forkContext, type RequestContext } from '../../common/context.js';
import { AppError } from '../../common/errors.js';
import type { DocumentStatusEvent, OrganizationEvent } from '../../common/pubsub.js';
import { lifecycle, merge, type Step } from '../../graphql/subscription-stream.js';
import { describeRequirement as need } from '../../common/scopes.js';
import { queryRoot } from '../../graphql/query-root.js';
import { ConnectionArgs, pageRequest, type ConnectionPage } from '../../graphql/relay.js';
import { AiProvider, type AiProviderId } from '../ai/index.js';
import { Organization, organizationRef } from '../organizations/index.js';
import { SearchHitType, type SearchHit } from '../search/index.js';
import { visibleRef } from '../../graphql/node.resolver.js';
import { KnowledgeDocument } from './knowledge.entities.js';
import {
  DeleteDocumentInput,
  DeleteDocumentPayload,
  DocumentConnection,
  KnowledgeHitType,
  KnowledgeSearchResultType,
  RagAnswerType,
  RagCitationType,
  UpdateDocumentInput,
  UpdateDocumentPayload,
  UploadDocumentInput,
  UploadDocumentPayload,
} from './knowledge.types.js';
import type { ServiceMap } from '../manifest.js';
import { resolverOf } from '../../graphql/container.js';

const READ = need('rag:read');
const WRITE = need('rag:write');

@Resolver(() => KnowledgeDocument)
export class KnowledgeResolver {
  constructor(
    readonly events: ServiceMap['events'],
    readonly knowledge: ServiceMap['knowledge'],
    readonly organizations: ServiceMap['organizations'],
  ) {}

  @Query(() => DocumentConnection, { description: `The documents you may read (yours, and those shared with your organizations), newest first. ${READ}` })
  documents(
    @Ctx() ctx: RequestContext,
    @Args(() => ConnectionArgs) page: ConnectionArgs,
    @Arg('organizationId', () => ID, { nullable: true, description: 'Only the documents shared with this organization.' }) organizationId: string | null,
  ): Promise<ConnectionPage<KnowledgeDocument>> {
    return this.knowledge.connection(ctx, { organizationId }, pageRequest(page));
  }

  @Query(() => KnowledgeDocument, { nullable: true, description: `One document you may read, with its processing status; null for an unknown id or one you may not read. ${READ}` })
  async document(@Arg('id', () => ID, { description: 'The document\'s id.' }) id: string, @Ctx() ctx: RequestContext): Promise<KnowledgeDocument | null> {
    return (await this.knowledge.visible(ctx, [id]))[0] ?? null;
  }

  @Query(() => KnowledgeSearchResultType, { description: `The passages of the documents you may read that best match a query, best first. ${READ}` })
  knowledgeSearch(
    @Ctx() ctx: RequestContext,
    @Arg('query', () => String, { description: 'What to look for (at most 1,000 characters): every word must match.' }) query: string,
    @Arg('limit', () => Int, { defaultValue: 5, description: 'How many passages at most (1 to 50).' }) limit: number,
    @Arg('organizationId', () => ID, { nullable: true, description: 'Only the documents shared with this organization.' }) organizationId: string | null,
    @Arg('documentIds', () => [ID], { nullable: true, description: 'Only these documents (at most 100).' }) documentIds: string[] | null,
  ): Promise<KnowledgeSearchResultType> {
    return this.knowledge.searchChunks(ctx, { query, limit, organizationId, documentIds });
  }

  @Query(() => RagAnswerType, {
    nullable: true,
    description: `A grounded answer from the documents you may read, with citations; says so when nothing relevant is found (and then asks no provider). Null with the error when it fails (the provider, an invalid question...), so the rest of the answer stands. ${READ}`,
  })
  ragQuery(
    @Ctx() ctx: RequestContext,
    @Arg('question', () => String, { description: 'The question (at most 4,000 characters).' }) question: string,
    @Arg('limit', () => Int, { defaultValue: 5, description: 'How many passages to ground the answer in, at most (1 to 20).' }) limit: number,
    @Arg('provider', () => AiProvider.graphql, { nullable: true, description: "Who answers: the server's default (AUTO) when absent." }) provider: AiProviderId | null,
    @Arg('organizationId', () => ID, { nullable: true, description: 'Only the documents shared with this organization.' }) organizationId: string | null,
    @Arg('documentIds', () => [ID], { nullable: true, description: 'Only these documents (at most 100).' }) documentIds: string[] | null,
  ): Promise<RagAnswerType | null> {
    return this.knowledge.ask(ctx, { question, limit, provider, organizationId, documentIds });
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: 'Where to download the original file, as uploaded: a path on this server (GET, with the same credentials; the same rules as reading the document). Null for documents uploaded before files were kept.',
  })
  fileUrl(@Root() doc: KnowledgeDocument): string | null {
    return doc.fileKey ? `/api/knowledge/documents/${doc.id}/file` : null;
  }

  @Mutation(() => UploadDocumentPayload, {
    description: `Adds a document (text, Markdown, HTML, PDF): text in \`content\`, or a file in \`contentBase64\`. Answered with status PROCESSING once the file is read; indexing follows in the background. A document past a limit (extracted characters, PDF pages, a PDF's text per byte, HTML nesting, passages, or what you already store) is refused with \`document_too_large\` and nothing is stored. ${WRITE}`,
  })
  async uploadDocument(@Arg('input', () => UploadDocumentInput, { description: 'The document.' }) input: UploadDocumentInput, @Ctx() ctx: RequestContext): Promise<UploadDocumentPayload> {
    const { contentBase64, visibility, ...rest } = input;
    const document = await this.knowledge.upload(ctx, { ...rest, visibility: visibility ?? 'private', data: contentBase64 ? Buffer.from(contentBase64, 'base64') : undefined }, 'contentBase64');
    return { document, query: queryRoot() };
  }

  @Mutation(() => UpdateDocumentPayload, { description: `Renames, shares or unshares a document: its uploader may do all three, an admin of the organization it is shared with may only rename it; search follows at once. ${WRITE}` })
  async updateDocument(@Arg('input', () => UpdateDocumentInput, { description: 'The change.' }) input: UpdateDocumentInput, @Ctx() ctx: RequestContext): Promise<UpdateDocumentPayload> {
    const { id, ...change } = input;
    return { document: await this.knowledge.update(ctx, id, change), query: queryRoot() };
  }

  @Mutation(() => DeleteDocumentPayload, { description: `Deletes a document with its passages (its uploader, or an admin of the organization it is shared with). ${WRITE}` })
  async deleteDocument(@Arg('input', () => DeleteDocumentInput, { description: 'The document.' }) input: DeleteDocumentInput, @Ctx() ctx: RequestContext): Promise<DeleteDocumentPayload> {
    await this.knowledge.delete(ctx, input.id);
    return { deletedId: input.id, query: queryRoot() };
  }

  @Subscription(() => KnowledgeDocument, {
    description:
      'Fires when a document finishes processing (PROCESSING to READY or FAILED), with the document as it is then, so a normalized cache updates it in place. ' +
      'Without `organizationId`: the documents you uploaded; with it: the documents shared with that organization, for each of its members. ' +
      'Starts once acknowledged; a status reached earlier is not replayed (subscribe before uploading, or read `document(id)` once subscribed, and after reconnecting). ' +
      'With `organizationId`, it completes when the organization is deleted, and a caller who stops being a member gets one not_found error, then completion; ' +
      'an organization you are not in answers one not_found error. ' +
      `${READ}`,
    subscribe: async ({ args, context, info }) => {
      const ctx = context as RequestContext;
      const organizationId = (args as { organizationId?: string | null }).organizationId || null;
      // Each subscriber reloads the document with its own rights: one unshared or deleted meanwhile is skipped.
      const documentStep = async (e: DocumentStatusEvent): Promise<Step<KnowledgeDocument>> => {
        const c = forkContext(ctx);
        if (organizationId) await requireMembership(c, organizationId, 'rag:read');
        const [doc] = await resolverOf(info, KnowledgeResolver).knowledge.visible(c, [e.documentId]);
        return doc && (!organizationId || doc.organization?.id === organizationId) ? { send: doc } : { skip: true };
      };
      if (!organizationId) {
        const p = authorize(ctx, 'rag:read');
        return lifecycle(resolverOf(info, KnowledgeResolver).events.subscribe('DOCUMENT_STATUS', `user:${p.userId}`), documentStep);
      }
      // Listening first, then the check: a removal or deletion in between is not missed.
      const documents = resolverOf(info, KnowledgeResolver).events.subscribe('DOCUMENT_STATUS', `org:${organizationId}`);
      const organization = resolverOf(info, KnowledgeResolver).events.subscribe('ORGANIZATION_EVENT', organizationId);
      try {
        await requireMembership(ctx, organizationId, 'rag:read');
      } catch (e) {
        await Promise.all([documents.return?.(), organization.return?.()]);
        throw e;
      }
      const me = ctx.principal!.userId;
      return lifecycle(merge<DocumentStatusEvent | OrganizationEvent>(documents, organization), async (e): Promise<Step<KnowledgeDocument>> => {
        if ('documentId' in e) return documentStep(e);
        if (e.type === 'organization_deleted') return { end: true };
        if (e.type === 'member_removed' && e.userId === me) return { refuse: AppError.notFound('Organization') };
        return { skip: true };
      });
    },
  })
  documentEvents(
    @Root() document: KnowledgeDocument,
    @Arg('organizationId', () => ID, { nullable: true, description: 'Only the documents shared with this organization (you must be a member); absent: the documents you uploaded.' }) _organizationId: string | null,
  ): KnowledgeDocument {
    return document;
  }

  @FieldResolver(() => ID, { nullable: true, description: 'The organization it is shared with; null for a private document.' })
  organizationId(@Root() d: KnowledgeDocument): string | null {
    return d.organization?.id ?? null;
  }

  @FieldResolver(() => Organization, {
    nullable: true,
    description: 'The organization it is shared with, when you may read it (as `organization(id:)`: a member; an API key of that organization with `organizations:read`); null for a private document.',
  })
  organization(@Root() d: KnowledgeDocument, @Ctx() ctx: RequestContext): Promise<Organization | null> | null {
    return d.organization ? organizationRef(this.organizations, ctx, d.organization.id) : null;
  }
}

const DOCUMENT_REF = 'The document, when you may still read it (as `document(id:)`); null once it is deleted or no longer shared with you.';
/** The document a passage or citation names, by the rules of `document(id:)` (batched per request; null when not readable). */
export const documentRef = (knowledge: ServiceMap['knowledge'], ctx: RequestContext, id: string | null): Promise<KnowledgeDocument | null> | null =>
  id ? visibleRef(ctx, 'Document', (c, ids) => knowledge.visible(c, ids), id) : null;

@Resolver(() => KnowledgeHitType)
export class KnowledgeHitResolver {
  constructor(readonly knowledge: ServiceMap['knowledge']) {}

  @FieldResolver(() => KnowledgeDocument, { nullable: true, description: DOCUMENT_REF })
  document(@Root() hit: KnowledgeHitType, @Ctx() ctx: RequestContext): Promise<KnowledgeDocument | null> | null {
    return documentRef(this.knowledge, ctx, hit.documentId);
  }
}

@Resolver(() => RagCitationType)
export class RagCitationResolver {
  constructor(readonly knowledge: ServiceMap['knowledge']) {}

  @FieldResolver(() => KnowledgeDocument, { nullable: true, description: DOCUMENT_REF })
  document(@Root() c: RagCitationType, @Ctx() ctx: RequestContext): Promise<KnowledgeDocument | null> | null {
    return documentRef(this.knowledge, ctx, c.documentId);
  }
}

/** `SearchHit.document`: the knowledge module adds the field to the search module's hit. */
@Resolver(() => SearchHitType)
export class SearchHitDocumentResolver {
  constructor(readonly knowledge: ServiceMap['knowledge']) {}

  @FieldResolver(() => KnowledgeDocument, { nullable: true, description: `For a DOCUMENT passage: ${DOCUMENT_REF.charAt(0).toLowerCase()}${DOCUMENT_REF.slice(1)}` })
  document(@Root() hit: SearchHit, @Ctx() ctx: RequestContext): Promise<KnowledgeDocument | null> | null {
    return documentRef(this.knowledge, ctx, hit.documentId);
  }
}
