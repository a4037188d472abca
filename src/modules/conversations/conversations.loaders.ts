import type { EntityManager } from '@mikro-orm/core';
import type { EntityManager as SqlEntityManager } from '@mikro-orm/knex';
import DataLoader from 'dataloader';
import { Message } from './message.entity.js';

export interface LastMessagesKey {
  conversationId: string;
  last: number;
  /** Only messages before this position; null: up to the newest. */
  beforePosition: number | null;
}

/**
 * The last N messages of many conversations in two statements: a window function picks
 * the ids per conversation, one query loads them. `batch: false` turns batching off (for
 * the benchmark that measures what batching buys).
 */
export function conversationLoaders(em: EntityManager, batch = true) {
  return {
    lastMessages: new DataLoader<LastMessagesKey, Message[], string>(
      async (keys) => {
        const groups = new Map<string, LastMessagesKey[]>();
        for (const k of keys) {
          const g = `${k.last}|${k.beforePosition ?? ''}`;
          groups.set(g, [...(groups.get(g) ?? []), k]);
        }
        const out = new Map<LastMessagesKey, Message[]>();
        const knex = (em as SqlEntityManager).getKnex();
        for (const group of groups.values()) {
          const { last, beforePosition } = group[0]!;
          const ranked = knex('messages')
            .select('id')
            .select(knex.raw('row_number() over (partition by conversation_id order by position desc) as rn'))
            .whereIn(
              'conversation_id',
              group.map((k) => k.conversationId),
            );
          if (beforePosition !== null) ranked.andWhere('position', '<', beforePosition);
          const ids = ((await knex.select('id').from(ranked.as('ranked')).where('rn', '<=', last)) as { id: string }[]).map((r) => r.id);
          const rows = ids.length ? await em.find(Message, { id: { $in: ids } }, { orderBy: { position: 'asc' } }) : [];
          for (const k of group) out.set(k, rows.filter((m) => m.conversation.id === k.conversationId));
        }
        return keys.map((k) => out.get(k) ?? []);
      },
      { batch, cacheKeyFn: (k) => `${k.conversationId}|${k.last}|${k.beforePosition ?? ''}` },
    ),
  };
}
