import { GraphQLDateTime } from 'graphql-scalars';
import { Arg, Args, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { queryRoot } from '../../graphql/query-root.js';
import type { RequestContext } from '../../common/context.js';
import { describeRequirement as need } from '../../common/scopes.js';
import { ConnectionArgs, pageRequest, type ConnectionPage } from '../../graphql/relay.js';
import { ContentKind, type ContentKindValue } from './search.enums.js';
import type { ServiceMap } from '../manifest.js';
import type { SearchHit } from './search.types.js';
import { ReindexSearchPayload, SearchHitConnection, SearchHitType, SearchStatusType } from './search.types.js';
import type { SearchStatus } from './search-maintenance.service.js';

const READ = need('conversations:read');

@Resolver(() => SearchHitType)
export class SearchResolver {
  constructor(
    readonly searchService: ServiceMap['search'],
  ) {}

  @Query(() => SearchHitConnection, {
    description: `Full-text search over your own content (messages, notes, transcripts, documents you uploaded), best match first: every word must match, the last one also as a prefix. An API key finds only the kinds its scopes cover: document passages need \`rag:read\`, transcripts \`live:read\` (asking for a kind it lacks is refused). ${READ}`,
  })
  search(
    @Ctx() ctx: RequestContext,
    @Arg('q', () => String, { description: 'The words to find (at most 1,000 characters); only letters and digits count, so no query syntax reaches the engine.' }) q: string,
    @Args(() => ConnectionArgs) page: ConnectionArgs,
    @Arg('types', () => [ContentKind.graphql], { nullable: true, description: 'Only these kinds of items; all kinds when absent.' }) types: ContentKindValue[] | null,
    @Arg('conversationId', () => ID, { nullable: true, description: 'Only the messages of this conversation.' }) conversationId: string | null,
    @Arg('from', () => GraphQLDateTime, { nullable: true, description: 'Only items written at or after this instant.' }) from: Date | null,
    @Arg('to', () => GraphQLDateTime, { nullable: true, description: 'Only items written before this instant.' }) to: Date | null,
  ): Promise<ConnectionPage<SearchHit>> {
    return this.searchService.searchConnection(
      ctx,
      { q, ...(types ? { types } : {}), ...(conversationId ? { conversationId } : {}), ...(from ? { from } : {}), ...(to ? { to } : {}) },
      pageRequest(page),
    );
  }
}

const ADMINS = 'Platform administrators only (granted by the operator with `npm run admin -- grant EMAIL`); anyone else, whatever their credentials, gets not_found. Bearer token only: API keys are refused (as not_found).';

@Resolver()
export class SearchMaintenanceResolver {
  constructor(readonly maintenance: ServiceMap['searchMaintenance']) {}

  @Query(() => SearchStatusType, { nullable: true, description: `The search index: entries by kind, the vector lane, pending jobs, the last reindex; null, with the error, when refused or when the index cannot be read, so the rest of the answer stands. ${ADMINS}` })
  searchStatus(@Ctx() ctx: RequestContext): Promise<SearchStatus> {
    return this.maintenance.status(ctx);
  }

  @Mutation(() => ReindexSearchPayload, { description: `Rebuilds the search index in the background; it stays searchable throughout. A reindex already queued or running is answered instead of a second one. ${ADMINS}` })
  async reindexSearch(@Ctx() ctx: RequestContext): Promise<ReindexSearchPayload> {
    return { ...(await this.maintenance.reindex(ctx)), query: queryRoot() };
  }
}
