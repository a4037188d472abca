/**
 * The shape of the Xentree English course as it ships with the project.
 * Content is data: a module's `version` goes up whenever its text changes, and the seeder
 * applies it at start without touching anyone's progress (tasks are matched by `key`).
 */
import { defineEnum, type ValueOf } from '../../../graphql/enums.js';

/** The course's closed sets, declared once: the zod enums (REST, OpenAPI, validation) and the GraphQL enums. */
export const CefrLevel = defineEnum(
  'CefrLevel',
  'A level of the Common European Framework of Reference for Languages (CEFR), from beginner to mastery.',
  {
    A1: 'Breakthrough: everyday expressions and very basic phrases.',
    A2: 'Waystage: simple, routine exchanges on familiar matters.',
    B1: 'Threshold: the main points of clear standard input; simple connected text.',
    B2: 'Vantage: complex text on concrete and abstract topics; fluent, spontaneous interaction.',
    C1: 'Effective operational proficiency: demanding, longer texts; flexible, well-structured language.',
    C2: 'Mastery: understands virtually everything; expresses fine shades of meaning.',
  },
  { message: 'must be one of A1, A2, B1, B2, C1, C2' },
);
export type CefrLevel = ValueOf<typeof CefrLevel>;
export const CEFR_LEVELS = CefrLevel.values;

export const Skill = defineEnum(
  'XelSkill',
  'The skill a module trains.',
  {
    grammar: 'Grammar: forms and structures.',
    vocabulary: 'Vocabulary: words and expressions.',
    reading: 'Reading: understanding a written text.',
    listening: 'Listening: understanding what is heard (given as a transcript).',
    writing: 'Writing: a text, graded by the evaluator.',
    speaking: 'Speaking: a spoken answer as a transcript, graded by the evaluator.',
  },
  { message: 'must be one of grammar, vocabulary, reading, listening, writing, speaking' },
);
export type Skill = ValueOf<typeof Skill>;
export const SKILLS = Skill.values;

interface TaskBase {
  /** Stable within the module (`t1`, `t2`, ...); never reuse a key for a different task. */
  key: string;
  /** What the learner sees. For fill_blank it contains exactly one `___`. */
  prompt: string;
  /** A reading text or, for listening, the transcript of what is heard. Optional. */
  passage?: string;
  /** Why the answer is right; shown in the feedback after every attempt. */
  explanation: string;
}

export interface MultipleChoiceTask extends TaskBase {
  type: 'multiple_choice';
  /** 3 to 5 options; ids are short and stable (`a`, `b`, `c`, ...). */
  options: { id: string; text: string }[];
  /** The id of the one correct option. */
  answer: string;
}

export interface FillBlankTask extends TaskBase {
  type: 'fill_blank';
  /** Every accepted answer for the blank (grading also forgives case, spacing and apostrophe style). */
  answers: string[];
}

export interface OrderingTask extends TaskBase {
  type: 'ordering';
  /** The words or phrases to put in order, as shown (already shuffled). */
  items: string[];
  /** The correct sentence built from exactly those items, in order, joined by single spaces. */
  answer: string;
  /** Other correct orders, if the language allows them. */
  alternatives?: string[];
}

export interface WritingTask extends TaskBase {
  type: 'writing';
  minWords: number;
  maxWords: number;
  /** Words a response on topic is likely to use (task achievement looks for them). */
  keywords: string[];
}

export interface SpeakingTask extends TaskBase {
  type: 'speaking';
  /** How long a good answer speaks, in seconds. */
  targetSeconds: number;
  minWords: number;
  keywords: string[];
}

export type TaskContent = MultipleChoiceTask | FillBlankTask | OrderingTask | WritingTask | SpeakingTask;
export const TaskType = defineEnum('XelTaskType', 'How a task is answered and graded.', {
  multiple_choice: 'Choose one option: send its `value`. Graded exactly.',
  fill_blank: 'Fill the one blank (`___`) of the prompt. Graded exactly, forgiving case, spacing, apostrophes and final punctuation.',
  ordering: 'Put the pieces in order: send the sentence, or the option values in order. Graded exactly.',
  writing: 'Write a text (see minWords and maxWords): graded by the evaluator.',
  speaking: 'Say something and send the transcript (with its duration or word timings, for the pace): graded by the evaluator.',
});
export type TaskType = ValueOf<typeof TaskType>;
/** `true` only when A and B are the same union. */
export type SameSet<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
// Every kind of task content has its enum value, and no value lacks a content (a compile-time check).
true satisfies SameSet<TaskContent['type'], TaskType>;

export interface ModuleContent {
  /** Stable, url-safe, unique across the course, e.g. `a1-present-simple`. */
  slug: string;
  version: number;
  title: string;
  description: string;
  level: CefrLevel;
  skill: Skill;
  estimatedMinutes: number;
  /** At least 6. */
  tasks: TaskContent[];
}
