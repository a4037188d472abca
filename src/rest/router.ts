import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { camelizeKeys } from '../common/case.js';
import { createAuthenticatedContext, createContext, requireUser, type ContextRoot } from '../common/context.js';
import { AppError } from '../common/errors.js';
import { JSON_ONLY, type RestRoute } from './route-table.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Where a route reads its input from, for error locations. */
    inputSource?: 'body' | 'query';
  }
}

/** `/api/x/{id}` to Fastify's `/api/x/:id`. */
export const toFastifyPath = (path: string): string => path.replace(/\{(\w+)\}/g, ':$1');

const mediaType = (req: FastifyRequest): string => (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();

/** Where the input of a route comes from, for error locations. */
export const inputSourceOf = (req: FastifyRequest): 'body' | 'query' => req.routeOptions.config?.inputSource ?? 'body';

/**
 * Mounts the route table. Each handler only authenticates, reads input and shapes
 * output: the service does the rest.
 */
export function registerRestRoutes(app: FastifyInstance, routes: readonly RestRoute[], root: ContextRoot): void {
  for (const route of routes) {
    app.route({
      method: route.method,
      url: toFastifyPath(route.path),
      config: { inputSource: route.query && !route.body ? 'query' : 'body' },
      handler: async (req: FastifyRequest, reply: FastifyReply) => {
        if (route.body && req.body !== undefined) {
          const accepted = route.body.contentTypes ?? JSON_ONLY;
          if (!accepted.includes(mediaType(req))) {
            throw new AppError('unsupported_media_type', `Send the body as ${accepted.join(' or ')}`);
          }
        }
        const base = {
          requestId: req.id,
          transport: 'rest' as const,
          log: req.log as never,
          client: { ip: req.ip ?? null, userAgent: req.headers['user-agent'] ?? null },
        };
        const ctx =
          route.auth === 'public'
            ? createContext(root, base)
            : await createAuthenticatedContext(root, base, { authorization: req.headers.authorization });
        if (route.auth === 'user') requireUser(ctx);

        const result = await route.handler(ctx, {
          body: (camelizeKeys(req.body ?? {}) as Record<string, unknown>) ?? {},
          params: req.params as Record<string, string>,
          query: camelizeKeys(req.query ?? {}) as Record<string, unknown>,
        });
        if (route.response.status === 204) return reply.code(204).send();
        return reply.code(route.response.status).send(route.response.serialize(result));
      },
    });
  }
}
