import { defineEnum, type ValueOf } from '../graphql/enums.js';

/**
 * API key scopes, as the public documentation lists them: REST and the services use the
 * documented strings (`organizations:read`), GraphQL the enum (`ORGANIZATIONS_READ`).
 */
export const ApiKeyScope = defineEnum('ApiKeyScope', 'What an API key may do. Reads need a `:read` scope, changes a `:write` one; organization roles still apply after the scope.', {
  'conversations:read': 'Read conversations, messages and notes, and search them.',
  'conversations:write': 'Chat, and create, change or delete conversations and notes.',
  'rag:read': 'Read and search the knowledge base, and ask it questions.',
  'rag:write': 'Upload, change and delete knowledge base documents.',
  'live:read': 'Read the live quota, transcripts and session events.',
  'live:write': 'Start, keep alive and end live sessions; the realtime socket.',
  'organizations:read': 'Read organizations, their members and teams.',
  'organizations:write': 'Change organizations, members and teams (as the key creator\'s role allows).',
  'integrations:read': 'Read integrations and calendar events.',
  'integrations:write': 'Connect and disconnect integrations; schedule study sessions.',
  'xel:read': 'Read the Xentree English course, progress and dashboard.',
  'xel:write': 'Submit Xentree English answers, evaluations and preferences.',
  'api:read': 'Every read scope.',
  'api:write': 'Every write scope.',
  'api:admin': 'Every scope.',
});

export const SCOPES = ApiKeyScope.values;

export type Scope = ValueOf<typeof ApiKeyScope>;

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
