import { resolver, service, type ModuleManifest } from '../manifest.js';
import { providerNodes, ProvidersResolver } from './ai.resolver.js';
import { aiRoutes } from './ai.rest.js';
import { ProviderRegistry } from './ai.service.js';

export { AiProvider, ProviderCapability, type AiProviderId, type ProviderCapabilityValue } from './ai.enums.js';
export { UpstreamError, type Citation, type Passage, type PromptMessage, type TokenUsage } from './ai.types.js';
export { parseRetryAfter } from './providers/http-stream.js';
export { ProviderRegistry };

declare module '../manifest.js' {
  interface ServiceMap {
    ai: ProviderRegistry;
  }
}

/** The AI providers (no tables): the registry the chat, knowledge, live and XEL services call. */
export const aiModule: ModuleManifest = {
  name: 'ai',
  entities: [],
  services: [service('ai', ['config', 'metrics'], ({ config, metrics }) => new ProviderRegistry(config, metrics))],
  resolvers: [resolver(ProvidersResolver, (s) => new ProvidersResolver(s.ai))],
  routes: aiRoutes,
  nodes: (s) => [providerNodes(s)],
};
