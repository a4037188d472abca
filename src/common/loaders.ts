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

/** One factory from the modules' partial ones; every loader a module declares must be made by one. */
export function composeLoaders(factories: readonly ((em: EntityManager, batch: boolean) => Partial<Loaders>)[]): LoaderFactory {
  return (em, batch) => Object.assign({}, ...factories.map((f) => f(em, batch))) as Loaders;
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
