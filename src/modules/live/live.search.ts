import type { EntityManager } from '@mikro-orm/core';
import type { IndexEntry, SearchSource } from '../search/index.js';
import { LiveTranscript } from './live.entities.js';

/** A transcript's search entry: its turns as "You: …" / "AI: …" lines; null for no turns. */
export function transcriptEntry(userId: string, t: LiveTranscript): IndexEntry | null {
  const body = t.turns.map((x) => `${x.role === 'ai' ? 'AI' : 'You'}: ${x.text}`).join('\n');
  if (!body) return null;
  const title = `Live session ${t.sessionStartedAt.toISOString().slice(0, 16).replace('T', ' ')}`;
  return { userId, type: 'transcript', sourceId: t.id, title, body, createdAt: t.sessionStartedAt };
}

/** Live sessions' transcripts, for the search index's rebuild. */
export const liveSearchSource: SearchSource = {
  types: ['transcript'],
  async *entries(em: EntityManager): AsyncIterable<IndexEntry[]> {
    const transcripts = await em.find(LiveTranscript, {});
    yield transcripts.flatMap((t) => transcriptEntry(t.user.id, t) ?? []);
  },
  async existing(em: EntityManager, _type, ids): Promise<ReadonlySet<string>> {
    return new Set((await em.find(LiveTranscript, { id: { $in: [...ids] } }, { fields: ['id'] })).map((t) => t.id));
  },
};
