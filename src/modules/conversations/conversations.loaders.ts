import type { EntityManager } from '@mikro-orm/core';
import type { EntityManager as SqlEntityManager } from '@mikro-orm/sql';
import DataLoader from 'dataloader';
import { toDate } from '../../common/time.js';
import type { Citation } from '../ai/index.js';
import { Conversation } from './conversations.entities.js';
import { Message } from './conversations.entities.js';

/** One page of one conversation's messages, in conversation order. */
export interface MessagePageKey {
  conversationId: string;
  /** `first`: the oldest messages after `position`; `last`: the newest before it. */
  direction: 'first' | 'last';
  size: number;
  /** The cursor's position; null: from the start (`first`) or the end (`last`). */
  position: number | null;
}

/** A page, oldest first, and whether more messages lie beyond it in its direction. */
export interface MessagePage {
  items: Message[];
  hasMore: boolean;
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
  // Plain data on Message's prototype: still a Message to `instanceof` (the Node interface's type resolution).
  return Object.assign(Object.create(Message.prototype) as Message, {
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
  });
}

/**
 * Pages of messages of many conversations in one statement: a window function numbers each
 * conversation's messages from the cursor in the page's direction, and the outer query keeps
 * one more than the page (which says whether there are more). Keys with the same direction,
 * size and cursor share a statement: a page of conversations asking for `messages(last: 10)`
 * costs one. `batch: false` turns batching off (for the benchmark that measures what it buys).
 */
export function conversationLoaders(em: EntityManager, batch = true) {
  return {
    messagePage: new DataLoader<MessagePageKey, MessagePage, string>(
      async (keys) => {
        const groups = new Map<string, MessagePageKey[]>();
        for (const k of keys) {
          const g = `${k.direction}|${k.size}|${k.position ?? ''}`;
          groups.set(g, [...(groups.get(g) ?? []), k]);
        }
        const out = new Map<MessagePageKey, MessagePage>();
        for (const group of groups.values()) {
          const { direction, size, position } = group[0]!;
          const forward = direction === 'first';
          const ids = group.map((k) => k.conversationId);
          const after = position === null ? '' : ` and position ${forward ? '>' : '<'} ?`;
          const rows = await (em as SqlEntityManager).execute<MessageRow[]>(
            `select * from (select *, row_number() over (partition by conversation_id order by position ${forward ? 'asc' : 'desc'}) as rn` +
              ` from messages where conversation_id in (${ids.map(() => '?').join(', ')})${after}) as ranked` +
              ' where rn <= ? order by conversation_id, position',
            [...ids, ...(position === null ? [] : [position]), size + 1],
          );
          const byConversation = new Map<string, Message[]>();
          for (const r of rows) {
            const list = byConversation.get(r.conversation_id) ?? [];
            list.push(toMessage(r));
            byConversation.set(r.conversation_id, list);
          }
          for (const k of group) {
            const list = byConversation.get(k.conversationId) ?? [];
            const hasMore = list.length > size;
            // The extra row lies beyond the page: after it going forward, before it going backward.
            out.set(k, { items: hasMore ? (forward ? list.slice(0, size) : list.slice(1)) : list, hasMore });
          }
        }
        return keys.map((k) => out.get(k) ?? { items: [], hasMore: false });
      },
      { batch, cacheKeyFn: (k) => `${k.conversationId}|${k.direction}|${k.size}|${k.position ?? ''}` },
    ),
    /** Conversations by id, whoever owns them: for objects already authorized (a message's conversation, a search hit's). */
    byId: new DataLoader<string, Conversation | null>(
      async (ids) => {
        const rows = await em.find(Conversation, { id: { $in: [...ids] } });
        const found = new Map(rows.map((c) => [c.id, c]));
        return ids.map((id) => found.get(id) ?? null);
      },
      { batch },
    ),
  };
}

export type ConversationLoaders = ReturnType<typeof conversationLoaders>;
