/** API key scopes, as the public documentation lists them. */
export const SCOPES = [
  'conversations:read',
  'conversations:write',
  'rag:read',
  'rag:write',
  'live:read',
  'live:write',
  'organizations:read',
  'organizations:write',
  'integrations:read',
  'integrations:write',
  'xel:read',
  'xel:write',
  'api:read',
  'api:write',
  'api:admin',
] as const;

export type Scope = (typeof SCOPES)[number];

/** What an operation needs: a scope (API keys must hold it), or a user's bearer token. */
export type Requirement = Scope | 'bearer';

/**
 * Whether `granted` covers `need`. Besides the exact scope, `api:read` covers every read,
 * `api:write` every change, and `api:admin` everything.
 */
export function grants(granted: readonly string[], need: Scope): boolean {
  if (granted.includes(need) || granted.includes('api:admin')) return true;
  if (need.endsWith(':read') && granted.includes('api:read')) return true;
  if (need.endsWith(':write') && granted.includes('api:write')) return true;
  return false;
}

/** The sentence the GraphQL schema and the OpenAPI document carry for an operation. */
export function describeRequirement(req: Requirement): string {
  return req === 'bearer' ? 'Bearer token only: API keys are refused.' : `API keys need the scope \`${req}\`.`;
}
