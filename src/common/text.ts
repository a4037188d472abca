/** Text made safe to put in HTML. */
export const escapeHtml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Where a search engine marks a matched term in the raw text it returns (control characters no text needs). */
export const MARK_START = '\u0002';
export const MARK_END = '\u0003';

/**
 * The one rule for every snippet and citation field of both doors (search hits, knowledge
 * search, grounded answers' citations, chat citations): HTML in which the text is escaped and
 * `<mark>` is the only element, around matched terms. Whatever the source held (a note, a
 * message, a text file, an HTML upload whose `&lt;b&gt;` became a literal `<b>`), a client
 * may put the field in a page as is.
 */
export const snippetHtml = (raw: string): string => escapeHtml(raw.replaceAll(MARK_START, '').replaceAll(MARK_END, ''));

/** `snippetHtml` for text the search engine marked up: its marks become `<mark>` elements. */
export const highlightHtml = (marked: string): string => escapeHtml(marked).replaceAll(MARK_START, '<mark>').replaceAll(MARK_END, '</mark>');

/**
 * At most the first `max` UTF-16 units of `text`, never half a character: a cut that would
 * separate a surrogate pair (an emoji, most of the supplementary planes) ends before it, so
 * what is stored or answered stays valid Unicode.
 */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

/** The first `max` characters of `text`, ended at a word, with an ellipsis when cut. */
export function excerpt(text: string, max: number): string {
  const t = text.trim();
  if (t.length <= max) return t;
  const cut = clip(t, max);
  const space = cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

/** Text without NUL characters, which PostgreSQL refuses in text and JSON: what an upstream (a model, speech to text) sends is stored. */
export const withoutNul = (text: string): string => text.replaceAll('\u0000', '');
