import { Arg, Ctx, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { requireUser } from '../../common/access.js';
import { forkContext, type RequestContext } from '../../common/context.js';
import { describeRequirement as need } from '../../common/scopes.js';
import type { Events } from '../../common/pubsub.js';
import { User } from './users.entities.js';
import { UpdateMeInput, UpdateMePayload } from './users.types.js';
import type { ServiceMap } from '../manifest.js';
import { resolverOf } from '../../graphql/container.js';

type UserUpdated = Events['USER_UPDATED'];

@Resolver(() => User)
export class UsersResolver {
  constructor(
    readonly events: ServiceMap['events'],
    readonly users: ServiceMap['users'],
  ) {}

  @Query(() => User, {
    nullable: true,
    description:
      `The authenticated user. Without credentials it is null with a not_authenticated error at \`me\` (and invalid_token for an expired or revoked token, so a client knows to refresh), while the rest of the answer stands. ${need('bearer')}`,
  })
  me(@Ctx() ctx: RequestContext): Promise<User> {
    return this.users.me(ctx);
  }

  @Mutation(() => UpdateMePayload, { description: `Changes the authenticated user's profile or password. ${need('bearer')}` })
  async updateMe(@Arg('input', () => UpdateMeInput, { description: 'The changes.' }) input: UpdateMeInput, @Ctx() ctx: RequestContext): Promise<UpdateMePayload> {
    return { user: await this.users.updateMe(ctx, input) };
  }

  @Subscription(() => User, {
    description:
      'Fires once for every change to what `User` shows you, whichever door or operation made it, with your `User` as it is then: ' +
      'your profile (updateMe: names, email, password, language, time zone, picture; setLiveNickname; the time zone of updateXelPreferences), ' +
      'your `organizations` (one created, renamed or deleted, you added or removed, your role changed) and your `apiKeys` (one created or revoked that you see). ' +
      'Starts once acknowledged (no replay: read `me` after reconnecting). Never completes by itself; when the credentials of the socket expire or are revoked the socket closes (4401). ' +
      need('bearer'),
    subscribe: ({ context, info }) => {
      const ctx = context as RequestContext;
      const { userId } = requireUser(ctx);
      return resolverOf(info, UsersResolver).events.subscribe('USER_UPDATED', userId);
    },
  })
  meUpdated(@Root() _event: UserUpdated, @Ctx() ctx: RequestContext): Promise<User> {
    return this.users.me(forkContext(ctx));
  }
}
