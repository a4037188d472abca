import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root, Subscription, type ClassType } from 'type-graphql';
import type { RequestContext } from '../../common/context.js';
import type { LiveEvent } from '../../common/pubsub.js';
import { describeRequirement as need } from '../../common/scopes.js';
import { nullWhenNotFound } from '../../graphql/errors.js';
import { ConnectionArgs, connectionPage, offsetConnection, pageRequest, type ConnectionPage } from '../../graphql/relay.js';
import { visibleRef, type NodeSource } from '../../graphql/node.resolver.js';
import { queryRoot } from '../../graphql/query-root.js';
import { authorize } from '../../common/access.js';
import { empty, lifecycle } from '../../graphql/subscription-stream.js';
import { LiveSession, type TranscriptTurn } from './live.entities.js';
import { endedEvent } from './live.service.js';
import {
  EndLiveSessionInput,
  EndLiveSessionPayload,
  LiveHeartbeatInput,
  LiveHeartbeatPayload,
  LiveQuotaType,
  LiveQuotaWarning,
  LiveSessionEnded,
  LiveSessionEvent,
  LiveSessionStarted,
  LiveTranscriptConnection,
  LiveTranscriptType,
  meterOf,
  TranscriptTurnConnection,
  quotaIdOf,
  SaveLiveTranscriptInput,
  SaveLiveTranscriptPayload,
  SendLiveAudioInput,
  SendLiveAudioPayload,
  SendLiveTextInput,
  SendLiveTextPayload,
  SetLiveNicknameInput,
  SetLiveNicknamePayload,
  StartLiveSessionInput,
  StartLiveSessionPayload,
} from './live.types.js';
import type { ServiceMap } from '../manifest.js';
import { resolverOf } from '../../graphql/container.js';
import { SearchHitType, type SearchHit } from '../search/index.js';

const READ = need('live:read');
const WRITE = need('live:write');

@Resolver()
export class LiveResolver {
  constructor(
    readonly events: ServiceMap['events'],
    readonly live: ServiceMap['live'],
  ) {}

  @Subscription(() => LiveSessionEvent, {
    description:
      'Events of one of your live sessions as they happen, made through either door (the socket or GraphQL): transcript turns, audio chunks, avatar expressions, quota warnings and the end. ' +
      'Starts once acknowledged (earlier events are not replayed: read `liveSession` and its transcript after reconnecting). ' +
      'Completes after `LiveSessionEnded`, whoever ended the session (the client, the sweeper, the quota, the length limit, revoked credentials). ' +
      'Subscribing to a session that has already ended answers its `LiveSessionEnded` at once, then completes; an unknown session, or someone else\'s, answers one not_found error. ' +
      `${READ}`,
    subscribe: async ({ args, context, info }) => {
      const ctx = context as RequestContext;
      const sessionId = String((args as { sessionId: unknown }).sessionId);
      // Listening first, then reading the state: a session that ends in between is not missed.
      const events = resolverOf(info, LiveResolver).events.subscribe('LIVE_EVENT', sessionId);
      let session: LiveSession;
      try {
        session = await resolverOf(info, LiveResolver).live.watch(ctx, sessionId);
      } catch (e) {
        await events.return?.();
        throw e;
      }
      if (session.status === 'ended') {
        await events.return?.();
        return lifecycle<LiveEvent, LiveEvent>(empty(), (e) => ({ send: e }), [{ last: endedEvent(session) }]);
      }
      return lifecycle<LiveEvent, LiveEvent>(events, (e) => (e.type === 'session_ended' ? { last: e } : { send: e }));
    },
  })
  liveSessionEvents(@Root() event: LiveEvent, @Arg('sessionId', () => ID, { description: 'One of your sessions.' }) _sessionId: string): LiveEvent {
    return event;
  }

  @Subscription(() => LiveSessionEvent, {
    description:
      'The lifecycle of all your live sessions, whichever door or process started or ended them: `LiveSessionStarted`, `LiveQuotaWarning` and `LiveSessionEnded`. ' +
      'Subscribe before `startLiveSession` to receive its `LiveSessionStarted` (then watch the session\'s own events with `liveSessionEvents(sessionId)`). ' +
      'Starts once acknowledged (nothing earlier is replayed: read `liveQuota { activeSession }` after reconnecting); never completes by itself (the socket closes when its credentials end). ' +
      `${READ}`,
    subscribe: async ({ context, info }) => {
      const ctx = context as RequestContext;
      const p = authorize(ctx, 'live:read');
      return resolverOf(info, LiveResolver).events.subscribe('USER_LIVE_EVENT', p.userId);
    },
  })
  myLiveSessionEvents(@Root() event: LiveEvent): LiveEvent {
    return event;
  }

  @Query(() => LiveQuotaType, { description: `This month's live entitlement, use and active session. ${READ}` })
  async liveQuota(@Ctx() ctx: RequestContext): Promise<LiveQuotaType> {
    const q = await this.live.quota(ctx);
    return LiveQuotaType.from(ctx.principal!.userId, q);
  }

  @Query(() => LiveSession, { nullable: true, description: `One of your live sessions; null when unknown or not yours. ${READ}` })
  liveSession(@Arg('id', () => ID, { description: 'The session id.' }) id: string, @Ctx() ctx: RequestContext): Promise<LiveSession | null> {
    return nullWhenNotFound(this.live.session(ctx, id));
  }

  @Mutation(() => StartLiveSessionPayload, { description: `Starts a voice or avatar session: one at a time (conflict with \`active_session_id\`), within the quota (live_quota_exceeded). ${WRITE}` })
  async startLiveSession(@Arg('input', () => StartLiveSessionInput, { description: 'What session to start.' }) input: StartLiveSessionInput, @Ctx() ctx: RequestContext): Promise<StartLiveSessionPayload> {
    const v = await this.live.start(ctx, input);
    return meterOf(v, v.quota, ctx.config.live.heartbeatIntervalSeconds);
  }

  @Mutation(() => LiveHeartbeatPayload, { description: `A sign of life for an active session; live_quota_exceeded (and the session ended) once the quota is used up. ${WRITE}` })
  async liveHeartbeat(@Arg('input', () => LiveHeartbeatInput, { description: 'Which session.' }) input: LiveHeartbeatInput, @Ctx() ctx: RequestContext): Promise<LiveHeartbeatPayload> {
    const v = await this.live.heartbeat(ctx, input);
    return meterOf(v, v.quota, ctx.config.live.heartbeatIntervalSeconds);
  }

  @Mutation(() => EndLiveSessionPayload, { description: `Ends a session and settles its seconds; ending an ended session answers it again (idempotent). ${WRITE}` })
  async endLiveSession(@Arg('input', () => EndLiveSessionInput, { description: 'Which session, and why.' }) input: EndLiveSessionInput, @Ctx() ctx: RequestContext): Promise<EndLiveSessionPayload> {
    const v = await this.live.end(ctx, input);
    return { ...meterOf(v, v.quota, ctx.config.live.heartbeatIntervalSeconds), query: queryRoot() };
  }

  @Mutation(() => SendLiveTextPayload, {
    description: `Says something in an active session: the reply is spoken as events on liveSessionEvents (transcript, audio, expressions) while this runs; it answers once the turn is done. ${WRITE}`,
  })
  async sendLiveText(@Arg('input', () => SendLiveTextInput, { description: 'The session and the words.' }) input: SendLiveTextInput, @Ctx() ctx: RequestContext): Promise<SendLiveTextPayload> {
    const r = await this.live.sendText(ctx, input);
    return { session: r.session, transcript: LiveTranscriptType.from(r.transcript), turnId: r.turnId, query: queryRoot() };
  }

  @Mutation(() => SendLiveAudioPayload, {
    description: `Sends a chunk of the turn's audio (base64 16-bit PCM, mono, 24 kHz, at most 2 s); with final, the turn is answered as events on liveSessionEvents before this answers. The caller's own text, when given, is used instead of speech-to-text. ${WRITE}`,
  })
  async sendLiveAudio(@Arg('input', () => SendLiveAudioInput, { description: 'The session and the chunk.' }) input: SendLiveAudioInput, @Ctx() ctx: RequestContext): Promise<SendLiveAudioPayload> {
    const r = await this.live.sendAudio(ctx, input);
    return { session: r.session, transcript: r.turn ? LiveTranscriptType.from(r.turn.transcript) : null, turnId: r.turn?.turnId ?? null, query: queryRoot() };
  }

  @Mutation(() => SetLiveNicknamePayload, { description: `Sets the name the AI calls you by. ${WRITE}` })
  async setLiveNickname(@Arg('input', () => SetLiveNicknameInput, { description: 'The nickname.' }) input: SetLiveNicknameInput, @Ctx() ctx: RequestContext): Promise<SetLiveNicknamePayload> {
    const user = await this.live.setNickname(ctx, input);
    // The profile is bearer-only (as `me`): a key that may set the nickname sees the nickname, not the profile.
    return { nickname: user.nickname ?? '', user: ctx.principal?.kind === 'user' ? user : null };
  }

  @Mutation(() => SaveLiveTranscriptPayload, { description: `Saves the transcript of a live conversation. ${need('bearer')}` })
  async saveLiveTranscript(@Arg('input', () => SaveLiveTranscriptInput, { description: 'The conversation.' }) input: SaveLiveTranscriptInput, @Ctx() ctx: RequestContext): Promise<SaveLiveTranscriptPayload> {
    return { transcript: LiveTranscriptType.from(await this.live.saveTranscript(ctx, input)), query: queryRoot() };
  }

  @Query(() => LiveTranscriptConnection, { description: `Your transcripts, newest conversation first. ${READ}` })
  async liveTranscripts(@Args(() => ConnectionArgs) args: ConnectionArgs, @Ctx() ctx: RequestContext): Promise<ConnectionPage<LiveTranscriptType>> {
    const page = await this.live.transcriptConnection(ctx, pageRequest(args));
    return connectionPage(page.edges.map((e) => ({ cursor: e.cursor, node: LiveTranscriptType.from(e.node) })), page.pageInfo, () => page.totalCount);
  }

  @Query(() => LiveTranscriptType, { nullable: true, description: `One of your transcripts; null when unknown or not yours. ${READ}` })
  async liveTranscript(@Arg('id', () => ID, { description: 'The transcript id.' }) id: string, @Ctx() ctx: RequestContext): Promise<LiveTranscriptType | null> {
    const t = await nullWhenNotFound(this.live.transcript(ctx, id));
    return t && LiveTranscriptType.from(t);
  }
}

@Resolver(() => LiveTranscriptType)
export class LiveTranscriptResolver {
  @FieldResolver(() => LiveSession, { nullable: true, description: 'The session it belongs to, when it names one of yours.' })
  async session(@Root() t: LiveTranscriptType, @Ctx() ctx: RequestContext): Promise<LiveSession | null> {
    if (!t.sessionId) return null;
    const s = await ctx.loaders.live.sessionById.load(t.sessionId);
    return s && s.user.id === t.userId ? s : null;
  }

  @FieldResolver(() => TranscriptTurnConnection, {
    description:
      'The turns, oldest first: `first`/`after` reads on from the beginning, `last` gives the latest. A cursor is a position in the transcript: ' +
      'a transcript full at its limit drops its oldest turn for each new one, which moves the turns after a cursor held meanwhile by one.',
  })
  turns(@Root() t: LiveTranscriptType, @Args(() => ConnectionArgs) args: ConnectionArgs): Promise<ConnectionPage<TranscriptTurn>> {
    const all = t.transcripts;
    return offsetConnection(
      pageRequest(args),
      (offset, limit) => Promise.resolve({ items: all.slice(offset, offset + limit), total: all.length }),
      () => Promise.resolve(all.length),
    );
  }
}

/** `SearchHit.transcript`: the live module adds the field to the search module's hit. */
@Resolver(() => SearchHitType)
export class SearchHitTranscriptResolver {
  constructor(readonly live: ServiceMap['live']) {}

  @FieldResolver(() => LiveTranscriptType, { nullable: true, description: 'For a TRANSCRIPT: the transcript (its `sourceId`), as `liveTranscript(id:)` answers it; null for other kinds.' })
  transcript(@Root() hit: SearchHit, @Ctx() ctx: RequestContext): Promise<LiveTranscriptType | null> | null {
    if (hit.type !== 'transcript') return null;
    return visibleRef(ctx, 'LiveTranscript', async (c, ids) => (await this.live.transcriptsByIds(c, ids)).map((t) => LiveTranscriptType.from(t)), hit.id);
  }
}

/**
 * The `session` and `quota` of a lifecycle event (LiveSessionStarted, LiveQuotaWarning, LiveSessionEnded):
 * as `liveSession(id:)` and `liveQuota` answer them, read again for each event (visibleRef keeps nothing).
 */
function sessionOfEvent(event: ClassType<{ sessionId: string }>) {
  @Resolver(() => event)
  class EventSessionResolver {
    constructor(readonly live: ServiceMap['live']) {}

    @FieldResolver(() => LiveSession, {
      nullable: true,
      description: 'The session as it is at this event (read again for it), so a normalized cache updates it: after LiveSessionEnded, ENDED with its reason and seconds. Null if it is no longer yours to read.',
    })
    session(@Root() e: { sessionId: string }, @Ctx() ctx: RequestContext): Promise<LiveSession | null> {
      return visibleRef(ctx, 'LiveSession', (c, ids) => this.live.sessionsByIds(c, ids), e.sessionId);
    }

    @FieldResolver(() => LiveQuotaType, {
      nullable: true,
      description:
        'Your live quota as `liveQuota` answers it at this event (used and remaining seconds, the active session), so a normalized cache updates it: after LiveSessionEnded, without that session. Null, with the error, when it cannot be read.',
    })
    async quota(@Ctx() ctx: RequestContext): Promise<LiveQuotaType> {
      return LiveQuotaType.from(ctx.principal!.userId, await this.live.quota(ctx));
    }
  }
  return EventSessionResolver;
}

export const LiveSessionStartedResolver = sessionOfEvent(LiveSessionStarted);
export const LiveQuotaWarningResolver = sessionOfEvent(LiveQuotaWarning);
export const LiveSessionEndedResolver = sessionOfEvent(LiveSessionEnded);

/** Where `node(id:)` finds live objects: the same rules as `liveSession`, `liveTranscript` and `liveQuota`. */
export const liveNodes = (s: Pick<ServiceMap, 'live'>): NodeSource[] => [
  { typename: 'LiveSession', load: (ctx, ids) => s.live.sessionsByIds(ctx, ids) },
  { typename: 'LiveTranscript', load: async (ctx, ids) => (await s.live.transcriptsByIds(ctx, ids)).map((t) => LiveTranscriptType.from(t)) },
  {
    typename: 'LiveQuota',
    load: async (ctx, ids) => {
      const p = authorize(ctx, 'live:read');
      return ids.includes(quotaIdOf(p.userId)) ? [LiveQuotaType.from(p.userId, await s.live.quota(ctx))] : [];
    },
  },
];
