import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BEGIN, END, moduleGraph, serviceEdges, withGraph } from '../scripts/module-graph.js';

describe('the module graph in the README', () => {
  it('is the one the code gives (npm run graph writes it)', () => {
    const readme = readFileSync('README.md', 'utf8');
    expect(readme).toContain(BEGIN);
    expect(withGraph(readme, moduleGraph(process.cwd()))).toBe(readme);
  });

  it('shows services a module needs through an interface, and refuses a README without the markers', () => {
    expect([...(serviceEdges().get('users') ?? [])]).toEqual(['auth']);
    expect(moduleGraph(process.cwd())).toContain('users -. service .-> auth');
    expect(() => withGraph('no markers here', `${BEGIN}\n${END}`)).toThrow('has no');
  });
});
