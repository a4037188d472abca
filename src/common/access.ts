import type { RequestContext } from './context.js';
import type { MembershipRecord } from './loaders.js';
import { isId } from './ids.js';
import { AppError } from './errors.js';
import type { Principal } from './principal.js';
import { API_SCOPE_LIKE, type IntegrationScope } from './integration-scopes.js';
import { grants, type Requirement } from './scopes.js';

/** A caller without credentials where an operation needs some. */
export const notAuthenticated = (): AppError => new AppError('not_authenticated', 'Authentication required: send Authorization: Bearer <access_token> or X-API-Key');

/**
 * The first line of every service method that needs a caller: authenticated, and for an
 * API key, holding the operation's scope (or refused outright for bearer-only operations).
 * Organization role checks come after this, in `requireRole`. An integration token passes only
 * where its scopes reach: `xel:read` and `live:read` where an API key with that scope would,
 * and `integration` for the operation that names it (the live quota for `quota:read`...);
 * anything else is forbidden.
 * @throws the credentials' own error (invalid_token...), not_authenticated, forbidden, INSUFFICIENT_API_KEY_SCOPE
 */
export function authorize(ctx: RequestContext, need: Requirement, integration?: IntegrationScope): Principal {
  if (ctx.authError) throw ctx.authError;
  const p = ctx.principal;
  if (!p) throw notAuthenticated();
  if (p.kind === 'integration') {
    const named = integration !== undefined && p.scopes.includes(integration);
    const likeKey = need !== 'bearer' && p.scopes.some((s) => API_SCOPE_LIKE.has(s as IntegrationScope) && grants([s], need));
    if (!named && !likeKey) throw new AppError('forbidden', `This integration token does not cover this operation (its scopes: ${p.scopes.join(', ')})`);
    return p;
  }
  if (p.kind === 'apiKey') {
    if (need === 'bearer') throw new AppError('forbidden', "This operation needs a user's bearer token; API keys are refused");
    if (!grants(p.scopes, need)) {
      throw new AppError('INSUFFICIENT_API_KEY_SCOPE', `This API key lacks the scope ${need}`, {
        required_scope: need,
        granted_scopes: [...p.scopes],
      });
    }
  }
  return p;
}

/** A user's own bearer session: for operations that API keys may not perform. */
export function requireUser(ctx: RequestContext): Extract<Principal, { kind: 'user' }> {
  return authorize(ctx, 'bearer') as Extract<Principal, { kind: 'user' }>;
}

/**
 * The caller's membership of an organization, after `authorize`. Someone outside the
 * organization, or an API key of another one, gets not_found (never forbidden), so ids
 * cannot be probed; a member below `minRole` gets forbidden.
 * @throws as `authorize`, not_found, forbidden
 */
export async function requireMembership(ctx: RequestContext, organizationId: string, need: Requirement, minRole = 'member'): Promise<MembershipRecord> {
  const p = authorize(ctx, need);
  if (!isId(organizationId) || (p.kind !== 'user' && p.organizationId !== organizationId)) throw AppError.notFound('Organization');
  const lookup = ctx.loaders.memberships;
  const membership = await lookup.find(organizationId, p.userId);
  if (!membership) throw AppError.notFound('Organization');
  if (lookup.rank(membership.role) < lookup.rank(minRole)) {
    throw new AppError('forbidden', `This needs the ${minRole} role in the organization; you are ${membership.role}`);
  }
  return membership;
}
