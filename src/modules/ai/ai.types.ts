import type { ContentKindValue, Passage } from '../search/index.js';

export type { Passage };
import type { AiProviderId, ProviderCapabilityValue } from './ai.enums.js';

/** One turn of the prompt sent to a provider. */
export interface PromptMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}


export interface Citation {
  /** The cited item's id: a document, a note, a message or a transcript. */
  documentId: string;
  type: ContentKindValue;
  title: string;
  snippet: string;
}

export interface CompletionRequest {
  model: string;
  messages: PromptMessage[];
  /** Finds passages the caller may read; the local provider answers from these. */
  retrieve: (query: string) => Promise<Passage[]>;
  signal: AbortSignal;
  /** Sampling temperature; the provider's default when absent. */
  temperature?: number;
  /** Ask for JSON matching this schema (OpenAI's structured outputs; other providers get it in the prompt). */
  jsonSchema?: { name: string; schema: Record<string, unknown> };
}

/** What a provider stream yields: text as it comes, then usage and citations once. */
export type CompletionEvent =
  | { type: 'delta'; text: string }
  | { type: 'usage'; usage: TokenUsage }
  | { type: 'citations'; citations: Citation[] };

export interface ProviderInfo {
  id: AiProviderId;
  name: string;
  models: string[];
  defaultModel: string;
  /** Configured and, for remote ones, answering. */
  available: boolean;
  configured: boolean;
  capabilities: ProviderCapabilityValue[];
  description: string;
}

/** Every AI provider: the embedded `local` one and the remote adapters. */
export interface ChatProvider {
  readonly id: AiProviderId;
  readonly name: string;
  readonly configured: boolean;
  readonly models: readonly string[];
  readonly defaultModel: string;
  readonly capabilities: readonly ProviderCapabilityValue[];
  readonly description: string;
  /** Whether the upstream answers now (cached briefly). */
  reachable(): Promise<boolean>;
  complete(req: CompletionRequest): AsyncGenerator<CompletionEvent>;
}

/**
 * An upstream failure. `retryable` failures (connection, timeout, 429, 5xx) are retried
 * before the first token; afterwards nothing is retried, since text was already sent.
 */
export class UpstreamError extends Error {
  override name = 'UpstreamError';
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly retryAfterMs: number | null = null,
    readonly status: number | null = null,
  ) {
    super(message);
  }
}
