import { GraphQLDateTime } from 'graphql-scalars';
import { Arg, Args, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../common/context.js';
import { describeRequirement as need } from '../../common/scopes.js';
import { ConnectionArgs, type ConnectionPage } from '../../graphql/relay.js';
import {
  AuthorizationStart,
  CalendarEventConnection,
  CalendarEventView,
  CompleteGoogleCalendarConnectionInput,
  CompleteGoogleCalendarConnectionPayload,
  DisconnectGoogleCalendarPayload,
  IntegrationView,
  ScheduleStudySessionInput,
  ScheduleStudySessionPayload,
} from './integrations.types.js';
import type { ServiceMap } from '../manifest.js';

const FROM = 'The start of the window (inclusive); default now.';
const TO = 'The end of the window (exclusive): after from, at most 366 days later; default a week after from.';

@Resolver(() => IntegrationView)
export class IntegrationsResolver {
  constructor(
    readonly integrationsService: ServiceMap['integrations'],
  ) {}

  // One entry per provider (a closed set of one today), each changing in place: a small fixed list, not a connection.
  @Query(() => [IntegrationView], {
    description: `Your integrations, one per provider: connected, needing reconnection, not connected, or unavailable on this server. ${need('integrations:read')}`,
  })
  integrations(@Ctx() ctx: RequestContext): Promise<IntegrationView[]> {
    return this.integrationsService.listAll(ctx);
  }

  @Mutation(() => AuthorizationStart, {
    description: `Starts connecting Google Calendar: send the browser to authorizationUrl; Google comes back to the REST callback, which takes the flow only from the browser holding the binding cookie this answer sets over HTTP (same-origin web apps), or from a call with your credentials. Nothing changes until the flow completes. ${need('integrations:write')}`,
  })
  connectGoogleCalendar(@Ctx() ctx: RequestContext): Promise<AuthorizationStart> {
    return this.integrationsService.startGoogleCalendar(ctx);
  }

  @Mutation(() => CompleteGoogleCalendarConnectionPayload, {
    description: `Finishes connecting Google Calendar with the parameters of Google's redirect, for apps that receive it themselves (cross-origin or native); the state must be yours: your credentials are what binds the flow to you. ${need('integrations:write')}`,
  })
  async completeGoogleCalendarConnection(
    @Arg('input', () => CompleteGoogleCalendarConnectionInput, { description: "The redirect's parameters." }) input: CompleteGoogleCalendarConnectionInput,
    @Ctx() ctx: RequestContext,
  ): Promise<CompleteGoogleCalendarConnectionPayload> {
    return { integration: await this.integrationsService.finishGoogleCalendar(ctx, input) };
  }

  @Mutation(() => DisconnectGoogleCalendarPayload, { description: `Disconnects Google Calendar: revokes the grant at Google and deletes the tokens. ${need('integrations:write')}` })
  async disconnectGoogleCalendar(@Ctx() ctx: RequestContext): Promise<DisconnectGoogleCalendarPayload> {
    return { integration: await this.integrationsService.disconnectGoogleCalendar(ctx) };
  }

  @Query(() => CalendarEventConnection, {
    nullable: true,
    description: `Events of your Google Calendar in [from, to), by start time, recurring events expanded (at most 2,500 in a window). Null with an error when the calendar is not connected, needs reconnection, or Google fails. ${need('integrations:read')}`,
  })
  calendarEvents(
    @Arg('from', () => GraphQLDateTime, { nullable: true, description: FROM }) from: Date | null,
    @Arg('to', () => GraphQLDateTime, { nullable: true, description: TO }) to: Date | null,
    @Args(() => ConnectionArgs) args: ConnectionArgs,
    @Ctx() ctx: RequestContext,
  ): Promise<ConnectionPage<CalendarEventView>> {
    return this.integrationsService.eventsConnection(ctx, { from, to }, args);
  }

  @Mutation(() => ScheduleStudySessionPayload, { description: `Schedules a study session as an event in your Google Calendar. ${need('integrations:write')}` })
  async scheduleStudySession(@Arg('input', () => ScheduleStudySessionInput, { description: 'The session.' }) input: ScheduleStudySessionInput, @Ctx() ctx: RequestContext): Promise<ScheduleStudySessionPayload> {
    const event = await this.integrationsService.scheduleStudySession(ctx, input);
    return { event, integration: await this.integrationsService.afterWrite(ctx, 'google_calendar') };
  }

  @FieldResolver(() => CalendarEventConnection, {
    nullable: true,
    description: `The events of this calendar in [from, to), as \`Query.calendarEvents\` (where a payload returns the integration, this refreshes a cached list): null unless it is Google Calendar and connected; null with an error when Google fails. ${need('integrations:read')}`,
  })
  events(
    @Root() integration: IntegrationView,
    @Arg('from', () => GraphQLDateTime, { nullable: true, description: FROM }) from: Date | null,
    @Arg('to', () => GraphQLDateTime, { nullable: true, description: TO }) to: Date | null,
    @Args(() => ConnectionArgs) args: ConnectionArgs,
    @Ctx() ctx: RequestContext,
  ): Promise<ConnectionPage<CalendarEventView>> | null {
    if (integration.provider !== 'google_calendar' || integration.status !== 'connected') return null;
    return this.integrationsService.eventsConnection(ctx, { from, to }, args);
  }
}
