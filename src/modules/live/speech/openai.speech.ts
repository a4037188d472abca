import { scrubSecrets } from '../../../common/log-safety.js';
import { withoutNul } from '../../../common/text.js';
import { SAMPLE_RATE, wav } from './pcm.js';
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

/** The longest answer read of the speech-to-text endpoint: a turn's words are a few KB of JSON. */
const MAX_TRANSCRIPTION_BYTES = 1024 * 1024;
/** The longest audio read of the text-to-speech endpoint for one sentence: ten minutes of the contract's PCM. */
const MAX_SPEECH_BYTES = SAMPLE_RATE * 2 * 600;

/** An answer's body, failing (and closing it) past `max` bytes: an endpoint that sends on and on is not held in memory. */
async function readCapped(what: string, res: Response, max: number): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  let size = 0;
  // (Node's web streams are async iterable; the DOM typings of fetch do not say so.)
  for await (const part of (res.body ?? []) as AsyncIterable<Uint8Array>) {
    size += part.length;
    if (size > max) throw new Error(`${what} answered more than ${max} bytes`);
    parts.push(part);
  }
  return Buffer.concat(parts);
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
    const body = JSON.parse((await readCapped('the speech-to-text endpoint', res, MAX_TRANSCRIPTION_BYTES)).toString('utf8')) as { text?: unknown } | null;
    if (typeof body?.text !== 'string') throw new Error('the speech-to-text endpoint answered without text');
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
    let pcm = await readCapped('the text-to-speech endpoint', res, MAX_SPEECH_BYTES);
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
