import type { EntityManager } from '@mikro-orm/core';
import { SearchEntry } from '../search/search-entry.entity.js';
import type { SearchService } from '../search/search.service.js';
import { Conversation } from './conversation.entity.js';
import { Message } from './message.entity.js';
import { Note } from './note.entity.js';
import { noteSearchText } from './notes.service.js';

/**
 * Writes the search entries of every message and note again, in one transaction, then
 * regenerates the full-text index. Returns how many entries were written.
 */
export async function reindexConversations(em: EntityManager, search: SearchService): Promise<number> {
  let count = 0;
  await em.transactional(async (tx) => {
    await tx.nativeDelete(SearchEntry, { type: { $in: ['message', 'note'] } });
    for (const c of await tx.find(Conversation, {})) {
      for (const m of await tx.find(Message, { conversation: c.id }, { orderBy: { position: 'asc' } })) {
        if (!m.content) continue;
        await search.index(tx, { userId: c.user.id, type: 'message', sourceId: m.id, conversationId: c.id, role: m.role, title: c.title ?? '', body: m.content, createdAt: m.createdAt });
        count++;
      }
      await tx.flush();
    }
    for (const n of await tx.find(Note, {})) {
      await search.index(tx, { userId: n.user.id, type: 'note', sourceId: n.id, title: n.title, body: noteSearchText(n), createdAt: n.createdAt });
      count++;
    }
    await tx.flush();
  });
  await search.rebuildIndex(em);
  return count;
}
