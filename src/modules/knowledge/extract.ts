import { isUtf8 } from 'node:buffer';
import { AppError } from '../../common/errors.js';

export type DocumentKind = 'text' | 'markdown' | 'html' | 'pdf';

const BY_EXTENSION: Record<string, DocumentKind> = { txt: 'text', text: 'text', md: 'markdown', markdown: 'markdown', html: 'html', htm: 'html', pdf: 'pdf' };
const BY_MIME: Record<string, DocumentKind> = {
  'text/plain': 'text',
  'text/markdown': 'markdown',
  'text/x-markdown': 'markdown',
  'text/html': 'html',
  'application/pdf': 'pdf',
};
export const MIME_OF: Record<DocumentKind, string> = { text: 'text/plain', markdown: 'text/markdown', html: 'text/html', pdf: 'application/pdf' };

const bad = (message: string) => AppError.validation([{ loc: ['file'], message }], `Invalid file: ${message}`);

/** What the file is, from its name and declared type, checked against its first bytes. */
export function detectKind(filename: string | null, mimeType: string | null, data: Buffer): DocumentKind {
  const ext = filename?.toLowerCase().match(/\.([a-z0-9]+)$/)?.[1];
  // Own keys only: a type or extension named "constructor" must not find Object's.
  const own = <T>(table: Record<string, T>, key: string | undefined): T | undefined => (key !== undefined && Object.hasOwn(table, key) ? table[key] : undefined);
  const declared = (mimeType ? own(BY_MIME, mimeType.split(';')[0]!.trim().toLowerCase()) : undefined) || own(BY_EXTENSION, ext);
  const looksPdf = data.subarray(0, 5).toString('latin1') === '%PDF-';
  if (declared === 'pdf' || (!declared && looksPdf)) return 'pdf';
  if (!declared) {
    if (mimeType && mimeType !== 'application/octet-stream') throw bad(`type ${mimeType} is not supported: send text, Markdown, HTML or PDF`);
    return 'text';
  }
  return declared;
}

/**
 * Checks what can be checked at once, so a bad file is refused before anything is stored:
 * empty files, a PDF without its header or end marker (truncated), text that is not UTF-8
 * or carries binary bytes.
 * @throws validation_error
 */
export function validateFile(kind: DocumentKind, data: Buffer): void {
  if (data.length === 0) throw bad('is empty');
  if (kind === 'pdf') {
    if (data.subarray(0, 5).toString('latin1') !== '%PDF-') throw bad('is not a PDF (no %PDF- header)');
    if (!data.subarray(Math.max(0, data.length - 1024)).toString('latin1').includes('%%EOF')) throw bad('is a truncated PDF (no %%EOF marker)');
    return;
  }
  if (data.includes(0)) throw bad('contains binary data, not text');
  // Checked natively, without decoding megabytes into a string on the event loop.
  if (!isUtf8(data)) throw bad('is not valid UTF-8 text');
  if (!hasText(data)) throw bad('has no text');
}

/** Whether UTF-8 bytes hold more than whitespace: decided by the first bytes unless they are all blank. */
function hasText(data: Buffer): boolean {
  for (let i = 0; i < data.length; i++) {
    const b = data[i]!;
    if (b === 0x20 || (b >= 0x09 && b <= 0x0d)) continue;
    if (b < 0x80) return true;
    // Non-ASCII: Unicode decides what is a space (rare; only this far into the file).
    return /\S/u.test(data.subarray(i).toString('utf8').replace(/^\uFEFF/, ''));
  }
  return false;
}
