import { z } from 'zod';
import { defineRoute, type RestRoute } from '../../rest/route-table.js';
import type { ServiceMap } from '../manifest.js';
import { AiProvider, ProviderCapability } from './ai.enums.js';

const providersSchema = z.object({
  default: AiProvider.schema,
  providers: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      models: z.array(z.string()),
      default_model: z.string(),
      available: z.boolean(),
      configured: z.boolean(),
      capabilities: z.array(ProviderCapability.schema),
      description: z.string(),
    }),
  ),
}).meta({ id: 'ProvidersResponse' });
const tag = 'Conversations';

export const aiRoutes = (s: Pick<ServiceMap, 'ai'>): RestRoute[] => [
  defineRoute({
    method: 'GET',
    path: '/api/core/providers',
    operationId: 'listProviders',
    summary: 'AI providers: which are configured and answering, their models and capabilities',
    tag,
    auth: 'public',
    publicCacheSeconds: 60,
    handler: async () => ({ default: s.ai.defaultId, providers: await s.ai.describe() }),
    response: {
      status: 200,
      description: 'Providers',
      schema: providersSchema,
      serialize: (r) => ({
        default: r.default,
        providers: r.providers.map((p) => ({ id: p.id, name: p.name, models: p.models, default_model: p.defaultModel, available: p.available, configured: p.configured, capabilities: p.capabilities, description: p.description })),
      }),
    },
  }),
];
