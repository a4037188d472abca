/**
 * The calibrated writing criteria as the learner sees them: each band with the measures it was
 * computed from, what raised and lowered it against a typical learner essay, and the spans it
 * refers to. The weights come from calibration.json (see calibration.ts).
 */
import { CALIBRATION, CRITERION_MEASURES, scoreWriting, type Calibration, type Contribution, type WritingCriterion } from './calibration.js';
import { LONG_SENTENCE, type WritingAnalysis } from './features.js';
import type { GrammarIssue } from './grammar.js';
import { findPhrases, type TextMetrics } from './metrics.js';
import { toHalfBand, type Criterion, type Measure, type Span } from './types.js';

const round1 = (x: number) => Math.round(x * 10) / 10;
const m = (name: string, value: number | null, unit: string | null = null): Measure => ({ name, value: value === null ? null : round1(value), unit });
const asSpan = (s: Span): Span => ({ start: s.start, end: s.end, text: s.text, message: s.message });
const byStart = (a: Span, b: Span) => a.start - b.start;

export interface WritingInput {
  text: string;
  metrics: TextMetrics;
  analysis: WritingAnalysis;
  /** The checker's spelling and grammar issues (dialect variants set aside). */
  spelling: GrammarIssue[];
  grammar: GrammarIssue[];
  topic: string[];
  minWords: number;
  maxWords: number | null;
}

export interface WritingResult {
  criteria: Criterion[];
  overall: number;
}

/** The measures a criterion was fitted on, as figures, and what moved its band. */
function fitted(cal: Calibration, c: WritingCriterion, contributions: Contribution[]): { measures: Measure[]; explanation: string | null } {
  const specs = CRITERION_MEASURES[c].measures;
  const used = cal.criteria[c].measures.filter((f) => f.weight !== 0);
  const measures = used
    .filter((f) => f.key !== 'logWords')
    .map((f) => {
      const s = specs.find((x) => x.key === f.key)!;
      return m(s.label, contributions.find((x) => x.key === f.key)?.value ?? null, s.unit);
    });
  const typical = (k: string) => cal.criteria[c].measures.find((f) => f.key === k)!.mean;
  const withUnit = (v: number, unit: string | null) => `${round1(v)}${unit === '%' ? '%' : unit ? ` ${unit}` : ''}`;
  const describe = (x: Contribution) => {
    if (x.key === 'logWords') return `length, ${Math.round(Math.exp(x.value))} words (typical ${Math.round(Math.exp(typical(x.key)))})`;
    const s = specs.find((y) => y.key === x.key)!;
    return `${s.label}, ${withUnit(x.value, s.unit)} (typical ${withUnit(typical(x.key), s.unit)})`;
  };
  const up = contributions.filter((x) => x.bands >= 0.15).sort((a, b) => b.bands - a.bands).slice(0, 2);
  const down = contributions.filter((x) => x.bands <= -0.15).sort((a, b) => a.bands - b.bands).slice(0, 2);
  const parts: string[] = [];
  if (up.length) parts.push(`helped most by ${up.map(describe).join(' and by ')}`);
  if (down.length) parts.push(`held back most by ${down.map(describe).join(' and by ')}`);
  const explanation = parts.length ? `Compared with a typical learner essay, this band was ${parts.join('; ')}.` : null;
  return { measures, explanation };
}

export function writingCriteria(input: WritingInput, cal: Calibration = CALIBRATION): WritingResult {
  const { text, metrics: t, analysis: a } = input;
  const w = a.measures;
  const scored = scoreWriting(cal, w, { minWords: input.minWords, maxWords: input.maxWords, topicWords: input.topic.length });
  const criterion = (name: WritingCriterion, measures: Measure[], notes: string[], spans: Span[]): Criterion => {
    const s = scored.criteria[name];
    const f = fitted(cal, name, s.contributions);
    const seen = new Set(measures.map((x) => x.name));
    const all = [...measures, ...f.measures.filter((x) => !seen.has(x.name))];
    const feedback = [...notes, ...s.caps.map((c) => `Band held down: ${c}.`), ...(f.explanation ? [f.explanation] : [])];
    return { name, score: toHalfBand(s.band), assessed: true, feedback: feedback.join(' '), measures: all, spans: spans.sort(byStart) };
  };

  // Task achievement: length against the task, and the task's words taken up.
  const taskNotes: string[] = [];
  if (w.words < input.minWords) taskNotes.push(`You used ${w.words} words; this task needs at least ${input.minWords}, so it cannot be fully developed.`);
  else taskNotes.push(`Length is fine (${w.words} words, at least ${input.minWords} needed).`);
  if (input.maxWords && w.words > input.maxWords * 1.25) taskNotes.push(`At ${w.words} words it runs well over the ${input.maxWords}-word limit; keep to the point.`);
  const taskMeasures = [m('words', w.words), m('minimum words', input.minWords)];
  if (input.maxWords) taskMeasures.push(m('maximum words', input.maxWords));
  const taskSpans: Span[] = [];
  if (input.topic.length) {
    const hits = findPhrases(text, input.topic, (k) => `on topic: “${k}”`);
    const found = [...new Set(hits.map((h) => h.phrase))];
    const missing = input.topic.filter((k) => !found.includes(k)).slice(0, 5);
    taskMeasures.push(m('task words used', w.promptCoverage, '%'));
    taskSpans.push(...hits.slice(0, 10).map(asSpan));
    taskNotes.push(
      w.promptCoverage >= 50
        ? `It takes up the task’s words (${found.slice(0, 5).join(', ') || 'in other forms'}).`
        : `It only partly takes up the task: ${found.length ? `you used ${found.slice(0, 5).join(', ')}` : 'none of the task’s key words appear'}${missing.length ? `; consider ${missing.join(', ')}` : ''}.`,
    );
  }
  taskMeasures.push(m('paragraphs', w.paragraphs));

  // Coherence and cohesion: links, paragraphs, sentences that follow on.
  const density = w.linkersPer100;
  const cohesionNotes: string[] = [];
  if (t.linkers.length === 0) cohesionNotes.push('No linking words: connect ideas with words such as because, however, for example.');
  else if (density > 9 && w.words >= 40) cohesionNotes.push(`Linking words are overused (${density.toFixed(1)} per 100 words); not every sentence needs one.`);
  else cohesionNotes.push(`${t.linkers.length} linking words of ${t.linkerKinds} kinds connect the ideas.`);
  if (t.linkerKinds > 0 && t.linkerKinds < 3) cohesionNotes.push('Use more kinds of link (contrast, cause, example, sequence).');
  if (t.repeatedOpenings.length) cohesionNotes.push('Several sentences in a row start the same way.');
  if (w.words >= 120 && w.paragraphs < 3) cohesionNotes.push(`${w.paragraphs === 1 ? 'One paragraph' : 'Two paragraphs'} for ${w.words} words: give the introduction, each main point and the conclusion a paragraph.`);
  if (a.longSentences.length) cohesionNotes.push(`${a.longSentences.length} sentence${a.longSentences.length > 1 ? 's run' : ' runs'} past ${LONG_SENTENCE} words; full stops between ideas make them easier to follow.`);
  const cohesion = criterion(
    'Coherence and cohesion',
    [m('linking words', t.linkers.length), m('linking words per 100 words', density), m('kinds of link', t.linkerKinds), m('sentences', w.sentences), m('paragraphs', w.paragraphs), m('sentences that pick up the one before', w.adjacentOverlap, '%')],
    cohesionNotes,
    [...t.linkers.slice(0, 12), ...t.repeatedOpenings, ...a.longSentences.slice(0, 3)].map(asSpan),
  );

  // Lexical resource: variety, less common words, spelling.
  const lexNotes: string[] = [];
  const typicalMtld = cal.criteria['Lexical resource'].measures.find((f) => f.key === 'mtld')?.mean ?? 60;
  lexNotes.push(w.mtld >= typicalMtld * 1.2 ? 'A varied vocabulary.' : w.mtld >= typicalMtld * 0.85 ? 'Vocabulary is adequate but repeats itself.' : 'Vocabulary is limited and repetitive.');
  if (w.lessCommonShare < 10) lexNotes.push('Try more precise, less common words.');
  const sp = input.spelling;
  if (sp.length) lexNotes.push(`${sp.length} spelling mistake${sp.length > 1 ? 's' : ''}: ${sp.slice(0, 4).map((s) => `“${s.text}”${s.suggestions[0] ? ` → ${s.suggestions[0]}` : ''}`).join(', ')}.`);
  for (const o of t.overusedWords) lexNotes.push(`“${o.word}” appears ${o.count} times.`);
  const lexical = criterion(
    'Lexical resource',
    [m('lexical diversity (MTLD)', w.mtld), m('lexical variety (MATTR)', t.mattr), m('less common words', w.lessCommonShare, '%'), m('spelling mistakes', sp.length), m('spelling mistakes per 100 words', w.spellingPer100)],
    lexNotes,
    [
      ...sp.map((s) => ({ start: s.start, end: s.end, text: text.slice(s.start, s.end), message: s.message })),
      // Words that no list has, which the checker did not flag (a misspelling it does not know, or a name).
      ...a.misspelt.filter((x) => !sp.some((s) => s.start < x.end && s.end > x.start)).slice(0, 10).map(asSpan),
      ...t.overusedWords.flatMap((o) => o.spans.slice(0, 5)),
    ],
  );

  // Grammatical range and accuracy: errors by kind, sentence and clause structure.
  const g = input.grammar;
  const rate = w.words ? (g.length / w.words) * 100 : 0;
  const grammarNotes: string[] = [];
  grammarNotes.push(g.length === 0 ? 'No grammar errors found.' : `${g.length} grammar error${g.length > 1 ? 's' : ''} (${rate.toFixed(1)} per 100 words): ${g.slice(0, 3).map((e) => `“${e.text}”: ${e.message}`).join('; ')}.`);
  grammarNotes.push(w.subordinationPerSentence >= 0.5 ? 'A good mix of simple and complex sentences.' : 'Mostly simple sentences: join ideas with because, although, which, when.');
  if (w.longSentenceShare >= 25) grammarNotes.push('Long run-on sentences: end each sentence when its idea is complete.');
  // Slips the checker did not flag itself (a span it already covers is not repeated).
  const slips = [...a.slips.agreement, ...a.slips.verbForm, ...a.slips.number].filter((x) => !g.some((e) => e.start < x.end && e.end > x.start)).sort(byStart);
  if (slips.length) grammarNotes.push(`${slips.length} more slip${slips.length > 1 ? 's' : ''}: ${slips.slice(0, 3).map((x) => `“${x.text}”: ${x.message}`).join('; ')}.`);
  const grammar = criterion(
    'Grammatical range and accuracy',
    [m('grammar errors', g.length), m('errors per 100 words', rate), m('subordinate clauses per sentence', w.subordinationPerSentence), m('mean sentence length', w.meanSentenceLength, 'words')],
    grammarNotes,
    [...g.map((e) => ({ start: e.start, end: e.end, text: text.slice(e.start, e.end), message: e.message })), ...slips.map(asSpan), ...a.longSentences.slice(0, 3).map(asSpan)],
  );

  const task = criterion('Task achievement', taskMeasures, taskNotes, taskSpans);
  return { criteria: [task, cohesion, lexical, grammar], overall: scored.overall };
}
