import { StringDecoder } from 'node:string_decoder';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { request, type Dispatcher } from 'undici';
import { scrubSecrets } from '../../../common/log-safety.js';
import { UpstreamError, type CompletionEvent } from '../ai.types.js';

export interface StreamPolicy {
  timeoutMs: number;
  idleTimeoutMs: number;
  /** The whole reply's time, whatever arrives meanwhile. */
  maxReplyMs: number;
  /** The whole reply's text, in characters. */
  maxReplyChars: number;
  maxRetries: number;
  retryBaseMs: number;
  maxRetryAfterMs: number;
}

/** Retry-After as seconds or an HTTP date, in milliseconds. */
export function parseRetryAfter(value: string | null): number | null {
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}

/** What errorFromResponse reads of an answer. */
interface ErrorAnswer {
  status: number;
  header(name: string): string | null;
  text(): Promise<string>;
}

/**
 * Maps an HTTP error status to an UpstreamError with the provider's own message when it gave
 * one. Providers quote the key they were sent ("Incorrect API key provided: sk-..."), and
 * this message reaches the caller and the logs: the credentials of the call are cut out of
 * it, and anything shaped like a key or token.
 */
export async function errorFromResponse(provider: string, res: ErrorAnswer, credentials: readonly string[] = []): Promise<UpstreamError> {
  let detail = '';
  try {
    const body = (await res.text()).slice(0, 2000);
    const parsed = JSON.parse(body) as { error?: { message?: string } | string; message?: string };
    detail = typeof parsed.error === 'string' ? parsed.error : (parsed.error?.message ?? parsed.message ?? '');
  } catch {
    /* no JSON body */
  }
  for (const c of credentials) if (c.length >= 8) detail = detail.split(c).join('[redacted]');
  detail = scrubSecrets(detail);
  const suffix = detail ? `: ${detail.slice(0, 300)}` : '';
  if (res.status === 429) {
    return new UpstreamError(`${provider} is rate limiting requests (429)${suffix}`, true, parseRetryAfter(res.header('retry-after')), 429);
  }
  if (res.status >= 500) return new UpstreamError(`${provider} failed with ${res.status}${suffix}`, true, null, res.status);
  if (res.status === 401 || res.status === 403) {
    return new UpstreamError(`${provider} refused the configured credentials (${res.status})${suffix}`, false, null, res.status);
  }
  return new UpstreamError(`${provider} rejected the request (${res.status})${suffix}`, false, null, res.status);
}

/** The secret parts of request headers: the values of Authorization (without its scheme) and of key headers. */
const credentialsIn = (headers: Record<string, string>): string[] =>
  Object.entries(headers)
    .filter(([k]) => /authorization|api-key|x-goog-api-key/i.test(k))
    .flatMap(([, v]) => [v, v.replace(/^\S+\s+/, '')]);

/** What is read of a body after its reader had what it needed, to keep its connection. */
const DRAIN_BYTES = 16 * 1024;
const DRAIN_MS = 1000;

/** An error body is read up to this many bytes (the message is cut to 2,000 characters anyway). */
const ERROR_BODY_LIMIT = 64 * 1024;

/**
 * POSTs JSON and yields the server-sent events of the answer. Enforces the time to the
 * first byte, the longest silence between whole events (or keep-alive comments: OpenRouter and
 * others send them while a model thinks) and the whole answer's time; aborting `signal` stops
 * everything.
 *
 * Through undici's `request` (the client behind Node's `fetch`, on the same global
 * dispatcher and its connection pools, traced the same way): its body is a Node stream
 * rather than a web stream, which at a chunk a token was a good part of what a streamed turn
 * cost the gateway.
 */
export async function* postForEvents(
  provider: string,
  url: string,
  headers: Record<string, string>,
  body: unknown,
  policy: StreamPolicy,
  signal: AbortSignal,
  /** The protocol's last event (OpenAI's `[DONE]`): a reader that stops after it leaves nothing unread but the body's end. */
  isLast: (e: EventSourceMessage) => boolean,
): AsyncGenerator<EventSourceMessage> {
  const attempt = new AbortController();
  const onAbort = () => attempt.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  let timedOut: string | null = null;
  const expire = (what: string) => () => {
    timedOut = what;
    attempt.abort(new Error(what));
  };
  // The time to the answer, then the silence allowed before each event; and the whole answer's time.
  let timer = setTimeout(expire(`${provider} did not answer within ${policy.timeoutMs} ms`), policy.timeoutMs);
  const whole = setTimeout(expire(`${provider} took longer than ${policy.maxReplyMs} ms to reply`), policy.maxReplyMs);
  try {
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
        body: JSON.stringify(body),
        signal: attempt.signal,
      });
    } catch (e) {
      if (signal.aborted) throw e;
      throw new UpstreamError(timedOut ?? `${provider} could not be reached: ${(e as Error).message}`, true);
    }
    const answer = res.body;
    if (res.statusCode < 200 || res.statusCode > 299) {
      throw await errorFromResponse(
        provider,
        {
          status: res.statusCode,
          header: (name) => {
            const v = res.headers[name];
            return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
          },
          text: () => readCapped(answer, ERROR_BODY_LIMIT),
        },
        credentialsIn(headers),
      );
    }

    const queue: EventSourceMessage[] = [];
    let commented = false;
    const parser = createParser({ onEvent: (e) => queue.push(e), onComment: () => void (commented = true) });
    // (A character split between two chunks is held until its end arrives. The body ignores setEncoding.)
    const decoder = new StringDecoder('utf8');
    clearTimeout(timer);
    timer = setTimeout(expire(`${provider} went silent for ${policy.idleTimeoutMs} ms mid-answer`), policy.idleTimeoutMs);
    let ended = false;
    let complete = false;
    let bytes = 0;
    try {
      const chunks = answer[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
      for (;;) {
        let chunk: IteratorResult<Buffer>;
        try {
          chunk = await chunks.next();
        } catch (e) {
          if (signal.aborted) throw e;
          throw new UpstreamError(timedOut ?? `${provider} dropped the connection mid-answer: ${(e as Error).message}`, true);
        }
        if (chunk.done) {
          ended = true;
          break;
        }
        bytes += chunk.value.length;
        parser.feed(decoder.write(chunk.value));
        // The silence is counted from the last whole event or comment: an event dripped a byte
        // at a time does not keep a reply that never comes waiting (and comments that never end
        // are ended by the whole answer's limit).
        const moved = queue.length > 0 || commented;
        commented = false;
        while (queue.length) {
          const e = queue.shift()!;
          complete ||= isLast(e);
          yield e;
        }
        if (moved) timer.refresh();
      }
      parser.feed(decoder.end());
      while (queue.length) yield queue.shift()!;
    } finally {
      // Left before its end: on a cancel, a timeout or a failure the request is aborted (its
      // connection closed, the provider stops generating). When the reader stopped after the
      // protocol's last event, the little that is left is read first, so that the connection
      // goes back to the pool for the next call instead of being opened anew (at most
      // DRAIN_BYTES more, for DRAIN_MS, else aborted too).
      if (!ended) {
        if (!complete || signal.aborted || timedOut !== null) answer.destroy();
        else await answer.dump({ limit: bytes + DRAIN_BYTES, signal: AbortSignal.timeout(DRAIN_MS) }).catch(() => undefined);
      }
    }
  } finally {
    clearTimeout(timer);
    clearTimeout(whole);
    signal.removeEventListener('abort', onAbort);
  }
}

/** A body as text, at most `max` bytes of it. */
async function readCapped(body: Dispatcher.ResponseData['body'], max: number): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  try {
    for await (const part of body as AsyncIterable<Buffer>) {
      parts.push(part);
      size += part.length;
      if (size >= max) break;
    }
  } finally {
    body.destroy();
  }
  return Buffer.concat(parts).toString('utf8');
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    // An abort's reason is the Error its caller gave (or the DOMException Node makes), passed on as it is.
    if (signal.aborted) return reject(signal.reason as Error);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });

/**
 * Runs `attempt` and retries it, with exponential backoff and Retry-After, while the
 * failure is retryable and nothing was yielded yet. After the first event a failure ends
 * the stream: resending would repeat text the caller already has.
 */
export async function* withRetries(
  policy: StreamPolicy,
  signal: AbortSignal,
  attempt: () => AsyncGenerator<CompletionEvent>,
): AsyncGenerator<CompletionEvent> {
  for (let n = 0; ; n++) {
    let yielded = false;
    try {
      for await (const e of attempt()) {
        yielded = true;
        yield e;
      }
      return;
    } catch (e) {
      if (signal.aborted) throw e;
      const err = e instanceof UpstreamError ? e : new UpstreamError(`Upstream failed: ${(e as Error).message}`, false);
      if (yielded || !err.retryable || n >= policy.maxRetries) throw err;
      if (err.retryAfterMs !== null && err.retryAfterMs > policy.maxRetryAfterMs) throw err;
      const backoff = policy.retryBaseMs * 2 ** n * (0.75 + Math.random() * 0.5);
      await sleep(Math.max(err.retryAfterMs ?? 0, backoff), signal);
    }
  }
}
