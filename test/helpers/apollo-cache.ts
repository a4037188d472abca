import { ApolloClient, HttpLink, InMemoryCache, type DocumentNode, type TypePolicies } from '@apollo/client/core';
import { relayStylePagination } from '@apollo/client/utilities';
import type { GraphQLSchema } from 'graphql';
import { authHeaders, type Caller } from './graphql.js';
import { graphqlCjs } from './graphql-ops.js';
import type { RestClient } from './http.js';
import type { FakeGoogle } from './fake-google.js';
import type { Cast } from './orgs.js';
import type { TestServer } from './server.js';

const { getNamedType, isAbstractType, isInterfaceType, isObjectType } = graphqlCjs;

/**
 * Apollo Client 3 as a frontend team configures it, in Node: a normalized InMemoryCache whose
 * type policies are derived from the schema the way the Apollo docs advise (possibleTypes
 * for interfaces and unions; `relayStylePagination()` unmodified on every connection field,
 * keyed by its other arguments; by-id lookups that read null once their object is evicted).
 */
export function cacheConfig(schema: GraphQLSchema): { possibleTypes: Record<string, string[]>; typePolicies: TypePolicies } {
  const possibleTypes: Record<string, string[]> = {};
  const typePolicies: TypePolicies = {};
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    if (isAbstractType(type)) possibleTypes[type.name] = schema.getPossibleTypes(type).map((t) => t.name);
    if (!isObjectType(type)) continue;
    const fields: Record<string, unknown> = {};
    for (const field of Object.values(type.getFields())) {
      const named = getNamedType(field.type);
      if (named.name.endsWith('Connection') && isObjectType(named)) {
        const keyArgs = field.args.map((a) => a.name).filter((a) => !['first', 'after', 'last', 'before'].includes(a));
        fields[field.name] = relayStylePagination(keyArgs.length ? keyArgs : false);
      } else if (type === schema.getQueryType() && (isObjectType(named) || isInterfaceType(named)) && field.args.some((a) => a.name === 'id')) {
        // A lookup by id whose object was evicted (deleted) reads as null, as the server answers.
        fields[field.name] = { read: (existing: unknown, { canRead }: { canRead: (v: unknown) => boolean }) => (existing === undefined ? undefined : canRead(existing) ? existing : null) };
      }
    }
    if (Object.keys(fields).length) typePolicies[type.name] = { fields: fields as never };
  }
  return { possibleTypes, typePolicies };
}

export function apolloClient(url: string, schema: GraphQLSchema, caller: Caller, cache = true): ApolloClient<unknown> {
  const { possibleTypes, typePolicies } = cacheConfig(schema);
  return new ApolloClient({
    link: new HttpLink({ uri: `${url}/graphql`, fetch, headers: authHeaders(caller) }),
    cache: new InMemoryCache({ possibleTypes, typePolicies }),
    defaultOptions: cache ? {} : { query: { fetchPolicy: 'no-cache' } },
  });
}

/** What a case works with: a server, REST, a cast of users, an organization of theirs, and the fake Google the server uses. */
export interface CacheEnv {
  server: TestServer;
  api: RestClient;
  cast: Cast;
  org: { id: string; teamId: string };
  google: FakeGoogle;
}

/** A screen's query, as it was open when the mutation ran. */
export interface OpenQuery {
  query: DocumentNode;
  variables?: Record<string, unknown>;
}

/**
 * One mutation, tried as a client would: the screens' queries are loaded into the cache, the
 * mutation runs (its payload written to the cache; a delete evicts `deletedId`, as a client's
 * `update` does), then each query read from the cache must equal the same query fresh from
 * the network.
 */
export interface CacheCase<S = unknown> {
  /** `Mutation.field`, or `Mutation.field#variant` for another case of the same mutation. */
  key: string;
  /** Who acts (default: the cast's owner). */
  as?: keyof Cast;
  /** Makes what the mutation acts on. */
  setup: (env: CacheEnv) => Promise<S>;
  /** The queries a client would have open (loaded before the mutation, compared after it). */
  queries: (state: S, env: CacheEnv) => OpenQuery[];
  mutation: (state: S, env: CacheEnv) => { mutation: DocumentNode; variables: Record<string, unknown> };
}

/** Each case file's export. */
export type CacheCases = CacheCase<any>[];

/** Ids of deleted objects in a payload, wherever the payload carries them. */
function deletedIds(data: unknown, out: string[] = []): string[] {
  if (Array.isArray(data)) data.forEach((d) => deletedIds(d, out));
  else if (data && typeof data === 'object') {
    for (const [k, v] of Object.entries(data)) {
      if ((k === 'deletedId' || k.startsWith('deleted') && k.endsWith('Id')) && typeof v === 'string') out.push(v);
      else if ((k === 'deletedIds' || (k.startsWith('deleted') && k.endsWith('Ids'))) && Array.isArray(v)) out.push(...v.filter((x): x is string => typeof x === 'string'));
      else deletedIds(v, out);
    }
  }
  return out;
}

export interface CacheOutcome {
  key: string;
  differences: { query: string; cached: unknown; fresh: unknown }[];
}

/** Runs one case; the differences between cache and network after the mutation (none is the goal). */
export async function runCacheCase(env: CacheEnv, schema: GraphQLSchema, c: CacheCase): Promise<CacheOutcome> {
  const state = await c.setup(env);
  const who = env.cast[c.as ?? 'owner'];
  const caller: Caller = who.accessToken;
  const client = apolloClient(env.server.url, schema, caller);
  const fresh = apolloClient(env.server.url, schema, caller, false);
  const queries = c.queries(state, env);
  for (const q of queries) {
    const r = await client.query({ query: q.query, variables: q.variables, fetchPolicy: 'network-only', errorPolicy: 'none' });
    if (r.errors?.length) throw new Error(`${c.key}: query failed: ${JSON.stringify(r.errors)}`);
  }
  const m = c.mutation(state, env);
  await client.mutate({
    mutation: m.mutation,
    variables: m.variables,
    update(cache, result) {
      for (const id of deletedIds(result.data)) {
        for (const ref of Object.keys(cache.extract() as Record<string, unknown>)) {
          if (ref.endsWith(`:${id}`)) cache.evict({ id: ref });
        }
      }
      cache.gc();
    },
  });
  const differences: CacheOutcome['differences'] = [];
  for (const q of queries) {
    const cached = client.readQuery({ query: q.query, variables: q.variables });
    const net = (await fresh.query({ query: q.query, variables: q.variables, fetchPolicy: 'no-cache' })).data;
    if (JSON.stringify(sortKeys(cached)) !== JSON.stringify(sortKeys(net))) {
      differences.push({ query: q.query.loc?.source.body.replace(/\s+/g, ' ').slice(0, 120) ?? '?', cached, fresh: net });
    }
  }
  await client.clearStore();
  client.stop();
  fresh.stop();
  return { key: c.key, differences };
}

const sortKeys = (v: unknown): unknown => {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  return v;
};
