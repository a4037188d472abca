import { Field, ID, ObjectType, Query, Resolver } from 'type-graphql';
import { PublicCache } from '../../graphql/cache-control.js';
import type { NodeSource } from '../../graphql/node.resolver.js';
import { Node } from '../../graphql/relay.js';
import { AiProvider, ProviderCapability, type AiProviderId, type ProviderCapabilityValue } from './ai.enums.js';
import type { ProviderInfo } from './ai.types.js';
import type { ServiceMap } from '../manifest.js';

@ObjectType('Provider', { implements: Node, description: 'An AI provider of this server: whether it is configured and answering, its models and what it can do.' })
export class ProviderType {
  @Field(() => ID, { description: 'The provider\'s id (`local`, `openai`, `anthropic`), as REST has it; the same value as `kind`, in lower case.' })
  id!: string;

  @Field(() => AiProvider.graphql, { description: 'Which provider it is, as turns name it (`ChatInput.provider`).' })
  kind!: AiProviderId;

  @Field(() => String, { description: 'Its name, for people.' })
  name!: string;

  @Field(() => [String], { description: 'The models a turn may name (`ChatInput.model`); empty when the provider takes any.' })
  models!: string[];

  @Field(() => String, { description: 'The model turns use when they name none.' })
  defaultModel!: string;

  @Field(() => Boolean, { description: 'Configured and answering now (remote providers are probed, the answer cached briefly).' })
  available!: boolean;

  @Field(() => Boolean, { description: 'The operator configured it (a turn naming an unconfigured provider is refused).' })
  configured!: boolean;

  @Field(() => [ProviderCapability.graphql], { description: 'What it can do.' })
  capabilities!: ProviderCapabilityValue[];

  @Field(() => String, { description: 'What it is, for people.' })
  description!: string;
}

@ObjectType('Providers', { description: 'The AI providers of this server, and which one answers when a turn names none.' })
export class ProvidersType {
  @Field(() => AiProvider.graphql, { description: 'What a turn naming no provider gets: AUTO (the first configured real provider, else LOCAL) or one provider.' })
  default!: AiProviderId;

  @Field(() => [ProviderType], { description: 'Every provider the server knows, configured or not (a fixed set of three).' })
  providers!: ProviderType[];
}

const toProvider = (p: ProviderInfo): ProviderType => ({ ...p, kind: p.id });

@Resolver()
export class ProvidersResolver {
  constructor(
    readonly ai: ServiceMap['ai'],
  ) {}

  @PublicCache(60)
  @Query(() => ProvidersType, { description: 'The AI providers: which are configured and answering, their models and capabilities. Public: no credentials needed.' })
  async providers(): Promise<ProvidersType> {
    return { default: this.ai.defaultId, providers: (await this.ai.describe()).map(toProvider) };
  }
}

/** `node(id: "local")`: providers are public, so any caller `node` serves may read them. */
export const providerNodes = (s: Pick<ServiceMap, 'ai'>): NodeSource => ({
  typename: 'Provider',
  async load(ctx, ids) {
    if (!ids.some((id) => AiProvider.has(id))) return [];
    return (await s.ai.describe()).filter((p) => ids.includes(p.id)).map((p) => Object.assign(new ProviderType(), toProvider(p)));
  },
});
