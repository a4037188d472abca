import fastifyStatic from '@fastify/static';
import { getDistDirectory, renderAltair } from 'altair-static';
import type { FastifyInstance, FastifyRequest } from 'fastify';

const ASSETS = '/graphql/ide/';

/** Altair's assets, served from the installed package: the IDE works on a closed network. */
export async function registerIdeAssets(app: FastifyInstance): Promise<void> {
  await app.register(fastifyStatic, { root: getDistDirectory(), prefix: ASSETS, decorateReply: false, index: false });
}

/** The IDE page, pointed at this server's HTTP and WebSocket endpoints. */
export function ideHtml(req: FastifyRequest): string {
  return renderAltair({
    baseURL: ASSETS,
    endpointURL: '/graphql',
    subscriptionsEndpoint: '/graphql',
    subscriptionsProtocol: req.protocol === 'https' ? 'wss' : 'ws',
    initialSubscriptionRequestHandlerId: 'graphql-ws',
    initialName: 'Xentree gateway',
    initialSettings: { theme: 'system' } as never,
    disableAccount: true,
  });
}
