import { GraphQLDateTime } from 'graphql-scalars';
import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { QUERY_ROOT_DESCRIPTION, QueryRoot } from '../../graphql/query-root.js';
import { connectionType } from '../../graphql/relay.js';
import { ContentKind, SearchEngine, SearchReindexStatus, type ContentKindValue, type SearchEngineValue } from './search.enums.js';

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

@ObjectType('SearchEntryCounts', { description: 'Index entries by kind of content.' })
export class SearchEntryCounts {
  @Field(() => Int, { description: 'Chat messages.' })
  message!: number;

  @Field(() => Int, { description: 'Notes.' })
  note!: number;

  @Field(() => Int, { description: 'Live transcripts.' })
  transcript!: number;

  @Field(() => Int, { description: 'Knowledge document passages.' })
  document!: number;
}

@ObjectType('SearchVectorLane', { description: 'The semantic lane of knowledge search.' })
export class SearchVectorLane {
  @Field(() => Boolean, { description: 'Passages also get embeddings (EMBEDDINGS_BASE_URL is set).' })
  enabled!: boolean;

  @Field(() => String, { nullable: true, description: 'The embeddings model; null when off.' })
  model!: string | null;
}

@ObjectType('SearchReindexRun', { description: 'A rebuild of the search index.' })
export class SearchReindexRun {
  @Field(() => GraphQLDateTime, { nullable: true, description: 'When its job started; null while queued.' })
  startedAt!: Date | null;

  @Field(() => GraphQLDateTime, { nullable: true, description: 'When it finished; null before.' })
  finishedAt!: Date | null;

  @Field(() => SearchReindexStatus.graphql, { description: 'Where it stands.' })
  status!: string;
}

@ObjectType('SearchStatus', { description: 'The search index, for platform administrators.' })
export class SearchStatusType {
  @Field(() => SearchEngine.graphql, { description: "The full-text engine: the database's own." })
  engine!: SearchEngineValue;

  @Field(() => SearchEntryCounts, { description: 'Entries by kind.' })
  entries!: SearchEntryCounts;

  @Field(() => SearchVectorLane, { description: 'The semantic lane.' })
  vectorLane!: SearchVectorLane;

  @Field(() => Int, { description: 'Background jobs still to run (pending or running), which may write to the index.' })
  pendingJobs!: number;

  @Field(() => SearchReindexRun, { nullable: true, description: 'The newest reindex; null when none ever ran.' })
  lastReindex!: SearchReindexRun | null;
}

@ObjectType('ReindexSearchPayload', { description: 'What reindexSearch started (or the reindex already under way).' })
export class ReindexSearchPayload {
  @Field(() => ID, { description: "The background job's id." })
  jobId!: string;

  @Field(() => SearchReindexStatus.graphql, { description: 'Where it stands.' })
  status!: string;

  @Field(() => QueryRoot, { description: QUERY_ROOT_DESCRIPTION })
  query!: QueryRoot;
}
