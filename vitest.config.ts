import { createRequire } from 'node:module';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

/** Every test file runs once per database driver (TEST_DRIVERS narrows the list). */
const drivers = (process.env.TEST_DRIVERS ?? 'sqlite,postgresql').split(',').map((d) => d.trim()).filter(Boolean);

export default defineConfig({
  // esbuild drops decorator metadata, which type-graphql and MikroORM read.
  plugins: [
    swc.vite({
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
        target: 'es2022',
      },
    }),
  ],
  // graphql ships a CommonJS and an ES build; Node (and so the server in production) loads the
  // CommonJS one everywhere, as type-graphql and graphql-ws do. Vite would give the sources the
  // ES one: two copies, whose classes fail each other's instanceof checks. One copy, as in production.
  resolve: { alias: [{ find: /^graphql$/, replacement: createRequire(import.meta.url).resolve('graphql') }] },
  test: {
    projects: drivers.map((driver) => ({
      extends: true,
      test: { name: driver, env: { DB_DRIVER: driver }, include: ['test/**/*.test.ts'] },
    })),
    setupFiles: ['test/setup.ts'],
    pool: 'forks',
    // Generous on purpose: no test races a clock (time-based behaviour runs on a ManualClock, and
    // tests wait on observable state with helpers/wait.ts's WAIT_MS), so these only bound a test
    // that hangs. The machine may be busy with other work (both cores loaded, see README
    // "Testing"): a 30 s limit was hit there once in 5,340 runs by a test that passes at leisure.
    testTimeout: 180_000,
    hookTimeout: 300_000,
    reporters: ['default'],
  },
});
