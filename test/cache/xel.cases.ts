import { gql } from '@apollo/client/core';
import type { CacheCases, CacheEnv } from '../helpers/apollo-cache.js';
import { COURSE } from '../../src/modules/xel/content/modules/index.js';

/**
 * Xentree English against a real InMemoryCache, as the English screen uses it: the modules
 * list, an open module with its tasks, the dashboard, the profile. The cast's `newcomer`
 * learns, so nobody else's days or time zone move.
 */
const WHO = 'newcomer' as const;

const MODULE_FIELDS = 'id slug level skill status taskCount completedTasks progressPercent xpEarned';
const TASK_FIELDS = 'id key type attempts completed bestScore options { value text }';
const DASHBOARD_FIELDS = `id xpTotal level xpIntoLevel xpForNextLevel currentStreak longestStreak timezone dailyGoalXp todayXp dailyGoalMet
  modulesCompleted modulesInProgress tasksCompleted averageScore
  skillScores { skill score samples } weeklyActivity { date xp tasks } activityHistory { date xp tasks }
  recommendedModule { ${MODULE_FIELDS} }`;

const MODULES = gql`
  query CacheXelModules($level: CefrLevel) {
    xelModules(level: $level, first: 50) {
      totalCount
      edges { cursor node { ${MODULE_FIELDS} } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
`;
const MODULE = gql`
  query CacheXelModule($id: ID!) {
    xelModule(id: $id) { ${MODULE_FIELDS} tasks { ${TASK_FIELDS} } }
  }
`;
const DASHBOARD = gql`
  query CacheXelDashboard {
    xelDashboard { ${DASHBOARD_FIELDS} }
  }
`;
const ME = gql`
  query CacheXelMe {
    me {
      id
      timezone
    }
  }
`;

/** A multiple-choice task of the first module, and the module's id, as the learner's REST door gives them. */
async function task(env: CacheEnv, slug = COURSE[0]!.slug, pick: 'right' | 'wrong' = 'right') {
  const mod = await env.api.get(`/api/xel/modules/${slug}`, { token: env.cast[WHO].accessToken });
  const content = COURSE.find((m) => m.slug === slug)!;
  const t = content.tasks.find((x) => x.type === 'multiple_choice')!;
  if (t.type !== 'multiple_choice') throw new Error('no multiple-choice task');
  const id = (mod.body.tasks as { id: string; key: string }[]).find((x) => x.key === t.key)!.id;
  const response = pick === 'right' ? t.answer : t.options.find((o) => o.id !== t.answer)!.id;
  return { moduleId: mod.body.id as string, level: content.level, taskId: id, response };
}

export const cases: CacheCases = [
  {
    key: 'Mutation.submitXelTask',
    as: WHO,
    setup: (env) => task(env),
    queries: (s: Awaited<ReturnType<typeof task>>) => [{ query: MODULES, variables: { level: s.level } }, { query: MODULE, variables: { id: s.moduleId } }, { query: DASHBOARD }],
    mutation: (s: Awaited<ReturnType<typeof task>>) => ({
      mutation: gql`
        mutation CacheSubmitXelTask($input: SubmitXelTaskInput!) {
          submitXelTask(input: $input) {
            score
            xpAwarded
            task { ${TASK_FIELDS} }
            module { ${MODULE_FIELDS} }
            dashboard { ${DASHBOARD_FIELDS} }
          }
        }
      `,
      variables: { input: { taskId: s.taskId, response: s.response } },
    }),
  },
  {
    // A wrong answer to another module's task: the attempt counts, the module starts, no XP.
    key: 'Mutation.submitXelTask#wrong',
    as: WHO,
    setup: (env) => task(env, COURSE[1]!.slug, 'wrong'),
    queries: (s: Awaited<ReturnType<typeof task>>) => [{ query: MODULES, variables: { level: s.level } }, { query: MODULE, variables: { id: s.moduleId } }, { query: DASHBOARD }],
    mutation: (s: Awaited<ReturnType<typeof task>>) => ({
      mutation: gql`
        mutation CacheSubmitXelTaskWrong($input: SubmitXelTaskInput!) {
          submitXelTask(input: $input) {
            score
            task { ${TASK_FIELDS} }
            module { ${MODULE_FIELDS} }
            dashboard { ${DASHBOARD_FIELDS} }
          }
        }
      `,
      variables: { input: { taskId: s.taskId, response: s.response } },
    }),
  },
  {
    // A free evaluation counts in the skill scores.
    key: 'Mutation.evaluateXel',
    as: WHO,
    setup: async () => undefined,
    queries: () => [{ query: DASHBOARD }],
    mutation: () => ({
      mutation: gql`
        mutation CacheEvaluateXel($input: EvaluateXelInput!) {
          evaluateXel(input: $input) {
            evaluation {
              overallScore
              cefrEstimate
            }
            dashboard { ${DASHBOARD_FIELDS} }
          }
        }
      `,
      variables: { input: { kind: 'SPEAKING', text: 'I usually walk to work because it is close, and I like the fresh air in the morning.' } },
    }),
  },
  {
    key: 'Mutation.updateXelPreferences',
    as: WHO,
    setup: async () => undefined,
    queries: () => [{ query: ME }, { query: DASHBOARD }],
    mutation: () => ({
      mutation: gql`
        mutation CacheUpdateXelPreferences($input: UpdateXelPreferencesInput!) {
          updateXelPreferences(input: $input) {
            user {
              id
              timezone
            }
            dashboard { ${DASHBOARD_FIELDS} }
          }
        }
      `,
      variables: { input: { timezone: 'Pacific/Auckland', dailyGoalXp: 5 } },
    }),
  },
];
