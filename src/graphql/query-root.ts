import { GraphQLNonNull, GraphQLSchema, isNonNullType, isObjectType, type GraphQLField, type GraphQLOutputType } from 'graphql';
import { Field, ObjectType } from 'type-graphql';

/**
 * The query root as a field type of mutation payloads (`query: Query!`): a list that hangs
 * off the root (`conversations`, `notes`, `documents`) has no parent object to return with
 * its new total, so the payload returns the root itself. A normalized cache writes an object
 * whose `__typename` is `Query` into its root (Apollo Client, urql's graphcache and Relay all
 * do), so `deleteNote(input: …) { deletedId query { notes { totalCount } } }` keeps a cached
 * `notes { totalCount }` right, and a created item appears by asking for the list again.
 *
 * type-graphql builds the root type from the `@Query` resolvers and has no class for it, so
 * fields are declared with this placeholder and `withQueryRoot` points them at `Query` once
 * the schema is built.
 */
@ObjectType('QueryRootPlaceholder', { description: 'Replaced by `Query` when the schema is built; never served.' })
export class QueryRoot {
  @Field(() => Boolean, { description: 'Never served.' })
  placeholder!: boolean;
}

/** The value of a `query: Query!` payload field: root fields take nothing from their parent. */
export const queryRoot = (): QueryRoot => ({}) as QueryRoot;

/** The description every `query` payload field carries. */
export const QUERY_ROOT_DESCRIPTION =
  'The query root after the change, to read the lists it affected with their new totals (`query { notes { totalCount } }`): a normalized cache writes it into its own root.';

/** Points every field typed with the placeholder at the schema's query root, and drops the placeholder. */
export function withQueryRoot(schema: GraphQLSchema): GraphQLSchema {
  const placeholder = schema.getType('QueryRootPlaceholder');
  const query = schema.getQueryType();
  if (!placeholder || !query) return schema;
  const swap = (type: GraphQLOutputType): GraphQLOutputType => {
    if (type === placeholder) return query;
    if (isNonNullType(type) && type.ofType === placeholder) return new GraphQLNonNull(query);
    return type;
  };
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type === placeholder) continue;
    for (const field of Object.values(type.getFields()) as GraphQLField<unknown, unknown>[]) field.type = swap(field.type);
  }
  const config = schema.toConfig();
  return new GraphQLSchema({ ...config, types: config.types.filter((t) => t !== placeholder) });
}
