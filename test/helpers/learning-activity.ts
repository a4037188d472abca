import type { EntityManager } from '@mikro-orm/core';
import { ConversationSession } from '../../src/modules/conversations/conversations.entities.js';
import { LiveSession } from '../../src/modules/live/live.entities.js';
import type { User } from '../../src/modules/users/users.entities.js';

/** A time range, ISO instants: `[start, end]`. */
export type Span = [string, string];

/**
 * Ended conversation learning sessions and live sessions of `user`, each spanning its range, as
 * the services would have stored them (active/used seconds the whole span), for tests that
 * compute learning time by hand. Created in `em`; the caller flushes.
 */
export function createSessions(em: EntityManager, user: User, rows: { conversation?: Span[]; live?: Span[] }): void {
  const at = (iso: string) => new Date(iso);
  const seconds = ([s, e]: Span) => Math.floor((at(e).getTime() - at(s).getTime()) / 1000);
  for (const span of rows.conversation ?? []) {
    em.create(ConversationSession, { user, status: 'ended', startedAt: at(span[0]), lastActivityAt: at(span[1]), endedAt: at(span[1]), activeSeconds: seconds(span) });
  }
  for (const span of rows.live ?? []) {
    const started = at(span[0]);
    em.create(LiveSession, {
      user,
      sessionType: 'voice',
      status: 'ended',
      startedAt: started,
      lastSeenAt: at(span[1]),
      endedAt: at(span[1]),
      usedSeconds: seconds(span),
      periodStart: new Date(Date.UTC(started.getUTCFullYear(), started.getUTCMonth(), 1)),
      endReason: 'client',
    });
  }
}
