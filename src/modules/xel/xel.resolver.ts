import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../../common/context.js';
import type { Evaluation } from './evaluator/types.js';
import { describeRequirement } from '../../common/scopes.js';
import { EvaluateXelInput, SubmitXelTaskInput, XelDashboardType, XelEvaluationType, XelModuleType, XelPreferencesInput, XelSubmissionResultType } from './xel.types.js';

const READ = describeRequirement('xel:read');
const WRITE = describeRequirement('xel:write');

@Resolver()
export class XelResolver {
  @Query(() => [XelModuleType], { description: `Course modules with your progress, in course order. ${READ}` })
  xelModules(
    @Arg('level', () => String, { nullable: true, description: 'A1 to C2' }) level: string | null,
    @Arg('skill', () => String, { nullable: true }) skill: string | null,
    @Ctx() ctx: RequestContext,
  ): Promise<XelModuleType[]> {
    return ctx.services.xel.listModules(ctx, { level, skill });
  }

  @Query(() => XelModuleType, { description: `One module (id or slug) with its tasks and your progress. ${READ}` })
  xelModule(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<XelModuleType> {
    return ctx.services.xel.getModule(ctx, id);
  }

  @Query(() => XelDashboardType, { description: `XP, level, streaks, progress, skill scores, activity and what to do next. ${READ}` })
  xelDashboard(@Ctx() ctx: RequestContext): Promise<XelDashboardType> {
    return ctx.services.xel.dashboard(ctx);
  }

  @Mutation(() => XelSubmissionResultType, { description: `Submits a response to a task; only an improvement earns XP. ${WRITE}` })
  submitXelTask(@Arg('input', () => SubmitXelTaskInput) input: SubmitXelTaskInput, @Ctx() ctx: RequestContext): Promise<XelSubmissionResultType> {
    return ctx.services.xel.submit(ctx, input);
  }

  @Mutation(() => XelEvaluationType, { description: `Evaluates a piece of writing or a speaking transcript against the rubric. ${WRITE}` })
  evaluateXel(@Arg('input', () => EvaluateXelInput) input: EvaluateXelInput, @Ctx() ctx: RequestContext): Promise<Evaluation> {
    return ctx.services.xel.evaluate(ctx, input);
  }

  @Mutation(() => XelDashboardType, { description: `Sets your time zone and daily goal. ${WRITE}` })
  updateXelPreferences(@Arg('input', () => XelPreferencesInput) input: XelPreferencesInput, @Ctx() ctx: RequestContext): Promise<XelDashboardType> {
    return ctx.services.xel.updatePreferences(ctx, input);
  }
}
