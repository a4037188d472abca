import type { Clock } from './clock.js';
import type { Principal } from './principal.js';
import type { CredentialsRevoked, EventBus, RevocationReason } from './pubsub.js';

/**
 * The close code of a socket whose credentials stopped working while it was open (graphql-ws
 * and the live socket alike): get fresh credentials (refresh the access token; when that
 * fails, sign in again) and reconnect. graphql-ws names 4401 Unauthorized, and its client
 * does not retry it on its own, so a client never reconnects with the credentials that ended.
 */
export const CREDENTIALS_ENDED = 4401;

/** Why a socket's credentials ended: they expired, or they were revoked (and how). */
export type CredentialsEndReason = 'token_expired' | 'api_key_expired' | RevocationReason;

export interface CredentialsEnd {
  kind: 'expired' | 'revoked';
  reason: CredentialsEndReason;
  /** For people: what happened and what to do. */
  message: string;
}

const MESSAGES: Record<CredentialsEndReason, string> = {
  token_expired: 'The access token expired; reconnect with a fresh one',
  api_key_expired: 'The API key expired',
  logout: 'The login session was logged out',
  password_changed: 'The password was changed; sign in again',
  reuse_detected: 'The login session was revoked: one of its refresh tokens was used twice',
  api_key_revoked: 'The API key was revoked',
  integration_token_revoked: 'The integration token was revoked',
};

/** The close reason sent with CREDENTIALS_ENDED: `invalid_token: <reason>`. */
export const closeReasonOf = (end: CredentialsEnd): string => `invalid_token: ${end.reason}`;

/** Whether a revocation names these credentials. */
export function concerns(p: Principal, e: CredentialsRevoked): boolean {
  if (p.userId !== e.userId) return false;
  if (p.kind === 'apiKey') return e.apiKeyIds?.includes(p.apiKeyId) ?? false;
  if (p.kind === 'integration') return e.integrationTokenIds?.includes(p.tokenId) ?? false;
  return (e.sessionIds?.includes(p.sessionId) ?? false) || (e.exceptSessionId !== undefined && e.exceptSessionId !== p.sessionId);
}

/**
 * Watches the credentials a socket was opened with, for as long as it is open: `onEnd` runs
 * once, when they expire (by `clock`) or when a revocation naming them arrives on the event
 * bus (from any gateway process, through Redis when configured). Returns what stops watching.
 */
export function watchCredentials(events: EventBus, clock: Clock, principal: Principal, onEnd: (end: CredentialsEnd) => void): () => void {
  let stopped = false;
  const revocations = events.subscribe('CREDENTIALS_REVOKED', principal.userId);
  let cancelTimer: (() => void) | null = null;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    cancelTimer?.();
    void revocations.return?.();
  };
  const end = (reason: CredentialsEndReason, kind: CredentialsEnd['kind']) => {
    if (stopped) return;
    stop();
    onEnd({ kind, reason, message: MESSAGES[reason] });
  };
  if (principal.expiresAt) {
    cancelTimer = clock.at(principal.expiresAt.getTime(), () => end(principal.kind === 'apiKey' ? 'api_key_expired' : 'token_expired', 'expired'));
  }
  void (async () => {
    for (;;) {
      const r = await revocations.next();
      if (r.done || stopped) return;
      if (concerns(principal, r.value)) return end(r.value.reason, 'revoked');
    }
  })();
  return stop;
}
