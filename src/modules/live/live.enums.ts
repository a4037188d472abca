import { defineEnum, type ValueOf } from '../../graphql/enums.js';

/**
 * Xentree Live's closed sets, each declared once: the zod enum the services and the REST
 * door validate with (and OpenAPI documents), and the GraphQL enum (UPPER_CASE names whose
 * values are the REST strings).
 */

export const LiveSessionType = defineEnum(
  'LiveSessionType',
  'What a live session carries besides the voice.',
  {
    voice: 'A spoken conversation: audio in, spoken replies out.',
    avatar: 'A spoken conversation with an animated face: replies also carry expressions and visemes.',
  },
  { message: 'must be voice or avatar' },
);
export type LiveSessionType = ValueOf<typeof LiveSessionType>;

export const LiveSessionStatus = defineEnum('LiveSessionStatus', 'Whether a live session is still running.', {
  active: 'Running: heartbeats keep it alive and its seconds are counting.',
  ended: 'Over: its seconds are metered and settled against the monthly quota.',
});
export type LiveSessionStatus = ValueOf<typeof LiveSessionStatus>;

export const LiveEndReason = defineEnum(
  'LiveEndReason',
  'Why a live session ended. A client ending its session may name any of these (the default is client); the server records the others itself.',
  {
    client: 'The client ended it (an end request, or the socket\'s end-session frame).',
    disconnected: 'Its realtime socket closed; metered to the last frame received.',
    idle: 'No sign of life (heartbeat or frame) within the idle timeout; metered to the last one.',
    max_duration: 'It reached the longest session allowed.',
    quota_exceeded: "The month's live seconds ran out.",
    revoked: 'The credentials of its realtime socket were revoked (logout, a password change, a refresh token used twice, an API key revoked); metered to that moment.',
  },
);
export type LiveEndReason = ValueOf<typeof LiveEndReason>;

export const LiveTranscriptRole = defineEnum(
  'LiveTranscriptRole',
  'Who said a turn of a live conversation.',
  {
    user: 'The person in the session.',
    ai: 'Xentree, the AI partner.',
  },
  { message: 'must be user or ai' },
);
export type LiveTranscriptRole = ValueOf<typeof LiveTranscriptRole>;

export const LiveExpression = defineEnum('LiveExpression', "The avatar's facial expression while it speaks a sentence.", {
  happy: 'Friendly and at ease: the default for statements.',
  curious: 'Asking: the sentence is a question.',
  excited: 'Enthusiastic: the sentence exclaims.',
  concerned: 'Sympathetic: an apology, a refusal or bad news.',
});
export type LiveExpression = ValueOf<typeof LiveExpression>;

/** The standard viseme set of lip-sync engines (Oculus/Meta), so an avatar rig maps them one to one. */
export const LiveViseme = defineEnum('LiveViseme', 'A mouth shape of the standard 15-viseme lip-sync set (Oculus/Meta names); the avatar shows it from its offset until the next one.', {
  sil: 'Silence: the mouth at rest.',
  PP: 'Lips pressed together: p, b, m.',
  FF: 'Lower lip to upper teeth: f, v.',
  TH: 'Tongue between the teeth: th.',
  DD: 'Tongue behind the upper teeth: t, d.',
  kk: 'Back of the tongue raised: k, g.',
  CH: 'Lips pushed forward: ch, j, sh.',
  SS: 'Teeth close together: s, z.',
  nn: 'Tongue up, mouth slightly open: n, l.',
  RR: 'Lips slightly rounded: r.',
  aa: 'Open mouth: the a of "car".',
  E: 'Half-open, spread: the e of "bed".',
  I: 'Spread, nearly closed: the i of "tip".',
  O: 'Rounded: the o of "toe".',
  U: 'Tightly rounded: the u of "boot".',
});
export type LiveViseme = ValueOf<typeof LiveViseme>;
