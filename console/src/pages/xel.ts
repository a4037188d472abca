import { ApiError, explain, request } from '../api.js';
import { barChart } from '../chart.js';
import { busy, field, h, replace, setStatus, statusLine } from '../dom.js';
import {
  ConsoleSubmitXelTaskDocument,
  ConsoleUpdateXelPreferencesDocument,
  ConsoleXelDashboardDocument,
  ConsoleXelModuleDocument,
  ConsoleXelModulesDocument,
  type CefrLevel,
  type ConsoleXelDashboardFragment as XelDashboard,
  type ConsoleXelEvaluationFragment as XelEvaluation,
  type ConsoleXelModuleFragment as XelModule,
  type ConsoleXelTaskFragment as XelTask,
  type XelSkill,
} from '../generated/graphql.js';

const LEVELS: CefrLevel[] = ['A1', 'A2', 'B1', 'B2', 'C1', 'C2'];
const SKILLS: XelSkill[] = ['READING', 'LISTENING', 'WRITING', 'SPEAKING', 'VOCABULARY', 'GRAMMAR'];
/** An enum value as words: `NOT_STARTED` → `not started`. */
const asWords = (value: string): string => value.toLowerCase().replace(/_/g, ' ');

/** An older gateway without XEL answers that the fields do not exist (in the upper case gateways used before the ErrorCode enum). */
const notAvailable = (e: unknown): boolean => e instanceof ApiError && (e.code === 'graphql_validation_failed' || e.code === 'GRAPHQL_VALIDATION_FAILED');
const browserZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone;
const weekday = (date: string): string => new Date(`${date}T12:00:00Z`).toLocaleDateString(undefined, { weekday: 'short', timeZone: 'UTC' });
const words = (s: string): number => s.trim().split(/\s+/).filter(Boolean).length;

/** An evaluation: the band, the CEFR estimate, the criteria and the corrections. */
function evaluationView(e: XelEvaluation): HTMLElement {
  return h(
    'section',
    { class: 'eval', 'aria-label': 'Evaluation', 'data-testid': 'xel-evaluation' },
    h('h4', null, `Overall ${e.overallScore.toFixed(1)} / 9 · CEFR ${e.cefrEstimate}`),
    e.cefrCaveat ? h('p', { class: 'hint' }, e.cefrCaveat) : null,
    h(
      'ul',
      null,
      e.criteria.map((c) => h('li', null, h('strong', null, `${c.name}: `), c.assessed && c.score !== null ? `${c.score.toFixed(1)} — ` : 'not assessed — ', c.feedback)),
    ),
    e.corrections.length
      ? h('div', null, h('h5', null, 'Corrections'), h('ul', null, e.corrections.map((c) => h('li', null, h('q', null, c.text), ` ${c.message}`, c.suggestions.length ? ` Try: ${c.suggestions.join(', ')}.` : ''))))
      : null,
    e.notAssessed.length ? h('p', { class: 'hint' }, `Not assessed: ${e.notAssessed.join(', ')}.`) : null,
    h('p', { class: 'hint' }, `Evaluated by ${e.evaluator}.`),
  );
}

/** Xentree English: the dashboard (streak, weekly activity chart), the modules with progress, doing tasks. */
export function renderXel(main: HTMLElement): void {
  const dashboard = h('section', { class: 'card', 'aria-labelledby': 'xel-dash-h', 'data-testid': 'xel-dashboard' }, h('h2', { id: 'xel-dash-h' }, 'Your progress'), h('p', null, 'Loading…'));
  const modules = h('ul', { class: 'modules', 'aria-label': 'Modules' });
  const modulesStatus = statusLine();
  const moduleView = h('section', { class: 'card', 'aria-labelledby': 'xel-module-h', hidden: true });

  async function loadDashboard(): Promise<void> {
    try {
      const { xelDashboard: d } = await request(ConsoleXelDashboardDocument);
      showDashboard(d);
    } catch (e) {
      replace(dashboard, h('h2', { id: 'xel-dash-h' }, 'Your progress'), h('p', { class: 'status', 'data-kind': notAvailable(e) ? 'warning' : 'error' }, notAvailable(e) ? 'Xentree English is not available on this gateway yet.' : explain(e)));
    }
  }

  /** Draws the dashboard: from its query, or from what a mutation answered with. */
  function showDashboard(d: XelDashboard, saved?: string): void {
    const total = d.weeklyActivity.reduce((n, day) => n + day.xp, 0);
    const summary = `XP earned in the last 7 days: ${total}, ${d.weeklyActivity.map((day) => `${weekday(day.date)} ${day.xp}`).join(', ')}.`;
    replace(
      dashboard,
      h('h2', { id: 'xel-dash-h' }, 'Your progress'),
      h(
        'ul',
        { class: 'stats' },
        h('li', { 'data-testid': 'xel-streak' }, h('strong', null, `${d.currentStreak} day${d.currentStreak === 1 ? '' : 's'}`), `streak (best ${d.longestStreak})`),
        h('li', null, h('strong', null, String(d.xpTotal)), `XP · level ${d.level}`),
        h('li', null, h('strong', null, `${d.todayXp} / ${d.dailyGoalXp}`), d.dailyGoalMet ? 'daily goal met' : 'XP toward today’s goal'),
        h('li', null, h('strong', null, String(d.tasksCompleted)), `tasks · ${d.modulesCompleted} modules done`),
        d.averageScore !== null ? h('li', null, h('strong', null, `${d.averageScore}%`), 'average score') : null,
      ),
      h('label', { for: 'xel-level' }, `Level ${d.level}: ${d.xpIntoLevel} of ${d.xpForNextLevel} XP to the next`),
      h('progress', { id: 'xel-level', max: d.xpForNextLevel || 1, value: d.xpIntoLevel }),
      h(
        'figure',
        null,
        h('figcaption', null, 'Weekly activity (XP per day)'),
        barChart(d.weeklyActivity.map((day) => ({ label: weekday(day.date), value: day.xp, title: `${day.date}: ${day.xp} XP, ${day.tasks} task${day.tasks === 1 ? '' : 's'}` })), summary),
        h(
          'details',
          null,
          h('summary', null, 'As a table'),
          h('table', null, h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Day'), h('th', { scope: 'col' }, 'XP'), h('th', { scope: 'col' }, 'Tasks'))), h('tbody', null, d.weeklyActivity.map((day) => h('tr', null, h('th', { scope: 'row' }, day.date), h('td', null, String(day.xp)), h('td', null, String(day.tasks)))))),
        ),
      ),
      d.skillScores.some((s) => s.score !== null) ? h('p', null, 'Skills: ', d.skillScores.filter((s) => s.score !== null).map((s) => `${asWords(s.skill)} ${s.score}%`).join(' · ')) : null,
      preferences(d.timezone, d.dailyGoalXp, saved),
      d.recommendedModule ? h('p', null, 'Next up: ', h('button', { type: 'button', class: 'link', onclick: () => void openModule(d.recommendedModule!.id) }, `${d.recommendedModule.title} (${d.recommendedModule.level})`)) : null,
    );
  }

  /** Days (streaks, the daily goal) are counted in the learner's time zone; the browser knows it. */
  function preferences(timezone: string, goal: number, saved?: string): HTMLElement {
    const zone = h('input', { name: 'timezone', value: timezone, autocomplete: 'off', list: 'xel-zones' });
    const zones = h('datalist', { id: 'xel-zones' }, [...new Set([browserZone(), 'UTC'])].map((z) => h('option', { value: z })));
    const dailyGoal = h('input', { name: 'daily-goal', type: 'number', min: 1, max: 1000, value: String(goal) });
    const save = h('button', { type: 'submit', class: 'secondary' }, 'Save');
    const status = statusLine();
    if (saved) setStatus(status, saved);
    const form = h(
      'form',
      { class: 'inline', 'aria-labelledby': 'xel-prefs-h' },
      h('h3', { id: 'xel-prefs-h' }, 'Your days'),
      field('Time zone', zone, timezone === browserZone() ? undefined : `This browser is in ${browserZone()}.`),
      zones,
      field('Daily goal (XP)', dailyGoal),
      save,
      status,
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      void busy(save, async () => {
        try {
          const { updateXelPreferences: p } = await request(ConsoleUpdateXelPreferencesDocument, { input: { timezone: zone.value.trim(), dailyGoalXp: Number(dailyGoal.value) } });
          // The answer carries the dashboard with the change: drawn as is, with the form saying so.
          showDashboard(p.dashboard, `Saved: days in ${p.dashboard.timezone}, ${p.dashboard.dailyGoalXp} XP a day.`);
        } catch (err) {
          setStatus(status, explain(err), 'error');
        }
      });
    });
    return form;
  }

  const moduleCard = (m: XelModule): HTMLElement =>
    h(
      'li',
      { 'data-module': m.slug },
      h('h3', null, m.title),
      h('p', { class: 'hint' }, `${m.level} · ${asWords(m.skill)}${` · about ${m.estimatedMinutes} min`}`),
      h('p', null, m.description),
      h('label', { for: `prog-${m.id}` }, `${m.completedTasks} of ${m.taskCount} tasks · ${asWords(m.status)}`),
      h('progress', { id: `prog-${m.id}`, max: 100, value: m.progressPercent }),
      h('button', { type: 'button', class: 'secondary small', onclick: () => void openModule(m.id) }, m.status === 'NOT_STARTED' ? 'Start' : m.status === 'COMPLETED' ? 'Review' : 'Continue', h('span', { class: 'sr-only' }, ` ${m.title}`)),
    );

  const level = h('select', { name: 'level' }, h('option', { value: '' }, 'All levels'), LEVELS.map((l) => h('option', { value: l }, l)));
  const skill = h('select', { name: 'skill' }, h('option', { value: '' }, 'All skills'), SKILLS.map((s) => h('option', { value: s }, asWords(s))));
  async function loadModules(): Promise<void> {
    try {
      const { xelModules } = await request(ConsoleXelModulesDocument, { level: (level.value || null) as CefrLevel | null, skill: (skill.value || null) as XelSkill | null });
      const list = xelModules.edges.map((e) => e.node);
      replace(modules, list.length ? list.map(moduleCard) : h('li', { class: 'empty' }, 'No module matches.'));
      setStatus(modulesStatus, '');
    } catch (e) {
      setStatus(modulesStatus, notAvailable(e) ? 'Xentree English is not available on this gateway yet.' : explain(e), notAvailable(e) ? 'warning' : 'error');
    }
  }
  level.addEventListener('change', () => void loadModules());
  skill.addEventListener('change', () => void loadModules());

  function taskForm(task: XelTask): HTMLElement {
    const out = h('div', { 'aria-live': 'polite' });
    const submit = h('button', { type: 'submit' }, 'Check');
    const status = statusLine();
    let response: () => string;
    let controls: HTMLElement;
    // Writing: the time spent on the answer. Speaking: how long the learner says they spoke.
    const opened = Date.now();
    let duration = (): number | null => Math.round((Date.now() - opened) / 1000);
    if (task.type === 'MULTIPLE_CHOICE' && task.options.length) {
      const radios = task.options.map((o) => h('input', { type: 'radio', name: `t-${task.id}`, value: o.value, id: `t-${task.id}-${o.value}`, required: true }));
      controls = h('fieldset', { class: 'options' }, h('legend', null, 'Choose one'), radios.map((r, i) => h('label', { for: r.id }, r, ` ${task.options![i]!.text}`)));
      response = () => radios.find((r) => r.checked)?.value ?? '';
    } else if (task.type === 'WRITING' || task.type === 'SPEAKING') {
      const area = h('textarea', { name: 'response', rows: 6, required: true });
      const count = h('small', { class: 'hint', 'aria-live': 'off' }, '0 words');
      area.addEventListener('input', () => (count.textContent = `${words(area.value)} words${task.minWords ? ` (aim for ${task.minWords}–${task.maxWords ?? '…'})` : ''}`));
      controls = h('div', null, field(task.type === 'SPEAKING' ? 'What you said (transcript)' : 'Your answer', area), count);
      response = () => area.value;
      if (task.type === 'SPEAKING') {
        const spoke = h('input', { name: 'seconds', type: 'number', min: 1, max: 600, step: 1 });
        controls.append(field('How long you spoke (seconds, optional)', spoke, task.targetSeconds ? `A good answer speaks for about ${task.targetSeconds} s; the pace is judged from it.` : undefined));
        duration = () => (spoke.value ? Number(spoke.value) : null);
      }
    } else {
      const input = h('input', { name: 'response', required: true, autocomplete: 'off' });
      const hint = task.type === 'ORDERING' && task.options.length ? `Put these in order: ${task.options.map((o) => o.text).join(' / ')}` : undefined;
      controls = field('Your answer', input, hint);
      response = () => input.value;
    }
    const form = h('form', { class: 'task', 'aria-label': `Task: ${task.prompt}` }, controls, submit, status);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      void busy(submit, async () => {
        try {
          const { submitXelTask: r } = await request(ConsoleSubmitXelTaskDocument, { input: { taskId: task.id, response: response(), durationSeconds: duration() } });
          setStatus(status, `${r.passed ? 'Passed' : 'Not yet'}: ${r.score} / ${r.maxScore}${r.xpAwarded ? `, +${r.xpAwarded} XP` : ''}.`, r.passed ? 'info' : 'warning');
          replace(out, h('p', null, r.feedback), r.evaluation ? evaluationView(r.evaluation) : null);
          const card = modules.querySelector(`[data-module="${r.module.slug}"]`);
          card?.replaceWith(moduleCard(r.module));
          showDashboard(r.dashboard);
        } catch (err) {
          setStatus(status, explain(err), 'error');
        }
      });
    });
    return h(
      'li',
      { 'data-task': task.key, 'data-type': task.type.toLowerCase() },
      h('h4', null, task.prompt),
      task.passage ? h('blockquote', null, task.passage) : null,
      h('p', { class: 'hint' }, `${asWords(task.type)} · up to ${task.maxScore} points${task.completed ? ` · done (best ${task.bestScore ?? 0})` : ''}`),
      form,
      out,
    );
  }

  async function openModule(id: string): Promise<void> {
    try {
      const { xelModule: m } = await request(ConsoleXelModuleDocument, { id });
      if (!m) {
        setStatus(modulesStatus, 'That module is no longer in the course.', 'error');
        return;
      }
      moduleView.hidden = false;
      replace(
        moduleView,
        h('h2', { id: 'xel-module-h', tabindex: -1 }, m.title),
        h('p', null, `${m.level} · ${asWords(m.skill)} · ${m.completedTasks} of ${m.taskCount} tasks done`),
        h('ol', { class: 'tasks' }, m.tasks.map(taskForm)),
      );
      moduleView.querySelector<HTMLElement>('h2')?.focus();
    } catch (e) {
      setStatus(modulesStatus, explain(e), 'error');
    }
  }

  main.append(
    h('h1', null, 'Xentree English'),
    dashboard,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'xel-modules-h' },
      h('h2', { id: 'xel-modules-h' }, 'Modules'),
      h('div', { class: 'inline' }, field('Level', level), field('Skill', skill)),
      modulesStatus,
      modules,
    ),
    moduleView,
  );
  void loadDashboard();
  void loadModules();
}
