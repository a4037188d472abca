import type { EntityManager } from '@mikro-orm/core';
import type { IndexEntry, SearchSource } from '../search/index.js';
import { Conversation } from './conversations.entities.js';
import { Message } from './conversations.entities.js';
import { Note } from './conversations.entities.js';
import { noteSearchText } from './notes.service.js';

/** Messages (under their conversation's title) and notes, for the search index's rebuild. */
export const conversationsSearchSource: SearchSource = {
  types: ['message', 'note'],
  async *entries(em: EntityManager): AsyncIterable<IndexEntry[]> {
    for (const c of await em.find(Conversation, {})) {
      const messages = await em.find(Message, { conversation: c.id }, { orderBy: { position: 'asc' } });
      yield messages
        .filter((m) => m.content)
        .map((m) => ({ userId: c.user.id, type: 'message', sourceId: m.id, conversationId: c.id, role: m.role, title: c.title ?? '', body: m.content, createdAt: m.createdAt }));
    }
    const notes = await em.find(Note, {});
    yield notes.map((n) => ({ userId: n.user.id, type: 'note', sourceId: n.id, title: n.title, body: noteSearchText(n), createdAt: n.createdAt }));
  },
  async existing(em: EntityManager, type, ids): Promise<ReadonlySet<string>> {
    const rows = type === 'note' ? await em.find(Note, { id: { $in: [...ids] } }, { fields: ['id'] }) : await em.find(Message, { id: { $in: [...ids] } }, { fields: ['id'] });
    return new Set(rows.map((r) => r.id));
  },
};
