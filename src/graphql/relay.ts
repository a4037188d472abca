import { Cursor, type EntityManager, type EntityName, type FilterQuery, type FindByCursorOptions, type OrderDefinition } from '@mikro-orm/core';
import { ArgsType, Extensions, Field, ID, Int, InterfaceType, ObjectType, type ClassType } from 'type-graphql';
import { z } from 'zod';
import { AppError } from '../common/errors.js';
import { parseInput } from '../common/validation.js';
import { ValidatedBy } from './inputs.js';
import { WORKED_OUT_WHEN_READ } from './tracing.js';

/**
 * Relay's object identification and cursor connections
 * (https://relay.dev/graphql/connections.htm), written once for every module.
 */

@InterfaceType('Node', { description: 'An object with a global id: `node(id:)` and `nodes(ids:)` fetch it again by that id, which is the same id REST uses.' })
export abstract class Node {
  @Field(() => ID, { description: 'The id, the same value REST uses.' })
  id!: string;
}

@ObjectType('PageInfo', { description: 'Where a page of a connection sits in the whole list (Relay cursor connections).' })
export class PageInfo {
  /** A promise where finding out costs a statement, made only when a query selects the flag (see `findConnection`). */
  @Field(() => Boolean, { description: 'More edges exist after `endCursor` (after `before` on an empty backward page); exact both ways, false past the end.' })
  hasNextPage!: boolean | Promise<boolean>;

  @Field(() => Boolean, { description: 'More edges exist before `startCursor` (before `after` on an empty forward page); exact both ways, false before the start.' })
  hasPreviousPage!: boolean | Promise<boolean>;

  @Field(() => String, { nullable: true, description: 'The cursor of the first edge of the page; null for an empty page.' })
  startCursor!: string | null;

  @Field(() => String, { nullable: true, description: 'The cursor of the last edge of the page; null for an empty page.' })
  endCursor!: string | null;
}

/** The most edges one page may hold. */
export const MAX_PAGE = 100;
/** A page's size when neither `first` nor `last` is given. */
export const DEFAULT_PAGE = 20;

const count = () =>
  z
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(0, 'must be at least 0')
    .max(MAX_PAGE, `must be at most ${MAX_PAGE}`)
    .nullish();
const cursor = z.string({ error: 'must be a cursor' }).max(1024, 'must be a cursor from this connection').nullish();

/** The four connection arguments, checked the same everywhere. */
export const connectionArgsSchema = z
  .object({ first: count(), after: cursor, last: count(), before: cursor })
  .superRefine((v, ctx) => {
    if (v.first != null && v.last != null) ctx.addIssue({ code: 'custom', path: ['last'], message: 'give first (forward) or last (backward), not both' });
    if (v.after != null && v.before != null) ctx.addIssue({ code: 'custom', path: ['before'], message: 'give after (forward) or before (backward), not both' });
    // A cursor of the other direction would be dropped without a word: refused instead.
    else if (v.first != null && v.before != null) ctx.addIssue({ code: 'custom', path: ['before'], message: 'first pages forward, from after; give last with before to page backward' });
    else if (v.last != null && v.after != null) ctx.addIssue({ code: 'custom', path: ['after'], message: 'last pages backward, from before; give first with after to page forward' });
  });

@ValidatedBy(connectionArgsSchema)
@ArgsType()
export class ConnectionArgs {
  @Field(() => Int, { nullable: true, description: `Forward paging: at most this many edges after \`after\` (0 to ${MAX_PAGE}; ${DEFAULT_PAGE} when neither first nor last is given).` })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'Forward paging: the edges after this cursor (an `endCursor` or an edge\'s `cursor`).' })
  after?: string | null;

  @Field(() => Int, { nullable: true, description: `Backward paging: at most this many edges before \`before\` (0 to ${MAX_PAGE}).` })
  last?: number | null;

  @Field(() => String, { nullable: true, description: 'Backward paging: the edges before this cursor (a `startCursor` or an edge\'s `cursor`).' })
  before?: string | null;
}

/** Validated connection arguments: exactly one direction and a page size. */
export interface PageRequest {
  first?: number;
  after?: string;
  last?: number;
  before?: string;
}

/** Checks the arguments (validation_error naming first/last/after/before) and settles the direction. */
export function pageRequest(args: ConnectionArgs | PageRequest | undefined): PageRequest {
  const v = parseInput(connectionArgsSchema, args ?? {});
  if (v.last != null || (v.before != null && v.first == null)) return { last: v.last ?? DEFAULT_PAGE, ...(v.before != null ? { before: v.before } : {}) };
  return { first: v.first ?? DEFAULT_PAGE, ...(v.after != null ? { after: v.after } : {}) };
}

/** One page of a connection, as its GraphQL type serves it. `totalCount` is computed only when asked for. */
export interface ConnectionPage<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: PageInfo;
  readonly totalCount: Promise<number> | number;
}

/** A connection whose total is counted on first read (a getter: only a query selecting it pays the count). */
export function connectionPage<T>(edges: { cursor: string; node: T }[], pageInfo: PageInfo, total: () => Promise<number> | number): ConnectionPage<T> {
  let memo: Promise<number> | number | undefined;
  return {
    edges,
    pageInfo,
    get totalCount() {
      return (memo ??= total());
    },
  };
}

/**
 * Cursors are opaque to clients: base64url of the sort key's values and the id, as MikroORM
 * writes them, so a cursor stays valid when rows are inserted before or after it.
 */
export const encodeCursor = (values: readonly unknown[]): string => Cursor.encode(values.map((v) => (v instanceof Date ? v.toISOString() : v)));

/** The values a cursor holds, or validation_error naming the argument when it is not a cursor of this shape. */
export function decodeCursor(value: string, arity: number, arg = 'after'): unknown[] {
  let values: unknown;
  try {
    values = Cursor.decode(value);
  } catch {
    values = null;
  }
  const plain = (v: unknown) => v === null || v instanceof Date || ['string', 'number', 'boolean'].includes(typeof v);
  if (!Array.isArray(values) || values.length !== arity || !values.every(plain)) throw AppError.validation([{ loc: [arg], message: 'must be a cursor from this connection' }]);
  return values;
}

/** The position a positional cursor holds (see `offsetConnection`), or validation_error naming the argument. */
export function positionOf(cursor: string, arg: string): number {
  const [n] = decodeCursor(cursor, 1, arg);
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw AppError.validation([{ loc: [arg], message: 'must be a cursor from this connection' }]);
  return n;
}

/**
 * One page of a list whose order is computed per request (a ranking, figures of the moment),
 * with no stored key to page by: the cursor is the item's position in the list as ordered.
 * `fetch(offset, limit)` reads that slice (and, when it can say so at no cost, the list's
 * size); `count()` counts the list, asked at most once and only when needed (`last` without
 * `before`, or a selected `totalCount` that no fetch told). Pages read one row more than they
 * show (but a last page, which ends the list), which says whether another follows.
 */
export async function offsetConnection<T>(
  request: PageRequest,
  fetch: (offset: number, limit: number) => Promise<{ items: T[]; total: number | null }>,
  count: () => Promise<number>,
): Promise<ConnectionPage<T>> {
  let counted: Promise<number> | undefined;
  const total = (): Promise<number> => (counted ??= count());
  let start: number;
  let size: number;
  let hasNextPage: boolean | null = null;
  if (request.last !== undefined) {
    const end = request.before !== undefined ? positionOf(request.before, 'before') : await total();
    start = Math.max(0, end - request.last);
    size = end - start;
    // Without `before` the page ends the list. With it, the row read past the page says whether
    // anything follows: nothing does when `before` is past the end (the list has since shrunk).
    if (request.before === undefined) hasNextPage = false;
  } else {
    start = request.after !== undefined ? positionOf(request.after, 'after') + 1 : 0;
    size = request.first ?? DEFAULT_PAGE;
  }
  let res = size > 0 || hasNextPage === null ? await fetch(start, size + (hasNextPage === null ? 1 : 0)) : { items: [], total: null };
  if (res.total !== null) counted ??= Promise.resolve(res.total);
  if (hasNextPage === null) hasNextPage = res.items.length > size;
  if (request.last !== undefined && request.before !== undefined && res.items.length < size) {
    // `before` is past the end (the list has shrunk below it since): the edges before it are the
    // whole list, so the page is its last `last` items. The short read says where the list ends
    // (positions have no gaps), or, when it read nothing, a count does.
    const end = res.items.length > 0 ? start + res.items.length : Math.min(start, await total());
    const from = Math.max(0, end - request.last);
    if (from !== start || end - from !== res.items.length) res = await fetch(from, end - from);
    start = from;
    size = end - from;
  }
  const edges = res.items.slice(0, size).map((node, i) => ({ cursor: encodeCursor([start + i]), node }));
  // Items precede the page when it starts past position 0, unless a cursor past the end of an empty list put it there.
  const hasPreviousPage = start > 0 && (edges.length > 0 || (await total()) > 0);
  return connectionPage(edges, { hasNextPage, hasPreviousPage, startCursor: edges[0]?.cursor ?? null, endCursor: edges.at(-1)?.cursor ?? null }, total);
}

/** Whether a cursor's value can be a sort key's (a property of that runtime type). */
function fitsKey(prop: { runtimeType?: string; nullable?: boolean } | undefined, v: unknown): boolean {
  if (v === null) return prop?.nullable === true;
  switch (prop?.runtimeType) {
    case 'Date':
      return v instanceof Date || (typeof v === 'string' && Number.isFinite(Date.parse(v)));
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'string':
      return typeof v === 'string';
    case 'boolean':
      return typeof v === 'boolean';
    default:
      return true;
  }
}

/**
 * One page of an entity list, keyset-paginated by MikroORM's `findByCursor`. `orderBy` must
 * end with a unique column (the id) so every row has its own cursor.
 */
export async function findConnection<T extends object>(
  em: EntityManager,
  entity: EntityName<T>,
  where: FilterQuery<T>,
  request: PageRequest,
  orderBy: OrderDefinition<T>,
  options: Omit<FindByCursorOptions<T, never, '*', never, false>, 'where' | 'orderBy' | 'first' | 'last' | 'before' | 'after' | 'includeCount'> = {},
): Promise<ConnectionPage<T>> {
  // A cursor is checked before it reaches SQL: base64url JSON holding one value per sort key, each
  // of its key's type (a cursor of another connection, of another shape, is refused here).
  const keys = (Array.isArray(orderBy) ? (orderBy as object[]) : [orderBy as object]).flatMap((o) => Object.keys(o));
  const properties = em.getMetadata().get(entity).properties as Record<string, { runtimeType?: string; nullable?: boolean } | undefined>;
  for (const arg of ['after', 'before'] as const) {
    const value = request[arg];
    if (value === undefined) continue;
    const values = decodeCursor(value, keys.length, arg);
    if (!values.every((v, i) => fitsKey(properties[keys[i]!], v))) throw AppError.validation([{ loc: [arg], message: 'must be a cursor from this connection' }]);
  }
  if (request.last === 0) {
    // MikroORM takes a `last` of 0 for a forward page (no edges, and the forward page's flags):
    // an empty backward page is asked as one edge, which says whether any precede it.
    const probe = await findConnection(em, entity, where, { ...request, last: 1 }, orderBy, options);
    return connectionPage([], { hasNextPage: probe.pageInfo.hasNextPage, hasPreviousPage: probe.edges.length > 0, startCursor: null, endCursor: null }, () => probe.totalCount);
  }
  const page = await em.findByCursor(entity, { ...options, ...request, where, orderBy, includeCount: false } as never);
  const items = page.items as T[];
  const edges = items.map((node) => ({ cursor: page.from(node), node }));
  // MikroORM answers the flag of the direction not paged with "a cursor was given": true even when
  // nothing lies beyond it (a cursor past an end, or of a row since deleted), which Relay forbids.
  // One row read past the page's far edge (the whole list when the page is empty) says it exactly:
  // read only when a query selects that flag (a getter, as `totalCount`), so the usual "load more"
  // (`pageInfo { hasNextPage endCursor }` after `after`) stays one statement.
  const backward = request.last !== undefined;
  let beyond: Promise<boolean> | undefined;
  const beyondCursor = (): Promise<boolean> | boolean => {
    if ((backward ? request.before : request.after) === undefined) return false;
    const edge = backward ? edges.at(-1) : edges[0];
    const side = backward ? { first: 1, ...(edge ? { after: edge.cursor } : {}) } : { last: 1, ...(edge ? { before: edge.cursor } : {}) };
    return (beyond ??= em.findByCursor(entity, { ...options, ...side, where, orderBy, includeCount: false } as never).then((probe) => probe.items.length > 0));
  };
  const pageInfo: PageInfo = {
    get hasNextPage() {
      return backward ? beyondCursor() : page.hasNextPage;
    },
    get hasPreviousPage() {
      return backward ? page.hasPrevPage : beyondCursor();
    },
    startCursor: edges[0]?.cursor ?? null,
    endCursor: edges.at(-1)?.cursor ?? null,
  };
  return connectionPage(edges, pageInfo, () => em.count(entity, where as FilterQuery<NoInfer<T>>));
}

/**
 * One page of a list already in memory (small fixed lists, or results computed elsewhere),
 * in the list's own order. The cursor is the item's key (its id), so it stays valid when
 * items are added: the page starts after (or ends before) wherever that item now is.
 */
export function arrayConnection<T>(items: readonly T[], request: PageRequest, keyOf: (item: T) => string): ConnectionPage<T> {
  const keys = items.map(keyOf);
  const find = (c: string, arg: string): number => {
    const [key] = decodeCursor(c, 1, arg);
    const i = keys.indexOf(String(key));
    // An item gone from the list: its cursor means "from where it was", which no longer exists.
    if (i < 0) throw AppError.validation([{ loc: [arg], message: 'must be a cursor from this connection (its item is gone)' }]);
    return i;
  };
  let start: number;
  let end: number;
  if (request.last !== undefined) {
    end = request.before !== undefined ? find(request.before, 'before') : items.length;
    start = Math.max(0, end - request.last);
  } else {
    start = request.after !== undefined ? find(request.after, 'after') + 1 : 0;
    end = Math.min(items.length, start + (request.first ?? DEFAULT_PAGE));
  }
  const edges = items.slice(start, end).map((node, i) => ({ cursor: encodeCursor([keys[start + i]]), node }));
  return connectionPage(edges, { hasNextPage: end < items.length, hasPreviousPage: start > 0, startCursor: edges[0]?.cursor ?? null, endCursor: edges.at(-1)?.cursor ?? null }, () => items.length);
}

/** Types made by `connectionType`, by node name: one Connection and one Edge type per node type. */
const made = new Map<string, ClassType>();

/**
 * The `XConnection` and `XEdge` types of a node type:
 * `XConnection { edges: [XEdge!]! pageInfo: PageInfo! totalCount: Int! }`, `XEdge { cursor: String! node: X! }`.
 *
 * @param name the node type's GraphQL name (`Conversation` → `ConversationConnection`)
 * @param node the node type (an ObjectType, interface or union)
 * @param order how the list is ordered, for the description ("newest first")
 */
export function connectionType<T>(name: string, node: () => unknown, order: string): ClassType<ConnectionPage<T>> {
  const existing = made.get(name);
  if (existing) return existing as ClassType<ConnectionPage<T>>;

  @ObjectType(`${name}Edge`, { description: `One ${name} in a connection, with its cursor.` })
  class Edge {
    @Field(() => String, { description: 'Opaque; pass it as `after` or `before` to page from this edge.' })
    cursor!: string;

    @Field(node as () => ClassType, { description: `The ${name}.` })
    node!: T;
  }

  @ObjectType(`${name}Connection`, { description: `A page of ${name} items (Relay cursor connection), ${order}.` })
  class Connection {
    @Field(() => [Edge], { description: `The ${name} items of this page, ${order}.` })
    edges!: Edge[];

    @Field(() => PageInfo, { description: 'Where this page sits in the whole list.' })
    pageInfo!: PageInfo;

    @Field(() => Int, { description: 'How many items the whole list holds (counted only when selected).' })
    // A getter of the page (connectionPage), which counts when read: traced as a resolver doing I/O.
    @Extensions({ [WORKED_OUT_WHEN_READ]: true })
    totalCount!: number;
  }

  made.set(name, Connection);
  return Connection;
}
