import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { z } from 'zod';
import { pageSchema } from '../../common/pagination.js';
import { fields, str, type Unchecked } from '../../common/validation.js';
import { PROVIDER_IDS } from '../ai/providers/registry.js';
import { Conversation } from './conversation.entity.js';
import { Message } from './message.entity.js';
import { Note } from './note.entity.js';

const id = str().uuid('must be an id');
const provider = z.enum(PROVIDER_IDS, { error: `must be one of ${PROVIDER_IDS.join(', ')}` });
const model = str().trim().min(1).max(100, 'must be at most 100 characters');

export const chatSchema = z.object({
  message: fields.text(32_000).pipe(z.string().min(1, 'must not be empty')),
  provider: provider.nullish(),
  model: model.nullish(),
  conversationId: id.nullish(),
  conversationHistory: z
    .array(
      z.object({
        role: z.enum(['user', 'assistant', 'system'], { error: 'must be user, assistant or system' }),
        content: fields.text(32_000),
      }),
      { error: 'must be a list of {role, content}' },
    )
    .max(100, 'at most 100 turns')
    .nullish(),
  userLanguage: str()
    .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a language tag such as "en" or "pt-BR"')
    .nullish(),
  useKnowledgeBase: z.boolean({ error: 'must be true or false' }).nullish(),
});
export type ChatData = Unchecked<typeof chatSchema>;

export const createConversationSchema = z.object({
  title: fields.text(200).nullish(),
  provider: provider.nullish(),
  model: model.nullish(),
  systemPrompt: fields.text(8000).nullish(),
});
export type CreateConversationData = Unchecked<typeof createConversationSchema>;

export const updateConversationSchema = z.object({
  title: fields.text(200).pipe(z.string().min(1, 'must not be empty')).optional(),
  systemPrompt: fields.text(8000).nullish(),
});
export type UpdateConversationData = z.input<typeof updateConversationSchema>;

export const messagesSchema = z.object({ limit: pageSchema.shape.limit, before: id.nullish() });
export type MessagesData = z.input<typeof messagesSchema>;

const tags = z.array(fields.text(40).pipe(z.string().min(1, 'must not be empty')), { error: 'must be a list of strings' }).max(20, 'at most 20 tags');
export const noteSchema = z.object({
  title: fields.text(200).pipe(z.string().min(1, 'must not be empty')),
  content: fields.text(100_000),
  tags: tags.nullish(),
});
export type NoteData = z.input<typeof noteSchema>;
export const updateNoteSchema = z.object({
  title: fields.text(200).pipe(z.string().min(1, 'must not be empty')).optional(),
  content: fields.text(100_000).optional(),
  tags: tags.optional(),
});
export type UpdateNoteData = z.input<typeof updateNoteSchema>;

@InputType()
export class HistoryTurnInput {
  @Field(() => String, { description: 'user, assistant or system' })
  role!: 'user' | 'assistant' | 'system';

  @Field(() => String)
  content!: string;
}

@InputType()
export class ChatInput {
  @Field(() => String)
  message!: string;

  @Field(() => String, { nullable: true, description: 'auto (default), local, openai or anthropic.' })
  provider?: string | null;

  @Field(() => String, { nullable: true })
  model?: string | null;

  @Field(() => ID, { nullable: true, description: 'Continue this conversation; without it a new one is created.' })
  conversationId?: string | null;

  @Field(() => [HistoryTurnInput], { nullable: true, description: 'Earlier turns, for callers that keep no conversation.' })
  conversationHistory?: HistoryTurnInput[] | null;

  @Field(() => String, { nullable: true, description: 'Answer in this language, e.g. "en".' })
  userLanguage?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Ground the answer in the knowledge base (default true).' })
  useKnowledgeBase?: boolean | null;
}

@InputType()
export class CreateConversationInput {
  @Field(() => String, { nullable: true })
  title?: string | null;

  @Field(() => String, { nullable: true })
  provider?: string | null;

  @Field(() => String, { nullable: true })
  model?: string | null;

  @Field(() => String, { nullable: true })
  systemPrompt?: string | null;
}

@InputType()
export class NoteInput {
  @Field(() => String)
  title!: string;

  @Field(() => String)
  content!: string;

  @Field(() => [String], { nullable: true })
  tags?: string[] | null;
}

@InputType()
export class UpdateNoteInput {
  @Field(() => String, { nullable: true })
  title?: string;

  @Field(() => String, { nullable: true })
  content?: string;

  @Field(() => [String], { nullable: true })
  tags?: string[];
}

@ObjectType('TokenUsage')
export class TokenUsageType {
  @Field(() => Int)
  promptTokens!: number;

  @Field(() => Int)
  completionTokens!: number;

  @Field(() => Int)
  totalTokens!: number;
}

@ObjectType('Citation')
export class CitationType {
  @Field(() => ID, { description: 'The cited document, note, message or transcript.' })
  documentId!: string;

  @Field(() => String)
  type!: string;

  @Field(() => String)
  title!: string;

  @Field(() => String)
  snippet!: string;
}

/** The documented ChatResponse. */
@ObjectType('ChatResponse')
export class ChatResult {
  @Field(() => String)
  content!: string;

  @Field(() => String)
  provider!: string;

  @Field(() => String)
  model!: string;

  @Field(() => TokenUsageType, { nullable: true })
  usage!: TokenUsageType | null;

  @Field(() => ID)
  conversationId!: string;

  @Field(() => ID)
  messageId!: string;

  @Field(() => [CitationType])
  citations!: CitationType[];

  @Field(() => String, { description: 'complete, or partial when the stream was cut short by the client.' })
  status!: 'complete' | 'partial';
}

@ObjectType('ChatStreamError')
export class ChatStreamError {
  @Field(() => String)
  code!: string;

  @Field(() => String)
  message!: string;
}

@ObjectType('ChatStreamEvent', { description: 'start, then delta events with text, then done with the stored response, or error.' })
export class ChatStreamEvent {
  @Field(() => String, { description: 'start, delta, done, error' })
  type!: 'start' | 'delta' | 'done' | 'error';

  @Field(() => ChatStreamError, { nullable: true, description: 'For type error: upstream_unavailable and the like. Nothing was stored.' })
  error?: ChatStreamError | null;

  @Field(() => ID)
  conversationId!: string;

  @Field(() => String, { nullable: true })
  delta?: string | null;

  @Field(() => ChatResult, { nullable: true })
  response?: ChatResult | null;
}

@ObjectType('NotePage')
export class NotePage {
  @Field(() => Int)
  total!: number;

  @Field(() => [Note])
  items!: Note[];
}

@ObjectType('Provider')
export class ProviderType {
  @Field(() => String)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => [String])
  models!: string[];

  @Field(() => String)
  defaultModel!: string;

  @Field(() => Boolean, { description: 'Configured and answering now.' })
  available!: boolean;

  @Field(() => Boolean)
  configured!: boolean;

  @Field(() => [String])
  capabilities!: string[];

  @Field(() => String)
  description!: string;
}

@ObjectType('Providers')
export class ProvidersType {
  @Field(() => String, { description: 'What "auto" or an absent provider means here.' })
  default!: string;

  @Field(() => [ProviderType])
  providers!: ProviderType[];
}

@ObjectType('ConversationPageInfo')
export class PageInfo {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

@ObjectType()
export class ConversationEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => Conversation)
  node!: Conversation;
}

@ObjectType()
export class ConversationConnection {
  @Field(() => [ConversationEdge])
  edges!: ConversationEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => Int)
  totalCount!: number;
}

@ObjectType()
export class MessageEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => Message)
  node!: Message;
}

@ObjectType()
export class MessageConnection {
  @Field(() => [MessageEdge], { description: 'Oldest first.' })
  edges!: MessageEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => Int)
  totalCount!: number;
}

@ObjectType('SearchHit')
export class SearchHitType {
  @Field(() => String)
  type!: string;

  @Field(() => ID)
  id!: string;

  @Field(() => String)
  title!: string;

  @Field(() => String, { description: 'HTML-escaped; matched terms in <mark>.' })
  snippet!: string;

  @Field(() => Number)
  score!: number;

  @Field(() => ID, { nullable: true })
  conversationId!: string | null;

  @Field(() => GraphQLDateTime)
  createdAt!: Date;
}

@ObjectType('SearchResult')
export class SearchResultType {
  @Field(() => String)
  query!: string;

  @Field(() => Int)
  total!: number;

  @Field(() => [SearchHitType])
  results!: SearchHitType[];
}

export { Note };
