import { Arg, Ctx, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { requireUser } from '../../common/access.js';
import { forkContext, type RequestContext } from '../../common/context.js';
import { describeRequirement as need } from '../../common/scopes.js';
import type { Events } from '../../common/pubsub.js';
import { User } from './user.entity.js';
import { UpdateMeInput } from './users.types.js';

type UserUpdated = Events['USER_UPDATED'];

@Resolver(() => User)
export class UsersResolver {
  @Query(() => User, { description: `The authenticated user. ${need('bearer')}` })
  me(@Ctx() ctx: RequestContext): Promise<User> {
    return ctx.services.users.me(ctx);
  }

  @Mutation(() => User, { description: `Changes the authenticated user's profile or password. ${need('bearer')}` })
  updateMe(@Arg('input', () => UpdateMeInput) input: UpdateMeInput, @Ctx() ctx: RequestContext): Promise<User> {
    return ctx.services.users.updateMe(ctx, input);
  }

  @Subscription(() => User, {
    description: `Fires when the authenticated user's profile changes, through either API. ${need('bearer')}`,
    subscribe: ({ context }) => {
      const ctx = context as RequestContext;
      const { userId } = requireUser(ctx);
      return ctx.services.events.subscribe('USER_UPDATED', userId);
    },
  })
  meUpdated(@Root() _event: UserUpdated, @Ctx() ctx: RequestContext): Promise<User> {
    return ctx.services.users.me(forkContext(ctx));
  }
}
