import type { ContainerType, ResolverData } from 'type-graphql';
import { composeLoaders, type LoaderFactory } from '../common/loaders.js';
import type { NodeSource } from '../graphql/node.resolver.js';
import type { RestRoute } from '../rest/route-table.js';
import type { ModuleManifest, ResolverDefinition, ServiceDefinition, ServiceMap } from './manifest.js';

/** What the composition root is given rather than builds: the config and the infrastructure. */
export type Infrastructure = Pick<ServiceMap, 'config' | 'events' | 'clock' | 'rateLimits' | 'metrics' | 'redis' | 'log' | 'jobs'>;

/**
 * The order to build services in: each after every service it needs (a topological sort of
 * the manifests' `needs`). A dependency nobody provides, a name provided twice, or a cycle is
 * an error naming the services involved.
 */
export function serviceOrder(definitions: readonly ServiceDefinition[], given: readonly string[]): ServiceDefinition[] {
  const byName = new Map<string, ServiceDefinition>();
  for (const d of definitions) {
    if (byName.has(d.name) || given.includes(d.name)) throw new Error(`service ${d.name} is provided twice`);
    byName.set(d.name, d);
  }
  const order: ServiceDefinition[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: readonly string[]): void => {
    if (given.includes(name) || state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') throw new Error(`services depend on each other in a cycle: ${[...path.slice(path.indexOf(name)), name].join(' -> ')}`);
    const d = byName.get(name);
    if (!d) throw new Error(`service ${path.at(-1) ?? '?'} needs ${name}, which no module provides`);
    state.set(name, 'visiting');
    for (const need of d.needs) visit(need, [...path, name]);
    state.set(name, 'done');
    order.push(d);
  };
  for (const d of definitions) visit(d.name, []);
  return order;
}

/** Builds every module's services in dependency order, each from the services it names. */
export function composeServices(modules: readonly ModuleManifest[], infra: Infrastructure): ServiceMap {
  const built: Record<string, unknown> = { ...infra };
  for (const d of serviceOrder(modules.flatMap((m) => m.services ?? []), Object.keys(infra))) {
    const deps: Record<string, unknown> = {};
    for (const need of d.needs) deps[need] = built[need];
    built[d.name] = d.create(deps);
  }
  return built as unknown as ServiceMap;
}

/**
 * type-graphql's container: it asks for a resolver class per operation; this answers the one
 * instance of it that the app made with its constructor's services.
 */
export class ResolverContainer implements ContainerType {
  private readonly instances = new Map<unknown, object>();

  constructor(
    private readonly services: ServiceMap,
    private readonly definitions: readonly ResolverDefinition[],
  ) {}

  get(someClass: unknown, _data: ResolverData<object>): object {
    let instance = this.instances.get(someClass);
    if (!instance) {
      const d = this.definitions.find((r) => r.type === someClass);
      if (!d) throw new Error(`no resolver definition for ${(someClass as { name?: string }).name ?? String(someClass)}: declare it in its module's manifest`);
      instance = d.create(this.services);
      this.instances.set(someClass, instance);
    }
    return instance;
  }
}

/** What the doors need of the modules, once the services are built. */
export interface Composition {
  services: ServiceMap;
  routes: RestRoute[];
  nodes: NodeSource[];
  loaders: LoaderFactory;
}

/** Composes an app: services in dependency order, then the route tables, node sources and loaders bound to them. */
export function compose(modules: readonly ModuleManifest[], infra: Infrastructure): Composition {
  const services = composeServices(modules, infra);
  return {
    services,
    routes: modules.flatMap((m) => m.routes?.(services) ?? []),
    nodes: modules.flatMap((m) => m.nodes?.(services) ?? []),
    loaders: composeLoaders(modules.flatMap((m) => (m.loaders ? [m.loaders] : []))),
  };
}

/**
 * The route tables as documents (OpenAPI, tests of the table's shape): the handlers are bound
 * to services that refuse every call, so nothing here can reach a database.
 */
export function describeRoutes(modules: readonly ModuleManifest[]): RestRoute[] {
  const refuse = (name: string) => () => {
    throw new Error(`route tables described without services: ${name} is not available here`);
  };
  const unbound = new Proxy({} as ServiceMap, {
    get: (_target, name) => new Proxy({}, { get: (_t, method) => refuse(`${String(name)}.${String(method)}`) }),
  });
  return modules.flatMap((m) => m.routes?.(unbound) ?? []);
}
