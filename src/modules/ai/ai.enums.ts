import { defineEnum, type ValueOf } from '../../graphql/enums.js';

/** The AI providers a turn, a conversation or a grounded answer may name. */
export const AiProvider = defineEnum(
  'AiProvider',
  'An AI provider. `auto` is a choice, not a provider: it means the server\'s default (`Providers.default`), so an answer never names it.',
  {
    auto: 'The server\'s default: the first configured real provider, else `local`. Only as a choice; answers name the provider that answered.',
    local: 'The embedded provider: not a language model; it quotes the caller\'s own passages with numbered citations. Works offline.',
    openai: 'An OpenAI-compatible chat-completions server (OpenAI, Ollama, vLLM, LM Studio, LiteLLM), as the operator configured it.',
    anthropic: 'The Anthropic Messages API (Claude models).',
  },
  { message: 'must be one of auto, local, openai, anthropic' },
);
export type AiProviderId = ValueOf<typeof AiProvider>;

/** What a provider can do. */
export const ProviderCapability = defineEnum('ProviderCapability', 'Something a provider can do.', {
  chat: 'Answers chat turns.',
  streaming: 'Streams its replies token by token (`chatStream`, server-sent events).',
  usage: 'Reports token usage for each reply.',
  citations: 'Cites the passages it answered from.',
  offline: 'Works without any network service.',
});
export type ProviderCapabilityValue = ValueOf<typeof ProviderCapability>;
