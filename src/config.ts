import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';

/**
 * The gateway's configuration, declared once. Each environment variable is one zod schema
 * here, with its description (`.describe()`) and its name (`v()`); its place in the tree is
 * its place in `Config`, whose type is inferred. `.env.example` and the README's
 * configuration table are generated from this file (`npm run config:docs`; a test fails
 * when either drifts). Sections that belong to one module (`db`, `auth`, `graphql`,
 * `rateLimits`, `metrics`, `tracing`, `live`, `knowledge`, `xel`, `integrations`, `ai`) are nested, so a
 * module can be handed its own slice (`Config['live']`...).
 */

/** What the docs need of a variable besides its schema. */
export interface EnvMeta {
  /** The environment variable. */
  readonly env: string;
  /** The heading of the group it is documented under. */
  group?: string;
  /** The group's introduction (on its first variable). */
  groupIntro?: string;
  /** For the README when the default is computed (the example file then leaves the value empty). */
  readonly defaultText?: string;
}

/** Each variable's schema -> its name and documentation. */
export const envRegistry = z.registry<EnvMeta>();

/** Declares one environment variable: its schema and what it means. */
function v<T extends z.ZodType>(env: string, schema: T, description: string, extra: { defaultText?: string } = {}): T {
  const s = schema.describe(description);
  envRegistry.add(s, { env, ...extra });
  return s;
}

/** Documents the variables of `shape` (and of its nested sections) under one heading. */
function group<S extends z.ZodRawShape>(title: string, intro: string, shape: S): S {
  let first = true;
  forEachVariable(z.object(shape), (_path, schema, meta) => {
    envRegistry.add(schema, { ...meta, group: title, ...(first ? { groupIntro: intro } : {}) });
    first = false;
  });
  return shape;
}

/** The object inside a section (a section may be a transformed object). */
function objectOf(s: z.ZodType): z.ZodObject | null {
  if (s instanceof z.ZodObject) return s;
  if (s instanceof z.ZodPipe) return objectOf(s.in as z.ZodType);
  return null;
}

/** Every declared variable under `root`, in declaration order, with its path in the configuration tree. */
export function forEachVariable(root: z.ZodType, visit: (path: string[], schema: z.ZodType, meta: EnvMeta) => void, path: string[] = []): void {
  const meta = envRegistry.get(root);
  if (meta) return visit(path, root, meta);
  const obj = objectOf(root);
  if (!obj) throw new Error(`config: ${path.join('.')} is neither a variable nor a section`);
  for (const [key, child] of Object.entries(obj.shape)) forEachVariable(child as z.ZodType, visit, [...path, key]);
}

/** The default a variable's schema applies when it is unset (undefined: none). */
export function defaultOf(s: z.ZodType): unknown {
  if (s instanceof z.ZodDefault) return s.def.defaultValue;
  if (s instanceof z.ZodPipe) return defaultOf(s.in as z.ZodType);
  return undefined;
}

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
  .transform((x) => ['true', '1', 'yes', 'on'].includes(x));

/** TRUST_PROXY as Fastify takes it: false, a number of proxy hops (true is one), or proxy addresses and CIDRs. */
const trustProxy = z
  .string()
  .trim()
  .transform((x, ctx): false | number | string[] => {
    const v = x.toLowerCase();
    if (['false', '0', 'no', 'off', ''].includes(v)) return false;
    if (['true', 'yes', 'on'].includes(v)) return 1;
    if (/^\d{1,2}$/.test(v)) return Number(v);
    const list = v.split(',').map((a) => a.trim()).filter(Boolean);
    if (list.every((a) => /^[0-9a-f:.]+(\/\d{1,3})?$/.test(a) && isIP(a.split('/')[0]!) !== 0)) return list;
    ctx.addIssue({ code: 'custom', message: 'must be false, true, a number of proxies, or a comma list of proxy addresses/CIDRs' });
    return z.NEVER;
  });

/** An origin as browsers send it: scheme, host, optional port, nothing else. */
const ORIGIN = /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$|^https?:\/\/\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

const seconds = (def: number) => z.coerce.number().int().positive().default(def);
const positive = (def: number) => z.coerce.number().int().positive().default(def);
const httpUrl = () => z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
/** A base URL without its trailing slashes. */
const baseUrl = () => httpUrl().transform((u) => u.replace(/\/+$/, ''));
const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
/** An OAuth endpoint: https, or plain http to a loopback address (local fakes and development only). */
const oauthUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
  .refine((u) => u.startsWith('https:') || LOOPBACK.has(new URL(u).hostname), 'must use https (plain http only on 127.0.0.1, ::1 or localhost)');

/** Which database driver a connection string selects. */
export type DbDriver = 'sqlite' | 'postgresql';

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
  // A retry-safe request (REST study sessions) carries its key in it.
  'Idempotency-Key',
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

/** Every environment variable the gateway reads, in the shape of `Config` (before the cross-section rules of `loadConfig`). */
export const configSchema = z.object({
  ...group('Server', 'Every variable is optional in development: with none set, `npm start` runs on an embedded SQLite file under DATA_DIR.', {
    env: v('NODE_ENV', z.enum(['development', 'production', 'test']).default('development'), 'development, production or test. Production requires JWT_SECRET and turns the IDE, introspection and field suggestions off by default.'),
    host: v('HOST', z.string().min(1).default('127.0.0.1'), 'Address to listen on; 0.0.0.0 accepts connections from other hosts.'),
    port: v('PORT', z.coerce.number().int().min(0).max(65535).default(4000), 'Port to listen on.'),
    dataDir: v('DATA_DIR', z.string().min(1).default('data').transform((d) => resolve(d)), 'Where the embedded database and the generated signing key live.'),
    logLevel: v('LOG_LEVEL', z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'), 'fatal, error, warn, info, debug, trace or silent. Logs are JSON lines (pino), each with the request id.'),
  }),
  db: z
    .object(
      group('Database', 'SQLite by default; PostgreSQL with a postgres:// URL.', {
        url: v(
          'DATABASE_URL',
          z
            .string()
            .regex(/^(postgres(ql)?:\/\/|sqlite:)/, 'must start with postgres://, postgresql:// or sqlite:')
            .optional(),
          'postgres://user@host:5432/db for PostgreSQL, sqlite:path/to/file.db for another SQLite file. Unset: SQLite at DATA_DIR/xentree.sqlite3.',
          { defaultText: 'SQLite at `DATA_DIR/xentree.sqlite3`' },
        ),
        poolMax: v('DB_POOL_MAX', z.coerce.number().int().positive().max(200).default(10), 'Largest PostgreSQL connection pool per process.'),
        debug: v('DB_DEBUG', bool.default(false), 'Log every SQL statement (at debug level).'),
        sqliteBusyTimeoutMs: v(
          'SQLITE_BUSY_TIMEOUT_MS',
          z.coerce.number().int().min(0).max(600_000).default(5000),
          "SQLite: how long a statement waits in all for a write lock another connection holds (another process's, a document reader's) before it fails (the request then answers 503 service_unavailable with Retry-After, as during any database outage). The serving thread waits on timers, serving other requests meanwhile.",
        ),
        batching: v('DATALOADER_BATCHING', bool.default(true), 'Request-scoped query batching (DataLoader, MikroORM). Only turned off to measure what it buys.'),
      }),
    )
    .describe('The database.'),
  auth: z
    .object(
      group('Authentication', 'Access tokens (HS256 JWT), refresh tokens and password hashing.', {
        jwtSecret: v(
          'JWT_SECRET',
          z.string().min(32, 'must be at least 32 characters').optional(),
          'HS256 key for access tokens, at least 32 characters. Required in production. In development, when unset, one is generated once and kept in DATA_DIR/signing-key so tokens survive restarts.',
          { defaultText: 'generated once into `DATA_DIR/signing-key` (not in production)' },
        ),
        issuer: v('JWT_ISSUER', z.string().min(1).default('xentree-gateway'), 'The iss claim of access tokens (checked on the way in).'),
        audience: v('JWT_AUDIENCE', z.string().min(1).default('xentree'), 'The aud claim of access tokens (checked on the way in).'),
        accessTokenTtlSeconds: v('ACCESS_TOKEN_TTL_SECONDS', seconds(900), 'Access tokens live this many seconds.'),
        refreshTokenTtlSeconds: v('REFRESH_TOKEN_TTL_SECONDS', seconds(30 * 24 * 3600), 'A refresh-token family (a login) lives this many seconds.'),
        credentialRecheckIntervalMs: v(
          'CREDENTIAL_RECHECK_INTERVAL_MS',
          positive(60_000),
          "How often the credentials of open sockets and event streams are checked against the database again (one query per kind of credential for all of them): a revocation whose event was lost (Redis away) closes them within this.",
        ),
        argon2MemoryKib: v('ARGON2_MEMORY_KIB', z.coerce.number().int().min(19456, 'must be at least 19456 (OWASP minimum)').default(19456), 'argon2id memory cost in KiB (the OWASP minimum, 19456, is enforced).'),
        argon2Iterations: v('ARGON2_ITERATIONS', z.coerce.number().int().min(2, 'must be at least 2 (OWASP minimum)').default(2), 'argon2id iterations (the OWASP minimum, 2, is enforced).'),
        hashConcurrency: v(
          'PASSWORD_HASH_CONCURRENCY',
          z.coerce
            .number()
            .int()
            .positive()
            .max(64)
            .optional()
            .transform((n) => n ?? Math.max(1, availableParallelism() - 1)),
          'Password hashes computed at once (the rest queue); default: the number of cores less one (at least 1), so a login storm leaves a core for every other request.',
          { defaultText: 'cores − 1 (at least 1)' },
        ),
        hashNice: v(
          'PASSWORD_HASH_NICE',
          z.coerce.number().int().min(0).max(19).default(10),
          'Scheduling priority (nice, 0–19) of the threads that hash passwords (on Linux; elsewhere ignored): above 0, a core contended by hashing and requests runs the requests first, so a login storm barely moves other requests\' latency. Hashing then also yields to other busy processes of the machine: where the gateway shares its cores (a CI runner), 0, the process\'s own priority.',
        ),
      }),
    )
    .describe('Authentication.'),
  graphql: z
    .object({
      ...group('GraphQL', 'The IDE, introspection, and the limits every document is checked against before execution, on HTTP and graphql-ws alike.', {
        ide: v('GRAPHQL_IDE', bool.optional(), 'The GraphQL IDE (Altair, served locally) at GET /graphql for browsers. Default: on, except in production.', { defaultText: 'on outside production' }),
        introspection: v('GRAPHQL_INTROSPECTION', bool.optional(), 'Schema introspection. Default: on, except in production.', { defaultText: 'on outside production' }),
        limits: z.object({
          maxDepth: v('GRAPHQL_MAX_DEPTH', positive(10), 'Deepest selection nesting of a document.'),
          maxAliases: v('GRAPHQL_MAX_ALIASES', z.coerce.number().int().min(0).default(15), 'Aliases in a document.'),
          maxCost: v(
            'GRAPHQL_MAX_COST',
            positive(5000),
            "An operation's cost, computed with its variables: 1 per object, lists multiplied by their first/last/limit (20 when not given), other lists of objects by the size they declare (a year of days: 366), else 10 (see GraphQL API).",
          ),
          maxTokens: v('GRAPHQL_MAX_TOKENS', positive(2000), 'Lexical tokens of a document.'),
          maxDirectives: v('GRAPHQL_MAX_DIRECTIVES', z.coerce.number().int().min(0).default(50), 'Directives in a document.'),
          maxBatch: v('GRAPHQL_MAX_BATCH', z.coerce.number().int().min(0).max(100).default(10), 'Operations in one HTTP request sent as a JSON array; 0 refuses batches.'),
          maxQueryBytes: v('GRAPHQL_MAX_QUERY_BYTES', positive(16 * 1024), 'UTF-8 bytes of one document.'),
        }),
      }),
    })
    .describe('GraphQL.'),
  ...group('HTTP', 'What the server accepts, and from whom.', {
    apiDocs: v('API_DOCS', bool.default(true), 'The OpenAPI reference page at /docs (the document at /openapi.json is always served).'),
    webConsole: v('WEB_CONSOLE', bool.default(true), 'The web console (a page to try the platform in a browser, built by npm run build) at /console/.'),
    bodyLimitBytes: v('BODY_LIMIT_BYTES', positive(1024 * 1024), 'Largest request body in bytes; larger bodies answer 413.'),
    corsOrigins: v(
      'CORS_ORIGINS',
      z
        .string()
        .refine((x) => list(x).every((o) => o === '*' || ORIGIN.test(o)), 'must be a comma-separated list of origins such as https://app.example.com (scheme, host and port; no path), or *')
        .default('')
        .transform(list),
      'Comma-separated origins allowed by CORS, e.g. https://app.example.com (scheme, host, port; no path). Empty: CORS off, so browsers on other origins cannot read responses. * allows any origin (no cookies are used: credentials travel in the Authorization and X-API-Key headers).',
      { defaultText: 'empty (off)' },
    ),
    corsAllowedHeaders: v(
      'CORS_ALLOWED_HEADERS',
      z
        .string()
        .refine((x) => list(x).every((h) => /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(h)), 'must be a comma-separated list of header names')
        .optional()
        // Empty (as .env.example leaves it) means the defaults, not "no headers at all".
        .transform((x): readonly string[] => (x?.trim() ? list(x) : DEFAULT_CORS_ALLOWED_HEADERS)),
      'Request headers those origins may send (Access-Control-Allow-Headers), comma-separated; setting it replaces the default list, which is: Authorization, X-API-Key, Content-Type, Accept, X-Request-Id, Idempotency-Key, Apollo-Require-Preflight, apollographql-client-name, apollographql-client-version, x-apollo-operation-name, traceparent, tracestate, baggage, sentry-trace. (They may always read X-Request-Id, X-Total-Count, Retry-After and the RateLimit-* headers.)',
      { defaultText: 'the list in the meaning' },
    ),
    securityHeaders: v(
      'SECURITY_HEADERS',
      bool.default(true),
      "Security headers (helmet): Content-Security-Policy, Strict-Transport-Security, X-Content-Type-Options, frame-ancestors 'none'... The GraphQL IDE and /docs get a policy that lets them run from the gateway (see Hardening).",
    ),
    trustProxy: v(
      'TRUST_PROXY',
      trustProxy.default(false),
      'Which proxies in front of the gateway to believe about the client (X-Forwarded-For, -Proto, -Host). false: none, the peer is the client. true (or 1): one proxy, the one that connects (a load balancer): the client is the address it appended, the last of X-Forwarded-For; a number n: that many proxies in a row; a list (10.0.0.0/8,192.168.1.5): the proxies at those addresses or CIDRs. Only the entries the trusted proxies appended count, so a client cannot choose its address (the per-address limits, API-key allow-lists) by sending its own X-Forwarded-For.',
    ),
    shutdownTimeoutMs: v('SHUTDOWN_TIMEOUT_MS', positive(10_000), 'How long shutdown may take before the process exits anyway.'),
    requestTimeoutMs: v('REQUEST_TIMEOUT_MS', positive(30_000), 'A request (or a connection sending headers) slower than this is cut off.'),
  }),
  limits: z
    .object(
      group('Slow and hostile clients', 'HTTP timeouts and WebSocket limits (GraphQL subscriptions and the live socket).', {
        headersTimeoutMs: v('HEADERS_TIMEOUT_MS', positive(10_000), 'All request headers must arrive within this (slow-header clients are cut off; at most REQUEST_TIMEOUT_MS).'),
        keepAliveTimeoutMs: v('KEEP_ALIVE_TIMEOUT_MS', positive(72_000), "An idle keep-alive connection is closed after this. Keep it above a load balancer's idle timeout."),
        timeoutCheckMs: v('HTTP_TIMEOUT_CHECK_MS', z.coerce.number().int().positive().max(60_000).default(1000), 'How often the server looks for requests past their header or request timeout.'),
        wsMaxPayloadBytes: v('WS_MAX_PAYLOAD_BYTES', positive(1024 * 1024), 'Largest WebSocket message accepted.'),
        wsMaxBufferedBytes: v('WS_MAX_BUFFERED_BYTES', positive(4 * 1024 * 1024), 'A WebSocket client that leaves more than this unread is disconnected.'),
        wsSendTimeoutMs: v('WS_SEND_TIMEOUT_MS', positive(20_000), 'A WebSocket client that lets a message wait this long (it stopped reading) is disconnected.'),
        wsMaxMessagesPerSecond: v('WS_MAX_MESSAGES_PER_SECOND', positive(100), 'A WebSocket client sending more messages a second is closed (1008).'),
        wsMaxSubscriptions: v('WS_MAX_SUBSCRIPTIONS', positive(50), 'Concurrent GraphQL subscriptions on one graphql-ws connection.'),
        liveMaxPendingFrames: v('LIVE_MAX_PENDING_FRAMES', positive(64), 'Frames of the live socket that may wait behind a running turn; more are answered rate_limited and dropped.'),
      }),
    )
    .describe('Slow and hostile clients.'),
  ai: z
    .object(
      group('AI providers', 'With none configured, chat uses `local`: no language model, it answers by quoting the caller\'s own notes, messages and transcripts, with numbered citations. Base URLs are operator configuration only; no request can name one.', {
        defaultProvider: v('AI_DEFAULT_PROVIDER', z.enum(['auto', 'local', 'openai', 'anthropic']).default('auto'), 'auto, local, openai or anthropic. auto picks the first configured real provider, else local.'),
        openai: z
          .object({
            baseUrl: v(
              'OPENAI_BASE_URL',
              httpUrl().optional(),
              'Any OpenAI-compatible chat-completions server: OpenAI, Ollama (http://127.0.0.1:11434/v1), vLLM, LM Studio, LiteLLM. Setting only OPENAI_API_KEY means https://api.openai.com/v1.',
            ),
            apiKey: v('OPENAI_API_KEY', z.string().min(1).optional(), 'The key sent to that server.'),
            models: v('OPENAI_MODELS', z.string().default(''), 'Comma-separated model ids offered to clients; the default is the first unless OPENAI_DEFAULT_MODEL is set.'),
            defaultModel: v('OPENAI_DEFAULT_MODEL', z.string().min(1).optional(), 'The model used when a request names none.'),
          })
          .transform((o) => providerConfig(o.baseUrl ?? (o.apiKey ? 'https://api.openai.com/v1' : null), o.apiKey, o.models, o.defaultModel)),
        anthropic: z
          .object({
            baseUrl: v('ANTHROPIC_BASE_URL', httpUrl().default('https://api.anthropic.com'), 'The Anthropic Messages API; configured when ANTHROPIC_API_KEY is set.'),
            apiKey: v('ANTHROPIC_API_KEY', z.string().min(1).optional(), 'The Anthropic API key.'),
            models: v('ANTHROPIC_MODELS', z.string().default(''), 'Comma-separated model ids offered to clients; the default is the first unless ANTHROPIC_DEFAULT_MODEL is set.'),
            defaultModel: v('ANTHROPIC_DEFAULT_MODEL', z.string().min(1).optional(), 'The model used when a request names none.'),
            maxTokens: v('ANTHROPIC_MAX_TOKENS', z.coerce.number().int().positive().max(200_000).default(1024), 'Longest reply asked of Anthropic, in tokens.'),
          })
          .transform((a) => ({ ...providerConfig(a.apiKey ? a.baseUrl : null, a.apiKey, a.models, a.defaultModel), maxTokens: a.maxTokens })),
        timeoutMs: v('AI_TIMEOUT_MS', positive(30_000), 'Time to the first byte of an upstream reply.'),
        idleTimeoutMs: v('AI_IDLE_TIMEOUT_MS', positive(30_000), 'The longest silence inside a streamed reply, counted from its last whole event or keep-alive comment (a part of an event, however slowly it comes, does not count).'),
        maxReplyMs: v('AI_MAX_REPLY_MS', positive(600_000), 'The longest a streamed reply may take, from its request to its end, whatever arrives meanwhile (keep-alive comments included): past it the reply fails and nothing is stored.'),
        maxReplyChars: v('AI_MAX_REPLY_CHARS', positive(500_000), 'The longest reply taken from a provider, in characters (about 125,000 tokens): a longer one is cut off, fails and is not stored. Raise it with ANTHROPIC_MAX_TOKENS past 125,000.'),
        maxRetries: v('AI_MAX_RETRIES', z.coerce.number().int().min(0).max(10).default(2), 'Retries before the first token (connection errors, timeouts, 429, 5xx), with exponential backoff.'),
        retryBaseMs: v('AI_RETRY_BASE_MS', z.coerce.number().int().min(0).default(250), 'The first backoff of those retries.'),
        maxRetryAfterMs: v('AI_MAX_RETRY_AFTER_MS', z.coerce.number().int().min(0).default(10_000), 'A Retry-After longer than this is not waited for.'),
        historyMessages: v('AI_HISTORY_MESSAGES', z.coerce.number().int().min(0).max(200).default(20), 'How many earlier messages of a conversation go to the model with each turn.'),
        turnTtlSeconds: v('CHAT_TURN_TTL_SECONDS', z.coerce.number().int().min(10).max(86_400).default(600), "Resumable chat turns (startChatTurn, POST /api/core/chat/turns): seconds a turn's events are kept after its last one, for clients that reconnect."),
        turnBufferMaxTurns: v(
          'CHAT_TURN_BUFFER_MAX_TURNS',
          z.coerce.number().int().min(1).max(1_000_000).default(10_000),
          'How many turns the in-memory buffer of resumable chat turns holds at most (the oldest go first; with REDIS_URL the events are in Redis and only the TTL applies).',
        ),
      }),
    )
    .describe('AI providers.'),
  knowledge: z
    .object(
      group('Knowledge base', 'What one document may become once read, and what one user may keep. Past any of these limits the upload answers 413 document_too_large naming the limit, and nothing is stored; so does a document whose reading takes longer than 60 s (limit reading_time: a PDF slow to parse), and its job fails without retrying past 10 minutes.', {
        maxBytes: v('KNOWLEDGE_MAX_BYTES', z.coerce.number().int().positive().max(200 * 1024 * 1024).default(10 * 1024 * 1024), 'Largest document accepted (bytes), as a file upload or as JSON text.'),
        limits: z.object({
          maxChars: v('KNOWLEDGE_MAX_CHARS', positive(5_000_000), 'Characters of extracted text per document (about 2,500 pages of prose).'),
          maxChunks: v('KNOWLEDGE_MAX_CHUNKS', positive(8000), 'Passages (chunks) a document is split into.'),
          maxPages: v('KNOWLEDGE_MAX_PAGES', positive(2000), 'Pages of a PDF.'),
          maxHtmlDepth: v('KNOWLEDGE_MAX_HTML_DEPTH', z.coerce.number().int().positive().max(10_000).default(500), 'Nesting depth of HTML elements.'),
          maxPdfExpansion: v(
            'KNOWLEDGE_MAX_PDF_EXPANSION',
            z.coerce.number().positive().default(20),
            'Characters a PDF may yield per byte of file. Ordinary PDFs yield a few; a decompression bomb (pages sharing one huge compressed content stream) yields thousands, and is refused as soon as it passes this ratio (checked once the text is over 100,000 characters).',
          ),
          maxUserBytes: v('KNOWLEDGE_MAX_USER_BYTES', positive(100 * 1024 * 1024), 'Bytes of uploads one user keeps (all their documents, failed ones too: their files are kept and served until deleted), 100 MiB by default.'),
        }),
        embeddings: z
          .object({
            baseUrl: v(
              'EMBEDDINGS_BASE_URL',
              baseUrl().optional(),
              'Optional semantic lane: an OpenAI-compatible /embeddings endpoint (OpenAI, Ollama\'s /v1, vLLM...). When set, chunks also get vectors and knowledge search fuses full-text and vector rankings (reciprocal rank fusion); when unset, search is full-text only and says so (mode "lexical").',
            ),
            apiKey: v('EMBEDDINGS_API_KEY', z.string().min(1).optional(), 'The key sent to the embeddings endpoint.'),
            model: v('EMBEDDINGS_MODEL', z.string().min(1).default('text-embedding-3-small'), 'The embeddings model.'),
            backfillIntervalSeconds: v(
              'EMBEDDINGS_BACKFILL_INTERVAL_SECONDS',
              z.coerce.number().int().min(10).max(86_400).default(600),
              'With an embeddings endpoint, how often a background job gives vectors to the passages of ready documents that have none (indexed before the endpoint was set, or while it was away); one process at a time.',
            ),
          })
          .transform((e) => (e.baseUrl ? { baseUrl: e.baseUrl, apiKey: e.apiKey ?? null, model: e.model, backfillIntervalSeconds: e.backfillIntervalSeconds } : null)),
        fileSweep: z.object({
          enabled: v(
            'UPLOAD_SWEEP_ENABLED',
            bool.default(true),
            'Run the upload store\'s upkeep (below). Turn it off where the store is not this database\'s alone (an S3 bucket and prefix shared by the gateways of several databases): the job removes what this database does not refer to. A database with no document at all never removes anything.',
          ),
          intervalMs: v(
            'UPLOAD_SWEEP_INTERVAL_MS',
            z.coerce.number().int().min(60_000).max(7 * 86_400_000).default(6 * 3_600_000),
            'How often a background job walks the upload store (DATA_DIR/uploads or the bucket) and removes files no document refers to: what a crash between storing an upload and committing its document, or between deleting a document and removing its file, left behind. One process at a time.',
          ),
          minAgeMs: v(
            'UPLOAD_SWEEP_MIN_AGE_MS',
            z.coerce.number().int().min(60_000).max(30 * 86_400_000).default(3_600_000),
            'A file no document refers to is removed by that job only once neither stored nor stored again for this long (an upload in progress stores its file before its document commits).',
          ),
        }),
      }),
    )
    .describe('Knowledge base.'),
  live: z
    .object(
      group('Xentree Live', 'Live entitlements, session timing, and speech for the realtime socket.', {
        plans: v(
          'LIVE_PLANS',
          z
            .string()
            .regex(/^\s*[a-z][a-z0-9_-]*:\d+\s*(,\s*[a-z][a-z0-9_-]*:\d+\s*)*$/, 'must be plan:seconds pairs, e.g. free:1800,pro:72000')
            .default('free:1800,pro:72000')
            .transform((x): Readonly<Record<string, number>> =>
              Object.fromEntries(
                x.split(',').map((pair) => {
                  const [plan, secs] = pair.trim().split(':');
                  return [plan!, Number(secs)];
                }),
              ),
            ),
          "Monthly live entitlement in seconds per plan (a user's plan is on their profile).",
        ),
        minStartSeconds: v('LIVE_MIN_START_SECONDS', z.coerce.number().int().min(0).default(10), 'Starting needs at least this much quota left.'),
        heartbeatIntervalSeconds: v('LIVE_HEARTBEAT_INTERVAL_SECONDS', positive(15), 'Clients heartbeat this often.'),
        idleTimeoutSeconds: v('LIVE_IDLE_TIMEOUT_SECONDS', positive(45), 'A session silent this long is ended by the sweeper, metered to its last sign of life.'),
        sweepIntervalMs: v('LIVE_SWEEP_INTERVAL_MS', positive(5000), 'How often the sweeper runs.'),
        maxSessionSeconds: v('LIVE_MAX_SESSION_SECONDS', positive(3600), 'No session runs longer than this, whatever the quota.'),
        stt: z
          .object({
            baseUrl: v(
              'STT_BASE_URL',
              baseUrl().optional(),
              'Speech to text: an OpenAI-compatible endpoint, {base}/audio/transcriptions. Unset: clients send their own transcript as text (audio alone is refused with a clear error).',
            ),
            apiKey: v('STT_API_KEY', z.string().min(1).optional(), 'The key sent to the speech-to-text endpoint.'),
            model: v('STT_MODEL', z.string().min(1).default('whisper-1'), 'The speech-to-text model.'),
          })
          .transform((s) => (s.baseUrl ? { baseUrl: s.baseUrl, apiKey: s.apiKey ?? null, model: s.model } : null)),
        tts: z
          .object({
            baseUrl: v(
              'TTS_BASE_URL',
              baseUrl().optional(),
              'Text to speech: an OpenAI-compatible endpoint, {base}/audio/speech (24 kHz PCM). Unset: the embedded voice (eSpeak-NG) speaks.',
            ),
            apiKey: v('TTS_API_KEY', z.string().min(1).optional(), 'The key sent to the text-to-speech endpoint.'),
            model: v('TTS_MODEL', z.string().min(1).default('tts-1'), 'The text-to-speech model.'),
            voice: v('TTS_VOICE', z.string().min(1).default('alloy'), 'The voice asked of the text-to-speech endpoint.'),
          })
          .transform((t) => (t.baseUrl ? { baseUrl: t.baseUrl, apiKey: t.apiKey ?? null, model: t.model, voice: t.voice } : null)),
      }),
    )
    .describe('Xentree Live.'),
  xel: z
    .object(
      group('Xentree English (XEL)', 'How writing and speaking are evaluated.', {
        evaluator: v(
          'XEL_EVALUATOR',
          z.enum(['embedded', 'ai']).default('embedded'),
          'Evaluator for writing and speaking: embedded (deterministic rubric with the offline Harper grammar checker) or ai (the chat provider of XEL_AI_PROVIDER, asked for strict JSON at temperature 0; invalid output or a failure falls back to the embedded rubric and the result says so).',
        ),
        aiProvider: v('XEL_AI_PROVIDER', z.enum(['auto', 'openai', 'anthropic']).default('auto'), 'The chat provider of the ai evaluator: auto, openai or anthropic.'),
        aiTimeoutMs: v('XEL_AI_TIMEOUT_MS', positive(30_000), 'How long the ai evaluator waits before falling back to the rubric.'),
        dialect: v('XEL_DIALECT', z.enum(['american', 'british', 'australian', 'canadian']).default('british'), 'Spelling dialect of the grammar checker (the course is written in British English): american, british, australian or canadian.'),
        grammarPreload: v('XEL_GRAMMAR_PRELOAD', bool.default(true), 'The grammar checker takes several seconds to load: at start (true) or on first use (false).'),
        grammarTimeoutMs: v('XEL_GRAMMAR_TIMEOUT_MS', positive(90_000), 'How long an evaluation waits for the grammar checker (loading included) before answering service_unavailable.'),
        defaultDailyGoalXp: v('XEL_DEFAULT_DAILY_GOAL_XP', z.coerce.number().int().min(1).max(1000).default(30), "A learner's daily goal until they set their own."),
        questSettleDays: v(
          'XEL_QUEST_SETTLE_DAYS',
          z.coerce.number().int().min(1).max(366).default(366),
          "How far back a learner's next read (or submission) looks for ended days whose quests were reached after their last read (a learning session late in the evening): those days' quests are paid then. Days further back than this are not looked at (each day is one row of a learning-time statement; at most 366).",
        ),
      }),
    )
    .describe('Xentree English.'),
  learning: z
    .object(
      group('Learning sessions', 'Conversation learning sessions: the time a learner spends in a conversation, counted by the server.', {
        sessionIdleSeconds: v(
          'CONVERSATION_SESSION_IDLE_SECONDS',
          positive(300),
          'A conversation learning session without activity (an activity call, a chat message) this long is over: it ends at its last activity, and the silence is not counted.',
        ),
        sweepIntervalMs: v('CONVERSATION_SESSION_SWEEP_INTERVAL_MS', positive(60_000), 'How often the sweeper ends idle conversation learning sessions.'),
      }),
    )
    .describe('Learning sessions.'),
  integrations: z
    .object(
      group('Integrations', 'Google Calendar through OAuth 2.0 (authorization code + PKCE, offline access). Unset: the integration is listed as unavailable. GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET and GOOGLE_REDIRECT_URI: all three, or none (a partial setting stops the start).', {
        google: z.object({
          clientId: v('GOOGLE_CLIENT_ID', z.string().min(1).optional(), 'The OAuth client id from the Google Cloud console.'),
          clientSecret: v('GOOGLE_CLIENT_SECRET', z.string().min(1).optional(), 'The OAuth client secret.'),
          redirectUri: v(
            'GOOGLE_REDIRECT_URI',
            oauthUrl.optional(),
            "Exactly as registered in the Google Cloud console, pointing at this gateway's callback: https://gateway.example.com/api/integrations/google-calendar/callback",
          ),
          issuer: v('GOOGLE_ISSUER', z.string().min(1).default('https://accounts.google.com'), "The ID token's issuer. Google's endpoints are only changed to point at a local fake (plain http is accepted for loopback hosts only)."),
          authorizationUrl: v('GOOGLE_AUTHORIZATION_URL', oauthUrl.default('https://accounts.google.com/o/oauth2/v2/auth'), "Google's authorization endpoint."),
          tokenUrl: v('GOOGLE_TOKEN_URL', oauthUrl.default('https://oauth2.googleapis.com/token'), "Google's token endpoint."),
          revocationUrl: v('GOOGLE_REVOCATION_URL', oauthUrl.default('https://oauth2.googleapis.com/revoke'), "Google's revocation endpoint."),
          userinfoUrl: v('GOOGLE_USERINFO_URL', oauthUrl.default('https://openidconnect.googleapis.com/v1/userinfo'), "Google's userinfo endpoint."),
          calendarApiUrl: v('GOOGLE_CALENDAR_API_URL', oauthUrl.default('https://www.googleapis.com/calendar/v3').transform((u) => u.replace(/\/+$/, '')), 'The Google Calendar API.'),
          calendarScope: v(
            'GOOGLE_CALENDAR_SCOPE',
            z
              .string()
              .regex(/^https:\/\/www\.googleapis\.com\/auth\/calendar[a-z.]*$/, 'must be a Google Calendar scope URL')
              .default('https://www.googleapis.com/auth/calendar.events.owned'),
            'The one calendar scope asked for (besides openid and email): events on calendars the user owns.',
          ),
          timeoutMs: v('GOOGLE_TIMEOUT_MS', positive(10_000), 'Each call to Google gives up after this long.'),
        }),
        returnUrl: v(
          'INTEGRATIONS_RETURN_URL',
          httpUrl()
            .optional()
            .transform((u) => u ?? null),
          'Where the browser is sent after the callback, with ?integration=google_calendar&status=connected or &status=error&error=<code>. Unset: the callback answers JSON (the integration, or the error envelope).',
        ),
        encryptionKeys: v(
          'INTEGRATIONS_ENCRYPTION_KEYS',
          z
            .string()
            .regex(/^\s*[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/_=-]+\s*(,\s*[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/_=-]+\s*)*$/, 'must be kid:base64key pairs, e.g. k2025:BASE64,k2024:BASE64')
            .optional(),
          'AES-256-GCM keys for the stored Google tokens: kid:base64 pairs (32 bytes each, openssl rand -base64 32). The first encrypts new writes; the others still decrypt older rows (rotation: put the new key first, run npm run integrations:reencrypt, then drop the old one). They also seal the integration-token signing keys. Required in production when Google is configured (integration tokens need them too); in development, when unset, one is generated once into DATA_DIR/integrations-key.',
        ),
        stateTtlSeconds: v('INTEGRATIONS_STATE_TTL_SECONDS', z.coerce.number().int().min(60).max(3600).default(600), 'A started OAuth flow must come back within this many seconds (its state is single use).'),
        refreshMarginSeconds: v('INTEGRATIONS_REFRESH_MARGIN_SECONDS', z.coerce.number().int().min(0).max(1800).default(300), 'Access tokens that expire within this many seconds are refreshed before a calendar call.'),
        refreshScanSeconds: v(
          'INTEGRATIONS_REFRESH_SCAN_SECONDS',
          z.coerce.number().int().min(10).max(3600).default(120),
          'How often a background job looks for access tokens expiring within the margin plus this period and refreshes them ahead (one process at a time).',
        ),
      }),
    )
    .describe('Integrations.'),
  integrationTokens: z
    .object(
      group('Integration tokens', 'Short-lived RS256 tokens a user grants for a tenant (an organization), signed by the tenant\'s own key (sealed at rest with INTEGRATIONS_ENCRYPTION_KEYS) and published at /api/integration/jwks.', {
        defaultTtlSeconds: v('INTEGRATION_TOKEN_DEFAULT_TTL_SECONDS', z.coerce.number().int().min(30).max(86_400).default(900), 'A grant without ttlSeconds lives this long.'),
        maxTtlSeconds: v('INTEGRATION_TOKEN_MAX_TTL_SECONDS', z.coerce.number().int().min(30).max(86_400).default(3600), 'The longest ttlSeconds a grant may ask for; a retired key stays in the JWKS this long after it stops signing.'),
        keyRotationSeconds: v('INTEGRATION_TOKEN_KEY_ROTATION_SECONDS', z.coerce.number().int().min(60).default(30 * 86_400), "A tenant's signing key is replaced by a new one at the first grant after it is this old (the old one keeps verifying for INTEGRATION_TOKEN_MAX_TTL_SECONDS)."),
      }),
    )
    .describe('Integration tokens.'),
  ...group('Scale-out', 'With Redis, subscriptions and live events travel between gateway processes (run several behind a load balancer) and rate-limit counters are shared; without it, both stay in this process. /readyz answers 503 while Redis is configured but unreachable.', {
    redis: z
      .object({
        url: v('REDIS_URL', z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').optional(), 'redis:// or rediss:// URL. Unset: events and counters in memory, one process.'),
      })
      .transform((r) => (r.url ? { url: r.url } : null)),
    keyPrefix: v('REDIS_KEY_PREFIX', z.string().regex(/^[A-Za-z0-9:_.-]{1,64}$/, 'may contain letters, digits and : _ . -').default('xentree:'), 'Prefix of every Redis key and channel, so deployments (or test runs) can share one Redis.'),
  }),
  rateLimits: z
    .object(
      group('Rate limits', '429 rate_limited with Retry-After and RateLimit-* headers, on both doors.', {
        enabled: v('RATE_LIMITS_ENABLED', bool.default(true), 'Rate limits on or off.'),
        rules: v(
          'RATE_LIMITS',
          z
            .string()
            .regex(/^\s*([a-z_]+=\d+\/\d+\s*(,\s*[a-z_]+=\d+\/\d+\s*)*)?$/, 'must be name=points/seconds pairs, e.g. login_ip=20/60,chat=30/60')
            .default('')
            .transform((spec, ctx) => {
              const r = parseRateLimits(spec);
              if (typeof r === 'string') {
                ctx.addIssue({ code: 'custom', message: r });
                return z.NEVER;
              }
              return r;
            }),
          'Overrides of the defaults, name=points/seconds: login_ip=30/60 (attempts per address), login_account=10/900 (failed sign-ins per account from anywhere before growing delays start for addresses the account never signed in from), login_account_ip=5/900 (failed sign-ins per account from one address, reset by a success there), reauth_session=5/900 (wrong current passwords per login session), register_ip=10/3600, register_account=5/3600 (per email and per username asked for), chat=30/60 (per user: chat turns, grounded answers and live turns, each a turn of a provider) and evaluation=20/60 (per user), api_key=600/60 (per API key).',
          { defaultText: 'the defaults in the meaning' },
        ),
        loginMaxDelaySeconds: v(
          'LOGIN_MAX_DELAY_SECONDS',
          z.coerce.number().int().positive().max(86_400).default(300),
          'Past login_account, each further failure doubles the wait (1 s, 2 s, 4 s...) imposed on addresses the account never signed in from, up to this many seconds. Never a lock.',
        ),
        loginKnownAddressDays: v('LOGIN_KNOWN_ADDRESS_DAYS', z.coerce.number().int().min(0).max(3650).default(90), 'Addresses the account signed in from within this many days are known and not held back (0: none is).'),
      }),
    )
    .describe('Rate limits.'),
  jobs: z
    .object(
      group('Background jobs', 'The durable job queue (src/jobs/, a table in the database): document ingestion runs there, retried with backoff, taken over from a killed process after its lease.', {
        concurrency: v('JOBS_CONCURRENCY', z.coerce.number().int().min(0).max(64).default(2), 'Jobs this process runs at once (0: it only enqueues; another process runs them).'),
        pollIntervalMs: v('JOBS_POLL_INTERVAL_MS', z.coerce.number().int().min(10).max(60_000).default(1000), 'How often an idle process looks for due jobs (a job enqueued here starts at once).'),
        leaseMs: v('JOBS_LEASE_MS', z.coerce.number().int().min(1000).max(3_600_000).default(60_000), 'How long a claimed job is held without a heartbeat before another process takes it over.'),
        maxAttempts: v('JOBS_MAX_ATTEMPTS', z.coerce.number().int().min(1).max(100).default(5), 'Attempts before a job is dead (its last error kept; a document then fails with it).'),
        retryBaseMs: v('JOBS_RETRY_BASE_MS', z.coerce.number().int().min(0).default(2000), 'Retry n waits min(JOBS_RETRY_MAX_MS, this × 2^(n−1)).'),
        retryMaxMs: v('JOBS_RETRY_MAX_MS', z.coerce.number().int().min(0).default(10 * 60_000), 'The longest wait between two attempts.'),
        workerThreads: v(
          'WORKER_THREADS',
          z.coerce
            .number()
            .int()
            .positive()
            .max(64)
            .optional()
            .transform((n) => n ?? Math.max(1, Math.min(4, availableParallelism() - 1))),
          'Worker threads for CPU-heavy steps (PDF and HTML extraction, chunking). One more thread writes ingested documents\' passages to the database (those read at upload), so these only read.',
          { defaultText: 'cores − 1, between 1 and 4' },
        ),
        workerHeapMb: v(
          'WORKER_HEAP_MB',
          z.coerce.number().int().min(16).max(8192).default(512),
          'Heap of each worker thread (MB; its old generation). The threads live in the gateway\'s process, so this bounds what reading one document can add to its memory; a document whose reading needs more is refused (413 document_too_large, limit memory) and the thread is replaced.',
        ),
        workerNice: v(
          'WORKER_NICE',
          z.coerce.number().int().min(0).max(19).default(10),
          'How much the worker threads that read and ingest documents lower their scheduling priority (a nice increment, 0–19, applied by each thread as it starts; on Linux): above 0, a core shared by ingestion and requests runs the requests first, so a large upload barely moves other requests\' latency; ingestion then also yields to other busy processes of the machine. 0: the process\'s own priority.',
        ),
      }),
    )
    .describe('Background jobs.'),
  s3: z
    .object(
      group('Object storage', 'Uploads kept in an S3-compatible bucket (AWS S3, MinIO, Ceph, R2...) instead of DATA_DIR/uploads, so every gateway process reads the same originals. Unset S3_BUCKET: DATA_DIR.', {
        bucket: v('S3_BUCKET', z.string().min(3).max(63).optional(), 'The bucket for uploads (it must exist). Set: uploads go to S3; unset: under DATA_DIR/uploads.'),
        endpoint: v('S3_ENDPOINT', httpUrl().optional(), 'An S3-compatible endpoint (MinIO: http://minio:9000). Unset: AWS S3 of S3_REGION.'),
        region: v('S3_REGION', z.string().min(1).default('us-east-1'), 'The region signed for (most S3-compatible servers accept us-east-1).'),
        accessKeyId: v('S3_ACCESS_KEY_ID', z.string().min(1).optional(), 'Access key. Unset: the AWS SDK\'s default credentials (environment, profile, instance role).'),
        secretAccessKey: v('S3_SECRET_ACCESS_KEY', z.string().min(1).optional(), 'Secret key, with S3_ACCESS_KEY_ID.'),
        forcePathStyle: v('S3_FORCE_PATH_STYLE', bool.default(false), 'Address the bucket in the path (http://host/bucket/key) rather than the host name: MinIO and most self-hosted servers need it.'),
        prefix: v('S3_PREFIX', z.string().max(200).regex(/^([A-Za-z0-9._-]+\/)*$/, 'must be empty or end with /, e.g. xentree/').default(''), 'Prefix of every object key, e.g. xentree/ (ends with /).'),
      }),
    )
    .describe('Object storage.'),
  metrics: z
    .object(
      group('Metrics', 'Prometheus metrics at /metrics. Set METRICS_TOKEN, or keep /metrics off the public load balancer.', {
        enabled: v('METRICS_ENABLED', bool.default(true), 'Serve /metrics.'),
        token: v(
          'METRICS_TOKEN',
          z
            .string()
            .min(16, 'must be at least 16 characters')
            .optional()
            .transform((t) => t ?? null),
          'When set, /metrics requires Authorization: Bearer <token>.',
        ),
        maxOperationNames: v(
          'METRICS_MAX_OPERATION_NAMES',
          z.coerce.number().int().min(0).max(10_000).default(100),
          'GraphQL operations are labelled by operation name (anonymous ones by their root fields); past this many distinct names a process labels further names "other", so clients cannot grow the series.',
        ),
      }),
    )
    .describe('Metrics.'),
  tracing: z
    .object(
      group(
        'Tracing',
        'OpenTelemetry traces (W3C Trace Context), exported over OTLP/HTTP (JSON). Off unless OTEL_EXPORTER_OTLP_ENDPOINT is set: then no OpenTelemetry SDK is loaded and nothing is traced. The variables are the standard OpenTelemetry ones (README "Tracing").',
        {
          endpoint: v(
            'OTEL_EXPORTER_OTLP_ENDPOINT',
            baseUrl().optional(),
            'The OTLP/HTTP collector\'s base URL (e.g. http://127.0.0.1:4318): spans are sent to <endpoint>/v1/traces. Set: every request is traced; unset: tracing is off.',
            { defaultText: 'unset (tracing off)' },
          ),
          serviceName: v('OTEL_SERVICE_NAME', z.string().min(1).default('xentree-gateway'), 'The service.name the spans are reported under.'),
          sampler: v(
            'OTEL_TRACES_SAMPLER',
            z.enum(['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio']).default('parentbased_always_on'),
            'Which traces are recorded: always_on, always_off, traceidratio (OTEL_TRACES_SAMPLER_ARG of them), or the parentbased_ variants, which follow the caller\'s sampled flag (traceparent) and apply the rule to traces that start here.',
          ),
          samplerArg: v('OTEL_TRACES_SAMPLER_ARG', z.coerce.number().min(0).max(1).default(1), 'The ratio of traces recorded by traceidratio and parentbased_traceidratio, from 0 to 1 (0.1: one trace in ten).'),
        },
      ),
    )
    .describe('Tracing.'),
});

/** The environment variable at each path of the configuration tree ("db.url" -> DATABASE_URL). */
const ENV_AT = new Map<string, string>();
forEachVariable(configSchema, (path, _s, meta) => ENV_AT.set(path.join('.'), meta.env));

/** Every variable the gateway reads, in declaration order. */
export const ENV_NAMES: readonly string[] = [...ENV_AT.values()];

/** The schema's input: each variable's value put at its place in the tree. */
function inputOf(source: NodeJS.ProcessEnv): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  const place = (root: z.ZodType, at: Record<string, unknown>): void => {
    const obj = objectOf(root)!;
    for (const [key, child] of Object.entries(obj.shape) as [string, z.ZodType][]) {
      const meta = envRegistry.get(child);
      if (meta) at[key] = source[meta.env];
      else place(child, (at[key] = {}));
    }
  };
  place(configSchema, input);
  return input;
}

type DeepReadonly<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends readonly (infer U)[]
    ? readonly DeepReadonly<U>[]
    : T extends object
      ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
      : T;

/** The configuration as the schema parses it, before the rules that join sections. */
type Parsed = z.output<typeof configSchema>;

/** The rules that need more than one variable: defaults that depend on NODE_ENV or DATA_DIR, generated secrets. */
function resolveConfig(e: Parsed) {
  const production = e.env === 'production';
  let jwtSecret = e.auth.jwtSecret;
  if (!jwtSecret) {
    if (production) throw new ConfigError('Invalid environment:\n  JWT_SECRET: required when NODE_ENV=production');
    jwtSecret = persistentSecret(join(e.dataDir, 'signing-key'));
  }
  return {
    ...e,
    db: { ...e.db, ...parseDatabaseUrl(e.db.url, e.dataDir) },
    auth: { ...e.auth, jwtSecret },
    graphql: { ...e.graphql, ide: e.graphql.ide ?? !production, introspection: e.graphql.introspection ?? !production },
    limits: { ...e.limits, headersTimeoutMs: Math.min(e.limits.headersTimeoutMs, e.requestTimeoutMs) },
    integrations: integrationsConfig(e.integrations, production, e.dataDir),
    /** Where uploads are kept, content-addressed: an S3-compatible bucket when S3_BUCKET is set, else DATA_DIR/uploads. */
    storage: { dir: join(e.dataDir, 'uploads'), s3: s3Config(e.s3) },
    /** On when an OTLP endpoint is set (src/tracing.ts). */
    tracing: { ...e.tracing, endpoint: e.tracing.endpoint ?? null, enabled: e.tracing.endpoint !== undefined },
  };
}

/** The gateway's configuration, frozen. Modules take their section (`Config['live']`, `Config['xel']`...). */
export type Config = DeepReadonly<ReturnType<typeof resolveConfig>>;
/** One AI provider's operator settings. */
export type ProviderConfig = Config['ai']['openai'];
export type IntegrationsConfig = Config['integrations'];
/** Google's OAuth client and endpoints. Every endpoint is configurable, so tests run against a local fake. */
export type GoogleConfig = NonNullable<IntegrationsConfig['google']>;

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
  const parsed = configSchema.safeParse(inputOf(source));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${ENV_AT.get(i.path.join('.')) ?? i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid environment:\n${lines.join('\n')}`);
  }
  return deepFreeze(resolveConfig(parsed.data));
}

const GOOGLE_REQUIRED = [
  ['clientId', 'GOOGLE_CLIENT_ID'],
  ['clientSecret', 'GOOGLE_CLIENT_SECRET'],
  ['redirectUri', 'GOOGLE_REDIRECT_URI'],
] as const;

/**
 * Google is configured when its client id, secret and redirect URI are all set; a partial
 * setting is an error. Token encryption keys come from INTEGRATIONS_ENCRYPTION_KEYS; in
 * development, when unset, one key is generated once into DATA_DIR/integrations-key (integration
 * tokens seal their signing keys with it, Google or not).
 */
function integrationsConfig(e: Parsed['integrations'], production: boolean, dataDir: string) {
  const missing = GOOGLE_REQUIRED.filter(([k]) => !e.google[k]).map(([, name]) => name);
  if (missing.length && missing.length < GOOGLE_REQUIRED.length) {
    const given = GOOGLE_REQUIRED.map(([, name]) => name).filter((r) => !missing.includes(r));
    throw new ConfigError(`Invalid environment:\n${missing.map((k) => `  ${k}: required when ${given.join(' and ')} is set`).join('\n')}`);
  }
  const google = missing.length ? null : { ...e.google, clientId: e.google.clientId!, clientSecret: e.google.clientSecret!, redirectUri: e.google.redirectUri! };
  let encryptionKeys: { id: string; key: string }[] = [];
  if (e.encryptionKeys) {
    encryptionKeys = parseEncryptionKeys(e.encryptionKeys);
  } else if (google || !production) {
    if (production) throw new ConfigError('Invalid environment:\n  INTEGRATIONS_ENCRYPTION_KEYS: required when NODE_ENV=production and Google is configured');
    encryptionKeys = parseEncryptionKeys(persistentSecret(join(dataDir, 'integrations-key'), () => `local:${randomBytes(32).toString('base64')}`), 'DATA_DIR/integrations-key');
  }
  return {
    /** null: not configured; `googleMissing` names what to set. */
    google,
    googleMissing: missing as readonly string[],
    /** Where the browser lands after the OAuth callback; null: the callback answers JSON. */
    returnUrl: e.returnUrl,
    /** Token encryption keys, base64 of 32 bytes each; the first encrypts new writes. Empty only in production when none are set (then Google is off too, and integration tokens answer service_unavailable). */
    encryptionKeys,
    stateTtlSeconds: e.stateTtlSeconds,
    /** Access tokens are refreshed when they expire within this many seconds. */
    refreshMarginSeconds: e.refreshMarginSeconds,
    /** The background refresh's period (src/jobs/): tokens expiring within margin + this are refreshed ahead. */
    refreshScanSeconds: e.refreshScanSeconds,
  };
}

/** The bucket's settings when S3_BUCKET is set; keys both or neither. */
function s3Config(e: Parsed['s3']) {
  if (!e.bucket) return null;
  if (!e.accessKeyId !== !e.secretAccessKey) throw new ConfigError('Invalid environment:\n  S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY: set both, or neither (the AWS SDK\'s default credentials)');
  return {
    bucket: e.bucket,
    endpoint: e.endpoint ?? null,
    region: e.region,
    credentials: e.accessKeyId && e.secretAccessKey ? { accessKeyId: e.accessKeyId, secretAccessKey: e.secretAccessKey } : null,
    forcePathStyle: e.forcePathStyle,
    prefix: e.prefix,
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
function providerConfig(baseUrl: string | null, apiKey: string | undefined, models: string, defaultModel: string | undefined) {
  const ids = list(models);
  const def = defaultModel ?? ids[0] ?? null;
  return {
    baseUrl: baseUrl ? baseUrl.replace(/\/+$/, '') : null,
    apiKey: apiKey ?? null,
    models: def && !ids.includes(def) ? [def, ...ids] : ids,
    defaultModel: def,
  };
}

/** `login_ip=20/60,chat=30/60` over the defaults; an unknown name stops the start (the message is returned). */
function parseRateLimits(spec: string): Record<RateLimitName, RateLimitRule> | string {
  const rules: Record<RateLimitName, RateLimitRule> = { ...DEFAULT_RATE_LIMITS };
  for (const pair of list(spec)) {
    const [name, value] = pair.split('=') as [string, string];
    const [points, secs] = value.split('/').map(Number) as [number, number];
    if (!(RATE_LIMIT_NAMES as readonly string[]).includes(name)) return `unknown limit "${name}"; known: ${RATE_LIMIT_NAMES.join(', ')}`;
    if (points < 1 || secs < 1) return `${name} needs at least 1 point per at least 1 second`;
    rules[name as RateLimitName] = { points, seconds: secs };
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
