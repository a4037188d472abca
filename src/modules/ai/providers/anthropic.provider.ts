import { withoutNul } from '../../../common/text.js';
import type { ProviderConfig } from '../../../config.js';
import { UpstreamError, type CompletionEvent, type CompletionRequest, type PromptMessage } from '../ai.types.js';
import { postForEvents } from './http-stream.js';
import { RemoteProvider } from './remote.provider.js';

const API_VERSION = '2023-06-01';

/** Anthropic wants alternating user/assistant turns starting with a user, and the system prompt apart. */
export function toAnthropicMessages(messages: PromptMessage[]): { system: string; messages: { role: 'user' | 'assistant'; content: string }[] } {
  const system = messages.filter((m) => m.role === 'system').map((m) => m.content).join('\n\n');
  const turns: { role: 'user' | 'assistant'; content: string }[] = [];
  for (const m of messages) {
    if (m.role === 'system') continue;
    const last = turns[turns.length - 1];
    if (last && last.role === m.role) last.content += `\n\n${m.content}`;
    else turns.push({ role: m.role, content: m.content });
  }
  if (turns[0]?.role === 'assistant') turns.unshift({ role: 'user', content: '(conversation continues)' });
  return { system, messages: turns };
}

/** The Anthropic Messages API, streamed: message_start, content_block_delta, message_delta, message_stop, error. */
/** The fields of Anthropic's stream events this provider reads (the rest is ignored). */
interface AnthropicStreamEvent {
  type?: string;
  error?: { type?: string; message?: string };
  message?: { usage?: { input_tokens?: number; output_tokens?: number } };
  delta?: { type?: string; text?: string };
  usage?: { input_tokens?: number; output_tokens?: number };
}

export class AnthropicProvider extends RemoteProvider<ProviderConfig & { maxTokens: number }> {
  readonly id = 'anthropic' as const;
  readonly name = 'Anthropic';
  readonly capabilities = ['chat', 'streaming', 'usage'] as const;
  readonly description = 'Claude models through the Anthropic Messages API.';

  override get configured(): boolean {
    return super.configured && this.cfg.apiKey !== null;
  }

  protected headers(): Record<string, string> {
    return { 'x-api-key': this.cfg.apiKey ?? '', 'anthropic-version': API_VERSION };
  }

  protected modelsUrl(): string {
    return `${this.cfg.baseUrl}/v1/models`;
  }

  protected async *attempt(req: CompletionRequest): AsyncGenerator<CompletionEvent> {
    const { system, messages } = toAnthropicMessages(req.messages);
    const body = {
      model: req.model,
      max_tokens: this.cfg.maxTokens,
      stream: true,
      messages,
      ...(system ? { system } : {}),
      ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
    };
    let input = 0;
    let output = 0;
    let stopped = false;
    for await (const event of postForEvents(this.name, `${this.cfg.baseUrl}/v1/messages`, this.headers(), body, this.policy, req.signal, (e) => e.event === 'message_stop')) {
      let data: AnthropicStreamEvent;
      try {
        data = JSON.parse(event.data) as AnthropicStreamEvent;
      } catch {
        throw new UpstreamError(`${this.name} sent a malformed stream event`, true);
      }
      const type = event.event ?? data.type;
      if (type === 'error') {
        const err = data.error;
        // overloaded_error and api_error are transient; others describe the request.
        const transient = err?.type === 'overloaded_error' || err?.type === 'api_error' || err?.type === 'rate_limit_error';
        throw new UpstreamError(`${this.name} reported ${err?.type ?? 'an error'} mid-answer: ${err?.message ?? ''}`.trim(), transient);
      }
      if (type === 'message_start') {
        input = data.message?.usage?.input_tokens ?? 0;
        output = data.message?.usage?.output_tokens ?? 0;
      } else if (type === 'content_block_delta' && data.delta?.type === 'text_delta') {
        const text = typeof data.delta.text === 'string' ? withoutNul(data.delta.text) : '';
        if (text) yield { type: 'delta', text };
      } else if (type === 'message_delta' && data.usage) {
        output = data.usage.output_tokens ?? output;
        if (typeof data.usage.input_tokens === 'number') input = data.usage.input_tokens;
      } else if (type === 'message_stop') {
        stopped = true;
        break;
      }
    }
    if (!stopped) throw new UpstreamError(`${this.name} ended the stream before message_stop`, true);
    yield { type: 'usage', usage: { promptTokens: input, completionTokens: output, totalTokens: input + output } };
  }
}
