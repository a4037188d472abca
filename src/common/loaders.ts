import type { EntityManager } from '@mikro-orm/core';
import DataLoader from 'dataloader';

/** What access checks need of a membership: its role. */
export interface MembershipRecord {
  readonly role: string;
}

/**
 * Membership lookups, behind which the organizations module keeps its tables: the request's
 * loaders carry one (`ctx.loaders.memberships`), so lookups are batched per request.
 */
export interface MembershipLookup {
  /** The user's membership of the organization, or null. */
  find(organizationId: string, userId: string): Promise<MembershipRecord | null>;
  /** A role's rank: a higher rank may do all a lower one may. */
  rank(role: string): number;
  /** The organizations the user belongs to, with at least `minRole` when given. */
  organizationIds(userId: string, minRole?: string): Promise<string[]>;
  /** The organization's members, with at least `minRole` when given. */
  memberIds(organizationId: string, minRole?: string): Promise<string[]>;
}

/**
 * Per-request batch loaders: one query per kind of thing however many rows ask. Each module
 * adds its own here by declaration merging (in its index.ts) and makes them in its manifest's
 * `loaders`; the composition root merges them into one factory. `memberships` is the one that
 * common code reads (`requireMembership` in src/common/access.ts): the organizations module provides it.
 */
export interface Loaders {
  memberships: MembershipLookup;
}

/** Makes one request's loaders over its EntityManager fork. */
export type LoaderFactory = (em: EntityManager, batch: boolean) => Loaders;

type PartialFactory = (em: EntityManager, batch: boolean) => Partial<Loaders>;

const EM = Symbol('em');
const BATCH = Symbol('batch');
/** A request's loaders object: what its modules' loaders are made with, under symbols (not walked by forgetReads). */
type Made = Record<string, unknown> & { [EM]: EntityManager; [BATCH]: boolean };

/** An EntityManager that refuses every use: what a factory is given to learn its loaders' names. */
const untouchable = new Proxy({} as EntityManager, {
  get: () => {
    throw new Error('a loader factory used its EntityManager while making its loaders');
  },
});

/**
 * One factory from the modules' partial ones; every loader a module declares must be made by one.
 * A module's loaders are made when the request first reads one of them, not before: most
 * requests read one module's loaders or none, and a subscription holds its context (and so its
 * loaders) for as long as it runs (1,000 subscribers held 14,000 DataLoaders). A factory that
 * uses its EntityManager while making its loaders (none does) is made with the request, as before.
 */
export function composeLoaders(factories: readonly PartialFactory[]): LoaderFactory {
  const eager: PartialFactory[] = [];
  // The loaders not yet made are getters on a prototype shared by every request's loaders: a
  // getter makes its module's loaders on the request's own object (shadowing the getters), so a
  // request pays for one small object until it reads a loader.
  const proto: object = {};
  for (const factory of factories) {
    let keys: string[];
    try {
      keys = Object.keys(factory(untouchable, true));
    } catch {
      eager.push(factory);
      continue;
    }
    const make = (self: Made): Record<string, unknown> => {
      const made = factory(self[EM], self[BATCH]) as Record<string, unknown>;
      for (const k of keys) Object.defineProperty(self, k, { value: made[k], enumerable: true, writable: true, configurable: true });
      return made;
    };
    for (const k of keys)
      Object.defineProperty(proto, k, {
        get(this: Made) {
          return make(this)[k];
        },
        enumerable: false,
        configurable: true,
      });
  }
  return (em, batch) => {
    const out = Object.create(proto) as Made;
    out[EM] = em;
    out[BATCH] = batch;
    for (const f of eager) Object.assign(out, f(em, batch));
    return out as unknown as Loaders;
  };
}

/**
 * Forgets everything a request has read so far: its identity map and every loader's cache.
 * A mutation's payload is read after this, so it shows the state the mutation left (a
 * native update does not touch entities already loaded, and loaders keep what they served).
 */
export function forgetReads(em: EntityManager, loaders: Loaders): void {
  em.clear();
  const visit = (value: unknown): void => {
    if (value instanceof DataLoader) value.clearAll();
    else if (value && typeof value === 'object') Object.values(value).forEach(visit);
  };
  visit(loaders);
}

const contextLoaders = new WeakMap<Loaders, Map<string, DataLoader<unknown, unknown>>>();

/**
 * A batch loader made once per request under `key`, beside the modules' loaders: for loads whose
 * rules need the request's context (what the caller may read), which the modules' loaders, made
 * from the EntityManager alone, cannot apply. Not walked by `forgetReads`: such a loader batches
 * and keeps nothing (`cache: false`, see visibleRef), since a subscription's context outlives its events.
 */
export function requestLoader<K, V>(loaders: Loaders, key: string, make: () => DataLoader<K, V>): DataLoader<K, V> {
  let mine = contextLoaders.get(loaders);
  if (!mine) contextLoaders.set(loaders, (mine = new Map<string, DataLoader<unknown, unknown>>()));
  let loader = mine.get(key) as DataLoader<K, V> | undefined;
  if (!loader) {
    loader = make();
    mine.set(key, loader);
  }
  return loader;
}
