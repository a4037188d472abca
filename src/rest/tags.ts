/**
 * What each tag of the OpenAPI document groups. A route's `tag` must have a line here
 * (test/openapi.test.ts fails naming the tags without one).
 */
export const TAG_DESCRIPTIONS: Readonly<Record<string, string>> = {
  Authentication: 'Registration, sign-in with a password, token refresh and logout, and the signed-in user\'s own profile.',
  Conversations: 'AI chat (answers grounded in the knowledge base, streamed as server-sent events on request), stored conversations and their messages, notes, and search over everything the caller owns.',
  'Knowledge base': 'Documents the caller uploads or shares with an organization, semantic search over their passages, and answers with citations (RAG).',
  'Xentree Live': 'Voice and avatar sessions counted against the monthly live quota, and their saved transcripts. The realtime socket is described by the AsyncAPI document at /asyncapi.json.',
  Organizations: 'Organizations, their members with roles (owner, admin, member), and teams.',
  'API keys': 'Keys for server-to-server callers: each acts for its creator in one organization, within its scopes.',
  Integrations: 'Connected third-party accounts (Google Calendar): the OAuth flow, and study sessions written to the calendar.',
  'Xentree English': 'English learning modules by CEFR level and skill, task submissions with XP, AI evaluation of speaking and writing, and the learner dashboard.',
  'XP and streaks': "XP, levels and daily streaks; streak freezes bought with tokens (at most 2 held; a missed day spends one and keeps the streak); the week's activity, daily quests paying tokens and the XP booster; and a learner's public profile when they turned `public_profile` on.",
  Learning: 'Learning time over a range of days (conversation learning sessions, Xentree Live and XEL practice; YYYY-MM-DD dates with UTC day boundaries, end date inclusive as a day), and the 365-day learning pulse with an intensity 0–4 for a heatmap.',
  'Admin statistics': 'For the admins and owners of an organization: its engagement, one member\'s figures and the members\' progress list over a range of days (learning time from conversation learning sessions, Xentree Live and XEL practice; XP; tasks completed). YYYY-MM-DD dates with UTC day boundaries: the start day from 00:00:00Z, the end day up to 00:00:00Z of the day after. API keys need `organizations:read` and act with their creator\'s role.',
  'Integration tokens': "Short-lived RS256 JWTs signed by a tenant's (organization's) own key, for embedding Xentree in third-party apps: grant, verify, revoke and rotate them (camelCase bodies: `ttlSeconds`, `tenantId`, `integrationToken`), the tenant's JWK Set and key fingerprint, and the revocation list for tenant admins.",
};
