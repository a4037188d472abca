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

/** The full-text engine behind search: the database's own. */
export const SearchEngine = defineEnum('SearchEngine', "The full-text engine behind search: the database's own.", {
  'sqlite-fts5': "SQLite's FTS5, on the embedded default.",
  'postgresql-tsvector': "PostgreSQL's tsvector and GIN index.",
});
export type SearchEngineValue = ValueOf<typeof SearchEngine>;

export const SearchReindexStatus = defineEnum('SearchReindexStatus', 'Where a rebuild of the search index stands.', {
  queued: 'Waiting for the job queue.',
  running: 'Rebuilding; the index stays searchable.',
  succeeded: 'Done.',
  failed: 'Failed after its attempts (the index is as the last successful writes left it, still searchable).',
});
