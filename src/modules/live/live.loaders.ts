import type { EntityManager } from '@mikro-orm/core';
import DataLoader from 'dataloader';
import { LiveSession } from './live.entities.js';

/** Per-request batch loaders of the live module: one statement however many transcripts ask. */
export function liveLoaders(em: EntityManager, batch = true) {
  return {
    sessionById: new DataLoader<string, LiveSession | null>(
      async (ids) => {
        const rows = await em.find(LiveSession, { id: { $in: [...ids] } });
        const byId = new Map(rows.map((s) => [s.id, s]));
        return ids.map((id) => byId.get(id) ?? null);
      },
      { batch },
    ),
  };
}

export type LiveLoaders = ReturnType<typeof liveLoaders>;
