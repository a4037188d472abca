/// <reference types="vite/client" />
import type { GraphQLSchema } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CacheEnv } from './helpers/apollo-cache.js';
import { pageThrough, type ConnectionCase } from './helpers/apollo-paging.js';
import { gatewaySchema, graphqlCjs } from './helpers/graphql-ops.js';
import { restClient } from './helpers/http.js';
import { makeCast, makeOrg } from './helpers/orgs.js';
import { startFakeGoogle } from './helpers/fake-google.js';
import { startGoogleGateway } from './helpers/integrations.js';

/**
 * Every connection of the schema paged both ways by Apollo Client's `relayStylePagination()`
 * (test/helpers/apollo-paging.ts). Cases live in test/cache/<module>.connections.ts.
 */
const files = import.meta.glob<{ connections: ConnectionCase<any>[] }>('./cache/*.connections.ts', { eager: true });
const cases = Object.values(files).flatMap((f) => f.connections);

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

describe('connections', () => {
  it('has a paging case for every connection field of the schema', () => {
    const { getNamedType, isObjectType } = graphqlCjs;
    const fields: string[] = [];
    for (const t of Object.values(schema.getTypeMap())) {
      if (!isObjectType(t) || t.name.startsWith('__')) continue;
      for (const f of Object.values(t.getFields())) if (getNamedType(f.type).name.endsWith('Connection')) fields.push(`${t.name}.${f.name}`);
    }
    const covered = new Set(cases.map((c) => c.field));
    expect(fields.filter((f) => !covered.has(f)), 'connection fields without a case in test/cache/*.connections.ts').toEqual([]);
  });

  for (const c of cases) {
    it(`${c.field} pages forward and backward with relayStylePagination`, async () => {
      const { items, pages } = await pageThrough(env, schema, c);
      expect(items).toBeGreaterThanOrEqual(5);
      expect(pages).toBeGreaterThan(4);
    });
  }
});
