import { isObjectType, type GraphQLSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { tracingStarted } from '../src/common/tracing.js';
import { buildGatewaySchema } from '../src/graphql/schema.js';
import { traceResolvers } from '../src/graphql/tracing.js';
import { allResolvers } from '../src/modules/index.js';

const resolversOf = (schema: GraphQLSchema) =>
  new Map<string, unknown>(
    Object.values(schema.getTypeMap())
      .filter(isObjectType)
      .flatMap((t) => Object.values(t.getFields()).map((f) => [`${t.name}.${f.name}`, f.resolve] as const)),
  );

describe('resolvers under tracing (traceResolvers)', () => {
  it('wraps the fields that may do I/O and leaves plain property reads alone', async () => {
    const schema = await buildGatewaySchema({ resolvers: allResolvers });
    const before = resolversOf(schema);
    // This test file's process only: the helpers of src/common/tracing.ts turn on (the API's no-op tracer).
    tracingStarted();
    traceResolvers(schema);
    const after = resolversOf(schema);
    const wrapped = (field: string) => {
      expect(before.get(field), `${field} has a resolver`).toBeTypeOf('function');
      return after.get(field) !== before.get(field);
    };
    // Resolver methods: a query, a field resolver of an object type.
    expect(wrapped('Query.me')).toBe(true);
    expect(wrapped('Mutation.chat')).toBe(true);
    expect(wrapped('User.organizations')).toBe(true);
    // A connection's total is a getter that counts when read.
    expect(wrapped('ConversationConnection.totalCount')).toBe(true);
    // Properties read as they are.
    for (const field of ['User.email', 'User.createdAt', 'ConversationConnection.edges', 'ConversationEdge.node', 'PageInfo.hasNextPage']) expect(wrapped(field), field).toBe(false);
    const skipped = [...before].filter(([k, r]) => r && after.get(k) === r).length;
    const all = [...before.values()].filter(Boolean).length;
    expect(skipped).toBeGreaterThan(all / 2);
  });
});
