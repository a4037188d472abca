import { GraphQLDateTime } from 'graphql-scalars';
import { Arg, Args, Ctx, ID, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../../common/context.js';
import { describeRequirement as need } from '../../common/scopes.js';
import { ConnectionArgs, pageRequest, type ConnectionPage } from '../../graphql/relay.js';
import { ContentKind, type ContentKindValue } from './search.enums.js';
import type { ServiceMap } from '../manifest.js';
import type { SearchHit } from './search.types.js';
import { SearchHitConnection, SearchHitType } from './search.types.js';

const READ = need('conversations:read');

@Resolver(() => SearchHitType)
export class SearchResolver {
  constructor(
    readonly searchService: ServiceMap['search'],
  ) {}

  @Query(() => SearchHitConnection, {
    description: `Full-text search over your own content (messages, notes, transcripts, documents you uploaded), best match first: every word must match, the last one also as a prefix. ${READ}`,
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
