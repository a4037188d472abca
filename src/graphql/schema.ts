import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema, type NonEmptyArray } from 'type-graphql';
import { createEventBus, type EventBus } from '../common/pubsub.js';
import { allResolvers } from '../modules/index.js';

/** The one schema, built from every module's resolvers. Pure: no database needed. */
export function buildGatewaySchema(events: EventBus = createEventBus()): Promise<GraphQLSchema> {
  return buildSchema({
    // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
    resolvers: allResolvers as unknown as NonEmptyArray<Function>,
    // Services validate (zod), so both doors reject the same input the same way.
    validate: false,
    pubSub: events.pubsub,
    emitSchemaFile: false,
  });
}

/** The committed SDL: sorted, so the file changes only when the schema does. */
export const printGatewaySchema = (schema: GraphQLSchema): string =>
  printSchema(lexicographicSortSchema(schema)) + '\n';
