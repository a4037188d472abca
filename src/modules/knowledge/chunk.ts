export interface Chunk {
  heading: string | null;
  text: string;
}

const TARGET = 900;
const OVERLAP = 150;

/** The last sentence (or words) of a chunk, at most OVERLAP characters, to open the next one. */
function tail(text: string): string {
  const slice = text.slice(-OVERLAP);
  const sentence = slice.search(/[.!?]\s+\S/);
  if (sentence >= 0) return slice.slice(sentence + 1).trim();
  const space = slice.indexOf(' ');
  return space >= 0 ? slice.slice(space + 1).trim() : slice.trim();
}

/** Splits a long paragraph at sentence ends (or spaces) into pieces of about TARGET characters. */
function split(paragraph: string): string[] {
  if (paragraph.length <= TARGET) return [paragraph];
  const pieces: string[] = [];
  let rest = paragraph;
  while (rest.length > TARGET) {
    const window = rest.slice(0, TARGET);
    let cut = Math.max(window.lastIndexOf('. '), window.lastIndexOf('! '), window.lastIndexOf('? '));
    if (cut < TARGET / 2) cut = window.lastIndexOf(' ');
    if (cut < TARGET / 2) cut = TARGET - 1;
    pieces.push(rest.slice(0, cut + 1).trim());
    rest = rest.slice(cut + 1).trim();
  }
  if (rest) pieces.push(rest);
  return pieces;
}

/**
 * Splits text along headings and paragraphs into chunks of about TARGET characters. A chunk
 * never crosses a heading; consecutive chunks under one heading overlap by their boundary
 * sentence, so a fact cut in two is still found whole in one of them.
 */
export function chunkText(text: string): Chunk[] {
  const chunks: Chunk[] = [];
  let heading: string | null = null;
  let current = '';
  const flush = () => {
    const t = current.trim();
    if (t) chunks.push({ heading, text: t });
    current = '';
  };
  const blocks = text.replace(/\r\n?/g, '\n').split(/\n\s*\n/);
  for (const block of blocks) {
    const lines = block.split('\n');
    for (const para of [lines]) {
      let bodyLines: string[] = [];
      for (const line of para) {
        const h = /^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$/.exec(line);
        if (h) {
          if (bodyLines.length) {
            add(bodyLines.join(' '));
            bodyLines = [];
          }
          flush();
          heading = h[2]!.trim().slice(0, 300);
        } else if (line.trim()) bodyLines.push(line.trim());
      }
      if (bodyLines.length) add(bodyLines.join(' '));
    }
  }
  flush();
  return chunks;

  function add(paragraph: string): void {
    for (const piece of split(paragraph.replace(/\s+/g, ' ').trim())) {
      if (current && current.length + piece.length + 2 > TARGET) {
        const carry = tail(current);
        flush();
        current = carry ? `${carry} ` : '';
      }
      current += (current && !current.endsWith(' ') ? '\n\n' : '') + piece;
    }
  }
}
