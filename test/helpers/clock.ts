import type { Clock } from '../../src/common/clock.js';

/**
 * A clock a test moves by hand (`BuildOptions.clock`): deadlines fire when `advance` passes
 * them, never on their own, so a test of a 15-minute expiry takes no time and cannot race.
 */
export class ManualClock implements Clock {
  private current: number;
  private readonly timers = new Set<{ when: number; fn: () => void }>();

  /** Starts at `start` (an ISO instant or ms since the epoch), else at the system's now. */
  constructor(start: number | string = Date.now()) {
    this.current = typeof start === 'string' ? Date.parse(start) : start;
    if (Number.isNaN(this.current)) throw new Error(`not an instant: ${String(start)}`);
  }

  now(): number {
    return this.current;
  }

  at(when: number, fn: () => void): () => void {
    const timer = { when, fn };
    this.timers.add(timer);
    return () => this.timers.delete(timer);
  }

  /** Deadlines waiting (tests wait for a socket's to be armed before moving the clock). */
  get pending(): number {
    return this.timers.size;
  }

  /** Moves the clock forward and runs every deadline it passes, in order. */
  advance(ms: number): void {
    this.current += ms;
    const due = [...this.timers].filter((t) => t.when <= this.current).sort((a, b) => a.when - b.when);
    for (const t of due) {
      this.timers.delete(t);
      t.fn();
    }
  }

  /**
   * Puts the clock at `when` (an ISO instant or ms since the epoch). Forward, it runs the
   * deadlines it passes as `advance` does; back (a test replaying activity at chosen
   * instants), it runs none.
   */
  set(when: number | string): void {
    const to = typeof when === 'string' ? Date.parse(when) : when;
    if (Number.isNaN(to)) throw new Error(`not an instant: ${String(when)}`);
    if (to >= this.current) this.advance(to - this.current);
    else this.current = to;
  }
}
