import { raw, type EntityManager } from '@mikro-orm/core';
import type { EntityManager as SqlEntityManager } from '@mikro-orm/knex';
import DataLoader from 'dataloader';
import { Membership } from './membership.entity.js';
import { Team } from './team.entity.js';

/** `${organizationId}:${userId}` */
export const membershipKey = (organizationId: string, userId: string): string => `${organizationId}:${userId}`;

/** A page of members: of an organization, or of one team in it. */
export interface MembersPageKey {
  organizationId: string;
  teamId: string | null;
  limit: number;
  offset: number;
}

async function countBy(em: EntityManager, column: 'organization' | 'team', ids: readonly string[]): Promise<Map<string, number>> {
  const rows = (await (em as SqlEntityManager)
    .createQueryBuilder(Membership, 'm')
    .select([column, raw('count(*) as n')])
    .where({ [column]: { $in: [...ids] } })
    .groupBy(column)
    .execute('all', false)) as Record<string, unknown>[];
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

    memberCount: new DataLoader<string, number>(async (orgIds) => {
      const counts = await countBy(em, 'organization', orgIds);
      return orgIds.map((id) => counts.get(id) ?? 0);
    }, { batch }),

    teamMemberCount: new DataLoader<string, number>(async (teamIds) => {
      const counts = await countBy(em, 'team', teamIds);
      return teamIds.map((id) => counts.get(id) ?? 0);
    }, { batch }),

    teams: new DataLoader<string, Team[]>(async (orgIds) => {
      const rows = await em.find(Team, { organization: { $in: [...orgIds] } }, { orderBy: { nameNormalized: 'asc' } });
      // A team listed here is known by id for the rest of the request (members of a team check it).
      for (const t of rows) team.prime(t.id, t);
      return orgIds.map((id) => rows.filter((t) => t.organization.id === id));
    }, { batch }),

    team,

    /** Pages cut per organization (or team) by a window function, then loaded in one query. */
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
          const knex = (em as SqlEntityManager).getKnex();
          const ranked = knex('memberships')
            .select('id', partition)
            .select(knex.raw('row_number() over (partition by ?? order by joined_at, id) as rn', [partition]))
            .whereIn(partition, ids);
          const rows = (await knex
            .select('id')
            .from(ranked.as('ranked'))
            .where('rn', '>', offset)
            .andWhere('rn', '<=', offset + limit)) as { id: string }[];
          const members = rows.length
            ? await em.find(Membership, { id: { $in: rows.map((r) => r.id) } }, { populate: ['user', 'team'], orderBy: { joinedAt: 'asc', id: 'asc' } })
            : [];
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
