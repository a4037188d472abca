import { resolver, service, type ModuleManifest } from '../manifest.js';
import { Conversation } from './conversations.entities.js';
import { conversationLoaders, type ConversationLoaders } from './conversations.loaders.js';
import { CitationResolver, ConversationsResolver, MessageResolver, SearchHitConversationResolver } from './conversations.resolver.js';
import { conversationsRoutes } from './conversations.rest.js';
import { conversationsSearchSource } from './conversations.search.js';
import { ConversationsService } from './conversations.service.js';
import { Message } from './conversations.entities.js';
import { Note } from './conversations.entities.js';
import { NotesService } from './notes.service.js';
import { ChatTurnLog, MemoryTurnStore, RedisTurnStore } from './turn-log.js';

export { Conversation, ConversationsService, Message, Note, NotesService };

declare module '../manifest.js' {
  interface ServiceMap {
    conversations: ConversationsService;
    notes: NotesService;
  }
}

declare module '../../common/loaders.js' {
  interface Loaders {
    conversations: ConversationLoaders;
  }
}

/** Conversations, chat and notes. */
export const conversationsModule: ModuleManifest = {
  name: 'conversations',
  entities: [Conversation, Message, Note],
  services: [
    service('notes', ['search'], ({ search }) => new NotesService(search)),
    service('conversations', ['ai', 'search', 'knowledge', 'config', 'events', 'rateLimits', 'clock', 'redis', 'log'], ({ ai, search, knowledge, config, events, rateLimits, clock, redis, log }) => {
      // Messages and notes are indexed by these services; a rebuild reads them from here.
      search.registerSource(conversationsSearchSource);
      // Resumable chat turns keep their events in Redis when there is one (any process can resume them), else in memory.
      const turnTtlMs = config.ai.turnTtlSeconds * 1000;
      const turnStore = redis ? new RedisTurnStore(redis, config.keyPrefix, turnTtlMs) : new MemoryTurnStore(clock, turnTtlMs, config.ai.turnBufferMaxTurns);
      return new ConversationsService(ai, search, knowledge, config, events, rateLimits, new ChatTurnLog(turnStore, events, log));
    }),
  ],
  resolvers: [
    resolver(ConversationsResolver, (s) => new ConversationsResolver(s.conversations, s.events, s.notes)),
    resolver(MessageResolver, () => new MessageResolver()),
    resolver(CitationResolver, () => new CitationResolver()),
    resolver(SearchHitConversationResolver, () => new SearchHitConversationResolver()),
  ],
  routes: conversationsRoutes,
  loaders: (em, batch) => ({ conversations: conversationLoaders(em, batch) }),
  // `node(id:)` for conversations, messages and notes: the caller's own, as their own queries.
  nodes: ({ conversations, notes }) => [
    { typename: 'Conversation', load: (ctx, ids) => conversations.visible(ctx, ids) },
    { typename: 'Message', load: (ctx, ids) => conversations.visibleMessages(ctx, ids) },
    { typename: 'Note', load: (ctx, ids) => notes.visible(ctx, ids) },
  ],
};
