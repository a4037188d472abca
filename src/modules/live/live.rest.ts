import { z } from 'zod';
import type { RequestContext } from '../../common/context.js';
import { pageSchema } from '../../common/pagination.js';
import { defineListRoute, defineRoute, type RestRoute } from '../../rest/route-table.js';
import type { User } from '../users/index.js';
import { LiveEndReason, LiveSessionStatus, LiveSessionType, LiveTranscriptRole } from './live.enums.js';
import { heartbeatSchema, nicknameSchema, sessionRefSchema, startSchema, transcriptSchema, type Quota, type SessionView } from './live.service.js';
import type { LiveTranscript } from './live.entities.js';
import type { ServiceMap } from '../manifest.js';

/** `LiveSessionResponse` of the contract, plus a quota warning. */
export const liveSessionSchema = z.object({
  session_id: z.string(),
  session_type: LiveSessionType.schema,
  status: LiveSessionStatus.schema,
  started_at: z.iso.datetime(),
  last_heartbeat_at: z.iso.datetime(),
  ended_at: z.iso.datetime().nullable(),
  used_seconds: z.number().int(),
  remaining_seconds: z.number().int(),
  heartbeat_interval_seconds: z.number().int(),
  end_reason: LiveEndReason.schema.nullable(),
  realtime_url: z.string().nullable(),
  realtime_token: z.string().nullable(),
  warning: z.string().nullable(),
}).meta({ id: 'LiveSessionResponse', description: 'A live session and what is left of the quota.', examples: [{ session_id: '3d2c1b0a-9f8e-4d7c-8b6a-5f4e3d2c1b0a', session_type: 'voice', status: 'active', started_at: '2026-03-02T09:15:00Z', last_heartbeat_at: '2026-03-02T09:15:00Z', ended_at: null, used_seconds: 0, remaining_seconds: 3600, heartbeat_interval_seconds: 30, end_reason: null, realtime_url: '/api/live/ws', realtime_token: null, warning: null }] });

const toSession = (v: SessionView, ctx: RequestContext): z.infer<typeof liveSessionSchema> => ({
  session_id: v.session.id,
  session_type: v.session.sessionType,
  status: v.session.status,
  started_at: v.session.startedAt.toISOString(),
  last_heartbeat_at: v.session.lastSeenAt.toISOString(),
  ended_at: v.session.endedAt?.toISOString() ?? null,
  used_seconds: v.usedSeconds,
  remaining_seconds: v.remainingSeconds,
  heartbeat_interval_seconds: ctx.config.live.heartbeatIntervalSeconds,
  end_reason: v.session.endReason,
  // The socket takes the caller's own credentials (Authorization, ?token=, or X-API-Key): no extra token is minted.
  realtime_url: v.session.status === 'active' ? '/api/live/ws' : null,
  realtime_token: null,
  warning: v.warning,
});

const quotaSchema = z.object({
  plan: z.string(),
  period_start: z.iso.datetime(),
  period_end: z.iso.datetime(),
  limit_seconds: z.number().int(),
  used_seconds: z.number().int(),
  remaining_seconds: z.number().int(),
  active_session_id: z.string().nullable(),
}).meta({ id: 'LiveQuotaResponse', description: 'The user\'s live quota for the current month.', examples: [{ plan: 'free', period_start: '2026-03-01T00:00:00Z', period_end: '2026-04-01T00:00:00Z', limit_seconds: 3600, used_seconds: 600, remaining_seconds: 3000, active_session_id: null }] });
const toQuota = (q: Quota): z.infer<typeof quotaSchema> => ({
  plan: q.plan,
  period_start: q.periodStart.toISOString(),
  period_end: q.periodEnd.toISOString(),
  limit_seconds: q.limitSeconds,
  used_seconds: q.usedSeconds,
  remaining_seconds: q.remainingSeconds,
  active_session_id: q.activeSession?.id ?? null,
});

/** The same `TranscriptTurn` as the request's (the service's schema reads it into a Date). */
const turnSchema = z.object({ role: LiveTranscriptRole.schema, text: z.string().max(10_000), timestamp: z.iso.datetime() }).meta({ id: 'TranscriptTurn', description: 'One turn of a live conversation.', examples: [{ role: 'user', text: 'Hello, can we practise ordering food?', timestamp: '2026-03-02T09:15:00Z' }] });
const summarySchema = z.object({
  id: z.string(),
  session_id: z.string().nullable(),
  session_started_at: z.iso.datetime(),
  session_ended_at: z.iso.datetime(),
  duration_seconds: z.number().int(),
  turn_count: z.number().int(),
  preview: z.string(),
}).meta({ id: 'LiveTranscriptSummary' });
const transcriptResponseSchema = summarySchema.extend({ transcripts: z.array(turnSchema) }).meta({ id: 'LiveTranscriptResponse' });
const toSummary = (t: LiveTranscript): z.infer<typeof summarySchema> => ({
  id: t.id,
  session_id: t.sessionId,
  session_started_at: t.sessionStartedAt.toISOString(),
  session_ended_at: t.sessionEndedAt.toISOString(),
  duration_seconds: Math.round((t.sessionEndedAt.getTime() - t.sessionStartedAt.getTime()) / 1000),
  turn_count: t.turns.length,
  preview: (t.turns[0]?.text ?? '').slice(0, 120),
});
const toTranscript = (t: LiveTranscript) => ({ ...toSummary(t), transcripts: t.turns });

const tag = 'Xentree Live';

export const liveRoutes = (s: Pick<ServiceMap, 'live'>): RestRoute[] => [
  defineRoute({
    method: 'GET',
    path: '/api/live/quota',
    operationId: 'liveQuota',
    summary: "This month's live entitlement, use and active session",
    tag,
    auth: 'live:read',
    integration: 'quota:read',
    handler: (ctx) => s.live.quota(ctx),
    response: { status: 200, description: 'LiveQuotaResponse', schema: quotaSchema, serialize: toQuota },
  }),
  defineRoute({
    method: 'PATCH',
    path: '/api/live/nickname',
    operationId: 'setLiveNickname',
    summary: 'The name the AI calls you by',
    tag,
    auth: 'live:write',
    body: { schema: nicknameSchema, required: true },
    handler: (ctx, { body }) => s.live.setNickname(ctx, body),
    response: { status: 200, description: '{nickname}', schema: z.object({ nickname: z.string() }), serialize: (user: User) => ({ nickname: user.nickname ?? '' }) },
  }),
  defineRoute({
    method: 'POST',
    path: '/api/live/session/start',
    operationId: 'startLiveSession',
    summary: 'Start a voice or avatar session',
    description: 'One active session per user (409 with active_session_id). Too little quota left: 429 live_quota_exceeded with Retry-After (seconds to the next month).',
    tag,
    auth: 'live:write',
    body: { schema: startSchema, required: true },
    handler: (ctx, { body }) => s.live.start(ctx, body),
    response: { status: 201, description: 'LiveSessionResponse', schema: liveSessionSchema, serialize: toSession },
    errors: ['live_quota_exceeded', 'conflict'],
  }),
  defineRoute({
    method: 'POST',
    path: '/api/live/session/heartbeat',
    operationId: 'liveHeartbeat',
    summary: 'A sign of life; answers the meter',
    description: 'When the quota runs out the server ends the session (end_reason quota_exceeded) and answers 429 live_quota_exceeded.',
    tag,
    auth: 'live:write',
    body: { schema: heartbeatSchema, required: true },
    handler: (ctx, { body }) => s.live.heartbeat(ctx, body),
    response: { status: 200, description: 'LiveSessionResponse', schema: liveSessionSchema, serialize: toSession },
    errors: ['not_found', 'conflict', 'live_quota_exceeded'],
  }),
  defineRoute({
    method: 'POST',
    path: '/api/live/session/end',
    operationId: 'endLiveSession',
    summary: 'End a session (idempotent); answers the final summary',
    tag,
    auth: 'live:write',
    body: { schema: sessionRefSchema, required: true },
    handler: (ctx, { body }) => s.live.end(ctx, body),
    response: { status: 200, description: 'LiveSessionResponse', schema: liveSessionSchema, serialize: toSession },
    errors: ['not_found'],
  }),
  defineRoute({
    method: 'POST',
    path: '/api/live/transcripts',
    operationId: 'saveLiveTranscript',
    summary: 'Save the transcript of a live session',
    description: 'Turns are sorted by time and must fall inside the session window. Bearer only.',
    tag,
    auth: 'bearer',
    body: { schema: transcriptSchema, required: true, maxBytes: () => 8 * 1024 * 1024 },
    handler: (ctx, { body }) => s.live.saveTranscript(ctx, body),
    response: { status: 201, description: 'LiveTranscriptResponse', schema: transcriptResponseSchema, serialize: toTranscript },
    errors: ['not_found'],
  }),
  defineListRoute({
    method: 'GET',
    path: '/api/live/transcripts',
    operationId: 'listLiveTranscripts',
    summary: 'Your transcripts, newest first',
    tag,
    auth: 'live:read',
    query: pageSchema,
    handler: (ctx, { query }) => s.live.transcripts(ctx, query),
    response: { status: 200, description: 'LiveTranscriptSummary[]', schema: summarySchema, serialize: toSummary },
  }),
  defineRoute({
    method: 'GET',
    path: '/api/live/transcripts/{transcript_id}',
    operationId: 'getLiveTranscript',
    summary: 'One transcript',
    tag,
    auth: 'live:read',
    handler: (ctx, { params }) => s.live.transcript(ctx, params.transcript_id!),
    response: { status: 200, description: 'LiveTranscriptResponse', schema: transcriptResponseSchema, serialize: toTranscript },
    errors: ['not_found'],
  }),
];
