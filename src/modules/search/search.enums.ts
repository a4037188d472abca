import { defineEnum, type ValueOf } from '../../graphql/enums.js';

/**
 * The kinds of a user's content: what the full-text index holds, what `search` finds and what
 * a citation points at (citations are made from the same passages search finds).
 */
export const ContentKind = defineEnum(
  'ContentKind',
  'The kind of an item of a user\'s content: what `search` finds and what a citation points at.',
  {
    message: 'A message of one of your conversations (yours or a reply).',
    note: 'One of your notes.',
    transcript: 'A transcript of one of your live sessions.',
    document: 'A passage (chunk) of a knowledge base document.',
  },
  { message: 'must be among message, note, transcript, document' },
);
export type ContentKindValue = ValueOf<typeof ContentKind>;
