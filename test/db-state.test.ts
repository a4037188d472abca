import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changedTables, dbState } from './helpers/db-state.js';
import { signUp } from './helpers/factories.js';
import { restClient, type RestClient } from './helpers/http.js';
import { startServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let api: RestClient;
beforeAll(async () => {
  server = await startServer();
  api = restClient(server.url);
});
afterAll(() => server.close());

const sql = (text: string, params: unknown[] = []) => server.app.orm.em.fork().getConnection().execute(text, params);

describe('"changes nothing" compares whole tables', () => {
  it('sees an update of a column in a table that keeps no update time, and names the table', async () => {
    const u = await signUp(api);
    const state = await dbState(server);
    const [q0, f0] = [await state.quick(), await state.full()];
    expect(await state.quick(), 'the same database, the same state').toBe(q0);
    // login_sessions has no updated_at: a row count and the newest update time would not see this.
    await sql('update login_sessions set user_agent = ? where user_id = ?', ['changed by the test', u.user.id]);
    expect(await state.quick()).not.toBe(q0);
    expect(changedTables(f0, await state.full())).toEqual(['login_sessions']);
  });

  it('sees a row replaced by another (same count, different content)', async () => {
    const u = await signUp(api);
    const note = await api.post('/api/core/notes', { title: 'Before', content: 'x' }, { token: u.accessToken });
    const state = await dbState(server);
    const f0 = await state.full();
    await sql('update notes set title = ? where id = ?', ['After', note.body.id]);
    expect(changedTables(f0, await state.full())).toEqual(['notes']);
  });

  it('leaves out the volatile column an authenticating API key writes', async () => {
    const u = await signUp(api);
    const org = await api.post('/api/organizations', { name: `State ${process.pid}` }, { token: u.accessToken });
    const key = await api.post('/api/api-keys', { name: 'k', organization_id: org.body.id, scopes: ['organizations:read'] }, { token: u.accessToken });
    const state = await dbState(server);
    const q0 = await state.quick();
    await sql('update api_keys set last_used_at = ? where id = ?', [server.config.db.driver === 'sqlite' ? Date.now() : new Date(), key.body.id]);
    expect(await state.quick()).toBe(q0);
  });
});
