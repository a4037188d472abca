/**
 * The shape of the Xentree English course as it ships with the project.
 * Content is data: a module's `version` goes up whenever its text changes, and the seeder
 * applies it at start without touching anyone's progress (tasks are matched by `key`).
 */
export const CEFR_LEVELS = ['A1', 'A2', 'B1', 'B2', 'C1', 'C2'] as const;
export type CefrLevel = (typeof CEFR_LEVELS)[number];

export const SKILLS = ['grammar', 'vocabulary', 'reading', 'listening', 'writing', 'speaking'] as const;
export type Skill = (typeof SKILLS)[number];

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
export type TaskType = TaskContent['type'];

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
