import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/**
 * The console's page allows only its own origin: scripts, styles, the audio worklet, and
 * connections (GraphQL over HTTP and WebSocket, the live socket). Nothing inline, nothing remote.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** dist/console under the package root, found from this file (in src/ under test, dist/src/ when built). */
export function consoleBuildDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'dist', 'console');
}

/**
 * Serves the web console (console/, built by Vite into dist/console by `npm run build`) at
 * /console/. Hashed assets are cached for good; the page itself is revalidated.
 */
export async function registerConsole(app: FastifyInstance, root = consoleBuildDir()): Promise<void> {
  if (!existsSync(join(root, 'index.html'))) {
    app.log.warn({ root }, 'the web console is not built (npm run build); /console answers 503');
    app.get('/console', (_req, reply) => reply.redirect('/console/'));
    app.get('/console/*', (_req, reply) => reply.code(503).type('text/plain; charset=utf-8').send('The web console is not built: run `npm run build`.\n'));
    return;
  }
  app.get('/console', (_req, reply) => reply.redirect('/console/'));
  await app.register(fastifyStatic, {
    root,
    prefix: '/console/',
    decorateReply: false,
    index: ['index.html'],
    wildcard: true,
    cacheControl: false,
    setHeaders: (res, path) => {
      res.setHeader('content-security-policy', CONSOLE_CSP);
      res.setHeader('x-content-type-options', 'nosniff');
      res.setHeader('referrer-policy', 'no-referrer');
      res.setHeader('cache-control', /[\\/]assets[\\/]/.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
}
