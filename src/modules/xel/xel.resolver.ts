import { Arg, Args, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { authorize } from '../../common/access.js';
import type { RequestContext } from '../../common/context.js';
import { describeRequirement } from '../../common/scopes.js';
import type { NodeSource } from '../../graphql/node.resolver.js';
import { nullWhenNotFound } from '../../graphql/errors.js';
import { ConnectionArgs, pageRequest, type ConnectionPage } from '../../graphql/relay.js';
import { User } from '../users/index.js';
import { CefrLevel, Skill } from './content/types.js';
import {
  dashboardIdOf,
  EvaluateXelInput,
  EvaluateXelPayload,
  SubmitXelTaskInput,
  SubmitXelTaskPayload,
  UpdateXelPreferencesInput,
  UpdateXelPreferencesPayload,
  XelDashboardType,
  XelModuleConnection,
  XelModuleType,
} from './xel.types.js';
import type { ServiceMap } from '../manifest.js';

const READ = describeRequirement('xel:read');
const WRITE = describeRequirement('xel:write');
const QUIZ_READ = describeRequirement('quiz:read');
const QUIZ_WRITE = describeRequirement('quiz:write');

@Resolver()
export class XelResolver {
  constructor(
    readonly xel: ServiceMap['xel'],
  ) {}

  @Query(() => XelModuleConnection, { description: `Course modules with your progress, in course order, optionally of one level and one skill. ${QUIZ_READ}` })
  xelModules(
    @Arg('level', () => CefrLevel.graphql, { nullable: true, description: 'Only modules of this CEFR level.' }) level: CefrLevel | null,
    @Arg('skill', () => Skill.graphql, { nullable: true, description: 'Only modules training this skill.' }) skill: Skill | null,
    @Args(() => ConnectionArgs) args: ConnectionArgs,
    @Ctx() ctx: RequestContext,
  ): Promise<ConnectionPage<XelModuleType>> {
    return this.xel.moduleConnection(ctx, { level, skill }, pageRequest(args));
  }

  @Query(() => XelModuleType, { nullable: true, description: `One module (by id or slug) with its tasks and your progress; null when unknown. ${QUIZ_READ}` })
  xelModule(@Arg('id', () => ID, { description: 'The module id, or its slug.' }) id: string, @Ctx() ctx: RequestContext): Promise<XelModuleType | null> {
    return nullWhenNotFound(this.xel.getModule(ctx, id));
  }

  @Query(() => XelDashboardType, { description: `XP, level, streaks, progress, skill scores, activity and what to do next. ${READ}` })
  xelDashboard(@Ctx() ctx: RequestContext): Promise<XelDashboardType> {
    return this.xel.dashboard(ctx);
  }

  @Mutation(() => SubmitXelTaskPayload, { description: `Submits a response to a task: graded and recorded; only an improvement on your best score earns XP. ${QUIZ_WRITE}` })
  async submitXelTask(@Arg('input', () => SubmitXelTaskInput, { description: 'The task and the response.' }) input: SubmitXelTaskInput, @Ctx() ctx: RequestContext): Promise<SubmitXelTaskPayload> {
    const r = await this.xel.submit(ctx, input);
    // A key allowed to submit may see the dashboard its submission changed.
    return SubmitXelTaskPayload.of(r, () => this.xel.dashboard(ctx, 'xel:write'));
  }

  @Mutation(() => EvaluateXelPayload, { description: `Evaluates a piece of writing or a speaking transcript against the rubric; the result counts in your skill scores. ${WRITE}` })
  async evaluateXel(@Arg('input', () => EvaluateXelInput, { description: 'What to evaluate.' }) input: EvaluateXelInput, @Ctx() ctx: RequestContext): Promise<EvaluateXelPayload> {
    const evaluation = await this.xel.evaluate(ctx, input);
    return EvaluateXelPayload.of(evaluation, () => this.xel.dashboard(ctx, 'xel:write'));
  }

  @Mutation(() => UpdateXelPreferencesPayload, { description: `Sets your time zone (for days and streaks) and your daily XP goal. ${WRITE}` })
  async updateXelPreferences(
    @Arg('input', () => UpdateXelPreferencesInput, { description: 'What to change.' }) input: UpdateXelPreferencesInput,
    @Ctx() ctx: RequestContext,
  ): Promise<UpdateXelPreferencesPayload> {
    const dashboard = await this.xel.updatePreferences(ctx, input);
    // The profile is bearer-only (as `me`); the time zone was written in a transaction of its own, so it is read afresh.
    const user = ctx.principal?.kind === 'user' ? await ctx.em.findOneOrFail(User, { id: ctx.principal.userId }, { refresh: true }) : null;
    return { user, dashboard };
  }
}

/** Where `node(id:)` finds XEL objects: the same rules as `xelModule` and `xelDashboard`. */
export const xelNodes = (s: Pick<ServiceMap, 'xel'>): NodeSource[] => [
  { typename: 'XelModule', load: (ctx, ids) => s.xel.modulesByIds(ctx, ids) },
  { typename: 'XelTask', load: (ctx, ids) => s.xel.tasksByIds(ctx, ids) },
  {
    typename: 'XelDashboard',
    load: async (ctx, ids) => {
      const p = authorize(ctx, 'xel:read');
      return ids.includes(dashboardIdOf(p.userId)) ? [await s.xel.dashboard(ctx)] : [];
    },
  },
];
