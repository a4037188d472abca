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
 * A request URL as the logs may show it: credentials in the query string (the live
 * socket's ?token=, an OAuth callback's code and state) are withheld, and GraphQL's GET query string (a document and its
 * variables, which can hold anything a mutation takes) is withheld whole.
 */
export function safeUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const path = url.slice(0, q);
  if (path === '/graphql' || path.startsWith('/graphql/')) return `${path}?[redacted]`;
  return path + url.slice(q).replace(/([?&](?:token|access_token|refresh_token|api_key|key|password|code|state)=)[^&]*/gi, '$1[redacted]');
}
