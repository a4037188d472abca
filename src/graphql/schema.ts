import { GraphQLSchema, isInterfaceType, isUnionType, lexicographicSortSchema, printSchema, type GraphQLTypeResolver } from 'graphql';
import { buildSchema, getMetadataStorage, type ContainerType, type NonEmptyArray } from 'type-graphql';
import { createEventBus, type EventBus } from '../common/pubsub.js';
import { withContainer } from './container.js';
import { ErrorCodeEnum } from './errors.js';
import { validateBoundArgument } from './inputs.js';
import { NodeResolver, type NodeSource } from './node.resolver.js';
import { withQueryRoot } from './query-root.js';

export interface SchemaParts {
  /** Every module's resolver classes (src/modules/index.ts: allResolvers). */
  resolvers: readonly { type: abstract new (...args: never[]) => object }[];
  events?: EventBus;
  /** Where `node(id:)` looks; none when the schema is only printed. */
  nodes?: readonly NodeSource[];
  /** Makes each resolver with its services (src/modules/composition.ts); absent when the schema is only printed. */
  container?: ContainerType;
}

/** Answers NodeResolver with the app's node sources, and every other class as `container` does. */
const withNodes = (container: ContainerType | undefined, nodes: readonly NodeSource[]): ContainerType => {
  const node = new NodeResolver(nodes);
  return {
    get: (someClass, data) => {
      if (someClass === NodeResolver) return node;
      if (!container) throw new Error('this schema was built to be printed: it has no resolver container');
      return container.get(someClass, data) as unknown;
    },
  };
};

/**
 * The one schema, built from every module's resolvers, with the `ErrorCode` enum (errors are
 * not fields, so no field brings it in: it is added for clients and codegen to read). Pure:
 * no database needed.
 */
export async function buildGatewaySchema({ resolvers, events = createEventBus(), nodes = [], container }: SchemaParts): Promise<GraphQLSchema> {
  const resolved = withNodes(container, nodes);
  const schema = await buildSchema({
    // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- type-graphql takes resolver classes
    resolvers: [...resolvers.map((r) => r.type), NodeResolver] as unknown as NonEmptyArray<Function>,
    container: resolved,
    // No class-validator: a bound InputType is checked with its zod schema at the door, as REST
    // checks a body with the route's schema, and the service checks it again with the same one.
    validate: false,
    validateFn: validateBoundArgument,
    pubSub: events.pubsub,
    emitSchemaFile: false,
  });
  syncTypeResolvers(schema);
  resolveEventsToThemselves(schema);
  const withRoot = withQueryRoot(schema);
  describeRoots(withRoot);
  if (withRoot.getType(ErrorCodeEnum.name)) return withContainer(withRoot, resolved);
  const config = withRoot.toConfig();
  return withContainer(new GraphQLSchema({ ...config, types: [...config.types, ErrorCodeEnum] }), resolved);
}

/**
 * type-graphql wraps an abstract type's own `resolveType` in an async function (it awaits it,
 * then maps a class to its type's name). graphql-js awaits that; graphql-jit, which runs the
 * HTTP door's operations and every subscription event, needs an answer at once, and found
 * none (`liveSessionEvents`). Each type's own resolver is put back, mapped the same way,
 * answering at once when it does and with a promise only when it gives one.
 */
function syncTypeResolvers(schema: GraphQLSchema): void {
  const storage = getMetadataStorage();
  const names = new Map<unknown, string>(storage.objectTypes.map((o) => [o.target, o.name]));
  const nameOf = (r: unknown): string | undefined => (typeof r === 'string' ? r : r ? names.get(r) : undefined);
  for (const meta of [...storage.unions, ...storage.interfaceTypes]) {
    const own = meta.resolveType;
    const type = schema.getType(meta.name);
    if (!own || !(isUnionType(type) || isInterfaceType(type))) continue;
    const resolve: GraphQLTypeResolver<unknown, unknown> = (value, context, info, abstract) => {
      const r: unknown = own(value, context, info, abstract);
      return r instanceof Promise ? r.then(nameOf) : nameOf(r);
    };
    type.resolveType = resolve;
  }
}

/**
 * Subscription fields whose value is their event as the field's source gives it: each one's
 * resolver method returns its root (test/schema-contract.test.ts calls each to check). Their
 * events resolve to themselves here; type-graphql's resolver converted and checked the
 * field's arguments again for every event (the field's subscribe read them once), a few µs
 * of every chat token. (meUpdated is not one: it reads the user anew for each event.)
 */
export const EVENT_FIELDS: ReadonlySet<string> = new Set(['chatStream', 'chatTurnEvents', 'conversationEvents', 'documentEvents', 'liveSessionEvents', 'myLiveSessionEvents', 'organizationEvents']);

function resolveEventsToThemselves(schema: GraphQLSchema): void {
  const fields = schema.getSubscriptionType()?.getFields() ?? {};
  for (const name of EVENT_FIELDS) {
    const field = fields[name];
    if (!field) throw new Error(`EVENT_FIELDS names ${name}, which is not a subscription field`);
    field.resolve = (event: unknown) => event;
  }
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
