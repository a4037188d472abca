/**
 * The time that long-lived sockets keep deadlines by (credentials that expire while a socket
 * is open). Injectable (`BuildOptions.clock`), so a test moves it forward instead of waiting
 * fifteen minutes for an access token to expire.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` once, when the clock reaches `when` (ms since the epoch). Returns what cancels it. */
  at(when: number, fn: () => void): () => void;
}

/** Node's timers take at most 2^31 - 1 ms (about 24.8 days); a longer wait is armed again on the way. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The system clock: Date.now and unref'd timers (a deadline never holds the process open). */
export const systemClock: Clock = {
  now: () => Date.now(),
  at(when, fn) {
    let timer: NodeJS.Timeout | null = null;
    let cancelled = false;
    const arm = () => {
      if (cancelled) return;
      const wait = when - Date.now();
      if (wait <= 0) {
        fn();
        return;
      }
      timer = setTimeout(arm, Math.min(wait, MAX_TIMER_MS));
      timer.unref();
    };
    // Never synchronously: the caller finishes setting up before a deadline already past fires.
    timer = setTimeout(arm, 0);
    timer.unref();
    return () => {
      cancelled = true;
      if (timer) clearTimeout(timer);
    };
  },
};
