import { setImmediate as immediate } from 'node:timers/promises';

/** Lets the event loop run what is waiting (I/O, timers, other requests) before going on. */
export const yieldToEventLoop = (): Promise<void> => immediate();

/**
 * Long CPU work cut into slices: `tick()` yields to the event loop once the current slice
 * has run `sliceMs`, so requests keep being answered while, say, a large document is split.
 */
export class TimeSlicer {
  private start = performance.now();
  /** How many times the work gave way. */
  yields = 0;

  constructor(private readonly sliceMs = 8) {}

  async tick(): Promise<void> {
    if (performance.now() - this.start < this.sliceMs) return;
    await yieldToEventLoop();
    this.yields++;
    this.start = performance.now();
  }
}
