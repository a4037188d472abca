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
  'quiz:read': 'Read Xentree English modules, their tasks and your results (a part of `xel:read`).',
  'quiz:write': 'Submit answers to Xentree English tasks (a part of `xel:write`).',
  'api:read': 'Read API metadata. Grants no other scope.',
  'api:write': 'Change API metadata. Grants no other scope.',
  'api:admin': 'Administer the API: `api:read` and `api:write`. Grants no other scope.',
});

export const SCOPES = ApiKeyScope.values;

export type Scope = ValueOf<typeof ApiKeyScope>;

/** What an operation needs: a scope (API keys must hold it), or a user's bearer token. */
export type Requirement = Scope | 'bearer';

/**
 * Scopes that hold a narrower one, as the documented catalogue defines them: `xel:read`
 * includes `quiz:read` (modules, tasks and results), `xel:write` includes `quiz:write`
 * (submitting answers), `api:admin` includes `api:read` and `api:write`. No scope grants
 * scopes of other domains (`api:*` are API metadata and administration, nothing else).
 */
const INCLUDED_IN: Partial<Record<Scope, readonly Scope[]>> = {
  'quiz:read': ['xel:read'],
  'quiz:write': ['xel:write'],
  'api:read': ['api:admin'],
  'api:write': ['api:admin'],
};

/** Whether `granted` covers `need`: the scope itself, or a scope that includes it. */
export function grants(granted: readonly string[], need: Scope): boolean {
  return granted.includes(need) || (INCLUDED_IN[need]?.some((wider) => granted.includes(wider)) ?? false);
}

/** The sentence the GraphQL schema and the OpenAPI document carry for an operation. */
export function describeRequirement(req: Requirement): string {
  if (req === 'bearer') return 'Bearer token only: API keys are refused.';
  const wider = INCLUDED_IN[req];
  return wider ? `API keys need the scope \`${req}\` (or ${wider.map((w) => `\`${w}\``).join(', ')}).` : `API keys need the scope \`${req}\`.`;
}
