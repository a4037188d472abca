import type { ModuleManifest } from '../manifest.js';
import { SearchEntry } from '../search/search-entry.entity.js';
import { Conversation } from './conversation.entity.js';
import { ConversationsResolver, MessageResolver } from './conversations.resolver.js';
import { conversationsRoutes } from './conversations.rest.js';
import { Message } from './message.entity.js';
import { Note } from './note.entity.js';

export const conversationsModule: ModuleManifest = {
  name: 'conversations',
  entities: [Conversation, Message, Note, SearchEntry],
  resolvers: [ConversationsResolver, MessageResolver],
  routes: conversationsRoutes,
};
