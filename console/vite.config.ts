import { defineConfig } from 'vite';

/**
 * The web console: built into dist/console, which the gateway serves at /console/.
 * Everything is bundled (no CDN, no remote fonts) and no script is inline, so the page
 * runs under a strict Content-Security-Policy.
 */
export default defineConfig({
  base: '/console/',
  build: {
    outDir: '../dist/console',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 200,
  },
  server: {
    // `npx vite console` for work on the page itself, against a gateway on :4000.
    proxy: { '/graphql': { target: 'http://127.0.0.1:4000', ws: true }, '/api': { target: 'http://127.0.0.1:4000', ws: true } },
  },
});
