import { AppError } from '../common/errors.js';

/**
 * The right to watch was lost (membership gone, the subject gone for this caller): the
 * subscription answers this error once, then completes. `fanOutSubscribe` turns it into a
 * result carrying the error (as graphql-js answers an error at subscribe time), so a client
 * sees the same shape whether it lost the right before subscribing or while watching.
 */
export class SubscriptionRefusal {
  constructor(readonly error: AppError) {}
}

/** What one event of the subject means for one subscriber. */
export type Step<R> =
  /** Send it; the subscription goes on. */
  | { send: R }
  /** Send it, then complete: the subject ended (a live session's last event, a deleted organization). */
  | { last: R }
  /** Nothing for this subscriber. */
  | { skip: true }
  /** Complete without sending anything (the subject is gone). */
  | { end: true }
  /** Answer this error once, then complete. */
  | { refuse: AppError };

const DONE = { done: true, value: undefined } as const;

/**
 * A subscription's source with a lifecycle: each event of `source` goes through `step`,
 * which sends it, skips it, or ends the subscription (after a last event, silently, or with
 * one error). `initial` steps come first, before any event (a subject that has already
 * ended answers at once). `return()` (the client leaves, the socket closes) reaches the
 * source at once, even while a `next()` waits.
 */
export function lifecycle<T, R>(
  source: AsyncIterator<T>,
  step: (event: T) => Step<R> | Promise<Step<R>>,
  initial: Step<R>[] = [],
): AsyncIterableIterator<R | SubscriptionRefusal> {
  const queue = [...initial];
  let finished = false;
  const finish = async () => {
    if (finished) return;
    finished = true;
    queue.length = 0;
    await source.return?.();
  };
  /** A refusal the step raised (a membership check) ends the subscription like any other. */
  const refused = (e: unknown): Step<R> => {
    if (e instanceof AppError) return { refuse: e };
    throw e;
  };
  /** The step of the source's next event (inline in next(): a subscriber's every event pays each await). */
  const stepOf = (r: IteratorResult<T>): Step<R> | Promise<Step<R>> => {
    if (r.done) return { end: true };
    try {
      return step(r.value);
    } catch (e) {
      return refused(e);
    }
  };
  const it: AsyncIterableIterator<R | SubscriptionRefusal> = {
    async next(): Promise<IteratorResult<R | SubscriptionRefusal>> {
      for (;;) {
        if (finished) return DONE;
        let s = queue.shift();
        if (!s) {
          const made = stepOf(await source.next());
          s = made instanceof Promise ? await made.catch(refused) : made;
        }
        if (finished) return DONE;
        if ('skip' in s) continue;
        if ('send' in s) return { done: false, value: s.send };
        await finish();
        if ('last' in s) return { done: false, value: s.last };
        if ('refuse' in s) return { done: false, value: new SubscriptionRefusal(s.refuse) };
        return DONE;
      }
    },
    async return(): Promise<IteratorResult<R | SubscriptionRefusal>> {
      await finish();
      return DONE;
    },
    async throw(e: unknown): Promise<IteratorResult<R | SubscriptionRefusal>> {
      await finish();
      throw e;
    },
    [Symbol.asyncIterator]: () => it,
  };
  return it;
}

/**
 * Several sources as one, in arrival order; completes when all have. `return()` ends them all.
 * (A document watcher of an organization hears both the documents and the organization.)
 */
export function merge<T>(...sources: AsyncIterator<T>[]): AsyncIterableIterator<T> {
  const pending = new Map<number, Promise<{ i: number; r: IteratorResult<T> }>>();
  const pull = (i: number) => pending.set(i, sources[i]!.next().then((r) => ({ i, r })));
  sources.forEach((_, i) => pull(i));
  let finished = false;
  const it: AsyncIterableIterator<T> = {
    async next(): Promise<IteratorResult<T>> {
      while (!finished && pending.size) {
        const { i, r } = await Promise.race(pending.values());
        if (finished) break;
        if (r.done) {
          pending.delete(i);
          continue;
        }
        pull(i);
        return { done: false, value: r.value };
      }
      return DONE;
    },
    async return(): Promise<IteratorResult<T>> {
      finished = true;
      pending.clear();
      await Promise.all(sources.flatMap((s) => (s.return ? [s.return()] : [])));
      return DONE;
    },
    async throw(e: unknown): Promise<IteratorResult<T>> {
      await it.return!();
      throw e;
    },
    [Symbol.asyncIterator]: () => it,
  };
  return it;
}

/** A source that sends nothing and completes (for `initial` steps that say everything). */
export function empty<T>(): AsyncIterator<T> {
  return { next: async () => DONE, return: async () => DONE };
}
