import type { RestClient } from './http.js';
import { signUp } from './factories.js';

export type SignedUp = Awaited<ReturnType<typeof signUp>>;

/** The cast of an organization: an owner, an admin, two members, and people outside it. */
export interface Cast {
  owner: SignedUp;
  admin: SignedUp;
  member: SignedUp;
  extra: SignedUp;
  stranger: SignedUp;
  newcomer: SignedUp;
}

export async function makeCast(api: RestClient): Promise<Cast> {
  const [owner, admin, member, extra, stranger, newcomer] = await Promise.all(Array.from({ length: 6 }, () => signUp(api)));
  return { owner: owner!, admin: admin!, member: member!, extra: extra!, stranger: stranger!, newcomer: newcomer! };
}

let orgCounter = 0;

/** A fresh organization owned by the cast's owner, with the admin, the members and a team. */
export async function makeOrg(api: RestClient, cast: Cast) {
  const n = ++orgCounter;
  const org = await api.post('/api/organizations', { name: `Org ${process.pid} ${n}` }, { token: cast.owner.accessToken });
  if (org.status !== 201) throw new Error(`create org: ${org.status} ${JSON.stringify(org.body)}`);
  const id = org.body.id as string;
  const team = await api.post(`/api/organizations/${id}/teams`, { name: 'Core' }, { token: cast.owner.accessToken });
  for (const [who, role] of [
    [cast.admin, 'admin'],
    [cast.member, 'member'],
    [cast.extra, 'member'],
  ] as const) {
    const res = await api.post(`/api/organizations/${id}/members`, { user_id: who.user.id, role, team_id: team.body.id }, { token: cast.owner.accessToken });
    if (res.status !== 201) throw new Error(`add member: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return { id, slug: org.body.slug as string, teamId: team.body.id as string };
}

/** An API key issued by `by` for the organization. */
export async function makeKey(api: RestClient, by: SignedUp, organizationId: string, scopes: string[], extra: Record<string, unknown> = {}) {
  const res = await api.post('/api/api-keys', { name: 'test key', organization_id: organizationId, scopes, ...extra }, { token: by.accessToken });
  if (res.status !== 201) throw new Error(`create key: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.id as string, key: res.body.key as string };
}
