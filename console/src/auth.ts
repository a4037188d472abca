import { ApiError, closeSubscriptions, request, useTokens } from './api.js';
import {
  ConsoleLoginDocument,
  ConsoleLogoutDocument,
  ConsoleRefreshDocument,
  ConsoleRegisterDocument,
  type ConsoleSessionFragment,
} from './generated/graphql.js';

export type SessionUser = ConsoleSessionFragment['user'];

/**
 * The signed-in session. Tokens live in memory only (never in storage or cookies): a reload
 * signs out. The access token is refreshed when 80% of its lifetime has passed, and at
 * once when a request finds it stale; refresh tokens are single use, so refreshes never overlap.
 */
class Auth {
  private session: ConsoleSessionFragment | null = null;
  private expiresAt = 0;
  private issuedAt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private inFlight: Promise<boolean> | null = null;
  private listeners = new Set<(user: SessionUser | null, reason?: string) => void>();
  /** How many times the access token was renewed in this session (shown on the account badge). */
  refreshes = 0;

  constructor() {
    useTokens({ token: () => this.session?.accessToken ?? null, refresh: () => this.refresh() });
    // Timers sleep in background tabs: on return, renew a token that is due.
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible' && this.session && Date.now() >= this.dueAt()) void this.refresh();
    });
  }

  get user(): SessionUser | null {
    return this.session?.user ?? null;
  }

  /** The access token, renewed first when less than `minLifeMs` of it is left (the live socket checks it once, at connect). */
  async accessToken(minLifeMs = 60_000): Promise<string | null> {
    const need = Math.min(minLifeMs, (this.expiresAt - this.issuedAt) / 2);
    if (this.session && Date.now() > this.expiresAt - need) await this.refresh();
    return this.session?.accessToken ?? null;
  }

  onChange(fn: (user: SessionUser | null, reason?: string) => void): void {
    this.listeners.add(fn);
  }

  private dueAt(): number {
    return this.issuedAt + (this.expiresAt - this.issuedAt) * 0.8;
  }

  private set(session: ConsoleSessionFragment | null, reason?: string): void {
    const changedUser = this.session?.user.id !== session?.user.id;
    this.session = session;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (session) {
      this.issuedAt = Date.now();
      this.expiresAt = this.issuedAt + session.expiresIn * 1000;
      this.timer = setTimeout(() => void this.refresh(), this.dueAt() - Date.now());
    }
    if (changedUser) {
      closeSubscriptions();
      for (const fn of this.listeners) fn(this.user, reason);
    }
  }

  async login(username: string, password: string): Promise<void> {
    const data = await request(ConsoleLoginDocument, { input: { username, password } }, { anonymous: true });
    this.refreshes = 0;
    this.set(data.login);
  }

  async register(input: { email: string; username: string; password: string; fullName?: string }): Promise<void> {
    await request(ConsoleRegisterDocument, { input }, { anonymous: true });
    await this.login(input.username, input.password);
  }

  /** Spends the refresh token for a new pair; on failure the session is over and the user is signed out. */
  refresh(): Promise<boolean> {
    const current = this.session;
    if (!current) return Promise.resolve(false);
    this.inFlight ??= (async () => {
      try {
        const data = await request(ConsoleRefreshDocument, { input: { refreshToken: current.refreshToken } }, { anonymous: true });
        this.refreshes++;
        this.set(data.refreshToken);
        document.dispatchEvent(new CustomEvent('console:token-refreshed'));
        return true;
      } catch (e) {
        // A network blip: keep the session and try again shortly, while the token may still be good.
        if (e instanceof ApiError && e.code === 'network_error' && Date.now() < this.expiresAt) {
          this.timer = setTimeout(() => void this.refresh(), 5000);
          return false;
        }
        this.set(null, 'Your session ended; please sign in again.');
        return false;
      } finally {
        this.inFlight = null;
      }
    })();
    return this.inFlight;
  }

  async logout(): Promise<void> {
    const current = this.session;
    if (!current) return;
    try {
      await request(ConsoleLogoutDocument, { input: { refreshToken: current.refreshToken } });
    } finally {
      this.set(null, 'Signed out.');
    }
  }
}

export const auth = new Auth();
