import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema, type NonEmptyArray } from 'type-graphql';
import { createEventBus, type EventBus } from '../common/pubsub.js';
import { allNodeSources, allResolvers } from '../modules/index.js';
import { validateBoundArgument } from './inputs.js';
import { makeNodeResolver } from './node.resolver.js';
import { withQueryRoot } from './query-root.js';

/** `node` and `nodes`, over every module's node sources (made once: type-graphql keeps decorator metadata for good). */
const NodeResolver = makeNodeResolver(allNodeSources);

/** The one schema, built from every module's resolvers. Pure: no database needed. */
export async function buildGatewaySchema(events: EventBus = createEventBus()): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
    resolvers: [...allResolvers, NodeResolver] as unknown as NonEmptyArray<Function>,
    // No class-validator: a bound InputType is checked with its zod schema at the door, as REST
    // checks a body with the route's schema, and the service checks it again with the same one.
    validate: false,
    validateFn: validateBoundArgument,
    pubSub: events.pubsub,
    emitSchemaFile: false,
  });
  return withQueryRoot(schema);
}

/** The committed SDL: sorted, so the file changes only when the schema does. */
export const printGatewaySchema = (schema: GraphQLSchema): string =>
  printSchema(lexicographicSortSchema(schema)) + '\n';
