/**
 * The ELLIPSE corpus (Crossley et al., 2023; CC BY-NC-SA 4.0): argumentative essays by English
 * learners in grades 8–12, scored 1–5 in half points by trained raters. The harness reads a local
 * copy given on the command line; the essays are never committed to this repository.
 */
import { readFileSync } from 'node:fs';

export const HUMAN_SCORES = ['Overall', 'Cohesion', 'Syntax', 'Vocabulary', 'Phraseology', 'Grammar', 'Conventions'] as const;
export type HumanScore = (typeof HUMAN_SCORES)[number];

export interface Essay {
  id: string;
  text: string;
  prompt: string;
  human: Record<HumanScore, number>;
  /** `calibration` (id ends in an even digit: fitted on), `heldout` (odd digit: measured on, never fitted), `other` (a letter). */
  split: 'calibration' | 'heldout' | 'other';
}

/** RFC 4180 CSV: quoted fields with doubled quotes and line breaks inside. */
export function parseCsv(src: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = src.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (; i < src.length; i++) {
    const c = src[i]!;
    if (quoted) {
      if (c === '"') {
        if (src[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && src[i + 1] === '\n') i++;
      row.push(field);
      field = '';
      if (row.length > 1 || row[0] !== '') rows.push(row);
      row = [];
    } else field += c;
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

export function splitOf(id: string): Essay['split'] {
  const last = id.trim().slice(-1);
  if (/[02468]/.test(last)) return 'calibration';
  if (/[13579]/.test(last)) return 'heldout';
  return 'other';
}

/** Reads the test or the train CSV (same columns); rows without a full set of scores are skipped. */
export function readEllipse(path: string): Essay[] {
  const [header, ...rows] = parseCsv(readFileSync(path, 'utf8'));
  if (!header) throw new Error(`${path}: empty`);
  const col = (name: string) => {
    const i = header.findIndex((h) => h.trim() === name);
    if (i < 0) throw new Error(`${path}: no column ${name} (columns: ${header.join(', ')})`);
    return i;
  };
  const id = col('text_id_kaggle');
  const text = col('full_text');
  const prompt = header.some((h) => h.trim() === 'prompt') ? col('prompt') : -1;
  const scores = HUMAN_SCORES.map((s) => [s, col(s)] as const);
  const out: Essay[] = [];
  for (const r of rows) {
    const human = Object.fromEntries(scores.map(([s, i]) => [s, Number(r[i])])) as Record<HumanScore, number>;
    if (Object.values(human).some((v) => !Number.isFinite(v) || v <= 0)) continue;
    const essayId = (r[id] ?? '').trim();
    out.push({ id: essayId, text: r[text] ?? '', prompt: prompt >= 0 ? (r[prompt] ?? '') : '', human, split: splitOf(essayId) });
  }
  return out;
}
