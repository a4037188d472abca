import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../common/context.js';
import { describeRequirement as need } from '../../common/scopes.js';
import { KnowledgeDocument } from './document.entity.js';
import { DocumentPage, KnowledgeSearchResultType, RagAnswerType, UpdateDocumentInput, UploadDocumentInput } from './knowledge.types.js';

const READ = need('rag:read');
const WRITE = need('rag:write');

@Resolver(() => KnowledgeDocument)
export class KnowledgeResolver {
  @Query(() => DocumentPage, { description: `Documents you may read. ${READ}` })
  documents(
    @Ctx() ctx: RequestContext,
    @Arg('limit', () => Int, { defaultValue: 20 }) limit: number,
    @Arg('offset', () => Int, { defaultValue: 0 }) offset: number,
    @Arg('organizationId', () => ID, { nullable: true }) organizationId: string | null,
  ): Promise<DocumentPage> {
    return ctx.services.knowledge.list(ctx, { limit, offset, organizationId });
  }

  @Query(() => KnowledgeDocument, { description: READ })
  document(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<KnowledgeDocument> {
    return ctx.services.knowledge.get(ctx, id);
  }

  @Query(() => KnowledgeSearchResultType, { description: `Ranked chunks of the documents you may read. ${READ}` })
  knowledgeSearch(
    @Ctx() ctx: RequestContext,
    @Arg('query', () => String) query: string,
    @Arg('limit', () => Int, { defaultValue: 5 }) limit: number,
    @Arg('organizationId', () => ID, { nullable: true }) organizationId: string | null,
    @Arg('documentIds', () => [ID], { nullable: true }) documentIds: string[] | null,
  ): Promise<KnowledgeSearchResultType> {
    return ctx.services.knowledge.searchChunks(ctx, { query, limit, organizationId, documentIds });
  }

  @Query(() => RagAnswerType, { description: `A grounded answer with citations; says so when nothing relevant is found. ${READ}` })
  ragQuery(
    @Ctx() ctx: RequestContext,
    @Arg('question', () => String) question: string,
    @Arg('limit', () => Int, { defaultValue: 5 }) limit: number,
    @Arg('provider', () => String, { nullable: true }) provider: string | null,
  ): Promise<RagAnswerType> {
    return ctx.services.knowledge.ask(ctx, { question, limit, provider });
  }

  @Mutation(() => KnowledgeDocument, { description: `Uploads a document: text in content, or a file in contentBase64. Processed in the background. ${WRITE}` })
  uploadDocument(@Arg('input', () => UploadDocumentInput) input: UploadDocumentInput, @Ctx() ctx: RequestContext): Promise<KnowledgeDocument> {
    const { contentBase64, ...rest } = input;
    return ctx.services.knowledge.upload(ctx, { ...rest, data: contentBase64 ? Buffer.from(contentBase64, 'base64') : undefined, visibility: input.visibility ?? 'private' });
  }

  @Mutation(() => KnowledgeDocument, { description: `Renames, shares or unshares. ${WRITE}` })
  updateDocument(@Arg('id', () => ID) id: string, @Arg('input', () => UpdateDocumentInput) input: UpdateDocumentInput, @Ctx() ctx: RequestContext): Promise<KnowledgeDocument> {
    return ctx.services.knowledge.update(ctx, id, input);
  }

  @Mutation(() => Boolean, { description: WRITE })
  async deleteDocument(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<boolean> {
    await ctx.services.knowledge.delete(ctx, id);
    return true;
  }

  @FieldResolver(() => ID, { nullable: true })
  organizationId(@Root() d: KnowledgeDocument): string | null {
    return d.organization?.id ?? null;
  }
}
