/// <reference types="vite/client" />
import type { GraphQLSchema } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCacheCase, type CacheCase, type CacheEnv } from './helpers/apollo-cache.js';
import { gatewaySchema, rootFields } from './helpers/graphql-ops.js';
import { restClient } from './helpers/http.js';
import { makeCast, makeOrg } from './helpers/orgs.js';
import { startFakeGoogle } from './helpers/fake-google.js';
import { startGoogleGateway } from './helpers/integrations.js';

/**
 * Every mutation against a real Apollo Client InMemoryCache: after it, what the cache holds
 * for the screens' queries equals a fresh network answer (mutations return what they changed;
 * test/helpers/apollo-cache.ts). Cases live in test/cache/<module>.cases.ts.
 */
const files = import.meta.glob<{ cases: CacheCase<any>[] }>('./cache/*.cases.ts', { eager: true });
const cases = Object.values(files).flatMap((f) => f.cases);

/**
 * Mutations with nothing for a cache to keep right, each with its reason. Anything else
 * must have a case.
 */
const EXEMPT: Record<string, string> = {
  'Mutation.startChatTurn':
    'It answers before anything is stored (the turn runs on, whoever listens): its payload holds the turn id only. What the turn stores reaches the cache through chatTurnEvents, whose DONE carries the stored reply as the chat mutation answers it (Mutation.chat has its case).',
  'Mutation.reindexSearch':
    'It queues a background rebuild and answers at once (QUEUED, no start time): the run it reports moves on (RUNNING, SUCCEEDED, its times) after the answer, on its own, so no payload can hold what a fresh searchStatus read shows a moment later. An admin screen polls searchStatus; test/search-maintenance.test.ts covers the run.',
};

let env: CacheEnv;
let schema: GraphQLSchema;
beforeAll(async () => {
  schema = await gatewaySchema();
  // Google Calendar configured against the local fake, for the integrations' cases. The
  // screens' documents are checked for coherence here; the document limits have tests of their own.
  const google = await startFakeGoogle();
  const server = await startGoogleGateway(google, { GRAPHQL_MAX_COST: '1000000', GRAPHQL_MAX_DEPTH: '20' });
  const api = restClient(server.url);
  const cast = await makeCast(api);
  env = { server, api, cast, org: await makeOrg(api, cast), google };
});
afterAll(async () => {
  await env?.server.close();
  await env?.google.close();
});

describe('cache coherence', () => {
  it('has a case for every mutation (or a stated reason not to)', async () => {
    const mutations = (await rootFields()).filter((f) => f.kind === 'Mutation').map((f) => f.key);
    const covered = new Set(cases.map((c) => c.key.split('#')[0]));
    const missing = mutations.filter((m) => !covered.has(m) && !(m in EXEMPT));
    expect(missing, 'mutations without a cache case in test/cache/*.cases.ts').toEqual([]);
    const stale = [...covered, ...Object.keys(EXEMPT)].filter((k) => !mutations.includes(k as never));
    expect(stale, 'cases for mutations the schema does not have').toEqual([]);
  });

  for (const c of cases) {
    it(c.key, async () => {
      const outcome = await runCacheCase(env, schema, c);
      expect(outcome.differences, JSON.stringify(outcome.differences, null, 1).slice(0, 3000)).toEqual([]);
    });
  }
});
