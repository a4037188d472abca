import type { RequestContext } from '../../common/context.js';
import { visibleRef } from '../../graphql/node.resolver.js';
import type { Conversation, Message } from './conversations.entities.js';
import type { ConversationsService } from './conversations.service.js';

/*
 * The conversation or message an id names, for the objects that name them (a learning session's
 * `conversation`, a chat turn's DONE, a search hit): read by the rules of `node(id:)` for that
 * type, batched per request, null when the caller may not read it.
 */

export const conversationRef = (conversations: ConversationsService, ctx: RequestContext, id: string): Promise<Conversation | null> =>
  visibleRef(ctx, 'Conversation', (c, ids) => conversations.visible(c, ids), id);

export const messageRef = (conversations: ConversationsService, ctx: RequestContext, id: string): Promise<Message | null> =>
  visibleRef(ctx, 'Message', (c, ids) => conversations.visibleMessages(c, ids), id);
