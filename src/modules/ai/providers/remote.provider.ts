import type { ProviderConfig } from '../../../config.js';
import type { AiProviderId, ProviderCapabilityValue } from '../ai.enums.js';
import { UpstreamError, type ChatProvider, type CompletionEvent, type CompletionRequest } from '../ai.types.js';
import { withRetries, type StreamPolicy } from './http-stream.js';
import { Reachability } from './reachability.js';

/**
 * The events of a reply, failing it (its request closed) once its text passes `max` characters
 * (AI_MAX_REPLY_CHARS): a provider that streams on and on is cut off there rather than held in
 * memory and stored.
 */
async function* capped(provider: string, max: number, events: AsyncGenerator<CompletionEvent>): AsyncGenerator<CompletionEvent> {
  let chars = 0;
  for await (const e of events) {
    if (e.type === 'delta' && (chars += e.text.length) > max) throw new UpstreamError(`${provider} sent a reply longer than ${max} characters`, false);
    yield e;
  }
}

/**
 * What the HTTP adapters share: operator configuration, a cached reachability probe
 * (GET of the models list), and retries before the first token. Subclasses say how to
 * authenticate, where the models list is, and how one attempt streams.
 */
export abstract class RemoteProvider<C extends ProviderConfig = ProviderConfig> implements ChatProvider {
  abstract readonly id: AiProviderId;
  abstract readonly name: string;
  abstract readonly capabilities: readonly ProviderCapabilityValue[];
  abstract readonly description: string;
  private readonly reach = new Reachability(() => this.probe());

  constructor(
    protected readonly cfg: C,
    protected readonly policy: StreamPolicy,
  ) {}

  /** Configured when there is somewhere to call and a model to ask. */
  get configured(): boolean {
    return this.cfg.baseUrl !== null && this.cfg.defaultModel !== null;
  }
  get models(): readonly string[] {
    return this.cfg.models;
  }
  get defaultModel(): string {
    return this.cfg.defaultModel ?? '';
  }

  reachable(): Promise<boolean> {
    return this.configured ? this.reach.check() : Promise.resolve(false);
  }

  complete(req: CompletionRequest): AsyncGenerator<CompletionEvent> {
    return capped(this.name, this.policy.maxReplyChars, withRetries(this.policy, req.signal, () => this.attempt(req)));
  }

  protected abstract headers(): Record<string, string>;
  protected abstract modelsUrl(): string;
  protected abstract attempt(req: CompletionRequest): AsyncGenerator<CompletionEvent>;

  private async probe(): Promise<boolean> {
    const res = await fetch(this.modelsUrl(), { headers: this.headers(), signal: AbortSignal.timeout(Math.min(this.policy.timeoutMs, 3000)) });
    return res.ok;
  }
}
