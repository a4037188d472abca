import { AppError } from '../../common/errors.js';
import type { Config } from '../../config.js';

export type DocumentLimits = Config['knowledge']['limits'];

/** The limits a document can meet, as `limit` in the error's details. */
export type DocumentLimit = 'characters' | 'pages' | 'chunks' | 'html_depth' | 'pdf_expansion' | 'stored_bytes' | 'memory' | 'reading_time';

/** Below this much text a PDF's expansion is not judged: a small file with some text is never a bomb worth stopping. */
export const EXPANSION_FLOOR_CHARS = 100_000;

const SAY: Record<DocumentLimit, (max: number, found?: number) => string> = {
  characters: (max) => `The document's text is longer than ${max} characters, the limit; split it into smaller documents`,
  pages: (max, found) => `The PDF has ${found} pages; the limit is ${max}`,
  chunks: (max) => `The document would make more than ${max} passages, the limit; split it into smaller documents`,
  html_depth: (max, found) => `The HTML nests elements ${found} deep; the limit is ${max}`,
  pdf_expansion: (max, found) => `The PDF yields more than ${found} characters of text per byte of file; the limit is ${max} (pages that repeat one compressed stream are refused)`,
  memory: (max) => `Reading the document needs more than ${max} MB of memory, the limit of a worker thread (WORKER_HEAP_MB); split it into smaller documents`,
  reading_time: (max) => `Reading the document takes longer than ${max} s, the limit; split it into smaller documents or simplify it`,
  stored_bytes: (max, found) => `Your documents would take ${found} bytes; the limit is ${max} per user. Delete some first`,
};

/**
 * 413 `document_too_large`, naming the limit met (`limit`), its value (`max`) and, when
 * known, what the document came to (`found`).
 */
export function documentTooLarge(limit: DocumentLimit, max: number, found?: number): AppError {
  return new AppError('document_too_large', SAY[limit](max, found), { limit, max, ...(found !== undefined ? { found } : {}) });
}
