import { scrubSecrets } from '../../../common/log-safety.js';
import { withoutNul } from '../../../common/text.js';
import { wav } from './pcm.js';
import type { Synthesis, TextToSpeech, WordTiming } from './speech.types.js';

export interface SpeechEndpoint {
  baseUrl: string;
  apiKey: string | null;
  model: string;
}

const auth = (e: SpeechEndpoint): Record<string, string> => (e.apiKey ? { authorization: `Bearer ${e.apiKey}` } : {});

/** The endpoint's refusal, with its own message: without the key it was sent, which providers like to quote. */
async function failure(what: string, res: Response, apiKey: string | null): Promise<Error> {
  let detail = '';
  try {
    const body = (await res.json()) as { error?: { message?: string } };
    detail = body.error?.message ?? '';
  } catch {
    /* not JSON */
  }
  if (apiKey && apiKey.length >= 8) detail = detail.split(apiKey).join('[redacted]');
  detail = scrubSecrets(detail);
  return new Error(`${what} answered ${res.status}${detail ? `: ${detail.slice(0, 200)}` : ''}`);
}

/** Speech to text through an OpenAI-compatible /audio/transcriptions endpoint (a WAV upload). */
export class OpenAISpeechToText {
  readonly id = 'openai-stt';

  constructor(
    private readonly endpoint: SpeechEndpoint,
    private readonly timeoutMs: number,
  ) {}

  async transcribe(pcm: Buffer, language: string | null): Promise<string> {
    const form = new FormData();
    form.append('file', new Blob([wav(pcm)], { type: 'audio/wav' }), 'turn.wav');
    form.append('model', this.endpoint.model);
    form.append('response_format', 'json');
    if (language) form.append('language', language.split('-')[0]!);
    const res = await fetch(`${this.endpoint.baseUrl}/audio/transcriptions`, { method: 'POST', headers: auth(this.endpoint), body: form, signal: AbortSignal.timeout(this.timeoutMs) });
    if (!res.ok) throw await failure('the speech-to-text endpoint', res, this.endpoint.apiKey);
    const body = (await res.json()) as { text?: unknown };
    if (typeof body.text !== 'string') throw new Error('the speech-to-text endpoint answered without text');
    return withoutNul(body.text);
  }
}

/**
 * Text to speech through an OpenAI-compatible /audio/speech endpoint, asking for raw PCM
 * (24 kHz 16-bit mono little-endian, the contract's own format). The endpoint gives no word
 * timings, so they are spread over the audio in proportion to the words' lengths.
 */
export class OpenAITextToSpeech implements TextToSpeech {
  readonly id = 'openai-tts';

  constructor(
    private readonly endpoint: SpeechEndpoint & { voice: string },
    private readonly timeoutMs: number,
  ) {}

  async synthesize(text: string): Promise<Synthesis> {
    const res = await fetch(`${this.endpoint.baseUrl}/audio/speech`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth(this.endpoint) },
      body: JSON.stringify({ model: this.endpoint.model, input: text, voice: this.endpoint.voice, response_format: 'pcm' }),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!res.ok) throw await failure('the text-to-speech endpoint', res, this.endpoint.apiKey);
    let pcm = Buffer.from(await res.arrayBuffer());
    if (pcm.length % 2) pcm = pcm.subarray(0, pcm.length - 1);
    const durationMs = Math.round((pcm.length / 2 / 24_000) * 1000);
    const words = text.match(/\S+/g) ?? [];
    const letters = words.reduce((n, w) => n + w.length, 0) || 1;
    let at = 0;
    const timings: WordTiming[] = words.map((w) => {
      const t = { word: w.replace(/[^\p{L}\p{N}'-]/gu, ''), offsetMs: Math.round((at / letters) * durationMs) };
      at += w.length;
      return t;
    });
    return { pcm, durationMs, words: timings };
  }
}
