import { createRequire } from 'node:module';
import type * as GraphQL from 'graphql';
import type { GraphQLField, GraphQLFormattedError, GraphQLOutputType, GraphQLSchema } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { buildGatewaySchema } from '../../src/graphql/schema.js';
import { allResolvers } from '../../src/modules/index.js';
import { authHeaders } from './graphql.js';

// The schema is built by type-graphql, which loads graphql's CommonJS build; its type checks
// (instanceof) only recognise types of that same copy, so this module uses it too.
export const graphqlCjs = createRequire(import.meta.url)('graphql') as typeof GraphQL;
const { getNamedType, isInterfaceType, isLeafType, isNonNullType, isObjectType, isUnionType } = graphqlCjs;

/**
 * GraphQL operations made from the schema itself: for a root field, a document that asks
 * for every field reachable within a few levels (so a permission matrix or a leak check
 * sees everything the caller could read), with variables for the arguments given.
 */

export type RootKind = 'Query' | 'Mutation' | 'Subscription';
/** `Query.me`, `Mutation.createNote`, `Subscription.meUpdated`. */
export type FieldKey = `${RootKind}.${string}`;

let schemaPromise: Promise<GraphQLSchema> | null = null;
/** The gateway's schema, built from the resolvers (src/graphql/schema.ts), once per test file. */
export const gatewaySchema = (): Promise<GraphQLSchema> => (schemaPromise ??= buildGatewaySchema({ resolvers: allResolvers }));

/** Every root field of the schema. */
export async function rootFields(): Promise<{ key: FieldKey; kind: RootKind; field: GraphQLField<unknown, unknown> }[]> {
  const schema = await gatewaySchema();
  const out: { key: FieldKey; kind: RootKind; field: GraphQLField<unknown, unknown> }[] = [];
  for (const kind of ['Query', 'Mutation', 'Subscription'] as const) {
    const type = kind === 'Query' ? schema.getQueryType() : kind === 'Mutation' ? schema.getMutationType() : schema.getSubscriptionType();
    for (const field of Object.values(type?.getFields() ?? {})) out.push({ key: `${kind}.${field.name}`, kind, field });
  }
  return out;
}

const DEPTH = 3;

/** Every field of `type` within DEPTH levels; fields that need arguments without defaults are left out. */
export function selectionOf(type: GraphQLOutputType, depth = 0): string {
  const named = getNamedType(type);
  if (isLeafType(named)) return '';
  if (isUnionType(named) || isInterfaceType(named)) {
    const schemaTypes = isUnionType(named) ? named.getTypes() : [];
    return ['__typename', ...schemaTypes.map((t) => `... on ${t.name} { ${selectionOf(t, depth) || '__typename'} }`)].join(' ');
  }
  if (!isObjectType(named)) return '';
  const parts: string[] = [];
  for (const f of Object.values(named.getFields())) {
    if (f.args.some((a) => isNonNullType(a.type) && a.defaultValue === undefined)) continue;
    // A deprecated field is for clients written before its replacement (selected here instead).
    if (f.deprecationReason) continue;
    // A payload's `query` field is the query root again: every other operation, not what this one answers.
    if (getNamedType(f.type).name === 'Query') continue;
    if (isLeafType(getNamedType(f.type))) parts.push(f.name);
    else if (depth < DEPTH) {
      const sub = selectionOf(f.type, depth + 1);
      if (sub) parts.push(`${f.name} { ${sub} }`);
    }
  }
  return parts.join(' ') || '__typename';
}

/** The document for one root field with the given variables (arguments left out must be optional). */
export async function documentFor(key: FieldKey, variables: Record<string, unknown>): Promise<string> {
  const [kind, name] = key.split('.') as [RootKind, string];
  const field = (await rootFields()).find((f) => f.key === key)?.field;
  if (!field) throw new Error(`no GraphQL field ${key}`);
  const given = field.args.filter((a) => a.name in variables);
  const defs = given.map((a) => `$${a.name}: ${a.type.toString()}`).join(', ');
  const args = given.map((a) => `${a.name}: $${a.name}`).join(', ');
  const sel = selectionOf(field.type);
  const op = kind === 'Query' ? 'query' : kind === 'Mutation' ? 'mutation' : 'subscription';
  return `${op} Matrix${defs ? `(${defs})` : ''} { ${name}${args ? `(${args})` : ''}${sel ? ` { ${sel} }` : ''} }`;
}

export interface Auth {
  token?: string;
  apiKey?: string;
}

export interface GqlResponse {
  status: number;
  text: string;
  body: { data?: unknown; errors?: GraphQLFormattedError[] } | null;
}

/** POST /graphql. */
export async function postGraphQL(url: string, query: string, variables: unknown, auth: Auth = {}): Promise<GqlResponse> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...authHeaders(auth) },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  let body: GqlResponse['body'];
  try {
    body = JSON.parse(text) as GqlResponse['body'];
  } catch {
    body = null;
  }
  return { status: res.status, text, body };
}

export interface SubscriptionOutcome {
  /** The first result (`next`), or the errors the operation ended with, or how the socket closed. */
  first: { data?: unknown; errors?: readonly GraphQLFormattedError[] } | null;
  errors: readonly GraphQLFormattedError[] | null;
  closed: { code: number; reason: string } | null;
  text: string;
}

/**
 * Subscribes over graphql-ws with the caller's credentials as connection params, runs
 * `trigger` once the server has the subscription, and waits for the first result, an
 * error, or the socket closing.
 */
export async function subscribeOnce(wsUrl: string, query: string, variables: unknown, auth: Auth, trigger?: () => Promise<void>, timeoutMs = 10_000): Promise<SubscriptionOutcome> {
  const params: Record<string, unknown> = {};
  if (auth.token) params.Authorization = `Bearer ${auth.token}`;
  if (auth.apiKey) params['X-API-Key'] = auth.apiKey;
  let closed: { code: number; reason: string } | null = null;
  const client = createClient({
    url: `${wsUrl}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: params,
    retryAttempts: 0,
    lazy: true,
    on: {
      closed: (e) => {
        const ev = e as { code: number; reason: string | Buffer };
        closed = { code: ev.code, reason: String(ev.reason) };
      },
    },
  });
  try {
    return await new Promise<SubscriptionOutcome>((resolve) => {
      let done = false;
      const finish = (o: Omit<SubscriptionOutcome, 'text' | 'closed'>) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve({ ...o, closed, text: JSON.stringify(o) });
      };
      const timer = setTimeout(() => finish({ first: null, errors: [{ message: 'no result in time', extensions: { code: 'TIMEOUT' } }] }), timeoutMs);
      let triggered = false;
      const unsubscribe = client.subscribe(
        { query, variables: variables as Record<string, unknown> },
        {
          next: (value) => {
            unsubscribe();
            finish({ first: value, errors: (value as { errors?: GraphQLFormattedError[] }).errors ?? null });
          },
          error: (err) => {
            if (Array.isArray(err)) finish({ first: null, errors: err as GraphQLFormattedError[] });
            else {
              const ev = err as { code?: number; reason?: string };
              finish({ first: null, errors: [{ message: String(ev.reason ?? err), extensions: { code: closeCode(ev.code, ev.reason) } }] });
            }
          },
          complete: () => finish({ first: null, errors: null }),
        },
      );
      // The server registers the subscription after it acknowledged the connection and ran the
      // operation's resolver: the trigger repeats until the first result arrives.
      client.on('connected', () => {
        if (triggered || !trigger) return;
        triggered = true;
        void (async () => {
          while (!done) {
            await new Promise((r) => setTimeout(r, 100));
            if (done) break;
            await trigger().catch((e: unknown) => finish({ first: null, errors: [{ message: `trigger failed: ${String(e)}`, extensions: { code: 'TRIGGER_FAILED' } }] }));
            await new Promise((r) => setTimeout(r, 200));
          }
        })();
      });
    });
  } finally {
    await client.dispose();
  }
}

/** A refused connection closes with 4403 and "code: message" as the reason. */
function closeCode(code: number | undefined, reason: string | undefined): string {
  const m = /^([A-Za-z_]+):/.exec(reason ?? '');
  if (code === 4403 && m) return m[1]!;
  return `CLOSED_${code ?? '?'}`;
}
