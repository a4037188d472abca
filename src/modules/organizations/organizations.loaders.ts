import { raw, type EntityManager } from '@mikro-orm/core';
import type { QueryBuilder, EntityManager as SqlEntityManager } from '@mikro-orm/sql';
import DataLoader from 'dataloader';
import { AppError } from '../../common/errors.js';
import { isId } from '../../common/ids.js';
import { connectionPage, decodeCursor, encodeCursor, type ConnectionPage, type PageRequest } from '../../graphql/relay.js';
import type { MembershipLookup } from '../../common/loaders.js';
import { Membership, OrganizationRole, ROLE_RANK, Team, type OrgRole } from './organizations.entities.js';

/** `${organizationId}:${userId}` */
export const membershipKey = (organizationId: string, userId: string): string => `${organizationId}:${userId}`;

/** A page of members: of an organization, or of one team in it. */
export interface MembersPageKey {
  organizationId: string;
  teamId: string | null;
  limit: number;
  offset: number;
}

/** One page of a nested connection: the parent (an organization or a team) and the page asked for. */
export interface ConnectionKey {
  parent: string;
  request: PageRequest;
}

/**
 * How a nested connection is cut: the entity, the parent it is partitioned by, and its one
 * sort key (ties broken by id). Its cursors hold the sort key's value and the id.
 */
interface KeysetSpec<T extends { id: string }> {
  entity: typeof Membership | typeof Team;
  parent: { property: 'organization' | 'team'; column: string };
  key: { property: keyof T & string; column: string; kind: 'date' | 'string' };
  populate?: readonly string[];
}

/** The sort key and id a cursor holds, or validation_error naming the argument. */
function keysetValues(spec: KeysetSpec<{ id: string }>, cursor: string, arg: string): [unknown, string] {
  const [value, id] = decodeCursor(cursor, 2, arg);
  const bad = () => AppError.validation([{ loc: [arg], message: 'must be a cursor from this connection' }]);
  if (!isId(id)) throw bad();
  if (spec.key.kind === 'date') {
    // Cursors read ISO instants back as Dates.
    const d = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : null;
    if (!d || Number.isNaN(d.getTime())) throw bad();
    return [d, id];
  }
  if (typeof value !== 'string') throw bad();
  return [value, id];
}

/**
 * Pages of a nested connection for many parents at once: keys asking for the same page
 * (same first/after/last/before) are one statement, the rows cut per parent by a window
 * function over the keyset (sort key, id), then one statement loads the rows. A cursor is a
 * position in the order, not a row: it stays valid when rows are added or removed. A page
 * from a cursor costs one statement more, saying which parents have rows on its other side.
 */
async function keysetPages<T extends { id: string }>(
  em: EntityManager,
  spec: KeysetSpec<T>,
  keys: readonly ConnectionKey[],
  total: (parent: string) => Promise<number>,
): Promise<ConnectionPage<T>[]> {
  const groups = new Map<string, ConnectionKey[]>();
  for (const k of keys) {
    const g = JSON.stringify(k.request);
    groups.set(g, [...(groups.get(g) ?? []), k]);
  }
  const result = new Map<ConnectionKey, ConnectionPage<T>>();
  const sql = em as SqlEntityManager;
  const { property: key, column } = spec.key;
  for (const group of groups.values()) {
    const request = group[0]!.request;
    const backward = request.last !== undefined;
    const size = (backward ? request.last : request.first) ?? 0;
    const cursor = backward ? request.before : request.after;
    const dir = backward ? 'desc' : 'asc';
    const parents = { [spec.parent.property]: { $in: [...new Set(group.map((k) => k.parent))] } };
    let where: Record<string, unknown> = parents;
    // The parents with rows at or beyond the cursor, on the side not paged: the flag of that side.
    let beyond = new Set<string>();
    if (cursor !== undefined) {
      const [value, id] = keysetValues(spec as KeysetSpec<{ id: string }>, cursor, backward ? 'before' : 'after');
      const op = backward ? '$lt' : '$gt';
      where = { ...where, $or: [{ [key]: { [op]: value } }, { [key]: value, id: { [op]: id } }] };
      // Not "a cursor was given": nothing lies beyond one past an end, or of a row since deleted.
      const [strict, or] = backward ? ['$gt', '$gte'] : ['$lt', '$lte'];
      const rows = await sql
        .createQueryBuilder(spec.entity as typeof Membership, 'e')
        .select(raw(`distinct e.${spec.parent.column} as parent`))
        .where({ ...parents, $or: [{ [key]: { [strict]: value } }, { [key]: value, id: { [or]: id } }] } as never)
        .execute<{ parent: string }[]>('all', false);
      beyond = new Set(rows.map((r) => String(r.parent)));
    }
    const ranked = sql
      .createQueryBuilder(spec.entity as typeof Membership, 'e')
      .select(['e.id', raw(`row_number() over (partition by e.${spec.parent.column} order by e.${column} ${dir}, e.id ${dir})`).as('rn')])
      .where(where as never);
    // One row more than asked tells whether the page has a next (or previous) one. The pages are
    // cut by the window function in a subquery and loaded in the same statement, in page order.
    const page = sql
      .createQueryBuilder(ranked as unknown as QueryBuilder<Membership>, 'ranked')
      .select(raw('ranked.id'))
      .where(raw('ranked.rn <= ?', [size + 1]));
    const loaded = (await em.find(
      spec.entity as typeof Membership,
      { id: { $in: page as never } },
      { orderBy: { [key]: dir, id: dir } as never, ...(spec.populate ? { populate: spec.populate as never } : {}) },
    )) as unknown as T[];
    const parentOf = (e: T) => (e as unknown as Record<string, { id: string } | null | undefined>)[spec.parent.property]?.id;
    for (const k of group) {
      const mine = loaded.filter((e) => parentOf(e) === k.parent);
      const more = mine.length > size;
      const items = mine.slice(0, size);
      if (backward) items.reverse();
      const edges = items.map((node) => ({ cursor: encodeCursor([node[key], node.id]), node }));
      result.set(
        k,
        connectionPage(
          edges,
          {
            // Exact both ways: the direction of paging by the row read past the page, the other by `beyond`.
            hasNextPage: backward ? beyond.has(k.parent) : more,
            hasPreviousPage: backward ? more : beyond.has(k.parent),
            startCursor: edges[0]?.cursor ?? null,
            endCursor: edges.at(-1)?.cursor ?? null,
          },
          () => total(k.parent),
        ),
      );
    }
  }
  return keys.map((k) => result.get(k)!);
}

const MEMBERS_BY_ORGANIZATION: KeysetSpec<Membership> = {
  entity: Membership,
  parent: { property: 'organization', column: 'organization_id' },
  key: { property: 'joinedAt', column: 'joined_at', kind: 'date' },
  populate: ['user', 'team'],
};
const MEMBERS_BY_TEAM: KeysetSpec<Membership> = { ...MEMBERS_BY_ORGANIZATION, parent: { property: 'team', column: 'team_id' } };
const TEAMS_BY_ORGANIZATION: KeysetSpec<Team> = {
  entity: Team,
  parent: { property: 'organization', column: 'organization_id' },
  key: { property: 'nameNormalized', column: 'name_normalized', kind: 'string' },
};

const connectionKey = (k: ConnectionKey): string => `${k.parent}|${JSON.stringify(k.request)}`;

async function countBy(em: EntityManager, column: 'organization' | 'team', ids: readonly string[]): Promise<Map<string, number>> {
  const rows = (await (em as SqlEntityManager)
    .createQueryBuilder(Membership, 'm')
    .select([column, raw('count(*) as n')])
    .where({ [column]: { $in: [...ids] } })
    .groupBy(column)
    .execute<Record<string, unknown>[]>('all', false));
  const col = column === 'organization' ? 'organization_id' : 'team_id';
  return new Map(rows.map((r) => [String(r[col]), Number(r.n)]));
}

/**
 * Batch loaders for organizations: whatever a page of organizations asks for (viewer
 * roles, member counts, member pages, teams), each kind costs one or two statements.
 */
export function organizationLoaders(em: EntityManager, batch = true) {
  const team = new DataLoader<string, Team | null>(async (ids) => {
    const rows = await em.find(Team, { id: { $in: [...ids] } });
    return ids.map((id) => rows.find((t) => t.id === id) ?? null);
  }, { batch });
  const memberCount = new DataLoader<string, number>(async (orgIds) => {
    const counts = await countBy(em, 'organization', orgIds);
    return orgIds.map((id) => counts.get(id) ?? 0);
  }, { batch });
  const teamMemberCount = new DataLoader<string, number>(async (teamIds) => {
    const counts = await countBy(em, 'team', teamIds);
    return teamIds.map((id) => counts.get(id) ?? 0);
  }, { batch });
  const teamCount = new DataLoader<string, number>(async (orgIds) => {
    const rows = (await (em as SqlEntityManager)
      .createQueryBuilder(Team, 't')
      .select(['organization', raw('count(*) as n')])
      .where({ organization: { $in: [...orgIds] } })
      .groupBy('organization')
      .execute<Record<string, unknown>[]>('all', false));
    const counts = new Map(rows.map((r) => [String(r.organization_id), Number(r.n)]));
    return orgIds.map((id) => counts.get(id) ?? 0);
  }, { batch });
  return {
    membership: new DataLoader<string, Membership | null>(async (keys) => {
      const pairs = keys.map((k) => k.split(':') as [string, string]);
      const rows = await em.find(Membership, {
        organization: { $in: [...new Set(pairs.map((p) => p[0]))] },
        user: { $in: [...new Set(pairs.map((p) => p[1]))] },
      });
      const byKey = new Map(rows.map((m) => [membershipKey(m.organization.id, m.user.id), m]));
      return keys.map((k) => byKey.get(k) ?? null);
    }, { batch }),

    memberCount,
    teamMemberCount,
    teamCount,

    teams: new DataLoader<string, Team[]>(async (orgIds) => {
      const rows = await em.find(Team, { organization: { $in: [...orgIds] } }, { orderBy: { nameNormalized: 'asc', id: 'asc' } });
      // A team listed here is known by id for the rest of the request (members of a team check it).
      for (const t of rows) team.prime(t.id, t);
      return orgIds.map((id) => rows.filter((t) => t.organization.id === id));
    }, { batch }),

    team,

    /** Connection pages of members, per organization. */
    members: new DataLoader<ConnectionKey, ConnectionPage<Membership>, string>((keys) => keysetPages(em, MEMBERS_BY_ORGANIZATION, keys, (id) => memberCount.load(id)), {
      batch,
      cacheKeyFn: connectionKey,
    }),

    /** Connection pages of members, per team. */
    teamMembers: new DataLoader<ConnectionKey, ConnectionPage<Membership>, string>((keys) => keysetPages(em, MEMBERS_BY_TEAM, keys, (id) => teamMemberCount.load(id)), {
      batch,
      cacheKeyFn: connectionKey,
    }),

    /** Connection pages of teams, per organization; the teams are then known by id for the request. */
    teamPages: new DataLoader<ConnectionKey, ConnectionPage<Team>, string>(
      async (keys) => {
        const pages = await keysetPages(em, TEAMS_BY_ORGANIZATION, keys, (id) => teamCount.load(id));
        for (const p of pages) for (const e of p.edges) team.prime(e.node.id, e.node);
        return pages;
      },
      { batch, cacheKeyFn: connectionKey },
    ),

    /** Pages cut per organization (or team) by a window function, in the statement that loads them. */
    membersPage: new DataLoader<MembersPageKey, Membership[], string>(
      async (keys) => {
        const groups = new Map<string, MembersPageKey[]>();
        for (const k of keys) {
          const g = `${k.teamId === null ? 'org' : 'team'}|${k.limit}|${k.offset}`;
          groups.set(g, [...(groups.get(g) ?? []), k]);
        }
        const result = new Map<MembersPageKey, Membership[]>();
        for (const group of groups.values()) {
          const { limit, offset } = group[0]!;
          const byTeam = group[0]!.teamId !== null;
          const partition = byTeam ? 'team_id' : 'organization_id';
          const ids = byTeam ? group.map((k) => k.teamId!) : group.map((k) => k.organizationId);
          const ranked = (em as SqlEntityManager)
            .createQueryBuilder(Membership, 'm')
            .select(['m.id', raw(`row_number() over (partition by m.${partition} order by m.joined_at, m.id)`).as('rn')])
            .where({ [byTeam ? 'team' : 'organization']: { $in: ids } });
          // The page's cut is a subquery of the statement that loads it.
          const page = (em as SqlEntityManager)
            .createQueryBuilder(ranked as unknown as QueryBuilder<Membership>, 'ranked')
            .select(raw('ranked.id'))
            .where(raw('ranked.rn > ? and ranked.rn <= ?', [offset, offset + limit]));
          const members = await em.find(Membership, { id: { $in: page as never } }, { populate: ['user', 'team'], orderBy: { joinedAt: 'asc', id: 'asc' } });
          for (const k of group) {
            result.set(k, members.filter((m) => (byTeam ? m.team?.id === k.teamId : m.organization.id === k.organizationId)));
          }
        }
        return keys.map((k) => result.get(k) ?? []);
      },
      { batch, cacheKeyFn: (k) => `${k.organizationId}|${k.teamId}|${k.limit}|${k.offset}` },
    ),
  };
}

export type OrganizationLoaders = ReturnType<typeof organizationLoaders>;

/** A role's rank; an unknown role is a programming error. */
function rankOf(role: string): number {
  const rank = ROLE_RANK[role as OrgRole] as number | undefined;
  if (rank === undefined) throw new Error(`unknown organization role: ${role}`);
  return rank;
}

/** The roles at least as high as `minRole` (every role without one). */
const rolesFrom = (minRole?: string): OrgRole[] => OrganizationRole.values.filter((r) => minRole === undefined || rankOf(r) >= rankOf(minRole));

/**
 * Membership lookups for common/access.ts and the other modules, which never query memberships
 * themselves: through the request's loaders (`ctx.loaders.memberships`, batched), or over an
 * EntityManager outside a request.
 */
export function membershipLookup(em: EntityManager, membership?: DataLoader<string, Membership | null>): MembershipLookup {
  return {
    find: (organizationId, userId) => (membership ? membership.load(membershipKey(organizationId, userId)) : em.findOne(Membership, { organization: organizationId, user: userId })),
    rank: rankOf,
    organizationIds: async (userId, minRole) =>
      (await em.find(Membership, { user: userId, ...(minRole ? { role: { $in: rolesFrom(minRole) } } : {}) }, { fields: ['organization'] })).map((m) => m.organization.id),
    memberIds: async (organizationId, minRole) =>
      (await em.find(Membership, { organization: organizationId, ...(minRole ? { role: { $in: rolesFrom(minRole) } } : {}) }, { fields: ['user'] })).map((m) => m.user.id),
  };
}
