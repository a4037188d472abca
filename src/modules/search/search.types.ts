import { GraphQLDateTime } from 'graphql-scalars';
import { Field, Float, ID, ObjectType } from 'type-graphql';
import { connectionType } from '../../graphql/relay.js';
import { ContentKind, type ContentKindValue } from './search.enums.js';

/** One item matching a search. */
export interface SearchHit {
  type: ContentKindValue;
  id: string;
  /** For document chunks: the document, and the organization it is shared with (null: private). */
  documentId: string | null;
  organizationId: string | null;
  title: string;
  /** HTML: the text escaped, the matched terms in <mark>...</mark> (`snippetHtml`'s rule). */
  snippet: string;
  score: number;
  conversationId: string | null;
  createdAt: Date;
}

/** A passage of the caller's own content, found for grounding. */
export interface Passage {
  type: ContentKindValue;
  id: string;
  title: string;
  snippet: string;
  /** Plain text of the snippet, without highlight marks. */
  text: string;
  conversationId: string | null;
  createdAt: Date;
}

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
