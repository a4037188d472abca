import { deflateSync } from 'node:zlib';

/**
 * Documents built to hurt an ingestion pipeline, for the abuse tests and the
 * hardening-documents benchmark (which imports this file too: no test framework here).
 */

/**
 * The "PDF bomb" of issue 19: `pages` pages that all point at one FlateDecode content
 * stream of about `streamBytes` bytes once inflated. The file stays a few kilobytes, while
 * every page draws the whole stream's text again: 50 pages of 2 MB became 31.9 million
 * characters and 35,650 chunks. Built by hand (objects, xref, trailer), so nothing but zlib
 * is needed, with the standard Helvetica font so pdf.js extracts the text.
 */
export function pdfBomb(pages = 50, streamBytes = 2 * 1024 * 1024): Buffer {
  // Sixty lines down the page, then again from the top: pdf.js drops text outside the page.
  const block = Array.from({ length: 60 }, (_, i) => `1 0 0 1 72 ${740 - i * 12} Tm (Every page of this file draws the same two megabytes of text again.) Tj\n`).join('');
  const content = `BT /F1 10 Tf\n${block.repeat(Math.ceil(streamBytes / block.length))}ET\n`;
  return buildPdf(pages, deflateSync(Buffer.from(content, 'latin1'), { level: 9 }));
}

/** A well-formed PDF of `pages` pages sharing one short line of text (for the page limit). */
export function plainPdf(pages: number, text = 'A short page of ordinary text.'): Buffer {
  return buildPdf(pages, deflateSync(Buffer.from(`BT /F1 12 Tf 72 720 Td (${text}) Tj ET\n`, 'latin1')));
}

/**
 * An ordinary PDF: one page per entry of `pages`, each its own FlateDecode content stream of
 * its lines (Helvetica 10 pt, top to bottom), as a text document exported to PDF would be.
 */
export function textPdf(pages: string[][]): Buffer {
  const esc = (line: string) => line.replace(/[\\()]/g, (c) => `\\${c}`);
  return buildPdf(
    pages.length,
    pages.map((lines) => deflateSync(Buffer.from(`BT /F1 10 Tf\n${lines.map((l, i) => `1 0 0 1 56 ${760 - i * 13} Tm (${esc(l)}) Tj\n`).join('')}ET\n`, 'latin1'))),
  );
}

/** `stream`: one content stream all pages share, or one per page. */
function buildPdf(pages: number, stream: Buffer | Buffer[]): Buffer {
  const streams = Array.isArray(stream) ? stream : [stream];
  // Objects: 1 catalog, 2 page tree, 3 font, then the content streams, then the pages.
  const firstPage = 4 + streams.length;
  const kids = Array.from({ length: pages }, (_, i) => `${firstPage + i} 0 R`).join(' ');
  return pdfFile([
    ['<< /Type /Catalog /Pages 2 0 R >>'],
    [`<< /Type /Pages /Kids [${kids}] /Count ${pages} >>`],
    ['<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>'],
    ...streams.map((s) => [`<< /Length ${s.length} /Filter /FlateDecode >>\nstream\n`, s, '\nendstream']),
    ...Array.from({ length: pages }, (_, i) => [`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents ${4 + (streams.length > 1 ? i : 0)} 0 R >>`]),
  ]);
}

/**
 * A PDF file of `objects` (object n is `objects[n - 1]`, its parts written one after another;
 * object 1 the catalog), with its cross-reference table and trailer.
 */
export function pdfFile(objects: (Buffer | string)[][]): Buffer {
  const chunks: Buffer[] = [];
  const offsets: number[] = [];
  let length = 0;
  const push = (b: Buffer | string) => {
    const buf = typeof b === 'string' ? Buffer.from(b, 'latin1') : b;
    chunks.push(buf);
    length += buf.length;
  };
  push('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n');
  objects.forEach((body, i) => {
    offsets[i + 1] = length;
    push(`${i + 1} 0 obj\n`);
    for (const b of body) push(b);
    push('\nendobj\n');
  });
  const count = objects.length + 1;
  const xref = length;
  push(`xref\n0 ${count}\n0000000000 65535 f \n`);
  for (let n = 1; n < count; n++) push(`${String(offsets[n]).padStart(10, '0')} 00000 n \n`);
  push(`trailer\n<< /Size ${count} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`);
  return Buffer.concat(chunks);
}

/** HTML nested `depth` elements deep, with a word at every level. */
export function nestedHtml(depth: number): string {
  return `<html><body>${'<div>deeper '.repeat(depth)}${'</div>'.repeat(depth)}</body></html>`;
}

/** Plain text of about `bytes` bytes: paragraphs of ordinary sentences. */
export function plainText(bytes: number): string {
  const paragraph = 'The survey team walked the ridge at dawn and logged every cairn they passed along the way. '.repeat(8).trim();
  const block = `${paragraph}\n\n`;
  return block.repeat(Math.ceil(bytes / block.length)).slice(0, bytes);
}
