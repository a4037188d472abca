import { TimeSlicer } from '../../common/yielding.js';
import { documentTooLarge } from './limits.js';

export interface Chunk {
  heading: string | null;
  text: string;
}

const TARGET = 900;
const OVERLAP = 150;

/**
 * A heading's or a search title's first 300 UTF-16 units, never half a surrogate pair: `clip` of
 * src/common/text.ts, written here again because this source runs in the worker threads too
 * (CHUNKER_SOURCE), where nothing is imported; the ingestion's search titles use it there.
 */
function clipTitle(title: string): string {
  if (title.length <= 300) return title;
  const code = title.charCodeAt(299);
  return title.slice(0, code >= 0xd800 && code <= 0xdbff ? 299 : 300);
}

/**
 * A Markdown heading's text (`## Title ##` → `Title`), or null for any other line. Read without
 * a regular expression over the title: `^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$` backtracked in cubic
 * time on a line of spaces (a 3 KB document held a reading thread 14 s).
 */
function headingOf(line: string): string | null {
  const open = /^\s{0,3}#{1,6}\s+/.exec(line);
  if (!open) return null;
  const content = line.slice(open[0].length).trimEnd();
  let end = content.length;
  while (end > 0 && content[end - 1] === '#') end--;
  const title = content.slice(0, end).trimEnd();
  return title || content || null;
}

/** The last sentence (or words) of a chunk, at most OVERLAP characters, to open the next one. */
function tail(text: string): string {
  const slice = text.slice(-OVERLAP);
  const sentence = slice.search(/[.!?]\s+\S/);
  if (sentence >= 0) return slice.slice(sentence + 1).trim();
  const space = slice.indexOf(' ');
  return space >= 0 ? slice.slice(space + 1).trim() : slice.trim();
}

/** Splits a long paragraph at sentence ends (or spaces) into pieces of about TARGET characters. */
function* split(paragraph: string): Generator<string> {
  if (paragraph.length <= TARGET) {
    yield paragraph;
    return;
  }
  let rest = paragraph;
  while (rest.length > TARGET) {
    const window = rest.slice(0, TARGET);
    let cut = Math.max(window.lastIndexOf('. '), window.lastIndexOf('! '), window.lastIndexOf('? '));
    if (cut < TARGET / 2) cut = window.lastIndexOf(' ');
    if (cut < TARGET / 2) cut = TARGET - 1;
    yield rest.slice(0, cut + 1).trim();
    rest = rest.slice(cut + 1).trim();
  }
  if (rest) yield rest;
}

/** The blocks of a text (separated by blank lines), one at a time, without splitting it all up front. */
function* blocks(text: string): Generator<string> {
  const separator = /\n\s*\n/g;
  let from = 0;
  for (let m = separator.exec(text); m; m = separator.exec(text)) {
    yield text.slice(from, m.index);
    from = separator.lastIndex;
  }
  yield text.slice(from);
}

/**
 * The chunks of a text, in order; `null` marks a point where the work may pause (after each
 * piece of a paragraph), so a caller can give way to the event loop on a large text.
 */
function* chunks(text: string): Generator<Chunk | null> {
  let heading: string | null = null;
  let current = '';
  const flush = (): Chunk | null => {
    const t = current.trim();
    current = '';
    return t ? { heading, text: t } : null;
  };
  function* add(paragraph: string): Generator<Chunk | null> {
    for (const piece of split(paragraph.replace(/\s+/g, ' ').trim())) {
      if (current && current.length + piece.length + 2 > TARGET) {
        const carry = tail(current);
        yield flush();
        current = carry ? `${carry} ` : '';
      }
      current += (current && !current.endsWith(' ') ? '\n\n' : '') + piece;
      yield null;
    }
  }
  for (const block of blocks(text.replace(/\r\n?/g, '\n'))) {
    let bodyLines: string[] = [];
    for (const line of block.split('\n')) {
      const h = headingOf(line);
      if (h !== null) {
        if (bodyLines.length) {
          yield* add(bodyLines.join(' '));
          bodyLines = [];
        }
        yield flush();
        heading = clipTitle(h.replace(/\s+/g, ' ').trim());
      } else if (line.trim()) bodyLines.push(line.trim());
    }
    if (bodyLines.length) yield* add(bodyLines.join(' '));
    yield null;
  }
  yield flush();
}

/**
 * Splits text along headings and paragraphs into chunks of about TARGET characters. A chunk
 * never crosses a heading; consecutive chunks under one heading overlap by their boundary
 * sentence, so a fact cut in two is still found whole in one of them.
 */
export function chunkText(text: string): Chunk[] {
  const out: Chunk[] = [];
  for (const c of chunks(text)) if (c) out.push(c);
  return out;
}

/**
 * `chunkText` for documents: it gives way to the event loop every few milliseconds, so a
 * text of millions of characters never holds other requests up, and stops as soon as the
 * chunks pass `maxChunks`.
 * @throws document_too_large (chunks)
 */
export async function chunkTextGently(text: string, maxChunks: number, slicer = new TimeSlicer()): Promise<Chunk[]> {
  const out: Chunk[] = [];
  for (const c of chunks(text)) {
    if (c) {
      out.push(c);
      if (out.length > maxChunks) throw documentTooLarge('chunks', maxChunks);
    }
    await slicer.tick();
  }
  return out;
}

/**
 * The chunker's own source (`chunks(text)` and what it calls), for the worker threads that read
 * documents (./extract-worker.ts): the same code splits text there as here.
 */
export const CHUNKER_SOURCE = [`const TARGET = ${TARGET};`, `const OVERLAP = ${OVERLAP};`, clipTitle, headingOf, tail, split, blocks, chunks].map(String).join('\n');
