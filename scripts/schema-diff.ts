/**
 * Schema evolution (`npm run schema:diff`): diffs schema/schema.graphql against the schema of
 * the previous release (the newest schema/releases/<version>.graphql) with GraphQL Inspector,
 * and fails on a breaking change unless schema/accepted-breaks.json lists it with its reason.
 * Dangerous changes (a new enum value, a changed default...) are printed, not refused.
 *
 *   npm run schema:diff                     check (CI runs this)
 *   npm run schema:diff -- --release [v]    a release: store the current schema as
 *                                           schema/releases/<v or package.json's version>.graphql,
 *                                           the baseline from then on, and empty the accepted breaks
 *
 * Deprecate before removing: mark a field, argument or enum value `@deprecated(reason)`
 * (type-graphql: `deprecationReason`) in one release, remove it in a later one, listing the
 * removal here with its reason.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CriticalityLevel, diff, type Change } from '@graphql-inspector/core';
import { buildSchema } from 'graphql';

export const SCHEMA_FILE = 'schema/schema.graphql';
export const RELEASES_DIR = 'schema/releases';
export const ACCEPTED_FILE = 'schema/accepted-breaks.json';

/** One breaking change let through on purpose. */
export interface AcceptedBreak {
  /** GraphQL Inspector's change type: FIELD_REMOVED, TYPE_REMOVED, FIELD_TYPE_CHANGED... */
  type: string;
  /** The schema coordinate it concerns, as the check prints it: `Query.notes`, `Note.tags`. */
  path: string;
  /** Why breaking clients is acceptable (deprecated since, no client uses it...). */
  reason: string;
}

export interface AcceptedBreaks {
  /** The release the breaks are measured against: a list written against another baseline no longer applies. */
  baseline: string;
  accepted: AcceptedBreak[];
}

export interface Verdict {
  /** Breaking changes not accepted: the check fails on any. */
  refused: Change[];
  /** Breaking changes listed in the accepted breaks, with the entry that lets each through. */
  accepted: { change: Change; entry: AcceptedBreak }[];
  dangerous: Change[];
  safe: Change[];
  /** Problems with the accepted-breaks file itself: entries without a reason, entries matching no change, another baseline. */
  problems: string[];
}

const pathOf = (c: Change): string => c.path ?? '';

/**
 * Compares two SDL texts; the accepted breaks let listed breaking changes through. Pure: the
 * CLI below reads the files, the test calls it with SDL of its own.
 */
export async function checkEvolution(baselineSdl: string, currentSdl: string, breaks: AcceptedBreaks, baselineVersion: string): Promise<Verdict> {
  const changes = await diff(buildSchema(baselineSdl), buildSchema(currentSdl));
  const verdict: Verdict = { refused: [], accepted: [], dangerous: [], safe: [], problems: [] };
  if (breaks.baseline !== baselineVersion) {
    verdict.problems.push(`${ACCEPTED_FILE} lists breaks against ${breaks.baseline}, but the baseline is ${baselineVersion}: empty it (npm run schema:diff -- --release does) and list the breaks against ${baselineVersion}`);
  }
  const entries = breaks.baseline === baselineVersion ? breaks.accepted : [];
  for (const e of entries) {
    if (typeof e.reason !== 'string' || e.reason.trim().length < 10) verdict.problems.push(`${e.type} ${e.path}: give the reason the break is acceptable`);
  }
  const used = new Set<AcceptedBreak>();
  for (const change of changes) {
    const level = change.criticality.level;
    if (level === CriticalityLevel.NonBreaking) verdict.safe.push(change);
    else if (level === CriticalityLevel.Dangerous) verdict.dangerous.push(change);
    else {
      const entry = entries.find((e) => e.type === change.type && e.path === pathOf(change));
      if (entry && entry.reason?.trim().length >= 10) {
        used.add(entry);
        verdict.accepted.push({ change, entry });
      } else verdict.refused.push(change);
    }
  }
  for (const e of entries) {
    if (!used.has(e)) verdict.problems.push(`${e.type} ${e.path}: listed as an accepted break, but the schema makes no such breaking change: remove the entry`);
  }
  return verdict;
}

/** The newest release in RELEASES_DIR by version number, or null. */
export function latestRelease(dir = RELEASES_DIR): { version: string; file: string } | null {
  if (!existsSync(dir)) return null;
  const versions = readdirSync(dir)
    .filter((f) => f.endsWith('.graphql'))
    .map((f) => f.slice(0, -'.graphql'.length));
  const key = (v: string) => v.split(/[.-]/).map((p) => (/^\d+$/.test(p) ? p.padStart(8, '0') : p));
  versions.sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    for (let i = 0; i < Math.max(x.length, y.length); i++) {
      if ((x[i] ?? '') !== (y[i] ?? '')) return (x[i] ?? '') < (y[i] ?? '') ? -1 : 1;
    }
    return 0;
  });
  const version = versions.at(-1);
  return version ? { version, file: join(dir, `${version}.graphql`) } : null;
}

const summary = (c: Change): string => `${c.type} ${pathOf(c) || '-'}: ${c.message}`;

/** The report printed by the check; `ok` says whether CI passes. */
export function report(verdict: Verdict, baselineVersion: string): { ok: boolean; text: string } {
  const lines = [`schema/schema.graphql against release ${baselineVersion}: ${verdict.safe.length} safe, ${verdict.dangerous.length} dangerous, ${verdict.accepted.length} accepted breaking, ${verdict.refused.length} refused breaking change(s)`];
  for (const c of verdict.dangerous) lines.push(`  dangerous  ${summary(c)}`);
  for (const { change, entry } of verdict.accepted) lines.push(`  accepted   ${summary(change)}\n             reason: ${entry.reason}`);
  for (const c of verdict.refused) {
    lines.push(`  BREAKING   ${summary(c)}`);
    if (c.criticality.reason) lines.push(`             ${c.criticality.reason}`);
  }
  for (const p of verdict.problems) lines.push(`  PROBLEM    ${p}`);
  const ok = verdict.refused.length === 0 && verdict.problems.length === 0;
  if (verdict.refused.length) {
    lines.push(
      '',
      'Clients built against the last release would break. Deprecate instead (keep the field, mark it @deprecated with what to use) and remove it in a later release;',
      `or, when the break is intended, list it in ${ACCEPTED_FILE} as { "type": "<TYPE>", "path": "<path>", "reason": "<why>" }.`,
    );
  }
  return { ok, text: lines.join('\n') };
}

function readAccepted(file = ACCEPTED_FILE): AcceptedBreaks {
  if (!existsSync(file)) return { baseline: '', accepted: [] };
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<AcceptedBreaks>;
  return { baseline: String(parsed.baseline ?? ''), accepted: Array.isArray(parsed.accepted) ? parsed.accepted : [] };
}

function writeAccepted(breaks: AcceptedBreaks, file = ACCEPTED_FILE): void {
  writeFileSync(file, `${JSON.stringify(breaks, null, 2)}\n`);
}

async function main(argv: string[]): Promise<number> {
  const current = readFileSync(SCHEMA_FILE, 'utf8');
  const release = argv.indexOf('--release');
  if (release >= 0) {
    const version = argv[release + 1] ?? (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
    if (!/^[0-9A-Za-z.-]+$/.test(version)) throw new Error(`not a version: ${version}`);
    mkdirSync(RELEASES_DIR, { recursive: true });
    writeFileSync(join(RELEASES_DIR, `${version}.graphql`), current);
    writeAccepted({ baseline: version, accepted: [] });
    console.log(`${SCHEMA_FILE} stored as the release ${version} (${RELEASES_DIR}/${version}.graphql); ${ACCEPTED_FILE} emptied`);
    return 0;
  }
  const baseline = latestRelease();
  if (!baseline) {
    console.error(`no release in ${RELEASES_DIR}: store one with npm run schema:diff -- --release`);
    return 1;
  }
  const verdict = await checkEvolution(readFileSync(baseline.file, 'utf8'), current, readAccepted(), baseline.version);
  const { ok, text } = report(verdict, baseline.version);
  (ok ? console.log : console.error)(text);
  return ok ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
