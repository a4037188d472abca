import { randomUUID } from 'node:crypto';
import type { EntityManager as SqlEntityManager } from '@mikro-orm/sql';
import { DB, percentile, printTable, startGateway, type RawTables } from './lib.js';

const SESSIONS = Number(process.env.BENCH_LIVE_SESSIONS ?? 1000);
const INTERVAL_S = 15;
const DURATION_S = Number(process.env.BENCH_LIVE_SECONDS ?? 30);

/**
 * SESSIONS live sessions heartbeating every 15 s (about SESSIONS/15 heartbeats a second) for
 * DURATION_S seconds; reference: GET /healthz sent at the same rate in the same run. At the end
 * every session is ended and the meter checked: the seconds settled per user must equal the
 * seconds of their session.
 */
export async function liveBench(): Promise<void> {
  const gw = await startGateway({ LIVE_PLANS: 'free:100000', LIVE_IDLE_TIMEOUT_SECONDS: '60', LIVE_SWEEP_INTERVAL_MS: '5000' });
  try {
    // Seeding and the meter check go straight to the database through Kysely (MikroORM's SQL layer).
    const db = (gw.app.orm.em.fork() as unknown as SqlEntityManager).getKysely<RawTables>();
    // Users and login sessions written directly: hashing 1,000 passwords would measure argon2, not live.
    const now = new Date();
    const ts = (d: Date) => (DB === 'sqlite' ? d.getTime() : d);
    const users = Array.from({ length: SESSIONS }, (_, i) => ({ id: randomUUID(), sid: randomUUID(), i }));
    for (let i = 0; i < users.length; i += 100) {
      const batch = users.slice(i, i + 100);
      await db
        .insertInto('users')
        .values(batch.map((u) => ({ id: u.id, email: `live${u.i}@example.com`, email_normalized: `live${u.i}@example.com`, username: `live${u.i}`, username_normalized: `live${u.i}`, password_hash: 'x', preferred_language: 'en', timezone: 'UTC', plan: 'free', created_at: ts(now), updated_at: ts(now) })))
        .execute();
      await db
        .insertInto('login_sessions')
        .values(batch.map((u) => ({ id: u.sid, user_id: u.id, created_at: ts(now), last_used_at: ts(now), expires_at: ts(new Date(now.getTime() + 86_400_000)) })))
        .execute();
    }
    const tokens = await Promise.all(users.map((u) => gw.app.services.auth.accessTokens.sign({ userId: u.id, sessionId: u.sid })));
    const sessions: string[] = [];
    for (let i = 0; i < users.length; i += 50) {
      const started = await Promise.all(
        tokens.slice(i, i + 50).map(async (token) => {
          const r = await fetch(`${gw.url}/api/live/session/start`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ session_type: 'voice' }) });
          if (r.status !== 201) throw new Error(`start: ${r.status} ${await r.text()}`);
          return ((await r.json()) as { session_id: string }).session_id;
        }),
      );
      sessions.push(...started);
    }

    // Each session heartbeats every INTERVAL_S, spread evenly; /healthz at the same rate.
    const rate = SESSIONS / INTERVAL_S;
    const beat: number[] = [];
    const ref: number[] = [];
    const inflight: Promise<void>[] = [];
    const t0 = performance.now();
    let n = 0;
    while (performance.now() - t0 < DURATION_S * 1000) {
      const due = Math.floor(((performance.now() - t0) / 1000) * rate);
      while (n < due) {
        const i = n % SESSIONS;
        const k = n++;
        inflight.push(
          (async () => {
            let s = performance.now();
            const r = await fetch(`${gw.url}/api/live/session/heartbeat`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[i]}` }, body: JSON.stringify({ session_id: sessions[i] }) });
            await r.arrayBuffer();
            if (r.status !== 200) throw new Error(`heartbeat ${k}: ${r.status}`);
            beat.push(performance.now() - s);
            s = performance.now();
            await (await fetch(`${gw.url}/healthz`)).arrayBuffer();
            ref.push(performance.now() - s);
          })(),
        );
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.all(inflight);

    // End them all and check the meter.
    let mismatches = 0;
    for (let i = 0; i < SESSIONS; i += 50) {
      await Promise.all(
        sessions.slice(i, i + 50).map(async (id, j) => {
          const r = await fetch(`${gw.url}/api/live/session/end`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[i + j]}` }, body: JSON.stringify({ session_id: id }) });
          const body = (await r.json()) as { used_seconds: number };
          const { n: settled } = await db.selectFrom('live_usage').select((e) => e.fn.sum('used_seconds').as('n')).where('user_id', '=', users[i + j]!.id).executeTakeFirstOrThrow();
          if (Number(settled) !== body.used_seconds) mismatches++;
        }),
      );
    }
    printTable(`Live: ${SESSIONS} sessions heartbeating every ${INTERVAL_S} s (${rate.toFixed(0)}/s) for ${DURATION_S} s, ${beat.length} heartbeats; reference: GET /healthz at the same rate`, [
      { scenario: 'heartbeat p50 (ms)', figure: percentile(beat, 50).toFixed(2), reference: percentile(ref, 50).toFixed(2), ratio: percentile(beat, 50) / percentile(ref, 50) },
      { scenario: 'heartbeat p99 (ms)', figure: percentile(beat, 99).toFixed(2), reference: percentile(ref, 99).toFixed(2), ratio: percentile(beat, 99) / percentile(ref, 99), target: '< 20 ms' },
      { scenario: 'sessions whose settled seconds differ from their meter', figure: String(mismatches), reference: `${SESSIONS} sessions`, ratio: null, target: '0' },
    ]);
  } finally {
    await gw.close();
  }
}
