/**
 * How long a test waits for something it can observe before it fails. Generous on purpose: a
 * machine busy with other work may take many times longer than an idle one, and only a failing
 * test ever waits it out (a passing one goes on the moment the condition holds). Below vitest's
 * testTimeout (vitest.config.ts), so a wait that fails says what it waited for.
 */
export const WAIT_MS = 45_000;

/** How often a condition is asked again: polling observable state, not a guess at how long something takes. */
const POLL_MS = 20;

/** Waits until `cond` holds (it may be async), asking every 20 ms; fails after `ms` naming `what`. */
export async function until(cond: () => boolean | Promise<boolean>, ms = WAIT_MS, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`${what} not met in ${ms} ms`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** Asks `probe` until it answers something (not undefined, null or false) and returns that; fails after `ms`. */
export async function eventually<T>(probe: () => Promise<T | undefined | null | false> | T | undefined | null | false, ms = WAIT_MS, what = 'value'): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > end) throw new Error(`${what} did not appear in ${ms} ms`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
