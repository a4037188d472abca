import { LockMode } from '@mikro-orm/core';
import { authorize } from '../../common/access.js';
import type { RequestContext } from '../../common/context.js';
import { AppError } from '../../common/errors.js';
import { isId } from '../../common/ids.js';
import { pageSchema, type Page, type PageArgs } from '../../common/pagination.js';
import { parseInput } from '../../common/validation.js';
import { findConnection, type ConnectionPage, type PageRequest } from '../../graphql/relay.js';
import type { SearchService } from '../search/index.js';
import { User } from '../users/index.js';
import { noteSchema, updateNoteSchema, type NoteData, type UpdateNoteData } from './conversations.types.js';
import { Note } from './conversations.entities.js';

/** What search indexes of a note: its text and its tags as #tags. */
export const noteSearchText = (n: Note): string => `${n.content}${n.tags.length ? `\n${n.tags.map((t) => `#${t}`).join(' ')}` : ''}`;

/** A user's notes, indexed for search in the same transaction as each change. */
export class NotesService {
  constructor(private readonly search: SearchService) {}

  /**
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE (conversations:write), validation_error
   */
  async create(ctx: RequestContext, data: NoteData): Promise<Note> {
    const p = authorize(ctx, 'conversations:write');
    const input = parseInput(noteSchema, data);
    return ctx.em.transactional(async (tx) => {
      const note = tx.create(Note, { user: tx.getReference(User, p.userId), title: input.title, content: input.content, tags: input.tags ?? [] });
      await this.search.index(tx, { userId: p.userId, type: 'note', sourceId: note.id, title: note.title, body: noteSearchText(note), createdAt: note.createdAt });
      return note;
    });
  }

  /**
   * The caller's notes, most recently changed first.
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE (conversations:read), validation_error
   */
  async list(ctx: RequestContext, args: PageArgs = {}): Promise<Page<Note>> {
    const p = authorize(ctx, 'conversations:read');
    const { limit, offset } = parseInput(pageSchema, args);
    const [items, total] = await ctx.em.findAndCount(Note, { user: p.userId }, { orderBy: { updatedAt: 'desc', id: 'desc' }, limit, offset });
    return { items, total };
  }

  /**
   * The caller's notes as a connection, most recently changed first.
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE (conversations:read), validation_error
   */
  async connection(ctx: RequestContext, request: PageRequest): Promise<ConnectionPage<Note>> {
    const p = authorize(ctx, 'conversations:read');
    return findConnection(ctx.em, Note, { user: p.userId }, request, { updatedAt: 'desc', id: 'desc' });
  }

  /**
   * The caller's notes among `ids` (for `note` and `node`): one statement.
   * @throws not_authenticated, INSUFFICIENT_API_KEY_SCOPE (conversations:read)
   */
  async visible(ctx: RequestContext, ids: readonly string[]): Promise<Note[]> {
    const p = authorize(ctx, 'conversations:read');
    const wanted = ids.filter(isId);
    return wanted.length ? ctx.em.find(Note, { id: { $in: wanted }, user: p.userId }) : [];
  }

  /**
   * @throws not_found (also for someone else's note), validation_error, INSUFFICIENT_API_KEY_SCOPE (conversations:write)
   */
  async update(ctx: RequestContext, id: string, data: UpdateNoteData): Promise<Note> {
    const p = authorize(ctx, 'conversations:write');
    const input = parseInput(updateNoteSchema, data ?? {});
    return ctx.em.transactional(async (tx) => {
      // Locked (PostgreSQL; SQLite runs one write transaction at a time): two edits at once each
      // replaced the search entry (the second's insert refused, answered 500), and an edit beside
      // a deletion wrote the entry of a note that was gone (still found by search).
      const lock = ctx.config.db.driver === 'postgresql' ? { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true } : {};
      const note = isId(id) ? await tx.findOne(Note, { id, user: p.userId }, lock) : null;
      if (!note) throw AppError.notFound('Note');
      if (input.title != null) note.title = input.title;
      if (input.content != null) note.content = input.content;
      if (input.tags != null) note.tags = input.tags;
      note.updatedAt = new Date();
      await this.search.index(tx, { userId: p.userId, type: 'note', sourceId: note.id, title: note.title, body: noteSearchText(note), createdAt: note.createdAt });
      return note;
    });
  }

  /**
   * @throws not_found, INSUFFICIENT_API_KEY_SCOPE (conversations:write)
   */
  async delete(ctx: RequestContext, id: string): Promise<void> {
    const p = authorize(ctx, 'conversations:write');
    await ctx.em.transactional(async (tx) => {
      const deleted = isId(id) ? await tx.nativeDelete(Note, { id, user: p.userId }) : 0;
      if (!deleted) throw AppError.notFound('Note');
      await this.search.remove(tx, { type: 'note', sourceIds: [id] });
    });
  }
}
