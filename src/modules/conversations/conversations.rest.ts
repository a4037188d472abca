import { z } from 'zod';
import { AiProvider, type Citation, type TokenUsage } from '../ai/index.js';
import { AppError } from '../../common/errors.js';
import { pageSchema } from '../../common/pagination.js';
import type { ChatTurnEntry } from '../../common/pubsub.js';
import { snippetHtml } from '../../common/text.js';
import { defineListRoute, defineRoute, type RestRoute } from '../../rest/route-table.js';
import { ContentKind } from '../search/index.js';
import type { Conversation } from './conversations.entities.js';
import { ConversationSessionStatus, MessageRole, MessageStatus } from './conversations.enums.js';
import type { ConversationSession } from './conversations.entities.js';
import type { ConversationSessionStatusResult } from './sessions.service.js';
import {
  chatSchema,
  createConversationSchema,
  startChatTurnSchema,
  turnEventsSchema,
  messagesSchema,
  noteSchema,
  regenerateSchema,
  updateConversationSchema,
  updateNoteSchema,
  type ChatResult,
  type ChatStreamEvent,
} from './conversations.types.js';
import { usageOf, type Message } from './conversations.entities.js';
import type { Note } from './conversations.entities.js';
import type { ServiceMap } from '../manifest.js';

const iso = (d: Date | null) => d?.toISOString() ?? null;

const usageSchema = z.object({ prompt_tokens: z.number().int(), completion_tokens: z.number().int(), total_tokens: z.number().int() }).meta({ id: 'TokenUsage' }).nullable();
const toUsage = (u: TokenUsage | null) => (u ? { prompt_tokens: u.promptTokens, completion_tokens: u.completionTokens, total_tokens: u.totalTokens } : null);

const citationSchema = z.object({ document_id: z.string(), type: ContentKind.schema, title: z.string(), snippet: z.string() }).meta({ id: 'Citation' });
/** A stored citation keeps the passage as plain text; it is answered by the snippet rule (escaped), older ones too. */
const toCitation = (c: Citation) => ({ document_id: c.documentId, type: c.type, title: c.title, snippet: snippetHtml(c.snippet) });

/** `ChatResponse` of the contract. */
export const chatResponseSchema = z.object({
  content: z.string(),
  provider: AiProvider.schema,
  model: z.string(),
  usage: usageSchema,
  conversation_id: z.string(),
  message_id: z.string(),
  citations: z.array(citationSchema),
  status: MessageStatus.schema,
}).meta({ id: 'ChatResponse', description: 'The assistant\'s answer, stored with the question in the conversation.', examples: [{ content: 'We use the present perfect for…', provider: 'openai', model: 'gpt-4o-mini', usage: { prompt_tokens: 412, completion_tokens: 128, total_tokens: 540 }, conversation_id: '0b7e2c1a-6d4f-4e8a-9b3c-2f1e0d9c8b7a', message_id: '9c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4e5f', citations: [], status: 'complete' }] });
export const toChatResponse = (r: ChatResult): z.infer<typeof chatResponseSchema> => ({
  content: r.content,
  provider: r.provider,
  model: r.model,
  usage: toUsage(r.usage),
  conversation_id: r.conversationId,
  message_id: r.messageId,
  citations: r.citations.map(toCitation),
  status: r.status,
});

/** `ConversationResponse` of the contract. */
export const conversationSchema = z.object({
  id: z.string(),
  title: z.string().nullable(),
  provider: AiProvider.schema.nullable(),
  model: z.string().nullable(),
  message_count: z.number().int(),
  last_message_at: z.iso.datetime().nullable(),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
}).meta({ id: 'ConversationResponse', description: 'A stored conversation.', examples: [{ id: '0b7e2c1a-6d4f-4e8a-9b3c-2f1e0d9c8b7a', title: 'Grammar questions', provider: 'auto', model: null, message_count: 4, last_message_at: '2026-03-02T09:15:00Z', created_at: '2026-03-02T09:15:00Z', updated_at: '2026-03-02T09:15:00Z' }] });
export const toConversation = (c: Conversation): z.infer<typeof conversationSchema> => ({
  id: c.id,
  title: c.title,
  provider: c.provider,
  model: c.model,
  message_count: c.messageCount,
  last_message_at: iso(c.lastMessageAt),
  created_at: c.createdAt.toISOString(),
  updated_at: c.updatedAt.toISOString(),
});

/** `MessageResponse` of the contract, plus status and usage. */
export const messageSchema = z.object({
  id: z.string(),
  conversation_id: z.string(),
  role: MessageRole.schema,
  content: z.string(),
  provider: AiProvider.schema.nullable(),
  model: z.string().nullable(),
  citations: z.array(citationSchema),
  status: MessageStatus.schema,
  usage: usageSchema,
  created_at: z.iso.datetime(),
}).meta({ id: 'MessageResponse' });
export const toMessage = (m: Message): z.infer<typeof messageSchema> => ({
  id: m.id,
  conversation_id: m.conversation.id,
  role: m.role,
  content: m.content,
  provider: m.provider,
  model: m.model,
  citations: m.citations.map(toCitation),
  status: m.status,
  usage: toUsage(usageOf(m)),
  created_at: m.createdAt.toISOString(),
});

/** `NoteResponse` of the contract. */
export const noteResponseSchema = z.object({ id: z.string(), title: z.string(), content: z.string(), tags: z.array(z.string()), created_at: z.iso.datetime(), updated_at: z.iso.datetime() }).meta({ id: 'NoteResponse' });
export const toNote = (n: Note): z.infer<typeof noteResponseSchema> => ({
  id: n.id,
  title: n.title,
  content: n.content,
  tags: n.tags,
  created_at: n.createdAt.toISOString(),
  updated_at: n.updatedAt.toISOString(),
});



/** SSE events of a chat turn: start, delta (text), done (the ChatResponse); error is added by the router. */
const streamEvent = (e: { type: string }) => {
  // The router streams the events the turn started by this route's `sse.start` yields.
  const ev = e as ChatStreamEvent;
  if (ev.type === 'start') return { conversation_id: ev.conversationId };
  if (ev.type === 'delta') return { content: ev.delta };
  return toChatResponse(ev.response!);
};

/** A resumable turn's SSE events carry their sequence number as the event id, and the turn in each payload. */
const turnEvent = (e: { type: string }) => {
  const t = e as ChatTurnEntry;
  const base = { turn_id: t.turnId, seq: t.seq };
  if (t.type === 'start') return { ...base, conversation_id: t.conversationId };
  if (t.type === 'delta') return { ...base, content: t.delta ?? '' };
  if (t.type === 'error') return { ...base, error: t.error?.code ?? 'internal_error', message: t.error?.message ?? '' };
  return { ...base, ...toChatResponse(t.response as ChatResult) };
};

const turnSchema = z.object({ turn_id: z.string(), conversation_id: z.string(), started: z.boolean() }).meta({ id: 'ChatTurnResponse' });
const turnEventSchema = z.object({
  turn_id: z.string(),
  seq: z.number().int(),
  type: z.enum(['start', 'delta', 'done', 'error']),
  data: z.record(z.string(), z.unknown()),
});
const turnSnapshotSchema = z.object({ turn_id: z.string(), conversation_id: z.string(), finished: z.boolean(), events: z.array(turnEventSchema) }).meta({ id: 'ChatTurnSnapshot' });

/** `Last-Event-ID` (the last event a client saw) wins over `?after=`: an EventSource reconnecting sends it on the same URL. */
const afterOf = (input: { query: { after?: number | null }; lastEventId?: string }): number | null | undefined => {
  if (input.lastEventId === undefined) return input.query.after;
  const n = /^\d{1,15}$/.test(input.lastEventId.trim()) ? Number(input.lastEventId.trim()) : NaN;
  if (!Number.isSafeInteger(n)) throw AppError.validation([{ loc: ['header', 'Last-Event-ID'], message: 'must be the id of an event of this stream (a sequence number)' }]);
  return n;
};

const tag = 'Conversations';

/** `ConversationSessionResponse` of the contract. */
export const conversationSessionSchema = z.object({
  session_id: z.string(),
  conversation_id: z.string().nullable(),
  status: ConversationSessionStatus.schema,
  started_at: z.iso.datetime(),
  last_activity_at: z.iso.datetime().describe("When the session last had activity, by the server's clock (a chat message in the conversation counts)."),
  ended_at: z.iso.datetime().nullable(),
  active_seconds: z
    .number()
    .int()
    .describe('Seconds of learning counted so far; a gap without activity longer than the idle timeout is not counted. They feed the learning time analytics.'),
}).meta({ id: 'ConversationSessionResponse', description: 'A learning session in a conversation, timed by the server.' });
export const toConversationSession = (s: ConversationSession): z.infer<typeof conversationSessionSchema> => ({
  session_id: s.id,
  conversation_id: s.conversation?.id ?? null,
  status: s.status,
  started_at: s.startedAt.toISOString(),
  last_activity_at: s.lastActivityAt.toISOString(),
  ended_at: iso(s.endedAt),
  active_seconds: s.activeSeconds,
});
const sessionStatusSchema = z.object({
  active: z.boolean().describe('Whether a session is running in the conversation.'),
  session: conversationSessionSchema.nullable().describe('The running session, else the latest one; null when none was ever started.'),
  total_active_seconds: z.number().int().describe('The active seconds of all your sessions in the conversation.'),
}).meta({ id: 'ConversationSessionStatusResponse' });
const toSessionStatus = (r: ConversationSessionStatusResult): z.infer<typeof sessionStatusSchema> => ({
  active: r.active,
  session: r.session ? toConversationSession(r.session) : null,
  total_active_seconds: r.totalActiveSeconds,
});
const IDLE_RULE =
  'Timed by the server\'s clock: each activity (this route, a chat message in the conversation, the end) counts the time since the previous one; ' +
  'a session without activity for longer than CONVERSATION_SESSION_IDLE_SECONDS is over, ended at its last activity (the silence is not counted).';

export const conversationsRoutes = (s: Pick<ServiceMap, 'conversations' | 'notes' | 'conversationSessions'>): RestRoute[] => [
  defineRoute({
    method: 'POST',
    path: '/api/core/conversations/{conversation_id}/session/start',
    operationId: 'startConversationSession',
    summary: 'Start a learning session in a conversation',
    description: `Answers 201 with the new session, or 200 with the one already running (one per conversation). ${IDLE_RULE}`,
    tag,
    auth: 'conversations:write',
    handler: (ctx, { params }) => s.conversationSessions.start(ctx, params.conversation_id!),
    response: {
      status: 201,
      description: 'ConversationSessionResponse (200: the session already running)',
      schema: conversationSessionSchema,
      serialize: (r) => toConversationSession(r.session),
      statusOf: (r) => (r.created ? 201 : 200),
    },
    errors: ['not_found', 'conflict'],
  }),
  defineRoute({
    method: 'POST',
    path: '/api/core/conversations/{conversation_id}/session/activity',
    operationId: 'recordConversationSessionActivity',
    summary: 'Record activity in the running learning session',
    description: `${IDLE_RULE} Without a running session (none started, or it ended idle) answers 409 conflict: start another.`,
    tag,
    auth: 'conversations:write',
    handler: (ctx, { params }) => s.conversationSessions.activity(ctx, params.conversation_id!),
    response: { status: 200, description: 'ConversationSessionResponse', schema: conversationSessionSchema, serialize: toConversationSession },
    errors: ['not_found', 'conflict'],
  }),
  defineRoute({
    method: 'POST',
    path: '/api/core/conversations/{conversation_id}/session/end',
    operationId: 'endConversationSession',
    summary: 'End the running learning session (idempotent)',
    description: 'Counts the time since the last activity when within the idle timeout. Ending again changes nothing. Answers the status after the end.',
    tag,
    auth: 'conversations:write',
    handler: (ctx, { params }) => s.conversationSessions.end(ctx, params.conversation_id!),
    response: { status: 200, description: '{active, session, total_active_seconds}', schema: sessionStatusSchema, serialize: toSessionStatus },
    errors: ['not_found'],
  }),
  defineRoute({
    method: 'GET',
    path: '/api/core/conversations/{conversation_id}/session/status',
    operationId: 'getConversationSessionStatus',
    summary: 'The learning session of a conversation',
    description: 'Whether a session runs, the running one (else the latest; null when none), and the seconds of all your sessions in the conversation.',
    tag,
    auth: 'conversations:read',
    handler: (ctx, { params }) => s.conversationSessions.status(ctx, params.conversation_id!),
    response: { status: 200, description: '{active, session: ConversationSessionResponse | null, total_active_seconds}', schema: sessionStatusSchema, serialize: toSessionStatus },
    errors: ['not_found'],
  }),
  defineRoute({
    method: 'POST',
    path: '/api/core/chat',
    operationId: 'chat',
    rateLimits: ['chat'],
    summary: 'One chat turn',
    description:
      'Without conversation_id a new conversation is created. With Accept: text/event-stream the reply streams as server-sent events: ' +
      'start {conversation_id}, delta {content} per token, done {ChatResponse}, or error {error, message}. A client that disconnects ' +
      'mid-stream finds the partial reply stored with status "partial". An upstream failure stores nothing and answers upstream_unavailable.',
    tag,
    auth: 'conversations:write',
    body: { schema: chatSchema, required: true },
    handler: async (ctx, { body }) => (await s.conversations.startTurn(ctx, body)).result,
    sse: {
      start: (ctx, { body }) => s.conversations.startTurn(ctx, body),
      serialize: streamEvent,
      description: 'event: start | delta | done | error; data: JSON',
    },
    response: { status: 200, description: 'ChatResponse', schema: chatResponseSchema, serialize: toChatResponse },
    errors: ['not_found', 'upstream_unavailable', 'conflict'],
  }),
  defineRoute({
    method: 'POST',
    path: '/api/core/chat/turns',
    operationId: 'startChatTurn',
    rateLimits: ['chat'],
    summary: 'Start a resumable chat turn; its reply streams from GET /api/core/chat/turns/{turn_id}/events',
    description:
      'The body of POST /api/core/chat, plus turn_id (optional, a UUID you generate). Answers 202 at once with the turn\'s id and its conversation ' +
      '(a new one is created when the reply is stored, under that id). The turn runs to its end whoever listens. Sending the same turn_id again ' +
      '(a retry, a double mount) starts nothing and answers the same turn with started: false; a turn_id someone else took answers conflict.',
    tag,
    auth: 'conversations:write',
    body: { schema: startChatTurnSchema, required: true },
    handler: (ctx, { body }) => s.conversations.beginTurn(ctx, body),
    response: {
      status: 202,
      description: 'The turn: {turn_id, conversation_id, started}',
      schema: turnSchema,
      serialize: (t) => ({ turn_id: t.turnId, conversation_id: t.conversationId, started: t.started }),
    },
    errors: ['not_found', 'conflict', 'service_unavailable'],
  }),
  defineRoute({
    method: 'GET',
    path: '/api/core/chat/turns/{turn_id}/events',
    operationId: 'chatTurnEvents',
    summary: 'The events of one of your chat turns: server-sent events that resume with Last-Event-ID',
    description:
      'With Accept: text/event-stream: the events after Last-Event-ID (else after ?after=, else all of them) at once, then the rest as they come, ' +
      'each with `id: <seq>`; the stream ends after done or error (also when asked past the last event of a turn still running). A client that ' +
      'reconnects with Last-Event-ID (as EventSource does) gets the rest, nothing missed or repeated; past the last event of a finished turn it gets ' +
      '204 No Content, which stops an EventSource reconnecting. Leaving does not cancel the turn. Without it: the events stored so far, as JSON ' +
      '(`finished`: whether the turn has ended, whatever `after`). An unknown, expired ' +
      '(CHAT_TURN_TTL_SECONDS after its last event) or someone else\'s turn answers 404 not_found.',
    tag,
    auth: 'conversations:read',
    query: turnEventsSchema,
    handler: async (ctx, input) => {
      const after = afterOf(input);
      return s.conversations.turnSnapshot(ctx, input.params.turn_id!, after);
    },
    sse: {
      start: async (ctx, input) => {
        const { events, ended } = await s.conversations.followTurn(ctx, input.params.turn_id!, afterOf(input));
        return { events: () => events, cancel: () => void events.return?.(), ended };
      },
      serialize: turnEvent,
      id: (e) => String((e as ChatTurnEntry).seq),
      description: 'id: seq; event: start | delta | done | error; data: JSON with turn_id and seq (start {conversation_id}, delta {content}, done {ChatResponse}, error {error, message})',
    },
    response: {
      status: 200,
      description: 'The events stored so far: {turn_id, conversation_id, finished, events: [{turn_id, seq, type, data}]}',
      schema: turnSnapshotSchema,
      serialize: (r) => ({
        turn_id: r.turnId,
        conversation_id: r.conversationId,
        finished: r.finished,
        events: r.events.map((e) => ({ turn_id: e.turnId, seq: e.seq, type: e.type, data: turnEvent(e) })),
      }),
    },
    errors: ['not_found'],
  }),
  defineListRoute({
    method: 'GET',
    path: '/api/core/conversations',
    operationId: 'listConversations',
    summary: 'Your conversations, most recently active first',
    tag,
    auth: 'conversations:read',
    query: pageSchema,
    handler: (ctx, { query }) => s.conversations.list(ctx, query),
    response: { status: 200, description: 'ConversationResponse[]', schema: conversationSchema, serialize: toConversation },
  }),
  defineRoute({
    method: 'POST',
    path: '/api/core/conversations',
    operationId: 'createConversation',
    summary: 'Create an empty conversation',
    tag,
    auth: 'conversations:write',
    body: { schema: createConversationSchema, required: false },
    handler: (ctx, { body }) => s.conversations.create(ctx, body),
    response: { status: 201, description: 'ConversationResponse', schema: conversationSchema, serialize: toConversation },
  }),
  defineRoute({
    method: 'GET',
    path: '/api/core/conversations/{conversation_id}',
    operationId: 'getConversation',
    summary: 'One conversation',
    tag,
    auth: 'conversations:read',
    handler: (ctx, { params }) => s.conversations.get(ctx, params.conversation_id!),
    response: { status: 200, description: 'ConversationResponse', schema: conversationSchema, serialize: toConversation },
    errors: ['not_found'],
  }),
  defineRoute({
    method: 'PATCH',
    path: '/api/core/conversations/{conversation_id}',
    operationId: 'updateConversation',
    summary: 'Rename a conversation or change its system prompt',
    tag,
    auth: 'conversations:write',
    body: { schema: updateConversationSchema, required: true },
    handler: (ctx, { params, body }) => s.conversations.update(ctx, params.conversation_id!, body),
    response: { status: 200, description: 'ConversationResponse', schema: conversationSchema, serialize: toConversation },
    errors: ['not_found'],
  }),
  defineRoute({
    method: 'DELETE',
    path: '/api/core/conversations/{conversation_id}',
    operationId: 'deleteConversation',
    summary: 'Delete a conversation with its messages',
    tag,
    auth: 'conversations:write',
    handler: (ctx, { params }) => s.conversations.delete(ctx, params.conversation_id!),
    response: { status: 204, description: 'Deleted' },
    errors: ['not_found'],
  }),
  defineListRoute({
    method: 'GET',
    path: '/api/core/conversations/{conversation_id}/messages',
    operationId: 'listMessages',
    summary: 'Messages, oldest first: the latest `limit`, or the `limit` before the message `before`',
    tag,
    auth: 'conversations:read',
    query: messagesSchema,
    handler: (ctx, { params, query }) => s.conversations.messages(ctx, params.conversation_id!, query),
    response: { status: 200, description: 'MessageResponse[] (X-Total-Count: all messages of the conversation)', schema: messageSchema, serialize: toMessage },
    errors: ['not_found'],
  }),
  defineRoute({
    method: 'POST',
    path: '/api/core/conversations/{conversation_id}/regenerate',
    operationId: 'regenerateReply',
    rateLimits: ['chat'],
    summary: 'Ask again for the last reply; it replaces the old one when complete',
    tag,
    auth: 'conversations:write',
    body: { schema: regenerateSchema, required: false },
    handler: async (ctx, { params, body }) => (await s.conversations.regenerate(ctx, params.conversation_id!, body)).result,
    sse: {
      start: (ctx, { params, body }) => s.conversations.regenerate(ctx, params.conversation_id!, body),
      serialize: streamEvent,
      description: 'as POST /api/core/chat, except that leaving before done stores nothing of the new reply: the old one stays',
    },
    response: { status: 200, description: 'ChatResponse', schema: chatResponseSchema, serialize: toChatResponse },
    errors: ['not_found', 'conflict', 'upstream_unavailable'],
  }),
  defineListRoute({
    method: 'GET',
    path: '/api/core/notes',
    operationId: 'listNotes',
    summary: 'Your notes, most recently changed first',
    tag,
    auth: 'conversations:read',
    query: pageSchema,
    handler: (ctx, { query }) => s.notes.list(ctx, query),
    response: { status: 200, description: 'NoteResponse[]', schema: noteResponseSchema, serialize: toNote },
  }),
  defineRoute({
    method: 'POST',
    path: '/api/core/notes',
    operationId: 'createNote',
    summary: 'Create a note',
    tag,
    auth: 'conversations:write',
    body: { schema: noteSchema, required: true },
    handler: (ctx, { body }) => s.notes.create(ctx, body),
    response: { status: 201, description: 'NoteResponse', schema: noteResponseSchema, serialize: toNote },
  }),
  defineRoute({
    method: 'PUT',
    path: '/api/core/notes/{note_id}',
    operationId: 'updateNote',
    summary: 'Change a note',
    tag,
    auth: 'conversations:write',
    body: { schema: updateNoteSchema, required: true },
    handler: (ctx, { params, body }) => s.notes.update(ctx, params.note_id!, body),
    response: { status: 200, description: 'NoteResponse', schema: noteResponseSchema, serialize: toNote },
    errors: ['not_found'],
  }),
  defineRoute({
    method: 'DELETE',
    path: '/api/core/notes/{note_id}',
    operationId: 'deleteNote',
    summary: 'Delete a note',
    tag,
    auth: 'conversations:write',
    handler: (ctx, { params }) => s.notes.delete(ctx, params.note_id!),
    response: { status: 204, description: 'Deleted' },
    errors: ['not_found'],
  }),
];
