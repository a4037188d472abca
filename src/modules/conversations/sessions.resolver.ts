import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../common/context.js';
import { describeRequirement as need } from '../../common/scopes.js';
import { queryRoot } from '../../graphql/query-root.js';
import { Conversation, ConversationSession } from './conversations.entities.js';
import { conversationRef } from './conversations.refs.js';
import type { ServiceMap } from '../manifest.js';
import type { ConversationSessionsService } from './sessions.service.js';
import {
  ConversationSessionStatusType,
  EndConversationSessionInput,
  EndConversationSessionPayload,
  RecordConversationSessionActivityInput,
  RecordConversationSessionActivityPayload,
  StartConversationSessionInput,
  StartConversationSessionPayload,
} from './sessions.types.js';

const READ = need('conversations:read');
const WRITE = need('conversations:write');

/** Conversation learning sessions through GraphQL: the same service methods as REST's `/session/*` routes. */
@Resolver()
export class ConversationSessionsResolver {
  constructor(readonly sessions: ConversationSessionsService) {}

  @Query(() => ConversationSessionStatusType, {
    nullable: true,
    description: `Your learning session in one of your conversations: whether one runs, the running (else latest) one, and the seconds all of them counted; null for an unknown conversation or someone else's. ${READ}`,
  })
  conversationSessionStatus(@Arg('conversationId', () => ID, { description: 'The conversation.' }) conversationId: string, @Ctx() ctx: RequestContext): Promise<ConversationSessionStatusType | null> {
    return this.sessions.statusOrNull(ctx, conversationId);
  }

  @Mutation(() => StartConversationSessionPayload, {
    description: `Starts a learning session in one of your conversations, timed by the server; when one is already running it is answered (\`created: false\`). ${WRITE}`,
  })
  async startConversationSession(@Arg('input', () => StartConversationSessionInput, { description: 'The conversation.' }) input: StartConversationSessionInput, @Ctx() ctx: RequestContext): Promise<StartConversationSessionPayload> {
    const r = await this.sessions.start(ctx, input.conversationId);
    return { ...r, query: queryRoot() };
  }

  @Mutation(() => RecordConversationSessionActivityPayload, {
    description:
      'Records activity in the running learning session of one of your conversations: the time since the previous activity counts (a chat message in the conversation does the same). ' +
      `A session idle longer than CONVERSATION_SESSION_IDLE_SECONDS has ended at its last activity: conflict, start another. ${WRITE}`,
  })
  async recordConversationSessionActivity(
    @Arg('input', () => RecordConversationSessionActivityInput, { description: 'The conversation.' }) input: RecordConversationSessionActivityInput,
    @Ctx() ctx: RequestContext,
  ): Promise<RecordConversationSessionActivityPayload> {
    return { session: await this.sessions.activity(ctx, input.conversationId), query: queryRoot() };
  }

  @Mutation(() => EndConversationSessionPayload, { description: `Ends the running learning session of one of your conversations; ending again changes nothing. ${WRITE}` })
  async endConversationSession(@Arg('input', () => EndConversationSessionInput, { description: 'The conversation.' }) input: EndConversationSessionInput, @Ctx() ctx: RequestContext): Promise<EndConversationSessionPayload> {
    const status = await this.sessions.end(ctx, input.conversationId);
    return { session: status.session, status, query: queryRoot() };
  }
}

/** The fields of a session that are not columns. */
@Resolver(() => ConversationSession)
export class ConversationSessionResolver {
  constructor(readonly conversations: ServiceMap['conversations']) {}

  @FieldResolver(() => ID, { nullable: true, description: 'The conversation it was in; null once that conversation was deleted (its time stays counted).' })
  conversationId(@Root() s: ConversationSession): string | null {
    return s.conversation?.id ?? null;
  }

  @FieldResolver(() => Conversation, {
    nullable: true,
    description: 'The conversation it was in, as `conversation(id:)` answers it (an API key needs `conversations:read`); null once that conversation was deleted (its time stays counted).',
  })
  conversation(@Root() s: ConversationSession, @Ctx() ctx: RequestContext): Promise<Conversation | null> | null {
    return s.conversation ? conversationRef(this.conversations, ctx, s.conversation.id) : null;
  }
}
