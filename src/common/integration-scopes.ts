import { defineEnum, type ValueOf } from '../graphql/enums.js';

/**
 * What an integration token (a grant, see src/modules/integration-tokens) may be used for
 * when it is sent as a bearer token: each scope admits a few read operations, nothing else.
 */
export const IntegrationTokenScope = defineEnum('IntegrationTokenScope', 'What an integration token may read when it is sent as a bearer token; anything else answers forbidden.', {
  'profile:read': "The granting user's public profile (`GET /api/integration/profile`, `integrationProfile`).",
  'quota:read': "The granting user's live quota (`GET /api/live/quota`, `liveQuota`).",
  'xel:read': 'What an API key with `xel:read` reads: the Xentree English course, progress and dashboard.',
  'live:read': 'What an API key with `live:read` reads: the live quota, transcripts and session events.',
});
export type IntegrationScope = ValueOf<typeof IntegrationTokenScope>;

/** Grant scopes that admit every operation an API key scope of the same name admits. */
export const API_SCOPE_LIKE: ReadonlySet<IntegrationScope> = new Set<IntegrationScope>(['xel:read', 'live:read']);
