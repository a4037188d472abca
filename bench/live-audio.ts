import WebSocket from 'ws';
import { EspeakTts } from '../src/modules/live/speech/espeak.tts.js';
import { percentile, printTable, startGateway, userToken } from './lib.js';

const TURNS = 20;

/** A live frame's data: JSON, read field by field. */
type Frame = { text?: string; [key: string]: unknown };

/**
 * Time from a short turn's final `audio-input` to the first `audio-response` chunk, with the
 * embedded providers (local reply, eSpeak-NG voice). Reference: the socket's own round trip
 * (an invalid frame answered by an error frame). Breakdown: the reply alone and the synthesis
 * of its first sentence alone, measured apart in the same run; delivery is what remains.
 */
export async function liveAudioBench(): Promise<void> {
  const gw = await startGateway();
  try {
    const token = await userToken(gw.url, 'speaker');
    await fetch(`${gw.url}/api/core/notes`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ title: 'Tea', content: 'Green tea steeps for two minutes.' }) });
    const ws = new WebSocket(`${gw.url.replace('http', 'ws')}/api/live/ws?token=${token}`);
    await new Promise((r) => ws.once('open', r));
    const next = (type: string) =>
      new Promise<{ type: string; data: Frame }>((resolve) => {
        const on = (d: Buffer) => {
          const f = JSON.parse(d.toString()) as { type: string; data: Frame };
          if (f.type === type) {
            ws.off('message', on);
            resolve(f);
          }
        };
        ws.on('message', on);
      });
    ws.send(JSON.stringify({ type: 'start-session', data: { session_type: 'voice' } }));
    await next('session-started');
    const firstAudio: number[] = [];
    const roundTrip: number[] = [];
    let replyText = '';
    for (let i = 0; i < TURNS + 3; i++) {
      let t = performance.now();
      ws.send('ping');
      await next('error');
      roundTrip.push(performance.now() - t);
      t = performance.now();
      const done = next('transcript').then(() => next('transcript'));
      ws.send(JSON.stringify({ type: 'audio-input', data: { text: 'How long does green tea steep?', final: true } }));
      const f = await next('audio-response');
      firstAudio.push(performance.now() - t);
      await done;
      replyText ||= f.data.text ?? '';
    }
    ws.close();
    firstAudio.splice(0, 3);
    roundTrip.splice(0, 3);

    // The parts, measured apart.
    const { provider, model } = gw.app.services.ai.resolve('local', null);
    const replyTimes: number[] = [];
    let reply = '';
    for (let i = 0; i < TURNS; i++) {
      const t = performance.now();
      reply = '';
      for await (const e of provider.complete({ model, messages: [{ role: 'user', content: 'How long does green tea steep?' }], retrieve: async () => [], signal: AbortSignal.timeout(5000) })) if (e.type === 'delta') reply += e.text;
      replyTimes.push(performance.now() - t);
    }
    const tts = new EspeakTts();
    const first = reply.match(/[^.!?\n]+[.!?]*/)?.[0] ?? reply;
    const synthTimes: number[] = [];
    for (let i = 0; i < TURNS; i++) {
      const t = performance.now();
      await tts.synthesize(first, { language: 'en' });
      synthTimes.push(performance.now() - t);
    }
    const p50 = percentile(firstAudio, 50);
    const rt = percentile(roundTrip, 50);
    printTable(`Live audio: ${TURNS} short typed turns over /api/live/ws, embedded providers (local reply, eSpeak-NG); reference: the socket's round trip`, [
      { scenario: 'final audio-input to first audio-response, p50 (ms)', figure: p50.toFixed(1), reference: `round trip ${rt.toFixed(2)}`, ratio: p50 / rt, target: '<= 300 ms' },
      { scenario: 'same, p95 (ms)', figure: percentile(firstAudio, 95).toFixed(1), reference: `round trip ${percentile(roundTrip, 95).toFixed(2)}`, ratio: percentile(firstAudio, 95) / percentile(roundTrip, 95) },
      { scenario: '  of which: reply (local provider, retrieval left out), p50 (ms)', figure: percentile(replyTimes, 50).toFixed(1), reference: '', ratio: percentile(replyTimes, 50) / p50 },
      { scenario: '  of which: synthesis of the first sentence, p50 (ms)', figure: percentile(synthTimes, 50).toFixed(1), reference: `${first.length} characters`, ratio: percentile(synthTimes, 50) / p50 },
      { scenario: '  of which: the rest (retrieval, transcript write, framing, delivery), p50 (ms)', figure: Math.max(0, p50 - percentile(replyTimes, 50) - percentile(synthTimes, 50)).toFixed(1), reference: '', ratio: null },
    ]);
  } finally {
    await gw.close();
  }
}
