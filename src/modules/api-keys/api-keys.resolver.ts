import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { queryRoot } from '../../graphql/query-root.js';
import type { RequestContext } from '../../common/context.js';
import { forgetReads } from '../../common/loaders.js';
import { describeRequirement } from '../../common/scopes.js';
import { ConnectionArgs, type ConnectionPage } from '../../graphql/relay.js';
import { Organization } from '../organizations/index.js';
import { User } from '../users/index.js';
import { ApiKey } from './api-keys.entities.js';
import { ApiKeyConnection, CreateApiKeyInput, CreateApiKeyPayload, RevokeApiKeyInput, RevokeApiKeyPayload } from './api-keys.types.js';
import type { ServiceMap } from '../manifest.js';

const BEARER = describeRequirement('bearer');

@Resolver(() => ApiKey)
export class ApiKeysResolver {
  constructor(
    readonly apiKeysService: ServiceMap['apiKeys'],
    readonly organizationsService: ServiceMap['organizations'],
    readonly users: ServiceMap['users'],
  ) {}

  @Query(() => ApiKeyConnection, { description: `Live API keys: your own, and all keys of organizations you administer, newest first. The same list as \`me.apiKeys\`. ${BEARER}` })
  apiKeys(
    @Arg('organizationId', () => ID, { nullable: true, description: 'Only the keys of this organization (you must be a member).' }) organizationId: string | null,
    @Args(() => ConnectionArgs) args: ConnectionArgs,
    @Ctx() ctx: RequestContext,
  ): Promise<ConnectionPage<ApiKey>> {
    return this.apiKeysService.connection(ctx, { organizationId }, args);
  }

  @Mutation(() => CreateApiKeyPayload, { description: `Issues an API key for one organization; the key itself is in the answer this once. ${BEARER}` })
  async createApiKey(@Arg('input', () => CreateApiKeyInput, { description: 'The key.' }) input: CreateApiKeyInput, @Ctx() ctx: RequestContext): Promise<CreateApiKeyPayload> {
    const { apiKey, key } = await this.apiKeysService.create(ctx, input);
    forgetReads(ctx.em, ctx.loaders);
    return { apiKey, key, viewer: await this.users.me(ctx), query: queryRoot() };
  }

  @Mutation(() => RevokeApiKeyPayload, { description: `Revokes an API key, effective immediately. Its creator, or an admin or owner of its organization. ${BEARER}` })
  async revokeApiKey(@Arg('input', () => RevokeApiKeyInput, { description: 'The key.' }) input: RevokeApiKeyInput, @Ctx() ctx: RequestContext): Promise<RevokeApiKeyPayload> {
    await this.apiKeysService.revoke(ctx, input.id);
    forgetReads(ctx.em, ctx.loaders);
    return { deletedId: input.id, viewer: await this.users.me(ctx), query: queryRoot() };
  }

  @FieldResolver(() => ID, { description: 'The organization it acts in.' })
  organizationId(@Root() k: ApiKey): string {
    return k.organization.id;
  }

  @FieldResolver(() => Organization, { description: 'The organization it acts in.' })
  organization(@Root() k: ApiKey, @Ctx() ctx: RequestContext): Promise<Organization> {
    return this.organizationsService.get(ctx, k.organization.id);
  }

  @FieldResolver(() => ID, { description: 'The user it acts for: its creator.' })
  createdById(@Root() k: ApiKey): string {
    return k.createdBy.id;
  }

  @FieldResolver(() => User, { description: 'The user it acts for: its creator.' })
  async createdBy(@Root() k: ApiKey, @Ctx() ctx: RequestContext): Promise<User> {
    return (await ctx.loaders.userById.load(k.createdBy.id))!;
  }
}

@Resolver(() => User)
export class UserApiKeysResolver {
  constructor(
    readonly apiKeysService: ServiceMap['apiKeys'],
  ) {}

  @FieldResolver(() => ApiKeyConnection, {
    nullable: true,
    description:
      "The API keys this user sees (their own, and all keys of organizations they administer), newest first: on the caller's own User with a bearer token only (the same list as `Query.apiKeys`); null on anyone else's, and for API keys. Payloads that change the list return it here, under `viewer`.",
  })
  apiKeys(
    @Root() user: User,
    @Arg('organizationId', () => ID, { nullable: true, description: 'Only the keys of this organization (you must be a member).' }) organizationId: string | null,
    @Args(() => ConnectionArgs) args: ConnectionArgs,
    @Ctx() ctx: RequestContext,
  ): Promise<ConnectionPage<ApiKey>> | null {
    if (ctx.principal?.kind !== 'user' || ctx.principal.userId !== user.id) return null;
    return this.apiKeysService.connection(ctx, { organizationId }, args);
  }
}
