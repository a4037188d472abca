import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { scrubSecrets } from '../../../common/log-safety.js';
import { UpstreamError, type CompletionEvent } from '../ai.types.js';

export interface StreamPolicy {
  timeoutMs: number;
  idleTimeoutMs: number;
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

/**
 * Maps an HTTP error status to an UpstreamError with the provider's own message when it gave
 * one. Providers quote the key they were sent ("Incorrect API key provided: sk-..."), and
 * this message reaches the caller and the logs: the credentials of the call are cut out of
 * it, and anything shaped like a key or token.
 */
export async function errorFromResponse(provider: string, res: Response, credentials: readonly string[] = []): Promise<UpstreamError> {
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
    return new UpstreamError(`${provider} is rate limiting requests (429)${suffix}`, true, parseRetryAfter(res.headers.get('retry-after')), 429);
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

/**
 * POSTs JSON and yields the server-sent events of the answer. Enforces the time to the
 * first byte and the longest silence between chunks; aborting `signal` stops everything.
 */
export async function* postForEvents(
  provider: string,
  url: string,
  headers: Record<string, string>,
  body: unknown,
  policy: StreamPolicy,
  signal: AbortSignal,
): AsyncGenerator<EventSourceMessage> {
  const attempt = new AbortController();
  const onAbort = () => attempt.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  let timer: NodeJS.Timeout | null = null;
  let timedOut: string | null = null;
  const arm = (ms: number, what: string) => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = what;
      attempt.abort(new Error(what));
    }, ms);
  };
  try {
    arm(policy.timeoutMs, `${provider} did not answer within ${policy.timeoutMs} ms`);
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
        body: JSON.stringify(body),
        signal: attempt.signal,
      });
    } catch (e) {
      if (signal.aborted) throw e;
      throw new UpstreamError(timedOut ?? `${provider} could not be reached: ${(e as Error).message}`, true);
    }
    if (!res.ok) throw await errorFromResponse(provider, res, credentialsIn(headers));
    if (!res.body) throw new UpstreamError(`${provider} sent no body`, true);

    const queue: EventSourceMessage[] = [];
    const parser = createParser({ onEvent: (e) => queue.push(e) });
    const decoder = new TextDecoder();
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    try {
      for (;;) {
        arm(policy.idleTimeoutMs, `${provider} went silent for ${policy.idleTimeoutMs} ms mid-answer`);
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          chunk = await reader.read();
        } catch (e) {
          if (signal.aborted) throw e;
          throw new UpstreamError(timedOut ?? `${provider} dropped the connection mid-answer: ${(e as Error).message}`, true);
        }
        if (chunk.done) break;
        parser.feed(decoder.decode(chunk.value, { stream: true }));
        while (queue.length) yield queue.shift()!;
      }
      parser.feed(decoder.decode());
      while (queue.length) yield queue.shift()!;
    } finally {
      reader.cancel().catch(() => undefined);
    }
  } finally {
    if (timer) clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  }
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
