import { z } from 'zod';
import { MAX_AUDIO_BYTES } from './live.engine.js';
import { LiveEndReason, LiveExpression, LiveSessionStatus, LiveSessionType, LiveTranscriptRole, LiveViseme } from './live.enums.js';

/**
 * The realtime socket's frames (`GET /api/live/ws`), as data: JSON `{type, data}` both ways.
 * The event names are the documented ones; `transcript` and `error` are ours. These schemas
 * are what `/asyncapi.json` publishes (see live.asyncapi.ts), and the socket's tests check
 * every frame the server sends against them, so the document cannot drift from the socket.
 * Field names are snake_case, as on REST.
 */

const isoTime = z.iso.datetime().describe('An ISO 8601 time, UTC.');
const uuid = z.uuid().describe('An id.');
const base64Pcm = z.string().describe('Base64 of 16-bit little-endian PCM, mono, 24 kHz.');

/** What the client sends. */
export const clientFrames = {
  'start-session': {
    summary: 'Start a session on this socket, or bind one started over REST.',
    description:
      'One session per socket. `session_id`: a session the caller started with `POST /api/live/session/start` (its own, still active). Otherwise `session_type` starts one here, as the REST start does (quota checked). Answered by `session-started`, or `error`.',
    data: z.union([
      z.object({ session_id: uuid.describe('A session started over REST.') }).strict(),
      z
        .object({
          session_type: LiveSessionType.schema.describe('`voice`, or `avatar` (adds `avatar-expression` frames).'),
          language: z.string().max(16).optional().describe('The language to talk in (BCP 47), the user\'s preference when absent.'),
        })
        .strict(),
    ]),
  },
  'audio-input': {
    summary: 'What the user says: audio chunks, or text.',
    description:
      'A sign of life. Audio is buffered until a frame with `final: true`, which makes a user turn: its `text` when given, else the buffered audio through speech-to-text (`validation_error` when speech-to-text is not configured). The reply comes as `transcript`, `audio-response` and, on avatar sessions, `avatar-expression` frames.',
    data: z
      .object({
        audio: base64Pcm.optional().describe(`A chunk of the user's speech (base64 PCM, at most ${MAX_AUDIO_BYTES.toLocaleString('en')} bytes decoded per frame).`),
        text: z.string().min(1).max(4000).optional().describe('The turn as words (1 to 4,000 characters, trimmed, no NUL); takes the place of the audio.'),
        final: z.boolean().optional().describe('The end of the user\'s turn: the server answers it.'),
      })
      .strict(),
  },
  'end-session': {
    summary: 'End the session; the socket then closes (1000).',
    description: 'Answered by `session-ended`. `reason` defaults to `client`; any value outside the closed set is refused with `error` (`validation_error`) and nothing ends.',
    data: z.object({ reason: LiveEndReason.schema.optional().describe('Why, from the closed set (default `client`).') }).strict(),
  },
} as const;

/** What the server sends. */
export const serverFrames = {
  'session-started': {
    summary: 'The session this socket carries.',
    description: 'The answer to `start-session`: the `LiveSessionResponse` fields that concern the socket. Heartbeats are not needed while frames flow: any frame is a sign of life.',
    data: z
      .object({
        session_id: uuid,
        session_type: LiveSessionType.schema,
        status: LiveSessionStatus.schema,
        started_at: isoTime,
        used_seconds: z.number().int().min(0).describe('Seconds this session has used so far.'),
        remaining_seconds: z.number().int().min(0).describe('Seconds left in the month\'s quota.'),
        heartbeat_interval_seconds: z.number().int().min(1).describe('How often a silent client should send a frame (or a REST heartbeat).'),
      })
      .strict(),
  },
  transcript: {
    summary: 'A turn as stored in the session\'s transcript.',
    description: 'The user\'s turn first, then the AI\'s once its reply is complete.',
    data: z.object({ role: LiveTranscriptRole.schema, text: z.string(), timestamp: isoTime }).strict(),
  },
  'audio-response': {
    summary: 'The AI\'s spoken reply, in chunks.',
    description: 'Chunks of one reply share `turn_id` and are numbered by `seq` from 0; the last has `final: true` and carries the reply\'s text.',
    data: z
      .object({
        turn_id: uuid.describe('The reply this chunk belongs to.'),
        seq: z.number().int().min(0).describe('The chunk\'s place in the reply, from 0.'),
        audio: base64Pcm,
        text: z.string().describe('The reply\'s text on the final chunk; empty before.'),
        final: z.boolean().describe('The last chunk of the reply.'),
      })
      .strict(),
  },
  'avatar-expression': {
    summary: 'How the avatar looks while it speaks a sentence (avatar sessions).',
    description: 'One per sentence of the reply, before its audio: an expression and the mouth shapes, timed from the start of the reply\'s audio.',
    data: z
      .object({
        turn_id: uuid,
        expression: LiveExpression.schema,
        intensity: z.number().min(0).max(1).describe('How strongly, from 0 to 1.'),
        visemes: z
          .array(z.object({ offset_ms: z.number().int().min(0).describe('From the start of the reply\'s audio.'), viseme: LiveViseme.schema }).strict())
          .describe('Mouth shapes in order, each shown until the next.'),
      })
      .strict(),
  },
  'session-ended': {
    summary: 'The session ended; the socket closes after it.',
    description: 'After `end-session`, the quota or the longest session reached, or credentials revoked (then an `error` frame with `invalid_token` precedes the close, code 4401).',
    data: z
      .object({
        reason: LiveEndReason.schema,
        used_seconds: z.number().int().min(0).describe('Seconds the session used, metered to its last sign of life.'),
        remaining_seconds: z.number().int().min(0).describe('Seconds left in the month\'s quota.'),
      })
      .strict(),
  },
  error: {
    summary: 'A frame was refused, or the socket\'s credentials ended.',
    description: 'The REST error envelope\'s `detail`: `error` (the code), `message`, and the code\'s own fields (`fields` for validation_error...). The socket stays open unless the error says the credentials ended.',
    data: z
      .object({
        error: z.string().describe('The error code, as in REST (validation_error, conflict, live_quota_exceeded, invalid_token...).'),
        message: z.string().describe('For people.'),
      })
      .catchall(z.unknown()),
  },
} as const;

export type ServerFrameType = keyof typeof serverFrames;
export type ClientFrameType = keyof typeof clientFrames;
