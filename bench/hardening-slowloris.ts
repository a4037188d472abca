import { dribble, eventually, graphqlWs, liveWs, rawConnection, sleep, type RawConnection } from './hardening-clients.js';
import { DB, percentile, printTable, startGateway, userToken } from './lib.js';

/**
 * Slow and hostile clients at once, against one gateway, while a well-behaved client keeps
 * calling GET /api/auth/me: hundreds of connections sending headers a byte at a time, bodies
 * that never finish, connections that send nothing, GraphQL subscribers that stop reading
 * while their events keep coming, live sockets that flood frames. Reported: how many of each
 * the server cut off and how long it took, and the well-behaved client's latency against the
 * same client alone (the reference), as a ratio.
 *
 *   npm run bench -- hardening-slowloris
 *   SLOWLORIS_SECONDS (12), SLOW_HEADERS (300), SLOW_BODIES (100), IDLE_CONNECTIONS (100),
 *   NON_READERS (20), FLOODERS (10)
 *
 * Limits for the run (shorter than the defaults, so a run stays short; printed with the figures):
 * HEADERS_TIMEOUT_MS 2000, REQUEST_TIMEOUT_MS 5000, WS_SEND_TIMEOUT_MS 3000.
 */
export async function slowlorisBench(): Promise<void> {
  const seconds = Number(process.env.SLOWLORIS_SECONDS ?? 12);
  const n = {
    headers: Number(process.env.SLOW_HEADERS ?? 300),
    bodies: Number(process.env.SLOW_BODIES ?? 100),
    idle: Number(process.env.IDLE_CONNECTIONS ?? 100),
    nonReaders: Number(process.env.NON_READERS ?? 20),
    flooders: Number(process.env.FLOODERS ?? 10),
  };
  const limits = { HEADERS_TIMEOUT_MS: '2000', REQUEST_TIMEOUT_MS: '5000', WS_SEND_TIMEOUT_MS: '3000' };
  // The grammar checker would load during the reference and slow it: not what is measured here.
  const gw = await startGateway({ ...limits, LIVE_PLANS: 'free:100000000', LIVE_MIN_START_SECONDS: '1', XEL_GRAMMAR_PRELOAD: 'false' });
  try {
    const token = await userToken(gw.url, 'slowloris');
    const me = async (): Promise<number> => {
      const t = performance.now();
      const r = await fetch(`${gw.url}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } });
      await r.arrayBuffer();
      if (r.status !== 200) throw new Error(`me: ${r.status}`);
      return performance.now() - t;
    };
    const sample = async (ms: number): Promise<number[]> => {
      const out: number[] = [];
      const end = performance.now() + ms;
      while (performance.now() < end) out.push(await me());
      return out;
    };
    await sample(1500); // warm-up: JIT, caches, and whatever the server loads at start
    const reference = await sample(3000);

    // The attackers.
    const started = performance.now();
    const cut: Record<string, number[]> = { 'slow headers': [], 'slow body': [], 'idle connection': [], 'non-reading subscriber': [], 'flooding live socket': [] };
    const watch = (kind: string, closed: Promise<unknown>) => void closed.then(() => cut[kind]!.push(performance.now() - started));
    const raws: RawConnection[] = [];
    const attackers: Promise<unknown>[] = [];
    for (let i = 0; i < n.headers; i++) {
      const c = await rawConnection(gw.url);
      raws.push(c);
      watch('slow headers', c.closed);
      attackers.push(dribble(c, `GET /api/auth/me HTTP/1.1\r\nHost: x\r\nX-Slow: ${'a'.repeat(200)}\r\n\r\n`, 500));
    }
    for (let i = 0; i < n.bodies; i++) {
      const c = await rawConnection(gw.url);
      raws.push(c);
      watch('slow body', c.closed);
      c.socket.write('POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n');
      attackers.push(dribble(c, `{"username": "${'a'.repeat(980)}"}`, 500));
    }
    for (let i = 0; i < n.idle; i++) {
      const c = await rawConnection(gw.url);
      raws.push(c);
      watch('idle connection', c.closed);
    }
    const session = await (await fetch(`${gw.url}/api/live/session/start`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ session_type: 'voice' }) })).json() as { session_id: string };
    const sub = `subscription ($id: ID!) { liveSessionEvents(sessionId: $id) { __typename ... on LiveAudioResponse { audio } } }`;
    const nonReaders = [];
    for (let i = 0; i < n.nonReaders; i++) {
      const c = await graphqlWs(gw.url.replace('http', 'ws'), { Authorization: `Bearer ${token}` });
      c.subscribe('s', sub, { id: session.session_id });
      nonReaders.push(c);
    }
    const reader = await graphqlWs(gw.url.replace('http', 'ws'), { Authorization: `Bearer ${token}` });
    reader.subscribe('s', sub, { id: session.session_id });
    await sleep(300);
    for (const c of nonReaders) (c.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    // A client that does not read does not see its socket close either: the server's count says when it cut them.
    const dropped0 = (await gw.app.stats()).socketLimits.slowConsumersDropped;
    let watching = true;
    const dropWatch = (async () => {
      let seen = dropped0;
      while (watching) {
        const now = (await gw.app.stats()).socketLimits.slowConsumersDropped;
        for (; seen < now; seen++) cut['non-reading subscriber']!.push(performance.now() - started);
        await sleep(100);
      }
    })();
    // Audio events for the session, 16 KB each, 100 a second, for the whole attack.
    let publishing = true;
    let published = 0;
    const publisher = (async () => {
      while (publishing) {
        for (let i = 0; i < 10; i++, published++) {
          gw.app.services.events.publish('LIVE_EVENT', { type: 'audio_response', sessionId: session.session_id, userId: '', turnId: 't', seq: i, audio: 'A'.repeat(16_384), text: '', final: false, at: new Date().toISOString() });
        }
        await sleep(100);
      }
    })();
    // Flooders: a burst of frames, reconnecting when closed, for the whole attack.
    let flooding = true;
    const frame = JSON.stringify({ type: 'ping', data: {} });
    const flooders = Array.from({ length: n.flooders }, async () => {
      while (flooding) {
        const l = await liveWs(gw.url.replace('http', 'ws'), token);
        const t = performance.now();
        for (let i = 0; i < 1000 && l.ws.readyState === l.ws.OPEN; i++) l.ws.send(frame);
        await l.closed;
        cut['flooding live socket']!.push(performance.now() - t);
        // The attacker shares this process (and its CPU) with the server: it comes back once a second.
        await sleep(1000);
      }
    });

    const during = await sample(seconds * 1000);
    publishing = false;
    flooding = false;
    watching = false;
    await dropWatch;
    await publisher;
    await Promise.all(flooders);
    // Whatever is still open is given the longest limit to be cut, then counted.
    await eventually(() => raws.every((c) => c.isClosed()), 6000, 100);
    const readerEvents = reader.messages.filter((m) => m.type === 'next').length;
    for (const c of raws) c.socket.destroy();
    for (const c of nonReaders) c.ws.terminate();
    reader.ws.close();
    await Promise.allSettled(attackers);

    const cutRow = (kind: string, total: number) => {
      const t = cut[kind]!;
      return { scenario: `${kind}: cut off by the server`, figure: `${Math.min(t.length, total)} of ${total}`, reference: t.length ? `median ${(percentile(t, 50) / 1000).toFixed(1)} s` : '', ratio: null, target: 'all' };
    };
    printTable(
      `Slow and hostile clients (${DB}), ${seconds} s of attack; limits: headers ${limits.HEADERS_TIMEOUT_MS} ms, request ${limits.REQUEST_TIMEOUT_MS} ms, send ${limits.WS_SEND_TIMEOUT_MS} ms, ${gw.app.config.limits.wsMaxMessagesPerSecond} messages/s; reference: the well-behaved client alone`,
      [
        cutRow('slow headers', n.headers),
        cutRow('slow body', n.bodies),
        cutRow('idle connection', n.idle),
        cutRow('non-reading subscriber', n.nonReaders),
        { scenario: 'flood bursts (1,000 frames) closed with 1008', figure: String(cut['flooding live socket']!.length), reference: `${n.flooders} flooders, one burst a second`, ratio: null },
        { scenario: 'reading subscriber: events received', figure: String(readerEvents), reference: `${published} published`, ratio: readerEvents / published },
        { scenario: 'GET /api/auth/me p50 (ms)', figure: percentile(during, 50).toFixed(2), reference: percentile(reference, 50).toFixed(2), ratio: percentile(during, 50) / percentile(reference, 50) },
        { scenario: 'GET /api/auth/me p99 (ms)', figure: percentile(during, 99).toFixed(2), reference: percentile(reference, 99).toFixed(2), ratio: percentile(during, 99) / percentile(reference, 99) },
        { scenario: 'GET /api/auth/me requests served', figure: String(during.length), reference: `${reference.length} in 3 s`, ratio: null },
      ],
    );
    const stats = await gw.app.stats();
    console.log(`  socket limits: ${stats.socketLimits.floodsClosed} floods closed, ${stats.socketLimits.slowConsumersDropped} slow consumers dropped`);
  } finally {
    await gw.close();
  }
}
