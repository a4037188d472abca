/** A word of synthesized speech and where it falls in the audio, for lip sync. */
export interface WordTiming {
  word: string;
  offsetMs: number;
}

/** A phoneme of synthesized speech (its IPA name, as eSpeak-NG gives it; '' for a pause) and where it starts. */
export interface PhonemeTiming {
  phoneme: string;
  offsetMs: number;
}

export interface Synthesis {
  /** 16-bit PCM, mono, at SAMPLE_RATE (24 kHz). */
  pcm: Buffer;
  durationMs: number;
  words: WordTiming[];
  /** The phonemes with their timings, when the engine reports them (eSpeak-NG does; remote endpoints do not). */
  phonemes?: PhonemeTiming[];
}

/** Text to speech: the embedded engine or a remote one, same shape. */
export interface TextToSpeech {
  readonly id: string;
  synthesize(text: string, options?: { language?: string | null }): Promise<Synthesis>;
  /** Releases what the engine holds (with its app). */
  close?(): void;
}
