import fastifyStatic from '@fastify/static';
import { getDistDirectory, renderAltair, renderInitialOptions, type RenderOptions } from 'altair-static';
import type { FastifyInstance, FastifyRequest } from 'fastify';

const ASSETS = '/graphql/ide/';

/**
 * The IDE's Content-Security-Policy: everything from the gateway itself (no inline script:
 * the IDE's settings are a script file of their own), inline styles (Altair's components
 * set them), sockets to this origin for subscriptions, and its sandbox frame.
 */
export const IDE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self' ws: wss:",
  "frame-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Altair's options for this server's HTTP and WebSocket endpoints. */
const options = (req: FastifyRequest): RenderOptions => ({
  baseURL: ASSETS,
  endpointURL: '/graphql',
  subscriptionsEndpoint: '/graphql',
  subscriptionsProtocol: req.protocol === 'https' ? 'wss' : 'ws',
  initialSubscriptionRequestHandlerId: 'graphql-ws',
  initialName: 'Xentree gateway',
  initialSettings: { theme: 'system' },
  disableAccount: true,
  serveInitialOptionsInSeperateRequest: true,
});

/** Altair's assets, served from the installed package: the IDE works on a closed network. */
export async function registerIdeAssets(app: FastifyInstance): Promise<void> {
  // The page loads its settings from here instead of an inline script, so the CSP can forbid those.
  app.get(`${ASSETS}initial_options.js`, async (req, reply) => reply.type('application/javascript; charset=utf-8').send(renderInitialOptions(options(req))));
  await app.register(fastifyStatic, { root: getDistDirectory(), prefix: ASSETS, decorateReply: false, index: false });
}

/** The IDE page, pointed at this server's HTTP and WebSocket endpoints. */
export function ideHtml(req: FastifyRequest): string {
  return renderAltair(options(req));
}
