import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';

/** Which database driver a connection string selects. */
export type DbDriver = 'sqlite' | 'postgresql';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));

/** An origin as browsers send it: scheme, host, optional port, nothing else. */
const ORIGIN = /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$|^https?:\/\/\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

const seconds = (def: number) => z.coerce.number().int().positive().default(def);

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
/** An OAuth endpoint: https, or plain http to a loopback address (local fakes and development only). */
const oauthUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
  .refine((u) => u.startsWith('https:') || LOOPBACK.has(new URL(u).hostname), 'must use https (plain http only on 127.0.0.1, ::1 or localhost)');

/**
 * Every environment variable the gateway reads. `.env.example` documents the same list;
 * a test keeps the two in step.
 */
export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  DATA_DIR: z.string().min(1).default('data'),
  DATABASE_URL: z
    .string()
    .regex(/^(postgres(ql)?:\/\/|sqlite:)/, 'must start with postgres://, postgresql:// or sqlite:')
    .optional(),
  DB_POOL_MAX: z.coerce.number().int().positive().max(200).default(10),
  DB_DEBUG: bool.default(false),
  SQLITE_BUSY_TIMEOUT_MS: z.coerce.number().int().min(0).max(600_000).default(5000),
  DATALOADER_BATCHING: bool.default(true),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  JWT_ISSUER: z.string().min(1).default('xentree-gateway'),
  JWT_AUDIENCE: z.string().min(1).default('xentree'),
  ACCESS_TOKEN_TTL_SECONDS: seconds(900),
  REFRESH_TOKEN_TTL_SECONDS: seconds(30 * 24 * 3600),
  ARGON2_MEMORY_KIB: z.coerce.number().int().min(19456, 'must be at least 19456 (OWASP minimum)').default(19456),
  ARGON2_ITERATIONS: z.coerce.number().int().min(2, 'must be at least 2 (OWASP minimum)').default(2),
  PASSWORD_HASH_CONCURRENCY: z.coerce.number().int().positive().max(64).optional(),
  GRAPHQL_IDE: bool.optional(),
  GRAPHQL_INTROSPECTION: bool.optional(),
  API_DOCS: bool.default(true),
  WEB_CONSOLE: bool.default(true),
  BODY_LIMIT_BYTES: z.coerce.number().int().positive().default(1024 * 1024),
  CORS_ORIGINS: z
    .string()
    .refine((v) => v.split(',').map((o) => o.trim()).filter(Boolean).every((o) => o === '*' || ORIGIN.test(o)), 'must be a comma-separated list of origins such as https://app.example.com (scheme, host and port; no path), or *')
    .default(''),
  CORS_ALLOWED_HEADERS: z
    .string()
    .refine((v) => v.split(',').map((h) => h.trim()).filter(Boolean).every((h) => /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(h)), 'must be a comma-separated list of header names')
    .optional(),
  TRUST_PROXY: bool.default(false),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  REQUEST_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
  HEADERS_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().positive().default(72_000),
  HTTP_TIMEOUT_CHECK_MS: z.coerce.number().int().positive().max(60_000).default(1000),
  WS_MAX_PAYLOAD_BYTES: z.coerce.number().int().positive().default(1024 * 1024),
  WS_MAX_BUFFERED_BYTES: z.coerce.number().int().positive().default(4 * 1024 * 1024),
  WS_MAX_MESSAGES_PER_SECOND: z.coerce.number().int().positive().default(100),
  WS_SEND_TIMEOUT_MS: z.coerce.number().int().positive().default(20_000),
  WS_MAX_SUBSCRIPTIONS: z.coerce.number().int().positive().default(50),
  LIVE_MAX_PENDING_FRAMES: z.coerce.number().int().positive().default(64),
  SECURITY_HEADERS: bool.default(true),
  AI_DEFAULT_PROVIDER: z.enum(['auto', 'local', 'openai', 'anthropic']).default('auto'),
  OPENAI_BASE_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  OPENAI_API_KEY: z.string().min(1).optional(),
  OPENAI_MODELS: z.string().default(''),
  OPENAI_DEFAULT_MODEL: z.string().min(1).optional(),
  ANTHROPIC_BASE_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).default('https://api.anthropic.com'),
  ANTHROPIC_API_KEY: z.string().min(1).optional(),
  ANTHROPIC_MODELS: z.string().default(''),
  ANTHROPIC_DEFAULT_MODEL: z.string().min(1).optional(),
  ANTHROPIC_MAX_TOKENS: z.coerce.number().int().positive().max(200_000).default(1024),
  AI_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
  AI_IDLE_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
  AI_MAX_RETRIES: z.coerce.number().int().min(0).max(10).default(2),
  AI_RETRY_BASE_MS: z.coerce.number().int().min(0).default(250),
  AI_MAX_RETRY_AFTER_MS: z.coerce.number().int().min(0).default(10_000),
  AI_HISTORY_MESSAGES: z.coerce.number().int().min(0).max(200).default(20),
  EMBEDDINGS_BASE_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  EMBEDDINGS_API_KEY: z.string().min(1).optional(),
  EMBEDDINGS_MODEL: z.string().min(1).default('text-embedding-3-small'),
  LIVE_PLANS: z
    .string()
    .regex(/^\s*[a-z][a-z0-9_-]*:\d+\s*(,\s*[a-z][a-z0-9_-]*:\d+\s*)*$/, 'must be plan:seconds pairs, e.g. free:1800,pro:72000')
    .default('free:1800,pro:72000'),
  LIVE_MIN_START_SECONDS: z.coerce.number().int().min(0).default(10),
  LIVE_HEARTBEAT_INTERVAL_SECONDS: z.coerce.number().int().positive().default(15),
  LIVE_IDLE_TIMEOUT_SECONDS: z.coerce.number().int().positive().default(45),
  LIVE_MAX_SESSION_SECONDS: z.coerce.number().int().positive().default(3600),
  LIVE_SWEEP_INTERVAL_MS: z.coerce.number().int().positive().default(5000),
  STT_BASE_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  STT_API_KEY: z.string().min(1).optional(),
  STT_MODEL: z.string().min(1).default('whisper-1'),
  TTS_BASE_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  TTS_API_KEY: z.string().min(1).optional(),
  TTS_MODEL: z.string().min(1).default('tts-1'),
  TTS_VOICE: z.string().min(1).default('alloy'),
  KNOWLEDGE_MAX_BYTES: z.coerce.number().int().positive().max(200 * 1024 * 1024).default(10 * 1024 * 1024),
  KNOWLEDGE_MAX_CHARS: z.coerce.number().int().positive().default(5_000_000),
  KNOWLEDGE_MAX_PAGES: z.coerce.number().int().positive().default(2000),
  KNOWLEDGE_MAX_CHUNKS: z.coerce.number().int().positive().default(8000),
  KNOWLEDGE_MAX_USER_BYTES: z.coerce.number().int().positive().default(100 * 1024 * 1024),
  KNOWLEDGE_MAX_PDF_EXPANSION: z.coerce.number().positive().default(20),
  KNOWLEDGE_MAX_HTML_DEPTH: z.coerce.number().int().positive().max(10_000).default(500),
  JOBS_CONCURRENCY: z.coerce.number().int().min(0).max(64).default(2),
  JOBS_POLL_INTERVAL_MS: z.coerce.number().int().min(10).max(60_000).default(1000),
  JOBS_LEASE_MS: z.coerce.number().int().min(1000).max(3_600_000).default(60_000),
  JOBS_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(5),
  JOBS_RETRY_BASE_MS: z.coerce.number().int().min(0).default(2000),
  JOBS_RETRY_MAX_MS: z.coerce.number().int().min(0).default(10 * 60_000),
  WORKER_THREADS: z.coerce.number().int().positive().max(64).optional(),
  XEL_EVALUATOR: z.enum(['embedded', 'ai']).default('embedded'),
  XEL_AI_PROVIDER: z.enum(['auto', 'openai', 'anthropic']).default('auto'),
  XEL_AI_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
  XEL_DIALECT: z.enum(['american', 'british', 'australian', 'canadian']).default('british'),
  XEL_GRAMMAR_PRELOAD: bool.default(true),
  XEL_GRAMMAR_TIMEOUT_MS: z.coerce.number().int().positive().default(90_000),
  XEL_DEFAULT_DAILY_GOAL_XP: z.coerce.number().int().min(1).max(1000).default(30),
  GOOGLE_CLIENT_ID: z.string().min(1).optional(),
  GOOGLE_CLIENT_SECRET: z.string().min(1).optional(),
  GOOGLE_REDIRECT_URI: oauthUrl.optional(),
  GOOGLE_ISSUER: z.string().min(1).default('https://accounts.google.com'),
  GOOGLE_AUTHORIZATION_URL: oauthUrl.default('https://accounts.google.com/o/oauth2/v2/auth'),
  GOOGLE_TOKEN_URL: oauthUrl.default('https://oauth2.googleapis.com/token'),
  GOOGLE_REVOCATION_URL: oauthUrl.default('https://oauth2.googleapis.com/revoke'),
  GOOGLE_USERINFO_URL: oauthUrl.default('https://openidconnect.googleapis.com/v1/userinfo'),
  GOOGLE_CALENDAR_API_URL: oauthUrl.default('https://www.googleapis.com/calendar/v3'),
  GOOGLE_CALENDAR_SCOPE: z
    .string()
    .regex(/^https:\/\/www\.googleapis\.com\/auth\/calendar[a-z.]*$/, 'must be a Google Calendar scope URL')
    .default('https://www.googleapis.com/auth/calendar.events.owned'),
  GOOGLE_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  INTEGRATIONS_RETURN_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  INTEGRATIONS_ENCRYPTION_KEYS: z
    .string()
    .regex(/^\s*[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/_=-]+\s*(,\s*[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/_=-]+\s*)*$/, 'must be kid:base64key pairs, e.g. k2025:BASE64,k2024:BASE64')
    .optional(),
  INTEGRATIONS_STATE_TTL_SECONDS: z.coerce.number().int().min(60).max(3600).default(600),
  INTEGRATIONS_REFRESH_MARGIN_SECONDS: z.coerce.number().int().min(0).max(1800).default(300),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').optional(),
  REDIS_KEY_PREFIX: z.string().regex(/^[A-Za-z0-9:_.-]{1,64}$/, 'may contain letters, digits and : _ . -').default('xentree:'),
  RATE_LIMITS_ENABLED: bool.default(true),
  LOGIN_MAX_DELAY_SECONDS: z.coerce.number().int().positive().max(86_400).default(300),
  LOGIN_KNOWN_ADDRESS_DAYS: z.coerce.number().int().min(0).max(3650).default(90),
  RATE_LIMITS: z
    .string()
    .regex(/^\s*([a-z_]+=\d+\/\d+\s*(,\s*[a-z_]+=\d+\/\d+\s*)*)?$/, 'must be name=points/seconds pairs, e.g. login_ip=20/60,chat=30/60')
    .default(''),
  GRAPHQL_MAX_DEPTH: z.coerce.number().int().positive().default(10),
  GRAPHQL_MAX_ALIASES: z.coerce.number().int().min(0).default(15),
  GRAPHQL_MAX_COST: z.coerce.number().int().positive().default(5000),
  GRAPHQL_MAX_TOKENS: z.coerce.number().int().positive().default(2000),
  GRAPHQL_MAX_DIRECTIVES: z.coerce.number().int().min(0).default(50),
  GRAPHQL_MAX_BATCH: z.coerce.number().int().min(0).max(100).default(10),
  GRAPHQL_MAX_QUERY_BYTES: z.coerce.number().int().positive().default(16 * 1024),
  METRICS_ENABLED: bool.default(true),
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  METRICS_MAX_OPERATION_NAMES: z.coerce.number().int().min(0).max(10_000).default(100),
});

/**
 * What cross-origin callers may send by default: the API's credentials and content headers,
 * what Apollo Client and its tooling add (client awareness, operation names, the CSRF
 * preflight header), and distributed-tracing context (W3C Trace Context and Baggage, Sentry).
 */
export const DEFAULT_CORS_ALLOWED_HEADERS: readonly string[] = [
  'Authorization',
  'X-API-Key',
  'Content-Type',
  'Accept',
  'X-Request-Id',
  'Apollo-Require-Preflight',
  'apollographql-client-name',
  'apollographql-client-version',
  'x-apollo-operation-name',
  'traceparent',
  'tracestate',
  'baggage',
  'sentry-trace',
];

/** Response headers cross-origin callers may read: request id, list totals, rate limits. */
export const CORS_EXPOSED_HEADERS: readonly string[] = [
  'X-Request-Id',
  'X-Total-Count',
  'Retry-After',
  'RateLimit-Limit',
  'RateLimit-Remaining',
  'RateLimit-Reset',
  'RateLimit-Policy',
];

/** The rate limits: who is counted, and what. */
export const RATE_LIMIT_NAMES = ['login_ip', 'login_account', 'login_account_ip', 'reauth_session', 'register_ip', 'register_account', 'chat', 'evaluation', 'api_key'] as const;
export type RateLimitName = (typeof RATE_LIMIT_NAMES)[number];
export interface RateLimitRule {
  readonly points: number;
  readonly seconds: number;
}

/**
 * Defaults, per window: logins per client address; failed sign-ins per account from anywhere
 * before growing delays start for addresses the account never signed in from; failed
 * sign-ins per account from one address (reset by a success there); wrong current passwords
 * per login session; registrations per address and per email or username; chat turns and
 * evaluations per user; requests per API key.
 */
export const DEFAULT_RATE_LIMITS: Readonly<Record<RateLimitName, RateLimitRule>> = {
  login_ip: { points: 30, seconds: 60 },
  login_account: { points: 10, seconds: 900 },
  login_account_ip: { points: 5, seconds: 900 },
  reauth_session: { points: 5, seconds: 900 },
  register_ip: { points: 10, seconds: 3600 },
  register_account: { points: 5, seconds: 3600 },
  chat: { points: 30, seconds: 60 },
  evaluation: { points: 20, seconds: 60 },
  api_key: { points: 600, seconds: 60 },
};

/** One AI provider's operator settings. */
export interface ProviderConfig {
  readonly baseUrl: string | null;
  readonly apiKey: string | null;
  readonly models: readonly string[];
  readonly defaultModel: string | null;
}

export interface Config {
  readonly env: 'development' | 'production' | 'test';
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly db: {
    readonly driver: DbDriver;
    /** SQLite file path (or `:memory:`), or the PostgreSQL connection URL. */
    readonly url: string;
    readonly poolMax: number;
    readonly debug: boolean;
    /** Request-scoped batching (DataLoader and MikroORM's). Off only to measure what it buys. */
    readonly batching: boolean;
    /** How long SQLite waits for another process's write lock before the statement fails. */
    readonly sqliteBusyTimeoutMs: number;
  };
  readonly logLevel: string;
  readonly auth: {
    readonly jwtSecret: string;
    readonly issuer: string;
    readonly audience: string;
    readonly accessTokenTtlSeconds: number;
    readonly refreshTokenTtlSeconds: number;
    readonly argon2MemoryKib: number;
    readonly argon2Iterations: number;
    /** Password hashes computed at once; by default one core is left for everything else. */
    readonly hashConcurrency: number;
  };
  readonly graphql: {
    readonly ide: boolean;
    readonly introspection: boolean;
    /** Document limits, checked before execution on HTTP and graphql-ws alike. */
    readonly limits: {
      readonly maxDepth: number;
      readonly maxAliases: number;
      readonly maxCost: number;
      readonly maxTokens: number;
      readonly maxDirectives: number;
      /** Operations in one HTTP request (a JSON array); 0 refuses batches. */
      readonly maxBatch: number;
      /** UTF-8 bytes of one document. */
      readonly maxQueryBytes: number;
    };
  };
  /** Redis for events between processes and shared rate-limit counters; null: in memory, one process. */
  readonly redis: { readonly url: string } | null;
  /** The key prefix of rate-limit counters and event channels (also in memory, for symmetry). */
  readonly keyPrefix: string;
  readonly rateLimits: {
    readonly enabled: boolean;
    /** Points allowed per window, by limit name. */
    readonly rules: Readonly<Record<RateLimitName, RateLimitRule>>;
    /** The longest delay an account under attack imposes on addresses it never signed in from. */
    readonly loginMaxDelaySeconds: number;
    /** An address the account signed in from within this many days is known (0: none is). */
    readonly loginKnownAddressDays: number;
  };
  readonly metrics: {
    readonly enabled: boolean;
    readonly token: string | null;
    /** Distinct GraphQL operation names kept as metric labels; later names are labelled `other`. */
    readonly maxOperationNames: number;
  };
  readonly apiDocs: boolean;
  /** Serve the web console at /console/. */
  readonly webConsole: boolean;
  readonly bodyLimitBytes: number;
  readonly corsOrigins: readonly string[];
  /** Request headers cross-origin callers may send (Access-Control-Allow-Headers). */
  readonly corsAllowedHeaders: readonly string[];
  readonly trustProxy: boolean;
  readonly shutdownTimeoutMs: number;
  readonly requestTimeoutMs: number;
  /** Slow and hostile clients: HTTP timeouts and WebSocket limits. */
  readonly limits: {
    readonly headersTimeoutMs: number;
    readonly keepAliveTimeoutMs: number;
    /** How often Node looks for requests past their header or request timeout. */
    readonly timeoutCheckMs: number;
    readonly wsMaxPayloadBytes: number;
    /** A WebSocket client that lets more than this pile up unread is disconnected. */
    readonly wsMaxBufferedBytes: number;
    readonly wsMaxMessagesPerSecond: number;
    /** A message that waited this long to reach a client means the client stopped reading. */
    readonly wsSendTimeoutMs: number;
    /** Concurrent GraphQL subscriptions on one graphql-ws connection. */
    readonly wsMaxSubscriptions: number;
    /** Frames of the live socket waiting behind a running turn. */
    readonly liveMaxPendingFrames: number;
  };
  /** Helmet's security headers (CSP, HSTS, nosniff, frame-ancestors...). */
  readonly securityHeaders: boolean;
  readonly live: {
    /** Monthly live entitlement in seconds, by plan. */
    readonly plans: Readonly<Record<string, number>>;
    readonly minStartSeconds: number;
    readonly heartbeatIntervalSeconds: number;
    readonly idleTimeoutSeconds: number;
    readonly maxSessionSeconds: number;
    readonly sweepIntervalMs: number;
    /** OpenAI-compatible speech endpoints; null: the embedded voice, and no speech-to-text. */
    readonly stt: { readonly baseUrl: string; readonly apiKey: string | null; readonly model: string } | null;
    readonly tts: { readonly baseUrl: string; readonly apiKey: string | null; readonly model: string; readonly voice: string } | null;
  };
  /** Background jobs (src/jobs/): how many run at once in this process, and how they are retried. */
  readonly jobs: {
    /** Jobs this process runs at once (0: it only enqueues; another process runs them). */
    readonly concurrency: number;
    readonly pollIntervalMs: number;
    /** How long a claimed job is held without a heartbeat before another process takes it over. */
    readonly leaseMs: number;
    readonly maxAttempts: number;
    /** Retry n waits min(retryMaxMs, retryBaseMs × 2^(n−1)). */
    readonly retryBaseMs: number;
    readonly retryMaxMs: number;
    /** Worker threads for CPU-heavy steps (extraction, chunking). */
    readonly workerThreads: number;
  };
  /** Where uploads are kept: DATA_DIR/uploads, content-addressed. */
  readonly storage: { readonly dir: string };
  readonly knowledge: {
    readonly maxBytes: number;
    /** Caps on what one upload may become, and on what one user may store (413 document_too_large past any). */
    readonly limits: {
      /** Characters of extracted text per document. */
      readonly maxChars: number;
      /** Pages of a PDF. */
      readonly maxPages: number;
      /** Passages (chunks) per document. */
      readonly maxChunks: number;
      /** Bytes of uploads one user keeps (documents not failed). */
      readonly maxUserBytes: number;
      /** Characters of text a PDF may yield per byte of file (a decompression bomb yields thousands). */
      readonly maxPdfExpansion: number;
      /** Nesting of HTML elements. */
      readonly maxHtmlDepth: number;
    };
    /** An OpenAI-compatible /embeddings endpoint: chunks get vectors and search fuses both rankings. */
    readonly embeddings: { readonly baseUrl: string; readonly apiKey: string | null; readonly model: string } | null;
  };
  readonly xel: {
    /** `embedded`: the deterministic rubric; `ai`: the chat provider, falling back to the rubric. */
    readonly evaluator: 'embedded' | 'ai';
    readonly aiProvider: 'auto' | 'openai' | 'anthropic';
    readonly aiTimeoutMs: number;
    readonly dialect: 'american' | 'british' | 'australian' | 'canadian';
    /** Load the grammar checker at start (it takes seconds) rather than on the first evaluation. */
    readonly grammarPreload: boolean;
    readonly grammarTimeoutMs: number;
    readonly defaultDailyGoalXp: number;
  };
  readonly integrations: IntegrationsConfig;
  readonly ai: {
    readonly defaultProvider: 'auto' | 'local' | 'openai' | 'anthropic';
    readonly openai: ProviderConfig;
    readonly anthropic: ProviderConfig & { readonly maxTokens: number };
    readonly timeoutMs: number;
    readonly idleTimeoutMs: number;
    readonly maxRetries: number;
    readonly retryBaseMs: number;
    readonly maxRetryAfterMs: number;
    readonly historyMessages: number;
  };
}

/** Google's OAuth client and endpoints. Every endpoint is configurable, so tests run against a local fake. */
export interface GoogleConfig {
  readonly clientId: string;
  readonly clientSecret: string;
  /** Exactly as registered at Google; the callback route is its path. */
  readonly redirectUri: string;
  readonly issuer: string;
  readonly authorizationUrl: string;
  readonly tokenUrl: string;
  readonly revocationUrl: string;
  readonly userinfoUrl: string;
  readonly calendarApiUrl: string;
  readonly calendarScope: string;
  readonly timeoutMs: number;
}

export interface IntegrationsConfig {
  /** null: not configured; `googleMissing` names what to set. */
  readonly google: GoogleConfig | null;
  readonly googleMissing: readonly string[];
  /** Where the browser lands after the OAuth callback; null: the callback answers JSON. */
  readonly returnUrl: string | null;
  /** Token encryption keys, base64 of 32 bytes each; the first encrypts new writes. Empty when Google is not configured. */
  readonly encryptionKeys: readonly { readonly id: string; readonly key: string }[];
  readonly stateTtlSeconds: number;
  /** Access tokens are refreshed when they expire within this many seconds. */
  readonly refreshMarginSeconds: number;
}

/** Raised when the environment is invalid; the message names every bad variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Reads and validates the environment. The only place in the code base that looks at
 * `process.env`. In production every secret must be given; in development a signing key
 * is generated once under DATA_DIR so tokens survive restarts.
 */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid environment:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  const dataDir = resolve(e.DATA_DIR);

  let jwtSecret = e.JWT_SECRET;
  if (!jwtSecret) {
    if (production) throw new ConfigError('Invalid environment:\n  JWT_SECRET: required when NODE_ENV=production');
    jwtSecret = persistentSecret(join(dataDir, 'signing-key'));
  }

  const integrations = integrationsConfig(e, production, dataDir);

  return deepFreeze({
    env: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    dataDir,
    db: { ...parseDatabaseUrl(e.DATABASE_URL, dataDir), poolMax: e.DB_POOL_MAX, debug: e.DB_DEBUG, batching: e.DATALOADER_BATCHING, sqliteBusyTimeoutMs: e.SQLITE_BUSY_TIMEOUT_MS },
    logLevel: e.LOG_LEVEL,
    auth: {
      jwtSecret,
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
      accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
      refreshTokenTtlSeconds: e.REFRESH_TOKEN_TTL_SECONDS,
      argon2MemoryKib: e.ARGON2_MEMORY_KIB,
      argon2Iterations: e.ARGON2_ITERATIONS,
      hashConcurrency: e.PASSWORD_HASH_CONCURRENCY ?? Math.max(1, availableParallelism() - 1),
    },
    graphql: {
      ide: e.GRAPHQL_IDE ?? !production,
      introspection: e.GRAPHQL_INTROSPECTION ?? !production,
      limits: {
        maxDepth: e.GRAPHQL_MAX_DEPTH,
        maxAliases: e.GRAPHQL_MAX_ALIASES,
        maxCost: e.GRAPHQL_MAX_COST,
        maxTokens: e.GRAPHQL_MAX_TOKENS,
        maxDirectives: e.GRAPHQL_MAX_DIRECTIVES,
        maxBatch: e.GRAPHQL_MAX_BATCH,
        maxQueryBytes: e.GRAPHQL_MAX_QUERY_BYTES,
      },
    },
    redis: e.REDIS_URL ? { url: e.REDIS_URL } : null,
    keyPrefix: e.REDIS_KEY_PREFIX,
    rateLimits: {
      enabled: e.RATE_LIMITS_ENABLED,
      rules: parseRateLimits(e.RATE_LIMITS),
      loginMaxDelaySeconds: e.LOGIN_MAX_DELAY_SECONDS,
      loginKnownAddressDays: e.LOGIN_KNOWN_ADDRESS_DAYS,
    },
    metrics: { enabled: e.METRICS_ENABLED, token: e.METRICS_TOKEN ?? null, maxOperationNames: e.METRICS_MAX_OPERATION_NAMES },
    apiDocs: e.API_DOCS,
    webConsole: e.WEB_CONSOLE,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    corsOrigins: e.CORS_ORIGINS.split(',').map((s) => s.trim()).filter(Boolean),
    // Empty (as .env.example leaves it) means the defaults, not "no headers at all".
    corsAllowedHeaders: e.CORS_ALLOWED_HEADERS?.trim() ? e.CORS_ALLOWED_HEADERS.split(',').map((s) => s.trim()).filter(Boolean) : DEFAULT_CORS_ALLOWED_HEADERS,
    trustProxy: e.TRUST_PROXY,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
    limits: {
      headersTimeoutMs: Math.min(e.HEADERS_TIMEOUT_MS, e.REQUEST_TIMEOUT_MS),
      keepAliveTimeoutMs: e.KEEP_ALIVE_TIMEOUT_MS,
      timeoutCheckMs: e.HTTP_TIMEOUT_CHECK_MS,
      wsMaxPayloadBytes: e.WS_MAX_PAYLOAD_BYTES,
      wsMaxBufferedBytes: e.WS_MAX_BUFFERED_BYTES,
      wsMaxMessagesPerSecond: e.WS_MAX_MESSAGES_PER_SECOND,
      wsSendTimeoutMs: e.WS_SEND_TIMEOUT_MS,
      wsMaxSubscriptions: e.WS_MAX_SUBSCRIPTIONS,
      liveMaxPendingFrames: e.LIVE_MAX_PENDING_FRAMES,
    },
    securityHeaders: e.SECURITY_HEADERS,
    live: {
      plans: Object.fromEntries(e.LIVE_PLANS.split(',').map((pair) => {
        const [plan, seconds] = pair.trim().split(':');
        return [plan!, Number(seconds)];
      })),
      minStartSeconds: e.LIVE_MIN_START_SECONDS,
      heartbeatIntervalSeconds: e.LIVE_HEARTBEAT_INTERVAL_SECONDS,
      idleTimeoutSeconds: e.LIVE_IDLE_TIMEOUT_SECONDS,
      maxSessionSeconds: e.LIVE_MAX_SESSION_SECONDS,
      sweepIntervalMs: e.LIVE_SWEEP_INTERVAL_MS,
      stt: e.STT_BASE_URL ? { baseUrl: e.STT_BASE_URL.replace(/\/+$/, ''), apiKey: e.STT_API_KEY ?? null, model: e.STT_MODEL } : null,
      tts: e.TTS_BASE_URL ? { baseUrl: e.TTS_BASE_URL.replace(/\/+$/, ''), apiKey: e.TTS_API_KEY ?? null, model: e.TTS_MODEL, voice: e.TTS_VOICE } : null,
    },
    jobs: {
      concurrency: e.JOBS_CONCURRENCY,
      pollIntervalMs: e.JOBS_POLL_INTERVAL_MS,
      leaseMs: e.JOBS_LEASE_MS,
      maxAttempts: e.JOBS_MAX_ATTEMPTS,
      retryBaseMs: e.JOBS_RETRY_BASE_MS,
      retryMaxMs: e.JOBS_RETRY_MAX_MS,
      workerThreads: e.WORKER_THREADS ?? Math.max(1, Math.min(4, availableParallelism() - 1)),
    },
    storage: { dir: join(dataDir, 'uploads') },
    knowledge: {
      maxBytes: e.KNOWLEDGE_MAX_BYTES,
      limits: {
        maxChars: e.KNOWLEDGE_MAX_CHARS,
        maxPages: e.KNOWLEDGE_MAX_PAGES,
        maxChunks: e.KNOWLEDGE_MAX_CHUNKS,
        maxUserBytes: e.KNOWLEDGE_MAX_USER_BYTES,
        maxPdfExpansion: e.KNOWLEDGE_MAX_PDF_EXPANSION,
        maxHtmlDepth: e.KNOWLEDGE_MAX_HTML_DEPTH,
      },
      embeddings: e.EMBEDDINGS_BASE_URL ? { baseUrl: e.EMBEDDINGS_BASE_URL.replace(/\/+$/, ''), apiKey: e.EMBEDDINGS_API_KEY ?? null, model: e.EMBEDDINGS_MODEL } : null,
    },
    xel: {
      evaluator: e.XEL_EVALUATOR,
      aiProvider: e.XEL_AI_PROVIDER,
      aiTimeoutMs: e.XEL_AI_TIMEOUT_MS,
      dialect: e.XEL_DIALECT,
      grammarPreload: e.XEL_GRAMMAR_PRELOAD,
      grammarTimeoutMs: e.XEL_GRAMMAR_TIMEOUT_MS,
      defaultDailyGoalXp: e.XEL_DEFAULT_DAILY_GOAL_XP,
    },
    integrations,
    ai: {
      defaultProvider: e.AI_DEFAULT_PROVIDER,
      openai: providerConfig(e.OPENAI_BASE_URL ?? (e.OPENAI_API_KEY ? 'https://api.openai.com/v1' : null), e.OPENAI_API_KEY, e.OPENAI_MODELS, e.OPENAI_DEFAULT_MODEL),
      anthropic: {
        ...providerConfig(e.ANTHROPIC_API_KEY ? e.ANTHROPIC_BASE_URL : null, e.ANTHROPIC_API_KEY, e.ANTHROPIC_MODELS, e.ANTHROPIC_DEFAULT_MODEL),
        maxTokens: e.ANTHROPIC_MAX_TOKENS,
      },
      timeoutMs: e.AI_TIMEOUT_MS,
      idleTimeoutMs: e.AI_IDLE_TIMEOUT_MS,
      maxRetries: e.AI_MAX_RETRIES,
      retryBaseMs: e.AI_RETRY_BASE_MS,
      maxRetryAfterMs: e.AI_MAX_RETRY_AFTER_MS,
      historyMessages: e.AI_HISTORY_MESSAGES,
    },
  });
}

const GOOGLE_REQUIRED = ['GOOGLE_CLIENT_ID', 'GOOGLE_CLIENT_SECRET', 'GOOGLE_REDIRECT_URI'] as const;

/**
 * Google is configured when its client id, secret and redirect URI are all set; a partial
 * setting is an error. Token encryption keys come from INTEGRATIONS_ENCRYPTION_KEYS; in
 * development, when unset, one key is generated once into DATA_DIR/integrations-key.
 */
function integrationsConfig(e: z.infer<typeof envSchema>, production: boolean, dataDir: string): IntegrationsConfig {
  const missing = GOOGLE_REQUIRED.filter((k) => !e[k]);
  if (missing.length && missing.length < GOOGLE_REQUIRED.length) {
    throw new ConfigError(`Invalid environment:\n${missing.map((k) => `  ${k}: required when ${GOOGLE_REQUIRED.filter((r) => !missing.includes(r)).join(' and ')} is set`).join('\n')}`);
  }
  const google: GoogleConfig | null = missing.length
    ? null
    : {
        clientId: e.GOOGLE_CLIENT_ID!,
        clientSecret: e.GOOGLE_CLIENT_SECRET!,
        redirectUri: e.GOOGLE_REDIRECT_URI!,
        issuer: e.GOOGLE_ISSUER,
        authorizationUrl: e.GOOGLE_AUTHORIZATION_URL,
        tokenUrl: e.GOOGLE_TOKEN_URL,
        revocationUrl: e.GOOGLE_REVOCATION_URL,
        userinfoUrl: e.GOOGLE_USERINFO_URL,
        calendarApiUrl: e.GOOGLE_CALENDAR_API_URL.replace(/\/+$/, ''),
        calendarScope: e.GOOGLE_CALENDAR_SCOPE,
        timeoutMs: e.GOOGLE_TIMEOUT_MS,
      };
  let encryptionKeys: { id: string; key: string }[] = [];
  if (e.INTEGRATIONS_ENCRYPTION_KEYS) {
    encryptionKeys = parseEncryptionKeys(e.INTEGRATIONS_ENCRYPTION_KEYS);
  } else if (google) {
    if (production) throw new ConfigError('Invalid environment:\n  INTEGRATIONS_ENCRYPTION_KEYS: required when NODE_ENV=production and Google is configured');
    encryptionKeys = parseEncryptionKeys(persistentSecret(join(dataDir, 'integrations-key'), () => `local:${randomBytes(32).toString('base64')}`), 'DATA_DIR/integrations-key');
  }
  return {
    google,
    googleMissing: missing,
    returnUrl: e.INTEGRATIONS_RETURN_URL ?? null,
    encryptionKeys,
    stateTtlSeconds: e.INTEGRATIONS_STATE_TTL_SECONDS,
    refreshMarginSeconds: e.INTEGRATIONS_REFRESH_MARGIN_SECONDS,
  };
}

/** `kid:base64,kid:base64`: each key exactly 32 bytes (AES-256), ids unique. */
function parseEncryptionKeys(value: string, name = 'INTEGRATIONS_ENCRYPTION_KEYS'): { id: string; key: string }[] {
  const keys = value.split(',').map((pair) => {
    const [id, b64] = pair.trim().split(':') as [string, string];
    const bytes = Buffer.from(b64.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (bytes.length !== 32) throw new ConfigError(`Invalid environment:\n  ${name}: key ${id} must be 32 bytes, base64-encoded (openssl rand -base64 32)`);
    return { id, key: bytes.toString('base64') };
  });
  if (new Set(keys.map((k) => k.id)).size !== keys.length) throw new ConfigError(`Invalid environment:\n  ${name}: key ids must be unique`);
  return keys;
}

/** A provider is configured when it has somewhere to call: a base URL (OpenAI-compatible) or a key (Anthropic). */
function providerConfig(baseUrl: string | null, apiKey: string | undefined, models: string, defaultModel: string | undefined): ProviderConfig {
  const list = models.split(',').map((m) => m.trim()).filter(Boolean);
  const def = defaultModel ?? list[0] ?? null;
  return {
    baseUrl: baseUrl ? baseUrl.replace(/\/+$/, '') : null,
    apiKey: apiKey ?? null,
    models: def && !list.includes(def) ? [def, ...list] : list,
    defaultModel: def,
  };
}

/** `login_ip=20/60,chat=30/60` over the defaults; an unknown name stops the start. */
function parseRateLimits(spec: string): Record<RateLimitName, RateLimitRule> {
  const rules: Record<RateLimitName, RateLimitRule> = { ...DEFAULT_RATE_LIMITS };
  for (const pair of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [name, value] = pair.split('=') as [string, string];
    const [points, seconds] = value.split('/').map(Number) as [number, number];
    if (!(RATE_LIMIT_NAMES as readonly string[]).includes(name)) {
      throw new ConfigError(`Invalid environment:\n  RATE_LIMITS: unknown limit "${name}"; known: ${RATE_LIMIT_NAMES.join(', ')}`);
    }
    if (points < 1 || seconds < 1) throw new ConfigError(`Invalid environment:\n  RATE_LIMITS: ${name} needs at least 1 point per at least 1 second`);
    rules[name as RateLimitName] = { points, seconds };
  }
  return rules;
}

function parseDatabaseUrl(url: string | undefined, dataDir: string): { driver: DbDriver; url: string } {
  if (!url) return { driver: 'sqlite', url: join(dataDir, 'xentree.sqlite3') };
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\//, '');
    if (!path) throw new ConfigError('Invalid environment:\n  DATABASE_URL: sqlite: needs a file path, e.g. sqlite:data/app.db');
    return { driver: 'sqlite', url: path === ':memory:' ? path : resolve(path) };
  }
  return { driver: 'postgresql', url };
}

/** Reads the secret kept at `file`, creating it (0600) on first use. */
function persistentSecret(file: string, generate: () => string = () => randomBytes(48).toString('base64url')): string {
  if (existsSync(file)) {
    const value = readFileSync(file, 'utf8').trim();
    if (value.length >= 32) return value;
  }
  mkdirSync(dirname(file), { recursive: true });
  const value = generate();
  writeFileSync(file, value + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return value;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
