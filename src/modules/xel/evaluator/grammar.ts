/**
 * Grammar and spelling from Harper (harper.js, Apache-2.0), an offline checker compiled to
 * WebAssembly. It runs in a worker thread: loading takes seconds and a long text takes
 * hundreds of milliseconds, which must not stall the event loop. One checker per app (its
 * dialect is the app's XEL_DIALECT), closed with the app.
 *
 * Harper runs its learner rule set (harper-rules.json): its default rules less the idiom, name,
 * jargon and style rules that found nothing in the calibration essays. Every rule costs time on
 * every text; these 409 cost about a quarter of the check and almost never fire on learner writing.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AppError } from '../../../common/errors.js';
import { NAME_THIS_THREAD, THREAD_NAMES } from '../../../common/threads.js';
import learnerRules from './harper-rules.json' with { type: 'json' };

export interface GrammarIssue {
  kind: string;
  /** UTF-16 offsets into the checked text, like String.prototype.slice. */
  start: number;
  end: number;
  text: string;
  message: string;
  suggestions: string[];
}

export type Dialect = 'american' | 'british' | 'australian' | 'canadian';

/** Which of Harper's rules run: the learner rule set (the default), or all of Harper's default rules. */
export type RuleSet = 'learner' | 'full';

/** The Harper rules that the learner rule set turns off (see harper-rules.json). */
export const LEARNER_RULES_OFF: readonly string[] = learnerRules.off;

/** A short fingerprint of a rule set, for caches of the checker's results. */
export const ruleSetKey = (rules: RuleSet): string => (rules === 'full' ? 'full' : `learner-${createHash('sha256').update(LEARNER_RULES_OFF.join(',')).digest('hex').slice(0, 8)}`);

const WORKER_SOURCE = `
${NAME_THIS_THREAD}
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  const { LocalLinter, Dialect } = await import(workerData.index);
  const { binary } = await import(workerData.binary);
  const dialects = { american: Dialect.American, british: Dialect.British, australian: Dialect.Australian, canadian: Dialect.Canadian };
  const linter = new LocalLinter({ binary, dialect: dialects[workerData.dialect] });
  await linter.setup();
  if (workerData.off.length) {
    // A rule this harper.js does not have is skipped (the tests check that the list matches it).
    const config = await linter.getDefaultLintConfig();
    for (const r of workerData.off) if (r in config) config[r] = false;
    await linter.setLintConfig(config);
  }
  await linter.lint('This sentence warms the checker up.', { language: 'plaintext' });
  parentPort.on('message', async ({ id, text }) => {
    try {
      const lints = await linter.lint(text, { language: 'plaintext' });
      const issues = lints.map((l) => {
        const span = l.span();
        return { kind: l.lint_kind(), start: span.start, end: span.end, text: l.get_problem_text(), message: l.message(),
          suggestions: l.suggestions().map((s) => s.get_replacement_text()).filter((s) => typeof s === 'string') };
      });
      parentPort.postMessage({ type: 'result', id, issues });
    } catch (e) {
      parentPort.postMessage({ type: 'result', id, error: String(e && e.message || e) });
    }
  });
  parentPort.postMessage({ type: 'ready' });
})().catch((e) => parentPort.postMessage({ type: 'failed', error: String(e && e.message || e) }));
`;

function harperDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'node_modules', 'harper.js', 'dist');
    if (existsSync(join(candidate, 'index.js'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('harper.js is not installed');
    dir = parent;
  }
}

interface Pending {
  resolve: (issues: GrammarIssue[]) => void;
  reject: (e: Error) => void;
  text: string;
}

export class GrammarChecker {
  private worker: Worker | null = null;
  private ready: Promise<void> | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(
    private readonly dialect: Dialect,
    private readonly timeoutMs: number,
    readonly rules: RuleSet = 'learner',
  ) {}

  /** Starts loading in the background (idempotent). */
  warm(): Promise<void> {
    if (this.ready) return this.ready;
    const dir = harperDir();
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      name: THREAD_NAMES.grammar,
      workerData: { threadName: THREAD_NAMES.grammar, index: pathToFileURL(join(dir, 'index.js')).href, binary: pathToFileURL(join(dir, 'binary.js')).href, dialect: this.dialect, off: this.rules === 'full' ? [] : LEARNER_RULES_OFF },
    });
    worker.unref();
    this.worker = worker;
    this.ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (m: { type: string; id?: number; issues?: GrammarIssue[]; error?: string }) => {
        if (m.type === 'ready') resolve();
        else if (m.type === 'failed') reject(new Error(`grammar checker failed to load: ${m.error}`));
        else if (m.type === 'result' && m.id !== undefined) {
          const p = this.pending.get(m.id);
          if (!p) return;
          this.pending.delete(m.id);
          if (!m.error) {
            p.resolve((m.issues ?? []).map((i) => toUtf16(p.text, i)));
            return;
          }
          p.reject(new Error(m.error));
          // A failed lint may leave Harper's WebAssembly instance broken (a trap: every later
          // lint on it fails): this thread is replaced, and the next check starts a fresh one.
          if (this.worker === worker) {
            this.fail(new Error('the grammar checker was restarted after a failure; try again'));
            void worker.terminate();
          }
        }
      });
      worker.on('error', (e: Error) => {
        reject(e);
        this.fail(e);
      });
      worker.on('exit', () => {
        if (this.worker === worker) this.fail(new Error('grammar checker stopped'));
      });
    });
    // A load failure is reported to whoever checks; don't crash on an unobserved rejection.
    this.ready.catch(() => undefined);
    return this.ready;
  }

  /** The issues Harper finds in `text`. */
  async check(text: string): Promise<GrammarIssue[]> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const ready = this.warm();
    await raceTimeout(ready, timeout);
    const worker = this.worker;
    if (!worker) throw new AppError('service_unavailable', 'The grammar checker is not available');
    const id = this.nextId++;
    const result = new Promise<GrammarIssue[]>((resolve, reject) => this.pending.set(id, { resolve, reject, text }));
    worker.ref();
    try {
      worker.postMessage({ id, text });
      return await raceTimeout(result, timeout);
    } finally {
      this.pending.delete(id);
      if (this.pending.size === 0) worker.unref();
    }
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    this.ready = null;
    if (w) await w.terminate();
  }

  private fail(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
    this.worker = null;
    this.ready = null;
  }
}

async function raceTimeout<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) throw unavailable();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(unavailable());
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof AppError ? e : new AppError('service_unavailable', `The grammar checker failed: ${e instanceof Error ? e.message : String(e)}`));
      },
    );
  });
}

const unavailable = () => new AppError('service_unavailable', 'The grammar checker did not answer in time; try again shortly');

/** Harper counts characters (Unicode scalar values); JavaScript strings count UTF-16 units. */
function toUtf16(text: string, issue: GrammarIssue): GrammarIssue {
  // A character past U+FFFF is two UTF-16 units (a surrogate pair); without one the offsets agree.
  if (!/[\uD800-\uDFFF]/.test(text)) return issue;
  const cps = Array.from(text);
  const offset = (n: number) => cps.slice(0, n).join('').length;
  return { ...issue, start: offset(issue.start), end: offset(issue.end) };
}
