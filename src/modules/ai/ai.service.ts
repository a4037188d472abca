import { AppError } from '../../common/errors.js';
import type { Config } from '../../config.js';
import type { Metrics } from '../../common/metrics.js';
import type { ChatProvider, CompletionRequest, CompletionEvent, ProviderInfo } from './ai.types.js';
import { AnthropicProvider } from './providers/anthropic.provider.js';
import { LocalProvider } from './providers/local.provider.js';
import { OpenAIProvider } from './providers/openai.provider.js';

import { AiProvider, type AiProviderId } from './ai.enums.js';

export const PROVIDER_IDS = AiProvider.values;
export type ProviderId = AiProviderId;

/**
 * The provider as it was, its calls and failures counted: a call is one completion (with
 * its retries); a failure is one that threw, unless the caller had cancelled it.
 */
function metered(provider: ChatProvider, metrics: Metrics | undefined): ChatProvider {
  if (!metrics) return provider;
  const complete = provider.complete.bind(provider);
  const wrapper = Object.create(provider) as ChatProvider;
  wrapper.complete = async function* (req: CompletionRequest): AsyncGenerator<CompletionEvent> {
    const labels = { provider: provider.id, kind: 'chat' };
    metrics.providerCalls.inc(labels);
    try {
      yield* complete(req);
    } catch (e) {
      if (!req.signal?.aborted) metrics.providerFailures.inc(labels);
      throw e;
    }
  };
  return wrapper;
}

/** The configured providers; `auto` means the first configured real one, else `local`. */
export class ProviderRegistry {
  readonly local: ChatProvider;
  private readonly remote: ChatProvider[];

  constructor(
    private readonly config: Config,
    readonly metrics?: Metrics,
  ) {
    const policy = config.ai;
    this.local = metered(new LocalProvider(), metrics);
    this.remote = [new OpenAIProvider(config.ai.openai, policy), new AnthropicProvider(config.ai.anthropic, policy)].map((p) => metered(p, metrics));
  }

  get defaultId(): AiProviderId {
    return this.config.ai.defaultProvider;
  }

  all(): ChatProvider[] {
    return [this.local, ...this.remote];
  }

  /**
   * The provider for `id` (or the default), and the model to use.
   * @throws validation_error for an unknown or unconfigured provider, or a model it does not offer
   */
  resolve(id: string | null | undefined, model: string | null | undefined): { provider: ChatProvider; model: string } {
    const wanted = id ?? this.config.ai.defaultProvider;
    let provider: ChatProvider | undefined;
    if (wanted === 'auto') provider = this.remote.find((p) => p.configured) ?? this.local;
    else provider = this.all().find((p) => p.id === wanted);
    if (!provider) {
      // "A model or routing mode": a model name stands for the configured provider serving it.
      const serving = this.all().find((p) => p.configured && p.models.includes(wanted));
      if (serving) {
        if (model && model !== wanted) throw AppError.validation([{ loc: ['model'], message: `must be ${wanted}, the model named by provider, or absent` }]);
        return { provider: serving, model: wanted };
      }
      const models = this.all().flatMap((p) => (p.configured ? p.models : []));
      throw AppError.validation([
        { loc: ['provider'], message: `must be one of ${PROVIDER_IDS.join(', ')}${models.length ? `, or a model a configured provider serves (${models.join(', ')})` : ''}` },
      ]);
    }
    if (!provider.configured) {
      throw AppError.validation([{ loc: ['provider'], message: `${provider.id} is not configured on this server` }]);
    }
    if (model && provider.models.length && !provider.models.includes(model)) {
      throw AppError.validation([{ loc: ['model'], message: `${provider.id} offers ${provider.models.join(', ')}` }]);
    }
    return { provider, model: model ?? provider.defaultModel };
  }

  async describe(): Promise<ProviderInfo[]> {
    return Promise.all(
      this.all().map(async (p) => ({
        id: p.id,
        name: p.name,
        models: [...p.models],
        defaultModel: p.defaultModel,
        configured: p.configured,
        available: p.configured && (await p.reachable()),
        capabilities: [...p.capabilities],
        description: p.description,
      })),
    );
  }
}
