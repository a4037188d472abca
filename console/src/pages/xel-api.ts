/**
 * PENDING — XEL is being built on main. Until its schema lands, these typed documents are
 * written by hand after the planned API (console/pending/xel.graphql holds the same
 * operations). When it lands: move that file to console/documents/, run `npm run codegen`,
 * import the generated documents in pages/xel.ts and delete this file.
 */
import { TypedDocumentString } from '../generated/graphql.js';

export type XelModule = {
  id: string;
  slug: string;
  title: string;
  description: string;
  level: string;
  skill: string;
  taskCount: number;
  completedTasks: number;
  progressPercent: number;
  status: string;
  xpEarned: number;
  estimatedMinutes: number | null;
};
export type XelTask = {
  id: string;
  key: string;
  type: 'multiple_choice' | 'fill_blank' | 'ordering' | 'writing' | 'speaking' | string;
  prompt: string;
  passage: string | null;
  maxScore: number;
  attempts: number;
  completed: boolean;
  bestScore: number | null;
  minWords: number | null;
  maxWords: number | null;
  targetSeconds: number | null;
  options: { id: string; text: string }[] | null;
};
export type XelEvaluation = {
  overallScore: number;
  cefrEstimate: string;
  cefrCaveat: string | null;
  evaluator: string;
  notAssessed: string[];
  criteria: { name: string; score: number | null; assessed: boolean; feedback: string }[];
  corrections: { start: number; end: number; text: string; message: string; suggestions: string[]; kind: string }[];
};
export type XelDay = { date: string; xp: number; tasks: number };
export type XelDashboard = {
  xpTotal: number;
  level: number;
  xpIntoLevel: number;
  xpForNextLevel: number;
  currentStreak: number;
  longestStreak: number;
  timezone: string;
  dailyGoalXp: number;
  todayXp: number;
  dailyGoalMet: boolean;
  modulesCompleted: number;
  modulesInProgress: number;
  tasksCompleted: number;
  averageScore: number | null;
  skillScores: { skill: string; score: number; samples: number }[];
  weeklyActivity: XelDay[];
  recommendedModule: { id: string; title: string; level: string; skill: string } | null;
};
export type XelSubmission = {
  submissionId: string;
  score: number;
  maxScore: number;
  passed: boolean;
  feedback: string;
  xpAwarded: number;
  moduleProgress: XelModule;
  evaluation: XelEvaluation | null;
};

const MODULE = `fragment ConsoleXelModule on XelModule { id slug title description level skill taskCount completedTasks progressPercent status xpEarned estimatedMinutes }`;
const EVALUATION = `fragment ConsoleXelEvaluation on XelEvaluation { overallScore cefrEstimate cefrCaveat evaluator notAssessed criteria { name score assessed feedback } corrections { start end text message suggestions kind } }`;

export const ConsoleXelModulesDocument = new TypedDocumentString<{ xelModules: XelModule[] }, { level?: string | null; skill?: string | null }>(
  `query ConsoleXelModules($level: String, $skill: String) { xelModules(level: $level, skill: $skill) { ...ConsoleXelModule } } ${MODULE}`,
);
export const ConsoleXelModuleDocument = new TypedDocumentString<{ xelModule: XelModule & { tasks: XelTask[] } }, { id: string }>(
  `query ConsoleXelModule($id: ID!) { xelModule(id: $id) { ...ConsoleXelModule tasks { id key type prompt passage maxScore attempts completed bestScore minWords maxWords targetSeconds options { id text } } } } ${MODULE}`,
);
export const ConsoleXelDashboardDocument = new TypedDocumentString<{ xelDashboard: XelDashboard }, Record<string, never>>(
  `query ConsoleXelDashboard { xelDashboard { xpTotal level xpIntoLevel xpForNextLevel currentStreak longestStreak timezone dailyGoalXp todayXp dailyGoalMet modulesCompleted modulesInProgress tasksCompleted averageScore skillScores { skill score samples } weeklyActivity { date xp tasks } recommendedModule { id title level skill } } }`,
);
export const ConsoleSubmitXelTaskDocument = new TypedDocumentString<
  { submitXelTask: XelSubmission },
  { input: { taskId: string; response: string; durationSeconds?: number | null } }
>(
  `mutation ConsoleSubmitXelTask($input: SubmitXelTaskInput!) { submitXelTask(input: $input) { submissionId score maxScore passed feedback xpAwarded moduleProgress { ...ConsoleXelModule } evaluation { ...ConsoleXelEvaluation } } } ${MODULE} ${EVALUATION}`,
);
