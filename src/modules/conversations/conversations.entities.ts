import { randomUUID } from 'node:crypto';
import { DateTimeType, OptionalProps, JsonType } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Node } from '../../graphql/relay.js';
import { AiProvider, type AiProviderId, type Citation, type TokenUsage } from '../ai/index.js';
import { User } from '../users/index.js';
import {
  ConversationSessionStatus,
  MessageRole,
  MessageStatus as MessageStatusEnum,
  type ConversationSessionStatusValue,
  type MessageRoleValue,
  type MessageStatusValue,
} from './conversations.enums.js';

/** A thread of messages between a user and an AI provider. */
@ObjectType('Conversation', { implements: Node, description: 'A thread of messages between you and an AI provider. Only its owner ever sees it.' })
@Entity({ tableName: 'conversations' })
@Index({ name: 'conversations_user_updated_index', properties: ['user', 'updatedAt'] })
export class Conversation {
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'messageCount' | 'lastMessageAt' | 'systemPrompt' | 'title' | 'provider' | 'model';

  @Field(() => ID, { description: 'The conversation\'s id, the same as REST\'s `conversation_id`.' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => User, { deleteRule: 'cascade', index: false })
  user!: User;

  @Field(() => String, { nullable: true, description: 'Derived from the first question unless set; null until then.' })
  @Property({ type: 'string', length: 200, nullable: true })
  title: string | null = null;

  @Field(() => AiProvider.graphql, { nullable: true, description: 'The provider new turns use unless a turn names one; null: the server\'s default.' })
  @Property({ type: 'string', length: 32, nullable: true })
  provider: AiProviderId | null = null;

  @Field(() => String, { nullable: true, description: 'The model new turns use unless a turn names one; null: the provider\'s default model.' })
  @Property({ type: 'string', length: 100, nullable: true })
  model: string | null = null;

  @Field(() => String, { nullable: true, description: 'Instructions sent to the provider before every turn of this conversation.' })
  @Property({ type: 'text', nullable: true })
  systemPrompt: string | null = null;

  @Field(() => Int, { description: 'How many messages the conversation holds (questions and replies).' })
  @Property({ type: 'integer' })
  messageCount: number = 0;

  @Field(() => GraphQLDateTime, { nullable: true, description: 'When the last exchange was stored; null for a conversation without messages.' })
  @Property({ type: DateTimeType, nullable: true })
  lastMessageAt: Date | null = null;

  @Field(() => GraphQLDateTime, { description: 'When the conversation was created.' })
  @Property({ type: DateTimeType })
  createdAt: Date = new Date();

  @Field(() => GraphQLDateTime, { description: 'When the conversation last changed (a turn, a rename): `conversations` lists the most recent first.' })
  @Property({ type: DateTimeType, onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}

/** complete: a whole reply. partial: the client left mid-stream; what had arrived is kept. */
export type MessageStatus = MessageStatusValue;

/** One message of a conversation; `position` orders them (1, 2, 3...). */
@ObjectType('Message', { implements: Node, description: 'One message of a conversation: a question or a reply.' })
@Entity({ tableName: 'messages' })
@Unique({ name: 'messages_conversation_position_unique', properties: ['conversation', 'position'] })
export class Message {
  [OptionalProps]?: 'createdAt' | 'provider' | 'model' | 'citations' | 'status' | 'promptTokens' | 'completionTokens' | 'totalTokens';

  @Field(() => ID, { description: 'The message\'s id, the same as REST\'s.' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Conversation, { deleteRule: 'cascade', index: false })
  conversation!: Conversation;

  @Field(() => Int, { description: 'Its place in the conversation: 1 for the first message, then 2, 3… (a regenerated reply keeps its place).' })
  @Property({ type: 'integer' })
  position!: number;

  @Field(() => MessageRole.graphql, { description: 'Who wrote it.' })
  @Property({ type: 'string', length: 16 })
  role!: MessageRoleValue;

  @Field(() => String, { description: 'The text.' })
  @Property({ type: 'text' })
  content!: string;

  @Field(() => AiProvider.graphql, { nullable: true, description: 'For a reply: the provider that wrote it (never AUTO). Null for a question.' })
  @Property({ type: 'string', length: 32, nullable: true })
  provider: AiProviderId | null = null;

  @Field(() => String, { nullable: true, description: 'For a reply: the model that wrote it. Null for a question.' })
  @Property({ type: 'string', length: 100, nullable: true })
  model: string | null = null;

  @Field(() => MessageStatusEnum.graphql, { description: 'Whether it arrived whole: PARTIAL when the client left mid-stream.' })
  @Property({ type: 'string', length: 16 })
  status: MessageStatus = 'complete';

  @Property({ type: JsonType })
  citations: Citation[] = [];

  @Property({ type: 'integer', nullable: true })
  promptTokens: number | null = null;

  @Property({ type: 'integer', nullable: true })
  completionTokens: number | null = null;

  @Property({ type: 'integer', nullable: true })
  totalTokens: number | null = null;

  @Field(() => GraphQLDateTime, { description: 'When it was stored.' })
  @Property({ type: DateTimeType })
  createdAt: Date = new Date();
}

/** The tokens a stored reply cost, when its provider reported them. */
export const usageOf = (m: Message): TokenUsage | null =>
  m.totalTokens === null ? null : { promptTokens: m.promptTokens ?? 0, completionTokens: m.completionTokens ?? 0, totalTokens: m.totalTokens };

/** A user's own note: searchable, and quoted by the local provider. */
@ObjectType('Note', { implements: Node, description: 'One of your notes: found by `search`, and quoted by the local provider. Only its owner ever sees it.' })
@Entity({ tableName: 'notes' })
@Index({ name: 'notes_user_updated_index', properties: ['user', 'updatedAt'] })
export class Note {
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'tags';

  @Field(() => ID, { description: 'The note\'s id, the same as REST\'s `note_id`.' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => User, { deleteRule: 'cascade', index: false })
  user!: User;

  @Field(() => String, { description: 'The title (1 to 200 characters).' })
  @Property({ type: 'string', length: 200 })
  title!: string;

  @Field(() => String, { description: 'The text (at most 100,000 characters).' })
  @Property({ type: 'text' })
  content!: string;

  @Field(() => [String], { description: 'Its tags (at most 20); search finds them as #tag.' })
  @Property({ type: JsonType })
  tags: string[] = [];

  @Field(() => GraphQLDateTime, { description: 'When the note was created.' })
  @Property({ type: DateTimeType })
  createdAt: Date = new Date();

  @Field(() => GraphQLDateTime, { description: 'When the note last changed: `notes` lists the most recent first.' })
  @Property({ type: DateTimeType, onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}

/**
 * A learning session in a conversation: the time its learner spends there, by the server's
 * clock. Every gap between two activities is at most the idle timeout (a longer one ends the
 * session at its last activity), so the time counted is `lastActivityAt - startedAt`. While
 * active, `activeKey` holds `userId:conversationId`: its unique index makes "one active session
 * per learner and conversation" hold under races (both drivers; NULLs never collide).
 */
@ObjectType('ConversationSession', { implements: Node, description: 'A learning session of yours in one of your conversations: started and ended by you, kept going by activity, timed by the server.' })
@Entity({ tableName: 'conversation_sessions' })
@Index({ name: 'conversation_sessions_user_started_index', properties: ['user', 'startedAt'] })
@Index({ name: 'conversation_sessions_conversation_index', properties: ['conversation'] })
@Index({ name: 'conversation_sessions_status_activity_index', properties: ['status', 'lastActivityAt'] })
export class ConversationSession {
  [OptionalProps]?: 'status' | 'endedAt' | 'activeSeconds' | 'activeKey' | 'conversation';

  @Field(() => ID, { description: 'The session\'s id, the same as REST\'s `session_id`.' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => User, { deleteRule: 'cascade', index: false })
  user!: User;

  /** Null once the conversation was deleted: the time spent stays in the learner's figures. */
  @ManyToOne(() => Conversation, { deleteRule: 'set null', nullable: true, index: false })
  conversation: Conversation | null = null;

  @Unique({ name: 'conversation_sessions_active_key_unique' })
  @Property({ type: 'string', length: 80, nullable: true })
  activeKey: string | null = null;

  @Field(() => ConversationSessionStatus.graphql, { description: 'Running or over.' })
  @Property({ type: 'string', length: 16 })
  status: ConversationSessionStatusValue = 'active';

  @Field(() => GraphQLDateTime, { description: 'When the server started it.' })
  @Property({ type: DateTimeType })
  startedAt!: Date;

  @Field(() => GraphQLDateTime, { description: 'Its last activity (the start, an activity call, a chat message, the end): an idle session ends at this instant.' })
  @Property({ type: DateTimeType })
  lastActivityAt!: Date;

  @Field(() => GraphQLDateTime, { nullable: true, description: 'When it ended (null while active): its last activity when the sweeper ended it.' })
  @Property({ type: DateTimeType, nullable: true })
  endedAt: Date | null = null;

  @Field(() => Int, { description: 'Whole seconds of learning counted so far: from the start to the last activity (gaps longer than the idle timeout are never counted).' })
  @Property({ type: 'integer' })
  activeSeconds: number = 0;
}
