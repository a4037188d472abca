import { GraphQLDateTime, GraphQLLocalDate } from 'graphql-scalars';
import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { z } from 'zod';
import { fields, str } from '../../common/validation.js';
import { defineEnum, type ValueOf } from '../../graphql/enums.js';
import { ValidatedBy } from '../../graphql/inputs.js';
import { connectionType, Node } from '../../graphql/relay.js';
import { isTimeZone } from '../users/index.js';
import { IntegrationProvider, IntegrationStatus, type IntegrationStatusValue, type Provider } from './integrations.entities.js';

/** The status of a calendar event, as Google Calendar has them. */
export const CalendarEventStatus = defineEnum('CalendarEventStatus', 'Whether a calendar event takes place, as Google Calendar says.', {
  confirmed: 'Confirmed.',
  tentative: 'Tentatively confirmed.',
  cancelled: 'Cancelled (cancelled events are left out of lists).',
});
export type CalendarEventStatusValue = ValueOf<typeof CalendarEventStatus>;

/** An integration as both doors show it: never a token. */
@ObjectType('Integration', {
  implements: Node,
  description: "The caller's connection to an outside service (one per provider): whether it is connected, and to which account. Tokens are never shown.",
})
export class IntegrationView {
  @Field(() => ID, { description: 'Stable for a user and a provider, whether connected or not (REST shows no id for integrations).' })
  id!: string;

  @Field(() => IntegrationProvider.graphql, { description: 'The outside service.' })
  provider!: Provider;

  @Field(() => IntegrationStatus.graphql, { description: 'Where the connection stands.' })
  status!: IntegrationStatusValue;

  @Field(() => String, { nullable: true, description: 'The Google account connected; null when not connected.' })
  accountEmail!: string | null;

  @Field(() => [String], { description: 'The scopes the user granted, as Google names them; empty when not connected.' })
  scopes!: string[];

  @Field(() => GraphQLDateTime, { nullable: true, description: 'When it was connected; null when not connected.' })
  connectedAt!: Date | null;

  @Field(() => GraphQLDateTime, { nullable: true, description: 'When the current access token expires (it is refreshed before then); null unless connected.' })
  expiresAt!: Date | null;
}

@ObjectType('ConnectGoogleCalendarPayload', { description: "The start of a Google Calendar connection: send the browser to Google's consent page." })
export class AuthorizationStart {
  @Field(() => String, { description: "Google's consent page; send the browser there." })
  authorizationUrl!: string;

  @Field(() => String, { description: 'Binds the flow to you; single use.' })
  state!: string;

  @Field(() => GraphQLDateTime, { description: 'The flow must come back before this.' })
  expiresAt!: Date;
}

@ObjectType('CalendarEvent', {
  implements: Node,
  description: "An event of the caller's primary Google calendar. A timed event has `start` and `end`; an all-day one has `startDate` and `endDate` instead.",
})
export class CalendarEventView {
  @Field(() => ID, { description: "Google's event id (a recurring event's occurrences each have their own)." })
  id!: string;

  @Field(() => String, { description: 'The title ("(no title)" when it has none).' })
  title!: string;

  @Field(() => String, { nullable: true, description: 'The description, if any.' })
  description!: string | null;

  @Field(() => String, { nullable: true, description: 'The location, if any.' })
  location!: string | null;

  @Field(() => GraphQLDateTime, { nullable: true, description: 'When a timed event starts; null for an all-day event (see startDate).' })
  start!: Date | null;

  @Field(() => GraphQLDateTime, { nullable: true, description: 'When a timed event ends (exclusive); null for an all-day event (see endDate).' })
  end!: Date | null;

  @Field(() => GraphQLLocalDate, { nullable: true, description: 'The first day of an all-day event; null for a timed event.' })
  startDate!: string | null;

  @Field(() => GraphQLLocalDate, { nullable: true, description: 'The day after the last day of an all-day event (exclusive, as Google has it); null for a timed event.' })
  endDate!: string | null;

  @Field(() => Boolean, { description: 'An all-day event (dates, not times).' })
  allDay!: boolean;

  @Field(() => String, { nullable: true, description: 'The IANA time zone the event was scheduled in, when Google says.' })
  timezone!: string | null;

  @Field(() => CalendarEventStatus.graphql, { description: 'Whether it takes place.' })
  status!: CalendarEventStatusValue;

  @Field(() => String, { nullable: true, description: 'The event in Google Calendar.' })
  htmlLink!: string | null;

  @Field(() => Boolean, { description: 'Scheduled through Xentree as a study session.' })
  studySession!: boolean;
}

export const CalendarEventConnection = connectionType<CalendarEventView>('CalendarEvent', () => CalendarEventView, 'by start time (ties by id)');

const MAX_RANGE_DAYS = 366;
const dateTime = (what: string) => fields.instant(`${what} must be an ISO-8601 date-time with a time zone, e.g. 2026-03-01T09:00:00Z`);

/** The callback's query: what Google sends back (other parameters it adds are ignored). */
export const callbackFields = z.object({
  code: str().max(2048, 'must be at most 2048 characters').nullish(),
  state: str().max(512, 'must be at most 512 characters').nullish(),
  error: str().max(256).nullish(),
  errorDescription: str().max(1024).nullish(),
  iss: str().max(512).nullish(),
});
export const callbackSchema = callbackFields;
export type CallbackData = z.input<typeof callbackSchema>;

/** The event list's window. `from` defaults to now, `to` to a week after `from`. */
const rangeFields = { from: dateTime('from').nullish(), to: dateTime('to').nullish() };
const checkRange = <V extends { from?: Date | null; to?: Date | null }>(v: V, ctx: z.RefinementCtx): V & { from: Date; to: Date } => {
  const from = v.from ?? new Date();
  const to = v.to ?? new Date(from.getTime() + 7 * 86_400_000);
  if (to <= from) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
  else if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * 86_400_000) ctx.addIssue({ code: 'custom', path: ['to'], message: `must be at most ${MAX_RANGE_DAYS} days after from` });
  return { ...v, from, to };
};

/** The event list's query, as documented: the window and an offset page. */
export const listEventsFields = z.object({
  ...rangeFields,
  limit: z.coerce.number({ error: 'must be a whole number' }).int('must be a whole number').min(1, 'must be at least 1').max(100, 'must be at most 100').default(20),
  offset: z.coerce.number({ error: 'must be a whole number' }).int('must be a whole number').min(0, 'must be at least 0').max(2499, 'must be at most 2499').default(0),
});
export const listEventsSchema = listEventsFields.transform(checkRange);
export type ListEventsData = z.input<typeof listEventsSchema>;

/** The window of the event connection (GraphQL pages it with cursors instead of limit and offset). */
export const eventsRangeSchema = z.object(rangeFields).transform(checkRange);
export type EventsRangeData = z.input<typeof eventsRangeSchema>;

const MAX_SESSION_MINUTES = 12 * 60;

/**
 * A study session to put in the user's calendar, optionally for an XEL module (id or slug),
 * which supplies the default title and description and is kept in the event's private
 * extended properties. Absent and null are the same.
 */
export const scheduleStudySessionFields = z.object({
  title: fields.text(200).pipe(z.string().min(1, 'must not be empty')).nullish(),
  xelModuleId: str().min(1, 'must not be empty').max(80, 'must be at most 80 characters').nullish(),
  start: dateTime('start'),
  end: dateTime('end').nullish(),
  durationMinutes: z
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(5, 'must be at least 5')
    .max(MAX_SESSION_MINUTES, `must be at most ${MAX_SESSION_MINUTES}`)
    .nullish(),
  description: fields.text(4000).nullish(),
  timezone: str().max(64).refine(isTimeZone, 'must be an IANA time zone such as "Europe/Paris"').nullish(),
}).meta({ id: 'StudySessionRequest' });

/**
 * What a client sends again, unchanged, when it retries a request whose answer it did not get
 * (REST: the Idempotency-Key header; GraphQL: the input's idempotencyKey).
 */
export const idempotencyKeyField = str().min(1, 'must not be empty').max(255, 'must be at most 255 characters').regex(/^[\x20-\x7e]+$/, 'must be printable ASCII');

/** A study session with the key that makes scheduling it again the same scheduling (see scheduleStudySession). */
const scheduleStudySessionKeyed = scheduleStudySessionFields.extend({ idempotencyKey: idempotencyKeyField.nullish() });

export const scheduleStudySessionSchema = scheduleStudySessionKeyed.transform((v, ctx) => {
  if (v.end && v.durationMinutes != null) ctx.addIssue({ code: 'custom', path: ['durationMinutes'], message: 'give either end or a duration, not both' });
  if (!v.end && v.durationMinutes == null) ctx.addIssue({ code: 'custom', path: ['end'], message: 'give end or a duration' });
  const end = v.end ?? new Date(v.start.getTime() + (v.durationMinutes ?? 0) * 60_000);
  if (v.end && end <= v.start) ctx.addIssue({ code: 'custom', path: ['end'], message: 'must be after start' });
  else if (v.end && end.getTime() - v.start.getTime() > MAX_SESSION_MINUTES * 60_000) ctx.addIssue({ code: 'custom', path: ['end'], message: `must be at most ${MAX_SESSION_MINUTES / 60} hours after start` });
  if (!v.title && !v.xelModuleId) ctx.addIssue({ code: 'custom', path: ['title'], message: 'is required unless xel_module_id is given' });
  return { title: v.title ?? null, xelModuleId: v.xelModuleId ?? null, start: v.start, end, description: v.description ?? null, timezone: v.timezone ?? null, idempotencyKey: v.idempotencyKey ?? null };
});
export type ScheduleStudySessionData = z.input<typeof scheduleStudySessionSchema>;

@ValidatedBy(scheduleStudySessionKeyed)
@InputType({ description: 'A study session to put in your Google Calendar: give end or durationMinutes.' })
export class ScheduleStudySessionInput {
  @Field(() => String, { nullable: true, description: 'Required unless xelModuleId is given (then: "Xentree English: <module title>").' })
  title?: string | null;

  @Field(() => ID, { nullable: true, description: 'An XEL module (id or slug) to study: gives the default title and description, and is kept on the event.' })
  xelModuleId?: string | null;

  @Field(() => GraphQLDateTime, { description: 'When it starts.' })
  start!: Date;

  @Field(() => GraphQLDateTime, { nullable: true, description: 'When it ends, at most 12 hours after start; give this or durationMinutes.' })
  end?: Date | null;

  @Field(() => Int, { nullable: true, description: '5 to 720 minutes; give this or end.' })
  durationMinutes?: number | null;

  @Field(() => String, { nullable: true, description: 'The event description (default: the XEL module\'s, when one is given).' })
  description?: string | null;

  @Field(() => String, { nullable: true, description: "IANA time zone for the event; default: the user's profile time zone." })
  timezone?: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      'Makes a retry safe: sending the mutation again with the same key (after an error or a lost answer) answers the session scheduled the first time instead of scheduling another; ' +
      'the same key with a different session is a conflict (reason idempotency_key_reused). 1 to 255 printable ASCII characters, unique per session you mean to schedule. ' +
      'Without it, the same session (same title, times, time zone, description and module) is scheduled once.',
  })
  idempotencyKey?: string | null;
}

const completeConnectionSchema = callbackFields.omit({ errorDescription: true });

@ValidatedBy(completeConnectionSchema)
@InputType({ description: "The parameters of Google's redirect back to your app, as it received them." })
export class CompleteGoogleCalendarConnectionInput {
  @Field(() => String, { nullable: true, description: 'The `state` parameter.' })
  state?: string | null;

  @Field(() => String, { nullable: true, description: 'The `code` parameter (absent when Google answered an error).' })
  code?: string | null;

  @Field(() => String, { nullable: true, description: 'The `error` parameter, when Google answered one (access_denied...).' })
  error?: string | null;

  @Field(() => String, { nullable: true, description: 'The issuer Google names in its redirect (`iss`), when it does.' })
  iss?: string | null;
}

@ObjectType({ description: 'What completeGoogleCalendarConnection changed.' })
export class CompleteGoogleCalendarConnectionPayload {
  @Field(() => IntegrationView, { description: 'The integration, connected.' })
  integration!: IntegrationView;
}

@ObjectType({ description: 'What disconnectGoogleCalendar changed.' })
export class DisconnectGoogleCalendarPayload {
  @Field(() => IntegrationView, { description: 'The integration, not connected any more (its id stays).' })
  integration!: IntegrationView;
}

@ObjectType({ description: 'What scheduleStudySession changed.' })
export class ScheduleStudySessionPayload {
  @Field(() => CalendarEventView, { description: 'The event created in your calendar.' })
  event!: CalendarEventView;

  @Field(() => IntegrationView, { description: 'Your Google Calendar integration: select its `events` to refresh a list the new event falls in.' })
  integration!: IntegrationView;
}
