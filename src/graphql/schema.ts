import { GraphQLSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { buildSchema, type NonEmptyArray } from 'type-graphql';
import { createEventBus, type EventBus } from '../common/pubsub.js';
import { allNodeSources, allResolvers } from '../modules/index.js';
import { ErrorCodeEnum } from './errors.js';
import { validateBoundArgument } from './inputs.js';
import { makeNodeResolver } from './node.resolver.js';
import { withQueryRoot } from './query-root.js';

/** `node` and `nodes`, over every module's node sources (made once: type-graphql keeps decorator metadata for good). */
const NodeResolver = makeNodeResolver(allNodeSources);

/**
 * The one schema, built from every module's resolvers, with the `ErrorCode` enum (errors are
 * not fields, so no field brings it in: it is added for clients and codegen to read). Pure:
 * no database needed.
 */
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
  const withRoot = withQueryRoot(schema);
  describeRoots(withRoot);
  if (withRoot.getType(ErrorCodeEnum.name)) return withRoot;
  const config = withRoot.toConfig();
  return new GraphQLSchema({ ...config, types: [...config.types, ErrorCodeEnum] });
}

/** type-graphql makes the root types from the resolvers and leaves them undescribed. */
function describeRoots(schema: GraphQLSchema): void {
  const query = schema.getQueryType();
  const mutation = schema.getMutationType();
  const subscription = schema.getSubscriptionType();
  if (query) query.description = 'Reads: each field says who may call it (the API-key scope, or bearer only, or public).';
  if (mutation) mutation.description = 'Changes: one `input` argument each, answering a payload with every object the change touched, so a normalized cache keeps itself right.';
  if (subscription) subscription.description = 'Live events over graphql-ws on /graphql: each field says when it starts, what it sends and when it completes.';
}

/** The committed SDL: sorted, so the file changes only when the schema does. */
export const printGatewaySchema = (schema: GraphQLSchema): string =>
  printSchema(lexicographicSortSchema(schema)) + '\n';
