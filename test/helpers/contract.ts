import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { ERROR_CODES, GRAPHQL_ONLY_CODES } from '../../src/common/errors.js';
import { allRoutes } from '../../src/modules/index.js';
import type { RestRoute } from '../../src/rest/route-table.js';

/**
 * Every REST answer a test receives is checked against what its route declares: a success
 * body must parse with the route's response schema to exactly itself (no missing, extra or
 * mistyped field), and an error must be the documented envelope with a known code. A test
 * that receives an undeclared shape fails there, whatever it asserts afterwards.
 */

const envelope = z.object({
  // REST answers the codes of the one list, never the GraphQL-only ones (documents' errors).
  detail: z.looseObject({ error: z.enum(Object.keys(ERROR_CODES).filter((c) => !GRAPHQL_ONLY_CODES.has(c as never)) as [string, ...string[]]), message: z.string() }),
});

interface Matcher {
  route: RestRoute;
  pattern: RegExp;
}

const matchers: Matcher[] = allRoutes.map((route) => ({
  route,
  pattern: new RegExp(`^${route.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{\w+\}/g, '[^/]+')}$`),
}));

/** The route a request reaches, if it is one of the table's (the most literal match wins). */
export function routeOf(method: string, path: string): RestRoute | null {
  const bare = path.split('?')[0]!;
  const found = matchers.filter((m) => m.route.method === method.toUpperCase() && m.pattern.test(bare));
  found.sort((a, b) => (a.route.path.match(/\{/g)?.length ?? 0) - (b.route.path.match(/\{/g)?.length ?? 0));
  return found[0]?.route ?? null;
}

export class ContractError extends Error {
  override name = 'ContractError';
}

/** Throws ContractError when `body` is not what the route declares for `status`. */
export function checkResponse(method: string, path: string, status: number, contentType: string, body: unknown): void {
  const route = routeOf(method, path);
  if (!route) return;
  const where = `${method} ${path.split('?')[0]} → ${status}`;
  if (status >= 400) {
    // A body the HTTP parser answered before any route (or a proxy's) is not the route's to declare.
    if (!contentType.includes('json')) return;
    const r = envelope.safeParse(body);
    if (!r.success) throw new ContractError(`${where}: not the error envelope: ${JSON.stringify(body).slice(0, 300)}: ${r.error.message}`);
    return;
  }
  if (status === 302 || contentType.includes('text/event-stream')) return;
  const res = route.response;
  if (res.status === 204) {
    if (status !== 204) throw new ContractError(`${where}: the route answers 204`);
    return;
  }
  // A route whose status depends on the result (201 created, 200 already there) may answer 200 too.
  const alsoOk = !('file' in res) && !res.list && 'statusOf' in res && res.statusOf && status === 200;
  if (status !== res.status && !alsoOk) throw new ContractError(`${where}: the route declares ${res.status}`);
  if ('file' in res) return;
  const schema = res.list ? z.array(res.schema) : res.schema;
  const r = schema.safeParse(body);
  if (!r.success) throw new ContractError(`${where}: the body does not match the declared response schema: ${r.error.message}\n${JSON.stringify(body).slice(0, 500)}`);
  // Parsing strips undeclared fields: what survives must be the whole body.
  if (!isDeepStrictEqual(JSON.parse(JSON.stringify(r.data)), body)) {
    throw new ContractError(`${where}: the body has fields the response schema does not declare, or values it changes:\n${JSON.stringify(body).slice(0, 500)}\nparsed: ${JSON.stringify(r.data).slice(0, 500)}`);
  }
}
