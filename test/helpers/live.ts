import type { subscribe } from './graphql.js';
import type { TestServer } from './server.js';

type Sub = ReturnType<typeof subscribe<any>>;

/** The message of the quota warnings these helpers publish; tests leave them out of what they compare. */
export const PROBE = 'probe: delivered in order';

const isProbe = (r: { data?: any }) => r.data?.liveSessionEvents?.__typename === 'LiveQuotaWarning' && r.data.liveSessionEvents.message === PROBE;

/** What a liveSessionEvents subscription received, without the probes. */
export const received = (sub: Sub) => sub.received.filter((r) => !isProbe(r));

/**
 * Resolves once the subscription hears its session's events: a graphql-ws server acknowledges
 * a subscription before it listens, so a probe is published on the bus until one arrives.
 */
export async function listening(server: TestServer, sub: Sub, sessionId: string, userId: string): Promise<void> {
  for (let i = 0; !sub.received.some(isProbe); i++) {
    if (i > 250) throw new Error('the subscription never heard a probe');
    server.app.services.events.publish('LIVE_EVENT', { type: 'quota_warning', sessionId, userId, remainingSeconds: 0, message: PROBE, at: new Date().toISOString() });
    await sub.waitFor(sub.received.length + 1, 20).catch(() => undefined);
  }
}
