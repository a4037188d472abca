import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { z } from 'zod';
import { str } from '../../common/validation.js';
import { ValidatedBy } from '../../graphql/inputs.js';
import { QUERY_ROOT_DESCRIPTION, QueryRoot } from '../../graphql/query-root.js';
import { ConversationSession } from './conversations.entities.js';

/** A conversation the service looks up: anything that is not one of the caller's answers not_found. */
export const sessionInputSchema = z.object({ conversationId: str().max(100, 'must be an id') });

@ObjectType('ConversationLearningStatus', { description: 'Your learning session in one of your conversations: the running one, and the time all of them counted.' })
export class ConversationSessionStatusType {
  @Field(() => Boolean, { description: 'A session is running now.' })
  active!: boolean;

  @Field(() => ConversationSession, { nullable: true, description: 'The running session, else the latest one; null when there has been none.' })
  session!: ConversationSession | null;

  @Field(() => Int, { description: 'Seconds counted over all your sessions in this conversation.' })
  totalActiveSeconds!: number;
}

@ValidatedBy(sessionInputSchema)
@InputType('StartConversationSessionInput', { description: 'The conversation to start a learning session in.' })
export class StartConversationSessionInput {
  @Field(() => ID, { description: 'One of your conversations.' })
  conversationId!: string;
}

@ObjectType('StartConversationSessionPayload', { description: 'The running session.' })
export class StartConversationSessionPayload {
  @Field(() => ConversationSession, { description: 'The session: the new one, or the one already running.' })
  session!: ConversationSession;

  @Field(() => Boolean, { description: 'True when this call started it; false when a session was already running (it is answered instead).' })
  created!: boolean;

  @Field(() => QueryRoot, { description: QUERY_ROOT_DESCRIPTION })
  query!: QueryRoot;
}

@ValidatedBy(sessionInputSchema)
@InputType('RecordConversationSessionActivityInput', { description: 'The conversation whose running learning session saw activity.' })
export class RecordConversationSessionActivityInput {
  @Field(() => ID, { description: 'One of your conversations.' })
  conversationId!: string;
}

@ObjectType('RecordConversationSessionActivityPayload', { description: 'The running session, its time counted up to now.' })
export class RecordConversationSessionActivityPayload {
  @Field(() => ConversationSession, { description: 'The session.' })
  session!: ConversationSession;

  @Field(() => QueryRoot, { description: QUERY_ROOT_DESCRIPTION })
  query!: QueryRoot;
}

@ValidatedBy(sessionInputSchema)
@InputType('EndConversationSessionInput', { description: 'The conversation whose running learning session ends.' })
export class EndConversationSessionInput {
  @Field(() => ID, { description: 'One of your conversations.' })
  conversationId!: string;
}

@ObjectType('EndConversationSessionPayload', { description: 'The learning session of the conversation after the end (ending twice changes nothing).' })
export class EndConversationSessionPayload {
  @Field(() => ConversationSession, { nullable: true, description: 'The session that ended (or the latest one); null when there has been none.' })
  session!: ConversationSession | null;

  @Field(() => ConversationSessionStatusType, { description: 'The conversation\'s session status after the end.' })
  status!: ConversationSessionStatusType;

  @Field(() => QueryRoot, { description: QUERY_ROOT_DESCRIPTION })
  query!: QueryRoot;
}
