import { Arg, Args, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { RequestContext } from '../../common/context.js';
import { AppError } from '../../common/errors.js';
import type { ChatEvent, ChatTurnEntry } from '../../common/pubsub.js';
import { describeRequirement as need } from '../../common/scopes.js';
import { snippetHtml } from '../../common/text.js';
import { queryRoot } from '../../graphql/query-root.js';
import { lifecycle } from '../../graphql/subscription-stream.js';
import { ConnectionArgs, pageRequest, type ConnectionPage } from '../../graphql/relay.js';
import type { Citation } from '../ai/index.js';
import { Conversation } from './conversations.entities.js';
import type { ChatTurn } from './conversations.service.js';
import {
  ChatInput,
  ChatPayload,
  ChatStreamEvent,
  ChatTurnEvent,
  CITATION_SNIPPET,
  ChatResult,
  CitationType,
  ConversationConnection,
  CreateConversationInput,
  CreateConversationPayload,
  CreateNoteInput,
  CreateNotePayload,
  DeleteConversationInput,
  DeleteConversationPayload,
  DeleteNoteInput,
  DeleteNotePayload,
  MessageConnection,
  NoteConnection,
  RegenerateReplyInput,
  RegenerateReplyPayload,
  StartChatTurnInput,
  StartChatTurnPayload,
  TokenUsageType,
  UpdateConversationInput,
  UpdateConversationPayload,
  UpdateNoteInput,
  UpdateNotePayload,
} from './conversations.types.js';
import { Message, usageOf } from './conversations.entities.js';
import { Note } from './conversations.entities.js';
import type { ServiceMap } from '../manifest.js';
import { SearchHitType, type SearchHit } from '../search/index.js';
import { documentRef, KnowledgeDocument } from '../knowledge/index.js';
import { resolverOf } from '../../graphql/container.js';
import { visibleRef } from '../../graphql/node.resolver.js';
import { conversationRef, messageRef } from './conversations.refs.js';

const READ = need('conversations:read');
const WRITE = need('conversations:write');

/** A turn as a subscription source: unsubscribing cancels it, and a failure becomes an `error` event. */
function streamOf(turn: ChatTurn): AsyncIterable<ChatStreamEvent> {
  const events = turn.events();
  let failed = false;
  return {
    [Symbol.asyncIterator]: () => ({
      async next(): Promise<IteratorResult<ChatStreamEvent>> {
        if (failed) return { done: true, value: undefined };
        try {
          return await events.next();
        } catch (e) {
          failed = true;
          const err = e instanceof AppError ? e : new AppError('internal_error', 'The turn failed');
          return { done: false, value: { type: 'error', conversationId: '', error: { code: err.code, message: err.message } } };
        }
      },
      async return(): Promise<IteratorResult<ChatStreamEvent>> {
        turn.cancel();
        return { done: true, value: undefined };
      },
    }),
  };
}

@Resolver(() => Conversation)
export class ConversationsResolver {
  constructor(
    readonly conversationsService: ServiceMap['conversations'],
    readonly events: ServiceMap['events'],
    readonly notesService: ServiceMap['notes'],
  ) {}

  @Query(() => ConversationConnection, { description: `Your conversations, most recently active first. ${READ}` })
  conversations(@Ctx() ctx: RequestContext, @Args(() => ConnectionArgs) page: ConnectionArgs): Promise<ConnectionPage<Conversation>> {
    return this.conversationsService.connection(ctx, pageRequest(page));
  }

  @Query(() => Conversation, { nullable: true, description: `One of your conversations; null for an unknown id or someone else's. ${READ}` })
  conversation(@Arg('id', () => ID, { description: 'The conversation\'s id.' }) id: string, @Ctx() ctx: RequestContext): Promise<Conversation | null> {
    return this.conversationsService.find(ctx, id);
  }

  @Query(() => Message, { nullable: true, description: `One message of one of your conversations; null for an unknown id or someone else's. ${READ}` })
  async message(@Arg('id', () => ID, { description: 'The message\'s id.' }) id: string, @Ctx() ctx: RequestContext): Promise<Message | null> {
    return (await this.conversationsService.visibleMessages(ctx, [id]))[0] ?? null;
  }

  @Mutation(() => CreateConversationPayload, { description: `Creates an empty conversation. ${WRITE}` })
  async createConversation(@Arg('input', () => CreateConversationInput, { description: 'The conversation.' }) input: CreateConversationInput, @Ctx() ctx: RequestContext): Promise<CreateConversationPayload> {
    return { conversation: await this.conversationsService.create(ctx, input), query: queryRoot() };
  }

  @Mutation(() => UpdateConversationPayload, { description: `Renames a conversation or changes its system prompt. ${WRITE}` })
  async updateConversation(@Arg('input', () => UpdateConversationInput, { description: 'The change.' }) input: UpdateConversationInput, @Ctx() ctx: RequestContext): Promise<UpdateConversationPayload> {
    const { id, ...change } = input;
    return { conversation: await this.conversationsService.update(ctx, id, change), query: queryRoot() };
  }

  @Mutation(() => DeleteConversationPayload, { description: `Deletes a conversation with its messages. ${WRITE}` })
  async deleteConversation(@Arg('input', () => DeleteConversationInput, { description: 'The conversation.' }) input: DeleteConversationInput, @Ctx() ctx: RequestContext): Promise<DeleteConversationPayload> {
    await this.conversationsService.delete(ctx, input.id);
    return { deletedId: input.id, query: queryRoot() };
  }

  @Mutation(() => ChatPayload, {
    description: `One chat turn, answered when the reply is complete and stored (\`startChatTurn\` streams one instead). Without \`conversationId\` a new conversation is created. ${WRITE}`,
  })
  async chat(@Arg('input', () => ChatInput, { description: 'The turn.' }) input: ChatInput, @Ctx() ctx: RequestContext): Promise<ChatPayload> {
    return { ...(await this.conversationsService.chat(ctx, input)), query: queryRoot() };
  }

  @Mutation(() => RegenerateReplyPayload, { description: `Asks again for the last reply of a conversation; the new one replaces it in its place. ${WRITE}` })
  async regenerateReply(@Arg('input', () => RegenerateReplyInput, { description: 'The conversation, and optionally another provider or model.' }) input: RegenerateReplyInput, @Ctx() ctx: RequestContext): Promise<RegenerateReplyPayload> {
    const { conversationId, ...choice } = input;
    const outcome = await this.conversationsService.regenerateReply(ctx, conversationId, choice);
    return { conversation: outcome.conversation, assistantMessage: outcome.assistantMessage, deletedMessageId: outcome.replacedMessageId!, query: queryRoot() };
  }

  @Mutation(() => StartChatTurnPayload, {
    description:
      'Starts a chat turn and answers at once with its id; the reply streams on `chatTurnEvents(turnId)` (numbered, resumable) and on `conversationEvents`, ' +
      'and is stored with the question when it ends. The turn runs to its end whoever listens. With your own `turnId`, calling again (a retry, a double mount) ' +
      'starts nothing and answers the same turn (`started: false`); a turn id someone else took answers conflict. Without `conversationId` a new conversation is created. ' +
      `${WRITE}`,
  })
  async startChatTurn(@Arg('input', () => StartChatTurnInput, { description: 'The turn.' }) input: StartChatTurnInput, @Ctx() ctx: RequestContext): Promise<StartChatTurnPayload> {
    const t = await this.conversationsService.beginTurn(ctx, input);
    return { turn: { turnId: t.turnId, conversationId: t.conversationId, started: t.started }, query: queryRoot() };
  }

  @Subscription(() => ChatTurnEvent, {
    description:
      'The events of one of your chat turns (`startChatTurn`), numbered from 1: START, DELTA events, then DONE with the stored reply or ERROR. ' +
      'Sends the events after `after` (all of them without it) at once, then the rest as they come, from whichever gateway process runs the turn; completes after DONE or ERROR ' +
      '(a finished turn replays and completes at once). After a dropped connection, subscribe again with `after` = the last `seq` received: nothing is missed or repeated. ' +
      'Subscribing never starts or cancels anything. A turn is kept for `CHAT_TURN_TTL_SECONDS` (10 minutes by default) after its last event; an unknown, expired or someone ' +
      `else's turn answers one not_found error at once. ${READ}`,
    subscribe: async ({ args, context, info }) => {
      const ctx = context as RequestContext;
      return (await resolverOf(info, ConversationsResolver).conversationsService.followTurn(ctx, String((args as { turnId: unknown }).turnId), (args as { after?: number | null }).after)).events;
    },
  })
  chatTurnEvents(
    @Root() event: ChatTurnEntry,
    @Arg('turnId', () => ID, { description: 'The turn, as `startChatTurn` answered it.' }) _turnId: string,
    @Arg('after', () => Int, { nullable: true, description: 'The last sequence number you received: only later events are sent (0 or absent: all).' }) _after?: number | null,
  ): ChatTurnEvent {
    return event as ChatTurnEvent;
  }

  @Subscription(() => ChatStreamEvent, {
    deprecationReason: 'Subscribing starts a turn, so a resubscription starts another and a dropped connection loses the rest: use startChatTurn, then chatTurnEvents.',
    description: `One chat turn, started by subscribing and streamed token by token: START, DELTA events, then DONE with the stored reply, or ERROR (nothing stored). Unsubscribing mid-stream cancels the turn and keeps the partial reply; subscribing again starts another turn. ${WRITE}`,
    subscribe: async ({ args, context, info }) => streamOf(await resolverOf(info, ConversationsResolver).conversationsService.startTurn(context as RequestContext, (args as { input: ChatInput }).input)),
  })
  chatStream(@Root() event: ChatStreamEvent, @Arg('input', () => ChatInput, { description: 'The turn.' }) _input: ChatInput): ChatStreamEvent {
    return event;
  }

  @Subscription(() => ChatStreamEvent, {
    description:
      'The turns of one of your conversations as they stream (START, DELTA, DONE, ERROR), whichever door or gateway process started them. ' +
      'Starts once acknowledged (a turn already under way is heard from the next token; nothing is replayed: read the messages after reconnecting). ' +
      'Completes when the conversation is deleted; an unknown conversation, or someone else\'s, answers one not_found error. ' +
      `${READ}`,
    subscribe: async ({ args, context, info }) => {
      const ctx = context as RequestContext;
      const conversationId = String((args as { conversationId: unknown }).conversationId);
      // Listening first, then the check: a deletion in between is not missed.
      const events = resolverOf(info, ConversationsResolver).events.subscribe('CHAT_EVENT', conversationId);
      try {
        await resolverOf(info, ConversationsResolver).conversationsService.watch(ctx, conversationId);
      } catch (e) {
        await events.return?.();
        throw e;
      }
      return lifecycle<ChatEvent, ChatEvent>(events, (e) => (e.type === 'deleted' ? { end: true } : { send: e }));
    },
  })
  conversationEvents(@Root() event: ChatEvent, @Arg('conversationId', () => ID, { description: 'The conversation to watch.' }) _conversationId: string): ChatStreamEvent {
    return event as ChatStreamEvent;
  }

  @Query(() => NoteConnection, { description: `Your notes, most recently changed first. ${READ}` })
  notes(@Ctx() ctx: RequestContext, @Args(() => ConnectionArgs) page: ConnectionArgs): Promise<ConnectionPage<Note>> {
    return this.notesService.connection(ctx, pageRequest(page));
  }

  @Query(() => Note, { nullable: true, description: `One of your notes; null for an unknown id or someone else's. ${READ}` })
  async note(@Arg('id', () => ID, { description: 'The note\'s id.' }) id: string, @Ctx() ctx: RequestContext): Promise<Note | null> {
    return (await this.notesService.visible(ctx, [id]))[0] ?? null;
  }

  @Mutation(() => CreateNotePayload, { description: `Creates a note, searchable at once. ${WRITE}` })
  async createNote(@Arg('input', () => CreateNoteInput, { description: 'The note.' }) input: CreateNoteInput, @Ctx() ctx: RequestContext): Promise<CreateNotePayload> {
    return { note: await this.notesService.create(ctx, input), query: queryRoot() };
  }

  @Mutation(() => UpdateNotePayload, { description: `Changes a note; search follows at once. ${WRITE}` })
  async updateNote(@Arg('input', () => UpdateNoteInput, { description: 'The change.' }) input: UpdateNoteInput, @Ctx() ctx: RequestContext): Promise<UpdateNotePayload> {
    const { id, ...change } = input;
    return { note: await this.notesService.update(ctx, id, change), query: queryRoot() };
  }

  @Mutation(() => DeleteNotePayload, { description: `Deletes a note; search forgets it at once. ${WRITE}` })
  async deleteNote(@Arg('input', () => DeleteNoteInput, { description: 'The note.' }) input: DeleteNoteInput, @Ctx() ctx: RequestContext): Promise<DeleteNotePayload> {
    await this.notesService.delete(ctx, input.id);
    return { deletedId: input.id, query: queryRoot() };
  }

  @FieldResolver(() => MessageConnection, { description: 'The conversation\'s messages, oldest first: `last: n` for the latest, then `before` for older ones.' })
  messages(@Root() c: Conversation, @Ctx() ctx: RequestContext, @Args(() => ConnectionArgs) page: ConnectionArgs): Promise<ConnectionPage<Message>> {
    return this.conversationsService.messageConnection(ctx, c, pageRequest(page));
  }
}

@Resolver(() => Message)
export class MessageResolver {
  @FieldResolver(() => ID, { description: 'The id of the conversation it belongs to.' })
  conversationId(@Root() m: Message): string {
    return m.conversation.id;
  }

  @FieldResolver(() => Conversation, { description: 'The conversation it belongs to.' })
  async conversation(@Root() m: Message, @Ctx() ctx: RequestContext): Promise<Conversation> {
    const c = await ctx.loaders.conversations.byId.load(m.conversation.id);
    if (!c) throw AppError.notFound('Conversation');
    return c;
  }

  @FieldResolver(() => [CitationType], { description: 'For a reply: the passages it was grounded in or quotes.' })
  citations(@Root() m: Message): CitationType[] {
    return m.citations;
  }

  @FieldResolver(() => TokenUsageType, { nullable: true, description: 'For a reply: the tokens it cost, when the provider reports them.' })
  usage(@Root() m: Message): TokenUsageType | null {
    return usageOf(m);
  }
}

/**
 * The objects a finished turn stored, on its DONE event (chatTurnEvents, conversationEvents,
 * chatStream): read when the event is sent, by the rules of `node(id:)`, so a normalized cache
 * gets the reply and the conversation's new counts without refetching.
 */
@Resolver(() => ChatResult)
export class ChatResponseResolver {
  constructor(readonly conversations: ServiceMap['conversations']) {}

  @FieldResolver(() => Message, {
    nullable: true,
    description: 'The stored reply, as `message(id:)` answers it (the same id as `messageId`); null once it is deleted (its conversation deleted, or the reply regenerated).',
  })
  message(@Root() r: ChatResult, @Ctx() ctx: RequestContext): Promise<Message | null> {
    return messageRef(this.conversations, ctx, r.messageId);
  }

  @FieldResolver(() => Conversation, {
    nullable: true,
    description: 'The conversation the turn was stored in, as `conversation(id:)` answers it now: with its new `messageCount`, `lastMessageAt` and messages. Null once it is deleted.',
  })
  conversation(@Root() r: ChatResult, @Ctx() ctx: RequestContext): Promise<Conversation | null> {
    return conversationRef(this.conversations, ctx, r.conversationId);
  }
}

/**
 * A stored citation keeps its passage as plain text (as providers quote it); it is answered
 * by the snippet rule, escaped, so citations stored before the rule are safe too.
 */
@Resolver(() => CitationType)
export class CitationResolver {
  constructor(readonly knowledge: ServiceMap['knowledge']) {}

  @FieldResolver(() => String, { description: CITATION_SNIPPET })
  snippet(@Root() c: Citation): string {
    return snippetHtml(c.snippet);
  }

  @FieldResolver(() => KnowledgeDocument, {
    nullable: true,
    description: 'For a DOCUMENT citation: the document, when you may still read it (as `document(id:)`); null once it is deleted or no longer shared with you, and for other kinds.',
  })
  document(@Root() c: Citation, @Ctx() ctx: RequestContext): Promise<KnowledgeDocument | null> | null {
    return c.type === 'document' ? documentRef(this.knowledge, ctx, c.documentId) : null;
  }
}

/** `SearchHit.conversation`: the conversations module adds the field to the search module's hit. */
@Resolver(() => SearchHitType)
export class SearchHitConversationResolver {
  constructor(
    readonly conversations: ServiceMap['conversations'],
    readonly notes: ServiceMap['notes'],
  ) {}

  @FieldResolver(() => Conversation, { nullable: true, description: 'For a MESSAGE: its conversation.' })
  conversation(@Root() hit: SearchHit, @Ctx() ctx: RequestContext): Promise<Conversation | null> | null {
    return hit.conversationId ? ctx.loaders.conversations.byId.load(hit.conversationId) : null;
  }

  @FieldResolver(() => Message, { nullable: true, description: 'For a MESSAGE: the message (its `sourceId`), as `message(id:)` answers it; null for other kinds.' })
  message(@Root() hit: SearchHit, @Ctx() ctx: RequestContext): Promise<Message | null> | null {
    return hit.type === 'message' ? messageRef(this.conversations, ctx, hit.id) : null;
  }

  @FieldResolver(() => Note, { nullable: true, description: 'For a NOTE: the note (its `sourceId`), as `note(id:)` answers it; null for other kinds.' })
  note(@Root() hit: SearchHit, @Ctx() ctx: RequestContext): Promise<Note | null> | null {
    return hit.type === 'note' ? visibleRef(ctx, 'Note', (c, ids) => this.notes.visible(c, ids), hit.id) : null;
  }}
