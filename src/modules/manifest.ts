import type { NodeSource } from '../graphql/node.resolver.js';
import type { RestRoute } from '../rest/route-table.js';

/** What a domain contributes: the ORM, the schema and the REST router each read this. */
export interface ModuleManifest {
  name: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: Function[];
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  resolvers: Function[];
  routes: RestRoute[];
  /** Where `node(id:)` finds this module's node types (every ObjectType implementing `Node`). */
  nodes?: NodeSource[];
}
