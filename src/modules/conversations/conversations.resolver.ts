import { GraphQLDateTime } from 'graphql-scalars';
import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { RequestContext } from '../../common/context.js';
import { AppError } from '../../common/errors.js';
import type { ChatEvent } from '../../common/pubsub.js';
import { describeRequirement as need } from '../../common/scopes.js';
import { PublicCache } from '../../graphql/cache-control.js';
import { Conversation } from './conversation.entity.js';
import type { ChatTurn } from './conversations.service.js';
import { encodeCursor } from './conversations.service.js';
import {
  ChatInput,
  ChatResult,
  ChatStreamEvent,
  CitationType,
  ConversationConnection,
  CreateConversationInput,
  MessageConnection,
  NoteInput,
  NotePage,
  ProvidersType,
  SearchResultType,
  TokenUsageType,
  UpdateNoteInput,
} from './conversations.types.js';
import { Message } from './message.entity.js';
import { Note } from './note.entity.js';

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
  @PublicCache(60)
  @Query(() => ProvidersType, { description: 'AI providers: configured and answering, models, capabilities.' })
  async providers(@Ctx() ctx: RequestContext): Promise<ProvidersType> {
    return { default: ctx.services.ai.defaultId, providers: await ctx.services.ai.describe() };
  }

  @Query(() => ConversationConnection, { description: `Your conversations, most recently active first. ${READ}` })
  async conversations(
    @Ctx() ctx: RequestContext,
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
  ): Promise<ConversationConnection> {
    const page = await ctx.services.conversations.listAfter(ctx, first, after);
    const edges = page.items.map((node) => ({ cursor: encodeCursor(node.updatedAt, node.id), node }));
    return { edges, totalCount: page.total, pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges[edges.length - 1]?.cursor ?? null } };
  }

  @Query(() => Conversation, { description: READ })
  conversation(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<Conversation> {
    return ctx.services.conversations.get(ctx, id);
  }

  @Query(() => SearchResultType, { description: `Full-text search over your own messages and notes. ${READ}` })
  search(
    @Ctx() ctx: RequestContext,
    @Arg('q', () => String) q: string,
    @Arg('types', () => [String], { nullable: true }) types: string[] | null,
    @Arg('conversationId', () => ID, { nullable: true }) conversationId: string | null,
    @Arg('from', () => GraphQLDateTime, { nullable: true }) from: Date | null,
    @Arg('to', () => GraphQLDateTime, { nullable: true }) to: Date | null,
    @Arg('limit', () => Int, { defaultValue: 20 }) limit: number,
    @Arg('offset', () => Int, { defaultValue: 0 }) offset: number,
  ): Promise<SearchResultType> {
    return ctx.services.search.search(ctx, { q, types: types ?? undefined, conversationId: conversationId ?? undefined, from: from ?? undefined, to: to ?? undefined, limit, offset });
  }

  @Mutation(() => Conversation, { description: WRITE })
  createConversation(@Arg('input', () => CreateConversationInput) input: CreateConversationInput, @Ctx() ctx: RequestContext): Promise<Conversation> {
    return ctx.services.conversations.create(ctx, input);
  }

  @Mutation(() => Conversation, { description: WRITE })
  renameConversation(@Arg('id', () => ID) id: string, @Arg('title', () => String) title: string, @Ctx() ctx: RequestContext): Promise<Conversation> {
    return ctx.services.conversations.update(ctx, id, { title });
  }

  @Mutation(() => Boolean, { description: `Deletes the conversation with its messages. ${WRITE}` })
  async deleteConversation(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<boolean> {
    await ctx.services.conversations.delete(ctx, id);
    return true;
  }

  @Mutation(() => ChatResult, { description: `One chat turn, answered when complete; chatStream streams it. ${WRITE}` })
  async chat(@Arg('input', () => ChatInput) input: ChatInput, @Ctx() ctx: RequestContext): Promise<ChatResult> {
    return (await ctx.services.conversations.startTurn(ctx, input)).result;
  }

  @Mutation(() => ChatResult, { description: `Asks again for the last reply; it replaces the old one. ${WRITE}` })
  async regenerateReply(
    @Arg('conversationId', () => ID) conversationId: string,
    @Arg('provider', () => String, { nullable: true }) provider: string | null,
    @Ctx() ctx: RequestContext,
  ): Promise<ChatResult> {
    return (await ctx.services.conversations.regenerate(ctx, conversationId, { provider })).result;
  }

  @Subscription(() => ChatStreamEvent, {
    description: `One chat turn, streamed token by token. Unsubscribing mid-stream keeps the partial reply. ${WRITE}`,
    subscribe: async ({ args, context }) => streamOf(await (context as RequestContext).services.conversations.startTurn(context as RequestContext, args.input as ChatInput)),
  })
  chatStream(@Root() event: ChatStreamEvent, @Arg('input', () => ChatInput) _input: ChatInput): ChatStreamEvent {
    return event;
  }

  @Subscription(() => ChatStreamEvent, {
    description: `The turns of one of your conversations as they stream (start, delta, done, error), whichever door or gateway process started them. ${READ}`,
    subscribe: async ({ args, context }) => {
      const ctx = context as RequestContext;
      const conversation = await ctx.services.conversations.watch(ctx, String(args.conversationId));
      return ctx.services.events.subscribe('CHAT_EVENT', conversation.id);
    },
  })
  conversationEvents(@Root() event: ChatEvent, @Arg('conversationId', () => ID) _conversationId: string): ChatStreamEvent {
    return event as ChatStreamEvent;
  }

  @Query(() => NotePage, { description: READ })
  notes(
    @Ctx() ctx: RequestContext,
    @Arg('limit', () => Int, { defaultValue: 20 }) limit: number,
    @Arg('offset', () => Int, { defaultValue: 0 }) offset: number,
  ): Promise<NotePage> {
    return ctx.services.notes.list(ctx, { limit, offset });
  }

  @Mutation(() => Note, { description: WRITE })
  createNote(@Arg('input', () => NoteInput) input: NoteInput, @Ctx() ctx: RequestContext): Promise<Note> {
    return ctx.services.notes.create(ctx, input);
  }

  @Mutation(() => Note, { description: WRITE })
  updateNote(@Arg('id', () => ID) id: string, @Arg('input', () => UpdateNoteInput) input: UpdateNoteInput, @Ctx() ctx: RequestContext): Promise<Note> {
    return ctx.services.notes.update(ctx, id, input);
  }

  @Mutation(() => Boolean, { description: WRITE })
  async deleteNote(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<boolean> {
    await ctx.services.notes.delete(ctx, id);
    return true;
  }

  @FieldResolver(() => MessageConnection, { description: 'The last messages, oldest first; `before` is a message id.' })
  async messages(
    @Root() c: Conversation,
    @Ctx() ctx: RequestContext,
    @Arg('last', () => Int, { defaultValue: 20 }) last: number,
    @Arg('before', () => ID, { nullable: true }) before: string | null,
  ): Promise<MessageConnection> {
    const page = await ctx.services.conversations.messagesOf(ctx, c, { limit: last, before });
    const edges = page.items.map((node) => ({ cursor: node.id, node }));
    const first = page.items[0];
    return { edges, totalCount: page.total, pageInfo: { hasNextPage: first ? first.position > 1 : false, endCursor: first?.id ?? null } };
  }
}

@Resolver(() => Message)
export class MessageResolver {
  @FieldResolver(() => ID)
  conversationId(@Root() m: Message): string {
    return m.conversation.id;
  }

  @FieldResolver(() => [CitationType])
  citations(@Root() m: Message): CitationType[] {
    return m.citations;
  }

  @FieldResolver(() => TokenUsageType, { nullable: true })
  usage(@Root() m: Message): TokenUsageType | null {
    return m.totalTokens === null ? null : { promptTokens: m.promptTokens ?? 0, completionTokens: m.completionTokens ?? 0, totalTokens: m.totalTokens };
  }
}
