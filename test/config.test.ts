import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { renderEnvExample, withConfigTable } from '../src/config-docs.js';
import { ConfigError, configSchema, ENV_NAMES, envRegistry, forEachVariable, loadConfig } from '../src/config.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'xt-config-'));
  dirs.push(d);
  return d;
};
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('configuration', () => {
  it('defaults to an embedded SQLite file under DATA_DIR, with a signing key generated once', () => {
    const dir = tmp();
    const a = loadConfig({ DATA_DIR: dir });
    expect(a.db).toMatchObject({ driver: 'sqlite', url: join(dir, 'xentree.sqlite3') });
    expect(a.port).toBe(4000);
    expect(a.graphql).toMatchObject({ ide: true, introspection: true });
    const keyFile = join(dir, 'signing-key');
    expect(existsSync(keyFile)).toBe(true);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const b = loadConfig({ DATA_DIR: dir });
    expect(b.auth.jwtSecret).toBe(a.auth.jwtSecret);
    expect(a.auth.jwtSecret.length).toBeGreaterThanOrEqual(32);
    expect(readFileSync(keyFile, 'utf8').trim()).toBe(a.auth.jwtSecret);
  });

  it('switches to PostgreSQL with a postgres URL', () => {
    const c = loadConfig({ DATA_DIR: tmp(), DATABASE_URL: 'postgres://app@db:5432/xentree' });
    expect(c.db).toMatchObject({ driver: 'postgresql', url: 'postgres://app@db:5432/xentree' });
  });

  it('fails fast naming each bad variable', () => {
    const bad = () => loadConfig({ DATA_DIR: tmp(), PORT: 'eighty', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud', ARGON2_MEMORY_KIB: '1024' });
    expect(bad).toThrow(ConfigError);
    try {
      bad();
    } catch (e) {
      const msg = (e as Error).message;
      for (const name of ['PORT', 'DATABASE_URL', 'LOG_LEVEL', 'ARGON2_MEMORY_KIB']) expect(msg).toContain(name);
    }
  });

  it('requires explicit secrets in production, and turns the IDE off there', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', DATA_DIR: tmp() })).toThrow(/JWT_SECRET/);
    expect(() => loadConfig({ NODE_ENV: 'production', DATA_DIR: tmp(), JWT_SECRET: 'short' })).toThrow(/JWT_SECRET/);
    const dir = tmp();
    const c = loadConfig({ NODE_ENV: 'production', DATA_DIR: dir, JWT_SECRET: 'x'.repeat(40) });
    expect(c.graphql).toMatchObject({ ide: false, introspection: false });
    expect(existsSync(join(dir, 'signing-key'))).toBe(false);
  });

  it('is frozen', () => {
    const c = loadConfig({ DATA_DIR: tmp(), JWT_SECRET: 'y'.repeat(40) });
    expect(Object.isFrozen(c.db)).toBe(true);
    expect(() => {
      (c as { port: number }).port = 1;
    }).toThrow();
  });

  it('declares each variable once, with a description, a unique name and a place in Config', () => {
    const seen = new Set<string>();
    const config = loadConfig({ DATA_DIR: tmp() });
    forEachVariable(configSchema, (path, schema, meta) => {
      expect(seen.has(meta.env), meta.env).toBe(false);
      seen.add(meta.env);
      expect(schema.description?.length ?? 0, `${meta.env} has no description`).toBeGreaterThan(10);
      expect(envRegistry.get(schema)?.group, `${meta.env} has no group`).toBeTruthy();
      // Its place in the tree is a place in the loaded configuration (a section may fold it into a derived value).
      let at: unknown = config;
      for (const key of path.slice(0, -1)) at = at === null ? null : (at as Record<string, unknown>)[key];
      expect(at === null || (typeof at === 'object' && path.at(-1)! in at), `${meta.env} at ${path.join('.')}`).toBe(true);
    });
    expect(seen.size).toBe(ENV_NAMES.length);
    expect(ENV_NAMES.length).toBeGreaterThanOrEqual(100);
  });

  it('keeps .env.example generated from the schema (npm run config:docs)', () => {
    const file = readFileSync('.env.example', 'utf8');
    expect(file, '.env.example drifted from src/config.ts: run npm run config:docs').toBe(renderEnvExample());
    const documented = file
      .split('\n')
      .filter((l) => /^[A-Z0-9_]+=/.test(l))
      .map((l) => l.split('=')[0]);
    expect(documented).toEqual([...ENV_NAMES]);
  });

  it("keeps the README's configuration table generated from the schema (npm run config:docs)", () => {
    const readme = readFileSync('README.md', 'utf8');
    expect(readme, "README.md's configuration table drifted from src/config.ts: run npm run config:docs").toBe(withConfigTable(readme));
    for (const name of ENV_NAMES) expect(readme).toContain(`| \`${name}\` |`);
  });

  it('loads the example file as written: its values are the defaults', () => {
    const dir = tmp();
    const example = Object.fromEntries(
      readFileSync('.env.example', 'utf8')
        .split('\n')
        .filter((l) => /^[A-Z0-9_]+=./.test(l))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    const fromExample = loadConfig({ ...example, DATA_DIR: dir });
    expect(fromExample).toEqual(loadConfig({ DATA_DIR: dir }));
  });
});
