import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { z } from 'zod';
import { fields, str } from '../../common/validation.js';
import { isTimeZone } from '../users/users.types.js';
import type { Provider } from './integration.entity.js';

/** connected | needs_reconnection | unavailable (the server has no Google configuration). */
export type IntegrationStatus = 'connected' | 'needs_reconnection' | 'unavailable';

/** An integration as both doors show it: never a token. */
@ObjectType('Integration')
export class IntegrationView {
  @Field(() => String, { description: 'google_calendar' })
  provider!: Provider;

  @Field(() => String, { description: 'connected, needs_reconnection (Google refused the grant: connect again), or unavailable (not configured on this server).' })
  status!: IntegrationStatus;

  @Field(() => String, { nullable: true, description: 'The Google account connected.' })
  accountEmail!: string | null;

  @Field(() => [String], { description: 'The scopes the user granted.' })
  scopes!: string[];

  @Field(() => GraphQLDateTime, { nullable: true })
  connectedAt!: Date | null;

  @Field(() => GraphQLDateTime, { nullable: true, description: 'When the current access token expires; it is refreshed before then.' })
  expiresAt!: Date | null;
}

@ObjectType('IntegrationAuthorization')
export class AuthorizationStart {
  @Field(() => String, { description: "Google's consent page; send the browser there." })
  authorizationUrl!: string;

  @Field(() => String, { description: 'Binds the callback to you; single use.' })
  state!: string;

  @Field(() => GraphQLDateTime, { description: 'The flow must come back before this.' })
  expiresAt!: Date;
}

@ObjectType('CalendarEvent')
export class CalendarEventView {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  title!: string;

  @Field(() => String, { nullable: true })
  description!: string | null;

  @Field(() => String, { nullable: true })
  location!: string | null;

  @Field(() => String, { description: 'ISO-8601 UTC date-time; a date (YYYY-MM-DD) for all-day events.' })
  start!: string;

  @Field(() => String, { description: 'ISO-8601 UTC date-time (exclusive); a date for all-day events.' })
  end!: string;

  @Field(() => Boolean)
  allDay!: boolean;

  @Field(() => String, { nullable: true, description: 'The IANA time zone the event was scheduled in, when Google says.' })
  timezone!: string | null;

  @Field(() => String, { description: 'confirmed, tentative or cancelled.' })
  status!: string;

  @Field(() => String, { nullable: true, description: 'The event in Google Calendar.' })
  htmlLink!: string | null;

  @Field(() => Boolean, { description: 'Scheduled through Xentree as a study session.' })
  studySession!: boolean;
}

/** Absent and null are the same for optional fields (GraphQL sends null, JSON may). */
const withoutNulls = (v: unknown): unknown =>
  v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null)) : v;

const MAX_RANGE_DAYS = 366;
const dateTime = (what: string) => fields.instant(`${what} must be an ISO-8601 date-time with a time zone, e.g. 2026-03-01T09:00:00Z`);

/** The callback's query: what Google sends back (other parameters it adds are ignored). */
export const callbackFields = z.object({
  code: str().max(2048, 'must be at most 2048 characters').optional(),
  state: str().max(512, 'must be at most 512 characters').optional(),
  error: str().max(256).optional(),
  errorDescription: str().max(1024).optional(),
  iss: str().max(512).optional(),
});
export const callbackSchema = z.preprocess(withoutNulls, callbackFields);
export type CallbackData = Partial<Record<'code' | 'state' | 'error' | 'errorDescription' | 'iss', unknown>>;

/** The event list's query, as documented. `from` defaults to now, `to` to a week after `from`. */
export const listEventsFields = z.object({
  from: dateTime('from').optional(),
  to: dateTime('to').optional(),
  limit: z.coerce.number({ error: 'must be a whole number' }).int('must be a whole number').min(1, 'must be at least 1').max(100, 'must be at most 100').default(20),
  offset: z.coerce.number({ error: 'must be a whole number' }).int('must be a whole number').min(0, 'must be at least 0').max(2499, 'must be at most 2499').default(0),
});

export const listEventsSchema = z.preprocess(
  withoutNulls,
  listEventsFields.transform((v, ctx) => {
    const from = v.from ?? new Date();
    const to = v.to ?? new Date(from.getTime() + 7 * 86_400_000);
    if (to <= from) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
    else if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * 86_400_000) ctx.addIssue({ code: 'custom', path: ['to'], message: `must be at most ${MAX_RANGE_DAYS} days after from` });
    return { from, to, limit: v.limit, offset: v.offset };
  }),
);
export type ListEventsData = Partial<Record<'from' | 'to' | 'limit' | 'offset', unknown>>;

const MAX_SESSION_MINUTES = 12 * 60;

/**
 * A study session to put in the user's calendar, optionally for an XEL module (id or slug),
 * which supplies the default title and description and is kept in the event's private
 * extended properties.
 */
export const scheduleStudySessionFields = z.object({
    title: fields.text(200).pipe(z.string().min(1, 'must not be empty')).optional(),
    xelModuleId: str().min(1, 'must not be empty').max(80, 'must be at most 80 characters').optional(),
    start: dateTime('start'),
    end: dateTime('end').optional(),
    durationMinutes: z.coerce
      .number({ error: 'must be a whole number' })
      .int('must be a whole number')
      .min(5, 'must be at least 5')
      .max(MAX_SESSION_MINUTES, `must be at most ${MAX_SESSION_MINUTES}`)
      .optional(),
    description: fields.text(4000).optional(),
    timezone: str().max(64).refine(isTimeZone, 'must be an IANA time zone such as "Europe/Paris"').optional(),
  });

export const scheduleStudySessionSchema = z.preprocess(
  withoutNulls,
  scheduleStudySessionFields.transform((v, ctx) => {
    if (v.end && v.durationMinutes !== undefined) ctx.addIssue({ code: 'custom', path: ['durationMinutes'], message: 'give either end or a duration, not both' });
    if (!v.end && v.durationMinutes === undefined) ctx.addIssue({ code: 'custom', path: ['end'], message: 'give end or a duration' });
    const end = v.end ?? new Date(v.start.getTime() + (v.durationMinutes ?? 0) * 60_000);
    if (v.end && end <= v.start) ctx.addIssue({ code: 'custom', path: ['end'], message: 'must be after start' });
    else if (v.end && end.getTime() - v.start.getTime() > MAX_SESSION_MINUTES * 60_000) ctx.addIssue({ code: 'custom', path: ['end'], message: `must be at most ${MAX_SESSION_MINUTES / 60} hours after start` });
    if (!v.title && !v.xelModuleId) ctx.addIssue({ code: 'custom', path: ['title'], message: 'is required unless xel_module_id is given' });
    return { title: v.title ?? null, xelModuleId: v.xelModuleId ?? null, start: v.start, end, description: v.description ?? null, timezone: v.timezone ?? null };
  }),
);
export type ScheduleStudySessionData = Partial<Record<'title' | 'xelModuleId' | 'start' | 'end' | 'durationMinutes' | 'description' | 'timezone', unknown>>;

@InputType()
export class ScheduleStudySessionInput {
  @Field(() => String, { nullable: true, description: 'Required unless xelModuleId is given (then: "Xentree English: <module title>").' })
  title?: string | null;

  @Field(() => ID, { nullable: true, description: 'An XEL module (id or slug) to study: gives the default title and description, and is kept on the event.' })
  xelModuleId?: string | null;

  @Field(() => String, { description: 'ISO-8601 date-time with a time zone.' })
  start!: string;

  @Field(() => String, { nullable: true, description: 'ISO-8601 date-time; give this or durationMinutes.' })
  end?: string | null;

  @Field(() => Int, { nullable: true, description: '5 to 720 minutes; give this or end.' })
  durationMinutes?: number | null;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field(() => String, { nullable: true, description: "IANA time zone for the event; default: the user's profile time zone." })
  timezone?: string | null;
}
