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

/** An AI provider. `auto` is a choice, not a provider: it means the server's default (`Providers.default`), so an answer never names it. */
export type AiProvider =
  /** The Anthropic Messages API (Claude models). */
  | 'ANTHROPIC'
  /** The server's default: the first configured real provider, else `local`. Only as a choice; answers name the provider that answered. */
  | 'AUTO'
  /** The embedded provider: not a language model; it quotes the caller's own passages with numbered citations. Works offline. */
  | 'LOCAL'
  /** An OpenAI-compatible chat-completions server (OpenAI, Ollama, vLLM, LM Studio, LiteLLM), as the operator configured it. */
  | 'OPENAI';

/** What an API key may do. Reads need a `:read` scope, changes a `:write` one; organization roles still apply after the scope. */
export type ApiKeyScope =
  /** Administer the API: `api:read` and `api:write`. Grants no other scope. */
  | 'API_ADMIN'
  /** Read API metadata. Grants no other scope. */
  | 'API_READ'
  /** Change API metadata. Grants no other scope. */
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
  /** Read Xentree English modules, their tasks and your results (a part of `xel:read`). */
  | 'QUIZ_READ'
  /** Submit answers to Xentree English tasks (a part of `xel:write`). */
  | 'QUIZ_WRITE'
  /** Read and search the knowledge base, and ask it questions. */
  | 'RAG_READ'
  /** Upload, change and delete knowledge base documents. */
  | 'RAG_WRITE'
  /** Read the Xentree English course, progress and dashboard. */
  | 'XEL_READ'
  /** Submit Xentree English answers, evaluations and preferences. */
  | 'XEL_WRITE';

/** A level of the Common European Framework of Reference for Languages (CEFR), from beginner to mastery. */
export type CefrLevel =
  /** Breakthrough: everyday expressions and very basic phrases. */
  | 'A1'
  /** Waystage: simple, routine exchanges on familiar matters. */
  | 'A2'
  /** Threshold: the main points of clear standard input; simple connected text. */
  | 'B1'
  /** Vantage: complex text on concrete and abstract topics; fluent, spontaneous interaction. */
  | 'B2'
  /** Effective operational proficiency: demanding, longer texts; flexible, well-structured language. */
  | 'C1'
  /** Mastery: understands virtually everything; expresses fine shades of meaning. */
  | 'C2';

/** What an event of a streamed chat turn says: `start`, then `delta` events, then `done` or `error`. */
export type ChatStreamEventType =
  /** The next piece of the reply, in `delta`. */
  | 'DELTA'
  /** The reply is complete and stored; `response` carries it. */
  | 'DONE'
  /** The turn failed (`error` says why); nothing was stored. */
  | 'ERROR'
  /** The turn started; `conversationId` says in which conversation (a new one when the turn named none). */
  | 'START';

/** The kind of an item of a user's content: what `search` finds and what a citation points at. */
export type ContentKind =
  /** A passage (chunk) of a knowledge base document. */
  | 'DOCUMENT'
  /** A message of one of your conversations (yours or a reply). */
  | 'MESSAGE'
  /** One of your notes. */
  | 'NOTE'
  /** A transcript of one of your live sessions. */
  | 'TRANSCRIPT';

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

/** The conversation to delete. */
export type DeleteConversationInput = {
  /** The conversation: it goes with its messages. */
  id: string | number;
};

/** The document to delete. */
export type DeleteDocumentInput = {
  /** The document (yours, or shared with an organization you administer): it goes with its passages. */
  id: string | number;
};

/** Where a document is in its ingestion (text extraction, chunking, indexing), which runs in the background after the upload. */
export type DocumentStatus =
  /** Ingestion failed; `error` says why and nothing was indexed. Upload it again. */
  | 'FAILED'
  /** Uploaded; extraction and indexing are under way. Ask for the document again to see it change. */
  | 'PROCESSING'
  /** Indexed: searchable, and citable in grounded answers. */
  | 'READY';

/** Who may read a document. */
export type DocumentVisibility =
  /** Every member of the organization it is shared with (`organizationId`); its admins may rename or delete it; only the uploader changes where it is shared. */
  | 'ORGANIZATION'
  /** Only the uploader. */
  | 'PRIVATE';

/** Which session to end, and why. */
export type EndLiveSessionInput = {
  /** Why it ends; CLIENT when not given. Ignored when the session has already ended. */
  reason?: LiveEndReason | null | undefined;
  /** The session. */
  sessionId: string | number;
};

/** What went wrong, as `extensions.code` of a GraphQL error (over HTTP and graphql-ws) and `detail.error` of a REST error carry it: the same list for both doors. Values are lower snake_case like the REST codes (`INSUFFICIENT_API_KEY_SCOPE` keeps its documented spelling). Codes marked "GraphQL only" concern documents and are never answered by REST. */
export type ErrorCode =
  /** The API key lacks the scope the operation needs: `required_scope` and `granted_scopes` say which. */
  | 'INSUFFICIENT_API_KEY_SCOPE'
  /** The request cannot be understood as sent (malformed JSON, too many operations in a batch, a body nested too deep...). */
  | 'bad_request'
  /** GraphQL only. A variable's value does not fit its declared type. */
  | 'bad_user_input'
  /** The request conflicts with the current state (a name taken, a session already active...). */
  | 'conflict'
  /** A document would become more than the knowledge base takes (extracted characters, pages, passages, HTML nesting, a PDF's text per byte), or more than the user may store: `limit` names which, `max` gives it. Nothing was stored. */
  | 'document_too_large'
  /** The caller is known but may not do this (a role too low, an API key on a bearer-only operation...). */
  | 'forbidden'
  /** GraphQL only. The document is not valid GraphQL syntax, or has more lexical tokens than the server parses (`max_tokens`). */
  | 'graphql_parse_failed'
  /** GraphQL only. The document does not fit the schema (an unknown field, a wrong argument...), or uses introspection where it is off. */
  | 'graphql_validation_failed'
  /** The request's headers are larger than the server accepts. */
  | 'headers_too_large'
  /** Something failed on the server; the message names the request id to quote. */
  | 'internal_error'
  /** The username, email or password is wrong. */
  | 'invalid_credentials'
  /** The access token or refresh token is expired, forged, revoked, or was already used. */
  | 'invalid_token'
  /** The month's live entitlement is used up; the message gives the renewal date. */
  | 'live_quota_exceeded'
  /** The path exists but not with this HTTP method. */
  | 'method_not_allowed'
  /** Credentials are required and none were sent. */
  | 'not_authenticated'
  /** Nothing with that id exists for this caller (someone else's objects are not found either). */
  | 'not_found'
  /** GraphQL only. `operationName` names no operation of the document, or the document holds several and none is named. */
  | 'operation_resolution_failure'
  /** The body, an upload or a GraphQL document is larger than its limit. */
  | 'payload_too_large'
  /** GraphQL only. The persisted query's hash is unknown; send the query with its hash once (Apollo's automatic persisted queries). */
  | 'persisted_query_not_found'
  /** GraphQL only. Persisted queries are not accepted here. */
  | 'persisted_query_not_supported'
  /** GraphQL only. The operation, with its variables, costs more than the limit: `cost`, `max_cost` and a `breakdown` of the costliest fields. */
  | 'query_too_costly'
  /** GraphQL only. The document nests deeper than the limit: `depth` and `max_depth`. */
  | 'query_too_deep'
  /** Too many requests: `retry_after_seconds` (and the Retry-After header) say when to try again. */
  | 'rate_limited'
  /** The request took longer than the server waits for it. */
  | 'request_timeout'
  /** The feature is not configured on this server, or a dependency is down. */
  | 'service_unavailable'
  /** GraphQL only. The document uses more aliases than the limit: `aliases` and `max_aliases`. */
  | 'too_many_aliases'
  /** GraphQL only. The document uses more directives than the limit: `directives` and `max_directives`. */
  | 'too_many_directives'
  /** The body is sent in a media type this endpoint does not take. */
  | 'unsupported_media_type'
  /** A provider the operation depends on (AI, speech, Google) failed or did not answer. */
  | 'upstream_unavailable'
  /** The input broke a rule: `fields` lists each offending field (`loc` in REST, `path` in GraphQL) with a message. */
  | 'validation_error';

/** An earlier turn, for callers that keep the conversation themselves. */
export type HistoryTurnInput = {
  /** What was written (at most 32,000 characters). */
  content: string;
  /** Who wrote it. */
  role: MessageRole;
};

/** How a knowledge search ranked its results. */
export type KnowledgeSearchMode =
  /** Full-text and vector similarity, fused by reciprocal rank. */
  | 'HYBRID'
  /** Full-text ranking only (no embeddings endpoint is configured). */
  | 'LEXICAL'
  /** Full-text ranking only, because the configured embeddings endpoint failed for this query. */
  | 'LEXICAL_EMBEDDINGS_UNAVAILABLE';

/** Why a live session ended. A client ending its session may name any of these (the default is client); the server records the others itself. */
export type LiveEndReason =
  /** The client ended it (an end request, or the socket's end-session frame). */
  | 'CLIENT'
  /** Its realtime socket closed; metered to the last frame received. */
  | 'DISCONNECTED'
  /** No sign of life (heartbeat or frame) within the idle timeout; metered to the last one. */
  | 'IDLE'
  /** It reached the longest session allowed. */
  | 'MAX_DURATION'
  /** The month's live seconds ran out. */
  | 'QUOTA_EXCEEDED'
  /** The credentials of its realtime socket were revoked (logout, a password change, a refresh token used twice, an API key revoked); metered to that moment. */
  | 'REVOKED';

/** Which session is alive. */
export type LiveHeartbeatInput = {
  /** The active session. */
  sessionId: string | number;
};

/** Whether a live session is still running. */
export type LiveSessionStatus =
  /** Running: heartbeats keep it alive and its seconds are counting. */
  | 'ACTIVE'
  /** Over: its seconds are metered and settled against the monthly quota. */
  | 'ENDED';

/** What a live session carries besides the voice. */
export type LiveSessionType =
  /** A spoken conversation with an animated face: replies also carry expressions and visemes. */
  | 'AVATAR'
  /** A spoken conversation: audio in, spoken replies out. */
  | 'VOICE';

/** Who said a turn of a live conversation. */
export type LiveTranscriptRole =
  /** Xentree, the AI partner. */
  | 'AI'
  /** The person in the session. */
  | 'USER';

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

/** Who wrote a message. */
export type MessageRole =
  /** The AI provider: a reply. */
  | 'ASSISTANT'
  /** Instructions for the provider (only in a caller-kept history; a conversation keeps its own as `systemPrompt`). */
  | 'SYSTEM'
  /** The person: a question or an instruction. */
  | 'USER';

/** Whether a message arrived whole. */
export type MessageStatus =
  /** The whole message (every question, and every reply that finished). */
  | 'COMPLETE'
  /** A reply cut short because the client left mid-stream: what had arrived is kept. */
  | 'PARTIAL';

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

/** One resumable chat turn: the question, where and how to answer it, and optionally the id you chose for the turn. */
export type StartChatTurnInput = {
  /** Earlier turns (at most 100), for callers that keep no conversation; ignored when `conversationId` is given. */
  conversationHistory?: Array<HistoryTurnInput> | null | undefined;
  /** Continue this conversation; without it a new one is created. */
  conversationId?: string | number | null | undefined;
  /** The question (1 to 32,000 characters). */
  message: string;
  /** A model the provider offers (`Provider.models`); the conversation's, else the provider's default. */
  model?: string | null | undefined;
  /** Who answers: the conversation's provider, else the server's default (AUTO). */
  provider?: AiProvider | null | undefined;
  /** An id you generate for the turn (a UUID): calling again with it (a retry, a double mount) starts nothing new and answers the same turn. Without it the server chooses one. */
  turnId?: string | number | null | undefined;
  /** Ground the answer in the knowledge base documents you may read (default true; needs `rag:read` for an API key). */
  useKnowledgeBase?: boolean | null | undefined;
  /** Answer in this language (a BCP 47 tag such as "en" or "pt-BR"), whatever language the question is in. */
  userLanguage?: string | null | undefined;
};

/** A response to a task. */
export type SubmitXelTaskInput = {
  /** Seconds spent (writing) or spoken (speaking), 0 to 4 hours: speaking pace is judged from it. */
  durationSeconds?: number | null | undefined;
  /** Optional check: the module (id or slug) the task must belong to. */
  moduleId?: string | number | null | undefined;
  /** The option value (multiple choice), the sentence or the option values in order (ordering), or the text (at most 10,000 characters). */
  response: string;
  /** The task. */
  taskId: string | number;
  /** Speaking: when each word was said (for pace and pauses; at most 5,000). */
  words?: Array<XelWordTimingInput> | null | undefined;
};

/** What to change; what is left out stays. */
export type UpdateXelPreferencesInput = {
  /** XP a day you aim for, 1 to 1,000. */
  dailyGoalXp?: number | null | undefined;
  /** IANA time zone your days (streaks, daily goal) are counted in: your profile’s time zone. Days already recorded keep their date. */
  timezone?: string | null | undefined;
};

/** A document to add: text in `content`, or a file in `contentBase64`. */
export type UploadDocumentInput = {
  /** The text itself (plain text, Markdown or HTML). */
  content?: string | null | undefined;
  /** The file, base64-encoded (PDF and the others). */
  contentBase64?: string | null | undefined;
  /** The file name, e.g. notes.md or report.pdf: with the content, it tells the type. */
  filename?: string | null | undefined;
  /** The media type the sender claims (text/plain, text/markdown, text/html, application/pdf); checked against the content. */
  mimeType?: string | null | undefined;
  /** The organization to share it with (you must be a member). */
  organizationId?: string | number | null | undefined;
  /** The title (at most 300 characters); the file name when absent. */
  title?: string | null | undefined;
  /** Who may read it: PRIVATE (when absent or null) or ORGANIZATION (with `organizationId`). */
  visibility?: DocumentVisibility | null | undefined;
};

/** Where you are in a module. */
export type XelModuleStatus =
  /** Every task passed. */
  | 'COMPLETED'
  /** Some tasks attempted, not every one passed. */
  | 'IN_PROGRESS'
  /** No task attempted yet. */
  | 'NOT_STARTED';

/** The skill a module trains. */
export type XelSkill =
  /** Grammar: forms and structures. */
  | 'GRAMMAR'
  /** Listening: understanding what is heard (given as a transcript). */
  | 'LISTENING'
  /** Reading: understanding a written text. */
  | 'READING'
  /** Speaking: a spoken answer as a transcript, graded by the evaluator. */
  | 'SPEAKING'
  /** Vocabulary: words and expressions. */
  | 'VOCABULARY'
  /** Writing: a text, graded by the evaluator. */
  | 'WRITING';

/** How a task is answered and graded. */
export type XelTaskType =
  /** Fill the one blank (`___`) of the prompt. Graded exactly, forgiving case, spacing, apostrophes and final punctuation. */
  | 'FILL_BLANK'
  /** Choose one option: send its `value`. Graded exactly. */
  | 'MULTIPLE_CHOICE'
  /** Put the pieces in order: send the sentence, or the option values in order. Graded exactly. */
  | 'ORDERING'
  /** Say something and send the transcript (with its duration or word timings, for the pace): graded by the evaluator. */
  | 'SPEAKING'
  /** Write a text (see minWords and maxWords): graded by the evaluator. */
  | 'WRITING';

/** When a word of a speaking transcript was said. */
export type XelWordTimingInput = {
  /** Seconds from the start of the recording; not before `start`. */
  end: number;
  /** Seconds from the start of the recording. */
  start: number;
  /** The word. */
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


export type ConsoleProvidersQuery = { providers: { default: AiProvider, providers: Array<{ id: string, kind: AiProvider, name: string, description: string, available: boolean, configured: boolean, models: Array<string>, defaultModel: string }> } };

export type ConsoleConversationsQueryVariables = Exact<{
  first?: number | null | undefined;
}>;


export type ConsoleConversationsQuery = { conversations: { totalCount: number, edges: Array<{ node: { id: string, title: string | null, provider: AiProvider | null, messageCount: number, lastMessageAt: string | null } }> } };

export type ConsoleConversationQueryVariables = Exact<{
  id: string | number;
  last?: number | null | undefined;
}>;


export type ConsoleConversationQuery = { conversation: { id: string, title: string | null, provider: AiProvider | null, messages: { edges: Array<{ node: { id: string, role: MessageRole, content: string, provider: AiProvider | null, model: string | null, status: MessageStatus, createdAt: string, citations: Array<{ documentId: string, type: ContentKind, title: string, snippet: string }> } }> } } | null };

export type ConsoleStartChatTurnMutationVariables = Exact<{
  input: StartChatTurnInput;
}>;


export type ConsoleStartChatTurnMutation = { startChatTurn: { turn: { turnId: string, conversationId: string, started: boolean } } };

export type ConsoleChatTurnEventsSubscriptionVariables = Exact<{
  turnId: string | number;
  after?: number | null | undefined;
}>;


export type ConsoleChatTurnEventsSubscription = { chatTurnEvents: { seq: number, type: ChatStreamEventType, conversationId: string, delta: string | null, error: { code: ErrorCode, message: string } | null, response: { content: string, status: MessageStatus, provider: AiProvider, model: string, messageId: string, conversationId: string, citations: Array<{ documentId: string, type: ContentKind, title: string, snippet: string }> } | null } };

export type ConsoleDeleteConversationMutationVariables = Exact<{
  input: DeleteConversationInput;
}>;


export type ConsoleDeleteConversationMutation = { deleteConversation: { deletedId: string } };

export type ConsoleSearchQueryVariables = Exact<{
  q: string;
  first?: number | null | undefined;
}>;


export type ConsoleSearchQuery = { search: { totalCount: number, edges: Array<{ node: { sourceId: string, type: ContentKind, title: string, snippet: string, conversationId: string | null, createdAt: string } }> } };

export type ConsoleDocumentFragment = { id: string, title: string, status: DocumentStatus, error: string | null, mimeType: string, sizeBytes: number, chunkCount: number, visibility: DocumentVisibility, createdAt: string };

export type ConsoleDocumentsQueryVariables = Exact<{
  first?: number | null | undefined;
}>;


export type ConsoleDocumentsQuery = { documents: { totalCount: number, edges: Array<{ node: { id: string, title: string, status: DocumentStatus, error: string | null, mimeType: string, sizeBytes: number, chunkCount: number, visibility: DocumentVisibility, createdAt: string } }> } };

export type ConsoleUploadDocumentMutationVariables = Exact<{
  input: UploadDocumentInput;
}>;


export type ConsoleUploadDocumentMutation = { uploadDocument: { document: { id: string, title: string, status: DocumentStatus, error: string | null, mimeType: string, sizeBytes: number, chunkCount: number, visibility: DocumentVisibility, createdAt: string } } };

export type ConsoleDeleteDocumentMutationVariables = Exact<{
  input: DeleteDocumentInput;
}>;


export type ConsoleDeleteDocumentMutation = { deleteDocument: { deletedId: string } };

export type ConsoleKnowledgeSearchQueryVariables = Exact<{
  query: string;
  limit?: number | null | undefined;
}>;


export type ConsoleKnowledgeSearchQuery = { knowledgeSearch: { mode: KnowledgeSearchMode, results: Array<{ chunkId: string, documentId: string, title: string, snippet: string, score: number }> } };

export type ConsoleRagQueryQueryVariables = Exact<{
  question: string;
  provider?: AiProvider | null | undefined;
}>;


export type ConsoleRagQueryQuery = { ragQuery: { answer: string, provider: AiProvider, model: string, citations: Array<{ documentId: string, title: string, snippet: string }> } | null };

export type ConsoleLiveQuotaFragment = { id: string, plan: string, limitSeconds: number, usedSeconds: number, remainingSeconds: number, periodEnd: string, activeSession: { id: string, sessionType: LiveSessionType, status: LiveSessionStatus, startedAt: string } | null };

export type ConsoleLiveQuotaQueryVariables = Exact<{ [key: string]: never; }>;


export type ConsoleLiveQuotaQuery = { liveQuota: { id: string, plan: string, limitSeconds: number, usedSeconds: number, remainingSeconds: number, periodEnd: string, activeSession: { id: string, sessionType: LiveSessionType, status: LiveSessionStatus, startedAt: string } | null } };

export type ConsoleLiveHeartbeatMutationVariables = Exact<{
  input: LiveHeartbeatInput;
}>;


export type ConsoleLiveHeartbeatMutation = { liveHeartbeat: { usedSeconds: number, remainingSeconds: number, warning: string | null, session: { id: string, status: LiveSessionStatus, endReason: LiveEndReason | null } } };

export type ConsoleEndLiveSessionMutationVariables = Exact<{
  input: EndLiveSessionInput;
}>;


export type ConsoleEndLiveSessionMutation = { endLiveSession: { usedSeconds: number, remainingSeconds: number, session: { id: string, status: LiveSessionStatus, endReason: LiveEndReason | null, endedAt: string | null, usedSeconds: number | null }, quota: { id: string, plan: string, limitSeconds: number, usedSeconds: number, remainingSeconds: number, periodEnd: string, activeSession: { id: string, sessionType: LiveSessionType, status: LiveSessionStatus, startedAt: string } | null } } };

export type ConsoleLiveTranscriptsQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type ConsoleLiveTranscriptsQuery = { liveTranscripts: { totalCount: number, edges: Array<{ node: { id: string, sessionId: string | null, sessionStartedAt: string, sessionEndedAt: string, turnCount: number, turns: { edges: Array<{ node: { role: LiveTranscriptRole, text: string } }> } } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

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

export type ConsoleXelModuleFragment = { id: string, slug: string, title: string, description: string, level: CefrLevel, skill: XelSkill, taskCount: number, completedTasks: number, progressPercent: number, status: XelModuleStatus, xpEarned: number, estimatedMinutes: number };

export type ConsoleXelTaskFragment = { id: string, key: string, type: XelTaskType, prompt: string, passage: string | null, maxScore: number, attempts: number, completed: boolean, bestScore: number | null, minWords: number | null, maxWords: number | null, targetSeconds: number | null, options: Array<{ value: string, text: string }> };

export type ConsoleXelEvaluationFragment = { overallScore: number, cefrEstimate: CefrLevel, cefrCaveat: string, evaluator: string, notAssessed: Array<string>, criteria: Array<{ name: string, score: number | null, assessed: boolean, feedback: string }>, corrections: Array<{ start: number, end: number, text: string, message: string, suggestions: Array<string>, kind: string }> };

export type ConsoleXelDashboardFragment = { id: string, xpTotal: number, level: number, xpIntoLevel: number, xpForNextLevel: number, currentStreak: number, longestStreak: number, timezone: string, dailyGoalXp: number, todayXp: number, dailyGoalMet: boolean, modulesCompleted: number, modulesInProgress: number, tasksCompleted: number, averageScore: number | null, skillScores: Array<{ skill: XelSkill, score: number | null, samples: number }>, weeklyActivity: Array<{ date: string, xp: number, tasks: number }>, recommendedModule: { id: string, title: string, level: CefrLevel, skill: XelSkill } | null };

export type ConsoleXelModulesQueryVariables = Exact<{
  level?: CefrLevel | null | undefined;
  skill?: XelSkill | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type ConsoleXelModulesQuery = { xelModules: { edges: Array<{ node: { id: string, slug: string, title: string, description: string, level: CefrLevel, skill: XelSkill, taskCount: number, completedTasks: number, progressPercent: number, status: XelModuleStatus, xpEarned: number, estimatedMinutes: number } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type ConsoleXelModuleQueryVariables = Exact<{
  id: string | number;
}>;


export type ConsoleXelModuleQuery = { xelModule: { id: string, slug: string, title: string, description: string, level: CefrLevel, skill: XelSkill, taskCount: number, completedTasks: number, progressPercent: number, status: XelModuleStatus, xpEarned: number, estimatedMinutes: number, tasks: Array<{ id: string, key: string, type: XelTaskType, prompt: string, passage: string | null, maxScore: number, attempts: number, completed: boolean, bestScore: number | null, minWords: number | null, maxWords: number | null, targetSeconds: number | null, options: Array<{ value: string, text: string }> }> } | null };

export type ConsoleXelDashboardQueryVariables = Exact<{ [key: string]: never; }>;


export type ConsoleXelDashboardQuery = { xelDashboard: { id: string, xpTotal: number, level: number, xpIntoLevel: number, xpForNextLevel: number, currentStreak: number, longestStreak: number, timezone: string, dailyGoalXp: number, todayXp: number, dailyGoalMet: boolean, modulesCompleted: number, modulesInProgress: number, tasksCompleted: number, averageScore: number | null, skillScores: Array<{ skill: XelSkill, score: number | null, samples: number }>, weeklyActivity: Array<{ date: string, xp: number, tasks: number }>, recommendedModule: { id: string, title: string, level: CefrLevel, skill: XelSkill } | null } };

export type ConsoleSubmitXelTaskMutationVariables = Exact<{
  input: SubmitXelTaskInput;
}>;


export type ConsoleSubmitXelTaskMutation = { submitXelTask: { submissionId: string, score: number, maxScore: number, passed: boolean, feedback: string, xpAwarded: number, task: { id: string, key: string, type: XelTaskType, prompt: string, passage: string | null, maxScore: number, attempts: number, completed: boolean, bestScore: number | null, minWords: number | null, maxWords: number | null, targetSeconds: number | null, options: Array<{ value: string, text: string }> }, module: { id: string, slug: string, title: string, description: string, level: CefrLevel, skill: XelSkill, taskCount: number, completedTasks: number, progressPercent: number, status: XelModuleStatus, xpEarned: number, estimatedMinutes: number }, evaluation: { overallScore: number, cefrEstimate: CefrLevel, cefrCaveat: string, evaluator: string, notAssessed: Array<string>, criteria: Array<{ name: string, score: number | null, assessed: boolean, feedback: string }>, corrections: Array<{ start: number, end: number, text: string, message: string, suggestions: Array<string>, kind: string }> } | null, dashboard: { id: string, xpTotal: number, level: number, xpIntoLevel: number, xpForNextLevel: number, currentStreak: number, longestStreak: number, timezone: string, dailyGoalXp: number, todayXp: number, dailyGoalMet: boolean, modulesCompleted: number, modulesInProgress: number, tasksCompleted: number, averageScore: number | null, skillScores: Array<{ skill: XelSkill, score: number | null, samples: number }>, weeklyActivity: Array<{ date: string, xp: number, tasks: number }>, recommendedModule: { id: string, title: string, level: CefrLevel, skill: XelSkill } | null } } };

export type ConsoleUpdateXelPreferencesMutationVariables = Exact<{
  input: UpdateXelPreferencesInput;
}>;


export type ConsoleUpdateXelPreferencesMutation = { updateXelPreferences: { user: { id: string, timezone: string } | null, dashboard: { id: string, xpTotal: number, level: number, xpIntoLevel: number, xpForNextLevel: number, currentStreak: number, longestStreak: number, timezone: string, dailyGoalXp: number, todayXp: number, dailyGoalMet: boolean, modulesCompleted: number, modulesInProgress: number, tasksCompleted: number, averageScore: number | null, skillScores: Array<{ skill: XelSkill, score: number | null, samples: number }>, weeklyActivity: Array<{ date: string, xp: number, tasks: number }>, recommendedModule: { id: string, title: string, level: CefrLevel, skill: XelSkill } | null } } };

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
export const ConsoleLiveQuotaFragmentDoc = new TypedDocumentString(`
    fragment ConsoleLiveQuota on LiveQuota {
  id
  plan
  limitSeconds
  usedSeconds
  remainingSeconds
  periodEnd
  activeSession {
    id
    sessionType
    status
    startedAt
  }
}
    `, {"fragmentName":"ConsoleLiveQuota"}) as unknown as TypedDocumentString<ConsoleLiveQuotaFragment, unknown>;
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
export const ConsoleXelTaskFragmentDoc = new TypedDocumentString(`
    fragment ConsoleXelTask on XelTask {
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
    value
    text
  }
}
    `, {"fragmentName":"ConsoleXelTask"}) as unknown as TypedDocumentString<ConsoleXelTaskFragment, unknown>;
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
export const ConsoleXelDashboardFragmentDoc = new TypedDocumentString(`
    fragment ConsoleXelDashboard on XelDashboard {
  id
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
    `, {"fragmentName":"ConsoleXelDashboard"}) as unknown as TypedDocumentString<ConsoleXelDashboardFragment, unknown>;
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
      kind
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
export const ConsoleStartChatTurnDocument = new TypedDocumentString(`
    mutation ConsoleStartChatTurn($input: StartChatTurnInput!) {
  startChatTurn(input: $input) {
    turn {
      turnId
      conversationId
      started
    }
  }
}
    `) as unknown as TypedDocumentString<ConsoleStartChatTurnMutation, ConsoleStartChatTurnMutationVariables>;
export const ConsoleChatTurnEventsDocument = new TypedDocumentString(`
    subscription ConsoleChatTurnEvents($turnId: ID!, $after: Int) {
  chatTurnEvents(turnId: $turnId, after: $after) {
    seq
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
    `) as unknown as TypedDocumentString<ConsoleChatTurnEventsSubscription, ConsoleChatTurnEventsSubscriptionVariables>;
export const ConsoleDeleteConversationDocument = new TypedDocumentString(`
    mutation ConsoleDeleteConversation($input: DeleteConversationInput!) {
  deleteConversation(input: $input) {
    deletedId
  }
}
    `) as unknown as TypedDocumentString<ConsoleDeleteConversationMutation, ConsoleDeleteConversationMutationVariables>;
export const ConsoleSearchDocument = new TypedDocumentString(`
    query ConsoleSearch($q: String!, $first: Int) {
  search(q: $q, first: $first) {
    totalCount
    edges {
      node {
        sourceId
        type
        title
        snippet
        conversationId
        createdAt
      }
    }
  }
}
    `) as unknown as TypedDocumentString<ConsoleSearchQuery, ConsoleSearchQueryVariables>;
export const ConsoleDocumentsDocument = new TypedDocumentString(`
    query ConsoleDocuments($first: Int) {
  documents(first: $first) {
    totalCount
    edges {
      node {
        ...ConsoleDocument
      }
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
    document {
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
}`) as unknown as TypedDocumentString<ConsoleUploadDocumentMutation, ConsoleUploadDocumentMutationVariables>;
export const ConsoleDeleteDocumentDocument = new TypedDocumentString(`
    mutation ConsoleDeleteDocument($input: DeleteDocumentInput!) {
  deleteDocument(input: $input) {
    deletedId
  }
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
    query ConsoleRagQuery($question: String!, $provider: AiProvider) {
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
    ...ConsoleLiveQuota
  }
}
    fragment ConsoleLiveQuota on LiveQuota {
  id
  plan
  limitSeconds
  usedSeconds
  remainingSeconds
  periodEnd
  activeSession {
    id
    sessionType
    status
    startedAt
  }
}`) as unknown as TypedDocumentString<ConsoleLiveQuotaQuery, ConsoleLiveQuotaQueryVariables>;
export const ConsoleLiveHeartbeatDocument = new TypedDocumentString(`
    mutation ConsoleLiveHeartbeat($input: LiveHeartbeatInput!) {
  liveHeartbeat(input: $input) {
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
    mutation ConsoleEndLiveSession($input: EndLiveSessionInput!) {
  endLiveSession(input: $input) {
    usedSeconds
    remainingSeconds
    session {
      id
      status
      endReason
      endedAt
      usedSeconds
    }
    quota {
      ...ConsoleLiveQuota
    }
  }
}
    fragment ConsoleLiveQuota on LiveQuota {
  id
  plan
  limitSeconds
  usedSeconds
  remainingSeconds
  periodEnd
  activeSession {
    id
    sessionType
    status
    startedAt
  }
}`) as unknown as TypedDocumentString<ConsoleEndLiveSessionMutation, ConsoleEndLiveSessionMutationVariables>;
export const ConsoleLiveTranscriptsDocument = new TypedDocumentString(`
    query ConsoleLiveTranscripts($first: Int, $after: String) {
  liveTranscripts(first: $first, after: $after) {
    totalCount
    edges {
      node {
        id
        sessionId
        sessionStartedAt
        sessionEndedAt
        turnCount
        turns(first: 3) {
          edges {
            node {
              role
              text
            }
          }
        }
      }
    }
    pageInfo {
      hasNextPage
      endCursor
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
    query ConsoleXelModules($level: CefrLevel, $skill: XelSkill, $first: Int = 100, $after: String) {
  xelModules(level: $level, skill: $skill, first: $first, after: $after) {
    edges {
      node {
        ...ConsoleXelModule
      }
    }
    pageInfo {
      hasNextPage
      endCursor
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
}`) as unknown as TypedDocumentString<ConsoleXelModulesQuery, ConsoleXelModulesQueryVariables>;
export const ConsoleXelModuleDocument = new TypedDocumentString(`
    query ConsoleXelModule($id: ID!) {
  xelModule(id: $id) {
    ...ConsoleXelModule
    tasks {
      ...ConsoleXelTask
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
fragment ConsoleXelTask on XelTask {
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
    value
    text
  }
}`) as unknown as TypedDocumentString<ConsoleXelModuleQuery, ConsoleXelModuleQueryVariables>;
export const ConsoleXelDashboardDocument = new TypedDocumentString(`
    query ConsoleXelDashboard {
  xelDashboard {
    ...ConsoleXelDashboard
  }
}
    fragment ConsoleXelDashboard on XelDashboard {
  id
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
}`) as unknown as TypedDocumentString<ConsoleXelDashboardQuery, ConsoleXelDashboardQueryVariables>;
export const ConsoleSubmitXelTaskDocument = new TypedDocumentString(`
    mutation ConsoleSubmitXelTask($input: SubmitXelTaskInput!) {
  submitXelTask(input: $input) {
    submissionId
    score
    maxScore
    passed
    feedback
    xpAwarded
    task {
      ...ConsoleXelTask
    }
    module {
      ...ConsoleXelModule
    }
    evaluation {
      ...ConsoleXelEvaluation
    }
    dashboard {
      ...ConsoleXelDashboard
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
fragment ConsoleXelTask on XelTask {
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
    value
    text
  }
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
}
fragment ConsoleXelDashboard on XelDashboard {
  id
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
}`) as unknown as TypedDocumentString<ConsoleSubmitXelTaskMutation, ConsoleSubmitXelTaskMutationVariables>;
export const ConsoleUpdateXelPreferencesDocument = new TypedDocumentString(`
    mutation ConsoleUpdateXelPreferences($input: UpdateXelPreferencesInput!) {
  updateXelPreferences(input: $input) {
    user {
      id
      timezone
    }
    dashboard {
      ...ConsoleXelDashboard
    }
  }
}
    fragment ConsoleXelDashboard on XelDashboard {
  id
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
}`) as unknown as TypedDocumentString<ConsoleUpdateXelPreferencesMutation, ConsoleUpdateXelPreferencesMutationVariables>;