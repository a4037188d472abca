import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CalendarEventsDocument,
  CompleteGoogleCalendarConnectionDocument,
  ConnectGoogleCalendarDocument,
  DisconnectGoogleCalendarDocument,
  IntegrationNodeDocument,
  IntegrationsDocument,
  ScheduleStudySessionDocument,
} from './generated/graphql.js';
import { startFakeGoogle, type FakeGoogle } from './helpers/fake-google.js';
import { signUp } from './helpers/factories.js';
import { errorCode, gql } from './helpers/graphql.js';
import { httpServer } from './helpers/http-server.js';
import { restClient, type RestClient } from './helpers/http.js';
import { createHash } from 'node:crypto';
import { browse, CALLBACK_PATH, connectThroughRest, consentAtGoogle, CookieJar, gatedTokenEndpoint, RETURN_URL, startGoogleGateway, startInBrowser } from './helpers/integrations.js';
import { startServer, type TestServer } from './helpers/server.js';
import { until, WAIT_MS } from './helpers/wait.js';

const CALENDAR_SCOPE = 'https://www.googleapis.com/auth/calendar.events.owned';

let fake: FakeGoogle;
let server: TestServer;
let api: RestClient;
/** Everything the gateway logged while this file ran. */
const logLines: string[] = [];
/** Every response body the tests read, to check that no token ever appears in one. */
const seenBodies: string[] = [];

/** Routes the gateway's pino output, at info level, into `logLines`. */
function captureLogs(s: TestServer): void {
  const logger = s.app.server.log as unknown as { [k: symbol]: unknown; level: string };
  logger.level = 'info';
  const streamSym = Object.getOwnPropertySymbols(logger).find((k) => String(k) === 'Symbol(pino.stream)')!;
  logger[streamSym] = new Writable({
    write(chunk, _enc, cb) {
      logLines.push(chunk.toString());
      cb();
    },
  });
}

/** Remembers what a REST or GraphQL answer carried. */
const keep = <T extends { body: unknown } | { data: unknown; errors: unknown }>(r: T): T => {
  const content = 'body' in r ? r.body : { data: r.data, errors: r.errors };
  seenBodies.push(typeof content === 'string' ? content : JSON.stringify(content));
  return r;
};

async function rows(s: TestServer, table: string, userId: string): Promise<Record<string, any>[]> {
  return s.app.orm.em.fork().getConnection().execute(`select * from ${table} where user_id = ?`, [userId]);
}

beforeAll(async () => {
  fake = await startFakeGoogle();
  server = await startGoogleGateway(fake);
  captureLogs(server);
  api = restClient(server.url);
});
afterAll(async () => {
  await server?.close();
  await fake?.close();
});

describe('connecting Google Calendar through REST', () => {
  it('runs the authorization code flow with PKCE S256, a state bound to the user, offline access and the exact redirect URI', async () => {
    const u = await signUp(api);
    const start = keep(await api.get('/api/integrations/google-calendar/connect', { token: u.accessToken }));
    expect(start.status).toBe(200);
    const browser = new CookieJar();
    browser.take(start.headers);
    expect(Object.keys(start.body).sort()).toEqual(['authorization_url', 'state']);
    const auth = new URL(start.body.authorization_url);
    expect(auth.origin + auth.pathname).toBe(`${fake.url}/o/oauth2/v2/auth`);
    const q = Object.fromEntries(auth.searchParams);
    expect(q).toMatchObject({
      client_id: fake.clientId,
      response_type: 'code',
      redirect_uri: `${server.url}${CALLBACK_PATH}`,
      state: start.body.state,
      code_challenge_method: 'S256',
      access_type: 'offline',
      prompt: 'consent',
    });
    expect(q.scope!.split(' ').sort()).toEqual(['email', 'openid', CALENDAR_SCOPE].sort());
    expect(q.code_challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(start.body.state).toMatch(/^[A-Za-z0-9_-]{43,}$/);
    // Only the hash of the state is stored, and the verifier is sealed.
    const [pending] = await rows(server, 'integration_oauth_states', u.user.id);
    expect(pending!.state_hash).not.toBe(start.body.state);
    expect(pending!.verifier_ciphertext).toMatch(/^v1\./);

    const callback = await consentAtGoogle(start.body.authorization_url);
    expect(callback.pathname).toBe(CALLBACK_PATH);
    const back = keep(await browse(callback.toString(), {}, browser));
    expect(back.status).toBe(302);
    expect(back.location!.origin + back.location!.pathname).toBe(RETURN_URL);
    expect(Object.fromEntries(back.location!.searchParams)).toEqual({ integration: 'google_calendar', status: 'connected' });

    // The token request: the same redirect URI, a verifier matching the challenge (the fake checks it), client auth.
    const tokenRequest = fake.requests.filter((r) => r.path === '/token').at(-1)!;
    expect(tokenRequest.form).toMatchObject({ grant_type: 'authorization_code', redirect_uri: `${server.url}${CALLBACK_PATH}`, client_id: fake.clientId });
    expect(tokenRequest.form.code_verifier).toMatch(/^[A-Za-z0-9_-]{43,128}$/);

    const list = keep(await api.get('/api/integrations', { token: u.accessToken }));
    expect(list.status).toBe(200);
    expect(list.body).toHaveLength(1);
    const [integration] = list.body;
    expect(Object.keys(integration).sort()).toEqual(['account_email', 'connected_at', 'expires_at', 'provider', 'scopes', 'status']);
    expect(integration).toMatchObject({ provider: 'google_calendar', status: 'connected' });
    expect(integration.account_email).toMatch(/@gmail\.example$/);
    expect(integration.scopes).toContain(CALENDAR_SCOPE);
    expect(Date.parse(integration.expires_at)).toBeGreaterThan(Date.now() + 3000 * 1000);

    // At rest: one sealed value, with the id of the key that sealed it; no token in the clear.
    const [stored] = await rows(server, 'integrations', u.user.id);
    expect(stored!.key_id).toBe('test1');
    expect(stored!.token_ciphertext).toMatch(/^v1\./);
    const dump = JSON.stringify(stored);
    for (const secret of fake.secrets()) expect(dump).not.toContain(secret);
    // The state was consumed.
    expect(await rows(server, 'integration_oauth_states', u.user.id)).toHaveLength(0);
  });

  it('answers 302 to the consent page with redirect=true', async () => {
    const u = await signUp(api);
    const r = await browse(`${server.url}/api/integrations/google-calendar/connect?redirect=true`, { authorization: `Bearer ${u.accessToken}` });
    expect(r.status).toBe(302);
    expect(r.location!.origin).toBe(fake.url);
    expect(r.location!.searchParams.get('code_challenge_method')).toBe('S256');
  });

  it('reconnecting replaces the connection; connecting another Google account revokes the first grant', async () => {
    const u = await signUp(api);
    const first = fake.newAccount();
    const second = fake.newAccount();
    fake.consent({ account: first }, { account: second });
    await connectThroughRest(api, { token: u.accessToken });
    await connectThroughRest(api, { token: u.accessToken });
    const list = await api.get('/api/integrations', { token: u.accessToken });
    expect(list.body).toHaveLength(1);
    expect(list.body[0].account_email).toBe(second.email);
    expect(fake.grantsOf(first.email)).toEqual([expect.objectContaining({ revoked: true })]);
    expect(fake.grantsOf(second.email)).toEqual([expect.objectContaining({ revoked: false })]);
  });
});

describe('connecting Google Calendar through GraphQL', () => {
  it('starts the flow and finishes it with the parameters of the redirect', async () => {
    const u = await signUp(api);
    const start = keep(await gql(server.url, ConnectGoogleCalendarDocument, {}, u.accessToken));
    expect(start.errors).toBeUndefined();
    const { authorizationUrl, state, expiresAt } = start.data!.connectGoogleCalendar;
    expect(new URL(authorizationUrl).searchParams.get('state')).toBe(state);
    expect(Date.parse(expiresAt)).toBeGreaterThan(Date.now());
    const callback = await consentAtGoogle(authorizationUrl);
    const done = keep(
      await gql(
        server.url,
        CompleteGoogleCalendarConnectionDocument,
        { input: { state: callback.searchParams.get('state'), code: callback.searchParams.get('code'), iss: callback.searchParams.get('iss') } },
        u.accessToken,
      ),
    );
    expect(done.errors).toBeUndefined();
    expect(done.data!.completeGoogleCalendarConnection.integration).toMatchObject({ provider: 'GOOGLE_CALENDAR', status: 'CONNECTED' });
    const list = keep(await gql(server.url, IntegrationsDocument, {}, u.accessToken));
    expect(list.data!.integrations).toEqual([expect.objectContaining({ provider: 'GOOGLE_CALENDAR', status: 'CONNECTED', accountEmail: expect.stringMatching(/@/) })]);
    // One id per user and provider, whether connected or not: the object a client caches changes in place.
    expect(list.data!.integrations[0]!.id).toBe(done.data!.completeGoogleCalendarConnection.integration.id);
    const off = keep(await gql(server.url, DisconnectGoogleCalendarDocument, {}, u.accessToken));
    expect(off.data!.disconnectGoogleCalendar.integration).toMatchObject({ id: list.data!.integrations[0]!.id, status: 'NOT_CONNECTED', accountEmail: null, scopes: [] });
    expect((keep(await gql(server.url, IntegrationsDocument, {}, u.accessToken))).data!.integrations).toEqual([off.data!.disconnectGoogleCalendar.integration]);
    expect((await api.get('/api/integrations', { token: u.accessToken })).body).toEqual([]);
    const node = await gql(server.url, IntegrationNodeDocument, { id: list.data!.integrations[0]!.id }, u.accessToken);
    expect(node.data?.node).toMatchObject({ __typename: 'Integration', provider: 'GOOGLE_CALENDAR', status: 'NOT_CONNECTED' });
    const other = await signUp(api);
    expect((await gql(server.url, IntegrationNodeDocument, { id: list.data!.integrations[0]!.id }, other.accessToken)).data).toEqual({ node: null });
  });
});

describe('using the calendar', () => {
  it('lists upcoming events and schedules study sessions, through REST and GraphQL', async () => {
    const u = await signUp(api);
    await api.patch('/api/auth/me', { timezone: 'Europe/Paris' }, { token: u.accessToken });
    await connectThroughRest(api, { token: u.accessToken });
    const email = (await api.get('/api/integrations', { token: u.accessToken })).body[0].account_email as string;
    const hour = 3_600_000;
    const t0 = Math.ceil(Date.now() / hour) * hour;
    fake.addEvent(email, { summary: 'Dentist', start: { dateTime: new Date(t0 + 2 * hour).toISOString() }, end: { dateTime: new Date(t0 + 3 * hour).toISOString() } });
    fake.addEvent(email, { summary: 'Holiday', start: { date: new Date(t0 + 48 * hour).toISOString().slice(0, 10) }, end: { date: new Date(t0 + 72 * hour).toISOString().slice(0, 10) } });
    fake.addEvent(email, { summary: 'Far away', start: { dateTime: new Date(t0 + 30 * 24 * hour).toISOString() }, end: { dateTime: new Date(t0 + 30 * 24 * hour + hour).toISOString() } });

    const viaRest = keep(
      await api.post(
        '/api/integrations/google-calendar/study-sessions',
        { title: 'XEL: past tenses', start: new Date(t0 + hour).toISOString(), duration_minutes: 45, description: 'Module B1' },
        { token: u.accessToken },
      ),
    );
    expect(viaRest.status).toBe(201);
    expect(viaRest.body).toMatchObject({
      title: 'XEL: past tenses',
      description: 'Module B1',
      start: new Date(t0 + hour).toISOString(),
      end: new Date(t0 + hour + 45 * 60_000).toISOString(),
      all_day: false,
      timezone: 'Europe/Paris',
      status: 'confirmed',
      study_session: true,
    });
    expect(viaRest.body.html_link).toMatch(/^https:\/\//);

    const viaGraphql = keep(
      await gql(
        server.url,
        ScheduleStudySessionDocument,
        { input: { title: 'Listening practice', start: new Date(t0 + 4 * hour).toISOString(), end: new Date(t0 + 5 * hour).toISOString(), timezone: 'America/New_York' } },
        u.accessToken,
      ),
    );
    expect(viaGraphql.errors).toBeUndefined();
    expect(viaGraphql.data!.scheduleStudySession.event).toMatchObject({
      title: 'Listening practice',
      start: new Date(t0 + 4 * hour).toISOString(),
      startDate: null,
      timezone: 'America/New_York',
      status: 'CONFIRMED',
      studySession: true,
    });
    expect(viaGraphql.data!.scheduleStudySession.integration).toMatchObject({ status: 'CONNECTED' });
    // What reached Google: the event in the user's time zone, marked as ours.
    const inserted = fake.events(email).find((e) => e.summary === 'XEL: past tenses')!;
    expect(inserted.start).toEqual({ dateTime: new Date(t0 + hour).toISOString(), timeZone: 'Europe/Paris' });
    // (and the fingerprint of the request, which tells a retry from another session under the same key)
    expect(inserted.extendedProperties).toEqual({ private: { xentreeKind: 'study_session', xentreeRequest: expect.stringMatching(/^[0-9a-f]{64}$/) } });
    // Its id is ours, derived from the request (base32hex, as Google takes ids): a retry finds it.
    expect(inserted.id).toMatch(/^[a-v0-9]{52}$/);

    const listed = keep(await api.get(`/api/integrations/google-calendar/events?from=${new Date(t0).toISOString()}&to=${new Date(t0 + 7 * 24 * hour).toISOString()}`, { token: u.accessToken }));
    expect(listed.status).toBe(200);
    expect(listed.body.map((e: any) => e.title)).toEqual(['XEL: past tenses', 'Dentist', 'Listening practice', 'Holiday']);
    expect(listed.headers.get('x-total-count')).toBe('4');
    const holiday = listed.body.find((e: any) => e.title === 'Holiday');
    expect(holiday).toMatchObject({ all_day: true, start: new Date(t0 + 48 * hour).toISOString().slice(0, 10), study_session: false });

    const paged = await api.get(`/api/integrations/google-calendar/events?from=${new Date(t0).toISOString()}&limit=2&offset=1`, { token: u.accessToken });
    expect(paged.body.map((e: any) => e.title)).toEqual(['Dentist', 'Listening practice']);
    expect(paged.headers.get('x-total-count')).toBe('4');

    const g = keep(await gql(server.url, CalendarEventsDocument, { from: new Date(t0).toISOString(), first: 2 }, u.accessToken));
    expect(g.errors).toBeUndefined();
    const first = g.data!.calendarEvents!;
    expect(first.edges.map((e) => e.node.title)).toEqual(['XEL: past tenses', 'Dentist']);
    expect(first).toMatchObject({ totalCount: 4, pageInfo: { hasNextPage: true, hasPreviousPage: false } });
    // The next page starts after the cursor's event, even when an event lands before it meanwhile.
    fake.addEvent(email, { summary: 'Squeezed in', start: { dateTime: new Date(t0 + 10 * 60_000).toISOString() }, end: { dateTime: new Date(t0 + 20 * 60_000).toISOString() } });
    const next = keep(await gql(server.url, CalendarEventsDocument, { from: new Date(t0).toISOString(), first: 5, after: first.pageInfo.endCursor }, u.accessToken));
    expect(next.data!.calendarEvents!.edges.map((e) => e.node.title)).toEqual(['Listening practice', 'Holiday']);
    expect(next.data!.calendarEvents!.edges[1]!.node).toMatchObject({ allDay: true, start: null, startDate: new Date(t0 + 48 * hour).toISOString().slice(0, 10) });
    const back = keep(await gql(server.url, CalendarEventsDocument, { from: new Date(t0).toISOString(), last: 2, before: first.edges[1]!.cursor }, u.accessToken));
    expect(back.data!.calendarEvents!.edges.map((e) => e.node.title)).toEqual(['Squeezed in', 'XEL: past tenses']);
    expect(back.data!.calendarEvents!.pageInfo).toMatchObject({ hasPreviousPage: false, hasNextPage: true });
    const node = keep(await gql(server.url, IntegrationNodeDocument, { id: first.edges[1]!.node.id }, u.accessToken));
    expect(node.data?.node).toMatchObject({ __typename: 'CalendarEvent', title: 'Dentist' });
    const stranger = await signUp(api);
    expect((await gql(server.url, IntegrationNodeDocument, { id: first.edges[1]!.node.id }, stranger.accessToken)).data).toEqual({ node: null });
    const badRange = await gql(server.url, CalendarEventsDocument, { from: new Date(t0).toISOString(), to: new Date(t0).toISOString() }, u.accessToken);
    expect(badRange.data).toEqual({ calendarEvents: null });
    expect(badRange.errors![0]!.extensions).toMatchObject({ code: 'validation_error', fields: [{ path: ['to'], message: 'must be after from' }] });
  });

  it('schedules a study session for an XEL module: its title and description by default, its id kept on the event', async () => {
    const u = await signUp(api);
    await connectThroughRest(api, { token: u.accessToken });
    const email = (await api.get('/api/integrations', { token: u.accessToken })).body[0].account_email as string;
    const mod = (await api.get('/api/xel/modules?level=B1&skill=writing', { token: u.accessToken })).body[0];
    const r = await api.post('/api/integrations/google-calendar/study-sessions', { xel_module_id: mod.slug, start: '2030-02-01T18:00:00Z', duration_minutes: 30 }, { token: u.accessToken });
    expect(r.status).toBe(201);
    expect(r.body.title).toBe(`Xentree English: ${mod.title}`);
    expect(r.body.description).toContain(mod.description);
    const inserted = fake.events(email).find((e) => e.summary === `Xentree English: ${mod.title}`)!;
    expect(inserted.extendedProperties?.private).toMatchObject({ xentreeKind: 'study_session', xelModuleId: mod.id });
    const unknown = await api.post('/api/integrations/google-calendar/study-sessions', { xel_module_id: 'no-such-module', start: '2030-02-01T18:00:00Z', duration_minutes: 30 }, { token: u.accessToken });
    expect(unknown.status).toBe(404);
    const neither = await api.post('/api/integrations/google-calendar/study-sessions', { start: '2030-02-01T18:00:00Z', duration_minutes: 30 }, { token: u.accessToken });
    expect(neither.status).toBe(400);
    expect(JSON.stringify(neither.body.detail.fields)).toContain('title');
    expect(fake.events(email).filter((e) => e.start.dateTime === '2030-02-01T18:00:00.000Z')).toHaveLength(1);
  });

  it('validates the time range and the session the same way through both doors', async () => {
    const u = await signUp(api);
    await connectThroughRest(api, { token: u.accessToken });
    const camel = (x: string) => x.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    const restFields = (r: { body: any }) => r.body.detail.fields.map((f: any) => `${f.loc.slice(1).map(camel).join('.')}: ${f.message}`).sort();
    const gqlFields = (r: { errors?: readonly any[] }) => r.errors![0].extensions.fields.map((f: any) => `${f.path.join('.')}: ${f.message}`).sort();

    const range = { from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' };
    const badRange = await api.get(`/api/integrations/google-calendar/events?from=${range.from}&to=${range.to}`, { token: u.accessToken });
    expect(badRange.status).toBe(400);
    expect(restFields(badRange)).toEqual(['to: must be after from']);
    expect(gqlFields(await gql(server.url, CalendarEventsDocument, range, u.accessToken))).toEqual(['to: must be after from']);

    const session = { title: '  ', start: '2030-01-01T10:00:00Z', timezone: 'Mars/Olympus', durationMinutes: 30 };
    const rest = await api.post('/api/integrations/google-calendar/study-sessions', { ...session, duration_minutes: 30 }, { token: u.accessToken });
    expect(rest.status).toBe(400);
    const g = await gql(server.url, ScheduleStudySessionDocument, { input: session }, u.accessToken);
    expect(errorCode(g)).toBe('validation_error');
    expect(restFields(rest)).toEqual(gqlFields(g));
    expect(restFields(rest).map((f: string) => f.split(':')[0])).toEqual(['timezone', 'title']);
    // Not an instant: REST names the field; GraphQL's DateTime type refuses the variable before any resolver runs.
    const notInstant = await api.post('/api/integrations/google-calendar/study-sessions', { title: 'x', start: 'tomorrow', duration_minutes: 30 }, { token: u.accessToken });
    expect(restFields(notInstant)).toEqual(['start: start must be an ISO-8601 date-time with a time zone, e.g. 2026-03-01T09:00:00Z']);
    const gNotInstant = await gql(server.url, ScheduleStudySessionDocument, { input: { title: 'x', start: 'tomorrow', durationMinutes: 30 } }, u.accessToken);
    expect(gNotInstant.data ?? null).toBeNull();
    expect(gNotInstant.errors).toHaveLength(1);

    const both = { title: 'x', start: '2030-01-01T10:00:00Z', end: '2030-01-01T11:00:00Z' };
    const r2 = await api.post('/api/integrations/google-calendar/study-sessions', { ...both, duration_minutes: 30 }, { token: u.accessToken });
    const g2 = await gql(server.url, ScheduleStudySessionDocument, { input: { ...both, durationMinutes: 30 } }, u.accessToken);
    expect(restFields(r2)).toEqual(['durationMinutes: give either end or a duration, not both']);
    expect(gqlFields(g2)).toEqual(restFields(r2));
  });

  it("answers Google's outages and rate limits as upstream_unavailable and rate_limited, keeping the connection", async () => {
    const u = await signUp(api);
    await connectThroughRest(api, { token: u.accessToken });
    fake.failCalendar(503);
    const down = await api.get('/api/integrations/google-calendar/events', { token: u.accessToken });
    expect(down.status).toBe(502);
    expect(down.body.detail).toMatchObject({ error: 'upstream_unavailable', reason: 'google_unavailable' });
    fake.failCalendar(429);
    const limited = await gql(server.url, CalendarEventsDocument, {}, u.accessToken);
    expect(errorCode(limited)).toBe('rate_limited');
    fake.failCalendar(429);
    const limitedRest = await api.post('/api/integrations/google-calendar/study-sessions', { title: 'x', start: '2030-01-01T10:00:00Z', duration_minutes: 30 }, { token: u.accessToken });
    expect(limitedRest.status).toBe(429);
    expect(limitedRest.headers.get('retry-after')).toBe('30');
    expect((await api.get('/api/integrations', { token: u.accessToken })).body[0].status).toBe('connected');
    expect((await api.get('/api/integrations/google-calendar/events', { token: u.accessToken })).status).toBe(200);
    // An answer that does not conform is Google's failure too, on both doors: not a crash of ours.
    for (const items of [[{ id: 'e1', status: 'confirmed', start: { dateTime: 'not a date' }, end: { dateTime: 'not a date' } }], [null], [{ summary: 'no id' }]]) {
      fake.answerCalendarWith(items);
      const odd = await api.get('/api/integrations/google-calendar/events', { token: u.accessToken });
      expect(odd.status, JSON.stringify(items)).toBe(502);
      expect(odd.body.detail).toMatchObject({ error: 'upstream_unavailable', reason: 'google_unavailable' });
      fake.answerCalendarWith(items);
      expect(errorCode(await gql(server.url, CalendarEventsDocument, {}, u.accessToken))).toBe('upstream_unavailable');
    }
    expect((await api.get('/api/integrations', { token: u.accessToken })).body[0].status).toBe('connected');
  });

  it("does not read an answer of Google's past 32 MB: upstream_unavailable, keeping the connection", async () => {
    const u = await signUp(api);
    await connectThroughRest(api, { token: u.accessToken });
    const huge = { id: 'e1', status: 'confirmed', description: 'x'.repeat(33 * 1024 * 1024), start: { dateTime: '2030-01-01T10:00:00Z' }, end: { dateTime: '2030-01-01T11:00:00Z' } };
    fake.answerCalendarWith([huge]);
    const res = await api.get('/api/integrations/google-calendar/events', { token: u.accessToken });
    expect(res.status).toBe(502);
    expect(res.body.detail).toMatchObject({ error: 'upstream_unavailable', reason: 'google_unavailable' });
    expect((await api.get('/api/integrations', { token: u.accessToken })).body[0].status).toBe('connected');
    expect((await api.get('/api/integrations/google-calendar/events', { token: u.accessToken })).status).toBe(200);
  });

  it('says so when nothing is connected', async () => {
    const u = await signUp(api);
    const r = await api.get('/api/integrations/google-calendar/events', { token: u.accessToken });
    expect(r.status).toBe(404);
    expect(errorCode(await gql(server.url, CalendarEventsDocument, {}, u.accessToken))).toBe('not_found');
    // What could be connected: Google Calendar, not connected, through both doors.
    expect((await api.get('/api/integrations', { token: u.accessToken })).body).toEqual([]);
    const available = await api.get('/api/integrations?include=available', { token: u.accessToken });
    expect(available.status).toBe(200);
    expect(available.body).toEqual([{ provider: 'google_calendar', status: 'not_connected', account_email: null, scopes: [], connected_at: null, expires_at: null }]);
    expect(keep(await gql(server.url, IntegrationsDocument, {}, u.accessToken)).data!.integrations).toMatchObject([{ provider: 'GOOGLE_CALENDAR', status: 'NOT_CONNECTED' }]);
  });
});

describe('tokens', () => {
  it('are refreshed before they expire, and not otherwise', async () => {
    const u = await signUp(api);
    fake.accessTokenTtlSeconds = 60; // within the 300 s margin: the first use refreshes
    try {
      await connectThroughRest(api, { token: u.accessToken });
    } finally {
      fake.accessTokenTtlSeconds = 3599;
    }
    const before = fake.requests.length;
    const r = await api.get('/api/integrations/google-calendar/events', { token: u.accessToken });
    expect(r.status).toBe(200);
    const calls = fake.requests.slice(before);
    expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual(['POST /token', 'GET /calendar/v3/calendars/primary/events']);
    expect(calls[0]!.form.grant_type).toBe('refresh_token');
    const [stored] = await rows(server, 'integrations', u.user.id);
    expect(stored!.last_refreshed_at).not.toBeNull();
    const list = await api.get('/api/integrations', { token: u.accessToken });
    expect(Date.parse(list.body[0].expires_at)).toBeGreaterThan(Date.now() + 3000 * 1000);

    // Now valid for an hour: used as it is.
    const again = fake.requests.length;
    expect((await api.get('/api/integrations/google-calendar/events', { token: u.accessToken })).status).toBe(200);
    expect(fake.requests.slice(again).map((c) => c.path)).toEqual(['/calendar/v3/calendars/primary/events']);
  });

  it('take an expiry longer than a day (up to one no date can hold) as a day, connecting and refreshing alike', async () => {
    const u = await signUp(api);
    fake.accessTokenTtlSeconds = 1e300;
    try {
      const { returned } = await connectThroughRest(api, { token: u.accessToken });
      expect(returned.searchParams.get('status')).toBe('connected');
    } finally {
      fake.accessTokenTtlSeconds = 3599;
    }
    const listed = await api.get('/api/integrations', { token: u.accessToken });
    const expiresAt = Date.parse(listed.body[0].expires_at);
    expect(expiresAt).toBeGreaterThan(Date.now() + 23 * 3600 * 1000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 24 * 3600 * 1000);

    const v = await signUp(api);
    fake.accessTokenTtlSeconds = 60; // within the 300 s margin: the first use refreshes
    try {
      await connectThroughRest(api, { token: v.accessToken });
      fake.accessTokenTtlSeconds = 1e300;
      const events = await api.get('/api/integrations/google-calendar/events', { token: v.accessToken });
      expect(events.status).toBe(200);
    } finally {
      fake.accessTokenTtlSeconds = 3599;
    }
    const [stored] = await rows(server, 'integrations', v.user.id);
    expect(stored!.last_refreshed_at).not.toBeNull();
  });

  it('are refreshed ahead of expiry by a background job, once however often the scan runs, and a revoked grant there needs reconnection', async () => {
    const u = await signUp(api);
    fake.accessTokenTtlSeconds = 400; // past the 300 s margin (no call refreshes it) but within margin + scan period
    try {
      await connectThroughRest(api, { token: u.accessToken });
    } finally {
      fake.accessTokenTtlSeconds = 3599;
    }
    const { integrations, jobs } = server.app.services;
    const before = fake.requests.length;
    // The scan (the recurring job's body) finds it; twice in a row still makes one job. (The
    // recurring scan may have run first and enqueued it: then this call adds nothing, hence the count below.)
    await integrations.enqueueDueRefreshes(server.app.orm.em.fork());
    await integrations.enqueueDueRefreshes(server.app.orm.em.fork());
    const refreshes = () => fake.requests.slice(before).filter((c) => c.path === '/token' && c.form.grant_type === 'refresh_token');
    const queued = await server.app.orm.em.fork().getConnection().execute<{ n: number | string }[]>(`select count(*) as n from jobs where queue = 'integrations.refresh'`);
    // Waiting, or already taken by the app's own runner (which may be running it while drain returns).
    expect(Number(queued[0]!.n) + refreshes().length).toBeGreaterThanOrEqual(1);
    await jobs.drain();
    await until(async () => (await rows(server, 'integrations', u.user.id))[0]?.last_refreshed_at != null, WAIT_MS, 'the refresh job stored its token');
    expect(refreshes()).toHaveLength(1);
    expect(Date.parse(String((await api.get('/api/integrations', { token: u.accessToken })).body[0].expires_at))).toBeGreaterThan(Date.now() + 3000 * 1000);
    // Fresh now: another scan enqueues nothing for it, and a calendar call needs no refresh.
    await integrations.enqueueDueRefreshes(server.app.orm.em.fork());
    await jobs.drain();
    expect(refreshes()).toHaveLength(1);
    expect((await api.get('/api/integrations/google-calendar/events', { token: u.accessToken })).status).toBe(200);
    expect(refreshes()).toHaveLength(1);

    // A grant revoked at Google: the job's refresh is refused, the connection needs reconnection, the job is done (not retried).
    const v = await signUp(api);
    fake.accessTokenTtlSeconds = 400;
    try {
      await connectThroughRest(api, { token: v.accessToken });
    } finally {
      fake.accessTokenTtlSeconds = 3599;
    }
    const [row] = await rows(server, 'integrations', v.user.id);
    fake.revokeUserAccess(row!.account_email);
    await integrations.enqueueDueRefreshes(server.app.orm.em.fork());
    await jobs.drain();
    await until(async () => (await rows(server, 'integrations', v.user.id))[0]?.status === 'needs_reconnection', WAIT_MS, 'the refused refresh marked the connection');
    const [after] = await rows(server, 'integrations', v.user.id);
    expect(after).toMatchObject({ status: 'needs_reconnection', last_error: 'invalid_grant' });
    const left = () => server.app.orm.em.fork().getConnection().execute<unknown[]>(`select id from jobs where queue = 'integrations.refresh'`);
    await until(async () => (await left()).length === 0, WAIT_MS, 'the refused refresh job is done, not retried');
  });

  it('a revoked grant (401 from the calendar, invalid_grant on refresh) marks the integration as needing reconnection, and reconnecting mends it', async () => {
    const u = await signUp(api);
    await connectThroughRest(api, { token: u.accessToken });
    const email = (await api.get('/api/integrations', { token: u.accessToken })).body[0].account_email;
    fake.revokeUserAccess(email);

    const before = fake.requests.length;
    const r = await api.get('/api/integrations/google-calendar/events', { token: u.accessToken });
    expect(r.status).toBe(409);
    expect(r.body.detail).toMatchObject({ error: 'conflict', reason: 'needs_reconnection', provider: 'google_calendar' });
    expect(fake.requests.slice(before).map((c) => `${c.method} ${c.path} ${c.form.grant_type ?? ''}`.trim())).toEqual([
      'GET /calendar/v3/calendars/primary/events',
      'POST /token refresh_token',
    ]);
    // Not active any more: out of the default list, listed with include=available.
    expect((await api.get('/api/integrations', { token: u.accessToken })).body).toEqual([]);
    const list = await api.get('/api/integrations?include=available', { token: u.accessToken });
    expect(list.body[0]).toMatchObject({ status: 'needs_reconnection', expires_at: null });
    const g = await gql(server.url, IntegrationsDocument, {}, u.accessToken);
    expect(g.data!.integrations[0]!.status).toBe('NEEDS_RECONNECTION');
    expect(errorCode(await gql(server.url, CalendarEventsDocument, {}, u.accessToken))).toBe('conflict');
    // Nothing usable is kept, and Google is not asked again.
    const [stored] = await rows(server, 'integrations', u.user.id);
    expect(stored).toMatchObject({ status: 'needs_reconnection', last_error: 'invalid_grant', token_ciphertext: null, key_id: null });
    const quiet = fake.requests.length;
    expect((await api.post('/api/integrations/google-calendar/study-sessions', { title: 'x', start: '2030-01-01T10:00:00Z', duration_minutes: 30 }, { token: u.accessToken })).status).toBe(409);
    expect(fake.requests.length).toBe(quiet);

    await connectThroughRest(api, { token: u.accessToken });
    expect((await api.get('/api/integrations', { token: u.accessToken })).body[0].status).toBe('connected');
    expect((await api.get('/api/integrations/google-calendar/events', { token: u.accessToken })).status).toBe(200);
  });

  it('an expiring token whose refresh is refused also needs reconnection', async () => {
    const u = await signUp(api);
    fake.accessTokenTtlSeconds = 30;
    try {
      await connectThroughRest(api, { token: u.accessToken });
    } finally {
      fake.accessTokenTtlSeconds = 3599;
    }
    fake.revokeUserAccess((await api.get('/api/integrations', { token: u.accessToken })).body[0].account_email);
    const r = await gql(server.url, CalendarEventsDocument, {}, u.accessToken);
    expect(errorCode(r)).toBe('conflict');
    expect(r.errors![0]!.extensions!.reason).toBe('needs_reconnection');
  });
});

describe('disconnecting', () => {
  it('revokes the grant at Google and deletes the tokens, through REST', async () => {
    const u = await signUp(api);
    await connectThroughRest(api, { token: u.accessToken });
    const email = (await api.get('/api/integrations', { token: u.accessToken })).body[0].account_email;
    const before = fake.requests.length;
    const r = await api.delete('/api/integrations/google-calendar', { token: u.accessToken });
    expect(r.status).toBe(204);
    const revocation = fake.requests.slice(before).find((c) => c.path === '/revoke')!;
    expect(revocation.form.token).toMatch(/^1\/\//); // the refresh token: the whole grant goes
    expect(fake.grantsOf(email)).toEqual([expect.objectContaining({ revoked: true })]);
    expect(await rows(server, 'integrations', u.user.id)).toHaveLength(0);
    expect((await api.get('/api/integrations', { token: u.accessToken })).body).toEqual([]);
    expect((await api.get('/api/integrations?include=available', { token: u.accessToken })).body).toMatchObject([{ provider: 'google_calendar', status: 'not_connected', account_email: null }]);
    expect((await api.delete('/api/integrations/google-calendar', { token: u.accessToken })).status).toBe(404);
  });

  it('through GraphQL, also when the grant is already gone', async () => {
    const u = await signUp(api);
    await connectThroughRest(api, { token: u.accessToken });
    const email = (await api.get('/api/integrations', { token: u.accessToken })).body[0].account_email;
    fake.revokeUserAccess(email);
    const r = await gql(server.url, DisconnectGoogleCalendarDocument, {}, u.accessToken);
    expect(r.errors).toBeUndefined();
    expect(r.data!.disconnectGoogleCalendar.integration).toMatchObject({ status: 'NOT_CONNECTED' });
    expect(await rows(server, 'integrations', u.user.id)).toHaveLength(0);
    expect(errorCode(await gql(server.url, DisconnectGoogleCalendarDocument, {}, u.accessToken))).toBe('not_found');
  });
});

describe('a bad callback stores nothing', () => {
  /** The browser of the latest `started` flow, holding its binding cookie. */
  let browser = new CookieJar();

  /** Starts a flow in a fresh browser and returns Google's redirect back (not yet followed). */
  async function started(token: string): Promise<URL> {
    browser = new CookieJar();
    return (await startInBrowser(api, { token }, browser)).callback;
  }

  async function expectError(url: string, reason: string, headers: Record<string, string> = {}, jar: CookieJar | undefined = browser): Promise<void> {
    const r = await browse(url, headers, jar);
    expect(r.status, r.body).toBe(302);
    const q = Object.fromEntries(r.location!.searchParams);
    expect(r.location!.origin + r.location!.pathname).toBe(RETURN_URL);
    expect(q).toMatchObject({ integration: 'google_calendar', status: 'error', error: reason });
    expect(q.error_description!.length).toBeGreaterThan(10);
  }

  async function expectNothingStored(userId: string): Promise<void> {
    expect(await rows(server, 'integrations', userId)).toHaveLength(0);
  }

  it('a query the route refuses (too long, repeated, NUL) still goes back to the app, and burns nothing', async () => {
    const u = await signUp(api);
    const back = await started(u.accessToken);
    const long = new URL(back);
    long.searchParams.set('code', 'x'.repeat(3000));
    await expectError(long.toString(), 'validation_error');
    const twice = new URL(back);
    twice.searchParams.append('state', 'again');
    await expectError(twice.toString(), 'validation_error');
    await expectError(`${back.toString()}&iss=%00`, 'validation_error');
    await expectNothingStored(u.user.id);
    // Refused before the service: the state is still good for the real redirect.
    const done = await browse(back.toString(), {}, browser);
    expect(Object.fromEntries(done.location!.searchParams)).toMatchObject({ status: 'connected' });
  });

  it('missing state', async () => {
    const u = await signUp(api);
    const back = await started(u.accessToken);
    back.searchParams.delete('state');
    await expectError(back.toString(), 'missing_state');
    await expectNothingStored(u.user.id);
  });

  it('unknown state', async () => {
    const u = await signUp(api);
    const back = await started(u.accessToken);
    back.searchParams.set('state', 'x'.repeat(43));
    await expectError(back.toString(), 'invalid_state');
    await expectNothingStored(u.user.id);
  });

  it('expired state', async () => {
    const u = await signUp(api);
    const back = await started(u.accessToken);
    await server.app.orm.em.fork().getConnection().execute('update integration_oauth_states set expires_at = ? where user_id = ?', [
      server.config.db.driver === 'sqlite' ? Date.now() - 1000 : new Date(Date.now() - 1000),
      u.user.id,
    ]);
    await expectError(back.toString(), 'state_expired');
    await expectNothingStored(u.user.id);
  });

  it('replayed state and code', async () => {
    const u = await signUp(api);
    const { callback } = await connectThroughRest(api, { token: u.accessToken });
    const [before] = await rows(server, 'integrations', u.user.id);
    const tokenCalls = fake.requests.filter((r) => r.path === '/token').length;
    await expectError(callback.toString(), 'invalid_state');
    const [after] = await rows(server, 'integrations', u.user.id);
    expect(after!.token_ciphertext).toBe(before!.token_ciphertext);
    expect(fake.requests.filter((r) => r.path === '/token').length).toBe(tokenCalls);
  });

  it("another user's state, through REST and GraphQL (the state is burnt)", async () => {
    const alice = await signUp(api);
    const mallory = await signUp(api);
    const back = await started(alice.accessToken);
    await expectError(back.toString(), 'state_user_mismatch', { authorization: `Bearer ${mallory.accessToken}` });
    await expectNothingStored(alice.user.id);
    await expectNothingStored(mallory.user.id);
    // Alice cannot finish it either now: it was single use.
    await expectError(back.toString(), 'invalid_state');

    const back2 = await started(alice.accessToken);
    const g = await gql(server.url, CompleteGoogleCalendarConnectionDocument, { input: { state: back2.searchParams.get('state'), code: back2.searchParams.get('code') } }, mallory.accessToken);
    expect(errorCode(g)).toBe('forbidden');
    expect(g.errors![0]!.extensions!.reason).toBe('state_user_mismatch');
    await expectNothingStored(alice.user.id);
    await expectNothingStored(mallory.user.id);
  });

  it('no code', async () => {
    const u = await signUp(api);
    const back = await started(u.accessToken);
    back.searchParams.delete('code');
    await expectError(back.toString(), 'missing_code');
    await expectNothingStored(u.user.id);
  });

  it('access_denied from the consent page', async () => {
    const u = await signUp(api);
    fake.consent({ decision: 'deny' });
    const back = await started(u.accessToken);
    expect(back.searchParams.get('error')).toBe('access_denied');
    await expectError(back.toString(), 'access_denied');
    await expectNothingStored(u.user.id);
  });

  it('invalid_grant from the token endpoint', async () => {
    const u = await signUp(api);
    const back = await started(u.accessToken);
    back.searchParams.set('code', '4/0Anot-a-code-google-issued');
    await expectError(back.toString(), 'invalid_grant');
    await expectNothingStored(u.user.id);
  });

  it('calendar access unticked on the consent page: the grant is revoked again', async () => {
    const u = await signUp(api);
    const account = fake.newAccount();
    fake.consent({ account, grantScopes: ['openid', 'email'] });
    const back = await started(u.accessToken);
    await expectError(back.toString(), 'insufficient_scope');
    await expectNothingStored(u.user.id);
    expect(fake.grantsOf(account.email)).toEqual([expect.objectContaining({ revoked: true })]);
  });

  it('GraphQL answers the same reasons', async () => {
    const u = await signUp(api);
    const noState = await gql(server.url, CompleteGoogleCalendarConnectionDocument, { input: { code: 'x' } }, u.accessToken);
    expect(errorCode(noState)).toBe('bad_request');
    expect(noState.errors![0]!.extensions!.reason).toBe('missing_state');
    fake.consent({ decision: 'deny' });
    const denied = await started(u.accessToken);
    const g = await gql(server.url, CompleteGoogleCalendarConnectionDocument, { input: { state: denied.searchParams.get('state'), error: denied.searchParams.get('error') } }, u.accessToken);
    expect(g.errors![0]!.extensions).toMatchObject({ code: 'bad_request', reason: 'access_denied' });
    expect(errorCode(await gql(server.url, CompleteGoogleCalendarConnectionDocument, { input: { state: 'x', code: 'y' } }))).toBe('not_authenticated');
    await expectNothingStored(u.user.id);
  });
});

describe('the callback must come from the browser that started the flow (RFC 9700 §4.7)', () => {
  const sha256 = (v: string) => createHash('sha256').update(v).digest('hex');
  const statesOf = (userId: string) => rows(server, 'integration_oauth_states', userId);

  /** Follows Google's redirect back in `jar`'s browser and reads where the gateway sent it. */
  async function callbackIn(callback: URL, jar: CookieJar | undefined, headers: Record<string, string> = {}) {
    const r = keep(await browse(callback.toString(), headers, jar));
    expect(r.status, r.body).toBe(302);
    expect(r.location!.origin + r.location!.pathname).toBe(RETURN_URL);
    return { ...r, query: Object.fromEntries(r.location!.searchParams) };
  }

  it('the binding cookie: one per flow, HttpOnly, SameSite=Lax, Path the callback, Max-Age the state lifetime, only its hash stored; also from ?redirect=true and GraphQL over HTTP', async () => {
    const u = await signUp(api);
    const start = await api.get('/api/integrations/google-calendar/connect', { token: u.accessToken });
    const lines = start.headers.getSetCookie();
    expect(lines).toHaveLength(1);
    const jar = new CookieJar();
    jar.take(start.headers);
    const [cookie] = jar.received;
    expect(cookie!.name).toBe(`xentree_oauth_${sha256(start.body.state).slice(0, 16)}`);
    expect(cookie!.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(cookie!.attributes).toEqual({ path: CALLBACK_PATH, 'max-age': '600', httponly: true, samesite: 'Lax' });
    expect(lines[0]).not.toContain(start.body.state);
    const [pending] = await statesOf(u.user.id);
    expect(pending!.browser_binding_hash).toBe(sha256(cookie!.value));
    // The browser sends it to the callback only.
    expect(jar.header(`${server.url}${CALLBACK_PATH}?state=x`)).toBe(`${cookie!.name}=${cookie!.value}`);
    expect(jar.header(`${server.url}/api/integrations/google-calendar/connect`)).toBeUndefined();
    expect(jar.header(`${server.url}/graphql`)).toBeUndefined();

    const redirected = await browse(`${server.url}/api/integrations/google-calendar/connect?redirect=true`, { authorization: `Bearer ${u.accessToken}` });
    expect(redirected.status).toBe(302);
    expect(redirected.setCookies).toEqual([
      { name: `xentree_oauth_${sha256(redirected.location!.searchParams.get('state')!).slice(0, 16)}`, value: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), attributes: cookie!.attributes },
    ]);

    const viaGraphql = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${u.accessToken}` },
      body: JSON.stringify({ query: 'mutation { connectGoogleCalendar { authorizationUrl state } }' }),
    });
    const g = (await viaGraphql.json()) as { data: { connectGoogleCalendar: { authorizationUrl: string; state: string } } };
    const graphqlJar = new CookieJar();
    graphqlJar.take(viaGraphql.headers);
    expect(graphqlJar.received.map((c) => [c.name, c.attributes])).toEqual([[`xentree_oauth_${sha256(g.data.connectGoogleCalendar.state).slice(0, 16)}`, cookie!.attributes]]);
    // A same-origin app that starts through GraphQL gets the browser back through the REST callback.
    const back = await callbackIn(await consentAtGoogle(g.data.connectGoogleCalendar.authorizationUrl), graphqlJar);
    expect(back.query).toEqual({ integration: 'google_calendar', status: 'connected' });
    expect(graphqlJar.names()).toEqual([]);
  });

  it('the right cookie works and is cleared by the callback; flows started side by side in one browser each keep theirs', async () => {
    const u = await signUp(api);
    const jar = new CookieJar();
    const first = await startInBrowser(api, { token: u.accessToken }, jar);
    const second = await startInBrowser(api, { token: u.accessToken }, jar);
    expect(jar.names()).toHaveLength(2);
    const done = await callbackIn(second.callback, jar);
    expect(done.query).toEqual({ integration: 'google_calendar', status: 'connected' });
    const name = `xentree_oauth_${sha256(second.state).slice(0, 16)}`;
    const cleared = done.setCookies.find((c) => c.name === name)!;
    expect(cleared.value).toBe('');
    expect(cleared.attributes).toMatchObject({ path: CALLBACK_PATH, httponly: true, samesite: 'Lax' });
    expect(Date.parse(cleared.attributes.expires as string)).toBeLessThanOrEqual(Date.now());
    expect(jar.names()).toEqual([`xentree_oauth_${sha256(first.state).slice(0, 16)}`]);
    expect((await callbackIn(first.callback, jar)).query.status).toBe('connected');
    expect(jar.names()).toEqual([]);
    expect(await statesOf(u.user.id)).toHaveLength(0);
  });

  it("the starting user's own credentials stand in for the cookie", async () => {
    const u = await signUp(api);
    const { callback } = await startInBrowser(api, { token: u.accessToken }, new CookieJar());
    const back = await callbackIn(callback, undefined, { authorization: `Bearer ${u.accessToken}` });
    expect(back.query.status).toBe('connected');
    expect(await rows(server, 'integrations', u.user.id)).toHaveLength(1);
  });

  it("the attack: someone else's authorization URL, consented in the victim's browser, attaches nothing to anyone", async () => {
    const attacker = await signUp(api);
    const victim = await signUp(api);
    const victimGoogle = fake.newAccount();
    const attackerBrowser = new CookieJar();
    const tokenCalls = () => fake.requests.filter((r) => r.path === '/token').length;
    const before = tokenCalls();

    // The attacker starts on their own account and sends the authorization URL to the victim.
    const start = await api.get('/api/integrations/google-calendar/connect', { token: attacker.accessToken });
    attackerBrowser.take(start.headers);
    fake.consent({ account: victimGoogle });
    const callback = await consentAtGoogle(start.body.authorization_url);
    // The victim's browser comes back: no cookie for this flow, no credentials.
    const victimBrowser = new CookieJar();
    const refused = await callbackIn(callback, victimBrowser);
    expect(refused.query).toMatchObject({ integration: 'google_calendar', status: 'error', error: 'browser_mismatch' });
    expect(refused.query.error_description).toMatch(/another browser/);
    expect(await rows(server, 'integrations', attacker.user.id)).toHaveLength(0);
    expect(await rows(server, 'integrations', victim.user.id)).toHaveLength(0);
    expect(tokenCalls()).toBe(before); // the code was never exchanged: the gateway holds no token of the victim's

    // The state is burnt: nobody completes it afterwards, not even with the cookie or the attacker's credentials.
    expect((await callbackIn(callback, attackerBrowser)).query.error).toBe('invalid_state');
    const g = await gql(
      server.url,
      CompleteGoogleCalendarConnectionDocument,
      { input: { state: callback.searchParams.get('state'), code: callback.searchParams.get('code'), iss: callback.searchParams.get('iss') } },
      attacker.accessToken,
    );
    expect(g.errors![0]!.extensions).toMatchObject({ code: 'bad_request', reason: 'invalid_state' });
    expect(await statesOf(attacker.user.id)).toHaveLength(0);

    // Coming back with the victim's own credentials (an app holding them) is refused as well.
    const again = await api.get('/api/integrations/google-calendar/connect', { token: attacker.accessToken });
    fake.consent({ account: victimGoogle });
    const callback2 = await consentAtGoogle(again.body.authorization_url);
    expect((await callbackIn(callback2, victimBrowser, { authorization: `Bearer ${victim.accessToken}` })).query.error).toBe('state_user_mismatch');
    expect((await callbackIn(callback2, attackerBrowser)).query.error).toBe('invalid_state');
    expect(await rows(server, 'integrations', attacker.user.id)).toHaveLength(0);
    expect(await rows(server, 'integrations', victim.user.id)).toHaveLength(0);
    expect(tokenCalls()).toBe(before);
  });

  it("a wrong cookie (another value, another flow's) is refused, the state burnt and the cookie cleared", async () => {
    const u = await signUp(api);
    const jar = new CookieJar();
    const { callback, state } = await startInBrowser(api, { token: u.accessToken }, jar);
    const name = `xentree_oauth_${sha256(state).slice(0, 16)}`;
    const forged = await callbackIn(callback, undefined, { cookie: `${name}=${'A'.repeat(43)}` });
    expect(forged.query.error).toBe('browser_mismatch');
    expect(forged.setCookies.map((c) => [c.name, c.value])).toEqual([[name, '']]);
    expect(await rows(server, 'integrations', u.user.id)).toHaveLength(0);
    expect((await callbackIn(callback, jar)).query.error).toBe('invalid_state');

    // The cookie of another flow of the same user, under this flow's name.
    const a = await startInBrowser(api, { token: u.accessToken }, jar);
    const b = await startInBrowser(api, { token: u.accessToken }, new CookieJar());
    const aValue = jar.received.at(-1)!.value;
    const swapped = await callbackIn(b.callback, undefined, { cookie: `xentree_oauth_${sha256(b.state).slice(0, 16)}=${aValue}` });
    expect(swapped.query.error).toBe('browser_mismatch');
    expect(await rows(server, 'integrations', u.user.id)).toHaveLength(0);
    // The flow the cookie belongs to still works in its own browser.
    expect((await callbackIn(a.callback, jar)).query.status).toBe('connected');
  });
});

describe('without a return URL', () => {
  it('the callback answers JSON: the integration, or the error envelope', async () => {
    const s = await startGoogleGateway(fake, { INTEGRATIONS_RETURN_URL: '', TRUST_PROXY: 'true' });
    try {
      const c = restClient(s.url);
      const u = await signUp(c);
      const jar = new CookieJar();
      const { callback: back } = await startInBrowser(c, { token: u.accessToken }, jar);
      const ok = keep(await c.get(back.pathname + back.search, { headers: { cookie: jar.header(back)! } }));
      expect(ok.status).toBe(200);
      expect(ok.body).toMatchObject({ provider: 'google_calendar', status: 'connected' });
      jar.take(ok.headers);
      expect(jar.names()).toEqual([]);
      const replay = await c.get(back.pathname + back.search);
      expect(replay.status).toBe(400);
      expect(replay.body.detail).toMatchObject({ error: 'bad_request', reason: 'invalid_state' });

      // Without the browser's cookie: the error envelope, 403, and the cookie is cleared all the same.
      const other = await startInBrowser(c, { token: u.accessToken }, jar);
      const [name] = jar.names();
      const foreign = await c.get(other.callback.pathname + other.callback.search, { headers: { cookie: `${name}=${'A'.repeat(43)}` } });
      expect(foreign.status).toBe(403);
      expect(foreign.body.detail).toMatchObject({ error: 'forbidden', reason: 'browser_mismatch' });
      jar.take(foreign.headers);
      expect(jar.names()).toEqual([]);

      // Behind a proxy that says the browser used https, the cookie is Secure.
      const viaHttps = await c.get('/api/integrations/google-calendar/connect', { token: u.accessToken, headers: { 'x-forwarded-proto': 'https' } });
      expect(viaHttps.status).toBe(200);
      expect(viaHttps.headers.getSetCookie()[0]).toMatch(/; Secure(;|$)/);
      const plain = await c.get('/api/integrations/google-calendar/connect', { token: u.accessToken });
      expect(plain.headers.getSetCookie()[0]).not.toMatch(/Secure/);
    } finally {
      await s.close();
    }
  });
});

describe('when Google is not configured', () => {
  it('lists the integration as unavailable, and starting says what to configure', async () => {
    const s = await startServer();
    try {
      const c = restClient(s.url);
      const u = await signUp(c);
      expect((await c.get('/api/integrations', { token: u.accessToken })).body).toEqual([]);
      const list = await c.get('/api/integrations?include=available', { token: u.accessToken });
      expect(list.status).toBe(200);
      expect(list.body).toEqual([{ provider: 'google_calendar', status: 'unavailable', account_email: null, scopes: [], connected_at: null, expires_at: null }]);
      const refused = await c.get('/api/integrations?include=everything', { token: u.accessToken });
      expect(refused.status).toBe(400);
      expect(refused.body.detail.error).toBe('validation_error');
      const start = await c.get('/api/integrations/google-calendar/connect', { token: u.accessToken });
      expect(start.status).toBe(503);
      expect(start.body.detail).toMatchObject({ error: 'service_unavailable', missing_configuration: ['GOOGLE_CLIENT_ID', 'GOOGLE_CLIENT_SECRET', 'GOOGLE_REDIRECT_URI'] });
      expect(start.body.detail.message).toContain('GOOGLE_CLIENT_ID');
      const g = await gql(s.url, ConnectGoogleCalendarDocument, {}, u.accessToken);
      expect(errorCode(g)).toBe('service_unavailable');
      expect((await gql(s.url, IntegrationsDocument, {}, u.accessToken)).data!.integrations[0]!.status).toBe('UNAVAILABLE');
      expect((await c.get(`${CALLBACK_PATH}?state=abc&code=def`)).status).toBe(503);
    } finally {
      await s.close();
    }
  });
});

describe('the OpenAPI document', () => {
  it('documents the redirects and the routes of the Integrations section', async () => {
    const doc = (await api.get('/openapi.json')).body;
    const callback = doc.paths[CALLBACK_PATH].get;
    expect(callback.responses['302'].headers.Location).toBeDefined();
    expect(callback.security).toEqual([{}, { bearer: [] }, { apiKey: [] }]);
    expect(doc.paths['/api/integrations/google-calendar/connect'].get.responses['302']).toBeDefined();
    expect(doc.paths['/api/integrations'].get['x-required-scope']).toBe('integrations:read');
    expect(doc.paths['/api/integrations/google-calendar'].delete['x-required-scope']).toBe('integrations:write');
    const body = doc.paths['/api/integrations/google-calendar/study-sessions'].post.requestBody.content['application/json'].schema;
    expect(Object.keys(doc.components.schemas[body.$ref.split('/').pop()].properties)).toEqual(
      expect.arrayContaining(['title', 'start', 'end', 'duration_minutes', 'description', 'timezone']),
    );
  });
});

describe('secrets', () => {
  it('no token, code or verifier appears in any response or log line; the callback URL is logged redacted', async () => {
    expect(fake.secrets().length).toBeGreaterThan(20);
    const logs = logLines.join('');
    expect(logs).toContain(`${CALLBACK_PATH}?code=[redacted]`);
    expect(logs).toContain('access token refreshed');
    const responses = seenBodies.join('\n');
    for (const secret of fake.secrets()) {
      expect(logs).not.toContain(secret);
      expect(responses).not.toContain(secret);
    }
    expect(fake.clientSecret.length).toBeGreaterThan(10);
    expect(logs).not.toContain(fake.clientSecret);
  });
});

describe('a refresh that meets a change of the connection', () => {
  it('a grant that still refreshes but whose tokens the calendar refuses is revoked at Google before its tokens are dropped', async () => {
    // A calendar that refuses every token, as Google does for a grant it no longer honours there.
    const calendar = await httpServer((_req, _body, res) => {
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer error="invalid_token"' });
      res.end(JSON.stringify({ error: { code: 401, message: 'Invalid Credentials', status: 'UNAUTHENTICATED' } }));
    });
    const gw = await startGoogleGateway(fake, { GOOGLE_CALENDAR_API_URL: `${calendar.url}/calendar/v3` });
    try {
      const a = restClient(gw.url);
      const u = await signUp(a);
      const account = fake.newAccount();
      fake.consent({ account });
      await connectThroughRest(a, { token: u.accessToken });
      const r = await a.get('/api/integrations/google-calendar/events', { token: u.accessToken });
      expect(r.status).toBe(409);
      expect(r.body.detail).toMatchObject({ reason: 'needs_reconnection' });
      expect((await rows(gw, 'integrations', u.user.id))[0]).toMatchObject({ status: 'needs_reconnection', last_error: 'invalid_token', token_ciphertext: null });
      // Nothing is left here to disconnect it with: the grant is revoked at Google.
      expect(fake.grantsOf(account.email)).toEqual([expect.objectContaining({ revoked: true })]);
    } finally {
      await gw.close();
      await calendar.close();
    }
  });

  it('a refresh answered after the user connected another account leaves the new connection as it is', async () => {
    // Google's token endpoint behind a gate that can hold a refresh while the user reconnects.
    const token = await gatedTokenEndpoint(fake, 'refresh_token');
    const gw = await startGoogleGateway(fake, { GOOGLE_TOKEN_URL: `${token.url}/token` });
    try {
      const a = restClient(gw.url);
      const u = await signUp(a);
      const [first, second] = [fake.newAccount(), fake.newAccount()];
      fake.consent({ account: first }, { account: second });
      fake.accessTokenTtlSeconds = 30;
      try {
        await connectThroughRest(a, { token: u.accessToken });
      } finally {
        fake.accessTokenTtlSeconds = 3599;
      }
      // The first account's token is about to expire: a calendar call refreshes it, and the refresh is held.
      const gate = token.holdNext();
      const call = a.get('/api/integrations/google-calendar/events', { token: u.accessToken });
      await until(() => gate.held);
      // Meanwhile the user connects the second account (the first one's grant is revoked), then Google answers the refresh.
      await connectThroughRest(a, { token: u.accessToken });
      gate.release();
      const r = await call;
      // The call goes on with the connection as it now is; the second account's connection is untouched.
      expect(r.status).toBe(200);
      const list = (await a.get('/api/integrations', { token: u.accessToken })).body as { status: string; account_email: string }[];
      expect(list).toEqual([expect.objectContaining({ status: 'connected', account_email: second.email })]);
      expect(fake.grantsOf(second.email)).toEqual([expect.objectContaining({ revoked: false })]);
      expect((await a.get('/api/integrations/google-calendar/events', { token: u.accessToken })).status).toBe(200);
    } finally {
      await gw.close();
      await token.close();
    }
  });
});
