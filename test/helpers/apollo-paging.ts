import type { DocumentNode } from '@apollo/client/core';
import type { GraphQLSchema } from 'graphql';
import { apolloClient, type CacheEnv } from './apollo-cache.js';
import type { Cast } from './orgs.js';

/**
 * A connection paged the way a frontend does it with Apollo Client: `relayStylePagination()`
 * unmodified on the field, `fetchMore` with `after: endCursor` until `hasNextPage` is false,
 * and again backward with `last`/`before: startCursor`; both walks must give the whole list,
 * in order, each node once.
 */
export interface ConnectionCase<S = unknown> {
  /** The connection field, `Type.field` (`Query.conversations`, `Conversation.messages`). */
  field: string;
  as?: keyof Cast;
  /** Makes at least 5 items in the list. */
  setup: (env: CacheEnv) => Promise<S>;
  /**
   * The query: it takes `$first: Int, $after: String, $last: Int, $before: String`, passes them
   * to the connection, and selects `edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }`.
   */
  query: DocumentNode;
  /** The query's other variables. */
  variables?: (state: S, env: CacheEnv) => Record<string, unknown>;
  /** Where the connection is in the answer: `['conversations']`, `['conversation', 'messages']`. */
  path: string[];
  /** How a node is told apart (default: its `id`). */
  keyOf?: (node: Record<string, unknown>) => string;
}

export type ConnectionCases = ConnectionCase<any>[];

interface Conn {
  edges: { cursor: string; node: Record<string, unknown> }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

const at = (data: unknown, path: string[]): Conn => path.reduce<any>((d, k) => d?.[k], data) as Conn;

/** Pages through the connection both ways; throws on any difference from the whole list. */
export async function pageThrough(env: CacheEnv, schema: GraphQLSchema, c: ConnectionCase, pageSize = 2): Promise<{ items: number; pages: number }> {
  const state = await c.setup(env);
  const caller = env.cast[c.as ?? 'owner'].accessToken;
  const vars = c.variables?.(state, env) ?? {};
  const key = c.keyOf ?? ((n) => String(n.id));

  const whole = apolloClient(env.server.url, schema, caller, false);
  const all = at((await whole.query({ query: c.query, variables: { ...vars, first: 100 }, fetchPolicy: 'no-cache' })).data, c.path);
  const expected = all.edges.map((e) => key(e.node));
  if (expected.length < 5) throw new Error(`${c.field}: the setup made ${expected.length} items; a walk needs at least 5`);
  if (new Set(expected).size !== expected.length) throw new Error(`${c.field}: the whole list repeats a node`);

  let pages = 0;
  // Forward.
  const fwd = apolloClient(env.server.url, schema, caller).watchQuery({ query: c.query, variables: { ...vars, first: pageSize } });
  let conn = at((await fwd.result()).data, c.path);
  pages++;
  for (let guard = 0; conn.pageInfo.hasNextPage; guard++) {
    if (guard > expected.length) throw new Error(`${c.field}: forward paging does not end`);
    await fwd.fetchMore({ variables: { ...vars, first: pageSize, after: conn.pageInfo.endCursor } });
    conn = at(fwd.getCurrentResult().data, c.path);
    pages++;
  }
  const forward = conn.edges.map((e) => key(e.node));
  if (JSON.stringify(forward) !== JSON.stringify(expected)) throw new Error(`${c.field}: forward paging gave\n${forward.join(',')}\ninstead of\n${expected.join(',')}`);
  if (conn.pageInfo.hasNextPage) throw new Error(`${c.field}: hasNextPage at the end`);

  // Backward.
  const bwd = apolloClient(env.server.url, schema, caller).watchQuery({ query: c.query, variables: { ...vars, last: pageSize } });
  conn = at((await bwd.result()).data, c.path);
  pages++;
  for (let guard = 0; conn.pageInfo.hasPreviousPage; guard++) {
    if (guard > expected.length) throw new Error(`${c.field}: backward paging does not end`);
    await bwd.fetchMore({ variables: { ...vars, last: pageSize, before: conn.pageInfo.startCursor } });
    conn = at(bwd.getCurrentResult().data, c.path);
    pages++;
  }
  const backward = conn.edges.map((e) => key(e.node));
  if (JSON.stringify(backward) !== JSON.stringify(expected)) throw new Error(`${c.field}: backward paging gave\n${backward.join(',')}\ninstead of\n${expected.join(',')}`);
  return { items: expected.length, pages };
}
