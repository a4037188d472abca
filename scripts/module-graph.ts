/**
 * The module graph, read from the code: which module imports which (always through its
 * index.ts, `npm run depcheck` sees to that), and which services a module's manifest needs
 * from a module it does not import (an interface of its own stands between them). Writes it
 * as a Mermaid block into README.md between the markers; with --check, writes nothing and
 * exits 1 when the README's block is not what the code gives.   npm run graph [-- --check]
 */
import 'reflect-metadata';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { modules } from '../src/modules/index.js';

export const BEGIN = '<!-- module-graph:begin (npm run graph writes this block) -->';
export const END = '<!-- module-graph:end -->';

const MODULES_DIR = 'src/modules';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** The module an import specifier of `file` lands in, when it is another module's. */
function targetModule(root: string, file: string, specifier: string): string | null {
  if (!specifier.startsWith('.')) return null;
  const parts = relative(join(root, MODULES_DIR), normalize(join(dirname(file), specifier))).split(/[\\/]/);
  return parts.length >= 2 && parts[0] !== '..' ? parts[0]! : null;
}

/** Import edges between modules: `from -> to` for every module that imports another. */
export function importEdges(root: string): Map<string, Set<string>> {
  const edges = new Map<string, Set<string>>();
  for (const m of modules) {
    const dir = join(root, MODULES_DIR, m.name);
    for (const file of filesUnder(dir)) {
      for (const [, specifier] of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)) {
        const to = targetModule(root, file, specifier!);
        if (to && to !== m.name) edges.set(m.name, (edges.get(m.name) ?? new Set()).add(to));
      }
    }
  }
  return edges;
}

/** Service edges: a module's manifest needs a service of another module. */
export function serviceEdges(): Map<string, Set<string>> {
  const provider = new Map<string, string>();
  for (const m of modules) for (const s of m.services ?? []) provider.set(s.name, m.name);
  const edges = new Map<string, Set<string>>();
  for (const m of modules) {
    for (const s of m.services ?? []) {
      for (const need of s.needs) {
        const to = provider.get(need);
        if (to && to !== m.name) edges.set(m.name, (edges.get(m.name) ?? new Set()).add(to));
      }
    }
  }
  return edges;
}

const id = (name: string): string => name.replace(/-/g, '_');

/** The README block: a Mermaid flowchart, modules in registration order, edges sorted. */
export function moduleGraph(root: string): string {
  const imports = importEdges(root);
  const services = serviceEdges();
  const lines = ['```mermaid', 'flowchart TD'];
  for (const m of modules) lines.push(`  ${id(m.name)}["${m.name}"]`);
  for (const m of modules) {
    const imported = imports.get(m.name) ?? new Set<string>();
    for (const to of [...imported].sort()) lines.push(`  ${id(m.name)} --> ${id(to)}`);
    // Needed at run time, but reached through an interface the module declares itself.
    for (const to of [...(services.get(m.name) ?? [])].sort()) if (!imported.has(to)) lines.push(`  ${id(m.name)} -. service .-> ${id(to)}`);
  }
  lines.push('```');
  return `${BEGIN}\n${lines.join('\n')}\n${END}`;
}

/** README.md with its block replaced by `block`. */
export function withGraph(readme: string, block: string): string {
  const start = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${BEGIN} … ${END} markers`);
  return readme.slice(0, start) + block + readme.slice(end + END.length);
}

function main(): void {
  const root = process.cwd();
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const updated = withGraph(readme, moduleGraph(root));
  if (process.argv.includes('--check')) {
    if (updated !== readme) {
      console.error('README.md: the module graph is stale: run npm run graph and commit the result.');
      process.exit(1);
    }
    console.log('README.md: the module graph is up to date');
    return;
  }
  writeFileSync(join(root, 'README.md'), updated);
  console.log('README.md: module graph written');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === normalize(process.argv[1])) main();
