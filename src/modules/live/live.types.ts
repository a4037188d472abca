import { GraphQLDateTime } from 'graphql-scalars';
import { createUnionType, Extensions, Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';
import type { LiveEvent } from '../../common/pubsub.js';
import { derivedId } from '../../common/ids.js';
import { ValidatedBy } from '../../graphql/inputs.js';
import { QUERY_ROOT_DESCRIPTION, QueryRoot } from '../../graphql/query-root.js';
import { connectionType, Node } from '../../graphql/relay.js';
import { User } from '../users/index.js';
import { LiveSession } from './live.entities.js';
import { sendAudioSchema, sendTextSchema } from './live.engine.js';
import { LiveEndReason, LiveExpression, LiveSessionType, LiveTranscriptRole, LiveViseme } from './live.enums.js';
import { heartbeatSchema, MAX_TURNS, nicknameSchema, sessionRefSchema, startSchema, transcriptSchema, turnSchema, type Quota, type SessionView } from './live.service.js';
import type { LiveTranscript, TranscriptTurn } from './live.entities.js';

/* ---------------------------------------------------------------------------------------- */
/* Objects.                                                                                  */

/** The id of a user's quota: one LiveQuota object per user, whatever the month. */
export const quotaIdOf = (userId: string): string => derivedId('LiveQuota', userId);

@ObjectType('LiveQuota', { implements: Node, description: "Your live entitlement: this month's seconds, what is used (the active session's running seconds included) and what is left." })
export class LiveQuotaType {
  @Field(() => ID, { description: 'The id of your quota (one per user, the same every month).' })
  id!: string;

  @Field(() => String, { description: 'Your plan, which sets the monthly entitlement (`LIVE_PLANS`).' })
  plan!: string;

  @Field(() => GraphQLDateTime, { description: 'The first instant of this UTC calendar month.' })
  periodStart!: Date;

  @Field(() => GraphQLDateTime, { description: 'The first instant of the next month, when the quota renews.' })
  periodEnd!: Date;

  @Field(() => Int, { description: "This month's entitlement, in seconds." })
  limitSeconds!: number;

  @Field(() => Int, { description: 'Seconds used this month: settled sessions plus the active session so far.' })
  usedSeconds!: number;

  @Field(() => Int, { description: 'Seconds left this month.' })
  remainingSeconds!: number;

  @Field(() => LiveSession, { nullable: true, description: 'Your active session, if one is running (one at a time).' })
  activeSession!: LiveSession | null;

  static from(userId: string, q: Quota): LiveQuotaType {
    return Object.assign(new LiveQuotaType(), { id: quotaIdOf(userId), ...q });
  }
}

@ObjectType('TranscriptTurn', { description: 'One turn of a live conversation.' })
export class TranscriptTurnType {
  @Field(() => LiveTranscriptRole.graphql, { description: 'Who said it.' })
  role!: LiveTranscriptRole;

  @Field(() => String, { description: 'What was said.' })
  text!: string;

  @Field(() => GraphQLDateTime, { description: 'When it was said.' })
  timestamp!: string;
}

@ObjectType('LiveTranscript', { implements: Node, description: 'The turns of one live conversation, saved by the client or written by the server as the turns happen.' })
export class LiveTranscriptType {
  @Field(() => ID, { description: 'The transcript id, the same as REST\'s.' })
  id!: string;

  @Field(() => ID, { nullable: true, description: 'The id of the session it belongs to, when it names one.' })
  sessionId!: string | null;

  @Field(() => GraphQLDateTime, { description: 'When the conversation started.' })
  sessionStartedAt!: Date;

  @Field(() => GraphQLDateTime, { description: 'When it ended (for a session still running: its latest turn).' })
  sessionEndedAt!: Date;

  @Field(() => Int, { description: 'Whole seconds from its start to its end.' })
  durationSeconds!: number;

  @Field(() => Int, { description: 'How many turns it holds.' })
  turnCount!: number;

  @Field(() => String, { description: 'The beginning of the first turn (at most 120 characters), for lists.' })
  preview!: string;

  @Field(() => [TranscriptTurnType], {
    description: `The turns, oldest first (at most ${MAX_TURNS}), all in one list, as REST's \`transcripts\`. Costed as ${MAX_TURNS} turns: in a list of transcripts, select \`turns\` with a page size instead.`,
    deprecationReason: 'Use turns, a connection: this list answers every turn at once, up to 2000.',
  })
  @Extensions({ listSize: MAX_TURNS })
  transcripts!: TranscriptTurn[];

  /** Whose it is: the session it names must be theirs too. */
  userId!: string;

  static from(t: LiveTranscript): LiveTranscriptType {
    return Object.assign(new LiveTranscriptType(), {
      id: t.id,
      sessionId: t.sessionId,
      sessionStartedAt: t.sessionStartedAt,
      sessionEndedAt: t.sessionEndedAt,
      durationSeconds: Math.round((t.sessionEndedAt.getTime() - t.sessionStartedAt.getTime()) / 1000),
      turnCount: t.turns.length,
      preview: (t.turns[0]?.text ?? '').slice(0, 120),
      transcripts: t.turns,
      userId: t.user.id,
    });
  }
}

export const LiveTranscriptConnection = connectionType<LiveTranscriptType>('LiveTranscript', () => LiveTranscriptType, 'newest conversation first (by when it started)');

export const TranscriptTurnConnection = connectionType<TranscriptTurn>('TranscriptTurn', () => TranscriptTurnType, 'oldest first');

/* ---------------------------------------------------------------------------------------- */
/* Inputs: each bound to the schema its service method parses.                               */

@ValidatedBy(startSchema)
@InputType('StartLiveSessionInput', { description: 'What session to start.' })
export class StartLiveSessionInput {
  @Field(() => LiveSessionType.graphql, { description: 'Voice only, or voice with an avatar.' })
  sessionType!: LiveSessionType;

  @Field(() => String, { nullable: true, description: 'A language tag for the session (e.g. `en`, `pt-BR`): what the voice speaks.' })
  language?: string | null;

  @Field(() => ID, { nullable: true, description: 'Your avatar\'s id (letters, digits, `_` and `-`, at most 64), kept with the session.' })
  avatarId?: string | null;
}

@ValidatedBy(heartbeatSchema)
@InputType('LiveHeartbeatInput', { description: 'Which session is alive.' })
export class LiveHeartbeatInput {
  @Field(() => ID, { description: 'The active session.' })
  sessionId!: string;
}

@ValidatedBy(sessionRefSchema)
@InputType('EndLiveSessionInput', { description: 'Which session to end, and why.' })
export class EndLiveSessionInput {
  @Field(() => ID, { description: 'The session.' })
  sessionId!: string;

  @Field(() => LiveEndReason.graphql, { nullable: true, description: 'Why it ends; CLIENT when not given. Ignored when the session has already ended.' })
  reason?: LiveEndReason | null;
}

@ValidatedBy(nicknameSchema)
@InputType('SetLiveNicknameInput', { description: 'The name the AI calls you by.' })
export class SetLiveNicknameInput {
  @Field(() => String, { description: "1 to 50 characters: letters, digits, spaces and . ' _ -." })
  nickname!: string;
}

@ValidatedBy(turnSchema)
@InputType('TranscriptTurnInput', { description: 'One turn of a conversation to save.' })
export class TranscriptTurnInput {
  @Field(() => LiveTranscriptRole.graphql, { description: 'Who said it.' })
  role!: LiveTranscriptRole;

  @Field(() => String, { description: 'What was said (at most 10,000 characters).' })
  text!: string;

  @Field(() => GraphQLDateTime, { description: 'When it was said: inside the session window (5 s of clock skew allowed at each end).' })
  timestamp!: Date;
}

@ValidatedBy(transcriptSchema)
@InputType('SaveLiveTranscriptInput', { description: 'A conversation to save: its window and its turns (sorted by time when stored).' })
export class SaveLiveTranscriptInput {
  @Field(() => GraphQLDateTime, { description: 'When the conversation started.' })
  sessionStartedAt!: Date;

  @Field(() => GraphQLDateTime, { description: 'When it ended: not before the start, at most 24 hours after it.' })
  sessionEndedAt!: Date;

  @Field(() => [TranscriptTurnInput], { description: `The turns (at most ${MAX_TURNS}).` })
  transcripts!: TranscriptTurnInput[];

  @Field(() => ID, { nullable: true, description: 'One of your sessions, when the conversation was one.' })
  sessionId?: string | null;
}

@ValidatedBy(sendTextSchema)
@InputType('SendLiveTextInput', { description: 'Something said in a session, as text.' })
export class SendLiveTextInput {
  @Field(() => ID, { description: 'Your active session.' })
  sessionId!: string;

  @Field(() => String, { description: 'What you say (1 to 4,000 characters once trimmed).' })
  text!: string;
}

@ValidatedBy(sendAudioSchema)
@InputType('SendLiveAudioInput', { description: "A chunk of a turn's audio, or its end." })
export class SendLiveAudioInput {
  @Field(() => ID, { description: 'Your active session.' })
  sessionId!: string;

  @Field(() => String, { nullable: true, description: 'Base64 of 16-bit PCM, mono, 24 kHz: at most 2 s a chunk, 60 s a turn.' })
  audio?: string | null;

  // Nullable with its default: graphql-jit (the HTTP executor) ignores the default of a non-null input field.
  @Field(() => Boolean, { nullable: true, defaultValue: false, description: 'The turn is complete: it is answered now (false when left out or null).' })
  final?: boolean | null;

  @Field(() => String, { nullable: true, description: 'Your own transcript of the turn (at most 4,000 characters): used instead of speech-to-text.' })
  text?: string | null;
}

/* ---------------------------------------------------------------------------------------- */
/* Payloads: each carries what its mutation changed.                                           */

/** The meter of a session, as a start, a heartbeat or an end reports it: the fields of their payloads. */
@ObjectType()
abstract class LiveSessionMeter {
  @Field(() => LiveSession, { description: 'The session as it is now.' })
  session!: LiveSession;

  @Field(() => LiveQuotaType, { description: 'Your quota as it is now (its active session, its seconds).' })
  quota!: LiveQuotaType;

  @Field(() => Int, { description: 'Seconds of this session so far, or metered once it ended.' })
  usedSeconds!: number;

  @Field(() => Int, { description: 'Seconds left in the monthly quota.' })
  remainingSeconds!: number;

  @Field(() => Int, { description: 'How often to send a heartbeat, in seconds.' })
  heartbeatIntervalSeconds!: number;

  @Field(() => String, { nullable: true, description: 'Set when less than a minute of live time is left (a heartbeat says so).' })
  warning!: string | null;

}

/** A payload's fields from the service's view of the session and the quota now. */
export const meterOf = (v: SessionView, quota: Quota, heartbeatIntervalSeconds: number): LiveSessionMeter => ({
  session: v.session,
  quota: LiveQuotaType.from(v.session.user.id, quota),
  usedSeconds: v.usedSeconds,
  remainingSeconds: v.remainingSeconds,
  heartbeatIntervalSeconds,
  warning: v.warning,
});

@ObjectType('StartLiveSessionPayload', { description: 'The session started, and your quota with it as the active session.' })
export class StartLiveSessionPayload extends LiveSessionMeter {}

@ObjectType('LiveHeartbeatPayload', { description: 'The session with its new sign of life (or ended, at the length limit), and your quota.' })
export class LiveHeartbeatPayload extends LiveSessionMeter {}

@ObjectType('EndLiveSessionPayload', { description: 'The ended session with its metered seconds, and your quota with them settled.' })
export class EndLiveSessionPayload extends LiveSessionMeter {
  @Field(() => QueryRoot, { description: `${QUERY_ROOT_DESCRIPTION} The end settles the session's seconds, which move your quests (\`query { xpQuests { ... } }\`) and learning time.` })
  query!: QueryRoot;
}

@ObjectType('SetLiveNicknamePayload', { description: 'The nickname set.' })
export class SetLiveNicknamePayload {
  @Field(() => String, { description: 'The nickname, as stored (trimmed).' })
  nickname!: string;

  @Field(() => User, { nullable: true, description: 'You, with the new nickname; null for an API key, which may not read the profile (`me` is bearer-only).' })
  user!: User | null;
}

@ObjectType('SaveLiveTranscriptPayload', { description: 'The transcript saved.' })
export class SaveLiveTranscriptPayload {
  @Field(() => LiveTranscriptType, { description: 'The new transcript.' })
  transcript!: LiveTranscriptType;
  @Field(() => QueryRoot, { description: QUERY_ROOT_DESCRIPTION })
  query!: QueryRoot;
}

@ObjectType('SendLiveTextPayload', { description: 'The turn, answered: the reply was spoken as events on `liveSessionEvents` while this ran.' })
export class SendLiveTextPayload {
  @Field(() => LiveSession, { description: 'The session, with its new sign of life.' })
  session!: LiveSession;

  @Field(() => LiveTranscriptType, { description: "The session's transcript, with your turn and the reply." })
  transcript!: LiveTranscriptType;

  @Field(() => ID, { description: 'The reply\'s turn: the `turnId` of its audio chunks and avatar expressions.' })
  turnId!: string;
  @Field(() => QueryRoot, { description: QUERY_ROOT_DESCRIPTION })
  query!: QueryRoot;
}

@ObjectType('SendLiveAudioPayload', { description: 'The chunk taken; on the final one, the turn answered.' })
export class SendLiveAudioPayload {
  @Field(() => LiveSession, { description: 'The session, with its new sign of life.' })
  session!: LiveSession;

  @Field(() => LiveTranscriptType, { nullable: true, description: "On the final chunk: the session's transcript with your turn and the reply. Null before." })
  transcript!: LiveTranscriptType | null;

  @Field(() => ID, { nullable: true, description: "On the final chunk: the reply's turn (the `turnId` of its events). Null before." })
  turnId!: string | null;
  @Field(() => QueryRoot, { description: QUERY_ROOT_DESCRIPTION })
  query!: QueryRoot;
}

/* ---------------------------------------------------------------------------------------- */
/* The events of liveSessionEvents.                                                            */

@ObjectType('LiveSessionStarted', { description: 'The session began.' })
export class LiveSessionStarted {
  @Field(() => ID, { description: 'The session.' })
  sessionId!: string;

  @Field(() => Int, { description: 'Seconds left in the monthly quota at the start.' })
  remainingSeconds!: number;

  @Field(() => GraphQLDateTime, { description: 'When it happened.' })
  at!: string;
}

@ObjectType('LiveQuotaWarning', { description: 'Less than a minute of live time is left.' })
export class LiveQuotaWarning {
  @Field(() => ID, { description: 'The session.' })
  sessionId!: string;

  @Field(() => Int, { description: 'Seconds left in the monthly quota.' })
  remainingSeconds!: number;

  @Field(() => String, { description: 'The warning, for people.' })
  message!: string;

  @Field(() => GraphQLDateTime, { description: 'When it happened.' })
  at!: string;
}

@ObjectType('LiveSessionEnded', { description: 'The session ended: by the client, the sweeper, the quota or the length limit.' })
export class LiveSessionEnded {
  @Field(() => ID, { description: 'The session.' })
  sessionId!: string;

  @Field(() => Int, { description: 'Whole seconds metered for it.' })
  usedSeconds!: number;

  @Field(() => LiveEndReason.graphql, { description: 'Why it ended.' })
  endReason!: LiveEndReason;

  @Field(() => GraphQLDateTime, { description: 'When it happened.' })
  at!: string;
}

@ObjectType('LiveTranscriptTurn', { description: 'A turn, stored in the transcript as it happened.' })
class LiveTranscriptTurnEvent {
  @Field(() => ID, { description: 'The session.' })
  sessionId!: string;

  @Field(() => LiveTranscriptRole.graphql, { description: 'Who said it.' })
  role!: LiveTranscriptRole;

  @Field(() => String, { description: 'What was said.' })
  text!: string;

  @Field(() => GraphQLDateTime, { description: 'When it was said.' })
  timestamp!: string;
}

@ObjectType('LiveAudioResponse', { description: 'A 200 ms chunk of the spoken reply: base64 16-bit PCM, mono, 24 kHz.' })
class LiveAudioResponse {
  @Field(() => ID, { description: 'The session.' })
  sessionId!: string;

  @Field(() => ID, { description: 'The reply this chunk belongs to.' })
  turnId!: string;

  @Field(() => Int, { description: 'The chunk\'s place in the reply, from 0.' })
  seq!: number;

  @Field(() => String, { description: 'Base64 of the chunk\'s PCM.' })
  audio!: string;

  @Field(() => String, { description: 'The whole reply text, on the final chunk; empty on the others.' })
  text!: string;

  @Field(() => Boolean, { description: 'The last chunk of the reply.' })
  final!: boolean;
}

@ObjectType('Viseme', { description: 'A mouth shape at an instant of the spoken reply.' })
class VisemeType {
  @Field(() => Int, { description: 'Milliseconds from the start of the reply\'s audio.' })
  offsetMs!: number;

  @Field(() => LiveViseme.graphql, { description: 'The mouth shape from this instant until the next one.' })
  viseme!: LiveViseme;
}

@ObjectType('LiveAvatarExpression', { description: 'For avatar sessions: an expression and the visemes of a sentence, aligned to its audio.' })
class LiveAvatarExpression {
  @Field(() => ID, { description: 'The session.' })
  sessionId!: string;

  @Field(() => ID, { description: 'The reply this sentence belongs to.' })
  turnId!: string;

  @Field(() => LiveExpression.graphql, { description: 'The face to show while the sentence plays.' })
  expression!: LiveExpression;

  @Field(() => Float, { description: 'How strongly, from 0 to 1.' })
  intensity!: number;

  @Field(() => [VisemeType], { description: 'The mouth shapes of the sentence, in order.' })
  visemes!: VisemeType[];
}

const LIVE_EVENT_TYPES = {
  session_started: LiveSessionStarted,
  quota_warning: LiveQuotaWarning,
  session_ended: LiveSessionEnded,
  transcript: LiveTranscriptTurnEvent,
  audio_response: LiveAudioResponse,
  avatar_expression: LiveAvatarExpression,
} as const;

export const LiveSessionEvent = createUnionType({
  name: 'LiveSessionEvent',
  description: 'What happens in a live session, through either door (the socket or GraphQL).',
  types: () => [LiveSessionStarted, LiveQuotaWarning, LiveSessionEnded, LiveTranscriptTurnEvent, LiveAudioResponse, LiveAvatarExpression] as const,
  resolveType: (value) => LIVE_EVENT_TYPES[(value as LiveEvent).type],
});
