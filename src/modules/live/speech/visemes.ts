import type { LiveViseme } from '../live.enums.js';
import type { PhonemeTiming, WordTiming } from './speech.types.js';

/** A mouth shape from an instant of the audio (ms from its start) until the next one. */
export interface VisemeAt {
  offset_ms: number;
  viseme: LiveViseme;
}

/**
 * IPA symbols to the 15 visemes (Oculus/Meta set): what the lips and jaw do, which is all an
 * avatar shows. eSpeak-NG names its phonemes in IPA (with a few marks of its own, handled in
 * `tokens`); this table covers every symbol its voices for the shipped languages produce
 * (test/visemes.test.ts runs each language's sample text and checks none is left unknown).
 */
const SYMBOLS: Record<string, LiveViseme> = {
  // Lips together.
  p: 'PP', b: 'PP', m: 'PP', ɓ: 'PP',
  // Lower lip to the upper teeth, or lips close and spread apart (bilabial fricatives).
  f: 'FF', v: 'FF', ɸ: 'FF', β: 'FF', ʋ: 'FF', ɱ: 'FF', pf: 'FF',
  // Tongue between the teeth.
  θ: 'TH', ð: 'TH',
  // Tongue tip behind the upper teeth (stops).
  t: 'DD', d: 'DD', ʈ: 'DD', ɖ: 'DD', ɗ: 'DD', ʔ: 'DD',
  // Back of the tongue (velar, uvular, glottal and palatal fricatives): the mouth stays open.
  k: 'kk', g: 'kk', ɡ: 'kk', q: 'kk', ɢ: 'kk', x: 'kk', ɣ: 'kk', χ: 'kk', ŋ: 'kk', ɴ: 'kk', h: 'kk', ɦ: 'kk', ħ: 'kk', ʕ: 'kk', ç: 'kk', ʝ: 'kk',
  // Lips pushed forward: postalveolar, alveolo-palatal and retroflex sibilants and affricates, palatal stops.
  ʃ: 'CH', ʒ: 'CH', tʃ: 'CH', dʒ: 'CH', ɕ: 'CH', ʑ: 'CH', tɕ: 'CH', dʑ: 'CH', ʂ: 'CH', ʐ: 'CH', tʂ: 'CH', dʐ: 'CH', c: 'CH', ɟ: 'CH',
  // eSpeak's Mandarin writes its retroflexes with a dot: s. z. ts. (sh, r, zh).
  's.': 'CH', 'z.': 'CH', 'ts.': 'CH',
  // Teeth together: alveolar sibilants and affricates.
  s: 'SS', z: 'SS', ts: 'SS', dz: 'SS',
  // Tongue up, mouth a little open: nasals and laterals.
  n: 'nn', ɲ: 'nn', ɳ: 'nn', l: 'nn', ɫ: 'nn', ɭ: 'nn', ʎ: 'nn', ʟ: 'nn',
  // R sounds, and r-coloured vowels.
  r: 'RR', ɹ: 'RR', ɻ: 'RR', ɾ: 'RR', ɽ: 'RR', ʀ: 'RR', ʁ: 'RR', ɚ: 'RR', ɝ: 'RR',
  // Glides: the shape of their vowel.
  j: 'I', w: 'U', ɥ: 'U', ʍ: 'U',
  // Open vowels.
  a: 'aa', ä: 'aa', ɑ: 'aa', æ: 'aa', ɐ: 'aa', ʌ: 'aa', ɶ: 'aa',
  // Mid, spread.
  e: 'E', ɛ: 'E', ə: 'E', ɘ: 'E', ɜ: 'E', ɞ: 'E',
  // Close, spread.
  i: 'I', ɪ: 'I', ɨ: 'I', ɯ: 'I',
  // Rounded, mid.
  o: 'O', ɔ: 'O', ɒ: 'O', ø: 'O', œ: 'O', ɵ: 'O', ɤ: 'O',
  // Rounded, close.
  u: 'U', ʊ: 'U', ʉ: 'U', y: 'U', ʏ: 'U',
};

/** Symbols of several characters, matched before single ones. */
const MULTI = Object.keys(SYMBOLS)
  .filter((k) => [...k].length > 1)
  .sort((a, b) => b.length - a.length);

const CONSONANT = new Set<LiveViseme>(['PP', 'FF', 'TH', 'DD', 'kk', 'CH', 'SS', 'nn', 'RR']);

/**
 * The IPA symbols of one eSpeak phoneme name, without what does not move the mouth: stress
 * (ˈ ˌ), length (ː ˑ), eSpeak's "-" (unreleased) and syllable dots, diacritics (nasal
 * vowels keep their vowel), palatalisation (ʲ). Compressed lips (Japanese ɯᵝ) are rounding.
 * Null for a language switch, "(en)", which makes no sound.
 */
function tokens(name: string): string[] | null {
  if (/^\(.*\)$/.test(name)) return null;
  const rounded = name.includes('ᵝ');
  let rest = name
    .normalize('NFD')
    // Diacritics go (nasal õ is o for the lips), except the cedilla that makes ç.
    .replace(/c\u0327/g, 'ç')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[ˈˌːˑ\-ʲʰᵝʷ]/g, '');
  const out: string[] = [];
  while (rest.length) {
    const multi = MULTI.find((m) => rest.startsWith(m));
    const symbol = multi ?? [...rest][0]!;
    rest = rest.slice(symbol.length);
    if (symbol === '.') continue;
    out.push(rounded && symbol === 'ɯ' ? 'u' : symbol);
  }
  return out;
}

/**
 * The visemes of one phoneme, in order (a diphthong has two, an r-coloured vowel its vowel
 * and RR). Empty for a pause marker-less switch; null when a symbol is not in the table.
 */
export function visemesOfPhoneme(name: string): LiveViseme[] | null {
  if (name === '') return ['sil'];
  const symbols = tokens(name);
  if (symbols === null) return [];
  const out: LiveViseme[] = [];
  for (const [i, s] of symbols.entries()) {
    const v = SYMBOLS[s];
    if (!v) return null;
    // An h after a consonant is its aspiration (eSpeak's th, kh, tɕh): breath, not a shape.
    if (s === 'h' && i > 0 && CONSONANT.has(out.at(-1)!)) continue;
    if (out.at(-1) !== v) out.push(v);
  }
  return out;
}

/**
 * Visemes from the phoneme events of a synthesis, with their timings: each phoneme's shapes
 * share its time until the next phoneme; repeats are merged; the last is `sil`, at the final
 * pause or the end of the audio.
 * A phoneme the table does not know keeps the mouth as it was.
 */
export function visemesFromPhonemes(phonemes: readonly PhonemeTiming[], durationMs: number): VisemeAt[] {
  const out: VisemeAt[] = [];
  const add = (offset: number, viseme: LiveViseme) => {
    const at = Math.max(0, Math.min(Math.round(offset), durationMs));
    // A shape that would last no time at all gives way to the one after it.
    while (out.length && out.at(-1)!.offset_ms >= at) out.pop();
    if (out.at(-1)?.viseme !== viseme) out.push({ offset_ms: at, viseme });
  };
  phonemes.forEach((p, i) => {
    const shapes = visemesOfPhoneme(p.phoneme);
    if (!shapes?.length) return;
    const end = i + 1 < phonemes.length ? phonemes[i + 1]!.offsetMs : durationMs;
    const step = Math.max(0, end - p.offsetMs) / shapes.length;
    shapes.forEach((v, k) => add(p.offsetMs + k * step, v));
  });
  // The mouth is at rest when the audio ends (from the final pause, or from the end).
  if (out.at(-1)?.viseme !== 'sil') add(durationMs, 'sil');
  return out;
}

/** The viseme of a word's first vowel letter. */
const VOWEL_VISEME: Record<string, LiveViseme> = { a: 'aa', e: 'E', i: 'I', o: 'O', u: 'U' };

/**
 * The approximation for speech without phoneme timings (an OpenAI-compatible speech endpoint
 * gives audio only): one viseme per word, at the word's estimated start, from its first Latin
 * letter (p, b, m: PP; f, v: FF; else its first vowel). A word without a Latin letter (other
 * scripts) gets a neutral half-open mouth (DD), never closed lips.
 */
export function visemesFromWords(words: readonly WordTiming[], durationMs: number): VisemeAt[] {
  const of = (w: string): LiveViseme => {
    const first = w.toLowerCase().match(/[a-z]/)?.[0];
    if (!first) return 'DD';
    if ('pbm'.includes(first)) return 'PP';
    if ('fv'.includes(first)) return 'FF';
    const v = w.toLowerCase().match(/[aeiou]/)?.[0];
    return (v && VOWEL_VISEME[v]) || 'DD';
  };
  return [...words.map((w) => ({ offset_ms: w.offsetMs, viseme: of(w.word) })), { offset_ms: durationMs, viseme: 'sil' as const }];
}
