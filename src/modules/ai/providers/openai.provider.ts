import { withoutNul } from '../../../common/text.js';
import { UpstreamError, type CompletionEvent, type CompletionRequest, type TokenUsage } from '../ai.types.js';
import { postForEvents } from './http-stream.js';
import { RemoteProvider } from './remote.provider.js';

interface Chunk {
  choices?: { delta?: { content?: string | null }; finish_reason?: string | null }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number } | null;
  error?: { message?: string } | string;
}

/**
 * Any OpenAI-compatible chat-completions server (OpenAI, Ollama's /v1, vLLM, LM Studio,
 * LiteLLM), streamed over server-sent events with the usage chunk requested.
 */
export class OpenAIProvider extends RemoteProvider {
  readonly id = 'openai' as const;
  readonly name = 'OpenAI-compatible';
  readonly capabilities = ['chat', 'streaming', 'usage'] as const;
  readonly description = 'A chat-completions server speaking the OpenAI API.';

  protected headers(): Record<string, string> {
    return this.cfg.apiKey ? { authorization: `Bearer ${this.cfg.apiKey}` } : {};
  }

  protected modelsUrl(): string {
    return `${this.cfg.baseUrl}/models`;
  }

  protected async *attempt(req: CompletionRequest): AsyncGenerator<CompletionEvent> {
    const body = {
      model: req.model,
      messages: req.messages,
      stream: true,
      stream_options: { include_usage: true },
      ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
      ...(req.jsonSchema ? { response_format: { type: 'json_schema', json_schema: { name: req.jsonSchema.name, strict: true, schema: req.jsonSchema.schema } } } : {}),
    };
    let done = false;
    let usage: TokenUsage | null = null;
    for await (const event of postForEvents(this.name, `${this.cfg.baseUrl}/chat/completions`, this.headers(), body, this.policy, req.signal, (e) => e.data === '[DONE]')) {
      if (event.data === '[DONE]') {
        done = true;
        break;
      }
      let chunk: Chunk;
      try {
        chunk = JSON.parse(event.data) as Chunk;
      } catch {
        throw new UpstreamError(`${this.name} sent a malformed stream chunk`, true);
      }
      if (chunk.error) {
        const msg = typeof chunk.error === 'string' ? chunk.error : (chunk.error.message ?? 'unknown error');
        throw new UpstreamError(`${this.name} reported an error mid-answer: ${msg}`, true);
      }
      const content = chunk.choices?.[0]?.delta?.content;
      const text = typeof content === 'string' ? withoutNul(content) : '';
      if (text) yield { type: 'delta', text };
      if (chunk.usage) {
        const prompt = chunk.usage.prompt_tokens ?? 0;
        const completion = chunk.usage.completion_tokens ?? 0;
        usage = { promptTokens: prompt, completionTokens: completion, totalTokens: chunk.usage.total_tokens ?? prompt + completion };
      }
    }
    if (!done) throw new UpstreamError(`${this.name} ended the stream before it was complete`, true);
    if (usage) yield { type: 'usage', usage };
  }
}
