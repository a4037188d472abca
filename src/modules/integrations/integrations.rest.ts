import { z } from 'zod';
import { AppError } from '../../common/errors.js';
import type { Config } from '../../config.js';
import { defineListRoute, defineRoute, type RestRoute } from '../../rest/route-table.js';
import { IntegrationProvider, IntegrationStatus } from './integrations.entities.js';
import type { CalendarEventView, IntegrationView } from './integrations.types.js';
import { CalendarEventStatus, callbackFields, idempotencyKeyField, listEventsFields, scheduleStudySessionFields } from './integrations.types.js';
import type { ServiceMap } from '../manifest.js';

/** One integration, as the contract lists it: the connections that exist, and with `include=available` the providers not connected too. */
export const integrationSchema = z.object({
  provider: IntegrationProvider.schema,
  status: IntegrationStatus.schema,
  account_email: z.string().nullable(),
  scopes: z.array(z.string()),
  connected_at: z.iso.datetime().nullable(),
  expires_at: z.iso.datetime().nullable(),
}).meta({ id: 'IntegrationResponse' });

export const toIntegration = (i: IntegrationView): z.infer<typeof integrationSchema> => ({
  provider: i.provider,
  status: i.status,
  account_email: i.accountEmail,
  scopes: i.scopes,
  connected_at: i.connectedAt?.toISOString() ?? null,
  expires_at: i.expiresAt?.toISOString() ?? null,
});

export const calendarEventSchema = z.object({
  id: z.string(),
  title: z.string(),
  description: z.string().nullable(),
  location: z.string().nullable(),
  start: z.string().describe('ISO-8601 UTC date-time; a date (YYYY-MM-DD) for all-day events'),
  end: z.string(),
  all_day: z.boolean(),
  timezone: z.string().nullable(),
  status: CalendarEventStatus.schema,
  html_link: z.string().nullable(),
  study_session: z.boolean(),
}).meta({ id: 'CalendarEventResponse' });

export const toCalendarEvent = (e: CalendarEventView): z.infer<typeof calendarEventSchema> => ({
  id: e.id,
  title: e.title,
  description: e.description,
  location: e.location,
  start: e.start?.toISOString() ?? e.startDate ?? '',
  end: e.end?.toISOString() ?? e.endDate ?? '',
  all_day: e.allDay,
  timezone: e.timezone,
  status: e.status,
  html_link: e.htmlLink,
  study_session: e.studySession,
});

const PROVIDER = 'google_calendar';

/** Where the browser goes after the callback: the configured return URL with the outcome in its query. */
function returnLocation(config: Config, outcome: { error: AppError | null }): string | null {
  const base = config.integrations.returnUrl;
  if (!base) return null;
  const url = new URL(base);
  url.searchParams.set('integration', PROVIDER);
  if (!outcome.error) {
    url.searchParams.set('status', 'connected');
  } else {
    url.searchParams.set('status', 'error');
    const reason = outcome.error.details.reason;
    url.searchParams.set('error', typeof reason === 'string' ? reason : outcome.error.code);
    url.searchParams.set('error_description', outcome.error.message);
  }
  return url.toString();
}

const tag = 'Integrations';

/** `GET /api/integrations`: the active ones, or with `include=available` every one this gateway offers. */
const listIntegrationsQuery = z.object({
  include: z.enum(['available'], { error: 'must be available' }).optional().describe('`available`: also the integrations that are not connected (not_connected, needs_reconnection, unavailable).'),
});

export const integrationsRoutes = (s: Pick<ServiceMap, 'integrations'>): RestRoute[] => [
  defineListRoute({
    method: 'GET',
    path: '/api/integrations',
    operationId: 'listIntegrations',
    summary: "The caller's active integrations",
    description:
      'The connected ones. With `include=available`, every integration this gateway offers, each with its status: connected, needs_reconnection (Google refused the grant: connect again), not_connected, or unavailable (no configuration on this server). Tokens are never shown.',
    tag,
    auth: 'integrations:read',
    query: listIntegrationsQuery,
    handler: async (ctx, { query }) => {
      const items = query.include === 'available' ? await s.integrations.listAll(ctx) : await s.integrations.list(ctx);
      return { items, total: items.length };
    },
    response: { status: 200, description: 'Integration[]', schema: integrationSchema, serialize: toIntegration },
  }),
  defineRoute({
    method: 'GET',
    path: '/api/integrations/google-calendar/connect',
    operationId: 'connectGoogleCalendar',
    summary: 'Start connecting Google Calendar (OAuth 2.0, PKCE)',
    description:
      "Answers Google's consent page and the state that binds the flow to the caller (single use, short-lived), and sets the flow's browser-binding cookie " +
      '(`xentree_oauth_<id>`: HttpOnly, SameSite=Lax, Path the callback, Max-Age the state lifetime, Secure over https) that the callback requires from a browser without credentials. ' +
      'With `redirect=true`, answers 302 to the consent page instead. 503 with `missing_configuration` when Google is not configured.',
    tag,
    auth: 'integrations:write',
    query: z.object({ redirect: z.enum(['true', 'false']).optional().describe('true: answer 302 to the consent page') }),
    handler: (ctx) => s.integrations.startGoogleCalendar(ctx),
    redirect: {
      description: "Google's consent page (with redirect=true)",
      location: (r, input) => (input.query.redirect === 'true' ? r.authorizationUrl : null),
    },
    response: {
      status: 200,
      description: '{authorization_url, state}',
      schema: z.object({ authorization_url: z.string(), state: z.string() }),
      serialize: (r) => ({ authorization_url: r.authorizationUrl, state: r.state }),
    },
    errors: ['service_unavailable'],
  }),
  defineRoute({
    method: 'GET',
    path: '/api/integrations/google-calendar/callback',
    operationId: 'googleCalendarCallback',
    summary: "Google's redirect back: finish connecting Google Calendar",
    description:
      'Reached by the browser (no credentials needed: the single-use state names the user, and the binding cookie set when the flow started must come with it, ' +
      'proving this is the browser that started it; credentials, when sent, must be those of the user who started the flow and then stand in for the cookie). ' +
      'The binding cookie is cleared. ' +
      'With INTEGRATIONS_RETURN_URL set, always answers 302 there with `integration=google_calendar&status=connected`, or `status=error&error=<reason>&error_description=...` ' +
      '(reasons: missing_state, invalid_state, state_expired, state_user_mismatch, browser_mismatch, access_denied, missing_code, invalid_grant, insufficient_scope, no_refresh_token, disconnected, ...). ' +
      'Without it, answers the integration, or the error envelope with `reason`. A failure stores nothing.',
    tag,
    auth: 'optional',
    query: callbackFields,
    handler: (ctx, { query }) => s.integrations.finishGoogleCalendar(ctx, query, { anonymous: true }),
    // Every failure, a query the route's schema refuses included, goes back to the app as a redirect.
    redirect: {
      description: 'To INTEGRATIONS_RETURN_URL with the outcome',
      location: (_integration, _input, ctx) => returnLocation(ctx.config, { error: null }),
      onError: (error, config) => returnLocation(config, { error }),
    },
    response: { status: 200, description: 'The integration (when no return URL is configured)', schema: integrationSchema, serialize: toIntegration },
    errors: ['service_unavailable', 'upstream_unavailable'],
  }),
  defineRoute({
    method: 'DELETE',
    path: '/api/integrations/google-calendar',
    operationId: 'disconnectGoogleCalendar',
    summary: 'Disconnect Google Calendar: revoke the grant at Google and delete the tokens',
    tag,
    auth: 'integrations:write',
    handler: async (ctx) => {
      await s.integrations.disconnectGoogleCalendar(ctx);
    },
    response: { status: 204, description: 'Disconnected' },
    errors: ['not_found'],
  }),
  defineListRoute({
    method: 'GET',
    path: '/api/integrations/google-calendar/events',
    operationId: 'listCalendarEvents',
    summary: 'Upcoming events of the connected Google Calendar',
    description: 'Events of the primary calendar in [from, to) (default: the next 7 days), recurring events expanded, by start time.',
    tag,
    auth: 'integrations:read',
    query: listEventsFields,
    handler: (ctx, { query }) => s.integrations.listEvents(ctx, query),
    response: { status: 200, description: 'CalendarEvent[]', schema: calendarEventSchema, serialize: toCalendarEvent },
    errors: ['not_found', 'conflict', 'upstream_unavailable', 'rate_limited'],
  }),
  defineRoute({
    method: 'POST',
    path: '/api/integrations/google-calendar/study-sessions',
    operationId: 'scheduleStudySession',
    summary: 'Schedule a study session as an event in the connected Google Calendar',
    description:
      'Give `end` or `duration_minutes`. The time zone defaults to the profile\'s. ' +
      'Safe to retry: with an `Idempotency-Key` header (1 to 255 printable ASCII characters), sending the request again with the same key answers the session scheduled the first time ' +
      '(the same key with another session: 409 `idempotency_key_reused`); without one, the same session (title, times, time zone, description, module) is scheduled once.',
    tag,
    auth: 'integrations:write',
    body: { schema: scheduleStudySessionFields, required: true },
    handler: (ctx, { body, idempotencyKey }) => {
      const key = idempotencyKey === undefined ? null : idempotencyKeyField.safeParse(idempotencyKey);
      if (key && !key.success) throw AppError.validation([{ loc: ['header', 'Idempotency-Key'], message: key.error.issues[0]!.message }]);
      return s.integrations.scheduleStudySession(ctx, { ...body, idempotencyKey: key?.data ?? null });
    },
    response: { status: 201, description: 'CalendarEvent', schema: calendarEventSchema, serialize: toCalendarEvent },
    errors: ['not_found', 'conflict', 'upstream_unavailable', 'rate_limited'],
  }),
];
