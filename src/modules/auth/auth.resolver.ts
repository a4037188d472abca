import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import type { RequestContext } from '../../common/context.js';
import { User } from '../users/user.entity.js';
import { AuthPayload, LoginInput, RegisterInput } from './auth.types.js';

@Resolver()
export class AuthResolver {
  @Mutation(() => User, { description: 'Creates an account. Log in afterwards to get tokens.' })
  register(@Arg('input', () => RegisterInput) input: RegisterInput, @Ctx() ctx: RequestContext): Promise<User> {
    return ctx.services.auth.register(ctx, input);
  }

  @Mutation(() => AuthPayload, { description: 'Username or email, and password, for an access and a refresh token.' })
  login(@Arg('input', () => LoginInput) input: LoginInput, @Ctx() ctx: RequestContext): Promise<AuthPayload> {
    return ctx.services.auth.login(ctx, input);
  }

  @Mutation(() => AuthPayload, { description: 'Spends a refresh token for a new pair. A spent token presented again ends its session.' })
  refreshToken(@Arg('refreshToken', () => String) refreshToken: string, @Ctx() ctx: RequestContext): Promise<AuthPayload> {
    return ctx.services.auth.refresh(ctx, { refreshToken });
  }

  @Mutation(() => Boolean, { description: 'Ends the session of the refresh token, or else the caller\'s current session.' })
  async logout(
    @Arg('refreshToken', () => String, { nullable: true }) refreshToken: string | null,
    @Ctx() ctx: RequestContext,
  ): Promise<boolean> {
    await ctx.services.auth.logout(ctx, { refreshToken });
    return true;
  }
}
