/**
 * The embedded evaluator: deterministic, offline, and explicit about its reasons. Criteria are
 * modelled on the public IELTS band descriptors; each band comes from measured figures that the
 * result reports next to it. See the README ("Xentree English") for the formulas in words.
 */
import type { CefrLevel } from '../content/types.js';
import { cefrFromBand } from '../rules.js';
import type { GrammarIssue } from './grammar.js';
import { CALIBRATION, lengthCap, type Calibration } from './calibration.js';
import { isDialectVariant, measureWriting, promptWords } from './features.js';
import { analyse } from './language.js';
import { findPhrases, measureSpeech, measureText, type TextMetrics } from './metrics.js';
import { writingCriteria } from './writing.js';
import { toHalfBand, type Correction, type Criterion, type Evaluation, type EvaluationRequest, type Evaluator, type Measure, type Span } from './types.js';

const SPELLING_KINDS = new Set(['Spelling', 'Typo']);
/** Issues that are matters of style, not errors: reported as corrections, not counted. */
const STYLE_KINDS = new Set(['Style', 'Readability', 'Enhancement', 'Repetition', 'Redundancy', 'Formatting', 'Regionalism']);

/** Default lengths when the request names no task: what a level's typical task asks for. */
const DEFAULT_MIN_WORDS: Record<CefrLevel, number> = { A1: 25, A2: 40, B1: 80, B2: 150, C1: 200, C2: 250 };

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
/** Spans as reported: offsets, the text and the message, nothing else. */
const asSpan = (s: Span): Span => ({ start: s.start, end: s.end, text: s.text, message: s.message });
const round1 = (x: number) => Math.round(x * 10) / 10;
const m = (name: string, value: number | null, unit: string | null = null): Measure => ({ name, value: value === null ? null : round1(value), unit });

/** What a transcript cannot show: reported, never scored. */
export const PRONUNCIATION_NOT_ASSESSED: Criterion = {
  name: 'Pronunciation',
  score: null,
  assessed: false,
  feedback: 'Not assessed: pronunciation needs the audio and an acoustic provider; a transcript cannot show it.',
  measures: [],
  spans: [],
};

export const CEFR_CAVEAT =
  'An automatic estimate from this one sample, aligned with the public IELTS–CEFR mapping; it is not a certified level and can be off by a band or more.';

/** What the evaluator needs of the grammar checker (the calibration harness passes a cached one). */
export interface GrammarSource {
  check(text: string): Promise<GrammarIssue[]>;
}

export class EmbeddedEvaluator implements Evaluator {
  constructor(
    private readonly grammar: GrammarSource,
    /** The fitted writing rubric; the harness passes a freshly fitted one. */
    private readonly calibration: Calibration = CALIBRATION,
  ) {}

  async evaluate(req: EvaluationRequest): Promise<Evaluation> {
    const text = req.text;
    // The grammar checker runs in its worker while this thread measures the text.
    const checking = this.grammar.check(text);
    checking.catch(() => undefined);
    const metrics = measureText(text);
    const sentences = req.kind === 'writing' ? analyse(text) : null;
    const issues = await checking;
    const counted = issues.filter((i) => !isDialectVariant(i));
    const spelling = counted.filter((i) => SPELLING_KINDS.has(i.kind));
    const grammar = counted.filter((i) => !SPELLING_KINDS.has(i.kind) && !STYLE_KINDS.has(i.kind));

    const criteria: Criterion[] = [];
    const notAssessed: string[] = [];
    let overall: number;
    if (req.kind === 'writing') {
      const topic = topicWords(req);
      const written = writingCriteria(
        {
          text,
          metrics,
          analysis: measureWriting(text, topic, metrics, issues, sentences ?? undefined),
          spelling,
          grammar,
          topic,
          minWords: req.minWords ?? DEFAULT_MIN_WORDS[req.level ?? 'B1'],
          maxWords: req.maxWords,
        },
        this.calibration,
      );
      criteria.push(...written.criteria);
      overall = toHalfBand(written.overall);
    } else {
      criteria.push(taskResponse(req, metrics));
      const fluency = fluencyAndCoherence(req, metrics, text);
      criteria.push(fluency.criterion);
      notAssessed.push(...fluency.notAssessed);
      criteria.push(lexical(metrics, spelling, text));
      criteria.push(grammarCriterion(metrics, grammar, text));
      criteria.push({ ...PRONUNCIATION_NOT_ASSESSED, measures: [], spans: [] });
      notAssessed.push('pronunciation');
      // Speaking is not calibrated (no scored speech corpus here): the mean of the assessed criteria.
      const assessed = criteria.filter((c) => c.assessed && c.score !== null);
      overall = toHalfBand(assessed.reduce((s, c) => s + (c.score ?? 0), 0) / Math.max(1, assessed.length));
    }

    const corrections: Correction[] = issues.map((i) => ({ start: i.start, end: i.end, text: i.text, message: i.message, suggestions: i.suggestions.slice(0, 3), kind: i.kind }));
    return {
      overallScore: overall,
      cefrEstimate: cefrFromBand(overall),
      cefrCaveat: `${CEFR_CAVEAT} Based on ${metrics.words} words.`,
      criteria,
      corrections,
      notAssessed,
      evaluator: 'embedded',
    };
  }
}

/** Task achievement (writing) or task response (speaking): enough words, and on topic. */
function taskResponse(req: EvaluationRequest, t: TextMetrics): Criterion {
  const level = req.level ?? 'B1';
  const minWords = req.minWords ?? DEFAULT_MIN_WORDS[level];
  const maxWords = req.maxWords;
  const measures: Measure[] = [m('words', t.words), m('minimum words', minWords)];
  const notes: string[] = [];
  const lengthBand = t.words >= minWords ? 9 : (9 * t.words) / minWords;
  if (t.words < minWords) notes.push(`You used ${t.words} words; this task needs at least ${minWords}, so it cannot be fully developed.`);
  else notes.push(`Length is fine (${t.words} words, at least ${minWords} needed).`);
  let overPenalty = 0;
  if (maxWords) {
    measures.push(m('maximum words', maxWords));
    if (t.words > maxWords * 1.25) {
      overPenalty = 1;
      notes.push(`At ${t.words} words it runs well over the ${maxWords}-word limit; keep to the point.`);
    }
  }

  const keywords = topicWords(req);
  const spans: Span[] = [];
  let band = lengthBand;
  if (keywords.length > 0) {
    const hits = findPhrases(req.text, keywords, (k) => `on topic: “${k}”`);
    const found = [...new Set(hits.map((h) => h.phrase))];
    const needed = Math.min(keywords.length, 4);
    const coverage = Math.min(1, found.length / needed);
    measures.push(m('topic words used', found.length), m('topic words expected', needed));
    spans.push(...hits.slice(0, 10).map(asSpan));
    const coverageBand = 2 + 7 * coverage;
    band = (lengthBand + coverageBand) / 2;
    const missing = keywords.filter((k) => !found.includes(k)).slice(0, 5);
    notes.push(
      found.length >= needed
        ? `It addresses the task (${found.slice(0, 5).join(', ')}).`
        : `It only partly addresses the task: ${found.length ? `you covered ${found.join(', ')}` : 'none of the task’s key ideas appear'}; consider ${missing.join(', ')}.`,
    );
  }
  return { name: req.kind === 'writing' ? 'Task achievement' : 'Task response', score: toHalfBand(band - overPenalty), assessed: true, feedback: notes.join(' '), measures, spans };
}

/** Topic words: the task's keywords, else the content words of the prompt. */
function topicWords(req: EvaluationRequest): string[] {
  if (req.keywords.length) return [...new Set(req.keywords.map((k) => k.toLowerCase().trim()).filter(Boolean))];
  return promptWords(req.prompt);
}

function cohesionParts(t: TextMetrics): { band: number; measures: Measure[]; notes: string[]; spans: Span[] } {
  const density = t.words ? (t.linkers.length / t.words) * 100 : 0;
  // About 3 to 9 links per 100 words reads as connected; many more reads as mechanical.
  const overused = density > 9 && t.words >= 40;
  const linkerScore = overused ? Math.max(0, 2.5 - (density - 9) * 0.4) : Math.min(2.5, density * 0.8);
  const variety = Math.min(1.5, t.linkerKinds * 0.3);
  const notes: string[] = [];
  if (t.linkers.length === 0) notes.push('No linking words: connect ideas with words such as because, however, for example.');
  else if (overused) notes.push(`Linking words are overused (${density.toFixed(1)} per 100 words); not every sentence needs one.`);
  else notes.push(`${t.linkers.length} linking words of ${t.linkerKinds} kinds connect the ideas.`);
  if (t.linkerKinds > 0 && t.linkerKinds < 3) notes.push('Use more kinds of link (contrast, cause, example, sequence).');
  if (t.repeatedOpenings.length) notes.push('Several sentences in a row start the same way.');
  return {
    band: 3.5 + linkerScore + variety - Math.min(1, t.repeatedOpenings.length * 0.5),
    measures: [m('linking words', t.linkers.length), m('linking words per 100 words', density), m('kinds of link', t.linkerKinds), m('sentences', t.sentences.length)],
    notes,
    spans: [...t.linkers.slice(0, 12), ...t.repeatedOpenings].map(asSpan),
  };
}

function fluencyAndCoherence(req: EvaluationRequest, t: TextMetrics, text: string): { criterion: Criterion; notAssessed: string[] } {
  const speech = measureSpeech(text, t.words, req.durationSeconds, req.words);
  const c = cohesionParts(t);
  const notAssessed: string[] = [];
  const fillerRate = t.words ? (t.fillers.length / t.words) * 100 : 0;
  const measures: Measure[] = [
    m('fillers', t.fillers.length),
    m('fillers per 100 words', fillerRate),
    ...c.measures,
  ];
  const notes = [...c.notes];
  const spans: Span[] = [...t.fillers.map(asSpan), ...c.spans];
  // Cohesion counts for 3.5 of the band; fillers cost up to 2.5.
  let band = 2.5 + Math.min(3.5, (c.band - 3.5) * (3.5 / 4)) - Math.min(2.5, fillerRate * 0.5);
  if (t.fillers.length) notes.push(`${t.fillers.length} fillers (${fillerRate.toFixed(1)} per 100 words); pause silently instead.`);
  if (speech.wordsPerMinute !== null) {
    const wpm = speech.wordsPerMinute;
    measures.push(m('duration', speech.durationSeconds, 's'), m('words per minute', wpm));
    // Natural conversational English is roughly 110–170 words per minute.
    const rate = wpm < 40 ? 0 : wpm < 110 ? ((wpm - 40) / 70) * 3 : wpm <= 170 ? 3 : Math.max(1, 3 - (wpm - 170) / 30);
    band += rate;
    notes.push(
      wpm < 90 ? `At ${Math.round(wpm)} words per minute the speech is slow and hesitant; aim for 110–170.` : wpm > 190 ? `At ${Math.round(wpm)} words per minute it is rushed.` : `A natural pace (${Math.round(wpm)} words per minute).`,
    );
  } else {
    // Without timing, the speech rate is unknown: judge coherence only, on its own scale.
    band = (band - 2.5) * (6.5 / 3.5) + 2.5 - 0;
    notAssessed.push('speech rate (send duration_seconds or word timings)');
    notes.push('Speech rate not measured: no duration or word timings were sent.');
  }
  if (speech.pauses !== null) {
    measures.push(m('pauses of 0.5 s or more', speech.pauses), m('pauses of 1.5 s or more', speech.longPauses));
    const perMinute = speech.durationSeconds ? ((speech.longPauses ?? 0) / speech.durationSeconds) * 60 : 0;
    band -= Math.min(1.5, perMinute * 0.3);
    if ((speech.longPauses ?? 0) > 0) notes.push(`${speech.longPauses} long pauses break the flow.`);
    spans.push(...speech.longPauseSpans);
  } else notAssessed.push('pauses (send word timings)');
  if (t.words < 20) {
    band = Math.min(band, 3);
    notes.push('Too short to judge fluency: speak for longer.');
  }
  return { criterion: { name: 'Fluency and coherence', score: toHalfBand(clamp(band, 0, 9)), assessed: true, feedback: notes.join(' '), measures, spans: spans.sort((a, b) => a.start - b.start) }, notAssessed };
}

function lexical(t: TextMetrics, spelling: GrammarIssue[], text: string): Criterion {
  const spellingRate = t.words ? (spelling.length / t.words) * 100 : 0;
  const variety = clamp((t.mattr - 0.6) / 0.35, 0, 1) * 3;
  const range = clamp((t.longWordRatio - 0.1) / 0.3, 0, 1) * 3;
  let band = Math.min(3 + variety + range, lengthCap(t.words)) - Math.min(3, spellingRate);
  const notes: string[] = [];
  if (t.words < 150 && t.words >= 20) notes.push(`A text of ${t.words} words can show only so much range (at most band ${lengthCap(t.words)}).`);
  notes.push(t.mattr >= 0.8 ? 'A varied vocabulary.' : t.mattr >= 0.65 ? 'Vocabulary is adequate but repeats itself.' : 'Vocabulary is limited and repetitive.');
  if (t.longWordRatio < 0.1) notes.push('Try more precise, less common words.');
  if (spelling.length) notes.push(`${spelling.length} spelling mistake${spelling.length > 1 ? 's' : ''}: ${spelling.slice(0, 4).map((s) => `“${s.text}”${s.suggestions[0] ? ` → ${s.suggestions[0]}` : ''}`).join(', ')}.`);
  for (const o of t.overusedWords) notes.push(`“${o.word}” appears ${o.count} times.`);
  if (t.words < 20) {
    band = Math.min(band, 4);
    notes.push('Too short to show range.');
  }
  return {
    name: 'Lexical resource',
    score: toHalfBand(clamp(band, 0, 9)),
    assessed: true,
    feedback: notes.join(' '),
    measures: [m('lexical variety (MATTR)', t.mattr), m('less common words', t.longWordRatio * 100, '%'), m('spelling mistakes', spelling.length), m('spelling mistakes per 100 words', spellingRate)],
    spans: [
      ...spelling.map((s) => ({ start: s.start, end: s.end, text: text.slice(s.start, s.end), message: s.message })),
      ...t.overusedWords.flatMap((o) => o.spans.slice(0, 5)),
    ].sort((a, b) => a.start - b.start),
  };
}

function grammarCriterion(t: TextMetrics, errors: GrammarIssue[], text: string): Criterion {
  const rate = t.words ? (errors.length / t.words) * 100 : 0;
  const accuracy = clamp(5 - rate * 1.2, 0, 5);
  const range = clamp(t.complexSentenceRatio / 0.6, 0, 1) * 2;
  const sentenceLength = 1 - Math.min(1, Math.abs(t.meanSentenceLength - 17) / 12);
  let band = Math.min(1 + accuracy + range + sentenceLength, lengthCap(t.words));
  const notes: string[] = [];
  notes.push(errors.length === 0 ? 'No grammar errors found.' : `${errors.length} grammar error${errors.length > 1 ? 's' : ''} (${rate.toFixed(1)} per 100 words): ${errors.slice(0, 3).map((e) => `“${e.text}”: ${e.message}`).join('; ')}.`);
  if (t.words < 150 && t.words >= 20) notes.push(`A text of ${t.words} words can show only so much range (at most band ${lengthCap(t.words)}).`);
  notes.push(t.complexSentenceRatio >= 0.4 ? 'A good mix of simple and complex sentences.' : 'Mostly simple sentences: join ideas with because, although, which, when.');
  if (t.words < 20) {
    band = Math.min(band, 4);
    notes.push('Too short to show grammatical range.');
  }
  return {
    name: 'Grammatical range and accuracy',
    score: toHalfBand(clamp(band, 0, 9)),
    assessed: true,
    feedback: notes.join(' '),
    measures: [m('grammar errors', errors.length), m('errors per 100 words', rate), m('complex sentences', t.complexSentenceRatio * 100, '%'), m('mean sentence length', t.meanSentenceLength, 'words')],
    spans: errors.map((e) => ({ start: e.start, end: e.end, text: text.slice(e.start, e.end), message: e.message })),
  };
}
