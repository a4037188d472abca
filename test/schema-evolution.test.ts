import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkEvolution, latestRelease, report, type AcceptedBreaks } from '../scripts/schema-diff.js';

/**
 * The schema-evolution check CI runs (`npm run schema:diff`): a breaking change against the
 * last release fails unless it is listed, with its reason, in schema/accepted-breaks.json.
 */
const BASELINE = /* GraphQL */ `
  type Query {
    "A note."
    note(id: ID!): Note
    "Old name of note."
    oldNote(id: ID!): Note @deprecated(reason: "Use note.")
  }
  type Note {
    id: ID!
    title: String!
    tags: [String!]!
    kind: Kind!
  }
  enum Kind {
    TEXT
    LIST
  }
`;

const none = (baseline = '1.0.0'): AcceptedBreaks => ({ baseline, accepted: [] });
const check = (current: string, breaks: AcceptedBreaks = none()) => checkEvolution(BASELINE, current, breaks, '1.0.0');

describe('the schema-evolution check', () => {
  it('passes an unchanged schema and additions', async () => {
    expect(report(await check(BASELINE), '1.0.0').ok).toBe(true);
    const added = await check(BASELINE.replace('tags: [String!]!', 'tags: [String!]!\n    pinned: Boolean!'));
    expect(added.refused).toEqual([]);
    expect(added.safe.map((c) => c.type)).toEqual(['FIELD_ADDED']);
    expect(report(added, '1.0.0').ok).toBe(true);
  });

  it('fails on a removed field, and names it', async () => {
    const v = await check(BASELINE.replace('tags: [String!]!', ''));
    expect(v.refused.map((c) => `${c.type} ${c.path}`)).toEqual(['FIELD_REMOVED Note.tags']);
    const r = report(v, '1.0.0');
    expect(r.ok).toBe(false);
    expect(r.text).toContain('BREAKING   FIELD_REMOVED Note.tags');
    expect(r.text).toMatch(/Deprecate instead/);
  });

  it('fails on a type change of a field too', async () => {
    const v = await check(BASELINE.replace('title: String!', 'title: String'));
    expect(v.refused.map((c) => c.type)).toEqual(['FIELD_TYPE_CHANGED']);
  });

  it('passes a removal listed as accepted with its reason, and prints the reason', async () => {
    const breaks: AcceptedBreaks = { baseline: '1.0.0', accepted: [{ type: 'FIELD_REMOVED', path: 'Note.tags', reason: 'Tags moved to labels in 1.1; no client read them.' }] };
    const v = await check(BASELINE.replace('tags: [String!]!', ''), breaks);
    expect(v.refused).toEqual([]);
    expect(v.accepted.map((a) => a.entry.path)).toEqual(['Note.tags']);
    const r = report(v, '1.0.0');
    expect(r.ok).toBe(true);
    expect(r.text).toContain('reason: Tags moved to labels');
  });

  it('still asks for an entry to remove a deprecated field (deprecate first, then remove on purpose)', async () => {
    const removed = BASELINE.replace(/"Old name of note."\s+oldNote[^\n]+\n/, '');
    expect((await check(removed)).refused.map((c) => `${c.type} ${c.path}`)).toEqual(['FIELD_REMOVED Query.oldNote']);
    const ok = await check(removed, { baseline: '1.0.0', accepted: [{ type: 'FIELD_REMOVED', path: 'Query.oldNote', reason: 'Deprecated since 1.0 in favour of note.' }] });
    expect(report(ok, '1.0.0').ok).toBe(true);
  });

  it('refuses an entry without a reason, an entry that matches nothing, and a list written against another release', async () => {
    const removed = BASELINE.replace('tags: [String!]!', '');
    const noReason = await check(removed, { baseline: '1.0.0', accepted: [{ type: 'FIELD_REMOVED', path: 'Note.tags', reason: '' }] });
    expect(report(noReason, '1.0.0').ok).toBe(false);
    expect(noReason.problems.join('\n')).toMatch(/Note.tags: give the reason/);
    const stale = await check(BASELINE, { baseline: '1.0.0', accepted: [{ type: 'FIELD_REMOVED', path: 'Note.tags', reason: 'Tags moved to labels in 1.1.' }] });
    expect(report(stale, '1.0.0').ok).toBe(false);
    expect(stale.problems.join('\n')).toMatch(/makes no such breaking change/);
    const other = await check(removed, { baseline: '0.9.0', accepted: [{ type: 'FIELD_REMOVED', path: 'Note.tags', reason: 'Tags moved to labels in 1.1.' }] });
    expect(other.refused).toHaveLength(1);
    expect(other.problems.join('\n')).toMatch(/against 0.9.0, but the baseline is 1.0.0/);
  });

  it('warns about dangerous changes without failing', async () => {
    const v = await check(BASELINE.replace('LIST\n', 'LIST\n    TABLE\n'));
    expect(v.dangerous.map((c) => `${c.type} ${c.path}`)).toEqual(['ENUM_VALUE_ADDED Kind.TABLE']);
    const r = report(v, '1.0.0');
    expect(r.ok).toBe(true);
    expect(r.text).toContain('dangerous  ENUM_VALUE_ADDED Kind.TABLE');
  });

  it('takes the newest release as the baseline, by version number', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xentree-releases-'));
    try {
      expect(latestRelease(dir)).toBeNull();
      for (const v of ['0.9.0', '0.10.0', '0.2.1']) writeFileSync(join(dir, `${v}.graphql`), 'type Query { a: Int }');
      expect(latestRelease(dir)).toEqual({ version: '0.10.0', file: join(dir, '0.10.0.graphql') });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
