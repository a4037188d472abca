import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { walFlusherOf } from '../src/db/durable-sqlite.js';
import { signUp } from './helpers/factories.js';
import { startFakeOpenAI, type FakeAi } from './helpers/fake-ai.js';
import { eventually } from './helpers/wait.js';
import { restClient, type RestClient } from './helpers/http.js';
import { driver, startServer, type TestServer } from './helpers/server.js';

/**
 * Turns that end together are written together (ConversationsService.store): one transaction
 * for those that ended while another was being written. What each caller sees is the same as
 * when each is written alone: its own exchange stored whole, positions in order within a
 * conversation, and a turn refused at the end (its conversation deleted meanwhile) refused
 * alone.
 */

let openai: FakeAi;
let server: TestServer;
let api: RestClient;
// On SQLite a database file, whose WAL flushes count the transactions.
const dir = mkdtempSync(join(tmpdir(), 'xt-group-store-'));

beforeAll(async () => {
  openai = await startFakeOpenAI();
  server = await startServer({ ...(driver === 'sqlite' ? { DATABASE_URL: `sqlite:${join(dir, 'app.sqlite3')}` } : {}), OPENAI_BASE_URL: openai.url, OPENAI_API_KEY: 'sk-test', OPENAI_MODELS: 'gpt-test', AI_IDLE_TIMEOUT_MS: '20000', AI_TIMEOUT_MS: '20000' });
  api = restClient(server.url);
});
afterAll(async () => {
  await server?.close();
  await openai?.close();
  rmSync(dir, { recursive: true, force: true });
});

function gate() {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

describe('turns ending together', () => {
  it('are stored together, each whole and in order, and one refused at the end fails alone', async () => {
    const u = await signUp(api);
    const token = u.accessToken;
    const chat = (body: Record<string, unknown>) => api.post('/api/core/chat', { provider: 'openai', ...body }, { token });
    // Two conversations with an exchange each: one gets two more turns at once, the other is deleted mid-turn.
    const kept = await chat({ message: 'first question' });
    const doomed = await chat({ message: 'doomed question' });
    expect([kept.status, doomed.status]).toEqual([200, 200]);

    const release = gate();
    const fresh = Array.from({ length: 8 }, (_, i) => `fresh ${i}`);
    const turns = [...fresh.map((m) => ({ message: m })), { message: 'kept again', conversation_id: kept.body.conversation_id }, { message: 'kept thrice', conversation_id: kept.body.conversation_id }, { message: 'doomed again', conversation_id: doomed.body.conversation_id }];
    const sent = openai.requests.length;
    // (The provider answers requests in the order they arrive: every reply is the same.)
    for (let i = 0; i < turns.length; i++) openai.enqueue({ kind: 'answer', tokens: ['Noted', ' (end)'], hold: { afterTokens: 1, until: release.promise } });
    const wal = driver === 'sqlite' ? walFlusherOf(server.app.orm.em.getConnection()) : undefined;
    if (driver === 'sqlite') expect(wal).toBeDefined();
    const answers = Promise.all(turns.map((t) => chat(t)));
    // Every turn has reached the provider, which holds its reply after the first token.
    await eventually(() => openai.requests.length - sent >= turns.length);
    expect((await api.delete(`/api/core/conversations/${doomed.body.conversation_id}`, { token })).status).toBe(204);
    const flushesBefore = wal?.flushes ?? 0;
    release.open();
    const results = await answers;

    for (const r of results.slice(0, 10)) {
      expect(r.status).toBe(200);
      expect(r.body.content).toBe('Noted (end)');
    }
    expect(results[10]!.status).toBe(404);
    if (wal) expect(wal.flushes - flushesBefore).toBeLessThanOrEqual(turns.length / 2);

    for (const [i, r] of results.slice(0, 8).entries()) {
      const messages = (await api.get(`/api/core/conversations/${r.body.conversation_id}/messages`, { token })).body as { id: string; role: string; content: string }[];
      expect(messages.map((m) => [m.role, m.content])).toEqual([
        ['user', fresh[i]],
        ['assistant', 'Noted (end)'],
      ]);
      expect(messages[1]!.id).toBe(r.body.message_id);
    }
    const thread = (await api.get(`/api/core/conversations/${kept.body.conversation_id}/messages`, { token })).body as { role: string; content: string }[];
    expect(thread.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant', 'user', 'assistant']);
    // Each question right before its reply, whichever was written first.
    const asked = [thread[2]!.content, thread[4]!.content].sort();
    expect(asked).toEqual(['kept again', 'kept thrice']);
    expect([thread[3]!.content, thread[5]!.content]).toEqual(['Noted (end)', 'Noted (end)']);
    const listed = (await api.get('/api/core/conversations', { token })).body as { id: string; message_count?: number }[];
    expect(listed.map((c) => c.id)).not.toContain(doomed.body.conversation_id);
    // The replies are searchable: their entries were written with them.
    const found = await api.get('/api/core/search?q=fresh', { token });
    expect(found.body.total).toBe(16);
  });
});
