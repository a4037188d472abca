import { resolver, service, type ModuleManifest } from '../manifest.js';
import { Conversation } from './conversations.entities.js';
import { conversationLoaders, type ConversationLoaders } from './conversations.loaders.js';
import { ChatResponseResolver, CitationResolver, ConversationsResolver, MessageResolver, SearchHitConversationResolver } from './conversations.resolver.js';
import { conversationsRoutes } from './conversations.rest.js';
import { ConversationSessionResolver, ConversationSessionsResolver } from './sessions.resolver.js';
import { conversationsSearchSource } from './conversations.search.js';
import { ConversationsService } from './conversations.service.js';
import { Message } from './conversations.entities.js';
import { Note } from './conversations.entities.js';
import { ConversationSession } from './conversations.entities.js';
import { ConversationSessionsService, conversationSessionIntervalsSql, type ConversationSessionStatusResult } from './sessions.service.js';
import { NotesService } from './notes.service.js';
import { ChatTurnLog, MemoryTurnStore, RedisTurnStore } from './turn-log.js';

export { Conversation, ConversationSession, ConversationsService, ConversationSessionsService, conversationSessionIntervalsSql, Message, Note, NotesService };
export type { ConversationSessionStatusResult };

declare module '../manifest.js' {
  interface ServiceMap {
    conversations: ConversationsService;
    notes: NotesService;
    conversationSessions: ConversationSessionsService;
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
  entities: [Conversation, Message, Note, ConversationSession],
  services: [
    service('notes', ['search'], ({ search }) => new NotesService(search)),
    service('conversationSessions', ['config', 'clock', 'jobs'], ({ config, clock, jobs }) => new ConversationSessionsService(config, clock, jobs)),
    service('conversations', ['ai', 'search', 'knowledge', 'config', 'events', 'rateLimits', 'clock', 'redis', 'log', 'conversationSessions'], ({ ai, search, knowledge, config, events, rateLimits, clock, redis, log, conversationSessions }) => {
      // Messages and notes are indexed by these services; a rebuild reads them from here.
      search.registerSource(conversationsSearchSource);
      // Resumable chat turns keep their events in Redis when there is one (any process can resume them), else in memory.
      const turnTtlMs = config.ai.turnTtlSeconds * 1000;
      const turnStore = redis ? new RedisTurnStore(redis, config.keyPrefix, turnTtlMs) : new MemoryTurnStore(clock, turnTtlMs, config.ai.turnBufferMaxTurns);
      return new ConversationsService(ai, search, knowledge, config, events, rateLimits, new ChatTurnLog(turnStore, events, log), conversationSessions);
    }),
  ],
  resolvers: [
    resolver(ConversationsResolver, (s) => new ConversationsResolver(s.conversations, s.events, s.notes)),
    resolver(ConversationSessionsResolver, (s) => new ConversationSessionsResolver(s.conversationSessions)),
    resolver(ConversationSessionResolver, (s) => new ConversationSessionResolver(s.conversations)),
    resolver(MessageResolver, () => new MessageResolver()),
    resolver(CitationResolver, (s) => new CitationResolver(s.knowledge)),
    resolver(ChatResponseResolver, (s) => new ChatResponseResolver(s.conversations)),
    resolver(SearchHitConversationResolver, (s) => new SearchHitConversationResolver(s.conversations, s.notes)),
  ],
  routes: conversationsRoutes,
  loaders: (em, batch) => ({ conversations: conversationLoaders(em, batch) }),
  // `node(id:)` for conversations, messages and notes: the caller's own, as their own queries.
  nodes: ({ conversations, notes, conversationSessions }) => [
    { typename: 'Conversation', load: (ctx, ids) => conversations.visible(ctx, ids) },
    { typename: 'Message', load: (ctx, ids) => conversations.visibleMessages(ctx, ids) },
    { typename: 'Note', load: (ctx, ids) => notes.visible(ctx, ids) },
    { typename: 'ConversationSession', load: (ctx, ids) => conversationSessions.visible(ctx, ids) },
  ],
};
