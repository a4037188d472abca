import { GraphQLDateTime } from 'graphql-scalars';
import { Arg, Args, Ctx, Field, FieldResolver, Float, ID, ObjectType, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../common/context.js';
import { describeRequirement as need } from '../../common/scopes.js';
import { ConnectionArgs, connectionType, pageRequest, type ConnectionPage } from '../../graphql/relay.js';
import { Conversation } from '../conversations/conversation.entity.js';
import { ContentKind, type ContentKindValue } from './search.enums.js';
import type { SearchHit } from './search.service.js';

/** Not a Node: a hit is one query's match of an item (its snippet and score belong to the query), not the item. */
@ObjectType('SearchHit', { description: 'One item of your content matching a search, with the matched words highlighted.' })
export class SearchHitType {
  @Field(() => ContentKind.graphql, { description: 'What kind of item matched.' })
  type!: ContentKindValue;

  @Field(() => ID, { name: 'sourceId', description: 'The matched item\'s id: a message, a note, a transcript, or a document passage (chunk). REST calls it `id`.' })
  id!: string;

  @Field(() => String, { description: 'The item\'s title (a conversation\'s title for a message).' })
  title!: string;

  @Field(() => String, { description: 'The matching passage, HTML-escaped, with the matched words in <mark>…</mark>.' })
  snippet!: string;

  @Field(() => Float, { description: 'How well it matches (higher is better; comparable only within one search).' })
  score!: number;

  @Field(() => ID, { nullable: true, description: 'For a MESSAGE: its conversation.' })
  conversationId!: string | null;

  @Field(() => ID, { nullable: true, description: 'For a DOCUMENT passage: its document.' })
  documentId!: string | null;

  @Field(() => GraphQLDateTime, { description: 'When the item was written.' })
  createdAt!: Date;
}

export const SearchHitConnection = connectionType<SearchHit>('SearchHit', () => SearchHitType, 'best match first');

const READ = need('conversations:read');

@Resolver(() => SearchHitType)
export class SearchResolver {
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
    return ctx.services.search.searchConnection(
      ctx,
      { q, ...(types ? { types } : {}), ...(conversationId ? { conversationId } : {}), ...(from ? { from } : {}), ...(to ? { to } : {}) },
      pageRequest(page),
    );
  }

  @FieldResolver(() => Conversation, { nullable: true, description: 'For a MESSAGE: its conversation.' })
  conversation(@Root() hit: SearchHit, @Ctx() ctx: RequestContext): Promise<Conversation | null> | null {
    return hit.conversationId ? ctx.loaders.conversations.byId.load(hit.conversationId) : null;
  }
}
