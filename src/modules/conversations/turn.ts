/**
 * A chat turn in flight. It runs on its own (the provider stream, then the write), so the
 * outcome does not depend on whoever is listening: a client that leaves only cancels it,
 * and what had arrived is still stored.
 */
export class Turn<E, R> {
  private readonly buffer: E[] = [];
  private waiting: (() => void) | null = null;
  private finished = false;
  private failure: unknown = null;
  private readonly abort = new AbortController();
  /** Set when the client went away, as opposed to the upstream failing. */
  cancelled = false;
  readonly result: Promise<R>;

  constructor(run: (turn: Turn<E, R>, signal: AbortSignal) => Promise<R>) {
    this.result = run(this, this.abort.signal).then(
      (r) => {
        this.finish(null);
        return r;
      },
      (e: unknown) => {
        this.finish(e);
        throw e;
      },
    );
    // The result is also read through events(); an unobserved rejection is not a crash.
    this.result.catch(() => undefined);
  }

  push(event: E): void {
    this.buffer.push(event);
    this.wake();
  }

  /** The client left: stop the upstream; the turn stores what it has. */
  cancel(): void {
    if (this.finished || this.cancelled) return;
    this.cancelled = true;
    this.abort.abort(new Error('cancelled by the client'));
  }

  /** Events as they come; throws the turn's error at the end if it failed. */
  async *events(): AsyncGenerator<E> {
    for (;;) {
      while (this.buffer.length) yield this.buffer.shift()!;
      if (this.finished) {
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrows what the producer threw, unchanged (the caller maps it to its error envelope)
        if (this.failure) throw this.failure;
        return;
      }
      await new Promise<void>((resolve) => (this.waiting = resolve));
    }
  }

  private finish(failure: unknown): void {
    this.finished = true;
    this.failure = failure;
    this.wake();
  }

  private wake(): void {
    const w = this.waiting;
    this.waiting = null;
    w?.();
  }
}
