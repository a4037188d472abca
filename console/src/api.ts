import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
import { createClient, type Client } from 'graphql-ws';

/** What the gateway answered instead of data: its error code (extensions.code), message and details. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** A typed document from codegen (documentMode: string): the text and its result and variable types. */
export type Doc<R, V> = DocumentTypeDecoration<R, V> & { toString(): string };

interface FormattedError {
  message: string;
  extensions?: { code?: string; [key: string]: unknown };
}

const toApiError = (e: FormattedError): ApiError => {
  const { code, ...details } = e.extensions ?? {};
  return new ApiError(typeof code === 'string' ? code : 'internal_error', e.message, details);
};

/** Codes that mean the access token is no longer good: one refresh, then the request again. */
const AUTH_CODES = new Set(['not_authenticated', 'invalid_token']);

/** The credentials the transport uses; the auth module keeps them (in memory only). */
export interface TokenSource {
  token(): string | null;
  /** Spends the refresh token for a new pair; false when the login session is over. */
  refresh(): Promise<boolean>;
}

let tokens: TokenSource = { token: () => null, refresh: async () => false };
export function useTokens(source: TokenSource): void {
  tokens = source;
}

async function post<R>(query: string, variables: unknown, token: string | null): Promise<R> {
  let res: Response;
  try {
    res = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables: variables ?? {} }),
    });
  } catch {
    throw new ApiError('network_error', 'The gateway cannot be reached. Check your connection and try again.');
  }
  let body: { data?: R | null; errors?: FormattedError[]; detail?: { error?: string; message?: string } };
  try {
    body = (await res.json()) as typeof body;
  } catch {
    throw new ApiError('bad_response', `The gateway answered ${res.status} without a readable body.`);
  }
  // Before GraphQL runs (a body too large, say) the gateway answers its REST envelope.
  if (body.detail) throw new ApiError(body.detail.error ?? 'bad_request', body.detail.message ?? `HTTP ${res.status}`);
  if (body.errors?.length) throw toApiError(body.errors[0]!);
  if (!body.data) throw new ApiError('bad_response', 'The gateway answered no data.');
  return body.data;
}

/** Runs a query or mutation; a stale access token is refreshed once and the request repeated. */
export async function request<R, V>(doc: Doc<R, V>, variables?: V, opts: { anonymous?: boolean } = {}): Promise<R> {
  const query = doc.toString();
  const token = opts.anonymous ? null : tokens.token();
  try {
    return await post<R>(query, variables, token);
  } catch (e) {
    if (!(e instanceof ApiError) || !token || !AUTH_CODES.has(e.code)) throw e;
    if (!(await tokens.refresh())) throw e;
    return post<R>(query, variables, tokens.token());
  }
}

let ws: Client | null = null;
/** The URL of a WebSocket on this gateway. */
const wsUrl = (path: string): string => `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${path}`;

/** How often an open subscription socket pings the gateway, and how long a pong may take before the socket counts as lost. */
const PING_EVERY_MS = 15_000;
const PONG_WITHIN_MS = 10_000;

/** The graphql-ws client; each connection presents the access token current at the time. */
function wsClient(): Client {
  if (ws) return ws;
  let pongTimer: ReturnType<typeof setTimeout> | undefined;
  const client = createClient({
    url: wsUrl('/graphql'),
    lazy: true,
    // No silent retry by the client (it would send the first variables again): subscribe()
    // resumes what asks for it, with the variables of that moment.
    retryAttempts: 0,
    connectionParams: () => {
      const token = tokens.token();
      return token ? { Authorization: `Bearer ${token}` } : {};
    },
    // A socket that stops answering pings (a network gone quiet rather than closed) is given up, so it can be resumed.
    keepAlive: PING_EVERY_MS,
    on: {
      ping: (received) => {
        if (received) return;
        clearTimeout(pongTimer);
        pongTimer = setTimeout(() => client.terminate(), PONG_WITHIN_MS);
      },
      pong: (received) => {
        if (received) clearTimeout(pongTimer);
      },
      closed: () => clearTimeout(pongTimer),
    },
  });
  ws = client;
  return client;
}

/** Closes the subscription socket (at sign-out, so the next user's connection carries their token). */
export function closeSubscriptions(): void {
  void ws?.dispose();
  ws = null;
}

export interface Sink<R> {
  next(data: R): void;
  error(e: ApiError): void;
  complete?(): void;
}

/** How a subscription carries on over a new connection after the socket dropped. */
export interface Resume<V> {
  /** The variables to subscribe with again: from what was already received (`after` = the last sequence number). */
  variables(): V;
  /** The socket dropped; the subscription is being resumed. */
  dropped?(): void;
  /** Resumed on a new connection. */
  resumed?(): void;
}

/** Close codes of a socket that was lost (not of a refusal): going away, abnormal, restarting, timed out, terminated. */
const LOST = new Set([1001, 1005, 1006, 1011, 1012, 1013, 1014, 4408, 4499, 4504]);
/** Tries in a row before giving up, and the wait before each (doubling, with jitter). */
const RESUME_TRIES = 8;
const resumeWait = (tries: number): number => Math.min(8000, 500 * 2 ** tries) + Math.random() * 500;

type Closed = { code: number; reason?: string };
const closeOf = (err: unknown): Closed | null =>
  err && typeof err === 'object' && typeof (err as Closed).code === 'number' ? (err as Closed) : null;
/** The gateway closed the socket because its access token expired (4401 `invalid_token: token_expired`): a fresh token resumes it. */
const tokenExpired = (c: Closed | null): boolean => c?.code === 4401 && /token_expired/.test(c.reason ?? '');

function apiErrorOf(err: unknown): ApiError {
  if (Array.isArray(err) && err.length) return toApiError(err[0] as FormattedError);
  const closed = closeOf(err);
  if (closed) return new ApiError('network_error', `The subscription socket closed (${closed.code}${closed.reason ? `: ${closed.reason}` : ''}).`);
  if (err instanceof Error) return new ApiError('network_error', err.message);
  return new ApiError('network_error', 'The subscription socket closed.');
}

/**
 * Subscribes with a typed document; the returned function unsubscribes. With `resume`, a
 * socket that drops (or closes because the access token expired) does not end the
 * subscription: it subscribes again on a new connection with `resume.variables()`, after a
 * growing wait, up to RESUME_TRIES times in a row; a refusal (GraphQL errors, revoked
 * credentials) still ends it with `error`.
 */
export function subscribe<R, V>(doc: Doc<R, V>, variables: V, sink: Sink<R>, resume?: Resume<V>): () => void {
  let ended = false;
  let tries = 0;
  let lost = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let current: () => void = () => undefined;
  let offConnected: () => void = () => undefined;
  const fail = (e: ApiError): void => {
    if (ended) return;
    ended = true;
    sink.error(e);
  };
  const back = (): void => {
    if (!lost) return;
    lost = false;
    resume?.resumed?.();
  };
  const open = (vars: V): void => {
    const client = wsClient();
    const token = tokens.token();
    // Connected (acknowledged) means resumed, even before the next event comes.
    offConnected = lost ? client.on('connected', () => back()) : () => undefined;
    current = client.subscribe<R>(
      { query: doc.toString(), variables: vars as Record<string, unknown> },
      {
        next: (result) => {
          // An event came through: the connection works, the tries start again.
          tries = 0;
          back();
          if (result.errors?.length) fail(toApiError(result.errors[0] as FormattedError));
          else if (result.data) sink.next(result.data);
        },
        error: (err) => {
          offConnected();
          if (ended) return;
          const closed = closeOf(err);
          const retry = resume && !Array.isArray(err) && tries < RESUME_TRIES && (closed ? LOST.has(closed.code) || tokenExpired(closed) : err instanceof Error || err instanceof Event);
          if (!retry) return fail(apiErrorOf(err));
          // A token that expired is renewed quietly; a lost connection is worth telling.
          if (!lost && !tokenExpired(closed)) {
            lost = true;
            resume.dropped?.();
          }
          timer = setTimeout(() => {
            timer = null;
            if (ended) return;
            void (async () => {
              // The token may have been renewed meanwhile; if not, renew it now.
              if (tokenExpired(closed) && tokens.token() === token && !(await tokens.refresh())) return fail(apiErrorOf(err));
              if (!ended) open(resume.variables());
            })();
          }, resumeWait(tries++));
        },
        complete: () => {
          offConnected();
          if (!ended) sink.complete?.();
          ended = true;
        },
      },
    );
  };
  open(variables);
  return () => {
    ended = true;
    if (timer) clearTimeout(timer);
    offConnected();
    current();
  };
}

export { wsUrl };

/** A message for people: the gateway's own (a validation error's message already names the fields). */
export function explain(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
