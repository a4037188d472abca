/**
 * Measurable features of a text or transcript: the figures the embedded rubric scores from.
 * Everything here is deterministic and language-light (English word lists only).
 */
import type { Span, WordTiming } from './types.js';

export interface Token {
  word: string;
  lower: string;
  start: number;
  end: number;
}

export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  for (const m of text.matchAll(/[\p{L}\p{N}]+(?:['’][\p{L}]+)*/gu)) {
    out.push({ word: m[0], lower: m[0].toLowerCase().replace(/’/g, "'"), start: m.index, end: m.index + m[0].length });
  }
  return out;
}

export function sentences(text: string): { start: number; end: number; text: string }[] {
  const out: { start: number; end: number; text: string }[] = [];
  const re = /[^.!?\n]+(?:[.!?]+|\n|$)/g;
  for (const m of text.matchAll(re)) {
    const raw = m[0];
    const lead = raw.length - raw.trimStart().length;
    const t = raw.trim();
    if (/[\p{L}\p{N}]/u.test(t)) out.push({ start: m.index + lead, end: m.index + lead + t.length, text: t });
  }
  return out;
}

export const paragraphs = (text: string): number => text.split(/\n\s*\n/).filter((p) => /[\p{L}]/u.test(p)).length;

export const STOPWORDS = new Set(
  `a about above after again against all am an and any are as at be because been before being below between both but by can could did do does doing down during each few for from further had has have having he her here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of off on once only or other our ours ourselves out over own same she should so some such than that the their theirs them themselves then there these they this those through to too under until up very was we were what when where which while who whom why will with would you your yours yourself yourselves i'm it's don't can't i've i'd i'll you're we're they're isn't wasn't aren't didn't doesn't won't there's that's let's also get got go went really very well yes oh ok okay`.split(/\s+/),
);

/** Linking words and phrases, grouped by what they do. */
export const LINKERS: Record<string, string[]> = {
  addition: ['in addition', 'moreover', 'furthermore', 'also', 'besides', 'what is more', 'as well as'],
  contrast: ['however', 'although', 'though', 'even though', 'whereas', 'while', 'on the other hand', 'nevertheless', 'nonetheless', 'but', 'yet', 'despite', 'in contrast', 'on the contrary'],
  cause: ['because', 'since', 'as a result', 'therefore', 'thus', 'consequently', 'so that', 'due to', 'hence', 'that is why'],
  sequence: ['first', 'firstly', 'secondly', 'then', 'next', 'after that', 'finally', 'lastly', 'afterwards', 'meanwhile', 'eventually'],
  example: ['for example', 'for instance', 'such as', 'in particular', 'namely'],
  conclusion: ['in conclusion', 'to sum up', 'overall', 'all in all', 'in short', 'to conclude'],
  opinion: ['in my opinion', 'i believe', 'from my point of view', 'personally', 'it seems to me', 'to my mind'],
};

const SUBORDINATORS = ['because', 'although', 'though', 'if', 'unless', 'when', 'whenever', 'while', 'whereas', 'since', 'after', 'before', 'until', 'which', 'who', 'whom', 'whose', 'that', 'where', 'so that', 'even though', 'whether', 'once'];

/** Fillers and hesitation markers counted against fluency. */
export const FILLERS = ['um', 'uh', 'er', 'erm', 'uhm', 'umm', 'hmm', 'ah', 'you know', 'i mean'];

export interface PhraseHit extends Span {
  phrase: string;
}

/** Whole-word occurrences of any phrase in `phrases`, longest first, not overlapping. */
export function findPhrases(text: string, phrases: string[], message: (p: string) => string): PhraseHit[] {
  const lower = text.toLowerCase().replace(/’/g, "'");
  const taken: boolean[] = new Array<boolean>(lower.length).fill(false);
  const hits: PhraseHit[] = [];
  for (const phrase of [...phrases].sort((a, b) => b.length - a.length)) {
    const re = new RegExp(`(?<![\\p{L}\\p{N}'])${phrase.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\p{L}\\p{N}])`, 'gu');
    for (const m of lower.matchAll(re)) {
      const start = m.index;
      const end = start + phrase.length;
      if (taken.slice(start, end).some(Boolean)) continue;
      for (let i = start; i < end; i++) taken[i] = true;
      hits.push({ start, end, text: text.slice(start, end), message: message(phrase), phrase });
    }
  }
  return hits.sort((a, b) => a.start - b.start);
}

export interface TextMetrics {
  words: number;
  /** Words other than fillers. */
  contentWords: Token[];
  tokens: Token[];
  sentences: { start: number; end: number; text: string }[];
  paragraphs: number;
  meanSentenceLength: number;
  complexSentenceRatio: number;
  /** Moving-average type/token ratio over 50-word windows (length-robust lexical variety). */
  mattr: number;
  /** Share of words of 7+ letters that are not function words. */
  longWordRatio: number;
  linkers: PhraseHit[];
  linkerKinds: number;
  fillers: PhraseHit[];
  repeatedOpenings: Span[];
  overusedWords: { word: string; count: number; spans: Span[] }[];
}

export function measureText(text: string): TextMetrics {
  const tokens = tokenize(text);
  const fillers = findPhrases(text, FILLERS, (p) => `“${p}” is a filler; a short pause sounds more fluent`);
  const fillerStarts = new Set(fillers.map((f) => f.start));
  const contentWords = tokens.filter((t) => !fillerStarts.has(t.start) && !FILLERS.includes(t.lower));
  const sents = sentences(text);
  const words = contentWords.length;
  const lowerWords = contentWords.map((t) => t.lower);

  const complex = sents.filter((s) => {
    const ws = ` ${s.text.toLowerCase().replace(/[^\p{L}\s']/gu, ' ')} `;
    return SUBORDINATORS.some((sub) => ws.includes(` ${sub} `));
  }).length;

  const window = 50;
  let mattr: number;
  if (lowerWords.length === 0) mattr = 0;
  else if (lowerWords.length <= window) mattr = new Set(lowerWords).size / lowerWords.length;
  else {
    let sum = 0;
    const n = lowerWords.length - window + 1;
    for (let i = 0; i < n; i++) sum += new Set(lowerWords.slice(i, i + window)).size / window;
    mattr = sum / n;
  }

  const longWords = lowerWords.filter((w) => w.length >= 7 && !STOPWORDS.has(w)).length;
  const linkerHits = findPhrases(
    text,
    Object.values(LINKERS).flat(),
    (p) => `linking phrase “${p}”`,
  );
  const kinds = new Set(linkerHits.map((h) => Object.entries(LINKERS).find(([, ps]) => ps.includes(h.phrase))?.[0]));

  // The same first word for three sentences or more in a row reads as a list, not a text.
  const repeatedOpenings: Span[] = [];
  const firstWords = sents.map((s) => tokenize(s.text)[0]?.lower ?? '');
  for (let i = 2; i < sents.length; i++) {
    const s = sents[i]!;
    if (firstWords[i] && firstWords[i] === firstWords[i - 1] && firstWords[i] === firstWords[i - 2]) {
      repeatedOpenings.push({ start: s.start, end: s.start + (firstWords[i]?.length ?? 0), text: text.slice(s.start, s.start + (firstWords[i]?.length ?? 0)), message: `the third sentence in a row starting with “${firstWords[i]}”` });
    }
  }

  const counts = new Map<string, Token[]>();
  for (const t of contentWords) {
    if (STOPWORDS.has(t.lower) || t.lower.length < 4) continue;
    counts.set(t.lower, [...(counts.get(t.lower) ?? []), t]);
  }
  const overusedWords = [...counts.entries()]
    .filter(([, ts]) => ts.length >= 4 && ts.length / Math.max(1, words) > 0.03)
    .sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]))
    .slice(0, 3)
    .map(([word, ts]) => ({ word, count: ts.length, spans: ts.map((t) => ({ start: t.start, end: t.end, text: t.word, message: `“${word}” is used ${ts.length} times; vary it` })) }));

  return {
    words,
    contentWords,
    tokens,
    sentences: sents,
    paragraphs: paragraphs(text),
    meanSentenceLength: sents.length ? words / sents.length : words,
    complexSentenceRatio: sents.length ? complex / sents.length : 0,
    mattr,
    longWordRatio: words ? longWords / words : 0,
    linkers: linkerHits,
    linkerKinds: kinds.size,
    fillers,
    repeatedOpenings,
    overusedWords,
  };
}

export interface SpeechMetrics {
  durationSeconds: number | null;
  wordsPerMinute: number | null;
  /** Gaps between words of 0.5 s or more, and of 1.5 s or more, from word timings. */
  pauses: number | null;
  longPauses: number | null;
  longPauseSpans: Span[];
}

export function measureSpeech(text: string, words: number, durationSeconds: number | null, timings: WordTiming[] | null): SpeechMetrics {
  let duration = durationSeconds;
  let pauses: number | null = null;
  let longPauses: number | null = null;
  const longPauseSpans: Span[] = [];
  if (timings && timings.length > 0) {
    const sorted = [...timings].sort((a, b) => a.start - b.start);
    duration ??= Math.max(0, sorted[sorted.length - 1]!.end - sorted[0]!.start);
    pauses = 0;
    longPauses = 0;
    let cursor = 0;
    const lower = text.toLowerCase();
    for (let i = 0; i < sorted.length; i++) {
      const w = sorted[i]!;
      const at = lower.indexOf(w.word.toLowerCase(), cursor);
      if (at >= 0) cursor = at + w.word.length;
      if (i === 0) continue;
      const gap = w.start - sorted[i - 1]!.end;
      if (gap >= 0.5) pauses++;
      if (gap >= 1.5) {
        longPauses++;
        if (at >= 0) longPauseSpans.push({ start: at, end: at + w.word.length, text: text.slice(at, at + w.word.length), message: `a ${gap.toFixed(1)} s pause before this word` });
      }
    }
  }
  const wpm = duration && duration > 0 ? (words / duration) * 60 : null;
  return { durationSeconds: duration, wordsPerMinute: wpm, pauses, longPauses, longPauseSpans };
}
