import type { CefrLevel } from '../content/types.js';

export type EvaluationKind = 'writing' | 'speaking';

export interface WordTiming {
  word: string;
  start: number;
  end: number;
}

export interface EvaluationRequest {
  kind: EvaluationKind;
  text: string;
  prompt: string | null;
  /** The level the task is set at (or the learner's target); shapes feedback, not the scale. */
  level: CefrLevel | null;
  durationSeconds: number | null;
  words: WordTiming[] | null;
  /** Task settings when the evaluation grades a task. */
  minWords: number | null;
  maxWords: number | null;
  targetSeconds: number | null;
  keywords: string[];
}

export interface Measure {
  name: string;
  value: number | null;
  unit: string | null;
}

export interface Span {
  start: number;
  end: number;
  text: string;
  message: string;
}

export interface Criterion {
  name: string;
  /** 0–9 in half bands, or null when not assessed. */
  score: number | null;
  assessed: boolean;
  feedback: string;
  measures: Measure[];
  spans: Span[];
}

export interface Correction {
  start: number;
  end: number;
  text: string;
  message: string;
  suggestions: string[];
  kind: string;
}

export interface Evaluation {
  overallScore: number;
  cefrEstimate: CefrLevel;
  cefrCaveat: string;
  criteria: Criterion[];
  corrections: Correction[];
  notAssessed: string[];
  /** `embedded`, or `ai:<provider>/<model>`; `embedded (fallback: ...)` when the AI one failed. */
  evaluator: string;
}

/** Every evaluator: the embedded rubric and the AI one. */
export interface Evaluator {
  evaluate(req: EvaluationRequest): Promise<Evaluation>;
}

/** Half bands, like IELTS: 6.25 → 6.5, 6.74 → 6.5, 6.75 → 7. */
export const toHalfBand = (x: number): number => Math.min(9, Math.max(0, Math.round(x * 2) / 2));
