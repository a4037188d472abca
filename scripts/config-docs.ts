/**
 * Writes .env.example and the README's configuration table from src/config.ts. With
 * --check, writes nothing and exits 1 when either differs from what the schema gives.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { renderEnvExample, withConfigTable } from '../src/config-docs.js';

const files: [string, (current: string) => string][] = [
  ['.env.example', () => renderEnvExample()],
  ['README.md', (current) => withConfigTable(current)],
];

let stale = false;
for (const [file, render] of files) {
  const current = readFileSync(file, 'utf8');
  const next = render(current);
  if (current === next) {
    console.log(`${file} is up to date`);
  } else if (process.argv.includes('--check')) {
    console.error(`${file} is stale: run npm run config:docs and commit the result.`);
    stale = true;
  } else {
    writeFileSync(file, next);
    console.log(`wrote ${file}`);
  }
}
if (stale) process.exit(1);
