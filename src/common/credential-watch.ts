import type { ContextRoot } from './context.js';
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

/** What watching credentials needs of the app. */
export type WatchRoot = Pick<ContextRoot, 'em' | 'events' | 'clock' | 'config' | 'log' | 'revokedAmong'>;

export interface CredentialWatch {
  /**
   * Resolves once a revocation published from now on reaches this watch (with Redis: once its
   * subscription is confirmed) and the credentials were then checked again against the
   * database: with how they ended if they already have, else null. Credentials checked before
   * the watch began may have been revoked in between, their event published to nobody; a door
   * that waits for this before it serves misses no revocation.
   */
  readonly ready: Promise<CredentialsEnd | null>;
  /** Runs `fn` once, when the credentials end (at once if they already have). */
  readonly onEnd: (fn: (end: CredentialsEnd) => void) => void;
  readonly stop: () => void;
}

/** A watch as the database checks see it. */
interface Watched {
  principal: Principal;
  revoked(reason: RevocationReason): void;
}

/**
 * The database checks of one app's watches: those asked for in one turn of the event loop go
 * together, and every CREDENTIAL_RECHECK_INTERVAL_MS all open watches are checked again (by
 * the app's clock, while there are any), so a revocation whose event was lost (published while
 * Redis was away, to other processes) ends them within one interval.
 */
class CredentialChecks {
  private queued = new Map<Watched, () => void>();
  private readonly open = new Set<Watched>();
  private cancelTurn: (() => void) | null = null;
  private checking = false;
  /** Rechecks of all open watches done (for tests). */
  rechecks = 0;

  constructor(private readonly root: WatchRoot) {}

  add(w: Watched): void {
    this.open.add(w);
    this.arm();
  }

  remove(w: Watched): void {
    this.open.delete(w);
    if (this.open.size) return;
    this.cancelTurn?.();
    this.cancelTurn = null;
  }

  /** The next recheck, one interval after the last one finished (never two at once). */
  private arm(): void {
    if (this.cancelTurn || this.checking || !this.open.size) return;
    const clock = this.root.clock;
    this.cancelTurn = clock.at(clock.now() + this.root.config.auth.credentialRecheckIntervalMs, () => {
      this.cancelTurn = null;
      this.checking = true;
      void this.check([...this.open]).finally(() => {
        this.checking = false;
        this.rechecks++;
        this.arm();
      });
    });
  }

  /** Checks `w` with the others asked for now; resolves when done (a failed check is logged, and ends nothing). */
  soon(w: Watched): Promise<void> {
    return new Promise((resolve) => {
      this.queued.set(w, resolve);
      if (this.queued.size === 1) setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    const batch = this.queued;
    this.queued = new Map();
    await this.check([...batch.keys()]);
    for (const done of batch.values()) done();
  }

  private async check(watched: readonly Watched[]): Promise<void> {
    try {
      const revoked = await this.root.revokedAmong(this.root.em.fork(), watched.map((w) => w.principal));
      for (const w of watched) {
        const reason = revoked.get(w.principal);
        if (reason) w.revoked(reason);
      }
    } catch (err) {
      this.root.log.warn({ err }, 'the credentials of open sockets could not be checked against the database');
    }
  }
}

/** Per app (its event bus is its own): the checks of its watches. */
const checksByBus = new WeakMap<EventBus, CredentialChecks>();
const checksOf = (root: WatchRoot) => {
  let checks = checksByBus.get(root.events);
  if (!checks) checksByBus.set(root.events, (checks = new CredentialChecks(root)));
  return checks;
};

/** How many periodic rechecks of its open watches an app (by its event bus) has finished: tests wait on it. */
export const credentialRechecks = (events: EventBus): number => checksByBus.get(events)?.rechecks ?? 0;

/**
 * Watches the credentials a socket or stream was opened with, for as long as it is open: they
 * end once, when they expire (by the app's clock), when a revocation naming them arrives on
 * the event bus (from any gateway process, through Redis when configured), or when a recheck
 * finds them revoked. Doors wait for `ready` before they serve (see CredentialWatch).
 */
export function watchCredentials(root: WatchRoot, principal: Principal): CredentialWatch {
  const checks = checksOf(root);
  let stopped = false;
  let ended: CredentialsEnd | null = null;
  let listener: ((end: CredentialsEnd) => void) | null = null;
  const revocations = root.events.subscribe('CREDENTIALS_REVOKED', principal.userId);
  let cancelTimer: (() => void) | null = null;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    cancelTimer?.();
    checks.remove(watched);
    void revocations.return?.();
  };
  const end = (reason: CredentialsEndReason, kind: CredentialsEnd['kind']) => {
    if (stopped) return;
    stop();
    ended = { kind, reason, message: MESSAGES[reason] };
    listener?.(ended);
  };
  const watched: Watched = { principal, revoked: (reason) => end(reason, 'revoked') };
  checks.add(watched);
  if (principal.expiresAt) {
    cancelTimer = root.clock.at(principal.expiresAt.getTime(), () => end(principal.kind === 'apiKey' ? 'api_key_expired' : 'token_expired', 'expired'));
  }
  void (async () => {
    for (;;) {
      const r = await revocations.next();
      if (r.done || stopped) return;
      if (concerns(principal, r.value)) return end(r.value.reason, 'revoked');
    }
  })();
  const ready = (async () => {
    await root.events.ready('CREDENTIALS_REVOKED', principal.userId);
    if (!stopped) await checks.soon(watched);
    return ended;
  })();
  return {
    ready,
    onEnd: (fn) => {
      if (ended) fn(ended);
      else listener = fn;
    },
    stop,
  };
}
