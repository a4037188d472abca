import type { AddressInfo } from 'node:net';
import websocket from '@fastify/websocket';
import Fastify from 'fastify';
import { GraphQLObjectType, GraphQLSchema, GraphQLString } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../src/common/errors.js';
import { makeWsHandler } from '../src/graphql/ws-adapter.js';
import { until, wsClient } from './helpers/graphql.js';

/**
 * What graphql-ws leaves to the adapter: a failure it did not answer itself closes the socket
 * with 4500, and the reason goes to the client, so it must not carry what the error says about
 * the server (DESIGN.md: unknown errors are masked as internal_error).
 */
const schema = new GraphQLSchema({
  query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLString } } }),
  subscription: new GraphQLObjectType({ name: 'Subscription', fields: { ticks: { type: GraphQLString } } }),
});

let url: string;
let close: () => Promise<void>;

beforeAll(async () => {
  const app = Fastify();
  await app.register(websocket);
  const handler = makeWsHandler({
    schema,
    onSubscribe: (_ctx, _id, payload) => {
      if (payload.query.includes('known')) throw new AppError('service_unavailable', 'The database is away');
      throw new TypeError("undefined is not iterable (cannot read property Symbol(Symbol.iterator)) at /srv/xentree/secret.js");
    },
  });
  app.get('/graphql', { websocket: true }, handler);
  await app.listen({ port: 0, host: '127.0.0.1' });
  url = `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  close = () => app.close();
});
afterAll(() => close());

describe('the graphql-ws adapter', () => {
  it("closes the socket on a failure graphql-ws did not answer with a masked reason, and an AppError's with its code", async () => {
    for (const [query, reason] of [
      ['subscription { ticks }', 'Internal server error'],
      ['subscription known { ticks }', 'service_unavailable: The database is away'],
    ] as const) {
      const { client, closes } = wsClient(url);
      client.subscribe({ query }, { next: () => undefined, error: () => undefined, complete: () => undefined });
      await until(() => closes.length > 0);
      expect(closes).toEqual([{ code: 4500, reason }]);
      await client.dispose();
    }
  });
});
