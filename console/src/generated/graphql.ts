/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
/** A user to add to an organization, by email or by id (exactly one). */
export type AddMemberInput = {
  /** The email address of the user to add. */
  email?: string | null | undefined;
  /** The organization. */
  organizationId: string | number;
  /** Their role (MEMBER when absent); only an owner adds an owner. */
  role?: OrganizationRole | null | undefined;
  /** A team of the organization to put them in. */
  teamId?: string | number | null | undefined;
  /** The id of the user to add. */
  userId?: string | number | null | undefined;
};

/** What an API key may do. Reads need a `:read` scope, changes a `:write` one; organization roles still apply after the scope. */
export type ApiKeyScope =
  /** Every scope. */
  | 'API_ADMIN'
  /** Every read scope. */
  | 'API_READ'
  /** Every write scope. */
  | 'API_WRITE'
  /** Read conversations, messages and notes, and search them. */
  | 'CONVERSATIONS_READ'
  /** Chat, and create, change or delete conversations and notes. */
  | 'CONVERSATIONS_WRITE'
  /** Read integrations and calendar events. */
  | 'INTEGRATIONS_READ'
  /** Connect and disconnect integrations; schedule study sessions. */
  | 'INTEGRATIONS_WRITE'
  /** Read the live quota, transcripts and session events. */
  | 'LIVE_READ'
  /** Start, keep alive and end live sessions; the realtime socket. */
  | 'LIVE_WRITE'
  /** Read organizations, their members and teams. */
  | 'ORGANIZATIONS_READ'
  /** Change organizations, members and teams (as the key creator's role allows). */
  | 'ORGANIZATIONS_WRITE'
  /** Read and search the knowledge base, and ask it questions. */
  | 'RAG_READ'
  /** Upload, change and delete knowledge base documents. */
  | 'RAG_WRITE'
  /** Read the Xentree English course, progress and dashboard. */
  | 'XEL_READ'
  /** Submit Xentree English answers, evaluations and preferences. */
  | 'XEL_WRITE';

export type ChatInput = {
  /** Earlier turns, for callers that keep no conversation. */
  conversationHistory?: Array<HistoryTurnInput> | null | undefined;
  /** Continue this conversation; without it a new one is created. */
  conversationId?: string | number | null | undefined;
  message: string;
  model?: string | null | undefined;
  /** auto (default), local, openai or anthropic. */
  provider?: string | null | undefined;
  /** Ground the answer in the knowledge base (default true). */
  useKnowledgeBase?: boolean | null | undefined;
  /** Answer in this language, e.g. "en". */
  userLanguage?: string | null | undefined;
};

/** A new API key for one organization. */
export type CreateApiKeyInput = {
  /** IP addresses or CIDR ranges it may be used from (at most 50); empty or absent: anywhere. */
  allowedIps?: Array<string> | null | undefined;
  /** When it stops working (in the future); absent or null: never. */
  expiresAt?: string | null | undefined;
  /** A name to recognise it by, 1 to 100 characters. */
  name: string;
  /** The organization it acts in; you must be a member. */
  organizationId: string | number;
  /** What it may do (at least one); repeated scopes count once. */
  scopes: Array<ApiKeyScope>;
};

/** A new organization; the caller becomes its owner. */
export type CreateOrganizationInput = {
  /** Up to 1000 characters. */
  description?: string | null | undefined;
  /** The display name, 1 to 100 characters. */
  name: string;
  /** Lower-case letters, digits and hyphens, unique; derived from the name when absent. */
  slug?: string | null | undefined;
};

export type HistoryTurnInput = {
  content: string;
  /** user, assistant or system */
  role: string;
};

/** Credentials to log in with. */
export type LoginInput = {
  /** The password. */
  password: string;
  /** The username or the email address. */
  username: string;
};

/** Which login session to end. */
export type LogoutInput = {
  /** The refresh token of the session to end; absent or null: the caller's current session (the bearer token's). */
  refreshToken?: string | null | undefined;
};

/** A role in an organization: owner > admin > member. An organization always keeps at least one owner. */
export type OrganizationRole =
  /** Everything a member may do, and: changes the organization, adds, changes and removes members (not owners), manages teams. */
  | 'ADMIN'
  /** Reads the organization, its members and teams; issues API keys for it; leaves it. */
  | 'MEMBER'
  /** Everything an admin may do, and: makes or unmakes owners, deletes the organization. */
  | 'OWNER';

/** A refresh token to spend. */
export type RefreshTokenInput = {
  /** The refresh token of the last login or refresh: single use. */
  refreshToken: string;
};

/** A new account. */
export type RegisterInput = {
  /** The email address, unique whatever its case. */
  email: string;
  /** The full name, up to 200 characters. */
  fullName?: string | null | undefined;
  /** 8 to 256 characters. */
  password: string;
  /** 3 to 32 letters, digits, underscores, dots or hyphens; unique whatever its case. */
  username: string;
};

/** The API key to revoke. */
export type RevokeApiKeyInput = {
  /** The key. */
  id: string | number;
};

export type SubmitXelTaskInput = {
  durationSeconds?: number | null | undefined;
  /** Optional check: the module (id or slug) the task must belong to. */
  moduleId?: string | number | null | undefined;
  /** The option id (multiple_choice), the sentence or option ids in order (ordering), or the text. */
  response: string;
  taskId: string | number;
  words?: Array<XelWordTimingInput> | null | undefined;
};

export type UploadDocumentInput = {
  /** The text itself (text, Markdown, HTML). */
  content?: string | null | undefined;
  /** The file, base64-encoded (PDF and others). */
  contentBase64?: string | null | undefined;
  /** e.g. notes.md, report.pdf: tells the type. */
  filename?: string | null | undefined;
  mimeType?: string | null | undefined;
  organizationId?: string | number | null | undefined;
  /** Defaults to the file name. */
  title?: string | null | undefined;
  /** private or organization. */
  visibility?: string | null | undefined;
};

export type XelPreferencesInput = {
  dailyGoalXp?: number | null | undefined;
  /** IANA time zone your days (streaks, daily goal) are counted in: your profile’s time zone. */
  timezone?: string | null | undefined;
};

export type XelWordTimingInput = {
  end: number;
  start: number;
  word: string;
};

type ConsoleSession_LoginPayload_Fragment = { accessToken: string, refreshToken: string, expiresIn: number, user: { id: string, username: string, email: string, fullName: string | null, plan: string } };

type ConsoleSession_RefreshTokenPayload_Fragment = { accessToken: string, refreshToken: string, expiresIn: number, user: { id: string, username: string, email: string, fullName: string | null, plan: string } };

export type ConsoleSessionFragment =
  | ConsoleSession_LoginPayload_Fragment
  | ConsoleSession_RefreshTokenPayload_Fragment
;

export type ConsoleRegisterMutationVariables = Exact<{
  input: RegisterInput;
}>;


export type ConsoleRegisterMutation = { register: { user: { id: string, username: string } } };

export type ConsoleLoginMutationVariables = Exact<{
  input: LoginInput;
}>;


export type ConsoleLoginMutation = { login: { accessToken: string, refreshToken: string, expiresIn: number, user: { id: string, username: string, email: string, fullName: string | null, plan: string } } };

export type ConsoleRefreshMutationVariables = Exact<{
  input: RefreshTokenInput;
}>;


export type ConsoleRefreshMutation = { refreshToken: { accessToken: string, refreshToken: string, expiresIn: number, user: { id: string, username: string, email: string, fullName: string | null, plan: string } } };

export type ConsoleLogoutMutationVariables = Exact<{
  input: LogoutInput;
}>;


export type ConsoleLogoutMutation = { logout: { loggedOut: boolean } };

export type ConsoleProvidersQueryVariables = Exact<{ [key: string]: never; }>;


export type ConsoleProvidersQuery = { providers: { default: string, providers: Array<{ id: string, name: string, description: string, available: boolean, configured: boolean, models: Array<string>, defaultModel: string }> } };

export type ConsoleConversationsQueryVariables = Exact<{
  first?: number | null | undefined;
}>;


export type ConsoleConversationsQuery = { conversations: { totalCount: number, edges: Array<{ node: { id: string, title: string | null, provider: string | null, messageCount: number, lastMessageAt: string | null } }> } };

export type ConsoleConversationQueryVariables = Exact<{
  id: string | number;
  last?: number | null | undefined;
}>;


export type ConsoleConversationQuery = { conversation: { id: string, title: string | null, provider: string | null, messages: { edges: Array<{ node: { id: string, role: string, content: string, provider: string | null, model: string | null, status: string, createdAt: string, citations: Array<{ documentId: string, type: string, title: string, snippet: string }> } }> } } };

export type ConsoleChatStreamSubscriptionVariables = Exact<{
  input: ChatInput;
}>;


export type ConsoleChatStreamSubscription = { chatStream: { type: string, conversationId: string, delta: string | null, error: { code: string, message: string } | null, response: { content: string, status: string, provider: string, model: string, messageId: string, conversationId: string, citations: Array<{ documentId: string, type: string, title: string, snippet: string }> } | null } };

export type ConsoleDeleteConversationMutationVariables = Exact<{
  id: string | number;
}>;


export type ConsoleDeleteConversationMutation = { deleteConversation: boolean };

export type ConsoleSearchQueryVariables = Exact<{
  q: string;
  limit?: number | null | undefined;
}>;


export type ConsoleSearchQuery = { search: { query: string, total: number, results: Array<{ id: string, type: string, title: string, snippet: string, conversationId: string | null, createdAt: string }> } };

export type ConsoleDocumentFragment = { id: string, title: string, status: string, error: string | null, mimeType: string, sizeBytes: number, chunkCount: number, visibility: string, createdAt: string };

export type ConsoleDocumentsQueryVariables = Exact<{
  limit?: number | null | undefined;
}>;


export type ConsoleDocumentsQuery = { documents: { total: number, items: Array<{ id: string, title: string, status: string, error: string | null, mimeType: string, sizeBytes: number, chunkCount: number, visibility: string, createdAt: string }> } };

export type ConsoleUploadDocumentMutationVariables = Exact<{
  input: UploadDocumentInput;
}>;


export type ConsoleUploadDocumentMutation = { uploadDocument: { id: string, title: string, status: string, error: string | null, mimeType: string, sizeBytes: number, chunkCount: number, visibility: string, createdAt: string } };

export type ConsoleDeleteDocumentMutationVariables = Exact<{
  id: string | number;
}>;


export type ConsoleDeleteDocumentMutation = { deleteDocument: boolean };

export type ConsoleKnowledgeSearchQueryVariables = Exact<{
  query: string;
  limit?: number | null | undefined;
}>;


export type ConsoleKnowledgeSearchQuery = { knowledgeSearch: { mode: string, results: Array<{ chunkId: string, documentId: string, title: string, snippet: string, score: number }> } };

export type ConsoleRagQueryQueryVariables = Exact<{
  question: string;
  provider?: string | null | undefined;
}>;


export type ConsoleRagQueryQuery = { ragQuery: { answer: string, provider: string, model: string, citations: Array<{ documentId: string, title: string, snippet: string }> } };

export type ConsoleLiveQuotaQueryVariables = Exact<{ [key: string]: never; }>;


export type ConsoleLiveQuotaQuery = { liveQuota: { plan: string, limitSeconds: number, usedSeconds: number, remainingSeconds: number, periodEnd: string, activeSession: { id: string, sessionType: string, startedAt: string } | null } };

export type ConsoleLiveHeartbeatMutationVariables = Exact<{
  sessionId: string | number;
}>;


export type ConsoleLiveHeartbeatMutation = { liveHeartbeat: { usedSeconds: number, remainingSeconds: number, warning: string | null, session: { id: string, status: string, endReason: string | null } } };

export type ConsoleEndLiveSessionMutationVariables = Exact<{
  sessionId: string | number;
}>;


export type ConsoleEndLiveSessionMutation = { endLiveSession: { usedSeconds: number, remainingSeconds: number } };

export type ConsoleLiveTranscriptsQueryVariables = Exact<{
  limit?: number | null | undefined;
}>;


export type ConsoleLiveTranscriptsQuery = { liveTranscripts: { total: number, items: Array<{ id: string, sessionId: string | null, sessionStartedAt: string, sessionEndedAt: string, transcripts: Array<{ role: string, text: string }> }> } };

export type ConsoleOrganizationFragment = { id: string, name: string, slug: string, description: string | null, viewerRole: OrganizationRole, memberCount: number };

export type ConsoleOrganizationsQueryVariables = Exact<{ [key: string]: never; }>;


export type ConsoleOrganizationsQuery = { organizations: { edges: Array<{ node: { id: string, name: string, slug: string, description: string | null, viewerRole: OrganizationRole, memberCount: number } }> } };

export type ConsoleOrganizationQueryVariables = Exact<{
  id: string | number;
}>;


export type ConsoleOrganizationQuery = { organization: { id: string, name: string, slug: string, description: string | null, viewerRole: OrganizationRole, memberCount: number, members: { totalCount: number, edges: Array<{ node: { id: string, role: OrganizationRole, joinedAt: string, user: { id: string, username: string, email: string } } }> } } | null };

export type ConsoleCreateOrganizationMutationVariables = Exact<{
  input: CreateOrganizationInput;
}>;


export type ConsoleCreateOrganizationMutation = { createOrganization: { organization: { id: string, name: string, slug: string, description: string | null, viewerRole: OrganizationRole, memberCount: number } } };

export type ConsoleAddMemberMutationVariables = Exact<{
  input: AddMemberInput;
}>;


export type ConsoleAddMemberMutation = { addMember: { member: { id: string, role: OrganizationRole, user: { id: string, username: string, email: string } }, organization: { id: string, memberCount: number } } };

export type ConsoleApiKeysQueryVariables = Exact<{
  organizationId?: string | number | null | undefined;
}>;


export type ConsoleApiKeysQuery = { apiKeys: { edges: Array<{ node: { id: string, name: string, prefix: string, scopes: Array<ApiKeyScope>, createdAt: string, lastUsedAt: string | null } }> } };

export type ConsoleCreateApiKeyMutationVariables = Exact<{
  input: CreateApiKeyInput;
}>;


export type ConsoleCreateApiKeyMutation = { createApiKey: { key: string, apiKey: { id: string, name: string, prefix: string, scopes: Array<ApiKeyScope> } } };

export type ConsoleRevokeApiKeyMutationVariables = Exact<{
  input: RevokeApiKeyInput;
}>;


export type ConsoleRevokeApiKeyMutation = { revokeApiKey: { deletedId: string } };

export type ConsoleXelModuleFragment = { id: string, slug: string, title: string, description: string, level: string, skill: string, taskCount: number, completedTasks: number, progressPercent: number, status: string, xpEarned: number, estimatedMinutes: number };

export type ConsoleXelEvaluationFragment = { overallScore: number, cefrEstimate: string, cefrCaveat: string, evaluator: string, notAssessed: Array<string>, criteria: Array<{ name: string, score: number | null, assessed: boolean, feedback: string }>, corrections: Array<{ start: number, end: number, text: string, message: string, suggestions: Array<string>, kind: string }> };

export type ConsoleXelModulesQueryVariables = Exact<{
  level?: string | null | undefined;
  skill?: string | null | undefined;
}>;


export type ConsoleXelModulesQuery = { xelModules: Array<{ id: string, slug: string, title: string, description: string, level: string, skill: string, taskCount: number, completedTasks: number, progressPercent: number, status: string, xpEarned: number, estimatedMinutes: number }> };

export type ConsoleXelModuleQueryVariables = Exact<{
  id: string | number;
}>;


export type ConsoleXelModuleQuery = { xelModule: { id: string, slug: string, title: string, description: string, level: string, skill: string, taskCount: number, completedTasks: number, progressPercent: number, status: string, xpEarned: number, estimatedMinutes: number, tasks: Array<{ id: string, key: string, type: string, prompt: string, passage: string | null, maxScore: number, attempts: number, completed: boolean, bestScore: number | null, minWords: number | null, maxWords: number | null, targetSeconds: number | null, options: Array<{ id: string, text: string }> | null }> } };

export type ConsoleXelDashboardQueryVariables = Exact<{ [key: string]: never; }>;


export type ConsoleXelDashboardQuery = { xelDashboard: { xpTotal: number, level: number, xpIntoLevel: number, xpForNextLevel: number, currentStreak: number, longestStreak: number, timezone: string, dailyGoalXp: number, todayXp: number, dailyGoalMet: boolean, modulesCompleted: number, modulesInProgress: number, tasksCompleted: number, averageScore: number | null, skillScores: Array<{ skill: string, score: number | null, samples: number }>, weeklyActivity: Array<{ date: string, xp: number, tasks: number }>, recommendedModule: { id: string, title: string, level: string, skill: string } | null } };

export type ConsoleSubmitXelTaskMutationVariables = Exact<{
  input: SubmitXelTaskInput;
}>;


export type ConsoleSubmitXelTaskMutation = { submitXelTask: { submissionId: string, score: number, maxScore: number, passed: boolean, feedback: string, xpAwarded: number, moduleProgress: { id: string, slug: string, title: string, description: string, level: string, skill: string, taskCount: number, completedTasks: number, progressPercent: number, status: string, xpEarned: number, estimatedMinutes: number }, evaluation: { overallScore: number, cefrEstimate: string, cefrCaveat: string, evaluator: string, notAssessed: Array<string>, criteria: Array<{ name: string, score: number | null, assessed: boolean, feedback: string }>, corrections: Array<{ start: number, end: number, text: string, message: string, suggestions: Array<string>, kind: string }> } | null } };

export type ConsoleUpdateXelPreferencesMutationVariables = Exact<{
  input: XelPreferencesInput;
}>;


export type ConsoleUpdateXelPreferencesMutation = { updateXelPreferences: { timezone: string, dailyGoalXp: number } };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const ConsoleSessionFragmentDoc = new TypedDocumentString(`
    fragment ConsoleSession on AuthPayload {
  accessToken
  refreshToken
  expiresIn
  user {
    id
    username
    email
    fullName
    plan
  }
}
    `, {"fragmentName":"ConsoleSession"}) as unknown as TypedDocumentString<ConsoleSessionFragment, unknown>;
export const ConsoleDocumentFragmentDoc = new TypedDocumentString(`
    fragment ConsoleDocument on Document {
  id
  title
  status
  error
  mimeType
  sizeBytes
  chunkCount
  visibility
  createdAt
}
    `, {"fragmentName":"ConsoleDocument"}) as unknown as TypedDocumentString<ConsoleDocumentFragment, unknown>;
export const ConsoleOrganizationFragmentDoc = new TypedDocumentString(`
    fragment ConsoleOrganization on Organization {
  id
  name
  slug
  description
  viewerRole
  memberCount
}
    `, {"fragmentName":"ConsoleOrganization"}) as unknown as TypedDocumentString<ConsoleOrganizationFragment, unknown>;
export const ConsoleXelModuleFragmentDoc = new TypedDocumentString(`
    fragment ConsoleXelModule on XelModule {
  id
  slug
  title
  description
  level
  skill
  taskCount
  completedTasks
  progressPercent
  status
  xpEarned
  estimatedMinutes
}
    `, {"fragmentName":"ConsoleXelModule"}) as unknown as TypedDocumentString<ConsoleXelModuleFragment, unknown>;
export const ConsoleXelEvaluationFragmentDoc = new TypedDocumentString(`
    fragment ConsoleXelEvaluation on XelEvaluation {
  overallScore
  cefrEstimate
  cefrCaveat
  evaluator
  notAssessed
  criteria {
    name
    score
    assessed
    feedback
  }
  corrections {
    start
    end
    text
    message
    suggestions
    kind
  }
}
    `, {"fragmentName":"ConsoleXelEvaluation"}) as unknown as TypedDocumentString<ConsoleXelEvaluationFragment, unknown>;
export const ConsoleRegisterDocument = new TypedDocumentString(`
    mutation ConsoleRegister($input: RegisterInput!) {
  register(input: $input) {
    user {
      id
      username
    }
  }
}
    `) as unknown as TypedDocumentString<ConsoleRegisterMutation, ConsoleRegisterMutationVariables>;
export const ConsoleLoginDocument = new TypedDocumentString(`
    mutation ConsoleLogin($input: LoginInput!) {
  login(input: $input) {
    ...ConsoleSession
  }
}
    fragment ConsoleSession on AuthPayload {
  accessToken
  refreshToken
  expiresIn
  user {
    id
    username
    email
    fullName
    plan
  }
}`) as unknown as TypedDocumentString<ConsoleLoginMutation, ConsoleLoginMutationVariables>;
export const ConsoleRefreshDocument = new TypedDocumentString(`
    mutation ConsoleRefresh($input: RefreshTokenInput!) {
  refreshToken(input: $input) {
    ...ConsoleSession
  }
}
    fragment ConsoleSession on AuthPayload {
  accessToken
  refreshToken
  expiresIn
  user {
    id
    username
    email
    fullName
    plan
  }
}`) as unknown as TypedDocumentString<ConsoleRefreshMutation, ConsoleRefreshMutationVariables>;
export const ConsoleLogoutDocument = new TypedDocumentString(`
    mutation ConsoleLogout($input: LogoutInput!) {
  logout(input: $input) {
    loggedOut
  }
}
    `) as unknown as TypedDocumentString<ConsoleLogoutMutation, ConsoleLogoutMutationVariables>;
export const ConsoleProvidersDocument = new TypedDocumentString(`
    query ConsoleProviders {
  providers {
    default
    providers {
      id
      name
      description
      available
      configured
      models
      defaultModel
    }
  }
}
    `) as unknown as TypedDocumentString<ConsoleProvidersQuery, ConsoleProvidersQueryVariables>;
export const ConsoleConversationsDocument = new TypedDocumentString(`
    query ConsoleConversations($first: Int) {
  conversations(first: $first) {
    totalCount
    edges {
      node {
        id
        title
        provider
        messageCount
        lastMessageAt
      }
    }
  }
}
    `) as unknown as TypedDocumentString<ConsoleConversationsQuery, ConsoleConversationsQueryVariables>;
export const ConsoleConversationDocument = new TypedDocumentString(`
    query ConsoleConversation($id: ID!, $last: Int) {
  conversation(id: $id) {
    id
    title
    provider
    messages(last: $last) {
      edges {
        node {
          id
          role
          content
          provider
          model
          status
          createdAt
          citations {
            documentId
            type
            title
            snippet
          }
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<ConsoleConversationQuery, ConsoleConversationQueryVariables>;
export const ConsoleChatStreamDocument = new TypedDocumentString(`
    subscription ConsoleChatStream($input: ChatInput!) {
  chatStream(input: $input) {
    type
    conversationId
    delta
    error {
      code
      message
    }
    response {
      content
      status
      provider
      model
      messageId
      conversationId
      citations {
        documentId
        type
        title
        snippet
      }
    }
  }
}
    `) as unknown as TypedDocumentString<ConsoleChatStreamSubscription, ConsoleChatStreamSubscriptionVariables>;
export const ConsoleDeleteConversationDocument = new TypedDocumentString(`
    mutation ConsoleDeleteConversation($id: ID!) {
  deleteConversation(id: $id)
}
    `) as unknown as TypedDocumentString<ConsoleDeleteConversationMutation, ConsoleDeleteConversationMutationVariables>;
export const ConsoleSearchDocument = new TypedDocumentString(`
    query ConsoleSearch($q: String!, $limit: Int) {
  search(q: $q, limit: $limit) {
    query
    total
    results {
      id
      type
      title
      snippet
      conversationId
      createdAt
    }
  }
}
    `) as unknown as TypedDocumentString<ConsoleSearchQuery, ConsoleSearchQueryVariables>;
export const ConsoleDocumentsDocument = new TypedDocumentString(`
    query ConsoleDocuments($limit: Int) {
  documents(limit: $limit) {
    total
    items {
      ...ConsoleDocument
    }
  }
}
    fragment ConsoleDocument on Document {
  id
  title
  status
  error
  mimeType
  sizeBytes
  chunkCount
  visibility
  createdAt
}`) as unknown as TypedDocumentString<ConsoleDocumentsQuery, ConsoleDocumentsQueryVariables>;
export const ConsoleUploadDocumentDocument = new TypedDocumentString(`
    mutation ConsoleUploadDocument($input: UploadDocumentInput!) {
  uploadDocument(input: $input) {
    ...ConsoleDocument
  }
}
    fragment ConsoleDocument on Document {
  id
  title
  status
  error
  mimeType
  sizeBytes
  chunkCount
  visibility
  createdAt
}`) as unknown as TypedDocumentString<ConsoleUploadDocumentMutation, ConsoleUploadDocumentMutationVariables>;
export const ConsoleDeleteDocumentDocument = new TypedDocumentString(`
    mutation ConsoleDeleteDocument($id: ID!) {
  deleteDocument(id: $id)
}
    `) as unknown as TypedDocumentString<ConsoleDeleteDocumentMutation, ConsoleDeleteDocumentMutationVariables>;
export const ConsoleKnowledgeSearchDocument = new TypedDocumentString(`
    query ConsoleKnowledgeSearch($query: String!, $limit: Int) {
  knowledgeSearch(query: $query, limit: $limit) {
    mode
    results {
      chunkId
      documentId
      title
      snippet
      score
    }
  }
}
    `) as unknown as TypedDocumentString<ConsoleKnowledgeSearchQuery, ConsoleKnowledgeSearchQueryVariables>;
export const ConsoleRagQueryDocument = new TypedDocumentString(`
    query ConsoleRagQuery($question: String!, $provider: String) {
  ragQuery(question: $question, provider: $provider) {
    answer
    provider
    model
    citations {
      documentId
      title
      snippet
    }
  }
}
    `) as unknown as TypedDocumentString<ConsoleRagQueryQuery, ConsoleRagQueryQueryVariables>;
export const ConsoleLiveQuotaDocument = new TypedDocumentString(`
    query ConsoleLiveQuota {
  liveQuota {
    plan
    limitSeconds
    usedSeconds
    remainingSeconds
    periodEnd
    activeSession {
      id
      sessionType
      startedAt
    }
  }
}
    `) as unknown as TypedDocumentString<ConsoleLiveQuotaQuery, ConsoleLiveQuotaQueryVariables>;
export const ConsoleLiveHeartbeatDocument = new TypedDocumentString(`
    mutation ConsoleLiveHeartbeat($sessionId: ID!) {
  liveHeartbeat(sessionId: $sessionId) {
    usedSeconds
    remainingSeconds
    warning
    session {
      id
      status
      endReason
    }
  }
}
    `) as unknown as TypedDocumentString<ConsoleLiveHeartbeatMutation, ConsoleLiveHeartbeatMutationVariables>;
export const ConsoleEndLiveSessionDocument = new TypedDocumentString(`
    mutation ConsoleEndLiveSession($sessionId: ID!) {
  endLiveSession(sessionId: $sessionId, reason: "client") {
    usedSeconds
    remainingSeconds
  }
}
    `) as unknown as TypedDocumentString<ConsoleEndLiveSessionMutation, ConsoleEndLiveSessionMutationVariables>;
export const ConsoleLiveTranscriptsDocument = new TypedDocumentString(`
    query ConsoleLiveTranscripts($limit: Int) {
  liveTranscripts(limit: $limit) {
    total
    items {
      id
      sessionId
      sessionStartedAt
      sessionEndedAt
      transcripts {
        role
        text
      }
    }
  }
}
    `) as unknown as TypedDocumentString<ConsoleLiveTranscriptsQuery, ConsoleLiveTranscriptsQueryVariables>;
export const ConsoleOrganizationsDocument = new TypedDocumentString(`
    query ConsoleOrganizations {
  organizations(first: 50) {
    edges {
      node {
        ...ConsoleOrganization
      }
    }
  }
}
    fragment ConsoleOrganization on Organization {
  id
  name
  slug
  description
  viewerRole
  memberCount
}`) as unknown as TypedDocumentString<ConsoleOrganizationsQuery, ConsoleOrganizationsQueryVariables>;
export const ConsoleOrganizationDocument = new TypedDocumentString(`
    query ConsoleOrganization($id: ID!) {
  organization(id: $id) {
    ...ConsoleOrganization
    members(first: 50) {
      totalCount
      edges {
        node {
          id
          role
          joinedAt
          user {
            id
            username
            email
          }
        }
      }
    }
  }
}
    fragment ConsoleOrganization on Organization {
  id
  name
  slug
  description
  viewerRole
  memberCount
}`) as unknown as TypedDocumentString<ConsoleOrganizationQuery, ConsoleOrganizationQueryVariables>;
export const ConsoleCreateOrganizationDocument = new TypedDocumentString(`
    mutation ConsoleCreateOrganization($input: CreateOrganizationInput!) {
  createOrganization(input: $input) {
    organization {
      ...ConsoleOrganization
    }
  }
}
    fragment ConsoleOrganization on Organization {
  id
  name
  slug
  description
  viewerRole
  memberCount
}`) as unknown as TypedDocumentString<ConsoleCreateOrganizationMutation, ConsoleCreateOrganizationMutationVariables>;
export const ConsoleAddMemberDocument = new TypedDocumentString(`
    mutation ConsoleAddMember($input: AddMemberInput!) {
  addMember(input: $input) {
    member {
      id
      role
      user {
        id
        username
        email
      }
    }
    organization {
      id
      memberCount
    }
  }
}
    `) as unknown as TypedDocumentString<ConsoleAddMemberMutation, ConsoleAddMemberMutationVariables>;
export const ConsoleApiKeysDocument = new TypedDocumentString(`
    query ConsoleApiKeys($organizationId: ID) {
  apiKeys(organizationId: $organizationId, first: 100) {
    edges {
      node {
        id
        name
        prefix
        scopes
        createdAt
        lastUsedAt
      }
    }
  }
}
    `) as unknown as TypedDocumentString<ConsoleApiKeysQuery, ConsoleApiKeysQueryVariables>;
export const ConsoleCreateApiKeyDocument = new TypedDocumentString(`
    mutation ConsoleCreateApiKey($input: CreateApiKeyInput!) {
  createApiKey(input: $input) {
    key
    apiKey {
      id
      name
      prefix
      scopes
    }
  }
}
    `) as unknown as TypedDocumentString<ConsoleCreateApiKeyMutation, ConsoleCreateApiKeyMutationVariables>;
export const ConsoleRevokeApiKeyDocument = new TypedDocumentString(`
    mutation ConsoleRevokeApiKey($input: RevokeApiKeyInput!) {
  revokeApiKey(input: $input) {
    deletedId
  }
}
    `) as unknown as TypedDocumentString<ConsoleRevokeApiKeyMutation, ConsoleRevokeApiKeyMutationVariables>;
export const ConsoleXelModulesDocument = new TypedDocumentString(`
    query ConsoleXelModules($level: String, $skill: String) {
  xelModules(level: $level, skill: $skill) {
    ...ConsoleXelModule
  }
}
    fragment ConsoleXelModule on XelModule {
  id
  slug
  title
  description
  level
  skill
  taskCount
  completedTasks
  progressPercent
  status
  xpEarned
  estimatedMinutes
}`) as unknown as TypedDocumentString<ConsoleXelModulesQuery, ConsoleXelModulesQueryVariables>;
export const ConsoleXelModuleDocument = new TypedDocumentString(`
    query ConsoleXelModule($id: ID!) {
  xelModule(id: $id) {
    ...ConsoleXelModule
    tasks {
      id
      key
      type
      prompt
      passage
      maxScore
      attempts
      completed
      bestScore
      minWords
      maxWords
      targetSeconds
      options {
        id
        text
      }
    }
  }
}
    fragment ConsoleXelModule on XelModule {
  id
  slug
  title
  description
  level
  skill
  taskCount
  completedTasks
  progressPercent
  status
  xpEarned
  estimatedMinutes
}`) as unknown as TypedDocumentString<ConsoleXelModuleQuery, ConsoleXelModuleQueryVariables>;
export const ConsoleXelDashboardDocument = new TypedDocumentString(`
    query ConsoleXelDashboard {
  xelDashboard {
    xpTotal
    level
    xpIntoLevel
    xpForNextLevel
    currentStreak
    longestStreak
    timezone
    dailyGoalXp
    todayXp
    dailyGoalMet
    modulesCompleted
    modulesInProgress
    tasksCompleted
    averageScore
    skillScores {
      skill
      score
      samples
    }
    weeklyActivity {
      date
      xp
      tasks
    }
    recommendedModule {
      id
      title
      level
      skill
    }
  }
}
    `) as unknown as TypedDocumentString<ConsoleXelDashboardQuery, ConsoleXelDashboardQueryVariables>;
export const ConsoleSubmitXelTaskDocument = new TypedDocumentString(`
    mutation ConsoleSubmitXelTask($input: SubmitXelTaskInput!) {
  submitXelTask(input: $input) {
    submissionId
    score
    maxScore
    passed
    feedback
    xpAwarded
    moduleProgress {
      ...ConsoleXelModule
    }
    evaluation {
      ...ConsoleXelEvaluation
    }
  }
}
    fragment ConsoleXelModule on XelModule {
  id
  slug
  title
  description
  level
  skill
  taskCount
  completedTasks
  progressPercent
  status
  xpEarned
  estimatedMinutes
}
fragment ConsoleXelEvaluation on XelEvaluation {
  overallScore
  cefrEstimate
  cefrCaveat
  evaluator
  notAssessed
  criteria {
    name
    score
    assessed
    feedback
  }
  corrections {
    start
    end
    text
    message
    suggestions
    kind
  }
}`) as unknown as TypedDocumentString<ConsoleSubmitXelTaskMutation, ConsoleSubmitXelTaskMutationVariables>;
export const ConsoleUpdateXelPreferencesDocument = new TypedDocumentString(`
    mutation ConsoleUpdateXelPreferences($input: XelPreferencesInput!) {
  updateXelPreferences(input: $input) {
    timezone
    dailyGoalXp
  }
}
    `) as unknown as TypedDocumentString<ConsoleUpdateXelPreferencesMutation, ConsoleUpdateXelPreferencesMutationVariables>;