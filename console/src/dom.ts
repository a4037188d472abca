/** A few DOM helpers: the console is plain TypeScript and the DOM, no framework. */

export type Child = Node | string | number | null | undefined | false | Child[];
type PropValue = string | number | boolean | null | undefined | ((event: never) => void);
export type Props = Record<string, PropValue>;

/** Creates an element: `on*` props are listeners, `value`/`checked` are properties, the rest attributes. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props?: Props | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (typeof value === 'function') el.addEventListener(key.slice(2).toLowerCase(), value as EventListener);
    else if (key === 'value' || key === 'checked') (el as unknown as Record<string, unknown>)[key] = value;
    else if (value === true) el.setAttribute(key, '');
    else if (value !== false && value !== null && value !== undefined) el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(parent, c);
    else parent.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** Replaces an element's content. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

let fieldIds = 0;
/** A labelled form control: the label is always tied to the control. */
export function field(label: string, control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, hint?: string): HTMLElement {
  control.id ||= `f${++fieldIds}`;
  const hintEl = hint ? h('small', { id: `${control.id}-hint`, class: 'hint' }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: control.id }, label), control, hintEl);
}

/**
 * Search snippets arrive HTML-escaped with the matched words in <mark>. They are parsed
 * into an inert document and rebuilt from text and <mark> only, so nothing else can run.
 */
export function highlighted(snippet: string): HTMLElement {
  const out = h('span', { class: 'snippet' });
  const doc = new DOMParser().parseFromString(`<body>${snippet}</body>`, 'text/html');
  const walk = (node: Node, into: Node): void => {
    for (const child of Array.from(node.childNodes)) {
      if (child.nodeType === Node.TEXT_NODE) into.appendChild(document.createTextNode(child.textContent ?? ''));
      else if (child.nodeName === 'MARK') walk(child, into.appendChild(document.createElement('mark')));
      else walk(child, into);
    }
  };
  walk(doc.body, out);
  return out;
}

const live = (): HTMLElement => document.getElementById('announcer')!;
/** Tells screen readers (and the status line) what just happened. */
export function announce(message: string, kind: 'info' | 'error' = 'info'): void {
  const el = live();
  el.textContent = message;
  el.dataset.kind = kind;
}

/** A status line inside a page, read out politely when it changes. */
export function statusLine(): HTMLParagraphElement {
  return h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
}

export function setStatus(el: HTMLElement, message: string, kind: 'info' | 'error' | 'warning' = 'info'): void {
  el.textContent = message;
  el.dataset.kind = kind;
}

/** Disables a form's submit button while its work runs. */
export async function busy<T>(button: HTMLButtonElement, work: () => Promise<T>): Promise<T> {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

export const formatSeconds = (s: number): string => {
  const m = Math.floor(s / 60);
  return m ? `${m} min ${s % 60} s` : `${s} s`;
};

export const formatDate = (iso: string): string => new Date(iso).toLocaleString();

/** A table that may scroll sideways on a narrow screen: the scrolling region is focusable, so keys scroll it. */
export function scrollable(table: HTMLTableElement, label: string): HTMLElement {
  return h('div', { class: 'table-wrap', role: 'region', 'aria-label': label, tabindex: 0 }, table);
}
