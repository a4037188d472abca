import type { EntityManager } from '@mikro-orm/core';
import DataLoader from 'dataloader';
import { conversationLoaders } from '../modules/conversations/conversations.loaders.js';
import { liveLoaders } from '../modules/live/live.loaders.js';
import { organizationLoaders } from '../modules/organizations/organizations.loaders.js';
import { User } from '../modules/users/user.entity.js';

/** Per-request batch loaders: one query per kind of thing however many rows ask. */
export function createLoaders(em: EntityManager, batch = true) {
  return {
    userById: new DataLoader<string, User | null>(
      async (ids) => {
        const rows = await em.find(User, { id: { $in: [...ids] } });
        const byId = new Map(rows.map((u) => [u.id, u]));
        return ids.map((id) => byId.get(id) ?? null);
      },
      { batch },
    ),
    org: organizationLoaders(em, batch),
    conversations: conversationLoaders(em, batch),
    live: liveLoaders(em, batch),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;

/**
 * Forgets everything a request has read so far: its identity map and every loader's cache.
 * A mutation's payload is read after this, so it shows the state the mutation left (a
 * native update does not touch entities already loaded, and loaders keep what they served).
 */
export function forgetReads(em: EntityManager, loaders: Loaders): void {
  em.clear();
  const visit = (value: unknown): void => {
    if (value instanceof DataLoader) value.clearAll();
    else if (value && typeof value === 'object') Object.values(value).forEach(visit);
  };
  visit(loaders);
}
