import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
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
/** The worker's heap: an HTML page becomes a DOM many times its size, but not this. */
const MAX_HEAP_MB = 512;

/**
 * Runs in a worker thread started for one file, so that reading it never holds the event
 * loop: pdf.js, outside a browser, runs its "worker" on the calling thread and gives way
 * only to promise callbacks (a page of the bomb held the loop 1.4 s), and
 * html-to-text converts a page in one synchronous call. The limits are checked as the text
 * arrives, so reading stops as soon as one is passed, mid-page if need be. HTML is measured
 * first by the parser html-to-text uses: it keeps its open elements in an array it shifts and
 * unshifts, so each element costs as much as the depth it sits at, and 100,000 nested
 * elements take minutes.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { kind, data, limits, modules } = workerData;
class Limit { constructor(limit, max, found) { this.limit = limit; this.max = max; this.found = found; } }

async function pdf() {
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

function html() {
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

(async () => (kind === 'pdf' ? pdf() : html()))().then(
  (text) => parentPort.postMessage({ text }),
  (e) => parentPort.postMessage(e instanceof Limit ? { limit: e.limit, max: e.max, found: e.found } : { error: String((e && e.message) || e) }),
);
`;

interface Answer {
  text?: string;
  limit?: DocumentLimit;
  max?: number;
  found?: number;
  error?: string;
}

/**
 * The text of a PDF or an HTML page, read in a worker thread of its own within the limits
 * (HTML: markup dropped, headings kept as `#` lines for the chunker).
 * @throws document_too_large (characters, pages, pdf_expansion, html_depth); any other error is the file's fault
 */
export function extractInWorker(kind: 'pdf' | 'html', data: Buffer, limits: DocumentLimits): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { kind, data, limits: { ...limits, expansionFloor: EXPANSION_FLOOR_CHARS }, modules: MODULES },
      resourceLimits: { maxOldGenerationSizeMb: MAX_HEAP_MB },
      // pdf.js warns about fonts on the console: not the server's log.
      stdout: true,
      stderr: true,
    });
    let settled = false;
    const done = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
      void worker.terminate();
    };
    const what = kind === 'pdf' ? 'PDF' : 'HTML';
    const timer = setTimeout(() => done(() => reject(new Error(`the ${what} could not be read within ${TIMEOUT_MS / 1000} s`))), TIMEOUT_MS);
    worker.on('message', (m: Answer) => {
      if (m.limit) done(() => reject(documentTooLarge(m.limit!, m.max!, m.found)));
      else if (m.error !== undefined) done(() => reject(new Error(kind === 'html' ? `the HTML could not be read: ${m.error}` : m.error!)));
      else done(() => resolve(m.text ?? ''));
    });
    worker.on('error', (e: Error) => done(() => reject(new Error(`the ${what} could not be read: ${e.message}`))));
    worker.on('exit', (code) => done(() => reject(new Error(`the ${what} reader stopped (${code})`))));
  });
}
