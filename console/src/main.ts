import './styles.css';
import { auth } from './auth.js';
import { announce, h, replace } from './dom.js';
import { renderChat } from './pages/chat.js';
import { renderKnowledge } from './pages/knowledge.js';
import { renderLive } from './pages/live.js';
import { renderOrganizations } from './pages/organizations.js';
import { renderSignIn } from './pages/signin.js';
import { renderXel } from './pages/xel.js';

/** A page draws itself into the main element and may return what to undo when left. */
export type Page = (main: HTMLElement) => (() => void) | void;

const pages: { path: string; label: string; render: Page }[] = [
  { path: 'chat', label: 'Chat', render: renderChat },
  { path: 'knowledge', label: 'Knowledge', render: renderKnowledge },
  { path: 'live', label: 'Live', render: renderLive },
  { path: 'xel', label: 'English', render: renderXel },
  { path: 'organizations', label: 'Organizations', render: renderOrganizations },
];

const main = document.getElementById('main')!;
const nav = document.getElementById('nav')!;
const account = document.getElementById('account')!;
let leave: (() => void) | void;

function currentPath(): string {
  const m = location.hash.match(/^#\/([a-z-]+)/);
  return m?.[1] ?? '';
}

function drawChrome(): void {
  const user = auth.user;
  const path = currentPath();
  replace(
    nav,
    user
      ? h('ul', null, pages.map((p) => h('li', null, h('a', { href: `#/${p.path}`, ...(p.path === path ? { 'aria-current': 'page' } : {}) }, p.label))))
      : null,
  );
  replace(
    account,
    user
      ? [
          h('span', { class: 'who', 'data-testid': 'account', 'data-refreshes': String(auth.refreshes) }, user.username),
          h('button', { type: 'button', class: 'secondary', onclick: () => void auth.logout() }, 'Sign out'),
        ]
      : null,
  );
}

function route(): void {
  // "#main" (the skip link) is not a route.
  if (location.hash && !location.hash.startsWith('#/')) return;
  const user = auth.user;
  let path = currentPath();
  if (!user && path !== 'signin') return void location.replace('#/signin');
  if (user && (path === 'signin' || !pages.some((p) => p.path === path))) return void location.replace('#/chat');
  if (typeof leave === 'function') leave();
  leave = undefined;
  drawChrome();
  main.replaceChildren();
  const page = pages.find((p) => p.path === path);
  leave = (page?.render ?? renderSignIn)(main);
  path = page?.label ?? 'Sign in';
  document.title = `${path} · Xentree Console`;
  // Focus goes to the new page's heading, so keyboard and screen-reader users land on it.
  (main.querySelector('h1') as HTMLElement | null)?.setAttribute('tabindex', '-1');
  (main.querySelector('h1') as HTMLElement | null)?.focus();
}

document.querySelector('[data-skip]')?.addEventListener('click', (e) => {
  e.preventDefault();
  main.focus();
});
window.addEventListener('hashchange', route);
auth.onChange((user, reason) => {
  if (reason) announce(reason, user ? 'info' : 'error');
  route();
});
document.addEventListener('console:token-refreshed', () => {
  const badge = account.querySelector<HTMLElement>('[data-testid="account"]');
  if (badge) badge.dataset.refreshes = String(auth.refreshes);
});
route();
