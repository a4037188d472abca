import { stdSerializers } from 'pino';

/**
 * What must never reach a log line, whatever wrote it: the shapes of the secrets this
 * gateway handles. A log line is read by more people, and kept longer, than a response.
 */
const SECRET_SHAPES: [RegExp, string][] = [
  // Password hashes (argon2id as stored, or any PHC string).
  [/\$argon2(?:id|i|d)\$[^\s'",)]+/g, '[password hash]'],
  // API keys: xntr- and 86 URL-safe base64 characters.
  [/xntr-[A-Za-z0-9_-]{20,}/g, '[api key]'],
  // AI providers' keys (OpenAI sk-..., Anthropic sk-ant-...), as their error messages quote them.
  [/\bsk-[A-Za-z0-9_-]{12,}/g, '[provider key]'],
  // JWTs (access tokens), and bearer credentials of any shape.
  [/eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, '[token]'],
  [/(bearer\s+)[^\s'",]+/gi, '$1[token]'],
];

/** Replaces every secret-shaped substring of `text`. */
export function scrubSecrets(text: string): string {
  let out = text;
  for (const [shape, replacement] of SECRET_SHAPES) out = out.replace(shape, replacement);
  return out;
}

/**
 * Database errors quote the statement with its values inlined ("insert into users ... values
 * (..., '$argon2id$...') - UNIQUE constraint failed"): the values may be password hashes, token
 * hashes or someone's text. The log keeps the statement's kind and the driver's reason.
 */
export function withoutSqlValues(message: string): string {
  const m = /^\s*(insert|update|delete|select|with|create|alter|drop|pragma)\b[\s\S]*? - ([\s\S]*)$/i.exec(message);
  if (!m) return message;
  return `${m[1]!.toLowerCase()} statement (values withheld) - ${m[2]}`;
}

/** Keys of driver errors that carry statements or their parameters. */
const STATEMENT_KEYS = new Set(['sql', 'query', 'params', 'parameters', 'bindings', 'values']);

export interface SerializedError {
  type: string;
  message: string;
  stack: string;
  [key: string]: unknown;
}

/** pino's error serializer, without statement values or secret-shaped strings. */
export function safeErrorSerializer(err: Error): SerializedError {
  const out = stdSerializers.err(err) as unknown as SerializedError;
  for (const key of Object.keys(out)) {
    if (STATEMENT_KEYS.has(key)) delete out[key];
  }
  if (typeof out.message === 'string') {
    const original = out.message;
    out.message = scrubSecrets(withoutSqlValues(original));
    // The stack opens with the message (however many lines the statement took).
    if (typeof out.stack === 'string') out.stack = scrubSecrets(out.stack.split(original).join(out.message));
  } else if (typeof out.stack === 'string') out.stack = scrubSecrets(out.stack);
  return out;
}

/**
 * The one list of what is a credential by its name, for every logger and every level: a
 * JSON key (header, body field, option, binding) whose name, lower-cased without `-` and `_`,
 * ends with one of these holds a secret, and so does a URL query parameter of these names.
 * `authorization`, `x-api-key`, `cookie` / `set-cookie` (headers), `password`,
 * `current_password`, `new_password`, `refresh_token`, `access_token`, `realtime_token`,
 * `integrationToken`, `client_secret`, `code_verifier`, stored `password_hash` / `token_hash` /
 * `key_hash`, `jwt_secret`...
 */
export const SECRET_NAME_ENDINGS = ['authorization', 'cookie', 'apikey', 'password', 'passwordhash', 'secret', 'token', 'tokenhash', 'keyhash', 'verifier', 'credentials'] as const;

/**
 * Query parameters that carry a credential: the live socket's `?token=`, an OAuth callback's
 * `code` and `state`, and whatever ends like a secret's name.
 */
const SECRET_QUERY_PARAMS = /([?&](?:[A-Za-z0-9_-]*(?:token|secret|password|api_key|apikey|verifier)|key|code|state|sig|signature)=)[^&#"\\\s]*/gi;

const normalizedName = (key: string): string => key.toLowerCase().replace(/[-_]/g, '');

/** Whether a key names a credential (see SECRET_NAME_ENDINGS). */
export const isSecretName = (key: string): boolean => {
  const k = normalizedName(key);
  return SECRET_NAME_ENDINGS.some((end) => k.endsWith(end));
};

/** A JSON key that may name a credential: the cheap test before a log line is parsed. */
const MAYBE_SECRET_KEY = /"[^"\\]*(?:authori[sz]ation|cookie|api[-_]?key|password|secret|token|hash|verifier|credentials)"\s*:/i;

/** Replaces the value of every credential-named key in `value`, at any depth (strings, arrays and objects alike). */
function redactNamed(value: unknown, depth = 0): unknown {
  if (depth > 64 || !value || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redactNamed(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = isSecretName(k) && v !== null && typeof v !== 'number' && typeof v !== 'boolean' ? '[redacted]' : redactNamed(v, depth + 1);
  }
  return out;
}

/**
 * Every log line, whichever logger wrote it (Fastify's, a plugin's child, a request's, the
 * ORM's, Apollo's, graphql-ws's) and at whatever level, passes here just before it is written
 * (pino's streamWrite hook): the values of credential-named keys are withheld at any depth
 * (a plugin that logs the request's headers, a busboy option object...), credentials in URL
 * query strings too, and secret-shaped strings anywhere (bearer values, JWTs, API keys,
 * provider keys, password hashes) are scrubbed.
 */
export function redactLogLine(line: string): string {
  let out = line;
  if (MAYBE_SECRET_KEY.test(out)) {
    try {
      const trailing = out.endsWith('\n') ? '\n' : '';
      out = JSON.stringify(redactNamed(JSON.parse(out))) + trailing;
    } catch {
      // Not JSON (a pretty printer's line): fall back to the plain "key": "value" pairs.
      out = out.replace(/"([^"\\]{1,64})"(\s*:\s*)"(?:[^"\\]|\\.)*"/g, (m, key: string, colon: string) => (isSecretName(key) ? `"${key}"${colon}"[redacted]"` : m));
    }
  }
  return scrubSecrets(out.replace(SECRET_QUERY_PARAMS, '$1[redacted]'));
}

/**
 * A request URL as the logs may show it: credentials in the query string (the live
 * socket's ?token=, an OAuth callback's code and state) are withheld, and GraphQL's GET query string (a document and its
 * variables, which can hold anything a mutation takes) is withheld whole.
 */
export function safeUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const path = url.slice(0, q);
  if (path === '/graphql' || path.startsWith('/graphql/')) return `${path}?[redacted]`;
  return path + url.slice(q).replace(SECRET_QUERY_PARAMS, '$1[redacted]');
}
