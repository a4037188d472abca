/**
 * Exact grading of objective tasks. Answers are compared after a normalization that forgives
 * what does not change the answer: case, spacing, apostrophe and quote styles, final punctuation.
 */
import { AppError } from '../../common/errors.js';
import type { FillBlankTask, MultipleChoiceTask, OrderingTask } from './content/types.js';
import { MAX_SCORE } from './rules.js';

export interface ObjectiveGrade {
  score: number;
  passed: boolean;
  feedback: string;
}

/** Lower case, NFKC, one kind of apostrophe and quote, single spaces, no final punctuation. */
export function normalizeAnswer(s: string): string {
  return s
    .normalize('NFKC')
    .replace(/[\u2018\u2019\u02BC\u0060\u00B4]/g, "'")
    .replace(/[\u201C\u201D]/g, '"')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/\s*([,;:])\s*/g, '$1 ')
    .replace(/[\s.!?]+$/g, '')
    .trim();
}

/** For word order: the words only, without punctuation or case. */
function words(s: string): string {
  return normalizeAnswer(s)
    .replace(/[^\p{L}\p{N}'\s-]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

const invalidResponse = (message: string) => AppError.validation([{ loc: ['response'], message }]);

export function gradeMultipleChoice(task: MultipleChoiceTask, response: string): ObjectiveGrade {
  const chosen = task.options.find((o) => o.id === response.trim());
  if (!chosen) throw invalidResponse(`must be one of the option ids: ${task.options.map((o) => o.id).join(', ')}`);
  const right = chosen.id === task.answer;
  const correct = task.options.find((o) => o.id === task.answer);
  return grade(right, right ? `Correct: “${chosen.text}”. ${task.explanation}` : `Not quite: the answer is “${correct?.text ?? task.answer}”. ${task.explanation}`);
}

export function gradeFillBlank(task: FillBlankTask, response: string): ObjectiveGrade {
  const given = normalizeAnswer(response);
  const right = task.answers.some((a) => normalizeAnswer(a) === given);
  return grade(right, right ? `Correct. ${task.explanation}` : `Not quite: the blank takes “${task.answers[0]}”. ${task.explanation}`);
}

/**
 * Word order: the response is the sentence typed out, or the option ids (`w1 w3 w2 ...`, spaces
 * or commas) in the chosen order. Ids must each be used exactly once.
 */
export function gradeOrdering(task: OrderingTask, response: string): ObjectiveGrade {
  const ids = response.trim().split(/[\s,]+/).filter(Boolean);
  const optionIds = orderingOptions(task).map((o) => o.id);
  let sentence = response;
  if (ids.length > 0 && ids.every((id) => /^w\d+$/.test(id))) {
    const unknown = ids.filter((id) => !optionIds.includes(id));
    if (unknown.length) throw invalidResponse(`unknown option ids: ${unknown.join(', ')}`);
    if (new Set(ids).size !== ids.length || ids.length !== optionIds.length) throw invalidResponse(`must use each of the ${optionIds.length} option ids exactly once`);
    sentence = ids.map((id) => task.items[optionIds.indexOf(id)]).join(' ');
  }
  const given = words(sentence);
  const right = [task.answer, ...(task.alternatives ?? [])].some((a) => words(a) === given);
  return grade(right, right ? `Correct: “${task.answer}”. ${task.explanation}` : `Not quite: “${task.answer}”. ${task.explanation}`);
}

/** The items of an ordering task as options the client can pick by id. */
export function orderingOptions(task: OrderingTask): { id: string; text: string }[] {
  return task.items.map((text, i) => ({ id: `w${i + 1}`, text }));
}

function grade(right: boolean, feedback: string): ObjectiveGrade {
  return { score: right ? MAX_SCORE : 0, passed: right, feedback };
}
