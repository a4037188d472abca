/**
 * The measures the calibrated writing criteria are computed from. Each is a plain, explainable
 * figure (a rate per 100 words, a share, a mean) that a learner can be shown and can act on; the
 * weights that turn them into bands are fitted (see calibration.ts and calibration.json).
 */
import type { GrammarIssue } from './grammar.js';
import { analyse, frequencyPerMillion, frequencyRank, type LinguisticSentence, type LinguisticToken } from './language.js';
import { LINKERS, STOPWORDS, tokenize, type TextMetrics } from './metrics.js';
import type { Span } from './types.js';

/** Harper's kinds of issue, grouped as a rater would count them. */
export const ISSUE_GROUPS: Record<string, string[]> = {
  spelling: ['Spelling', 'Typo'],
  agreement: ['Agreement'],
  grammar: ['Grammar', 'Miscellaneous', 'WordOrder', 'BoundaryError'],
  usage: ['WordChoice', 'Usage', 'Eggcorn', 'Malapropism', 'Nonstandard'],
  capitalization: ['Capitalization'],
  punctuation: ['Punctuation'],
  formatting: ['Formatting'],
  style: ['Style', 'Readability', 'Enhancement', 'Repetition', 'Redundancy', 'Regionalism'],
};
export const groupOf = (kind: string): string => Object.entries(ISSUE_GROUPS).find(([, ks]) => ks.includes(kind))?.[0] ?? 'grammar';

/** The 2,500 most frequent words (by SUBTLEX-US rank) count as common. */
export const COMMON_RANK = 2500;
/** A sentence of more than 35 words, in learner writing, is nearly always a run-on. */
export const LONG_SENTENCE = 35;

const RELATIVES = new Set(['who', 'whom', 'whose', 'which']);
const CONTENT_POS = new Set(['NOUN', 'VERB', 'ADJ', 'ADV']);

/** Every measure, by name; the calibration picks among them. */
export interface WritingMeasures {
  words: number;
  logWords: number;
  sentences: number;
  paragraphs: number;
  // vocabulary
  mtld: number;
  mattr: number;
  rootTtr: number;
  lessCommonShare: number;
  meanLogFrequency: number;
  meanWordLength: number;
  misspeltShare: number;
  vagueWordsPer100: number;
  spellingPer100: number;
  // grammar and conventions (issues per 100 words, by group)
  agreementPer100: number;
  grammarPer100: number;
  usagePer100: number;
  capitalizationPer100: number;
  punctuationPer100: number;
  formattingPer100: number;
  stylePer100: number;
  errorsPer100: number;
  lowercaseIPer100: number;
  lowercaseStartShare: number;
  agreementSlipsPer100: number;
  verbFormSlipsPer100: number;
  numberSlipsPer100: number;
  fragmentShare: number;
  errorFreeSentenceShare: number;
  punctuationMarksPer100: number;
  // syntax
  meanSentenceLength: number;
  longSentenceShare: number;
  subordinationPerSentence: number;
  verbsPerSentence: number;
  coordinationPerSentence: number;
  adjectivesPerNoun: number;
  prepositionsPer100: number;
  pronounsPer100: number;
  commasPerSentence: number;
  verbsPer100: number;
  // cohesion
  linkersPer100: number;
  linkerKinds: number;
  additionPer100: number;
  contrastPer100: number;
  causePer100: number;
  examplePer100: number;
  sequencePer100: number;
  conclusionPer100: number;
  adjacentOverlap: number;
  repeatedOpenings: number;
  wordsPerParagraph: number;
  // task
  promptCoverage: number;
}

export type MeasureName = keyof WritingMeasures;

export interface WritingAnalysis {
  measures: WritingMeasures;
  /** Spans that feedback can point at. */
  longSentences: Span[];
  lessCommonWords: Span[];
  /** Words flagged as misspelt, or not in the frequency list at all. */
  misspelt: Span[];
  issueSpans: Record<string, Span[]>;
  /** Learner error patterns found from the parts of speech (see `learnerSlips`). */
  slips: LearnerSlips;
}

/** Measure of Textual Lexical Diversity (McCarthy and Jarvis, 2010), both directions averaged; threshold 0.72. */
export function mtld(words: string[], threshold = 0.72): number {
  if (words.length === 0) return 0;
  const pass = (ws: string[]): number => {
    let factors = 0;
    let types = new Set<string>();
    let tokens = 0;
    for (const w of ws) {
      types.add(w);
      tokens++;
      if (types.size / tokens <= threshold) {
        factors++;
        types = new Set();
        tokens = 0;
      }
    }
    if (tokens > 0) factors += (1 - types.size / tokens) / (1 - threshold);
    return factors > 0 ? ws.length / factors : ws.length;
  };
  return (pass(words) + pass([...words].reverse())) / 2;
}

const per100 = (n: number, words: number) => (words ? (n / words) * 100 : 0);

/**
 * A spelling of the other side of the Atlantic (behavior/behaviour, favorite, center, realize,
 * mom) is not a mistake: IELTS accepts either when used consistently. The checker follows one
 * dialect, so its flags for the other dialect's spellings are set aside.
 */
export function isDialectVariant(issue: GrammarIssue): boolean {
  if (!ISSUE_GROUPS.spelling!.includes(issue.kind)) return false;
  const word = issue.text.toLowerCase();
  if (DIALECT_WORDS.has(word)) return true;
  return issue.suggestions.some((s) => s.toLowerCase() !== word && foldDialect(s) === foldDialect(word));
}

/** A word in one spelling for both dialects (behaviour → behavior, realise → realize). */
export const foldDialect = (w: string): string =>
  w
    .toLowerCase()
    .replace(/our(s?)$|our(?=ite|hood|able|ed|ing|er)/g, 'or$1')
    .replace(/is(e|ed|es|ing|ation|ations)$/, 'iz$1')
    .replace(/ys(e|ed|es|ing)$/, 'yz$1')
    .replace(/tre(s?)$/, 'ter$1')
    .replace(/ogue(s?)$/, 'og$1')
    .replace(/ence(s?)$/, 'ense$1')
    .replace(/ll(ed|ing|er|ers)$/, 'l$1');

/** Whether a token is its lemma as written (the tagger's lemmas are American: “realise” is “realize”). */
const isBase = (t: LinguisticToken): boolean => foldDialect(t.lower) === foldDialect(t.lemma);
const DIALECT_WORDS = new Set(['mom', 'moms', 'mommy', 'program', 'programs', 'gray', 'tire', 'tires', 'pajamas', 'aluminum']);

/** Every measure of a text, from the text, the topic words it should address and the checker's issues. */
export function measureWriting(text: string, topic: string[], metrics: TextMetrics, allIssues: GrammarIssue[], sentences: LinguisticSentence[] = analyse(text)): WritingAnalysis {
  const issues = allIssues.filter((i) => !isDialectVariant(i));
  const words = metrics.words;
  const lowerWords = metrics.contentWords.map((t) => t.lower);
  const wordTokens: LinguisticToken[] = sentences.flatMap((s) => s.tokens.filter((t) => t.isWord));

  // Vocabulary: how varied, and how common, the words are.
  const lemmas = new Set(wordTokens.map((t) => t.lemma));
  const contentTokens = wordTokens.filter((t) => CONTENT_POS.has(t.pos) && !STOPWORDS.has(t.lower) && /^[\p{L}'’-]+$/u.test(t.value));
  let known = 0;
  let logFrequency = 0;
  const lessCommonWords: Span[] = [];
  for (const t of contentTokens) {
    const perMillion = frequencyPerMillion(t.lower, t.lemma);
    if (perMillion === null) continue;
    known++;
    logFrequency += Math.log10(perMillion + 1);
    const rank = frequencyRank(t.lower, t.lemma);
    if (rank !== null && rank > COMMON_RANK) lessCommonWords.push({ start: t.start, end: t.end, text: text.slice(t.start, t.end), message: `a less common word (not among the ${COMMON_RANK} most frequent)` });
  }
  const letters = contentTokens.reduce((s, t) => s + t.value.length, 0);
  // Misspelt: flagged by the checker, or a word that the frequency list of 74,000 words does not have.
  const flagged = issues.filter((i) => ISSUE_GROUPS.spelling!.includes(i.kind));
  const misspelt = wordTokens.filter((t) => flagged.some((i) => i.start < t.end && i.end > t.start) || frequencyRank(t.lower, t.lemma) === null);
  const vague = metrics.contentWords.filter((t) => VAGUE.has(t.lower)).length + (text.match(/\ba lot\b/gi)?.length ?? 0);
  const slips = learnerSlips(text, sentences);
  const punctuationMarks = sentences.reduce((n, x) => n + x.tokens.filter((t) => t.pos === 'PUNCT' && /[.,;:!?]/.test(t.value)).length, 0);

  // Grammar and conventions: the checker's issues by kind, per 100 words.
  const byGroup: Record<string, GrammarIssue[]> = Object.fromEntries(Object.keys(ISSUE_GROUPS).map((g) => [g, []]));
  for (const i of issues) byGroup[groupOf(i.kind)]!.push(i);
  const rate = (g: string) => per100(byGroup[g]!.length, words);
  const lowercaseI = wordTokens.filter((t) => t.value === 'i').length;
  const lowercaseStarts = sentences.filter((s) => {
    const first = s.tokens.find((t) => t.isWord);
    return first !== undefined && /^\p{Ll}/u.test(first.value);
  }).length;

  // Syntax: sentence length, clauses, phrases.
  const lengths = sentences.map((s) => s.tokens.filter((t) => t.isWord).length);
  const sentenceCount = Math.max(1, sentences.length);
  const longSentences = sentences.filter((_, i) => lengths[i]! > LONG_SENTENCE);
  const count = (pred: (t: LinguisticToken) => boolean) => wordTokens.filter(pred).length;
  const subordinators = count((t) => t.pos === 'SCONJ' || (RELATIVES.has(t.lower) && t.pos === 'PRON'));
  const verbs = count((t) => t.pos === 'VERB');
  const nouns = count((t) => t.pos === 'NOUN' || t.pos === 'PROPN');
  const commas = sentences.reduce((s, x) => s + x.tokens.filter((t) => t.value === ',').length, 0);

  // Cohesion: links by kind, and whether each sentence picks up the one before it.
  const linkerCount = (kind: string) => metrics.linkers.filter((h) => LINKERS[kind]!.includes(h.phrase)).length;
  const overlap = adjacentOverlap(sentences);

  return {
    measures: {
      words,
      logWords: Math.log(Math.max(1, words)),
      sentences: sentences.length,
      paragraphs: metrics.paragraphs,
      mtld: mtld(lowerWords),
      mattr: metrics.mattr,
      rootTtr: wordTokens.length ? lemmas.size / Math.sqrt(wordTokens.length) : 0,
      lessCommonShare: known ? (lessCommonWords.length / known) * 100 : 0,
      meanLogFrequency: known ? logFrequency / known : 0,
      meanWordLength: contentTokens.length ? letters / contentTokens.length : 0,
      misspeltShare: wordTokens.length ? (misspelt.length / wordTokens.length) * 100 : 0,
      vagueWordsPer100: per100(vague, words),
      spellingPer100: rate('spelling'),
      agreementPer100: rate('agreement'),
      grammarPer100: rate('grammar'),
      usagePer100: rate('usage'),
      capitalizationPer100: rate('capitalization'),
      punctuationPer100: rate('punctuation'),
      formattingPer100: rate('formatting'),
      stylePer100: rate('style'),
      errorsPer100: per100(issues.filter((i) => !ISSUE_GROUPS.spelling!.includes(i.kind) && !ISSUE_GROUPS.style!.includes(i.kind)).length, words),
      lowercaseIPer100: per100(lowercaseI, words),
      lowercaseStartShare: sentences.length ? (lowercaseStarts / sentences.length) * 100 : 0,
      agreementSlipsPer100: per100(slips.agreement.length, words),
      verbFormSlipsPer100: per100(slips.verbForm.length, words),
      numberSlipsPer100: per100(slips.number.length, words),
      fragmentShare: sentences.length ? (slips.fragments.length / sentences.length) * 100 : 0,
      errorFreeSentenceShare: errorFreeShare(sentences, [...issues.filter((i) => !ISSUE_GROUPS.style!.includes(i.kind)), ...slips.agreement, ...slips.verbForm, ...slips.number]),
      punctuationMarksPer100: per100(punctuationMarks, words),
      meanSentenceLength: lengths.length ? lengths.reduce((s, x) => s + x, 0) / lengths.length : words,
      longSentenceShare: words ? (longSentences.reduce((s, x) => s + x.tokens.filter((t) => t.isWord).length, 0) / Math.max(1, wordTokens.length)) * 100 : 0,
      subordinationPerSentence: subordinators / sentenceCount,
      verbsPerSentence: verbs / sentenceCount,
      coordinationPerSentence: count((t) => t.pos === 'CCONJ') / sentenceCount,
      adjectivesPerNoun: nouns ? count((t) => t.pos === 'ADJ') / nouns : 0,
      prepositionsPer100: per100(count((t) => t.pos === 'ADP'), wordTokens.length),
      pronounsPer100: per100(count((t) => t.pos === 'PRON'), wordTokens.length),
      commasPerSentence: commas / sentenceCount,
      verbsPer100: per100(verbs, wordTokens.length),
      linkersPer100: per100(metrics.linkers.length, words),
      linkerKinds: metrics.linkerKinds,
      additionPer100: per100(linkerCount('addition'), words),
      contrastPer100: per100(linkerCount('contrast'), words),
      causePer100: per100(linkerCount('cause'), words),
      examplePer100: per100(linkerCount('example'), words),
      sequencePer100: per100(linkerCount('sequence'), words),
      conclusionPer100: per100(linkerCount('conclusion'), words),
      adjacentOverlap: overlap,
      repeatedOpenings: metrics.repeatedOpenings.length,
      wordsPerParagraph: words / Math.max(1, metrics.paragraphs),
      promptCoverage: topicCoverage(topic, wordTokens),
    },
    longSentences: longSentences.map((s) => ({ start: s.start, end: s.end, text: text.slice(s.start, s.end), message: `a sentence of ${s.tokens.filter((t) => t.isWord).length} words: split it, or punctuate its clauses` })),
    lessCommonWords,
    misspelt: misspelt.map((t) => ({ start: t.start, end: t.end, text: text.slice(t.start, t.end), message: flagged.some((i) => i.start < t.end && i.end > t.start) ? 'a spelling mistake' : 'not a word in a list of 74,000: check the spelling' })),
    slips,
    issueSpans: Object.fromEntries(Object.entries(byGroup).map(([g, is]) => [g, is.map((i) => ({ start: i.start, end: i.end, text: text.slice(i.start, i.end), message: i.message }))])),
  };
}

/** Share (%) of pairs of neighbouring sentences that share a content word (by lemma). */
function adjacentOverlap(sentences: LinguisticSentence[]): number {
  if (sentences.length < 2) return 0;
  const content = sentences.map((s) => new Set(s.tokens.filter((t) => t.isWord && CONTENT_POS.has(t.pos) && !STOPWORDS.has(t.lower) && t.lemma.length > 2).map((t) => t.lemma)));
  let shared = 0;
  for (let i = 1; i < content.length; i++) if ([...content[i]!].some((l) => content[i - 1]!.has(l))) shared++;
  return (shared / (content.length - 1)) * 100;
}

/** The content words of a prompt: what a text on it is expected to take up. */
export const promptWords = (prompt: string | null): string[] => (prompt ? [...new Set(tokenize(prompt).map((t) => t.lower).filter((w) => w.length >= 4 && !STOPWORDS.has(w)))] : []);

/** Share (%) of the topic words (or phrases) that the text uses, by form or lemma. */
function topicCoverage(topic: string[], words: LinguisticToken[]): number {
  if (topic.length === 0) return 0;
  const used = new Set(words.flatMap((t) => [t.lower, t.lemma]));
  let hit = 0;
  for (const phrase of topic) {
    const parts = phrase.toLowerCase().split(/\s+/).filter((w) => w.length >= 3 && !STOPWORDS.has(w));
    if (parts.length && parts.every((w) => used.has(w) || used.has(w.replace(/s$/, '')))) hit++;
  }
  return (hit / topic.length) * 100;
}

/** Vague, all-purpose words: many of them make a text read as basic. */
const VAGUE = new Set(['thing', 'things', 'stuff', 'good', 'bad', 'nice', 'very', 'really', 'big', 'lot', 'lots', 'get', 'got', 'kind', 'kinds', 'way']);
const MODALS = new Set(['can', 'could', 'will', 'would', 'should', 'must', 'may', 'might', 'shall']);
const SINGULAR_DETERMINERS = new Set(['a', 'an', 'another', 'each', 'every']);
const PLURAL_DETERMINERS = new Set(['many', 'several', 'these', 'those', 'both', 'few', 'various', 'two', 'three', 'four', 'five']);
/** Plurals without an s, and nouns that a plural determiner can precede as they are. */
const PLURAL_AS_IS = new Set(['people', 'children', 'men', 'women', 'police', 'staff', 'data', 'media', 'fish', 'sheep', 'deer', 'kind', 'sort', 'type', 'percent', 'feet', 'teeth', 'mice', 'cattle', 'youth', 'family', 'team', 'class', 'crew', 'group', 'couple', 'series', 'species']);
/** Verbs whose past tense is their base form: “he put it there” agrees. */
const SAME_IN_PAST = new Set(['put', 'cut', 'let', 'set', 'hit', 'hurt', 'cost', 'read', 'quit', 'spread', 'shut', 'bet', 'beat', 'cast', 'fit', 'split', 'upset', 'broadcast', 'forecast']);
const SUBJECTS_3SG = new Set(['he', 'she', 'it']);
const SUBJECTS_OTHER = new Set(['i', 'you', 'we', 'they']);

export interface LearnerSlips {
  /** A subject pronoun and a verb that do not agree: “he have”, “they goes”. */
  agreement: Span[];
  /** A verb form that cannot follow a modal or “to”: “can helps”, “to studied”. */
  verbForm: Span[];
  /** A determiner and a noun that differ in number: “a books”, “many friend”. */
  number: Span[];
  /** Sentences of three words or more with no verb. */
  fragments: Span[];
}

/**
 * Patterns of learner error that the grammar checker misses, read off the parts of speech. Each is
 * a narrow pattern (a false alarm costs more than a miss) and each comes with its span.
 */
export function learnerSlips(text: string, sentences: LinguisticSentence[]): LearnerSlips {
  const out: LearnerSlips = { agreement: [], verbForm: [], number: [], fragments: [] };
  const span = (a: LinguisticToken, b: LinguisticToken, message: string): Span => ({ start: a.start, end: b.end, text: text.slice(a.start, b.end), message });
  for (const s of sentences) {
    const ts = s.tokens;
    const words = ts.filter((t) => t.isWord);
    if (words.length >= 3 && !ts.some((t) => t.pos === 'VERB' || t.pos === 'AUX')) out.fragments.push({ start: s.start, end: s.end, text: text.slice(s.start, s.end), message: 'a sentence without a verb' });
    for (let i = 0; i < ts.length - 1; i++) {
      const t = ts[i]!;
      const n = ts[i + 1]!;
      const prev = ts[i - 1];
      const verbLike = n.pos === 'VERB' || n.pos === 'AUX';
      // Agreement: only where the pronoun is the subject (not after a verb, as in “let it go”, nor inverted, as in “does he have”).
      if (verbLike && t.pos === 'PRON' && !(prev && (prev.pos === 'VERB' || prev.pos === 'AUX' || prev.pos === 'ADP'))) {
        const base = n.pos === 'VERB' && isBase(n) && !/(s|ed|ing)$/.test(n.lower) && !MODALS.has(n.lower) && !SAME_IN_PAST.has(n.lower);
        if (SUBJECTS_3SG.has(t.lower) && (['have', 'do', 'are', 'were'].includes(n.lower) || base)) out.agreement.push(span(t, n, `“${n.value}” does not agree with “${t.value}”`));
        const thirdPerson = n.pos === 'VERB' && !isBase(n) && (n.lower === `${n.lemma}s` || n.lower === `${n.lemma}es`);
        const wrongAux = t.lower === 'i' ? ['has', 'does', 'is', 'are'] : ['has', 'does', 'is', 'am', 'was'];
        if (SUBJECTS_OTHER.has(t.lower) && (wrongAux.includes(n.lower) || thirdPerson)) out.agreement.push(span(t, n, `“${n.value}” does not agree with “${t.value}”`));
      }
      if (t.lower === 'people' && ['is', 'was', 'has', 'does'].includes(n.lower) && !(prev && (prev.pos === 'VERB' || prev.pos === 'AUX'))) out.agreement.push(span(t, n, `“people” is plural: “${n.lower === 'is' ? 'are' : n.lower === 'was' ? 'were' : n.lower === 'has' ? 'have' : 'do'}”`));
      // “for find”: purpose is “to” and a verb (or “for” and -ing).
      if (t.lower === 'for' && n.pos === 'VERB' && isBase(n) && !n.lower.endsWith('ing')) out.verbForm.push(span(t, n, `purpose: “to ${n.lower}” (or “for ${n.lower}ing”)`));
      // Verb form after a modal or “to”: the base form (“can help”, “to study”).
      if ((t.pos === 'AUX' && MODALS.has(t.lower)) || (t.lower === 'to' && t.pos === 'PART')) {
        let j = i + 1;
        while (j < ts.length && (ts[j]!.lemma === 'not' || ts[j]!.pos === 'ADV')) j++;
        const v = ts[j];
        if (v && v.pos === 'VERB' && !isBase(v) && !v.lower.endsWith('ing')) out.verbForm.push(span(t, v, `after “${t.value}” use the base form: “${v.lemma}”`));
      }
      // Number: a determiner and its noun (adjectives between them skipped).
      if (SINGULAR_DETERMINERS.has(t.lower) || PLURAL_DETERMINERS.has(t.lower)) {
        let j = i + 1;
        while (j < ts.length && (ts[j]!.pos === 'ADJ' || ts[j]!.pos === 'ADV')) j++;
        const noun = ts[j];
        if (noun && noun.pos === 'NOUN' && /^\p{L}+$/u.test(noun.value)) {
          if (SINGULAR_DETERMINERS.has(t.lower) && !isBase(noun) && noun.lower.endsWith('s')) out.number.push(span(t, noun, `“${t.value}” goes with a singular noun: “${noun.lemma}”`));
          if (PLURAL_DETERMINERS.has(t.lower) && isBase(noun) && !noun.lower.endsWith('s') && !PLURAL_AS_IS.has(noun.lower)) out.number.push(span(t, noun, `“${t.value}” goes with a plural noun`));
        }
      }
    }
  }
  return out;
}

/** Share (%) of sentences in which neither the checker nor the slip patterns found an error (style aside). */
function errorFreeShare(sentences: LinguisticSentence[], errors: { start: number; end: number }[]): number {
  if (sentences.length === 0) return 0;
  const clean = sentences.filter((s) => !errors.some((e) => e.start < s.end && e.end > s.start)).length;
  return (clean / sentences.length) * 100;
}
