import type { GraphQLResolveInfo, GraphQLSchema } from 'graphql';
import type { ContainerType } from 'type-graphql';

/** Where a built schema keeps the container that made its resolvers. */
const CONTAINER = 'xentreeResolverContainer';

/** Returns `schema` with the container its resolvers come from, for `resolverOf`. */
export function withContainer(schema: GraphQLSchema, container: ContainerType): GraphQLSchema {
  (schema.extensions as Record<string, unknown>)[CONTAINER] = container;
  return schema;
}

/**
 * The app's instance of a resolver class, for a subscription's `subscribe` function (which
 * type-graphql calls without the instance): the same one the container gives its fields.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a decorated class of any constructor
export function resolverOf<T>(info: GraphQLResolveInfo, type: abstract new (...args: any[]) => T): T {
  const container = (info.schema.extensions as Record<string, unknown>)[CONTAINER] as ContainerType | undefined;
  if (!container) throw new Error('this schema was built without a resolver container');
  return container.get(type, { root: undefined, args: {}, context: {}, info }) as T;
}
