import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ChatDocument,
  ConversationMessagesDocument,
  ConversationsDocument,
  ConversationsNodeDocument,
  CreateNoteDocument,
  DeleteConversationDocument,
  DeleteNoteDocument,
  MessageDocument,
  NoteDocument,
  NotesDocument,
  RegenerateReplyDocument,
  SearchDocument,
  UpdateConversationDocument,
  UpdateNoteDocument,
} from './generated/graphql.js';
import { signUp } from './helpers/factories.js';
import { errorCode, gql } from './helpers/graphql.js';
import { restClient, type RestClient } from './helpers/http.js';
import { makeCast, makeKey, makeOrg } from './helpers/orgs.js';
import { driver, startServer, type TestServer } from './helpers/server.js';
import { until, WAIT_MS } from './helpers/wait.js';

let server: TestServer;
let api: RestClient;

beforeAll(async () => {
  server = await startServer();
  api = restClient(server.url);
});
afterAll(() => server.close());

const INTRO = "I'm Xentree's local retrieval assistant: there is no language model behind me, so I answer by quoting what you have stored.";

describe('the local provider', () => {
  it('quotes the caller\'s own passages with numbered citations, deterministically', async () => {
    const u = await signUp(api);
    const note = await api.post('/api/core/notes', { title: 'Paris trip', content: 'The Eiffel tower opens at 9am. Book the summit tickets early.', tags: ['travel'] }, { token: u.accessToken });
    await api.post('/api/core/notes', { title: 'Groceries', content: 'Milk, eggs, bread.' }, { token: u.accessToken });
    const res = await api.post('/api/core/chat', { message: 'When does the Eiffel tower open?' }, { token: u.accessToken });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ provider: 'local', model: 'local-retrieval-v1', usage: null, status: 'complete' });
    expect(res.body.content).toBe(
      `${INTRO}\n\nThe most relevant passages I found:\n\n[1] From your note "Paris trip" (${note.body.created_at.slice(0, 10)}): "The Eiffel tower opens at 9am. Book the summit tickets early.\n#travel"`,
    );
    expect(res.body.citations).toEqual([{ document_id: note.body.id, type: 'note', title: 'Paris trip', snippet: 'The Eiffel tower opens at 9am. Book the summit tickets early.\n#travel' }]);
    // Asked again, the same answer: its own earlier reply is not quoted back.
    const again = await api.post('/api/core/chat', { message: 'When does the Eiffel tower open?', conversation_id: res.body.conversation_id }, { token: u.accessToken });
    expect(again.body.citations.map((c: { type: string }) => c.type).sort()).toEqual(['message', 'note']);
    expect(again.body.citations.find((c: { type: string }) => c.type === 'message').snippet).toBe('When does the Eiffel tower open?');
  });

  it('says plainly when nothing matches, and never quotes someone else\'s content', async () => {
    const other = await signUp(api);
    // (The secret's own word: a number could turn up in an id or a timestamp of the answer.)
    await api.post('/api/core/notes', { title: 'Secret', content: 'The vault combination is 4242 quokka zebra.' }, { token: other.accessToken });
    const u = await signUp(api);
    const res = await api.post('/api/core/chat', { message: 'What is the vault combination zebra?' }, { token: u.accessToken });
    expect(res.body.content).toBe(`${INTRO}\n\nI found nothing in your notes, messages or transcripts that matches "What is the vault combination zebra?".`);
    expect(res.body.citations).toEqual([]);
    expect(JSON.stringify(res.body)).not.toContain('quokka');
  });

  it('quotes to an API key only the kinds its scopes read, as search finds them', async () => {
    const cast = await makeCast(api);
    const org = await makeOrg(api, cast);
    const t = { token: cast.member.accessToken };
    await api.post('/api/core/notes', { title: 'Vault', content: 'The wombat vault opens with 7311.' }, t);
    await api.post('/api/core/chat', { message: 'Remember the wombat password is kiwi', use_knowledge_base: false }, t);
    const at = new Date(Date.now() - 60_000).toISOString();
    const saved = await api.post('/api/live/transcripts', { session_started_at: at, session_ended_at: new Date().toISOString(), transcripts: [{ role: 'user', text: 'The wombat safe is behind the painting', timestamp: at }] }, t);
    expect(saved.status).toBe(201);
    // A transcript is indexed by a job: wait until the owner finds it.
    await until(async () => (await api.get('/api/core/search?q=painting&types=transcript', t)).body.total === 1, WAIT_MS, 'the transcript indexed');
    const kinds = async (scopes: string[]) => {
      const key = await makeKey(api, cast.member, org.id, scopes);
      const res = await api.post('/api/core/chat', { message: 'wombat', use_knowledge_base: false }, { apiKey: key.key });
      expect(res.status, scopes.join()).toBe(200);
      // Its question would be quoted to the next one: gone with its conversation.
      expect((await api.delete(`/api/core/conversations/${res.body.conversation_id}`, t)).status).toBe(204);
      return { kinds: [...new Set(res.body.citations.map((c: { type: string }) => c.type))].sort(), body: JSON.stringify(res.body) };
    };
    // conversations:write chats, but reads nothing: no note, message or transcript is quoted to it.
    const writer = await kinds(['conversations:write']);
    expect(writer.kinds).toEqual([]);
    for (const secret of ['7311', 'kiwi', 'painting']) expect(writer.body).not.toContain(secret);
    // conversations:read reads notes and messages; a transcript needs live:read besides, as in search.
    expect((await kinds(['conversations:write', 'conversations:read'])).kinds).toEqual(['message', 'note']);
    expect((await kinds(['conversations:write', 'live:read'])).kinds).toEqual([]);
    expect((await kinds(['conversations:write', 'conversations:read', 'live:read'])).kinds).toEqual(['message', 'note', 'transcript']);
    // The owner's bearer token reads every kind.
    const own = await api.post('/api/core/chat', { message: 'wombat', use_knowledge_base: false }, t);
    expect([...new Set(own.body.citations.map((c: { type: string }) => c.type))].sort()).toEqual(['message', 'note', 'transcript']);
  });
});

describe('conversations', () => {
  it('stores both turns, derives the title, lists and paginates messages oldest first', async () => {
    const u = await signUp(api);
    const first = await api.post('/api/core/chat', { message: 'Plan a three day trip to Lisbon with museums, food markets and a day at the beach please' }, { token: u.accessToken });
    const id = first.body.conversation_id;
    for (const m of ['second', 'third']) await api.post('/api/core/chat', { message: m, conversation_id: id }, { token: u.accessToken });
    const conv = await api.get(`/api/core/conversations/${id}`, { token: u.accessToken });
    expect(conv.body).toMatchObject({ title: 'Plan a three day trip to Lisbon with museums, food markets…', message_count: 6, provider: 'local' });
    const latest = await api.get(`/api/core/conversations/${id}/messages?limit=4`, { token: u.accessToken });
    expect(latest.headers.get('x-total-count')).toBe('6');
    expect(latest.body.map((m: { role: string; content: string }) => `${m.role}:${m.content.slice(0, 6)}`)).toEqual(['user:second', `assistant:${INTRO.slice(0, 6)}`, 'user:third', `assistant:${INTRO.slice(0, 6)}`]);
    const older = await api.get(`/api/core/conversations/${id}/messages?limit=4&before=${latest.body[0].id}`, { token: u.accessToken });
    expect(older.body.map((m: { role: string }) => m.role)).toEqual(['user', 'assistant']);
    expect(older.body[0].content).toMatch(/^Plan a three day/);
    const bad = await api.get(`/api/core/conversations/${id}/messages?before=00000000-0000-4000-8000-000000000000`, { token: u.accessToken });
    expect(bad.status).toBe(400);

    // GraphQL: a connection in conversation order, paged backward from the newest and forward from the oldest.
    const messages = async (vars: { first?: number; after?: string; last?: number; before?: string }) => {
      const r = await gql(server.url, ConversationMessagesDocument, { id, ...vars }, u.accessToken);
      expect(r.errors).toBeUndefined();
      return r.data!.conversation!.messages;
    };
    const newest = await messages({ last: 2 });
    expect(newest.edges.map((e) => e.node.position)).toEqual([5, 6]);
    expect(newest.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false, startCursor: newest.edges[0]!.cursor, endCursor: newest.edges[1]!.cursor });
    expect(newest.totalCount).toBe(6);
    const before = await messages({ last: 3, before: newest.pageInfo.startCursor! });
    expect(before.edges.map((e) => e.node.position)).toEqual([2, 3, 4]);
    expect(before.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: true });
    const oldest = await messages({ first: 4 });
    expect(oldest.edges.map((e) => `${e.node.role}:${e.node.position}`)).toEqual(['USER:1', 'ASSISTANT:2', 'USER:3', 'ASSISTANT:4']);
    expect(oldest.pageInfo).toMatchObject({ hasPreviousPage: false, hasNextPage: true });
    const rest = await messages({ first: 4, after: oldest.pageInfo.endCursor! });
    expect(rest.edges.map((e) => e.node.position)).toEqual([5, 6]);
    expect(rest.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
    // A cursor of this connection survives new turns: the next page after it holds them.
    await api.post('/api/core/chat', { message: 'fourth', conversation_id: id }, { token: u.accessToken });
    expect((await messages({ first: 10, after: rest.pageInfo.endCursor! })).edges.map((e) => e.node.content.slice(0, 6))).toEqual(['fourth', INTRO.slice(0, 6)]);
    expect(errorCode(await gql(server.url, ConversationMessagesDocument, { id, first: 2, after: 'garbage' }, u.accessToken))).toBe('validation_error');
    // One message by id, with its conversation.
    const one = await gql(server.url, MessageDocument, { id: oldest.edges[0]!.node.id }, u.accessToken);
    expect(one.data?.message).toMatchObject({ role: 'USER', position: 1, conversation: { id } });
  });

  it('creates, renames, lists with cursors and deletes, with everything that belongs to the conversation', async () => {
    const u = await signUp(api);
    const created = await api.post('/api/core/conversations', { title: 'Empty one', system_prompt: 'Be brief.' }, { token: u.accessToken });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ title: 'Empty one', message_count: 0, last_message_at: null });
    const chat = await api.post('/api/core/chat', { message: 'unicorn marmalade recipe' }, { token: u.accessToken });
    const id = chat.body.conversation_id;
    const renamed = await gql(server.url, UpdateConversationDocument, { input: { id, title: 'Marmalade', systemPrompt: 'Be kind.' } }, u.accessToken);
    expect(renamed.data?.updateConversation.conversation).toMatchObject({ title: 'Marmalade', systemPrompt: 'Be kind.' });
    // Null keeps a title (it cannot be removed) and removes a system prompt.
    const kept = await gql(server.url, UpdateConversationDocument, { input: { id, title: null, systemPrompt: null } }, u.accessToken);
    expect(kept.data?.updateConversation.conversation).toMatchObject({ title: 'Marmalade', systemPrompt: null });

    const p1 = await gql(server.url, ConversationsDocument, { first: 1 }, u.accessToken);
    expect(p1.data?.conversations.totalCount).toBe(2);
    expect(p1.data?.conversations.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const p2 = await gql(server.url, ConversationsDocument, { first: 1, after: p1.data!.conversations.pageInfo.endCursor }, u.accessToken);
    expect(p2.data?.conversations.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    expect(new Set([p1, p2].map((p) => p.data!.conversations.edges[0]!.node.id)).size).toBe(2);
    const back = await gql(server.url, ConversationsDocument, { last: 1, before: p2.data!.conversations.pageInfo.startCursor }, u.accessToken);
    expect(back.data?.conversations.edges.map((e) => e.node.id)).toEqual(p1.data?.conversations.edges.map((e) => e.node.id));
    expect(errorCode(await gql(server.url, ConversationsDocument, { first: 1, after: 'garbage' }, u.accessToken))).toBe('validation_error');
    expect(errorCode(await gql(server.url, ConversationsDocument, { first: 1, last: 1 }, u.accessToken))).toBe('validation_error');

    expect((await api.get('/api/core/search?q=marmalade', { token: u.accessToken })).body.total).toBeGreaterThan(0);
    const del = await gql(server.url, DeleteConversationDocument, { input: { id } }, u.accessToken);
    expect(del.data?.deleteConversation).toEqual({ deletedId: id, query: { conversations: { totalCount: 1 } } });
    expect((await api.get(`/api/core/conversations/${id}`, { token: u.accessToken })).status).toBe(404);
    expect((await api.get('/api/core/search?q=unicorn', { token: u.accessToken })).body.total).toBe(0);
    const rows = await server.app.orm.em.fork().getConnection().execute('select count(*) as n from messages where conversation_id = ?', [id]);
    expect(Number((rows[0] as { n: number }).n)).toBe(0);
  });

  it('regenerates the last reply in place', async () => {
    const u = await signUp(api);
    const chat = await api.post('/api/core/chat', { message: 'octopus facts' }, { token: u.accessToken });
    await api.post('/api/core/notes', { title: 'Octopus', content: 'An octopus has three hearts.' }, { token: u.accessToken });
    const regen = await gql(server.url, RegenerateReplyDocument, { input: { conversationId: chat.body.conversation_id, provider: 'LOCAL', model: 'local-retrieval-v1' } }, u.accessToken);
    expect(regen.data?.regenerateReply.assistantMessage).toMatchObject({ status: 'COMPLETE', provider: 'LOCAL', model: 'local-retrieval-v1', position: 2 });
    expect(regen.data?.regenerateReply.assistantMessage.content).toContain('three hearts');
    expect(regen.data?.regenerateReply.deletedMessageId).toBe(chat.body.message_id);
    expect(regen.data?.regenerateReply.conversation.messageCount).toBe(2);
    const msgs = await api.get(`/api/core/conversations/${chat.body.conversation_id}/messages`, { token: u.accessToken });
    expect(msgs.body).toHaveLength(2);
    expect(msgs.body[1].id).toBe(regen.data?.regenerateReply.assistantMessage.id);
    // REST and GraphQL take the same choice of model: one the provider does not offer is refused by both.
    const restBad = await api.post(`/api/core/conversations/${chat.body.conversation_id}/regenerate`, { provider: 'local', model: 'gpt-4' }, { token: u.accessToken });
    expect(restBad.body.detail).toMatchObject({ error: 'validation_error', fields: [{ loc: ['body', 'model'], message: 'local offers local-retrieval-v1' }] });
    const gqlBad = await gql(server.url, RegenerateReplyDocument, { input: { conversationId: chat.body.conversation_id, provider: 'LOCAL', model: 'gpt-4' } }, u.accessToken);
    expect(gqlBad.errors?.[0]?.extensions).toMatchObject({ code: 'validation_error', fields: [{ path: ['model'], message: 'local offers local-retrieval-v1' }] });
    const empty = await api.post('/api/core/conversations', {}, { token: u.accessToken });
    expect((await api.post(`/api/core/conversations/${empty.body.id}/regenerate`, {}, { token: u.accessToken })).status).toBe(409);
  });

  it('validates chat input', async () => {
    const u = await signUp(api);
    const res = await api.post('/api/core/chat', { message: '', provider: '', conversation_history: 'nope', user_language: 'english!' }, { token: u.accessToken });
    expect(res.status).toBe(400);
    expect(res.body.detail.fields.map((f: { loc: string[] }) => f.loc.join('.'))).toEqual(['body.message', 'body.provider', 'body.conversation_history', 'body.user_language']);
    // provider is "a model or routing mode": a name no configured provider serves is refused by name.
    const unknown = await api.post('/api/core/chat', { message: 'hi', provider: 'skynet' }, { token: u.accessToken });
    expect(unknown.status).toBe(400);
    expect(unknown.body.detail.fields).toEqual([{ loc: ['body', 'provider'], message: expect.stringMatching(/^must be one of auto, local, openai, anthropic, or a model a configured provider serves/) }]);
    const unconfigured = await api.post('/api/core/chat', { message: 'hi', provider: 'anthropic' }, { token: u.accessToken });
    expect(unconfigured.status).toBe(400);
    expect(unconfigured.body.detail.message).toMatch(/anthropic is not configured/);
  });

  it('are private: someone else gets 404 for reading, posting, renaming, deleting, and finds nothing', async () => {
    const owner = await signUp(api);
    const intruder = await signUp(api);
    const chat = await api.post('/api/core/chat', { message: 'private pineapple plans' }, { token: owner.accessToken });
    const id = chat.body.conversation_id;
    const t = { token: intruder.accessToken };
    expect((await api.get(`/api/core/conversations/${id}`, t)).status).toBe(404);
    expect((await api.get(`/api/core/conversations/${id}/messages`, t)).status).toBe(404);
    expect((await api.post('/api/core/chat', { message: 'let me in', conversation_id: id }, t)).status).toBe(404);
    expect((await api.patch(`/api/core/conversations/${id}`, { title: 'mine' }, t)).status).toBe(404);
    expect((await api.delete(`/api/core/conversations/${id}`, t)).status).toBe(404);
    expect((await api.post(`/api/core/conversations/${id}/regenerate`, {}, t)).status).toBe(404);
    expect((await api.get('/api/core/search?q=pineapple', t)).body.total).toBe(0);
    // By id, someone else's conversation is null, as an unknown one, never an error that tells it exists.
    const seen = await gql(server.url, ConversationMessagesDocument, { id }, intruder.accessToken);
    expect(seen.errors).toBeUndefined();
    expect(seen.data?.conversation).toBeNull();
    const owned = await gql(server.url, ConversationMessagesDocument, { id, last: 1 }, owner.accessToken);
    const messageId = owned.data!.conversation!.messages.edges[0]!.node.id;
    expect((await gql(server.url, MessageDocument, { id: messageId }, intruder.accessToken)).data).toEqual({ message: null });
    expect((await gql(server.url, ConversationsNodeDocument, { id }, intruder.accessToken)).data).toEqual({ node: null });
    expect((await gql(server.url, ConversationsNodeDocument, { id: messageId }, intruder.accessToken)).data).toEqual({ node: null });
    expect((await gql(server.url, ConversationsNodeDocument, { id }, owner.accessToken)).data?.node).toMatchObject({ __typename: 'Conversation', id });
    expect((await gql(server.url, ConversationsNodeDocument, { id: messageId }, owner.accessToken)).data?.node).toMatchObject({ __typename: 'Message', id: messageId });
    expect(errorCode(await gql(server.url, ChatDocument, { input: { message: 'x', conversationId: id } }, intruder.accessToken))).toBe('not_found');
    expect((await api.get(`/api/core/conversations/${id}/messages`, { token: owner.accessToken })).body).toHaveLength(2);
  });

  it('are reachable with an API key of the owner holding the conversation scopes', async () => {
    const cast = await makeCast(api);
    const org = await makeOrg(api, cast);
    await api.post('/api/core/chat', { message: 'key owned chat' }, { token: cast.member.accessToken });
    const reader = await makeKey(api, cast.member, org.id, ['conversations:read']);
    const list = await api.get('/api/core/conversations', { apiKey: reader.key });
    expect(list.status).toBe(200);
    expect(list.body).toHaveLength(1);
    const denied = await api.post('/api/core/chat', { message: 'write?' }, { apiKey: reader.key });
    expect(denied.status).toBe(403);
    expect(denied.body.detail).toMatchObject({ error: 'INSUFFICIENT_API_KEY_SCOPE', required_scope: 'conversations:write' });
  });

  it(`deleted while turns are being stored: nothing of it is left to search (${driver})`, async () => {
    const u = await signUp(api);
    const t = { token: u.accessToken };
    for (let round = 0; round < 8; round++) {
      const id = (await api.post('/api/core/conversations', { title: 'Race' }, t)).body.id as string;
      const turns = [1, 2, 3].map((i) => api.post('/api/core/chat', { message: `quagga ${round} ${i}`, provider: 'local', conversation_id: id }, t));
      // Each turn either lands before the deletion (and goes with it) or finds the conversation gone.
      const deleted = await api.delete(`/api/core/conversations/${id}`, t);
      expect(deleted.status).toBe(204);
      for (const r of await Promise.all(turns)) expect([200, 404]).toContain(r.status);
      const rows = await server.app.orm.em.fork().getConnection().execute('select count(*) as n from search_entries where conversation_id = ?', [id]);
      expect(Number((rows[0] as { n: number | string }).n)).toBe(0);
    }
    expect((await api.get('/api/core/search?q=quagga', t)).body.total).toBe(0);
  });

  it(`renamed while deleted: not_found, never an internal error (${driver})`, async () => {
    const u = await signUp(api);
    const t = { token: u.accessToken };
    for (let round = 0; round < 10; round++) {
      const id = (await api.post('/api/core/conversations', { title: 'Race' }, t)).body.id as string;
      const renames = [1, 2, 3].map((i) => api.patch(`/api/core/conversations/${id}`, { title: `Renamed ${i}` }, t));
      expect((await api.delete(`/api/core/conversations/${id}`, t)).status).toBe(204);
      for (const r of await Promise.all(renames)) expect([200, 404], JSON.stringify(r.body)).toContain(r.status);
    }
  });
});

describe('notes', () => {
  it('create, list, update, delete, each reflected in search at once', async () => {
    const u = await signUp(api);
    const t = { token: u.accessToken };
    const created = await api.post('/api/core/notes', { title: 'Jazz', content: 'Listen to Coltrane', tags: ['music'] }, t);
    expect(created.status).toBe(201);
    expect((await api.get('/api/core/search?q=coltrane', t)).body.results[0]).toMatchObject({ type: 'note', id: created.body.id, title: 'Jazz' });
    const updated = await api.request('PUT', `/api/core/notes/${created.body.id}`, { content: 'Listen to Mingus' }, t);
    expect(updated.body).toMatchObject({ title: 'Jazz', content: 'Listen to Mingus', tags: ['music'] });
    expect((await api.get('/api/core/search?q=coltrane', t)).body.total).toBe(0);
    expect((await api.get('/api/core/search?q=mingus', t)).body.total).toBe(1);
    const list = await api.get('/api/core/notes', t);
    expect(list.headers.get('x-total-count')).toBe('1');
    expect((await api.delete(`/api/core/notes/${created.body.id}`, t)).status).toBe(204);
    expect((await api.get('/api/core/search?q=mingus', t)).body.total).toBe(0);
    expect((await api.delete(`/api/core/notes/${created.body.id}`, t)).status).toBe(404);
    const other = await signUp(api);
    const mine = await gql(server.url, CreateNoteDocument, { input: { title: 'Mine', content: 'x', tags: ['a'] } }, u.accessToken);
    expect(mine.data?.createNote).toMatchObject({ note: { title: 'Mine', tags: ['a'] }, query: { notes: { totalCount: 1 } } });
    const noteId = mine.data!.createNote.note.id;
    expect((await api.request('PUT', `/api/core/notes/${noteId}`, { title: 'theirs' }, { token: other.accessToken })).status).toBe(404);
    expect((await gql(server.url, UpdateNoteDocument, { input: { id: noteId, title: 'theirs' } }, other.accessToken)).errors?.[0]?.extensions?.code).toBe('not_found');
    expect((await gql(server.url, NoteDocument, { id: noteId }, other.accessToken)).data).toEqual({ note: null });
    expect((await gql(server.url, ConversationsNodeDocument, { id: noteId }, other.accessToken)).data).toEqual({ node: null });
    // Null or absent fields stay as they are.
    const changed = await gql(server.url, UpdateNoteDocument, { input: { id: noteId, content: 'changed', title: null } }, u.accessToken);
    expect(changed.data?.updateNote.note).toEqual({ id: noteId, title: 'Mine', content: 'changed', tags: ['a'] });
    expect((await gql(server.url, NotesDocument, { first: 5 }, u.accessToken)).data?.notes).toMatchObject({ totalCount: 1, edges: [{ node: { id: noteId } }] });
    const gone = await gql(server.url, DeleteNoteDocument, { input: { id: noteId } }, u.accessToken);
    expect(gone.data?.deleteNote).toEqual({ deletedId: noteId, query: { notes: { totalCount: 0 } } });
    expect((await gql(server.url, NoteDocument, { id: noteId }, u.accessToken)).data).toEqual({ note: null });
  });

  it(`edited several times at once, or while deleted: each answered, one search entry or none (${driver})`, async () => {
    const u = await signUp(api);
    const t = { token: u.accessToken };
    const entries = async (id: string) =>
      Number(((await server.app.orm.em.fork().getConnection().execute("select count(*) as n from search_entries where type = 'note' and source_id = ?", [id]))[0] as { n: number | string }).n);
    for (let round = 0; round < 5; round++) {
      const note = (await api.post('/api/core/notes', { title: 'Harp', content: 'walrus' }, t)).body.id as string;
      const edits = await Promise.all([1, 2, 3, 4].map((i) => api.request('PUT', `/api/core/notes/${note}`, { content: `walrus ${i}` }, t)));
      expect(edits.map((r) => r.status)).toEqual([200, 200, 200, 200]);
      expect(await entries(note)).toBe(1);
      const raced = await Promise.all([...[5, 6, 7].map((i) => api.request('PUT', `/api/core/notes/${note}`, { content: `walrus ${i}` }, t)), api.delete(`/api/core/notes/${note}`, t)]);
      // An edit that came after the deletion finds no note: 404, never 500.
      for (const r of raced.slice(0, 3)) expect([200, 404]).toContain(r.status);
      expect(raced[3]!.status).toBe(204);
      expect(await entries(note)).toBe(0);
    }
    expect((await api.get('/api/core/search?q=walrus', t)).body.total).toBe(0);
  });
});

describe('search', () => {
  it('ranks, highlights safely, filters and paginates', async () => {
    const u = await signUp(api);
    const t = { token: u.accessToken };
    await api.post('/api/core/notes', { title: 'Volcano <b>notes</b>', content: 'Volcano eruptions & lava <script>alert(1)</script> flows.' }, t);
    await api.post('/api/core/notes', { title: 'Cooking', content: 'A volcano cake recipe.' }, t);
    const chat = await api.post('/api/core/chat', { message: 'Tell me about volcano lava' }, t);

    const all = await api.get('/api/core/search?q=volcano%20lava', t);
    expect(all.status).toBe(200);
    expect(all.body.query).toBe('volcano lava');
    expect(all.body.total).toBeGreaterThanOrEqual(2);
    const note = all.body.results.find((r: { type: string }) => r.type === 'note');
    expect(note.snippet).toContain('<mark>Volcano</mark>');
    // Markup in content never comes back as markup: escaped (SQLite) or dropped by ts_headline (PostgreSQL).
    expect(note.snippet).not.toContain('<script>');
    expect(note.snippet.replace(/<\/?mark>/g, '')).not.toMatch(/<[a-z]/i);
    expect(all.body.results.map((r: { score: number }) => r.score)).toEqual([...all.body.results.map((r: { score: number }) => r.score)].sort((a, b) => b - a));

    const prefix = await api.get('/api/core/search?q=volc', t);
    expect(prefix.body.total).toBeGreaterThanOrEqual(3);
    const notesOnly = await api.get('/api/core/search?q=volcano&types=note', t);
    expect(notesOnly.body.results.every((r: { type: string }) => r.type === 'note')).toBe(true);
    const inConv = await api.get(`/api/core/search?q=volcano&conversation_id=${chat.body.conversation_id}`, t);
    expect(inConv.body.results.every((r: { conversation_id: string }) => r.conversation_id === chat.body.conversation_id)).toBe(true);
    expect(inConv.body.total).toBeGreaterThan(0);
    const future = await api.get('/api/core/search?q=volcano&from=2999-01-01T00:00:00Z', t);
    expect(future.body.total).toBe(0);
    const page = await api.get('/api/core/search?q=volcano&limit=1&offset=1', t);
    expect(page.body.results).toHaveLength(1);

    const g = await gql(server.url, SearchDocument, { q: 'volcano', types: ['NOTE'] }, u.accessToken);
    expect(g.data?.search.edges.map((e) => e.node.type)).toEqual(['NOTE', 'NOTE']);
    expect(g.data?.search.totalCount).toBe(2);
    const inConversation = await gql(server.url, SearchDocument, { q: 'lava', types: ['MESSAGE'] }, u.accessToken);
    expect(inConversation.data?.search.edges[0]!.node).toMatchObject({ type: 'MESSAGE', conversationId: chat.body.conversation_id, conversation: { id: chat.body.conversation_id } });

    // Paged with opaque cursors, in the ranking's order both ways.
    const ranking = (await gql(server.url, SearchDocument, { q: 'volcano', first: 10 }, u.accessToken)).data!.search;
    const order = ranking.edges.map((e) => e.node.sourceId);
    expect(order).toHaveLength(ranking.totalCount);
    expect(order.length).toBeGreaterThanOrEqual(3);
    const first = (await gql(server.url, SearchDocument, { q: 'volcano', first: 2 }, u.accessToken)).data!.search;
    expect(first.edges.map((e) => e.node.sourceId)).toEqual(order.slice(0, 2));
    expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const next = (await gql(server.url, SearchDocument, { q: 'volcano', first: 2, after: first.pageInfo.endCursor }, u.accessToken)).data!.search;
    expect(next.edges.map((e) => e.node.sourceId)).toEqual(order.slice(2, 4));
    const last = (await gql(server.url, SearchDocument, { q: 'volcano', last: 2 }, u.accessToken)).data!.search;
    expect(last.edges.map((e) => e.node.sourceId)).toEqual(order.slice(-2));
    expect(last.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: order.length > 2 });
    const previous = (await gql(server.url, SearchDocument, { q: 'volcano', last: 1, before: next.pageInfo.startCursor }, u.accessToken)).data!.search;
    expect(previous.edges.map((e) => e.node.sourceId)).toEqual(order.slice(1, 2));
    expect(errorCode(await gql(server.url, SearchDocument, { q: 'volcano', first: 2, after: 'garbage' }, u.accessToken))).toBe('validation_error');
  });

  it('turns hostile or odd queries into results or a clear 400, never a 500', async () => {
    const u = await signUp(api);
    const t = { token: u.accessToken };
    await api.post('/api/core/notes', { title: 'Quotes', content: 'He said "hello" and NEAR the AND gate stood O\'Brien.' }, t);
    const odd = ['"', '""', '*', 'hello*', 'NEAR(hello said)', 'AND OR NOT', "'; drop table users; --", '😀🎉', 'title:hello', '-hello', '(hello', 'hello"said', '\\', '%_%', 'o\'brien'];
    for (const q of odd) {
      const res = await api.get(`/api/core/search?q=${encodeURIComponent(q)}`, t);
      expect(res.status, q).toBe(200);
      expect(Array.isArray(res.body.results), q).toBe(true);
    }
    expect((await api.get(`/api/core/search?q=${encodeURIComponent("o'brien")}`, t)).body.total).toBe(1);
    const long = await api.get(`/api/core/search?q=${'a'.repeat(10_000)}`, t);
    expect(long.status).toBe(400);
    expect(long.body.detail.fields[0]).toEqual({ loc: ['query', 'q'], message: 'must be at most 1000 characters' });
    expect((await api.get('/api/core/search?q=%20%20', t)).status).toBe(400);
    expect((await api.get('/api/core/search', t)).status).toBe(400);
    expect((await api.get('/api/core/search?q=x&types=message,spaceship', t)).status).toBe(400);
    expect((await api.get('/api/core/search?q=x&from=yesterday', t)).status).toBe(400);
  });
});

describe('search index rebuild', () => {
  it('restores entries lost from the index', async () => {
    const u = await signUp(api);
    const t = { token: u.accessToken };
    await api.post('/api/core/notes', { title: 'Ferns', content: 'Ferns reproduce with spores.' }, t);
    await api.post('/api/core/chat', { message: 'tell me about spores' }, t);
    await server.app.orm.em.fork().getConnection().execute('delete from search_entries');
    expect((await api.get('/api/core/search?q=spores', t)).body.total).toBe(0);
    const n = await server.app.services.search.rebuild(server.app.orm.em.fork());
    expect(n).toBeGreaterThanOrEqual(3);
    expect((await api.get('/api/core/search?q=spores', t)).body.total).toBe(3);
  });

  it('runs as a job (the operator\'s `npm run search:rebuild -- --enqueue`): asked twice while it waits it is one job, and a run restores the entries', async () => {
    const u = await signUp(api);
    const t = { token: u.accessToken };
    await api.post('/api/core/notes', { title: 'Mosses', content: 'Mosses hold water like sponges.' }, t);
    await server.app.orm.em.fork().getConnection().execute('delete from search_entries');
    const { searchMaintenance, jobs } = server.app.services;
    // Enqueued in the table while the queue runs: whichever claims it first runs it. The same job a
    // platform administrator's reindex adds (search-maintenance.test.ts), asked for by nobody in particular.
    const [a, b] = await Promise.all([searchMaintenance.requestReindex(server.app.orm.em.fork(), null), searchMaintenance.requestReindex(server.app.orm.em.fork(), null)]);
    expect(b.jobId).toBe(a.jobId);
    await jobs.drain();
    expect((await api.get('/api/core/search?q=sponges', t)).body.total).toBe(1);
    expect(await server.app.orm.em.fork().getConnection().execute(`select id from jobs where queue = 'search.reindex'`)).toEqual([]);
    const rows = await server.app.orm.em.fork().getConnection().execute<{ status: string; requested_by: string | null }[]>('select status, requested_by_id as requested_by from search_reindexes where job_id = ?', [a.jobId]);
    expect(rows).toEqual([{ status: 'succeeded', requested_by: null }]);
    // Counted per queue in /metrics; every registered queue is in the depth gauge (the recurring
    // sweeper's row only while it is due: test/jobs.test.ts).
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toMatch(/xentree_jobs_total\{queue="search\.reindex",outcome="completed"\} [1-9]/);
    expect(text).toMatch(/xentree_job_duration_seconds_count\{queue="search\.reindex",outcome="completed"\} [1-9]/);
    expect(text).toMatch(/xentree_job_queue_depth\{queue="live\.sweep",state="pending"\} [01]$/m);
  });
});
