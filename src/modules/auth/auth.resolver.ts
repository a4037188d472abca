import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import type { RequestContext } from '../../common/context.js';
import { LoginInput, LoginPayload, LogoutInput, LogoutPayload, RefreshTokenInput, RefreshTokenPayload, RegisterInput, RegisterPayload } from './auth.types.js';
import type { ServiceMap } from '../manifest.js';

@Resolver()
export class AuthResolver {
  constructor(
    readonly auth: ServiceMap['auth'],
  ) {}

  @Mutation(() => RegisterPayload, { description: 'Creates an account. Log in afterwards to get tokens. Public: no authentication.' })
  async register(@Arg('input', () => RegisterInput, { description: 'The account.' }) input: RegisterInput, @Ctx() ctx: RequestContext): Promise<RegisterPayload> {
    return { user: await this.auth.register(ctx, input) };
  }

  @Mutation(() => LoginPayload, { description: 'Username or email, and password, for an access and a refresh token. Public: no authentication.' })
  async login(@Arg('input', () => LoginInput, { description: 'The credentials.' }) input: LoginInput, @Ctx() ctx: RequestContext): Promise<LoginPayload> {
    return Object.assign(new LoginPayload(), await this.auth.login(ctx, input));
  }

  @Mutation(() => RefreshTokenPayload, { description: 'Spends a refresh token for a new pair. A spent token presented again ends its session. Public: the refresh token is the credential.' })
  async refreshToken(@Arg('input', () => RefreshTokenInput, { description: 'The refresh token.' }) input: RefreshTokenInput, @Ctx() ctx: RequestContext): Promise<RefreshTokenPayload> {
    return Object.assign(new RefreshTokenPayload(), await this.auth.refresh(ctx, input));
  }

  @Mutation(() => LogoutPayload, {
    description: "Ends the session of the refresh token, or else the caller's current session. Any credentials: a refresh token alone, or a bearer token (API keys have no session).",
  })
  async logout(@Arg('input', () => LogoutInput, { description: 'Which session to end.' }) input: LogoutInput, @Ctx() ctx: RequestContext): Promise<LogoutPayload> {
    await this.auth.logout(ctx, input);
    return { loggedOut: true };
  }
}
