import { describe, expect, it } from 'vitest';
import { EspeakTts } from '../src/modules/live/speech/espeak.tts.js';
import { resample, SAMPLE_RATE, wav } from '../src/modules/live/speech/pcm.js';

describe('the embedded voice', () => {
  it('speaks: 24 kHz 16-bit PCM of plausible length, not silence, with word timings in order', async () => {
    const tts = new EspeakTts();
    const text = 'Hello, this is the embedded voice of Xentree.';
    const out = await tts.synthesize(text, { language: 'en' });
    expect(out.pcm.length % 2).toBe(0);
    const samples = out.pcm.length / 2;
    expect(out.durationMs).toBe(Math.round((samples / SAMPLE_RATE) * 1000));
    // Eight words at a speaking rate: between one and six seconds.
    expect(out.durationMs).toBeGreaterThan(1000);
    expect(out.durationMs).toBeLessThan(6000);
    let energy = 0;
    for (let i = 0; i < samples; i++) energy += Math.abs(out.pcm.readInt16LE(i * 2));
    expect(energy / samples).toBeGreaterThan(200);
    expect(out.words.map((w) => w.word)).toEqual(['Hello', 'this', 'is', 'the', 'embedded', 'voice', 'of', 'Xentree']);
    const offsets = out.words.map((w) => w.offsetMs);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    expect(offsets.at(-1)!).toBeLessThan(out.durationMs);
    const file = wav(out.pcm);
    expect(file.subarray(0, 4).toString()).toBe('RIFF');
    expect(file.readUInt32LE(24)).toBe(24_000);
  });

  it('resamples without changing the length in time', () => {
    const tone = Int16Array.from({ length: 22_050 }, (_, i) => Math.round(Math.sin((i / 22_050) * 2 * Math.PI * 440) * 10_000));
    const out = resample(tone, 22_050, 24_000);
    expect(out.length).toBe(24_000);
    expect(Math.max(...out)).toBeGreaterThan(9_000);
  });
});
