import { z } from 'zod';
import { defineListRoute, defineRoute, type RestRoute } from '../../rest/route-table.js';
import type { ApiKey } from './api-keys.entities.js';
import { ApiKeyScope } from '../../common/scopes.js';
import { createApiKeySchema, listApiKeysPageSchema } from './api-keys.types.js';
import type { ServiceMap } from '../manifest.js';

/** `APIKeyResponse` of the contract. */
export const apiKeySchema = z.object({
  id: z.string(),
  name: z.string(),
  organization_id: z.string(),
  scopes: z.array(ApiKeyScope.schema),
  prefix: z.string(),
  created_by: z.string(),
  created_at: z.iso.datetime(),
  expires_at: z.iso.datetime().nullable(),
  last_used_at: z.iso.datetime().nullable(),
  allowed_ips: z.array(z.string()),
}).meta({ id: 'APIKeyResponse' });

export const toApiKey = (k: ApiKey): z.infer<typeof apiKeySchema> => ({
  id: k.id,
  name: k.name,
  organization_id: k.organization.id,
  scopes: k.scopes,
  prefix: k.prefix,
  created_by: k.createdBy.id,
  created_at: k.createdAt.toISOString(),
  expires_at: k.expiresAt?.toISOString() ?? null,
  last_used_at: k.lastUsedAt?.toISOString() ?? null,
  allowed_ips: k.allowedIps,
});

const createdSchema = apiKeySchema.extend({ key: z.string().describe('The full key, shown this once.') }).meta({ id: 'APIKeyCreatedResponse' });
const tag = 'API keys';

export const apiKeysRoutes = (s: Pick<ServiceMap, 'apiKeys'>): RestRoute[] => [
  defineRoute({
    method: 'POST',
    path: '/api/api-keys',
    operationId: 'createApiKey',
    summary: 'Issue an API key for one organization',
    description: 'The response carries the full key (xntr- and 86 characters) this once; only its hash is stored.',
    tag,
    auth: 'bearer',
    body: { schema: createApiKeySchema, required: true },
    handler: (ctx, { body }) => s.apiKeys.create(ctx, body),
    response: { status: 201, description: 'APIKeyResponse plus key', schema: createdSchema, serialize: (r) => ({ ...toApiKey(r.apiKey), key: r.key }) },
    errors: ['not_found'],
  }),
  defineListRoute({
    method: 'GET',
    path: '/api/api-keys',
    operationId: 'listApiKeys',
    summary: 'Live API keys: your own, and all keys of organizations you administer',
    tag,
    auth: 'bearer',
    query: listApiKeysPageSchema,
    handler: (ctx, { query }) => s.apiKeys.list(ctx, query),
    response: { status: 200, description: 'APIKeyResponse[]', schema: apiKeySchema, serialize: toApiKey },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/api/api-keys/{key_id}',
    operationId: 'revokeApiKey',
    summary: 'Revoke an API key, effective immediately',
    tag,
    auth: 'bearer',
    handler: (ctx, { params }) => s.apiKeys.revoke(ctx, params.key_id!),
    response: { status: 204, description: 'Revoked' },
    errors: ['not_found'],
  }),
];
