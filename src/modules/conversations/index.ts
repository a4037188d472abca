import type { NodeSource } from '../../graphql/node.resolver.js';
import { providerNodes, ProvidersResolver } from '../ai/ai.resolver.js';
import type { ModuleManifest } from '../manifest.js';
import { SearchEntry } from '../search/search-entry.entity.js';
import { SearchResolver } from '../search/search.resolver.js';
import { Conversation } from './conversation.entity.js';
import { CitationResolver, ConversationsResolver, MessageResolver } from './conversations.resolver.js';
import { conversationsRoutes } from './conversations.rest.js';
import { Message } from './message.entity.js';
import { Note } from './note.entity.js';

/** `node(id:)` for conversations, messages and notes: the caller's own, as their own queries. */
const nodes: NodeSource[] = [
  { typename: 'Conversation', load: (ctx, ids) => ctx.services.conversations.visible(ctx, ids) },
  { typename: 'Message', load: (ctx, ids) => ctx.services.conversations.visibleMessages(ctx, ids) },
  { typename: 'Note', load: (ctx, ids) => ctx.services.notes.visible(ctx, ids) },
  providerNodes,
];

/** Conversations, chat and notes; with them the providers (the `ai` module has no tables) and search over everything a user wrote. */
export const conversationsModule: ModuleManifest = {
  name: 'conversations',
  entities: [Conversation, Message, Note, SearchEntry],
  resolvers: [ConversationsResolver, MessageResolver, CitationResolver, ProvidersResolver, SearchResolver],
  routes: conversationsRoutes,
  nodes,
};
