import type { EntityManager } from '@mikro-orm/core';
import type { EntityManager as SqlEntityManager } from '@mikro-orm/knex';
import DataLoader from 'dataloader';
import { toDate } from '../../common/time.js';
import type { Citation } from '../ai/ai.types.js';
import type { Message } from './message.entity.js';

export interface LastMessagesKey {
  conversationId: string;
  last: number;
  /** Only messages before this position; null: up to the newest. */
  beforePosition: number | null;
}

interface MessageRow {
  id: string;
  conversation_id: string;
  position: number;
  role: Message['role'];
  content: string;
  provider: string | null;
  model: string | null;
  status: Message['status'];
  citations: string | Citation[] | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  total_tokens: number | null;
  created_at: number | string | Date;
}


/**
 * A read-only view of a message row. Listing messages is the hottest read path, and
 * hydrating managed entities (identity map, relation propagation) cost more than the
 * queries themselves; nothing here is ever changed through these objects.
 */
function toMessage(r: MessageRow): Message {
  return {
    id: r.id,
    conversation: { id: r.conversation_id },
    position: Number(r.position),
    role: r.role,
    content: r.content,
    provider: r.provider,
    model: r.model,
    status: r.status,
    citations: typeof r.citations === 'string' ? (JSON.parse(r.citations) as Citation[]) : (r.citations ?? []),
    promptTokens: r.prompt_tokens,
    completionTokens: r.completion_tokens,
    totalTokens: r.total_tokens,
    createdAt: toDate(r.created_at),
  } as unknown as Message;
}

/**
 * The last N messages of many conversations in one statement: a window function ranks
 * each conversation's messages and the outer query keeps the last N. `batch: false` turns
 * batching off (for the benchmark that measures what batching buys).
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
            .select('*')
            .select(knex.raw('row_number() over (partition by conversation_id order by position desc) as rn'))
            .whereIn(
              'conversation_id',
              group.map((k) => k.conversationId),
            );
          if (beforePosition !== null) ranked.andWhere('position', '<', beforePosition);
          const rows = (await knex.select('*').from(ranked.as('ranked')).where('rn', '<=', last).orderBy([{ column: 'conversation_id' }, { column: 'position' }])) as MessageRow[];
          const byConversation = new Map<string, Message[]>();
          for (const r of rows) {
            const list = byConversation.get(r.conversation_id) ?? [];
            list.push(toMessage(r));
            byConversation.set(r.conversation_id, list);
          }
          for (const k of group) out.set(k, byConversation.get(k.conversationId) ?? []);
        }
        return keys.map((k) => out.get(k) ?? []);
      },
      { batch, cacheKeyFn: (k) => `${k.conversationId}|${k.last}|${k.beforePosition ?? ''}` },
    ),
  };
}
