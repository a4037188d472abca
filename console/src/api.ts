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

/** The graphql-ws client; each connection presents the access token current at the time. */
function wsClient(): Client {
  ws ??= createClient({
    url: wsUrl('/graphql'),
    lazy: true,
    // No silent retry: re-subscribing would start a chat turn again.
    retryAttempts: 0,
    connectionParams: () => {
      const token = tokens.token();
      return token ? { Authorization: `Bearer ${token}` } : {};
    },
  });
  return ws;
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

/** Subscribes with a typed document; the returned function unsubscribes. */
export function subscribe<R, V>(doc: Doc<R, V>, variables: V, sink: Sink<R>): () => void {
  let ended = false;
  const fail = (e: ApiError): void => {
    if (ended) return;
    ended = true;
    sink.error(e);
  };
  return wsClient().subscribe<R>(
    { query: doc.toString(), variables: variables as Record<string, unknown> },
    {
      next: (result) => {
        if (result.errors?.length) fail(toApiError(result.errors[0] as FormattedError));
        else if (result.data) sink.next(result.data);
      },
      error: (err) => {
        if (Array.isArray(err) && err.length) fail(toApiError(err[0] as FormattedError));
        else if (err instanceof Error) fail(new ApiError('network_error', err.message));
        else fail(new ApiError('network_error', `The subscription socket closed${(err as CloseEvent)?.code ? ` (${(err as CloseEvent).code})` : ''}.`));
      },
      complete: () => {
        if (!ended) sink.complete?.();
        ended = true;
      },
    },
  );
}

export { wsUrl };

/** A message for people: the gateway's own (a validation error's message already names the fields). */
export function explain(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
