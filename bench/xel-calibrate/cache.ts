/**
 * Grammar-checker results cached per essay in a file outside the repository, so that refitting
 * and re-measuring do not re-run Harper over thousands of essays. Keyed by the text's hash, the
 * harper.js version, the dialect and the rule set (its fingerprint).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ruleSetKey, type GrammarIssue, type RuleSet } from '../../src/modules/xel/evaluator/grammar.js';

function harperVersion(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    const pkg = join(dir, 'node_modules', 'harper.js', 'package.json');
    if (existsSync(pkg)) return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  }
  throw new Error('harper.js is not installed');
}

export class CachedGrammar {
  private readonly file: string;
  private readonly entries: Map<string, GrammarIssue[]>;
  private dirty = false;

  constructor(
    private readonly checker: { check(text: string): Promise<GrammarIssue[]> },
    dir: string,
    dialect = 'british',
    rules: RuleSet = 'learner',
  ) {
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, `harper-${harperVersion()}-${dialect}-${ruleSetKey(rules)}.json`);
    this.entries = new Map(existsSync(this.file) ? Object.entries(JSON.parse(readFileSync(this.file, 'utf8')) as Record<string, GrammarIssue[]>) : []);
  }

  async check(text: string): Promise<GrammarIssue[]> {
    const key = createHash('sha256').update(text).digest('hex');
    const hit = this.entries.get(key);
    if (hit) return hit;
    const issues = await this.checker.check(text);
    this.entries.set(key, issues);
    this.dirty = true;
    return issues;
  }

  save(): void {
    if (!this.dirty) return;
    writeFileSync(this.file, JSON.stringify(Object.fromEntries(this.entries)));
    this.dirty = false;
  }
}
