import { h } from '../dom.js';

export function renderXel(main: HTMLElement): void {
  main.append(h('h1', null, 'Xentree English'), h('p', null, 'Coming soon.'));
}
