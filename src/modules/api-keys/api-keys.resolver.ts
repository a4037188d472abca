import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../common/context.js';
import { describeRequirement } from '../../common/scopes.js';
import { ApiKey } from './api-key.entity.js';
import { CreateApiKeyInput, CreatedApiKey } from './api-keys.types.js';

const BEARER = describeRequirement('bearer');

@Resolver(() => ApiKey)
export class ApiKeysResolver {
  @Query(() => [ApiKey], { description: `Live API keys: your own, and all keys of organizations you administer. ${BEARER}` })
  apiKeys(@Arg('organizationId', () => ID, { nullable: true }) organizationId: string | null, @Ctx() ctx: RequestContext): Promise<ApiKey[]> {
    return ctx.services.apiKeys.list(ctx, { organizationId });
  }

  @Mutation(() => CreatedApiKey, { description: `Issues an API key for one organization; the key is shown this once. ${BEARER}` })
  createApiKey(@Arg('input', () => CreateApiKeyInput) input: CreateApiKeyInput, @Ctx() ctx: RequestContext): Promise<CreatedApiKey> {
    return ctx.services.apiKeys.create(ctx, input);
  }

  @Mutation(() => Boolean, { description: `Revokes an API key, effective immediately. Its creator, or an admin or owner. ${BEARER}` })
  async revokeApiKey(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<boolean> {
    await ctx.services.apiKeys.revoke(ctx, id);
    return true;
  }

  @FieldResolver(() => ID)
  organizationId(@Root() k: ApiKey): string {
    return k.organization.id;
  }

  @FieldResolver(() => ID, { description: 'The user the key acts for.' })
  createdBy(@Root() k: ApiKey): string {
    return k.createdBy.id;
  }
}
