/**
 * The learner rule set: which of Harper's rules the evaluator runs. Harper checks every text with
 * each of its ~870 default rules, and the check's time grows with their number; most of them
 * correct idioms, product names, technical jargon or style that learner essays never contain.
 * Chosen on the calibration half only: a rule is turned off when it belongs to one of the groups
 * below and found nothing in any calibration essay. The groups of learner errors (grammar and
 * agreement, pronouns, spelling, capitalisation, punctuation, compounds, closed compounds,
 * miscellaneous) keep every rule. Writes src/modules/xel/evaluator/harper-rules.json.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StructuredLintSetting } from 'harper.js';
import type { Essay } from './ellipse.js';

/** Harper's rule groups (its structured configuration) whose rules can be turned off. */
export const LONG_TAIL_GROUPS = ['Proper Nouns', 'Initialisms', 'Phrase Corrections', 'Word Choice and Usage', 'Numbers and Units', 'Style and Redundancy', 'Regionalisms and Dialect'];

const RULES_FILE = fileURLToPath(new URL('../../../src/modules/xel/evaluator/harper-rules.json', import.meta.url));

function harperVersion(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    const pkg = join(dir, 'node_modules', 'harper.js', 'package.json');
    try {
      return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
    } catch {
      // keep looking upwards
    }
  }
  throw new Error('harper.js is not installed');
}

export async function selectRules(calibration: Essay[], dialect: 'british' = 'british'): Promise<string[]> {
  const { LocalLinter, Dialect } = await import('harper.js');
  const { binary } = await import('harper.js/binary');
  const linter = new LocalLinter({ binary, dialect: dialect === 'british' ? Dialect.British : Dialect.American });
  await linter.setup();
  const defaults = await linter.getDefaultLintConfig();
  const groupOf = new Map<string, string>();
  const walk = (settings: StructuredLintSetting[], group: string | null) => {
    for (const s of settings) {
      if ('Bool' in s) groupOf.set(s.Bool.name, group ?? '');
      else if ('Group' in s) walk(s.Group.child.settings, group ?? s.Group.label);
    }
  };
  walk((await linter.getStructuredLintConfig()).settings, null);
  const fired = new Map<string, number>();
  for (const e of calibration) {
    for (const [rule, lints] of Object.entries(await linter.organizedLints(e.text, { language: 'plaintext' }))) {
      if (lints.length) fired.set(rule, (fired.get(rule) ?? 0) + 1);
      for (const l of lints) l.free();
    }
  }
  await linter.dispose();
  const on = Object.keys(defaults).filter((r) => defaults[r] === true);
  const off = on.filter((r) => LONG_TAIL_GROUPS.includes(groupOf.get(r) ?? '') && !fired.has(r)).sort();
  writeFileSync(
    RULES_FILE,
    `${JSON.stringify(
      {
        harper: harperVersion(),
        chosen: `on the ${calibration.length} calibration essays: Harper's default rules in the groups ${LONG_TAIL_GROUPS.join(', ')} that found nothing in any of them (${off.length} of ${on.length})`,
        off,
      },
      null,
      1,
    )}\n`,
  );
  console.log(`\nWrote ${RULES_FILE}: ${off.length} of Harper's ${on.length} default rules off; ${fired.size} rules found something in the calibration half.`);
  return off;
}
