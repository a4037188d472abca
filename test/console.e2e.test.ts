import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleBuildDir } from '../src/console.js';
import { PASSWORD, signUp } from './helpers/factories.js';
import { startFakeOpenAI, type FakeAi } from './helpers/fake-ai.js';
import { restClient } from './helpers/http.js';
import { driver, startServer, type TestServer } from './helpers/server.js';

/**
 * The web console in a real browser: Debian's Chromium driven by playwright-core (no
 * browser download), against a started gateway. Each step keeps a screenshot under
 * test-results/console/<driver>/. CI installs Chromium; without it these tests are skipped.
 */
const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`console e2e tests skipped: no browser at ${CHROMIUM} (apt-get install -y chromium; .ci/run installs it)`);

const SHOTS = join('test-results', 'console', driver);
const WAIT = 15_000;

let server: TestServer;
let fake: FakeAi;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let username = '';
/** Errors the page reported (script errors, CSP violations, failed loads). */
const pageErrors: string[] = [];

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
const text = async (l: Locator) => (await l.textContent()) ?? '';
const eventually = <T>(fn: () => Promise<T>) => expect.poll(fn, { timeout: WAIT, interval: 100 });

/** Accessibility check with axe-core: no serious or critical violation on the page as it is. */
async function accessible(): Promise<void> {
  const require = createRequire(import.meta.url);
  const source = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  // Evaluated through the DevTools protocol, which the page's CSP does not govern.
  await page.evaluate(source);
  // Browser-side code as strings: this file is type-checked for Node, without the DOM.
  const violations = await page.evaluate<string[]>(`(async () => {
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id + ': ' + v.nodes.map((n) => n.target.join(' ')).join(', '));
  })()`);
  expect(violations).toEqual([]);
}

async function go(section: string, heading: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: section }).click();
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
}

describe.skipIf(!haveChromium)('web console in a browser', () => {
  beforeAll(async () => {
    if (!existsSync(join(consoleBuildDir(), 'index.html'))) throw new Error('dist/console is missing: npm test builds it (npm run build)');
    mkdirSync(SHOTS, { recursive: true });
    fake = await startFakeOpenAI();
    server = await startServer({
      OPENAI_BASE_URL: fake.url,
      OPENAI_MODELS: 'fake-model',
      // Live and knowledge answers come from the deterministic local provider; chat picks the fake one.
      AI_DEFAULT_PROVIDER: 'local',
      // Short-lived access tokens: the console must refresh them while the test runs.
      ACCESS_TOKEN_TTL_SECONDS: '8',
      // 50 s a month, a session needs all 50 to start, heartbeats each second: the first session
      // gets the under-a-minute warning, the second start is refused with live_quota_exceeded.
      LIVE_PLANS: 'free:50',
      LIVE_MIN_START_SECONDS: '50',
      LIVE_HEARTBEAT_INTERVAL_SECONDS: '1',
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      // playwright-core gives each launch a fresh temporary profile (--user-data-dir).
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
    });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(WAIT);
    page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(`console: ${m.text()}`);
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await fake?.close();
  });

  it('is served from the build at /console/ under a strict CSP, with no inline script', async () => {
    const res = await fetch(`${server.url}/console`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/console/');
    const index = await fetch(`${server.url}/console/`);
    expect(index.status).toBe(200);
    const csp = index.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await index.text();
    expect(html).toMatch(/<script type="module" crossorigin src="\/console\/assets\/index-[\w-]+\.js"><\/script>/);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('signs up (keyboard only) and lands on the chat', async () => {
    await page.goto(`${server.url}/console/`);
    await page.getByRole('heading', { level: 1, name: 'Welcome to the Xentree Console' }).waitFor();
    await accessible();
    await shot('01-sign-in');
    username = `web_${driver}_${Date.now().toString(36)}`;
    const form = page.getByRole('form', { name: 'Create an account' });
    // Keyboard only: focus the first field, type, Tab to the next, Enter submits.
    await form.getByLabel('Email').focus();
    await page.keyboard.type(`${username}@example.com`);
    await page.keyboard.press('Tab');
    await page.keyboard.type(username);
    await page.keyboard.press('Tab');
    await page.keyboard.type('Web Tester');
    await page.keyboard.press('Tab');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Chat' }).waitFor();
    expect(await text(page.getByTestId('account'))).toBe(username);
    // Focus moved to the new page's heading.
    expect(await page.evaluate<string>('document.activeElement?.tagName')).toBe('H1');
    await accessible();
    await shot('02-signed-up');
  });

  it('chats with a streamed reply from the picked provider, lists the conversation and finds it in search', async () => {
    let release!: () => void;
    fake.enqueue({ kind: 'answer', tokens: ['Volcanoes ', 'form ', 'where ', 'magma ', 'rises.'], hold: { afterTokens: 2, until: new Promise<void>((r) => (release = r)) } });
    await page.getByLabel('Provider').selectOption({ label: 'OpenAI-compatible' });
    const message = page.getByRole('textbox', { name: 'Message' });
    await message.fill('Where do volcanoes come from?');
    await message.press('Enter');
    // Mid-stream: the first tokens are on screen while the provider still holds the rest.
    const streaming = page.locator('article.msg[aria-busy="true"]');
    await eventually(() => text(streaming.locator('.content'))).toBe('Volcanoes form ');
    await shot('03-chat-streaming');
    release();
    const reply = page.locator('article.msg.assistant:not([aria-busy])').last();
    await eventually(() => text(reply.locator('.content'))).toBe('Volcanoes form where magma rises.');
    expect(Number(await reply.getAttribute('data-deltas'))).toBe(5);
    expect(await text(reply.locator('header'))).toContain('openai · fake-model');
    expect(fake.requests.filter((r) => r.path.endsWith('/chat/completions'))).toHaveLength(1);
    const list = page.getByRole('list', { name: 'Conversations' });
    await eventually(() => text(list)).toContain('Where do volcanoes come from?');

    // Search across my content: snippets with the matched word highlighted.
    await page.getByRole('searchbox', { name: 'Search my content' }).fill('volcanoes');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const results = page.getByRole('list', { name: 'Search results' });
    await results.locator('li').first().waitFor();
    expect((await results.locator('mark').allTextContents()).map((m) => m.toLowerCase())).toContain('volcanoes');
    await accessible();
    await shot('04-chat-done-and-search');
  });

  it('uploads a document, searches it and gets a grounded answer with citations', async () => {
    await go('Knowledge', 'Knowledge base');
    await page.getByLabel('File', { exact: true }).setInputFiles({
      name: 'tides.md',
      mimeType: 'text/markdown',
      buffer: Buffer.from('# Tides\n\nOcean tides are caused by the gravity of the moon pulling on the oceans.\n\n## Spring tides\n\nWhen the sun and the moon line up, spring tides are higher than usual.\n'),
    });
    await page.getByRole('button', { name: 'Upload' }).click();
    const row = page.getByRole('row', { name: /tides\.md/ });
    await eventually(() => row.getAttribute('data-status')).toBe('ready');
    await eventually(() => text(page.getByRole('form', { name: 'Add a document' }).getByRole('status'))).toBe('“tides.md” is ready: 2 passages indexed.');

    await page.getByRole('searchbox', { name: 'Search documents' }).fill('moon gravity');
    await page.getByRole('button', { name: 'Search documents' }).click();
    const hits = page.getByRole('list', { name: 'Document search results' });
    await hits.locator('li').first().waitFor();
    expect(await text(hits)).toContain('tides.md');
    expect((await hits.locator('mark').allTextContents()).map((m) => m.toLowerCase())).toEqual(expect.arrayContaining(['moon', 'gravity']));

    await page.getByLabel('Question', { exact: true }).fill('What causes ocean tides?');
    await page.getByRole('button', { name: 'Ask' }).click();
    const citations = page.getByRole('region', { name: 'Citations' });
    await citations.waitFor();
    expect(await text(citations)).toContain('tides.md');
    expect(await text(page.locator('.answer .content'))).toMatch(/gravity of the moon/);
    await accessible();
    await shot('05-knowledge');
  });

  it('runs a typed avatar session over the live socket: warning, transcript, audio, expressions, end; then the quota refusal', async () => {
    await go('Live', 'Xentree Live');
    const quota = page.getByTestId('quota');
    await eventually(() => text(quota)).toMatch(/^0 s of 50 s used this month \(free plan\); 50 s left\./);
    await page.getByRole('radio', { name: 'Avatar' }).check();
    await page.getByRole('button', { name: 'Start session' }).click();
    await page.getByTestId('session-info').filter({ hasText: 'Avatar session' }).waitFor();
    // The first heartbeat (after a second) carries the under-a-minute warning.
    await eventually(() => text(page.getByTestId('live-warning'))).toContain('Less than a minute of live time left');

    await page.getByLabel('Type what you say').fill('Tell me about the tides');
    await page.getByLabel('Type what you say').press('Enter');
    const transcript = page.getByTestId('transcript');
    await transcript.locator('li[data-role="user"]').filter({ hasText: 'Tell me about the tides' }).waitFor();
    await transcript.locator('li[data-role="ai"]').first().waitFor();
    expect(await text(transcript.locator('li[data-role="ai"]'))).not.toBe('');
    expect(await text(page.getByTestId('audio-info'))).toMatch(/^Heard \d+ audio chunks? \(\d+\.\d s of speech\)\.$/);
    expect(Number((await text(page.getByTestId('audio-info'))).match(/Heard (\d+)/)?.[1])).toBeGreaterThan(0);
    expect(await text(page.getByTestId('avatar-expression'))).toMatch(/^Expression: (happy|curious|excited|concerned) \(\d+%\)$/);
    await accessible();
    await shot('06-live-session');

    await page.getByRole('button', { name: 'End session' }).click();
    await eventually(() => text(page.getByTestId('live-status'))).toMatch(/^Session ended: you ended it\. \d+ s used; \d+ s left this month\.$/);
    // The transcript stays on screen after the end, and the quota meter moved.
    expect(await transcript.locator('li').count()).toBe(2);
    await eventually(async () => Number((await text(quota)).match(/^(\d+) s of 50 s used/)?.[1] ?? 0)).toBeGreaterThan(0);
    await shot('07-live-ended');

    // Less than the minimum start is left now: the console explains the refusal.
    await page.getByRole('button', { name: 'Start session' }).click();
    await eventually(() => text(page.getByTestId('live-warning'))).toMatch(/live minutes for this month are used up\. They renew on /);
    expect(await text(page.getByTestId('live-status'))).toBe('No session was started.');
    expect(await page.getByRole('button', { name: 'Start session' }).isEnabled()).toBe(true);
    await shot('08-live-quota-exceeded');
  });

  it.todo('does an XEL task and sees its evaluation and the dashboard (pending: XEL has not landed on main)');

  it('keeps the session alive by refreshing the short-lived access token', async () => {
    // 8-second tokens, renewed at 80% of their life: by now at least one refresh happened.
    await eventually(async () => Number(await page.getByTestId('account').getAttribute('data-refreshes'))).toBeGreaterThan(0);
  });

  it('creates an organization, adds a member and creates an API key that is shown once and works', async () => {
    const other = await signUp(restClient(server.url));
    await go('Organizations', 'Organizations');
    await page.getByLabel('Name', { exact: true }).fill('Acme Learning');
    await page.getByRole('button', { name: 'Create organization' }).click();
    await page.getByRole('heading', { level: 2, name: 'Acme Learning' }).waitFor();
    expect(await text(page.getByRole('list', { name: 'Your organizations' }))).toContain('owner · 1 member');

    await page.getByLabel('Their email').fill(other.input.email);
    await page.getByRole('button', { name: 'Add member' }).click();
    const members = page.getByRole('table', { name: /Members/ });
    await members.getByRole('rowheader', { name: other.input.username }).waitFor();
    expect(await text(page.getByRole('table', { name: 'Members (2)' }))).toContain(other.input.email);

    await page.getByLabel('Key name').fill('ci');
    await page.getByLabel('organizations:read').check();
    await page.getByRole('button', { name: 'Create API key' }).click();
    const key = await page.getByTestId('new-api-key').inputValue();
    expect(key).toMatch(/^xntr-[A-Za-z0-9_-]{86}$/);
    await page.getByRole('list', { name: 'API keys' }).getByText('ci', { exact: true }).waitFor();
    // The key is real: it reads the organization through the API.
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body: JSON.stringify({ query: '{ organizations { items { name } } }' }),
    });
    expect(((await res.json()) as { data: { organizations: { items: { name: string }[] } } }).data.organizations.items.map((o) => o.name)).toEqual(['Acme Learning']);
    await accessible();
    await shot('09-organizations');
    // Shown once: coming back to the organization shows no key.
    await go('Chat', 'Chat');
    await go('Organizations', 'Organizations');
    await page.getByRole('button', { name: 'Acme Learning' }).click();
    await page.getByRole('heading', { level: 2, name: 'Acme Learning' }).waitFor();
    expect(await page.getByTestId('new-api-key').count()).toBe(0);
  });

  it('is readable on a phone: no sideways scrolling, navigation wraps', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    for (const [section, heading] of [['Chat', 'Chat'], ['Knowledge', 'Knowledge base'], ['Live', 'Xentree Live'], ['Organizations', 'Organizations']] as const) {
      await go(section, heading);
      expect(await page.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    }
    await go('Chat', 'Chat');
    await shot('10-phone-chat');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('signs out, forgets the tokens and signs back in', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { level: 1, name: 'Welcome to the Xentree Console' }).waitFor();
    // Tokens were only ever in memory.
    expect(await page.evaluate<number>('localStorage.length + sessionStorage.length + document.cookie.length')).toBe(0);
    const form = page.getByRole('form', { name: 'Sign in' });
    await form.getByLabel('Username or email').fill(username);
    await form.getByLabel('Password').fill(PASSWORD);
    await form.getByLabel('Password').press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Chat' }).waitFor();
    await eventually(() => text(page.getByRole('list', { name: 'Conversations' }))).toContain('Where do volcanoes come from?');
  });

  it('reported no script error or CSP violation along the way', () => {
    expect(pageErrors).toEqual([]);
  });
});
