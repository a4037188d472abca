/**
 * Fitting the calibrated rubric on essays with human scores: one sign-constrained ridge
 * regression per criterion on its measures, then one of the human Overall score on the criteria;
 * predictions linked to the human scores' spread. The same procedure runs inside each fold of the
 * cross-validation and once on the whole calibration half for the committed weights.
 */
import { CRITERION_MEASURES, predictCriterion, predictOverall, scoreWriting, WRITING_CRITERIA, type Calibration, type CriterionModel, type Link, type WritingCriterion } from '../../src/modules/xel/evaluator/calibration.js';
import type { MeasureName, WritingMeasures } from '../../src/modules/xel/evaluator/features.js';
import { toHalfBand } from '../../src/modules/xel/evaluator/types.js';
import type { HumanScore } from './ellipse.js';
import { foldOf, mean, pearson, ridge, sd } from './stats.js';

export interface Row {
  id: string;
  measures: WritingMeasures;
  /** How many topic words the prompt gave. */
  topicWords: number;
  human: Record<HumanScore, number>;
}

/** A human score, or the mean of several (`Grammar+Syntax`). */
export const targetOf = (r: Row, target: string): number => mean(target.split('+').map((t) => r.human[t as HumanScore]));

export const BAND_SCALE = { intercept: 0.5, slope: 1.5 };
const NEGLIGIBLE = 0.05;
const LAMBDAS = [0.003, 0.01, 0.03, 0.1, 0.3];

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))]!;
}

const linkOf = (predictions: number[], human: number[]): Link => ({ predictionMean: mean(predictions), predictionSd: sd(predictions) || 1, humanMean: mean(human), humanSd: sd(human) });

/** Ridge on the criterion's measures; a measure whose weight goes against its expected direction is dropped and the rest refitted. */
export function fitCriterion(rows: Row[], criterion: WritingCriterion, lambda: number): CriterionModel {
  const { target, measures } = CRITERION_MEASURES[criterion];
  const y = rows.map((r) => targetOf(r, target));
  let keys: MeasureName[] = [...new Set(measures.map((m) => m.key))];
  const bounds = new Map(keys.map((k) => [k, { lo: quantile(rows.map((r) => r.measures[k]), 0.01), hi: quantile(rows.map((r) => r.measures[k]), 0.99) }]));
  const clamped = (r: Row, k: MeasureName) => Math.min(bounds.get(k)!.hi, Math.max(bounds.get(k)!.lo, r.measures[k]));
  for (;;) {
    const lm = ridge(keys, rows.map((r) => keys.map((k) => clamped(r, k))), y, lambda);
    const wrong = lm.features
      .map((f) => ({ f, dir: measures.find((m) => m.key === f.name)!.direction }))
      .filter(({ f, dir }) => (dir > 0 && f.weight < 0) || (dir < 0 && f.weight > 0) || f.sd === 0)
      .sort((a, b) => Math.abs(b.f.weight) - Math.abs(a.f.weight));
    if (wrong.length) {
      keys = keys.filter((k) => k !== wrong[0]!.f.name);
      continue;
    }
    // A measure worth less than NEGLIGIBLE bands per standard deviation is left out: fewer figures, each of which matters.
    const ySd = sd(y);
    const weakest = lm.features.filter((f) => (Math.abs(f.weight) / ySd) * BAND_SCALE.slope < NEGLIGIBLE).sort((a, b) => Math.abs(a.weight) - Math.abs(b.weight))[0];
    if (weakest && keys.length > 1) {
      keys = keys.filter((k) => k !== weakest.name);
      continue;
    }
    const model: CriterionModel = {
      target,
      lambda,
      intercept: lm.intercept,
      measures: lm.features.map((f) => ({ key: f.name as MeasureName, lo: bounds.get(f.name as MeasureName)!.lo, hi: bounds.get(f.name as MeasureName)!.hi, mean: f.mean, sd: f.sd, weight: f.weight })),
      link: { predictionMean: 0, predictionSd: 1, humanMean: 0, humanSd: 1 },
    };
    const predictions = rows.map((r) => predictCriterion(model, r.measures, BAND_SCALE).raw);
    model.link = linkOf(predictions, y);
    return model;
  }
}

export function fitAll(rows: Row[], lambdas: Record<WritingCriterion, number> | null = null): Calibration {
  const chosen = lambdas ?? chooseLambdas(rows);
  const criteria = Object.fromEntries(WRITING_CRITERIA.map((c) => [c, fitCriterion(rows, c, chosen[c])])) as Record<WritingCriterion, CriterionModel>;
  const raws = rows.map((r) => Object.fromEntries(WRITING_CRITERIA.map((c) => [c, predictCriterion(criteria[c], r.measures, BAND_SCALE).raw])) as Record<WritingCriterion, number>);
  const y = rows.map((r) => r.human.Overall);
  let names: WritingCriterion[] = [...WRITING_CRITERIA];
  let lm = ridge(names, raws.map((r) => names.map((c) => r[c])), y, 0.01);
  // The overall band rises with every criterion: a criterion with a negative weight is left out.
  while (lm.features.some((f) => f.weight < 0)) {
    const worst = lm.features.filter((f) => f.weight < 0).sort((a, b) => a.weight - b.weight)[0]!;
    names = names.filter((c) => c !== worst.name);
    lm = ridge(names, raws.map((r) => names.map((c) => r[c])), y, 0.01);
  }
  const weights = Object.fromEntries(
    WRITING_CRITERIA.map((c) => {
      const f = lm.features.find((x) => x.name === c);
      return [c, f ? { mean: f.mean, sd: f.sd, weight: f.weight } : { mean: 0, sd: 1, weight: 0 }];
    }),
  ) as Calibration['overall']['weights'];
  const cal: Calibration = {
    corpus: '',
    essays: rows.length,
    bandScale: BAND_SCALE,
    criteria,
    overall: { lambda: 0.01, intercept: lm.intercept, weights, link: { predictionMean: 0, predictionSd: 1, humanMean: 0, humanSd: 1 } },
  };
  cal.overall.link = linkOf(raws.map((r) => predictOverall(cal, r)), y);
  return cal;
}

export interface Scored {
  overall: number;
  criteria: Record<WritingCriterion, number>;
}

/** What the evaluator reports for these measures (a free evaluation: no task, so 80 words expected): half bands. */
export function score(cal: Calibration, m: WritingMeasures, topicWords: number): Scored {
  const s = scoreWriting(cal, m, { minWords: 80, maxWords: null, topicWords });
  return {
    overall: toHalfBand(s.overall),
    criteria: Object.fromEntries(WRITING_CRITERIA.map((c) => [c, toHalfBand(s.criteria[c].band)])) as Record<WritingCriterion, number>,
  };
}

/** Each criterion's ridge penalty, chosen by 5-fold cross-validation within `rows`. */
export function chooseLambdas(rows: Row[]): Record<WritingCriterion, number> {
  const out = {} as Record<WritingCriterion, number>;
  for (const c of WRITING_CRITERIA) {
    const target = CRITERION_MEASURES[c].target;
    let best = { lambda: LAMBDAS[0]!, r: -Infinity };
    for (const lambda of LAMBDAS) {
      const pred: number[] = [];
      const human: number[] = [];
      for (let k = 0; k < 5; k++) {
        const train = rows.filter((r) => foldOf(`inner:${r.id}`, 5) !== k);
        const test = rows.filter((r) => foldOf(`inner:${r.id}`, 5) === k);
        const model = fitCriterion(train, c, lambda);
        for (const r of test) {
          pred.push(predictCriterion(model, r.measures, BAND_SCALE).raw);
          human.push(targetOf(r, target));
        }
      }
      const r = pearson(pred, human);
      if (r > best.r + 0.002) best = { lambda, r };
    }
    out[c] = best.lambda;
  }
  return out;
}

/** k-fold cross-validation of the whole procedure (penalties chosen once on all rows): each essay scored by a fit that did not see it. */
export function crossValidate(rows: Row[], k: number): { scored: Scored[]; lambdas: Record<WritingCriterion, number> } {
  const lambdas = chooseLambdas(rows);
  const scored = new Array<Scored>(rows.length);
  for (let f = 0; f < k; f++) {
    const cal = fitAll(rows.filter((r) => foldOf(r.id, k) !== f), lambdas);
    rows.forEach((r, i) => {
      if (foldOf(r.id, k) === f) scored[i] = score(cal, r.measures, r.topicWords);
    });
  }
  return { scored, lambdas };
}
