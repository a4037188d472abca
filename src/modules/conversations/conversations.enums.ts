import { defineEnum, type ValueOf } from '../../graphql/enums.js';

/** Who wrote a message. */
export const MessageRole = defineEnum(
  'MessageRole',
  'Who wrote a message.',
  {
    user: 'The person: a question or an instruction.',
    assistant: 'The AI provider: a reply.',
    system: 'Instructions for the provider (only in a caller-kept history; a conversation keeps its own as `systemPrompt`).',
  },
  { message: 'must be user, assistant or system' },
);
export type MessageRoleValue = ValueOf<typeof MessageRole>;

/** Whether a reply arrived whole. */
export const MessageStatus = defineEnum('MessageStatus', 'Whether a message arrived whole.', {
  complete: 'The whole message (every question, and every reply that finished).',
  partial: 'A reply cut short because the client left mid-stream: what had arrived is kept.',
});
export type MessageStatusValue = ValueOf<typeof MessageStatus>;

/**
 * The events of a streamed chat turn, in order: `start`, `delta`s, then `done` or `error`.
 * `chatStream` and `conversationEvents` send the same events.
 */
export const ChatStreamEventType = defineEnum('ChatStreamEventType', 'What an event of a streamed chat turn says: `start`, then `delta` events, then `done` or `error`.', {
  start: 'The turn started; `conversationId` says in which conversation (a new one when the turn named none).',
  delta: 'The next piece of the reply, in `delta`.',
  done: 'The reply is complete and stored; `response` carries it.',
  error: 'The turn failed (`error` says why); nothing was stored.',
});
export type ChatStreamEventTypeValue = ValueOf<typeof ChatStreamEventType>;

/** Whether a conversation learning session is still running. */
export const ConversationSessionStatus = defineEnum('ConversationSessionStatus', 'Whether a conversation learning session is still running.', {
  active: 'Running: activity (an activity call, a chat message in the conversation) keeps it going and adds the time since the previous one.',
  ended: 'Over: ended by its learner, or by the sweeper at its last activity once it was idle longer than the idle timeout.',
});
export type ConversationSessionStatusValue = ValueOf<typeof ConversationSessionStatus>;
