/**
 * The calibrated writing rubric: which measures inform which criterion, and how the fitted
 * weights (calibration.json, written by `npm run xel:calibrate -- <csv> --fit`) turn them into
 * bands. Each criterion is a ridge regression of its human counterpart in the ELLIPSE corpus on
 * its measures; the overall band is a regression of the human Overall score on the criteria.
 * Predictions are linearly linked to the spread of the human scores, kept within the human scale
 * (1 to 5), then put on the IELTS band scale with `band = 0.5 + 1.5 × score` (ELLIPSE 1 → band 2,
 * 3 → 5, 5 → 8); caps for short or off-task texts can take a band lower.
 */
import data from './calibration.json' with { type: 'json' };
import type { MeasureName, WritingMeasures } from './features.js';

export const WRITING_CRITERIA = ['Task achievement', 'Coherence and cohesion', 'Lexical resource', 'Grammatical range and accuracy'] as const;
export type WritingCriterion = (typeof WRITING_CRITERIA)[number];

export interface MeasureSpec {
  key: MeasureName;
  /** As shown to the learner, with its unit. */
  label: string;
  unit: string | null;
  /** The direction a rater would expect: +1 more is better, −1 more is worse, 0 either. A fitted weight against it drops the measure. */
  direction: 1 | -1 | 0;
}

const spec = (key: MeasureName, label: string, unit: string | null, direction: 1 | -1 | 0): MeasureSpec => ({ key, label, unit, direction });

/** The measures each criterion may use, and the human score it is fitted to (`A+B`: their mean). */
export const CRITERION_MEASURES: Record<WritingCriterion, { target: string; measures: MeasureSpec[] }> = {
  'Task achievement': {
    target: 'Overall',
    measures: [
      spec('logWords', 'words (log)', null, 1),
      spec('promptCoverage', 'task words used', '%', 1),
      spec('paragraphs', 'paragraphs', null, 1),
      spec('conclusionPer100', 'concluding phrases per 100 words', null, 1),
    ],
  },
  'Coherence and cohesion': {
    target: 'Cohesion',
    measures: [
      spec('linkersPer100', 'linking words per 100 words', null, 0),
      spec('linkerKinds', 'kinds of link', null, 1),
      spec('additionPer100', 'addition links per 100 words', null, 0),
      spec('contrastPer100', 'contrast links per 100 words', null, 0),
      spec('causePer100', 'cause links per 100 words', null, 0),
      spec('examplePer100', 'example links per 100 words', null, 0),
      spec('sequencePer100', 'sequence links per 100 words', null, 0),
      spec('conclusionPer100', 'concluding phrases per 100 words', null, 0),
      spec('adjacentOverlap', 'sentences that pick up the one before', '%', 0),
      spec('repeatedOpenings', 'repeated sentence openings', null, -1),
      spec('paragraphs', 'paragraphs', null, 1),
      spec('wordsPerParagraph', 'words per paragraph', null, 0),
      spec('longSentenceShare', 'words in sentences over 35 words', '%', -1),
      spec('lowercaseStartShare', 'sentences starting in lower case', '%', -1),
      spec('punctuationMarksPer100', 'punctuation marks per 100 words', null, 1),
      spec('logWords', 'words (log)', null, 1),
    ],
  },
  'Lexical resource': {
    target: 'Vocabulary',
    measures: [
      spec('mtld', 'lexical diversity (MTLD)', null, 1),
      spec('rootTtr', 'distinct words per √words', null, 1),
      spec('lessCommonShare', 'less common words', '%', 1),
      spec('meanLogFrequency', 'mean word frequency (log per million)', null, -1),
      spec('meanWordLength', 'mean content-word length', 'letters', 1),
      spec('vagueWordsPer100', 'vague words per 100 words', null, -1),
      spec('misspeltShare', 'misspelt words', '%', -1),
      spec('logWords', 'words (log)', null, 1),
    ],
  },
  'Grammatical range and accuracy': {
    target: 'Grammar',
    measures: [
      spec('agreementPer100', 'agreement errors per 100 words', null, -1),
      spec('grammarPer100', 'other grammar errors per 100 words', null, -1),
      spec('usagePer100', 'word choice issues per 100 words', null, -1),
      spec('capitalizationPer100', 'capitalisation errors per 100 words', null, -1),
      spec('punctuationPer100', 'punctuation errors per 100 words', null, -1),
      spec('spellingPer100', 'spelling mistakes per 100 words', null, -1),
      spec('lowercaseIPer100', 'lower-case “i” per 100 words', null, -1),
      spec('lowercaseStartShare', 'sentences starting in lower case', '%', -1),
      spec('agreementSlipsPer100', 'subject–verb slips per 100 words', null, -1),
      spec('verbFormSlipsPer100', 'verb-form slips per 100 words', null, -1),
      spec('numberSlipsPer100', 'singular/plural slips per 100 words', null, -1),
      spec('fragmentShare', 'sentences without a verb', '%', -1),
      spec('errorFreeSentenceShare', 'sentences with no error found', '%', 1),
      spec('punctuationMarksPer100', 'punctuation marks per 100 words', null, 1),
      spec('meanSentenceLength', 'mean sentence length', 'words', 0),
      spec('longSentenceShare', 'words in sentences over 35 words', '%', -1),
      spec('subordinationPerSentence', 'subordinate clauses per sentence', null, 1),
      spec('verbsPer100', 'verbs per 100 words', null, 0),
      spec('coordinationPerSentence', 'and/but/or per sentence', null, 0),
      spec('adjectivesPerNoun', 'adjectives per noun', null, 1),
      spec('prepositionsPer100', 'prepositions per 100 words', null, 1),
      spec('pronounsPer100', 'pronouns per 100 words', null, -1),
      spec('commasPerSentence', 'commas per sentence', null, 0),
      spec('logWords', 'words (log)', null, 1),
    ],
  },
};

export interface FittedMeasure {
  key: MeasureName;
  /** Values are clamped to [lo, hi] (the calibration essays' 1st and 99th percentiles), then standardised. */
  lo: number;
  hi: number;
  mean: number;
  sd: number;
  weight: number;
}

export interface Link {
  /** The fitted predictions' mean and spread on the calibration essays, and the human scores'. */
  predictionMean: number;
  predictionSd: number;
  humanMean: number;
  humanSd: number;
}

export interface CriterionModel {
  target: string;
  lambda: number;
  intercept: number;
  measures: FittedMeasure[];
  link: Link;
}

export interface Calibration {
  corpus: string;
  essays: number;
  /** band = intercept + slope × (human-scale score) */
  bandScale: { intercept: number; slope: number };
  criteria: Record<WritingCriterion, CriterionModel>;
  overall: { lambda: number; intercept: number; weights: Record<WritingCriterion, { mean: number; sd: number; weight: number }>; link: Link };
}

export const CALIBRATION = data as Calibration;

export interface Contribution {
  key: MeasureName;
  value: number;
  /** What this measure adds to the band, against a typical calibration essay (0). */
  bands: number;
}

/** A criterion's raw prediction on the human scale, and each measure's part in it. */
export function predictCriterion(model: CriterionModel, m: WritingMeasures, scale: Calibration['bandScale']): { raw: number; contributions: Contribution[] } {
  let raw = model.intercept;
  const contributions: Contribution[] = [];
  const linkSlope = model.link.humanSd / model.link.predictionSd;
  for (const f of model.measures) {
    const v = m[f.key];
    const part = (f.weight * (Math.min(f.hi, Math.max(f.lo, v)) - f.mean)) / f.sd;
    raw += part;
    contributions.push({ key: f.key, value: v, bands: part * linkSlope * scale.slope });
  }
  return { raw, contributions };
}

/** The human scale's ends (ELLIPSE scores 1 to 5): the calibration says nothing beyond them. */
export const HUMAN_SCALE = { min: 1, max: 5 };

/** A raw prediction linked to the human scores' spread, kept within the human scale, and put on the band scale (not rounded). */
export function bandOf(raw: number, link: Link, scale: Calibration['bandScale']): number {
  const human = link.humanMean + ((raw - link.predictionMean) * link.humanSd) / link.predictionSd;
  return scale.intercept + scale.slope * Math.min(HUMAN_SCALE.max, Math.max(HUMAN_SCALE.min, human));
}

export function predictOverall(cal: Calibration, raws: Record<WritingCriterion, number>): number {
  let raw = cal.overall.intercept;
  for (const c of WRITING_CRITERIA) {
    const w = cal.overall.weights[c];
    raw += (w.weight * (raws[c] - w.mean)) / w.sd;
  }
  return raw;
}

/** Below this share (%) of four or more task words, a text is taken as off the task, and its task band capped. */
export const OFF_TOPIC_COVERAGE = 20;
export const OFF_TOPIC_BAND = 4;

/** Range cannot be shown in a few words: the most a text of that length can score on range criteria. */
export const lengthCap = (words: number): number => (words < 50 ? 5 : words < 100 ? 6.5 : words < 150 ? 7.5 : 9);

export interface CriterionScore {
  /** Band before rounding, after the caps. */
  band: number;
  contributions: Contribution[];
  /** Why the band was held down, if it was. */
  caps: string[];
}

export interface WritingScore {
  overall: number;
  criteria: Record<WritingCriterion, CriterionScore>;
}

/**
 * The calibrated bands (not rounded) for a text's measures, with the caps that length and task
 * settings impose, and the overall band from the criteria as capped.
 */
export function scoreWriting(cal: Calibration, m: WritingMeasures, task: { minWords: number; maxWords: number | null; topicWords: number }): WritingScore {
  const criteria = {} as Record<WritingCriterion, CriterionScore>;
  for (const c of WRITING_CRITERIA) {
    const model = cal.criteria[c];
    const { raw, contributions } = predictCriterion(model, m, cal.bandScale);
    let band = bandOf(raw, model.link, cal.bandScale);
    const caps: string[] = [];
    const cap = (limit: number, why: string) => {
      if (band > limit) {
        band = limit;
        caps.push(why);
      }
    };
    if (c === 'Task achievement') {
      if (m.words < task.minWords) {
        band *= m.words / task.minWords;
        caps.push(`short of the ${task.minWords} words the task needs`);
      }
      if (task.maxWords && m.words > task.maxWords * 1.25) {
        band = Math.max(0, band - 1);
        caps.push(`well over the ${task.maxWords}-word limit`);
      }
      // Not fitted (every calibration essay is on its topic): a text that uses hardly any of four or more task words is off the task.
      if (task.topicWords >= 4 && m.promptCoverage < OFF_TOPIC_COVERAGE) cap(OFF_TOPIC_BAND, `it uses hardly any of the task’s words, so it may not address the task`);
    } else {
      cap(lengthCap(m.words), `a text of ${m.words} words can show only so much range (at most band ${lengthCap(m.words)})`);
      if (c === 'Coherence and cohesion' && m.sentences < 3) cap(3, 'too few sentences to show how ideas are organised');
      if (c !== 'Coherence and cohesion' && m.words < 20) cap(4, 'too short to show range');
    }
    criteria[c] = { band, contributions, caps };
  }
  // The overall band combines the criteria as capped: each band back on its raw scale.
  const raws = Object.fromEntries(
    WRITING_CRITERIA.map((c) => {
      const l = cal.criteria[c].link;
      const human = (criteria[c].band - cal.bandScale.intercept) / cal.bandScale.slope;
      return [c, l.predictionMean + ((human - l.humanMean) * l.predictionSd) / l.humanSd];
    }),
  ) as Record<WritingCriterion, number>;
  return { overall: bandOf(predictOverall(cal, raws), cal.overall.link, cal.bandScale), criteria };
}
