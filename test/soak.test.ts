import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSoak } from '../bench/hardening-soak.js';
import { startServer, type TestServer } from './helpers/server.js';

/**
 * Soak, fast variant: a few hundred WebSocket lives on both sockets, clean and abrupt
 * (bench/hardening-soak.ts describes the kinds), then nothing may be left behind: no socket,
 * graphql-ws connection or operation, live connection or session, HTTP connection, checked-out
 * database connection, or extra TCP handle or timer. Memory is printed, not asserted (a few
 * hundred cycles are noise); `npm run bench -- hardening-soak` runs thousands.
 */

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ LIVE_PLANS: 'free:100000000', LIVE_MIN_START_SECONDS: '1' });
});
afterAll(() => server.close());

describe('soak', () => {
  it('leaves nothing behind after hundreds of WebSocket connects, subscribes and disconnects, clean and abrupt', async () => {
    const r = await runSoak(server.app, server.url, { cycles: 240, workers: 6 });
    const { before: b, after: a } = r;
    const tcp = (f: typeof a) => (f.handles.TCPSocketWrap ?? 0) - (server.config.db.driver === 'postgresql' ? f.dbPoolUsed + f.dbPoolFree : 0);
    console.log(
      `soak (${server.config.db.driver}): ${Object.values(r.cycles).reduce((x, y) => x + y, 0)} cycles in ${r.seconds.toFixed(1)} s (${Object.entries(r.cycles).map(([k, n]) => `${n} ${k}`).join(', ')}); ` +
        `before → after: heap ${b.heapUsedMB.toFixed(1)} → ${a.heapUsedMB.toFixed(1)} MB, rss ${b.rssMB.toFixed(0)} → ${a.rssMB.toFixed(0)} MB, sockets ${b.webSockets} → ${a.webSockets}, ` +
        `graphql-ws ${b.graphqlWsConnections}/${b.graphqlWsOperations} → ${a.graphqlWsConnections}/${a.graphqlWsOperations}, live ${b.liveSockets} → ${a.liveSockets}, http ${b.httpConnections} → ${a.httpConnections}, ` +
        `db pool ${b.dbPoolUsed}+${b.dbPoolFree} → ${a.dbPoolUsed}+${a.dbPoolFree}, pg ${b.pgConnections} → ${a.pgConnections}, TCP handles ${tcp(b)} → ${tcp(a)}, timers ${b.handles.Timeout ?? 0} → ${a.handles.Timeout ?? 0}`,
    );
    expect(r.failures).toEqual([]);
    expect(a.webSockets).toBe(0);
    expect(a.graphqlWsConnections).toBe(0);
    expect(a.graphqlWsOperations).toBe(0);
    expect(a.liveSockets).toBe(0);
    expect(a.httpConnections).toBe(0);
    expect(a.activeLiveSessions).toBe(0);
    expect(a.dbPoolUsed).toBe(0);
    if (a.pgConnections !== null) expect(a.pgConnections).toBeLessThanOrEqual(server.config.db.poolMax);
    expect(tcp(a)).toBeLessThanOrEqual(tcp(b));
    // A timer left by each closed connection would show as hundreds; a few come and go (pool reapers, the sweeper).
    expect(a.handles.Timeout ?? 0).toBeLessThanOrEqual((b.handles.Timeout ?? 0) + 5);
  }, 180_000);
});
