import type { EntityManager } from '@mikro-orm/core';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Clock } from '../common/clock.js';
import type { Loaders } from '../common/loaders.js';
import type { JobQueue } from '../jobs/queue.js';
import type { Metrics } from '../common/metrics.js';
import type { EventBus } from '../common/pubsub.js';
import type { RateLimits } from '../common/rate-limits.js';
import type { Config } from '../config.js';
import type { NodeSource } from '../graphql/node.resolver.js';
import type { RestRoute } from '../rest/route-table.js';

/**
 * Every service of an app by name. The infrastructure is here; each module adds the services
 * it provides by declaration merging in its index.ts (`declare module '../manifest.js' { interface
 * ServiceMap { users: UsersService } }`), so a manifest that names a dependency gets its type
 * without importing the module that provides it.
 */
export interface ServiceMap {
  config: Config;
  events: EventBus;
  clock: Clock;
  rateLimits: RateLimits;
  metrics: Metrics;
  /** Redis commands when REDIS_URL is set (resumable chat turns keep their events there), else null. */
  redis: Redis | null;
  log: Logger;
  /** The background job queue (src/jobs/): durable, leased, retried. */
  jobs: JobQueue;
}

export type ServiceName = keyof ServiceMap;

/** One service of a module: its name, the services its constructor takes, and how to make it. */
export interface ServiceDefinition {
  readonly name: ServiceName;
  readonly needs: readonly ServiceName[];
  create(deps: Partial<ServiceMap>): unknown;
}

/**
 * Declares a service: `create` receives exactly the services named in `needs` (constructor
 * injection), and the composition root builds it after them.
 */
export function service<N extends ServiceName, const D extends readonly ServiceName[]>(
  name: N,
  needs: D,
  create: (deps: Pick<ServiceMap, D[number]>) => ServiceMap[N],
): ServiceDefinition {
  return { name, needs, create: create };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a decorated class of any constructor
type Class<T = object> = abstract new (...args: any[]) => T;

/** A resolver class and how the container makes it from the app's services. */
export interface ResolverDefinition {
  readonly type: Class;
  create(services: ServiceMap): object;
}

/** Declares a resolver class with its constructor's services (type-graphql asks the container for it). */
export function resolver<T extends object>(type: Class<T>, create: (services: ServiceMap) => T): ResolverDefinition {
  return { type, create };
}

/** What a domain contributes: the composition root, the ORM, the schema and the REST router each read this. */
export interface ModuleManifest {
  name: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- MikroORM takes entity classes
  entities: Function[];
  /** The services this module provides, built by the composition root in dependency order. */
  services?: ServiceDefinition[];
  resolvers?: ResolverDefinition[];
  /** The module's REST route table, its handlers bound to the services they use. */
  routes?: (services: ServiceMap) => RestRoute[];
  /** Where `node(id:)` finds this module's node types (every ObjectType implementing `Node`). */
  nodes?: (services: ServiceMap) => NodeSource[];
  /** This module's per-request batch loaders (merged into `ctx.loaders`). */
  loaders?: (em: EntityManager, batch: boolean) => Partial<Loaders>;
}
