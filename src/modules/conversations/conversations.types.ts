import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { z } from 'zod';
import type { ErrorCode } from '../../common/errors.js';
import { pageSchema } from '../../common/pagination.js';
import { fields, str } from '../../common/validation.js';
import { ErrorCodes } from '../../graphql/errors.js';
import { ValidatedBy } from '../../graphql/inputs.js';
import { QUERY_ROOT_DESCRIPTION, QueryRoot } from '../../graphql/query-root.js';
import { connectionType } from '../../graphql/relay.js';
import { AiProvider, type AiProviderId } from '../ai/index.js';
import type { TokenUsage } from '../ai/index.js';
import { ContentKind, type ContentKindValue } from '../search/index.js';
import { Conversation } from './conversations.entities.js';
import { ChatStreamEventType, MessageRole, MessageStatus, type ChatStreamEventTypeValue, type MessageRoleValue, type MessageStatusValue } from './conversations.enums.js';
import { Message } from './conversations.entities.js';
import { Note } from './conversations.entities.js';

const id = str().uuid('must be an id');
/** An id the service looks up: anything that is not one of the caller's answers not_found, as a REST path parameter does. */
const ref = str().max(100, 'must be an id');
const model = str().trim().min(1).max(100, 'must be at most 100 characters');
/**
 * ChatRequest `provider`, as documented: "a model or routing mode": `auto`, a provider id, or
 * the name of a model a configured provider serves (the registry resolves it, see
 * ProviderRegistry.resolve). GraphQL's `AiProvider` enum sends only the first two; models go
 * in its `model` argument.
 */
const provider = str()
  .trim()
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters')
  .describe(`\`auto\`, a provider id (${AiProvider.values.filter((p) => p !== 'auto').join(', ')}), or the name of a model a configured provider serves.`);

export const historyTurnSchema = z.object({
  role: MessageRole.schema,
  content: fields.text(32_000),
}).meta({ id: 'ConversationTurn' });

export const chatSchema = z.object({
  message: fields.text(32_000).pipe(z.string().min(1, 'must not be empty')),
  provider: provider.nullish(),
  model: model.nullish(),
  conversationId: id.nullish(),
  conversationHistory: z.array(historyTurnSchema, { error: 'must be a list of {role, content}' }).max(100, 'at most 100 turns').nullish(),
  userLanguage: str()
    .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a language tag such as "en" or "pt-BR"')
    .nullish(),
  useKnowledgeBase: z.boolean({ error: 'must be true or false' }).nullish(),
}).meta({ id: 'ChatRequest', description: 'A message to the assistant, in a stored conversation or a new one.', examples: [{ message: 'How do I use the present perfect?', provider: 'auto', conversation_history: [{ role: 'user', content: 'Hello!' }, { role: 'assistant', content: 'Hi! How can I help?' }], user_language: 'en' }] });
export type ChatData = z.input<typeof chatSchema>;

/** A resumable turn: a chat turn, and the id the client chose for it (retries with the same id start nothing new). */
export const startChatTurnSchema = chatSchema.extend({ turnId: id.nullish() }).meta({ id: 'ChatTurnRequest' });
export type StartChatTurnData = z.input<typeof startChatTurnSchema>;

/** Reading a turn's events: after which sequence number. */
export const turnEventsSchema = z.object({ after: z.coerce.number({ error: 'must be a sequence number' }).int('must be a whole number').min(0, 'must be 0 or more').max(Number.MAX_SAFE_INTEGER).nullish() });

/** Regenerating a reply may name another provider or model, as a turn does. */
export const regenerateSchema = chatSchema.pick({ provider: true, model: true }).meta({ id: 'RegenerateRequest' });
export type RegenerateData = z.input<typeof regenerateSchema>;
/** GraphQL's inputs name the provider with the `AiProvider` enum (models go in `model`). */
const graphqlProvider = { provider: AiProvider.schema.nullish() };
export const chatInputSchema = chatSchema.extend(graphqlProvider);
export const startChatTurnInputSchema = startChatTurnSchema.extend(graphqlProvider);
export const regenerateReplyInputSchema = z.object({ conversationId: ref, ...regenerateSchema.shape, ...graphqlProvider });

export const createConversationSchema = z.object({
  title: fields.text(200).nullish(),
  provider: provider.nullish(),
  model: model.nullish(),
  systemPrompt: fields.text(8000).nullish(),
}).meta({ id: 'ConversationCreateRequest', description: 'A new conversation; every field is optional.', examples: [{ title: 'Grammar questions', provider: 'auto', model: null, system_prompt: 'Answer as a patient English teacher.' }] });
export const createConversationInputSchema = createConversationSchema.extend(graphqlProvider);
export type CreateConversationData = z.input<typeof createConversationSchema>;

/** A title given as null is left as it is (a title cannot be removed); a system prompt given as null is removed. */
export const updateConversationSchema = z.object({
  title: fields.text(200).pipe(z.string().min(1, 'must not be empty')).nullish(),
  systemPrompt: fields.text(8000).nullish(),
}).meta({ id: 'ConversationUpdateRequest' });
export type UpdateConversationData = z.input<typeof updateConversationSchema>;
export const updateConversationInputSchema = z.object({ id: ref, ...updateConversationSchema.shape });

export const deleteInputSchema = z.object({ id: ref });

export const messagesSchema = z.object({ limit: pageSchema.shape.limit, before: id.nullish() });
export type MessagesData = z.input<typeof messagesSchema>;

const tags = z.array(fields.text(40).pipe(z.string().min(1, 'must not be empty')), { error: 'must be a list of strings' }).max(20, 'at most 20 tags');
export const noteSchema = z.object({
  title: fields.text(200).pipe(z.string().min(1, 'must not be empty')),
  content: fields.text(100_000),
  tags: tags.nullish(),
}).meta({ id: 'NoteCreateRequest' });
export type NoteData = z.input<typeof noteSchema>;
/** A field given as null is left as it is, as an absent one. */
export const updateNoteSchema = z.object({
  title: fields.text(200).pipe(z.string().min(1, 'must not be empty')).nullish(),
  content: fields.text(100_000).nullish(),
  tags: tags.nullish(),
}).meta({ id: 'NoteUpdateRequest' });
export type UpdateNoteData = z.input<typeof updateNoteSchema>;
export const updateNoteInputSchema = z.object({ id: ref, ...updateNoteSchema.shape });

/* ------------------------------------------------------------------------------------------ */
/* Inputs.                                                                                      */

@ValidatedBy(historyTurnSchema)
@InputType('HistoryTurnInput', { description: 'An earlier turn, for callers that keep the conversation themselves.' })
export class HistoryTurnInput {
  @Field(() => MessageRole.graphql, { description: 'Who wrote it.' })
  role!: MessageRoleValue;

  @Field(() => String, { description: 'What was written (at most 32,000 characters).' })
  content!: string;
}

@ValidatedBy(chatInputSchema)
@InputType('ChatInput', { description: 'One chat turn: the question, and where and how to answer it.' })
export class ChatInput {
  @Field(() => String, { description: 'The question (1 to 32,000 characters).' })
  message!: string;

  @Field(() => AiProvider.graphql, { nullable: true, description: "Who answers: the conversation's provider, else the server's default (AUTO)." })
  provider?: AiProviderId | null;

  @Field(() => String, { nullable: true, description: "A model the provider offers (`Provider.models`); the conversation's, else the provider's default." })
  model?: string | null;

  @Field(() => ID, { nullable: true, description: 'Continue this conversation; without it a new one is created.' })
  conversationId?: string | null;

  @Field(() => [HistoryTurnInput], { nullable: true, description: 'Earlier turns (at most 100), for callers that keep no conversation; ignored when `conversationId` is given.' })
  conversationHistory?: HistoryTurnInput[] | null;

  @Field(() => String, { nullable: true, description: 'Answer in this language (a BCP 47 tag such as "en" or "pt-BR"), whatever language the question is in.' })
  userLanguage?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Ground the answer in the knowledge base documents you may read (default true; needs `rag:read` for an API key).' })
  useKnowledgeBase?: boolean | null;
}

@ValidatedBy(startChatTurnInputSchema)
@InputType('StartChatTurnInput', { description: 'One resumable chat turn: the question, where and how to answer it, and optionally the id you chose for the turn.' })
export class StartChatTurnInput extends ChatInput {
  @Field(() => ID, {
    nullable: true,
    description: 'An id you generate for the turn (a UUID): calling again with it (a retry, a double mount) starts nothing new and answers the same turn. Without it the server chooses one.',
  })
  turnId?: string | null;
}

@ValidatedBy(regenerateReplyInputSchema)
@InputType('RegenerateReplyInput', { description: 'Which conversation\'s last reply to ask for again, and optionally from whom.' })
export class RegenerateReplyInput {
  @Field(() => ID, { description: 'The conversation; its last message must be a reply.' })
  conversationId!: string;

  @Field(() => AiProvider.graphql, { nullable: true, description: "Who answers this time: the conversation's provider unless given." })
  provider?: AiProviderId | null;

  @Field(() => String, { nullable: true, description: "The model this time: the conversation's (or, with another provider, that provider's default) unless given." })
  model?: string | null;
}

@ValidatedBy(createConversationInputSchema)
@InputType('CreateConversationInput', { description: 'An empty conversation, with what its turns will use.' })
export class CreateConversationInput {
  @Field(() => String, { nullable: true, description: 'The title (at most 200 characters); without one, the first question gives it.' })
  title?: string | null;

  @Field(() => AiProvider.graphql, { nullable: true, description: "The provider its turns use unless a turn names one; the server's default when absent." })
  provider?: AiProviderId | null;

  @Field(() => String, { nullable: true, description: 'The model its turns use unless a turn names one.' })
  model?: string | null;

  @Field(() => String, { nullable: true, description: 'Instructions sent to the provider before every turn (at most 8,000 characters).' })
  systemPrompt?: string | null;
}

@ValidatedBy(updateConversationInputSchema)
@InputType('UpdateConversationInput', { description: 'A rename, or a new system prompt. What is absent stays as it is.' })
export class UpdateConversationInput {
  @Field(() => ID, { description: 'The conversation.' })
  id!: string;

  @Field(() => String, { nullable: true, description: 'The new title (1 to 200 characters); null or absent keeps the old one.' })
  title?: string | null;

  @Field(() => String, { nullable: true, description: 'The new system prompt (at most 8,000 characters); null removes it, absent keeps it.' })
  systemPrompt?: string | null;
}

@ValidatedBy(deleteInputSchema)
@InputType('DeleteConversationInput', { description: 'The conversation to delete.' })
export class DeleteConversationInput {
  @Field(() => ID, { description: 'The conversation: it goes with its messages.' })
  id!: string;
}

@ValidatedBy(noteSchema)
@InputType('CreateNoteInput', { description: 'A new note.' })
export class CreateNoteInput {
  @Field(() => String, { description: 'The title (1 to 200 characters).' })
  title!: string;

  @Field(() => String, { description: 'The text (at most 100,000 characters).' })
  content!: string;

  @Field(() => [String], { nullable: true, description: 'Tags (at most 20, each 1 to 40 characters).' })
  tags?: string[] | null;
}

@ValidatedBy(updateNoteInputSchema)
@InputType('UpdateNoteInput', { description: 'A change to a note. What is absent or null stays as it is.' })
export class UpdateNoteInput {
  @Field(() => ID, { description: 'The note.' })
  id!: string;

  @Field(() => String, { nullable: true, description: 'The new title (1 to 200 characters).' })
  title?: string | null;

  @Field(() => String, { nullable: true, description: 'The new text (at most 100,000 characters).' })
  content?: string | null;

  @Field(() => [String], { nullable: true, description: 'The new tags, replacing the old ones (an empty list removes them).' })
  tags?: string[] | null;
}

@ValidatedBy(deleteInputSchema)
@InputType('DeleteNoteInput', { description: 'The note to delete.' })
export class DeleteNoteInput {
  @Field(() => ID, { description: 'The note.' })
  id!: string;
}

/* ------------------------------------------------------------------------------------------ */
/* Objects.                                                                                     */

@ObjectType('TokenUsage', { description: 'Tokens a reply cost, as the provider reported them.' })
export class TokenUsageType {
  @Field(() => Int, { description: 'Tokens of the prompt (history, grounding and question).' })
  promptTokens!: number;

  @Field(() => Int, { description: 'Tokens of the reply.' })
  completionTokens!: number;

  @Field(() => Int, { description: 'Both together.' })
  totalTokens!: number;
}

export const CITATION_SNIPPET = 'The cited passage, as HTML: the text escaped, with no markup (the same rule as search snippets).';

@ObjectType('Citation', { description: 'A passage a reply was grounded in or quotes.' })
export class CitationType {
  @Field(() => ID, { description: 'The cited item\'s id: a document, a note, a message or a transcript (as `type` says).' })
  documentId!: string;

  @Field(() => ContentKind.graphql, { description: 'What kind of item is cited.' })
  type!: ContentKindValue;

  @Field(() => String, { description: 'The item\'s title.' })
  title!: string;

  @Field(() => String, { description: CITATION_SNIPPET })
  snippet!: string;
}

/** The documented ChatResponse: REST's answer to a turn, and the `done` event's response. */
@ObjectType('ChatResponse', { description: 'A stored reply, as the `done` event of a streamed turn carries it.' })
export class ChatResult {
  @Field(() => String, { description: 'The reply\'s text.' })
  content!: string;

  @Field(() => AiProvider.graphql, { description: 'The provider that answered (never AUTO).' })
  provider!: AiProviderId;

  @Field(() => String, { description: 'The model that answered.' })
  model!: string;

  @Field(() => TokenUsageType, { nullable: true, description: 'Tokens the reply cost; null when the provider does not report them.' })
  usage!: TokenUsage | null;

  @Field(() => ID, { description: 'The conversation the turn was stored in.' })
  conversationId!: string;

  @Field(() => ID, { description: 'The stored reply\'s id.' })
  messageId!: string;

  @Field(() => [CitationType], { description: 'The passages the reply was grounded in or quotes.' })
  citations!: CitationType[];

  @Field(() => MessageStatus.graphql, { description: 'COMPLETE, or PARTIAL when the stream was cut short by the client.' })
  status!: MessageStatusValue;
}

/** A finished turn as the service knows it: the ChatResponse, and the ids a GraphQL payload reads back. */
export interface TurnResult extends ChatResult {
  /** The question the reply answers. */
  userMessageId: string;
  /** A regenerated reply replaced this one, now deleted. */
  replacedMessageId: string | null;
}

@ObjectType('ChatStreamError', { description: 'Why a streamed turn failed.' })
export class ChatStreamError {
  @Field(() => ErrorCodes, { description: 'The error code, as REST\'s envelope and `extensions.code` carry it (upstream_unavailable, rate_limited…).' })
  code!: ErrorCode;

  @Field(() => String, { description: 'What happened, for people.' })
  message!: string;
}

@ObjectType('ChatStreamEvent', { description: 'One event of a streamed chat turn: START, then DELTA events with text, then DONE with the stored reply, or ERROR.' })
export class ChatStreamEvent {
  @Field(() => ChatStreamEventType.graphql, { description: 'What the event says.' })
  type!: ChatStreamEventTypeValue;

  @Field(() => ChatStreamError, { nullable: true, description: 'For ERROR: why the turn failed (upstream_unavailable and the like). Nothing was stored.' })
  error?: ChatStreamError | null;

  @Field(() => ID, { description: 'The conversation of the turn.' })
  conversationId!: string;

  @Field(() => String, { nullable: true, description: 'For DELTA: the next piece of the reply.' })
  delta?: string | null;

  @Field(() => ChatResult, { nullable: true, description: 'For DONE: the stored reply.' })
  response?: ChatResult | null;
}

@ObjectType('ChatTurnEvent', {
  description: 'One event of a resumable chat turn, numbered: START (`seq` 1), DELTA events with text, then DONE with the stored reply, or ERROR (nothing stored).',
})
export class ChatTurnEvent {
  @Field(() => ID, { description: 'The turn.' })
  turnId!: string;

  @Field(() => Int, { description: 'Its place in the turn, from 1 without gaps: resubscribe with `after` set to the last one you received to get the rest.' })
  seq!: number;

  @Field(() => ChatStreamEventType.graphql, { description: 'What the event says.' })
  type!: ChatStreamEventTypeValue;

  @Field(() => ID, { description: 'The conversation of the turn.' })
  conversationId!: string;

  @Field(() => String, { nullable: true, description: 'For DELTA: the next piece of the reply.' })
  delta?: string | null;

  @Field(() => ChatResult, { nullable: true, description: 'For DONE: the stored reply.' })
  response?: ChatResult | null;

  @Field(() => ChatStreamError, { nullable: true, description: 'For ERROR: why the turn failed (upstream_unavailable and the like). Nothing was stored.' })
  error?: ChatStreamError | null;
}

@ObjectType('ChatTurn', { description: 'A resumable chat turn under way or finished: watch it with `chatTurnEvents(turnId)`.' })
export class ChatTurn {
  @Field(() => ID, { description: 'The turn\'s id (yours when you gave one). A turn is not a `Node`: it lives only as long as its replay buffer keeps it.' })
  turnId!: string;

  @Field(() => ID, { description: 'The conversation it is stored in: the one named, or the id of the new one (it exists once the reply is stored).' })
  conversationId!: string;

  @Field(() => Boolean, { description: 'True when this call started the turn; false when a turn with this id had already been started (nothing new was started).' })
  started!: boolean;
}

/* ------------------------------------------------------------------------------------------ */
/* Connections and payloads.                                                                    */

export const ConversationConnection = connectionType<Conversation>('Conversation', () => Conversation, 'most recently active first');
export const MessageConnection = connectionType<Message>('Message', () => Message, 'oldest first (in conversation order)');
export const NoteConnection = connectionType<Note>('Note', () => Note, 'most recently changed first');

@ObjectType('ChatPayload', { description: 'A finished chat turn: the conversation with its new count, your question and the reply, both stored.' })
export class ChatPayload {
  @Field(() => Conversation, { description: 'The conversation the turn was stored in (new when the turn named none), with its new `messageCount` and `lastMessageAt`.' })
  conversation!: Conversation;

  @Field(() => Message, { description: 'Your question, as stored.' })
  userMessage!: Message;

  @Field(() => Message, { description: 'The reply, as stored (PARTIAL only when cut short).' })
  assistantMessage!: Message;

  @Field(() => QueryRoot, { description: QUERY_ROOT_DESCRIPTION })
  query!: QueryRoot;
}

@ObjectType('StartChatTurnPayload', { description: 'A chat turn started (or already started with this id): its reply streams on `chatTurnEvents`; the conversation and both messages are stored when it ends.' })
export class StartChatTurnPayload {
  @Field(() => ChatTurn, { description: 'The turn.' })
  turn!: ChatTurn;

  @Field(() => QueryRoot, { description: QUERY_ROOT_DESCRIPTION })
  query!: QueryRoot;
}

@ObjectType('RegenerateReplyPayload', { description: 'The new reply, which replaced the old one in its place.' })
export class RegenerateReplyPayload {
  @Field(() => Conversation, { description: 'The conversation.' })
  conversation!: Conversation;

  @Field(() => Message, { description: 'The new reply, at the old one\'s position.' })
  assistantMessage!: Message;

  @Field(() => ID, { description: 'The id of the reply it replaced, which no longer exists (a cache evicts it).' })
  deletedMessageId!: string;

  @Field(() => QueryRoot, { description: QUERY_ROOT_DESCRIPTION })
  query!: QueryRoot;
}

@ObjectType('CreateConversationPayload', { description: 'The new conversation.' })
export class CreateConversationPayload {
  @Field(() => Conversation, { description: 'The new, empty conversation.' })
  conversation!: Conversation;

  @Field(() => QueryRoot, { description: QUERY_ROOT_DESCRIPTION })
  query!: QueryRoot;
}

@ObjectType('UpdateConversationPayload', { description: 'The changed conversation.' })
export class UpdateConversationPayload {
  @Field(() => Conversation, { description: 'The conversation as it is now.' })
  conversation!: Conversation;

  @Field(() => QueryRoot, { description: QUERY_ROOT_DESCRIPTION })
  query!: QueryRoot;
}

@ObjectType('DeleteConversationPayload', { description: 'What the deletion removed.' })
export class DeleteConversationPayload {
  @Field(() => ID, { description: 'The deleted conversation\'s id (its messages went with it).' })
  deletedId!: string;

  @Field(() => QueryRoot, { description: QUERY_ROOT_DESCRIPTION })
  query!: QueryRoot;
}

@ObjectType('CreateNotePayload', { description: 'The new note.' })
export class CreateNotePayload {
  @Field(() => Note, { description: 'The new note.' })
  note!: Note;

  @Field(() => QueryRoot, { description: QUERY_ROOT_DESCRIPTION })
  query!: QueryRoot;
}

@ObjectType('UpdateNotePayload', { description: 'The changed note.' })
export class UpdateNotePayload {
  @Field(() => Note, { description: 'The note as it is now.' })
  note!: Note;

  @Field(() => QueryRoot, { description: QUERY_ROOT_DESCRIPTION })
  query!: QueryRoot;
}

@ObjectType('DeleteNotePayload', { description: 'What the deletion removed.' })
export class DeleteNotePayload {
  @Field(() => ID, { description: 'The deleted note\'s id.' })
  deletedId!: string;

  @Field(() => QueryRoot, { description: QUERY_ROOT_DESCRIPTION })
  query!: QueryRoot;
}
