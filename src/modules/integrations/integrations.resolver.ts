import { Arg, Ctx, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../../common/context.js';
import { describeRequirement as need } from '../../common/scopes.js';
import { AuthorizationStart, CalendarEventView, IntegrationView, ScheduleStudySessionInput } from './integrations.types.js';

@Resolver()
export class IntegrationsResolver {
  @Query(() => [IntegrationView], {
    description: `Your integrations: connected, needing reconnection, or unavailable on this server. ${need('integrations:read')}`,
  })
  integrations(@Ctx() ctx: RequestContext): Promise<IntegrationView[]> {
    return ctx.services.integrations.list(ctx);
  }

  @Mutation(() => AuthorizationStart, {
    description: `Starts connecting Google Calendar: send the browser to authorizationUrl; Google comes back to the REST callback, which takes the flow only from the browser holding the binding cookie this answer sets over HTTP (same-origin web apps), or from a call with your credentials. ${need('integrations:write')}`,
  })
  connectGoogleCalendar(@Ctx() ctx: RequestContext): Promise<AuthorizationStart> {
    return ctx.services.integrations.startGoogleCalendar(ctx);
  }

  @Mutation(() => IntegrationView, {
    description: `Finishes connecting Google Calendar with the parameters of Google's redirect, for apps that receive it themselves (cross-origin or native); the state must be yours: your credentials are what binds the flow to you. ${need('integrations:write')}`,
  })
  completeGoogleCalendarConnection(
    @Arg('state', () => String, { nullable: true }) state: string | null,
    @Arg('code', () => String, { nullable: true }) code: string | null,
    @Arg('error', () => String, { nullable: true }) error: string | null,
    @Arg('iss', () => String, { nullable: true, description: 'The issuer Google names in its redirect, when it does.' }) iss: string | null,
    @Ctx() ctx: RequestContext,
  ): Promise<IntegrationView> {
    return ctx.services.integrations.finishGoogleCalendar(ctx, { state, code, error, iss });
  }

  @Mutation(() => Boolean, { description: `Disconnects Google Calendar: revokes the grant at Google and deletes the tokens. ${need('integrations:write')}` })
  async disconnectGoogleCalendar(@Ctx() ctx: RequestContext): Promise<boolean> {
    await ctx.services.integrations.disconnectGoogleCalendar(ctx);
    return true;
  }

  @Query(() => [CalendarEventView], {
    description: `Events of your Google Calendar in [from, to) (default: the next 7 days), by start time. ${need('integrations:read')}`,
  })
  async calendarEvents(
    @Arg('from', () => String, { nullable: true, description: 'ISO-8601 date-time; default now.' }) from: string | null,
    @Arg('to', () => String, { nullable: true, description: 'ISO-8601 date-time; default a week after from.' }) to: string | null,
    @Arg('limit', () => Int, { nullable: true }) limit: number | null,
    @Arg('offset', () => Int, { nullable: true }) offset: number | null,
    @Ctx() ctx: RequestContext,
  ): Promise<CalendarEventView[]> {
    return (await ctx.services.integrations.listEvents(ctx, { from, to, limit, offset })).items;
  }

  @Mutation(() => CalendarEventView, { description: `Schedules a study session as an event in your Google Calendar. ${need('integrations:write')}` })
  scheduleStudySession(@Arg('input', () => ScheduleStudySessionInput) input: ScheduleStudySessionInput, @Ctx() ctx: RequestContext): Promise<CalendarEventView> {
    return ctx.services.integrations.scheduleStudySession(ctx, input);
  }
}
