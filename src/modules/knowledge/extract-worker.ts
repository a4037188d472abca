import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import { CHUNKER_SOURCE, type Chunk } from './chunk.js';
import type { DocumentKind } from './extract.js';
import { documentTooLarge, EXPANSION_FLOOR_CHARS, type DocumentLimit, type DocumentLimits } from './limits.js';

const require = createRequire(import.meta.url);
const HTML_TO_TEXT = require.resolve('html-to-text');
/** The modules the worker loads: pdf.js (ES module, by URL), html-to-text and the very parser it uses. */
const MODULES = {
  pdfjs: pathToFileURL(require.resolve('pdfjs-dist/legacy/build/pdf.mjs')).href,
  htmlToText: HTML_TO_TEXT,
  htmlparser2: createRequire(HTML_TO_TEXT).resolve('htmlparser2'),
};

/** A file that takes longer than this to read is given up (the document fails, nothing is indexed). */
const TIMEOUT_MS = 60_000;
/** Each worker's heap: an HTML page becomes a DOM many times its size, but not this. */
const MAX_HEAP_MB = 512;

/**
 * The pool's task, a CommonJS module written to a file when the pool starts (the same source
 * serves the built server and the tests, which run the TypeScript sources): one document, from
 * its bytes to its passages, off the event loop. pdf.js, outside a browser, runs its "worker" on
 * the calling thread and gives way only to promise callbacks (a page of the bomb held the
 * loop 1.4 s); html-to-text converts a page in one synchronous call; chunking millions of
 * characters is seconds of CPU. The limits are checked as the text arrives, so reading stops as
 * soon as one is passed, mid-page if need be. HTML is measured first by the parser html-to-text
 * uses: it keeps its open elements in an array it shifts and unshifts, so each element costs as
 * much as the depth it sits at, and 100,000 nested elements take minutes. The passages come back
 * as two NUL-separated strings (texts, headings): a large string crosses threads in one copy,
 * where thousands of small objects would be rebuilt one by one on the event loop.
 */
const WORKER_SOURCE = `'use strict';
${CHUNKER_SOURCE}
/*BODY*/
async function extract(kind, data, limits, modules) {
  if (kind === 'pdf') return pdf(data, limits, modules);
  if (kind === 'html') return html(data, limits, modules);
  const text = Buffer.from(data).toString('utf8').replace(/^\\uFEFF/, '');
  if (text.length > limits.maxChars) throw new Limit('characters', limits.maxChars);
  return text;
}

module.exports = async function read({ kind, data, limits, modules }) {
  try {
    const text = await extract(kind, data, limits, modules);
    const texts = [];
    const headings = [];
    for (const c of chunks(text)) {
      if (!c) continue;
      texts.push(c.text);
      headings.push(c.heading === null ? '\\u0001' : c.heading);
      if (texts.length > limits.maxChunks) throw new Limit('chunks', limits.maxChunks);
    }
    return { text, texts: texts.join('\\u0000'), headings: headings.join('\\u0000'), count: texts.length };
  } catch (e) {
    if (e instanceof Limit) return { limit: e.limit, max: e.max, found: e.found };
    const m = String((e && e.message) || e);
    return { error: kind === 'html' ? 'the HTML could not be read: ' + m : m };
  }
};
`;

interface Answer {
  text?: string;
  texts?: string;
  headings?: string;
  count?: number;
  limit?: DocumentLimit;
  max?: number;
  found?: number;
  error?: string;
}

const BODY = `class Limit { constructor(limit, max, found) { this.limit = limit; this.max = max; this.found = found; } }

async function pdf(data, limits, modules) {
  const pdfjs = await import(modules.pdfjs);
  let doc;
  try {
    doc = await pdfjs.getDocument({ data: new Uint8Array(data), useSystemFonts: false, isEvalSupported: false, disableFontFace: true, verbosity: 0 }).promise;
  } catch (e) {
    throw new Error('the PDF could not be read: ' + ((e && e.message) || e));
  }
  if (doc.numPages > limits.maxPages) throw new Limit('pages', limits.maxPages, doc.numPages);
  let chars = 0;
  const pages = [];
  for (let i = 1; i <= doc.numPages; i++) {
    const page = await doc.getPage(i);
    const reader = page.streamTextContent().getReader();
    let line = '';
    const lines = [];
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      for (const item of value.items) {
        if (!('str' in item)) continue;
        line += item.str;
        chars += item.str.length;
        if (item.hasEOL) { lines.push(line); line = ''; }
      }
      if (chars > limits.maxChars) throw new Limit('characters', limits.maxChars);
      if (chars > limits.expansionFloor && chars / data.length > limits.maxPdfExpansion) {
        throw new Limit('pdf_expansion', limits.maxPdfExpansion, Math.floor(chars / data.length));
      }
    }
    if (line) lines.push(line);
    pages.push(lines.join('\\n'));
    page.cleanup();
  }
  const text = pages.join('\\n\\n').trim();
  if (!text) throw new Error('the PDF has no extractable text (scanned images need OCR, which is not available)');
  return text;
}

function html(data, limits, modules) {
  const source = Buffer.from(data).toString('utf8').replace(/^\\uFEFF/, '');
  const { Parser } = require(modules.htmlparser2);
  let depth = 0;
  const parser = new Parser({
    onopentag() { if (++depth > limits.maxHtmlDepth) throw new Limit('html_depth', limits.maxHtmlDepth, depth); },
    onclosetag() { depth--; },
  });
  parser.write(source);
  parser.end();
  const { convert } = require(modules.htmlToText);
  const text = convert(source, {
    wordwrap: false,
    limits: { maxDepth: limits.maxHtmlDepth },
    selectors: [
      { selector: 'a', options: { ignoreHref: true } },
      { selector: 'img', format: 'skip' },
      ...[1, 2, 3, 4, 5, 6].map((n) => ({ selector: 'h' + n, format: 'heading', options: { uppercase: false, leadingLineBreaks: 2, trailingLineBreaks: 1, prefix: '#'.repeat(n) + ' ' } })),
    ],
    formatters: {
      // Headings as Markdown lines, so HTML and Markdown are chunked the same way.
      heading: (elem, walk, builder, options) => {
        builder.openBlock({ leadingLineBreaks: options.leadingLineBreaks ?? 2 });
        builder.addInline(String(options.prefix ?? ''));
        walk(elem.children, builder);
        builder.closeBlock({ trailingLineBreaks: options.trailingLineBreaks ?? 1 });
      },
    },
  });
  if (text.length > limits.maxChars) throw new Limit('characters', limits.maxChars);
  return text;
}

`;

/** What reading a document gave: its text and passages. */
export interface DocumentRead {
  text: string;
  chunks: Chunk[];
}

/**
 * A pool of worker threads (piscina) that read documents: extraction and chunking, within the
 * limits. Its size comes from WORKER_THREADS; documents beyond it wait their turn in the pool's
 * queue, off the event loop.
 */
export class DocumentReaders {
  private pool: Piscina | null = null;

  constructor(private readonly size: number) {}

  private get(): Piscina {
    if (this.pool) return this.pool;
    const source = WORKER_SOURCE.replace('/*BODY*/', BODY);
    const dir = join(tmpdir(), 'xentree-workers');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `document-reader-${createHash('sha256').update(source).digest('hex').slice(0, 16)}.cjs`);
    writeFileSync(file, source);
    this.pool = new Piscina({
      filename: file,
      minThreads: 0,
      maxThreads: this.size,
      // Idle threads go soon: each keeps its heap (pdf.js, the last document) in the process's memory.
      idleTimeout: 5_000,
      resourceLimits: { maxOldGenerationSizeMb: MAX_HEAP_MB },
      // pdf.js warns about fonts on the console: not the server's log.
      stdout: true,
      stderr: true,
    } as ConstructorParameters<typeof Piscina>[0]);
    return this.pool;
  }

  /**
   * The text and passages of a file, read in a worker thread within the limits (HTML: markup
   * dropped, headings kept as `#` lines for the chunker).
   * @throws document_too_large (characters, pages, pdf_expansion, html_depth, chunks); any other error is the file's fault
   */
  async read(kind: DocumentKind, data: Buffer, limits: DocumentLimits): Promise<DocumentRead> {
    const what = kind === 'pdf' ? 'PDF' : kind === 'html' ? 'HTML' : 'document';
    let m: Answer;
    try {
      m = (await this.get().run(
        { kind, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), limits: { ...limits, expansionFloor: EXPANSION_FLOOR_CHARS }, modules: MODULES },
        { signal: AbortSignal.timeout(TIMEOUT_MS) },
      )) as Answer;
    } catch (e) {
      const name = (e as { name?: string }).name;
      if (name === 'AbortError' || name === 'TimeoutError') throw new Error(`the ${what} could not be read within ${TIMEOUT_MS / 1000} s`, { cause: e });
      throw new Error(`the ${what} reader stopped: ${(e as Error).message}`, { cause: e });
    }
    if (m.limit) throw documentTooLarge(m.limit, m.max!, m.found);
    if (m.error !== undefined) throw new Error(m.error);
    const text = m.text ?? '';
    if (!m.count) return { text, chunks: [] };
    const texts = m.texts!.split('\u0000');
    const headings = m.headings!.split('\u0000');
    return { text, chunks: texts.map((t, i) => ({ text: t, heading: headings[i] === '\u0001' ? null : headings[i]! })) };
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    await pool?.destroy();
  }
}
