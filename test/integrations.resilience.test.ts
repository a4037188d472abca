import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScheduleStudySessionDocument } from './generated/graphql.js';
import { startFakeGoogle, type FakeGoogle } from './helpers/fake-google.js';
import { signUp } from './helpers/factories.js';
import { errorCode, gql } from './helpers/graphql.js';
import { restClient, type RestClient } from './helpers/http.js';
import { browse, connectThroughRest, CookieJar, gatedTokenEndpoint, startGoogleGateway, startInBrowser } from './helpers/integrations.js';
import type { TestServer } from './helpers/server.js';
import { until, WAIT_MS } from './helpers/wait.js';

/**
 * The Google Calendar integration when things go wrong between us and Google: answers lost
 * after Google acted, retries, and failures after Google issued tokens.
 */

let fake: FakeGoogle;
let server: TestServer;
let api: RestClient;

beforeAll(async () => {
  fake = await startFakeGoogle();
  server = await startGoogleGateway(fake);
  api = restClient(server.url);
});
afterAll(async () => {
  await server?.close();
  await fake?.close();
});

/** A user with Google Calendar connected, and the Google account's email. */
async function connected(): Promise<{ token: string; email: string }> {
  const u = await signUp(api);
  const account = fake.newAccount();
  fake.consent({ account });
  await connectThroughRest(api, { token: u.accessToken });
  return { token: u.accessToken, email: account.email };
}

const SESSIONS = '/api/integrations/google-calendar/study-sessions';

describe('scheduling a study session is safe to retry', () => {
  it('REST: a retry after Google created the event but its answer was lost answers that event, not a second one', async () => {
    const { token, email } = await connected();
    const session = { title: 'Past tenses', start: '2031-03-01T18:00:00Z', duration_minutes: 30 };
    fake.loseCalendarAnswers(1);
    const lost = await api.post(SESSIONS, session, { token, headers: { 'idempotency-key': 'retry-1' } });
    expect(lost.status).toBe(502);
    expect(fake.events(email)).toHaveLength(1); // Google did create it
    const retried = await api.post(SESSIONS, session, { token, headers: { 'idempotency-key': 'retry-1' } });
    expect(retried.status).toBe(201);
    expect(fake.events(email)).toHaveLength(1);
    expect(retried.body).toMatchObject({ id: fake.events(email)[0]!.id, title: 'Past tenses', study_session: true });
    // Once more, answered this time: still the same event.
    const again = await api.post(SESSIONS, session, { token, headers: { 'idempotency-key': 'retry-1' } });
    expect(again.body.id).toBe(retried.body.id);
    expect(fake.events(email)).toHaveLength(1);
    // Another key is another session, even with the same content.
    const other = await api.post(SESSIONS, session, { token, headers: { 'idempotency-key': 'retry-2' } });
    expect(other.status).toBe(201);
    expect(other.body.id).not.toBe(retried.body.id);
    expect(fake.events(email)).toHaveLength(2);
  });

  it('REST: the same key with another session is a conflict; a malformed key is named', async () => {
    const { token, email } = await connected();
    const first = await api.post(SESSIONS, { title: 'Reading', start: '2031-03-02T18:00:00Z', duration_minutes: 30 }, { token, headers: { 'idempotency-key': 'k-1' } });
    expect(first.status).toBe(201);
    const reused = await api.post(SESSIONS, { title: 'Writing', start: '2031-03-03T18:00:00Z', duration_minutes: 30 }, { token, headers: { 'idempotency-key': 'k-1' } });
    expect(reused.status).toBe(409);
    expect(reused.body.detail).toMatchObject({ error: 'conflict', reason: 'idempotency_key_reused' });
    expect(fake.events(email).map((e) => e.summary)).toEqual(['Reading']);
    const bad = await api.post(SESSIONS, { title: 'Writing', start: '2031-03-03T18:00:00Z', duration_minutes: 30 }, { token, headers: { 'idempotency-key': 'x'.repeat(256) } });
    expect(bad.status).toBe(400);
    expect(bad.body.detail.fields).toEqual([{ loc: ['header', 'Idempotency-Key'], message: 'must be at most 255 characters' }]);
  });

  it('without a key, the same session sent twice is scheduled once; deleted in the calendar since, it is put back', async () => {
    const { token, email } = await connected();
    const session = { title: 'Listening', start: '2031-03-04T18:00:00Z', duration_minutes: 45 };
    fake.loseCalendarAnswers(1);
    expect((await api.post(SESSIONS, session, { token })).status).toBe(502);
    const retried = await api.post(SESSIONS, session, { token });
    expect(retried.status).toBe(201);
    expect(fake.events(email)).toHaveLength(1);
    fake.deleteEvent(email, retried.body.id);
    const back = await api.post(SESSIONS, session, { token });
    expect(back.status).toBe(201);
    expect(back.body).toMatchObject({ id: retried.body.id, status: 'confirmed' });
    expect(fake.events(email).map((e) => e.status)).toEqual(['confirmed']);
    // A different session is another event.
    expect((await api.post(SESSIONS, { ...session, duration_minutes: 60 }, { token })).status).toBe(201);
    expect(fake.events(email)).toHaveLength(2);
  });

  it('GraphQL: the same, with the input\'s idempotencyKey', async () => {
    const { token, email } = await connected();
    const input = { title: 'Speaking', start: '2031-03-05T18:00:00Z', durationMinutes: 30, idempotencyKey: 'g-1' };
    fake.loseCalendarAnswers(1);
    expect(errorCode(await gql(server.url, ScheduleStudySessionDocument, { input }, token))).toBe('upstream_unavailable');
    const retried = await gql(server.url, ScheduleStudySessionDocument, { input }, token);
    expect(retried.errors).toBeUndefined();
    expect(fake.events(email)).toHaveLength(1);
    expect(retried.data!.scheduleStudySession.event.id).toBe(fake.events(email)[0]!.id);
    const reused = await gql(server.url, ScheduleStudySessionDocument, { input: { ...input, title: 'Other' } }, token);
    expect(reused.errors![0]!.extensions).toMatchObject({ code: 'conflict', reason: 'idempotency_key_reused' });
    const bad = await gql(server.url, ScheduleStudySessionDocument, { input: { ...input, idempotencyKey: '' } }, token);
    expect(bad.errors![0]!.extensions).toMatchObject({ code: 'validation_error', fields: [{ path: ['idempotencyKey'], message: 'must not be empty' }] });
    expect(fake.events(email)).toHaveLength(1);
  });
});

describe('a connection that fails after Google issued its tokens leaves no grant alive at Google', () => {
  /** Starts a flow as a new Google account and follows Google's redirect back: where the gateway sent the browser. */
  async function connectAs(token: string, account = fake.newAccount()): Promise<{ query: Record<string, string>; email: string }> {
    fake.consent({ account });
    const jar = new CookieJar();
    const { callback } = await startInBrowser(api, { token }, jar);
    const back = await browse(callback.toString(), {}, jar);
    expect(back.status, back.body).toBe(302);
    return { query: Object.fromEntries(back.location!.searchParams), email: account.email };
  }

  const integrationsOf = async (token: string) => (await api.get('/api/integrations?include=available', { token })).body as { status: string }[];

  it('a token answer that does not verify (an ID token for another client): revoked, upstream_unavailable, nothing stored', async () => {
    const u = await signUp(api);
    fake.alterNextCodeAnswer((answer) => ({ ...answer, id_token: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln' }));
    const { query, email } = await connectAs(u.accessToken);
    expect(query).toMatchObject({ integration: 'google_calendar', status: 'error', error: 'google_unavailable' });
    expect(fake.grantsOf(email)).toEqual([expect.objectContaining({ revoked: true })]);
    expect(await integrationsOf(u.accessToken)).toMatchObject([{ status: 'not_connected' }]);
    // The next attempt, answered as Google should, connects.
    expect((await connectAs(u.accessToken)).query.status).toBe('connected');
  });

  /** Runs `fn` while the database refuses to write connections (a trigger, on both drivers). */
  async function refusingWrites<T>(fn: () => Promise<T>): Promise<T> {
    const db = server.app.orm.em.fork().getConnection();
    const pg = server.config.db.driver === 'postgresql';
    if (pg) {
      await db.execute(`create or replace function refuse_integration() returns trigger as $$ begin raise exception 'refused by the test'; end $$ language plpgsql`);
      await db.execute('create trigger refuse_integration before insert or update on integrations for each row execute function refuse_integration()');
    } else {
      await db.execute(`create trigger refuse_integration_insert before insert on integrations begin select raise(abort, 'refused by the test'); end`);
      await db.execute(`create trigger refuse_integration_update before update on integrations begin select raise(abort, 'refused by the test'); end`);
    }
    try {
      return await fn();
    } finally {
      if (pg) await db.execute('drop trigger refuse_integration on integrations');
      else for (const t of ['refuse_integration_insert', 'refuse_integration_update']) await db.execute(`drop trigger ${t}`);
    }
  }

  it('the database refusing the connection: revoked, an error, nothing stored', async () => {
    const u = await signUp(api);
    const outcome = await refusingWrites(() => connectAs(u.accessToken));
    expect(outcome.query).toMatchObject({ integration: 'google_calendar', status: 'error', error: 'internal_error' });
    expect(fake.grantsOf(outcome.email)).toEqual([expect.objectContaining({ revoked: true })]);
    expect(await integrationsOf(u.accessToken)).toMatchObject([{ status: 'not_connected' }]);
    expect((await connectAs(u.accessToken)).query.status).toBe('connected');
  });

  it('reconnecting the same account refused by the database leaves the stored connection working (Google revokes an account\'s access whole)', async () => {
    const u = await signUp(api);
    const account = fake.newAccount();
    expect((await connectAs(u.accessToken, account)).query.status).toBe('connected');
    const again = await refusingWrites(() => connectAs(u.accessToken, account));
    expect(again.query).toMatchObject({ status: 'error', error: 'internal_error' });
    expect(await integrationsOf(u.accessToken)).toMatchObject([{ status: 'connected' }]);
    expect((await api.get('/api/integrations/google-calendar/events', { token: u.accessToken })).status).toBe(200);
  });

  it('reconnecting the same account with calendar access unticked is refused, and leaves the stored connection working', async () => {
    const u = await signUp(api);
    const account = fake.newAccount();
    expect((await connectAs(u.accessToken, account)).query.status).toBe('connected');
    fake.consent({ account, grantScopes: ['openid', 'email'] });
    const jar = new CookieJar();
    const { callback } = await startInBrowser(api, { token: u.accessToken }, jar);
    const back = await browse(callback.toString(), {}, jar);
    expect(Object.fromEntries(back.location!.searchParams)).toMatchObject({ status: 'error', error: 'insufficient_scope' });
    expect(await integrationsOf(u.accessToken)).toMatchObject([{ status: 'connected' }]);
    expect((await api.get('/api/integrations/google-calendar/events', { token: u.accessToken })).status).toBe(200);
    // Another account unticking it is revoked, as before.
    const other = fake.newAccount();
    fake.consent({ account: other, grantScopes: ['openid', 'email'] });
    const second = await startInBrowser(api, { token: u.accessToken }, jar);
    expect(Object.fromEntries((await browse(second.callback.toString(), {}, jar)).location!.searchParams)).toMatchObject({ error: 'insufficient_scope' });
    expect(fake.grantsOf(other.email)).toEqual([expect.objectContaining({ revoked: true })]);
  });
});

describe('disconnecting while a connection is being completed', () => {
  it('wins: the flow ends with reason disconnected, its grant revoked, nothing connected', async () => {
    // Google's token endpoint behind a gate that can hold a code exchange.
    const token = await gatedTokenEndpoint(fake, 'authorization_code');
    const gw = await startGoogleGateway(fake, { GOOGLE_TOKEN_URL: `${token.url}/token` });
    try {
      const a = restClient(gw.url);
      const u = await signUp(a);
      const [first, second] = [fake.newAccount(), fake.newAccount()];
      fake.consent({ account: first }, { account: second });
      await connectThroughRest(a, { token: u.accessToken });
      // The user starts connecting another account; Google's answer to the exchange is held...
      const jar = new CookieJar();
      const { callback } = await startInBrowser(a, { token: u.accessToken }, jar);
      const gate = token.holdNext();
      const back = browse(callback.toString(), {}, jar);
      await until(() => gate.held);
      // ...while they disconnect, in another tab.
      expect((await a.delete('/api/integrations/google-calendar', { token: u.accessToken })).status).toBe(204);
      gate.release();
      const r = await back;
      expect(r.status, r.body).toBe(302);
      expect(Object.fromEntries(r.location!.searchParams)).toMatchObject({ integration: 'google_calendar', status: 'error', error: 'disconnected' });
      expect((await a.get('/api/integrations?include=available', { token: u.accessToken })).body).toMatchObject([{ status: 'not_connected' }]);
      expect(fake.grantsOf(first.email)).toEqual([expect.objectContaining({ revoked: true })]);
      expect(fake.grantsOf(second.email)).toEqual([expect.objectContaining({ revoked: true })]);
    } finally {
      await gw.close();
      await token.close();
    }
  });
});

describe('a revocation Google does not answer', () => {
  it('is retried in the background: disconnecting while Google is down leaves no grant alive once it is back', async () => {
    const { token, email } = await connected();
    fake.failRevocations(1);
    expect((await api.delete('/api/integrations/google-calendar', { token })).status).toBe(204);
    expect((await api.get('/api/integrations?include=available', { token })).body).toMatchObject([{ status: 'not_connected' }]);
    // Google is back: the revocation is done by a job, not forgotten.
    await server.app.services.jobs.drain();
    await until(() => fake.grantsOf(email).every((g) => g.revoked), WAIT_MS, 'the grant revoked in the background');
    // Nothing of the token was left in the clear in the job table.
    const jobs = await server.app.orm.em.fork().getConnection().execute<Record<string, unknown>[]>(`select * from jobs where queue = 'integrations.revoke'`);
    for (const secret of fake.secrets()) expect(JSON.stringify(jobs)).not.toContain(secret);
  });
});

describe('a refresh that answers narrower scopes', () => {
  it('without calendar access: the connection needs reconnection (reason insufficient_scope), its grant revoked', async () => {
    const u = await signUp(api);
    const account = fake.newAccount();
    fake.consent({ account });
    fake.accessTokenTtlSeconds = 60; // within the refresh margin: the next calendar call refreshes first
    try {
      await connectThroughRest(api, { token: u.accessToken });
    } finally {
      fake.accessTokenTtlSeconds = 3599;
    }
    fake.narrowGrants(account.email, ['openid', 'email']);
    const r = await api.get('/api/integrations/google-calendar/events', { token: u.accessToken });
    expect(r.status).toBe(409);
    expect(r.body.detail).toMatchObject({ error: 'conflict', reason: 'needs_reconnection', provider: 'google_calendar' });
    expect((await api.get('/api/integrations?include=available', { token: u.accessToken })).body).toMatchObject([{ status: 'needs_reconnection' }]);
    const [row] = await server.app.orm.em.fork().getConnection().execute<Record<string, unknown>[]>('select * from integrations where user_id = ?', [u.user.id]);
    expect(row).toMatchObject({ status: 'needs_reconnection', last_error: 'insufficient_scope', token_ciphertext: null });
    expect(fake.grantsOf(account.email)).toEqual([expect.objectContaining({ revoked: true })]);
  });
});
