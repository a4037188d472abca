import { GraphQLDateTime } from 'graphql-scalars';
import { Arg, createUnionType, Ctx, Field, ID, InputType, Int, Mutation, ObjectType, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { LiveEvent } from '../../common/pubsub.js';
import { parseInput, str } from '../../common/validation.js';
import { z } from 'zod';
import type { RequestContext } from '../../common/context.js';
import { describeRequirement as need } from '../../common/scopes.js';
import { LiveSession } from './live-session.entity.js';
import type { SessionView } from './live.service.js';
import type { LiveTranscript } from './transcript.entity.js';

@ObjectType('LiveQuota')
class LiveQuotaType {
  @Field(() => String)
  plan!: string;

  @Field(() => GraphQLDateTime)
  periodStart!: Date;

  @Field(() => GraphQLDateTime)
  periodEnd!: Date;

  @Field(() => Int)
  limitSeconds!: number;

  @Field(() => Int)
  usedSeconds!: number;

  @Field(() => Int)
  remainingSeconds!: number;

  @Field(() => LiveSession, { nullable: true })
  activeSession!: LiveSession | null;
}

@ObjectType('LiveSessionState')
class LiveSessionState {
  @Field(() => LiveSession)
  session!: LiveSession;

  @Field(() => Int, { description: 'Seconds of this session so far, or metered once ended.' })
  usedSeconds!: number;

  @Field(() => Int, { description: 'Seconds left in the monthly quota.' })
  remainingSeconds!: number;

  @Field(() => Int)
  heartbeatIntervalSeconds!: number;

  @Field(() => String, { nullable: true })
  warning!: string | null;
}

@ObjectType('TranscriptTurn')
class TranscriptTurnType {
  @Field(() => String, { description: 'user or ai' })
  role!: string;

  @Field(() => String)
  text!: string;

  @Field(() => GraphQLDateTime)
  timestamp!: string;
}

@ObjectType('LiveTranscript')
class LiveTranscriptType {
  @Field(() => ID)
  id!: string;

  @Field(() => ID, { nullable: true })
  sessionId!: string | null;

  @Field(() => GraphQLDateTime)
  sessionStartedAt!: Date;

  @Field(() => GraphQLDateTime)
  sessionEndedAt!: Date;

  @Field(() => [TranscriptTurnType])
  transcripts!: TranscriptTurnType[];
}

@ObjectType('LiveTranscriptPage')
class LiveTranscriptPage {
  @Field(() => Int)
  total!: number;

  @Field(() => [LiveTranscriptType])
  items!: LiveTranscriptType[];
}

@InputType()
class TranscriptTurnInput {
  @Field(() => String)
  role!: string;

  @Field(() => String)
  text!: string;

  @Field(() => String)
  timestamp!: string;
}

@InputType()
class SaveTranscriptInput {
  @Field(() => String)
  sessionStartedAt!: string;

  @Field(() => String)
  sessionEndedAt!: string;

  @Field(() => [TranscriptTurnInput])
  transcripts!: TranscriptTurnInput[];

  @Field(() => ID, { nullable: true })
  sessionId?: string | null;
}

const state = (v: SessionView, ctx: RequestContext): LiveSessionState => ({ ...v, heartbeatIntervalSeconds: ctx.config.live.heartbeatIntervalSeconds });
const transcript = (t: LiveTranscript): LiveTranscriptType => ({ id: t.id, sessionId: t.sessionId, sessionStartedAt: t.sessionStartedAt, sessionEndedAt: t.sessionEndedAt, transcripts: t.turns });

@ObjectType('LiveSessionStarted', { description: 'The session began.' })
class LiveSessionStarted {
  @Field(() => ID)
  sessionId!: string;

  @Field(() => Int)
  remainingSeconds!: number;

  @Field(() => GraphQLDateTime)
  at!: string;
}

@ObjectType('LiveQuotaWarning', { description: 'Less than a minute of live time is left.' })
class LiveQuotaWarning {
  @Field(() => ID)
  sessionId!: string;

  @Field(() => Int)
  remainingSeconds!: number;

  @Field(() => String)
  message!: string;

  @Field(() => GraphQLDateTime)
  at!: string;
}

@ObjectType('LiveSessionEnded', { description: 'The session ended: by the client, the sweeper, the quota or the length limit.' })
class LiveSessionEnded {
  @Field(() => ID)
  sessionId!: string;

  @Field(() => Int)
  usedSeconds!: number;

  @Field(() => String)
  endReason!: string;

  @Field(() => GraphQLDateTime)
  at!: string;
}

@ObjectType('LiveTranscriptTurn', { description: 'A turn, stored in the transcript as it happened.' })
class LiveTranscriptTurnEvent {
  @Field(() => ID)
  sessionId!: string;

  @Field(() => String, { description: 'user or ai' })
  role!: string;

  @Field(() => String)
  text!: string;

  @Field(() => GraphQLDateTime)
  timestamp!: string;
}

@ObjectType('LiveAudioResponse', { description: 'A 200 ms chunk of the spoken reply: base64 16-bit PCM, mono, 24 kHz.' })
class LiveAudioResponse {
  @Field(() => ID)
  sessionId!: string;

  @Field(() => ID)
  turnId!: string;

  @Field(() => Int)
  seq!: number;

  @Field(() => String)
  audio!: string;

  @Field(() => String, { description: 'The reply text, on the final chunk.' })
  text!: string;

  @Field(() => Boolean)
  final!: boolean;
}

@ObjectType('Viseme')
class VisemeType {
  @Field(() => Int)
  offsetMs!: number;

  @Field(() => String)
  viseme!: string;
}

@ObjectType('LiveAvatarExpression', { description: 'For avatar sessions: an expression and the visemes of a sentence, aligned to its audio.' })
class LiveAvatarExpression {
  @Field(() => ID)
  sessionId!: string;

  @Field(() => ID)
  turnId!: string;

  @Field(() => String)
  expression!: string;

  @Field(() => Number)
  intensity!: number;

  @Field(() => [VisemeType])
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

@Resolver()
export class LiveResolver {
  @Subscription(() => LiveSessionEvent, {
    description: `Events of one of your live sessions, until it ends. ${need('live:read')}`,
    subscribe: async ({ args, context }) => {
      const ctx = context as RequestContext;
      const session = await ctx.services.live.watch(ctx, String(args.sessionId));
      return ctx.services.events.subscribe('LIVE_EVENT', session.id);
    },
  })
  liveSessionEvents(@Root() event: LiveEvent, @Arg('sessionId', () => ID) _sessionId: string): LiveEvent {
    return event;
  }

  @Query(() => LiveQuotaType, { description: `This month's live entitlement, use and active session. ${need('live:read')}` })
  liveQuota(@Ctx() ctx: RequestContext): Promise<LiveQuotaType> {
    return ctx.services.live.quota(ctx);
  }

  @Mutation(() => LiveSessionState, { description: `Starts a voice or avatar session: one at a time, within the quota. ${need('live:write')}` })
  async startLiveSession(
    @Arg('sessionType', () => String) sessionType: string,
    @Arg('language', () => String, { nullable: true }) language: string | null,
    @Arg('avatarId', () => String, { nullable: true }) avatarId: string | null,
    @Ctx() ctx: RequestContext,
  ): Promise<LiveSessionState> {
    return state(await ctx.services.live.start(ctx, { sessionType, language, avatarId }), ctx);
  }

  @Mutation(() => LiveSessionState, { description: `A sign of life; live_quota_exceeded once the quota is used up. ${need('live:write')}` })
  async liveHeartbeat(@Arg('sessionId', () => ID) sessionId: string, @Ctx() ctx: RequestContext): Promise<LiveSessionState> {
    return state(await ctx.services.live.heartbeat(ctx, { sessionId }), ctx);
  }

  @Mutation(() => LiveSessionState, { description: `Ends a session (idempotent). ${need('live:write')}` })
  async endLiveSession(@Arg('sessionId', () => ID) sessionId: string, @Arg('reason', () => String, { nullable: true }) reason: string | null, @Ctx() ctx: RequestContext): Promise<LiveSessionState> {
    return state(await ctx.services.live.end(ctx, { sessionId, reason }), ctx);
  }

  @Mutation(() => Boolean, {
    description: `Says something in an active session: the reply arrives as events on liveSessionEvents (transcript, audio, expressions). Answers when the turn is done. ${need('live:write')}`,
  })
  async sendLiveText(@Arg('sessionId', () => ID) sessionId: string, @Arg('text', () => String) text: string, @Ctx() ctx: RequestContext): Promise<boolean> {
    const session = await ctx.services.live.bind(ctx, sessionId);
    const input = parseInput(z.object({ text: str().trim().min(1, 'must not be empty').max(4000, 'must be at most 4000 characters') }), { text });
    await ctx.services.live.touch(ctx.em, session.id);
    await ctx.services.liveEngine.turn(ctx, session, input.text, () => undefined);
    return true;
  }

  @Mutation(() => Boolean, {
    description: `Sends a chunk of the turn's audio (base64 16-bit PCM, mono, 24 kHz, at most 2 s); with final, the turn is answered as events on liveSessionEvents. The caller's own text, when given, is used instead of speech-to-text. ${need('live:write')}`,
  })
  async sendLiveAudio(
    @Arg('sessionId', () => ID) sessionId: string,
    @Arg('audio', () => String, { nullable: true }) audio: string | null,
    @Arg('final', () => Boolean, { defaultValue: false }) final: boolean,
    @Arg('text', () => String, { nullable: true }) text: string | null,
    @Ctx() ctx: RequestContext,
  ): Promise<boolean> {
    const session = await ctx.services.live.bind(ctx, sessionId);
    // As the socket checks its audio-input frames: the text as words, the audio as a string.
    const input = parseInput(z.object({ text: str().max(4000, 'must be at most 4000 characters').optional(), audio: str().optional() }), { text: text ?? undefined, audio: audio ?? undefined });
    await ctx.services.live.touch(ctx.em, session.id);
    const words = await ctx.services.liveEngine.acceptAudio(session, { audio: input.audio, text: input.text, final });
    if (words) await ctx.services.liveEngine.turn(ctx, session, words, () => undefined);
    return true;
  }

  @Mutation(() => String, { description: `The name the AI calls you by. ${need('live:write')}` })
  setLiveNickname(@Arg('nickname', () => String) nickname: string, @Ctx() ctx: RequestContext): Promise<string> {
    return ctx.services.live.setNickname(ctx, { nickname });
  }

  @Mutation(() => LiveTranscriptType, { description: `Saves a live transcript. ${need('bearer')}` })
  async saveLiveTranscript(@Arg('input', () => SaveTranscriptInput) input: SaveTranscriptInput, @Ctx() ctx: RequestContext): Promise<LiveTranscriptType> {
    return transcript(await ctx.services.live.saveTranscript(ctx, input));
  }

  @Query(() => LiveTranscriptPage, { description: `Your transcripts, newest first. ${need('live:read')}` })
  async liveTranscripts(
    @Ctx() ctx: RequestContext,
    @Arg('limit', () => Int, { defaultValue: 20 }) limit: number,
    @Arg('offset', () => Int, { defaultValue: 0 }) offset: number,
  ): Promise<LiveTranscriptPage> {
    const page = await ctx.services.live.transcripts(ctx, { limit, offset });
    return { total: page.total, items: page.items.map(transcript) };
  }

  @Query(() => LiveTranscriptType, { description: need('live:read') })
  async liveTranscript(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<LiveTranscriptType> {
    return transcript(await ctx.services.live.transcript(ctx, id));
  }
}
