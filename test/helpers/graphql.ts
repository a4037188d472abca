import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type GraphQLFormattedError } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { WAIT_MS } from './wait.js';

export interface GqlResult<T> {
  status: number;
  data: T | null | undefined;
  errors: GraphQLFormattedError[] | undefined;
}

/** Runs a typed document over HTTP POST /graphql. */
/** Who calls: a bearer access token, or an API key. */
export type Caller = string | { token?: string; apiKey?: string } | undefined;

export const authHeaders = (caller: Caller): Record<string, string> => {
  if (!caller) return {};
  if (typeof caller === 'string') return { authorization: `Bearer ${caller}` };
  return { ...(caller.token ? { authorization: `Bearer ${caller.token}` } : {}), ...(caller.apiKey ? { 'x-api-key': caller.apiKey } : {}) };
};

export async function gql<T, V extends Record<string, unknown>>(
  baseUrl: string,
  document: TypedDocumentNode<T, V>,
  variables?: V,
  caller?: Caller,
): Promise<GqlResult<T>> {
  const res = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...authHeaders(caller) },
    body: JSON.stringify({ query: print(document), variables }),
  });
  const body = (await res.json()) as { data?: T | null; errors?: GraphQLFormattedError[] };
  return { status: res.status, data: body.data, errors: body.errors };
}

/** The first error code of a GraphQL result. */
export const errorCode = (r: { errors?: readonly GraphQLFormattedError[] | undefined }): unknown => r.errors?.[0]?.extensions?.code;

/** A graphql-ws client on /graphql; closes are recorded so tests can read the code. */
export function wsClient(wsUrl: string, connectionParams?: Record<string, unknown>): { client: Client; closes: { code: number; reason: string }[] } {
  const closes: { code: number; reason: string }[] = [];
  const client = createClient({
    url: `${wsUrl}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams,
    retryAttempts: 0,
    lazy: true,
    on: {
      closed: (event) => {
        const e = event as { code: number; reason: string | Buffer };
        closes.push({ code: e.code, reason: String(e.reason) });
      },
    },
  });
  return { client, closes };
}

/** Subscribes and collects results; `next()` waits for the next one. */
export function subscribe<T>(client: Client, document: TypedDocumentNode<T, any>, variables?: Record<string, unknown>) {
  const received: { data?: T | null; errors?: readonly GraphQLFormattedError[] }[] = [];
  const waiters: (() => void)[] = [];
  let failure: unknown = null;
  let completed = false;
  const notify = () => waiters.splice(0).forEach((w) => w());
  const unsubscribe = client.subscribe<T>(
    { query: print(document), variables },
    {
      next: (value) => {
        received.push(value);
        notify();
      },
      error: (err) => {
        failure = err;
        notify();
      },
      complete: () => {
        completed = true;
        notify();
      },
    },
  );
  return {
    received,
    unsubscribe,
    get error() {
      return failure;
    },
    get completed() {
      return completed;
    },
    /** Resolves when `count` results arrived, or rejects on error or timeout. */
    async waitFor(count: number, timeoutMs = WAIT_MS): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        if (failure) throw failure instanceof Error ? failure : new Error(JSON.stringify(failure));
        if (completed) throw new Error('subscription completed early');
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`timed out waiting for ${count} results (got ${received.length})`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
    },
    /** The error code the operation ended with, whether sent as `error` or as a `next` carrying errors. */
    get errorCode(): unknown {
      const fromError = Array.isArray(failure) ? (failure as GraphQLFormattedError[])[0]?.extensions?.code : undefined;
      return fromError ?? received.find((r) => r.errors?.length)?.errors?.[0]?.extensions?.code;
    },
    /** Resolves once the subscription errored or completed. */
    async settled(timeoutMs = WAIT_MS): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!failure && !completed) {
        if (Date.now() > deadline) throw new Error('subscription did not settle');
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}

export { until } from './wait.js';
