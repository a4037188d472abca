import type { z } from 'zod';
import { LockMode, type EntityManager } from '@mikro-orm/core';
import { authorize } from '../../common/access.js';
import { withEntityManager, type RequestContext } from '../../common/context.js';
import { AppError } from '../../common/errors.js';
import { isId } from '../../common/ids.js';
import { clip } from '../../common/text.js';
import { pageSchema, type Page, type PageArgs } from '../../common/pagination.js';
import { connectionPage, encodeCursor, findConnection, positionOf, type ConnectionPage, type PageRequest } from '../../graphql/relay.js';
import type { ChatTurnEntry, EventBus } from '../../common/pubsub.js';
import type { RateLimits } from '../../common/rate-limits.js';
import { parseInput } from '../../common/validation.js';
import type { Config } from '../../config.js';
import { grants } from '../../common/scopes.js';
import { flushOrConflict } from '../../db/flush.js';
import type { AiProviderId } from '../ai/index.js';
import { UpstreamError, type Citation, type Passage, type PromptMessage, type TokenUsage } from '../ai/index.js';
import type { KnowledgeService } from '../knowledge/index.js';
import type { ProviderRegistry } from '../ai/index.js';
import type { SearchService } from '../search/index.js';
import { User } from '../users/index.js';
import { Conversation } from './conversations.entities.js';
import {
  chatSchema,
  createConversationSchema,
  startChatTurnSchema,
  type StartChatTurnData,
  messagesSchema,
  regenerateSchema,
  updateConversationSchema,
  type ChatData,
  type ChatResult,
  type ChatStreamEvent,
  type CreateConversationData,
  type MessagesData,
  type RegenerateData,
  type TurnResult,
  type UpdateConversationData,
} from './conversations.types.js';
import { Message, usageOf, type MessageStatus } from './conversations.entities.js';
import { Turn } from './turn.js';
import type { ChatTurnLog, TurnMeta } from './turn-log.js';
import type { ConversationSessionsService } from './sessions.service.js';

export type ChatTurn = Turn<ChatStreamEvent, TurnResult>;

/** A resumable turn as `beginTurn` answers it. */
export interface TurnHandle {
  turnId: string;
  /** Where it is stored (a new conversation's id, chosen before it exists). */
  conversationId: string;
  /** False when a turn with this id had already been started (by an earlier call): nothing new was started. */
  started: boolean;
}

/** A reader of a resumable turn (`followTurn`). */
export interface TurnFollower {
  events: AsyncIterableIterator<ChatTurnEntry>;
  /** The turn had ended by `after`: the events complete at once, and nothing will ever follow. */
  ended: boolean;
}

/** No events (a reader past the end of a finished turn). */
async function* nothing(): AsyncGenerator<ChatTurnEntry> {}

/** A finished turn, read back for a GraphQL payload: the conversation as it is now and both messages. */
export interface TurnOutcome {
  conversation: Conversation;
  userMessage: Message;
  assistantMessage: Message;
  /** A regenerated reply replaced this one. */
  replacedMessageId: string | null;
}

/** "What is the capital of France? And..." -> "What is the capital of France? And…" (at most 60 characters, whole words). */
export function deriveTitle(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  if (line.length <= 60) return line || 'New conversation';
  const cut = clip(line, 60);
  const space = cut.lastIndexOf(' ');
  return `${(space > 30 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

interface Prepared {
  /** Knowledge-base passages found for the question: the local provider quotes them, the others were given them. */
  knowledge?: Passage[];
  userId: string;
  conversationId: string;
  existing: boolean;
  providerId: AiProviderId;
  model: string;
  prompt: PromptMessage[];
  message: string;
  /** Regeneration replaces this assistant message instead of adding a turn. */
  replaces: Message | null;
  /** Regeneration: the question the replaced reply answered. */
  questionId: string | null;
}

/** What a turn stores of its reply. */
interface Reply {
  text: string;
  usage: TokenUsage | null;
  citations: Citation[];
  status: MessageStatus;
}

/** A stored exchange: the reply's message and the question's id. */
interface Stored {
  answer: Message;
  questionId: string;
}

type Outcome = { stored: Stored } | { error: unknown };

const unwrap = (o: Outcome): Stored => {
  if ('error' in o) throw o.error;
  return o.stored;
};

interface PendingStore {
  em: EntityManager;
  prep: Prepared;
  reply: Reply;
  resolve(stored: Stored): void;
  reject(error: unknown): void;
}

/** The most turns written in one transaction. */
const STORE_GROUP_MAX = 100;

/** Conversations, their messages, and chat turns with any provider. */
export class ConversationsService {
  /** Turns still streaming or writing; shutdown waits for them before closing the database. */
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Ended turns waiting to be written, the first of them being written (see store). */
  private readonly storing: PendingStore[] = [];

  constructor(
    private readonly ai: ProviderRegistry,
    private readonly search: SearchService,
    private readonly knowledge: KnowledgeService,
    private readonly config: Config,
    private readonly events: EventBus,
    private readonly rateLimits: RateLimits,
    private readonly turns: ChatTurnLog,
    private readonly sessions: ConversationSessionsService,
  ) {}

  /** A message sent in a conversation is activity of its running learning session, if any. */
  private async activity(ctx: RequestContext, userId: string, conversation: Conversation | null): Promise<void> {
    if (conversation) await this.sessions.touch(ctx.em.fork(), userId, conversation.id);
  }

  /**
   * Starts a chat turn: validates, resolves the conversation and the provider, then streams
   * the reply. On success the user message and the reply are stored together; if the client
   * cancels, what arrived is stored as a partial reply; if the upstream fails, nothing is
   * stored and the turn ends with upstream_unavailable.
   * Turns are rate limited per user (`chat`). Every event of the turn is also published on
   * the conversation's channel, for conversationEvents watchers on any process.
   * @throws (before streaming) not_authenticated, INSUFFICIENT_API_KEY_SCOPE (conversations:write), validation_error, not_found, rate_limited
   */
  async startTurn(ctx: RequestContext, data: ChatData): Promise<ChatTurn> {
    const p = authorize(ctx, 'conversations:write');
    await this.rateLimits.consume('chat', p.userId);
    const input = parseInput(chatSchema, data);
    const conversation = input.conversationId ? await this.owned(ctx, input.conversationId, 'conversations:write') : null;
    const prep = await this.prepare(ctx, input, conversation, conversation?.id ?? crypto.randomUUID());
    await this.activity(ctx, p.userId, conversation);
    return this.run(ctx, prep);
  }

  /**
   * Starts a resumable chat turn (`startChatTurn`, POST /api/core/chat/turns) and answers at
   * once with its id: the reply streams into the turn's replay buffer, read by `followTurn`.
   * The turn runs to its end whoever listens (nothing cancels it). With a `turnId` the caller
   * chose, a second call (a retry, a double mount) starts nothing and answers the same turn.
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE (conversations:write), validation_error, not_found, rate_limited, conflict (a turn id someone else took), service_unavailable (the Redis buffer unreachable)
   */
  async beginTurn(ctx: RequestContext, data: StartChatTurnData): Promise<TurnHandle> {
    const p = authorize(ctx, 'conversations:write');
    const { turnId: given, ...input } = parseInput(startChatTurnSchema, data);
    const turnId = given ?? crypto.randomUUID();
    const joined = (m: TurnMeta): TurnHandle => {
      if (m.userId !== p.userId) throw new AppError('conflict', 'This turn id is already taken; generate another one');
      return { turnId, conversationId: m.conversationId, started: false };
    };
    if (given) {
      const known = await this.turns.meta(turnId);
      if (known) return joined(known);
    }
    const conversation = input.conversationId ? await this.owned(ctx, input.conversationId, 'conversations:write') : null;
    const conversationId = conversation?.id ?? crypto.randomUUID();
    const first = await this.turns.reserve(turnId, { userId: p.userId, conversationId, existing: conversation !== null });
    if (first) return joined(first);
    let prep: Prepared;
    try {
      await this.rateLimits.consume('chat', p.userId);
      prep = await this.prepare(ctx, input, conversation, conversationId);
      await this.activity(ctx, p.userId, conversation);
    } catch (e) {
      await this.turns.release(turnId).catch(() => undefined);
      throw e;
    }
    this.run(ctx, prep, turnId);
    return { turnId, conversationId, started: true };
  }

  /**
   * The events of one of the caller's resumable turns after sequence number `after` (0: from
   * the start), then the live rest, completing after DONE or ERROR (at once when `after` is
   * past the end of a finished turn: `ended`).
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE (conversations:read), validation_error (after), not_found (unknown, expired or someone else's turn)
   */
  async followTurn(ctx: RequestContext, turnId: string, after: number | null | undefined): Promise<TurnFollower> {
    await this.ownedTurn(ctx, turnId, after);
    if (await this.turns.ended(turnId, after ?? 0)) return { events: nothing(), ended: true };
    return { events: this.turns.follow(turnId, after ?? 0), ended: false };
  }

  /**
   * The events of one of the caller's turns stored so far after `after` (REST without
   * `Accept: text/event-stream`), and whether the turn has finished.
   * @throws as `followTurn`
   */
  async turnSnapshot(ctx: RequestContext, turnId: string, after: number | null | undefined): Promise<{ turnId: string; conversationId: string; finished: boolean; events: ChatTurnEntry[] }> {
    const meta = await this.ownedTurn(ctx, turnId, after);
    // Read before the events: a turn that ends in between is answered unfinished, never finished without its last event.
    const finished = await this.turns.ended(turnId);
    return { turnId, conversationId: meta.conversationId, finished, events: await this.turns.range(turnId, after ?? 0) };
  }

  private async ownedTurn(ctx: RequestContext, turnId: string, after: number | null | undefined): Promise<TurnMeta> {
    const p = authorize(ctx, 'conversations:read');
    if (after != null && (!Number.isSafeInteger(after) || after < 0)) throw AppError.validation([{ loc: ['after'], message: 'must be a sequence number (0 or more)' }]);
    const meta = isId(turnId) ? await this.turns.meta(turnId) : null;
    if (!meta || meta.userId !== p.userId) throw AppError.notFound('Chat turn');
    // A turn of a deleted conversation is gone with it (its buffer would still replay the reply
    // until it expires). Its conversation is missing also while a new conversation's first turn
    // runs, and after one that failed before its reply was stored: those stay readable.
    if (!(await ctx.em.count(Conversation, { id: meta.conversationId }))) {
      const made = meta.existing === true || (await this.turns.range(turnId, 0)).some((e) => e.type === 'done');
      if (made) throw AppError.notFound('Chat turn');
    }
    return meta;
  }

  /** Everything a turn needs before it streams: the provider, the prompt, the grounding. */
  private async prepare(ctx: RequestContext, input: z.output<typeof chatSchema>, conversation: Conversation | null, conversationId: string): Promise<Prepared> {
    const p = ctx.principal!;
    const { provider, model } = this.ai.resolve(input.provider ?? conversation?.provider ?? null, input.model ?? (input.provider ? null : conversation?.model) ?? null);

    const system: string[] = [];
    if (conversation?.systemPrompt) system.push(conversation.systemPrompt);
    if (input.userLanguage) system.push(`Answer in the language with the BCP 47 tag "${input.userLanguage}", whatever language the question is in.`);
    const history = conversation ? await this.history(ctx.em, conversation.id, null) : (input.conversationHistory ?? []).map((t) => ({ role: t.role, content: t.content }));
    // Grounding in the knowledge base, when asked (the default) and the caller may read it.
    const kb =
      input.useKnowledgeBase !== false && (p.kind === 'user' || grants(p.scopes, 'rag:read')) ? await this.knowledge.retrieve(ctx, input.message, 5) : [];
    const grounding = kb.length && provider.id !== 'local' ? [this.knowledge.groundingMessage(kb)] : [];
    const prompt: PromptMessage[] = [...system.map((content) => ({ role: 'system' as const, content })), ...grounding, ...history, { role: 'user', content: input.message }];

    return {
      knowledge: this.knowledge.toPassages(kb),
      userId: p.userId,
      conversationId,
      existing: conversation !== null,
      providerId: provider.id,
      model,
      prompt,
      message: input.message,
      replaces: null,
      questionId: null,
    };
  }

  /**
   * Asks again for the last reply of a conversation and replaces it when the new one is complete;
   * a client that leaves before then keeps the old one (nothing of the new one is stored, and the
   * turn ends with DONE carrying the old reply).
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE, not_found, conflict (no reply to regenerate), validation_error, rate_limited
   */
  async regenerate(ctx: RequestContext, conversationId: string, data: RegenerateData = {}): Promise<ChatTurn> {
    const p = authorize(ctx, 'conversations:write');
    await this.rateLimits.consume('chat', p.userId);
    data = parseInput(regenerateSchema, data ?? {});
    const conversation = await this.owned(ctx, conversationId, 'conversations:write');
    const last = await ctx.em.findOne(Message, { conversation: conversation.id }, { orderBy: { position: 'desc' } });
    if (!last || last.role !== 'assistant') throw new AppError('conflict', 'The conversation does not end with a reply to regenerate');
    const question = await ctx.em.findOne(Message, { conversation: conversation.id, position: { $lt: last.position }, role: 'user' }, { orderBy: { position: 'desc' } });
    if (!question) throw new AppError('conflict', 'There is no question before the last reply');
    const { provider, model } = this.ai.resolve(data.provider ?? conversation.provider ?? null, data.model ?? (data.provider ? null : conversation.model) ?? null);
    const history = await this.history(ctx.em, conversation.id, question.position);
    const system = conversation.systemPrompt ? [{ role: 'system' as const, content: conversation.systemPrompt }] : [];
    await this.activity(ctx, p.userId, conversation);
    return this.run(ctx, {
      userId: p.userId,
      conversationId: conversation.id,
      existing: true,
      providerId: provider.id,
      model,
      prompt: [...system, ...history, { role: 'user', content: question.content }],
      message: question.content,
      replaces: last,
      questionId: question.id,
    });
  }

  /**
   * A turn answered whole, read back for a GraphQL payload.
   * @throws as `startTurn`, and upstream_unavailable when the provider fails
   */
  async chat(ctx: RequestContext, data: ChatData): Promise<TurnOutcome> {
    return this.outcome(ctx, await (await this.startTurn(ctx, data)).result);
  }

  /**
   * A regenerated reply, read back for a GraphQL payload.
   * @throws as `regenerate`, and upstream_unavailable when the provider fails
   */
  async regenerateReply(ctx: RequestContext, conversationId: string, data: RegenerateData = {}): Promise<TurnOutcome> {
    return this.outcome(ctx, await (await this.regenerate(ctx, conversationId, data)).result);
  }

  /** The turn's conversation and messages as stored: the turn wrote them in a unit of work of its own. */
  private async outcome(ctx: RequestContext, result: TurnResult): Promise<TurnOutcome> {
    const em = ctx.em.fork();
    const [conversation, messages] = await Promise.all([
      em.findOneOrFail(Conversation, { id: result.conversationId }),
      em.find(Message, { id: { $in: [result.userMessageId, result.messageId] } }),
    ]);
    const byId = new Map(messages.map((m) => [m.id, m]));
    return { conversation, userMessage: byId.get(result.userMessageId)!, assistantMessage: byId.get(result.messageId)!, replacedMessageId: result.replacedMessageId };
  }

  /** The last messages before `beforePosition`, oldest first, as prompt turns. */
  private async history(em: EntityManager, conversationId: string, beforePosition: number | null): Promise<PromptMessage[]> {
    const rows = await em.find(
      Message,
      { conversation: conversationId, ...(beforePosition !== null ? { position: { $lt: beforePosition } } : {}) },
      { orderBy: { position: 'desc' }, limit: this.config.ai.historyMessages },
    );
    return rows.reverse().map((m) => ({ role: m.role, content: m.content }));
  }

  private run(ctx: RequestContext, prep: Prepared, turnId?: string): ChatTurn {
    const provider = this.ai.all().find((x) => x.id === prep.providerId)!;
    // The turn outlives the request that started it (a client may leave): its own unit of work.
    const em = ctx.em.fork();
    const retrieveCtx = withEntityManager(ctx, em);
    // A resumable turn's events also go to its replay buffer, numbered.
    const writer = turnId ? this.turns.writer(turnId) : null;
    // Watchers of the conversation (conversationEvents) hear the turn through the event bus.
    const emit = (turn: ChatTurn, event: ChatStreamEvent) => {
      turn.push(event);
      writer?.emit({ type: event.type, conversationId: event.conversationId, delta: event.delta ?? null, response: event.response ?? null, error: null });
      this.events.publish('CHAT_EVENT', { ...event, userId: prep.userId });
    };
    /** The turn ends on the reply it was to replace, as stored (DONE for whoever watches the conversation). */
    const kept = (turn: ChatTurn, old: Message): TurnResult => {
      const response: ChatResult = {
        content: old.content,
        provider: old.provider ?? prep.providerId,
        model: old.model ?? prep.model,
        usage: usageOf(old),
        conversationId: prep.conversationId,
        messageId: old.id,
        citations: old.citations,
        status: old.status,
      };
      emit(turn, { type: 'done', conversationId: prep.conversationId, response });
      return { ...response, userMessageId: prep.questionId!, replacedMessageId: null };
    };
    const turn = new Turn<ChatStreamEvent, TurnResult>(async (turn, signal) => {
      emit(turn, { type: 'start', conversationId: prep.conversationId });
      let text = '';
      let usage: TokenUsage | null = null;
      let citations: Citation[] = [];
      let status: MessageStatus = 'complete';
      try {
        const kb = prep.knowledge ?? [];
        // Citations of the documents the answer was grounded in; the local provider sends its own.
        if (kb.length && provider.id !== 'local') citations = kb.map((k) => ({ documentId: k.id, type: 'document', title: k.title, snippet: k.text }));
        // The caller's own notes, messages and transcripts; documents come only through the knowledge base.
        const retrieve = async (q: string) => [...kb, ...(await this.search.retrieve(retrieveCtx, q, 5, ['message', 'note', 'transcript']))].slice(0, 5);
        for await (const event of provider.complete({ model: prep.model, messages: prep.prompt, retrieve, signal })) {
          if (event.type === 'delta') {
            text += event.text;
            emit(turn, { type: 'delta', conversationId: prep.conversationId, delta: event.text });
          } else if (event.type === 'usage') usage = event.usage;
          else citations = event.citations;
        }
      } catch (e) {
        if (!turn.cancelled) {
          ctx.log.warn({ err: e, provider: prep.providerId }, 'chat turn failed upstream');
          const message = e instanceof UpstreamError ? e.message : 'The AI provider failed';
          const err = new AppError('upstream_unavailable', `${message}. Nothing was stored; try again.`, { provider: prep.providerId });
          this.events.publish('CHAT_EVENT', { type: 'error', conversationId: prep.conversationId, userId: prep.userId, error: { code: err.code, message: err.message } });
          throw err;
        }
      }
      if (turn.cancelled) {
        // A regeneration replaces the old reply only when complete: left before its end, it stores nothing and the old reply stays.
        if (prep.replaces) return kept(turn, prep.replaces);
        status = 'partial';
      }
      const { answer: reply, questionId } = await this.store(em, prep, { text, usage, citations, status });
      const response: ChatResult = {
        content: reply.content,
        provider: prep.providerId,
        model: prep.model,
        usage,
        conversationId: prep.conversationId,
        messageId: reply.id,
        citations,
        status,
      };
      emit(turn, { type: 'done', conversationId: prep.conversationId, response });
      return { ...response, userMessageId: questionId, replacedMessageId: prep.replaces?.id ?? null };
    });
    // A failed turn ends its buffer with ERROR (nothing was stored).
    const ended = turn.result.then(
      () => undefined,
      (e: unknown) => {
        const err = e instanceof AppError ? e : new AppError('internal_error', 'The turn failed');
        writer?.emit({ type: 'error', conversationId: prep.conversationId, error: { code: err.code, message: err.message } });
      },
    );
    const settled: Promise<unknown> = ended.then(() => writer?.flushed()).finally(() => this.inFlight.delete(settled));
    this.inFlight.add(settled);
    return turn;
  }

  /** For shutdown, once no client is left: waits until the turns in flight are written. */
  async drain(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }

  /**
   * Writes the exchange with its search entries, durably, before answering. Turns that end
   * while others are being written are written together, in one transaction (group commit):
   * one commit and one flush for the group instead of one each, in turn, on the one database
   * connection, which is what 200 turns ending together waited on. A turn alone is written
   * at once, as before. When a group fails as a whole (a conflict), each of its turns is
   * written again on its own, so that only the one at fault fails.
   */
  private store(em: EntityManager, prep: Prepared, reply: Reply): Promise<Stored> {
    return new Promise<Stored>((resolve, reject) => {
      this.storing.push({ em, prep, reply, resolve, reject });
      if (this.storing.length === 1) void this.writeStored();
    });
  }

  /** Writes the turns waiting, a group at a time, until none is left. */
  private async writeStored(): Promise<void> {
    // The first waiting turn is being written while it is still in the queue: `store` starts the loop when the queue was empty.
    while (this.storing.length) {
      const group = this.storing.slice(0, STORE_GROUP_MAX);
      const outcomes = group.length === 1 ? [await this.writeAlone(group[0]!)] : await this.writeGroup(group);
      this.storing.splice(0, group.length);
      group.forEach((item, i) => {
        const o = outcomes[i]!;
        if ('stored' in o) item.resolve(o.stored);
        else item.reject(o.error);
      });
    }
  }

  private async writeAlone(item: PendingStore): Promise<Outcome> {
    try {
      return { stored: await item.em.transactional(async (tx) => this.commitAll(tx, [item]).then((o) => unwrap(o[0]!))) };
    } catch (error) {
      return { error };
    }
  }

  private async writeGroup(group: PendingStore[]): Promise<Outcome[]> {
    try {
      return await group[0]!.em.fork().transactional(async (tx) => this.commitAll(tx, group));
    } catch {
      // (Nothing of the group was written.)
      const outcomes: Outcome[] = [];
      for (const item of group) outcomes.push(await this.writeAlone(item));
      return outcomes;
    }
  }

  /** The exchanges of `items` in `tx`, flushed once; a turn refused before anything of it was written (its conversation gone) fails alone. */
  private async commitAll(tx: EntityManager, items: PendingStore[]): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    for (const { prep, reply } of items) {
      try {
        outcomes.push({ stored: await this.stage(tx, prep, reply) });
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        outcomes.push({ error });
      }
    }
    await flushOrConflict(tx, 'Another turn of this conversation finished first; reload and try again');
    return outcomes;
  }

  /** One exchange, staged in `tx` for its next flush (a regenerated reply's predecessor is deleted at once). */
  private async stage(tx: EntityManager, prep: Prepared, reply: Reply): Promise<Stored> {
    let conversation = prep.existing
      ? await tx.findOne(Conversation, { id: prep.conversationId, user: prep.userId }, this.config.db.driver === 'postgresql' ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {})
      : null;
    if (prep.existing && !conversation) throw AppError.notFound('Conversation');
    conversation ??= tx.create(Conversation, { id: prep.conversationId, user: tx.getReference(User, prep.userId), provider: prep.providerId, model: prep.model });
    const now = new Date();
    let position: number;
    let questionId = prep.questionId;
    if (prep.replaces) {
      position = prep.replaces.position;
      await tx.nativeDelete(Message, { id: prep.replaces.id });
      await this.search.remove(tx, { type: 'message', sourceIds: [prep.replaces.id] });
    } else {
      position = conversation.messageCount + 2;
      const question = tx.create(Message, { conversation, position: position - 1, role: 'user', content: prep.message, createdAt: now });
      questionId = question.id;
      this.search.add(tx, { userId: prep.userId, type: 'message', sourceId: question.id, conversationId: conversation.id, role: 'user', title: conversation.title ?? deriveTitle(prep.message), body: prep.message, createdAt: now });
      conversation.messageCount += 2;
    }
    conversation.title ??= deriveTitle(prep.message);
    conversation.lastMessageAt = now;
    const answer = tx.create(Message, {
      conversation,
      position,
      role: 'assistant',
      content: reply.text,
      provider: prep.providerId,
      model: prep.model,
      status: reply.status,
      citations: reply.citations,
      promptTokens: reply.usage?.promptTokens ?? null,
      completionTokens: reply.usage?.completionTokens ?? null,
      totalTokens: reply.usage?.totalTokens ?? null,
      createdAt: new Date(now.getTime() + 1),
    });
    if (reply.text) {
      this.search.add(tx, { userId: prep.userId, type: 'message', sourceId: answer.id, conversationId: conversation.id, role: 'assistant', title: conversation.title, body: reply.text, createdAt: answer.createdAt });
    }
    return { answer, questionId: questionId! };
  }

  /**
   * For the conversationEvents subscription: the caller's own conversation, or not_found.
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE (conversations:read), not_found
   */
  async watch(ctx: RequestContext, id: string): Promise<Conversation> {
    return this.owned(ctx, id);
  }

  /**
   * A conversation of the caller's, or not_found (also for someone else's). `need` is the
   * operation's own scope: a key that may write a conversation may do so without reading others.
   */
  private async owned(ctx: RequestContext, id: string, need: 'conversations:read' | 'conversations:write' = 'conversations:read'): Promise<Conversation> {
    const p = authorize(ctx, need);
    const c = isId(id) ? await ctx.em.findOne(Conversation, { id, user: p.userId }) : null;
    if (!c) throw AppError.notFound('Conversation');
    return c;
  }

  /**
   * Creates an empty conversation.
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE (conversations:write), validation_error
   */
  async create(ctx: RequestContext, data: CreateConversationData): Promise<Conversation> {
    const p = authorize(ctx, 'conversations:write');
    const input = parseInput(createConversationSchema, data ?? {});
    const { provider, model } = input.provider || input.model ? this.ai.resolve(input.provider ?? null, input.model ?? null) : { provider: null, model: null };
    const c = ctx.em.create(Conversation, {
      user: ctx.em.getReference(User, p.userId),
      title: input.title ?? null,
      provider: provider?.id ?? null,
      model: model ?? null,
      systemPrompt: input.systemPrompt ?? null,
    });
    await ctx.em.flush();
    return c;
  }

  /**
   * The caller's conversations, most recently active first.
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE (conversations:read), validation_error
   */
  async list(ctx: RequestContext, args: PageArgs = {}): Promise<Page<Conversation>> {
    const p = authorize(ctx, 'conversations:read');
    const { limit, offset } = parseInput(pageSchema, args);
    const [items, total] = await ctx.em.findAndCount(Conversation, { user: p.userId }, { orderBy: { updatedAt: 'desc', id: 'desc' }, limit, offset });
    return { items, total };
  }

  /**
   * The caller's conversations as a connection, most recently active first (keyset on
   * updatedAt and id, so a cursor stays valid when conversations are added).
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE (conversations:read), validation_error
   */
  async connection(ctx: RequestContext, request: PageRequest): Promise<ConnectionPage<Conversation>> {
    const p = authorize(ctx, 'conversations:read');
    return findConnection(ctx.em, Conversation, { user: p.userId }, request, { updatedAt: 'desc', id: 'desc' });
  }

  /**
   * One conversation of the caller's, or null (unknown, or someone else's).
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE (conversations:read)
   */
  async find(ctx: RequestContext, id: string): Promise<Conversation | null> {
    return (await this.visible(ctx, [id]))[0] ?? null;
  }

  /**
   * The caller's conversations among `ids` (for `node`): one statement.
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE (conversations:read)
   */
  async visible(ctx: RequestContext, ids: readonly string[]): Promise<Conversation[]> {
    const p = authorize(ctx, 'conversations:read');
    const wanted = ids.filter(isId);
    return wanted.length ? ctx.em.find(Conversation, { id: { $in: wanted }, user: p.userId }) : [];
  }

  /**
   * The caller's messages among `ids` (for `message` and `node`): one statement.
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE (conversations:read)
   */
  async visibleMessages(ctx: RequestContext, ids: readonly string[]): Promise<Message[]> {
    const p = authorize(ctx, 'conversations:read');
    const wanted = ids.filter(isId);
    return wanted.length ? ctx.em.find(Message, { id: { $in: wanted }, conversation: { user: p.userId } }) : [];
  }

  /**
   * One conversation of the caller's.
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE, not_found
   */
  get(ctx: RequestContext, id: string): Promise<Conversation> {
    return this.owned(ctx, id);
  }

  /**
   * Renames a conversation or changes its system prompt.
   * @throws not_found, validation_error, INSUFFICIENT_API_KEY_SCOPE (conversations:write)
   */
  async update(ctx: RequestContext, id: string, data: UpdateConversationData): Promise<Conversation> {
    authorize(ctx, 'conversations:write');
    const input = parseInput(updateConversationSchema, data ?? {});
    const c = await this.owned(ctx, id, 'conversations:write');
    await ctx.em.transactional(async (tx) => {
      const conv = await tx.findOneOrFail(Conversation, { id: c.id });
      if (input.title != null) conv.title = input.title;
      if (input.systemPrompt !== undefined) conv.systemPrompt = input.systemPrompt;
      await tx.flush();
      if (input.title != null) await this.search.retitleConversation(tx, c.id, input.title);
    });
    return ctx.em.findOneOrFail(Conversation, { id: c.id }, { refresh: true });
  }

  /**
   * Deletes a conversation with its messages and their search entries, in one transaction.
   * @throws not_found, INSUFFICIENT_API_KEY_SCOPE (conversations:write)
   */
  async delete(ctx: RequestContext, id: string): Promise<void> {
    authorize(ctx, 'conversations:write');
    const c = await this.owned(ctx, id, 'conversations:write');
    await ctx.em.transactional(async (tx) => {
      // After a turn being stored (which locks the row too), so its messages' search entries go as
      // well: the database would drop the messages by itself, and leave their entries found by search.
      if (this.config.db.driver === 'postgresql') await tx.findOne(Conversation, { id: c.id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      // Its running learning sessions end; their time stays the learner's (the sessions outlive the conversation).
      await this.sessions.endAllIn(tx, c.id);
      await this.search.remove(tx, { conversationId: c.id });
      await tx.nativeDelete(Message, { conversation: c.id });
      await tx.nativeDelete(Conversation, { id: c.id });
    });
    // Its watchers complete (conversationEvents), on every process.
    this.events.publish('CHAT_EVENT', { type: 'deleted', conversationId: c.id, userId: c.user.id });
  }

  /**
   * Messages oldest first: the `limit` latest, or the `limit` before the message `before`.
   * @throws not_found, validation_error, INSUFFICIENT_API_KEY_SCOPE
   */
  async messages(ctx: RequestContext, conversationId: string, data: MessagesData = {}): Promise<Page<Message>> {
    const c = await this.owned(ctx, conversationId);
    const input = parseInput(messagesSchema, data ?? {});
    let beforePosition: number | null = null;
    if (input.before) {
      const anchor = await ctx.em.findOne(Message, { id: input.before, conversation: c.id });
      if (!anchor) throw AppError.validation([{ loc: ['before'], message: 'is not a message of this conversation' }]);
      beforePosition = anchor.position;
    }
    const page = await ctx.loaders.conversations.messagePage.load({ conversationId: c.id, direction: 'last', size: input.limit, position: beforePosition });
    return { items: page.items, total: c.messageCount };
  }

  /**
   * A conversation's messages as a connection, oldest first, for a conversation already
   * loaded (a GraphQL parent): ownership is checked in memory and the page is batched with
   * the other conversations' pages, so a page of conversations costs one statement for all
   * their messages. The cursor is the message's position, which never changes (a regenerated
   * reply takes its predecessor's).
   * @throws not_found, validation_error, INSUFFICIENT_API_KEY_SCOPE
   */
  async messageConnection(ctx: RequestContext, c: Conversation, request: PageRequest): Promise<ConnectionPage<Message>> {
    const p = authorize(ctx, 'conversations:read');
    if (c.user.id !== p.userId) throw AppError.notFound('Conversation');
    const forward = request.last === undefined;
    const cursor = forward ? request.after : request.before;
    const position = cursor === undefined ? null : positionOf(cursor, forward ? 'after' : 'before');
    const size = (forward ? request.first : request.last) ?? 20;
    const page = await ctx.loaders.conversations.messagePage.load({ conversationId: c.id, direction: forward ? 'first' : 'last', size, position });
    const edges = page.items.map((node) => ({ cursor: encodeCursor([node.position]), node }));
    return connectionPage(
      edges,
      {
        // The page's own direction by the row read past it; the other one by the cursor, as positions
        // run 1 to messageCount with no gaps: the cursor's message (or one beyond it) exists only when
        // the position is in that range (not for a cursor past either end).
        hasNextPage: forward ? page.hasMore : position !== null && position <= c.messageCount,
        hasPreviousPage: forward ? position !== null && position >= 1 && c.messageCount > 0 : page.hasMore,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges.at(-1)?.cursor ?? null,
      },
      () => c.messageCount,
    );
  }
}
