import 'reflect-metadata';
import { ConfigError, loadConfig } from './config.js';

/**
 * Reads config, builds the app, listens, and shuts down cleanly on SIGTERM/SIGINT. With
 * OTEL_EXPORTER_OTLP_ENDPOINT set, tracing starts first (src/tracing.ts, loaded only then), and
 * the app is imported after it, so that the modules it patches are loaded patched.
 */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\nSee .env.example for every variable.\n`);
      process.exit(2);
    }
    throw e;
  }
  const tracing = config.tracing.enabled ? (await import('./tracing.js')).startTracing(config.tracing) : null;
  const { buildApp } = await import('./app.js');
  const app = await buildApp(config);
  const log = app.server.log;
  await app.server.listen({ host: config.host, port: config.port });
  log.info({ db: config.db.driver, graphql: '/graphql', docs: config.apiDocs ? '/docs' : null }, 'gateway ready');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      log.error('shutdown timed out; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    timer.unref();
    app
      .close()
      // What is batched of the last requests' spans is sent before the process exits.
      .then(() => tracing?.shutdown())
      .then(
        () => {
          log.info('shut down cleanly');
          process.exit(0);
        },
        (err: unknown) => {
          log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`Gateway failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
