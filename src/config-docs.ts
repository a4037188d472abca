/**
 * `.env.example` and the README's configuration table, written from the schema in
 * `config.ts` (`npm run config:docs`); `test/config.test.ts` fails when either drifts.
 */
import { configSchema, defaultOf, forEachVariable, type EnvMeta } from './config.js';

interface Variable {
  readonly meta: EnvMeta;
  readonly description: string;
  /** What the schema applies when unset (undefined: nothing). */
  readonly default: unknown;
}

function variables(): Variable[] {
  const out: Variable[] = [];
  forEachVariable(configSchema, (_path, schema, meta) => out.push({ meta, description: schema.description ?? '', default: defaultOf(schema) }));
  return out;
}

/** `text` as comment lines of at most `width` characters. */
function comment(text: string, width = 100): string[] {
  const lines: string[] = [];
  let line = '#';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line.length > 1 && line.length + 1 + word.length > width) {
      lines.push(line);
      line = '#';
    }
    line += ` ${word}`;
  }
  if (line.length > 1) lines.push(line);
  return lines;
}

/** A default as text: scalars as String() writes them, a list comma-separated, anything else as JSON. */
const shown = (d: unknown): string =>
  typeof d === 'string' ? d : typeof d === 'number' || typeof d === 'boolean' || typeof d === 'bigint' ? String(d) : Array.isArray(d) ? d.map(shown).join(',') : JSON.stringify(d);

const exampleValue = (v: Variable) => (v.default === undefined ? '' : shown(v.default));

/** The example environment file: every variable, its description and its default (empty when computed or unset). */
export function renderEnvExample(): string {
  const out = [
    '# Xentree gateway configuration: every variable the gateway reads, with its default (empty:',
    '# unset, or computed as described). Generated from src/config.ts by `npm run config:docs`;',
    '# edit the descriptions there. A bad value stops the start with a message naming the variable.',
  ];
  let group: string | undefined;
  for (const v of variables()) {
    if (v.meta.group !== group) {
      group = v.meta.group;
      out.push('', ...comment(`--- ${group}.${v.meta.groupIntro ? ` ${v.meta.groupIntro}` : ''}`));
    }
    out.push(...comment(v.description), `${v.meta.env}=${exampleValue(v)}`);
  }
  return out.join('\n') + '\n';
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/\*/g, '\\*');

function defaultCell(v: Variable): string {
  if (v.meta.defaultText) return cell(v.meta.defaultText);
  if (v.default === undefined) return 'unset';
  if (v.default === '') return 'empty';
  return `\`${shown(v.default)}\``;
}

export const README_START = '<!-- config:start (generated from src/config.ts by npm run config:docs) -->';
export const README_END = '<!-- config:end -->';

/** The README's configuration section body: per group, its introduction and a table of its variables. */
export function renderConfigTable(): string {
  const out: string[] = [];
  let group: string | undefined;
  for (const v of variables()) {
    if (v.meta.group !== group) {
      group = v.meta.group;
      out.push('', `**${group}.**${v.meta.groupIntro ? ` ${cell(v.meta.groupIntro)}` : ''}`, '', '| variable | default | meaning |', '|---|---|---|');
    }
    out.push(`| \`${v.meta.env}\` | ${defaultCell(v)} | ${cell(v.description)} |`);
  }
  return out.join('\n') + '\n';
}

/** `readme` with the text between the markers replaced by the generated table (an error when the markers are missing). */
export function withConfigTable(readme: string): string {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start) throw new Error(`README.md lacks the markers ${README_START} ... ${README_END}`);
  return readme.slice(0, start + README_START.length) + '\n' + renderConfigTable() + '\n' + readme.slice(end);
}
