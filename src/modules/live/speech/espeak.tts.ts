import { resample, SAMPLE_RATE, toBytes } from './pcm.js';
import type { PhonemeTiming, Synthesis, TextToSpeech, WordTiming } from './speech.types.js';

interface EspeakEvent {
  type: string;
  audio_position: number;
  text_position: number;
  word_length: number;
  /** For phoneme events: the phoneme's name in IPA ('' for a pause). */
  id?: string | number;
}

interface EspeakWorker {
  samplerate: number;
  set_voice(voice: string): void;
  synthesize(text: string, callback: (samples: Int16Array | null, events: EspeakEvent[] | null) => number): void;
}

/** An eSpeak-NG instance of its own (a WebAssembly module), loaded on first use (about 100 ms). */
async function loadEspeak(): Promise<EspeakWorker> {
  const { default: init } = (await import('@echogarden/espeak-ng-emscripten')) as unknown as { default: () => Promise<{ eSpeakNGWorker: new () => EspeakWorker }> };
  const m = await init();
  return new m.eSpeakNGWorker();
}

/** The languages the embedded voice speaks (a session's language tag, lower-cased) and eSpeak-NG's voice for each. */
export const VOICES: Record<string, string> = { en: 'en-us', 'en-us': 'en-us', 'en-gb': 'en', es: 'es', fr: 'fr', de: 'de', it: 'it', pt: 'pt', 'pt-br': 'pt-br', nl: 'nl', pl: 'pl', ru: 'ru', tr: 'tr', ja: 'ja', zh: 'cmn', ko: 'ko', vi: 'vi' };

/**
 * The embedded voice: eSpeak-NG compiled to WebAssembly (an npm package, no native build,
 * works offline). Robotic but real speech, resampled to the contract's 24 kHz, with word
 * and phoneme timings for lip sync (its phoneme events, in IPA, give the visemes). eSpeak-NG is GPL-3.0: running it in a service is fine; shipping the
 * gateway to others would have to honour that licence.
 */
export class EspeakTts implements TextToSpeech {
  readonly id = 'espeak-ng';
  /** This voice's own eSpeak-NG (one per app, not per process), loaded on first use. */
  private worker: Promise<EspeakWorker> | null = null;

  async synthesize(text: string, options: { language?: string | null } = {}): Promise<Synthesis> {
    const w = await (this.worker ??= loadEspeak());
    const lang = (options.language ?? 'en').toLowerCase();
    w.set_voice(VOICES[lang] ?? VOICES[lang.split('-')[0]!] ?? 'en-us');
    const chunks: Int16Array[] = [];
    const words: WordTiming[] = [];
    const phonemes: PhonemeTiming[] = [];
    w.synthesize(text, (samples, events) => {
      if (samples) chunks.push(new Int16Array(samples));
      for (const e of events ?? []) {
        if (e.type === 'word') {
          const start = Math.max(0, e.text_position - 1);
          words.push({ word: text.slice(start, start + e.word_length), offsetMs: e.audio_position });
        } else if (e.type === 'phoneme') {
          // The name sits in a fixed-size field of the event: what follows a control character is not part of it.
          // eslint-disable-next-line no-control-regex -- matching the control characters that end the field is the point
          phonemes.push({ phoneme: typeof e.id === 'string' ? e.id.replace(/[\u0000-\u001f][\s\S]*$/, '') : '', offsetMs: e.audio_position });
        }
      }
      return 0;
    });
    const total = chunks.reduce((s, c) => s + c.length, 0);
    const joined = new Int16Array(total);
    let at = 0;
    for (const c of chunks) {
      joined.set(c, at);
      at += c.length;
    }
    const pcm = resample(joined, w.samplerate, SAMPLE_RATE);
    return { pcm: toBytes(pcm), durationMs: Math.round((pcm.length / SAMPLE_RATE) * 1000), words, phonemes };
  }

  /** Lets the instance go (with the app); a later synthesis loads a new one. */
  close(): void {
    this.worker = null;
  }
}
