import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { connect, createServer as createTcpServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleBuildDir } from '../src/console.js';
import { COURSE } from '../src/modules/xel/content/modules/index.js';
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
let stt: Awaited<ReturnType<typeof startFakeSpeechToText>>;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let username = '';
/** Errors the page reported (script errors, CSP violations), and server errors it met. */
const pageErrors: string[] = [];

/** An answer to the B1 email task, with one spelling slip for the evaluator to catch. */
const EMAIL = `Hi Alex,

Thanks so much for the invitation to stay with your family! I was really happy when I recieved your message.

The best weekend for me is the second one next month, because I have exams until the tenth and I want to relax after them. Is that weekend good for your family too?

Could you tell me what I should bring? I can bring some food from my town, and I will pack warm clothes because the weather can be cold in the evenings.

I am really looking forward to seeing you all.

Best wishes,
Sam`;

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
const text = async (l: Locator) => (await l.textContent()) ?? '';
const eventually = <T>(fn: () => Promise<T>) => expect.poll(fn, { timeout: WAIT, interval: 100 });

/** Accessibility check with axe-core: no serious or critical violation on the page as it is. */
async function accessible(page_: Page = page): Promise<void> {
  const page = page_;
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

/** A local OpenAI-compatible /audio/transcriptions endpoint: keeps the WAV it was sent, answers fixed words. */
async function startFakeSpeechToText() {
  const wavs: Buffer[] = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = Buffer.concat(chunks);
      const riff = body.indexOf('RIFF');
      if (req.url !== '/v1/audio/transcriptions' || riff < 0) return void res.writeHead(404).end();
      const data = body.indexOf('data', riff + 12);
      wavs.push(body.subarray(data + 8, data + 8 + body.readUInt32LE(data + 4)));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ text: 'what grows on sunny windowsills' }));
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/v1`, wavs, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** A promise the test settles: the fake provider holds the reply there. */
function gate() {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

/**
 * A TCP proxy in front of the gateway for the browser to load the console through, to lose
 * its graphql-ws connections as a network does: `drop()` cuts every open one (both ends go
 * at once, no close frame: the browser sees 1006), and while `blocked` new ones are cut at
 * their upgrade request. Everything else passes through untouched.
 */
async function startSocketCutter(target: string) {
  const { hostname, port } = new URL(target);
  const open = new Set<() => void>();
  let blocked = false;
  let refused = 0;
  const proxy = createTcpServer((client: Socket) => {
    const upstream = connect(Number(port), hostname);
    let graphqlWs = false;
    const cut = () => {
      open.delete(cut);
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk: Buffer) => {
      if (!graphqlWs && /^GET \/graphql[ ?][^]*?\r\nupgrade:\s*websocket/i.test(chunk.toString('latin1'))) {
        graphqlWs = true;
        if (blocked) {
          refused++;
          return cut();
        }
        open.add(cut);
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    for (const s of [client, upstream]) {
      s.on('close', cut);
      s.on('error', cut);
    }
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(proxy.address() as { port: number }).port}`,
    /** Cuts the open graphql-ws connections; answers how many there were. */
    drop: () => {
      const n = open.size;
      for (const cut of [...open]) cut();
      return n;
    },
    set blocked(on: boolean) {
      blocked = on;
    },
    get refused() {
      return refused;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const cut of [...open]) cut();
        proxy.close(() => r());
      }),
  };
}

async function go(section: string, heading: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: section }).click();
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
}

describe.skipIf(!haveChromium)('web console in a browser', () => {
  beforeAll(async () => {
    if (!existsSync(join(consoleBuildDir(), 'index.html'))) throw new Error('dist/console is missing: npm test builds it (npm run build)');
    rmSync(SHOTS, { recursive: true, force: true });
    mkdirSync(SHOTS, { recursive: true });
    fake = await startFakeOpenAI();
    stt = await startFakeSpeechToText();
    server = await startServer({
      // Speech to text for the microphone turn; replies are spoken by the embedded voice.
      STT_BASE_URL: stt.url,
      OPENAI_BASE_URL: fake.url,
      OPENAI_MODELS: 'fake-model',
      // Every answer comes from the scripted fake: short replies keep the live voice's synthesis quick.
      AI_DEFAULT_PROVIDER: 'openai',
      // Short-lived access tokens: the console must refresh them while the test runs.
      ACCESS_TOKEN_TTL_SECONDS: '8',
      // 50 s a month, a session needs all 50 to start, heartbeats each second: the first session
      // gets the under-a-minute warning, the second start is refused with live_quota_exceeded.
      LIVE_PLANS: 'free:50',
      LIVE_MIN_START_SECONDS: '50',
      LIVE_HEARTBEAT_INTERVAL_SECONDS: '1',
    });
    // The grammar checker takes seconds to load: once, before the writing task needs it.
    await server.app.services.xel.grammar.warm();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      // playwright-core gives each launch a fresh temporary profile (--user-data-dir).
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required',
        // A fake microphone (a beeping tone), allowed without a prompt.
        '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
    });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(WAIT);
    page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      // A 4xx answer is logged by the browser too; the console shows those to the user. 5xx are caught below.
      if (m.type() === 'error' && !/^Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) pageErrors.push(`console: ${m.text()}`);
    });
    page.on('response', (r) => {
      if (r.status() >= 500) pageErrors.push(`${r.status()} from ${r.url()}`);
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await fake?.close();
    await stt?.close();
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

  it('resumes a reply whose socket dropped mid-reply: the missed pieces, then the rest, shown once and stored once', async () => {
    const cutter = await startSocketCutter(server.url);
    const api = restClient(server.url);
    const other = await signUp(api);
    // A fresh token for each REST look (they last 8 seconds here).
    const token = async () => (await api.post('/api/auth/login', { username: other.input.username, password: other.input.password }, { form: true })).body.access_token as string;
    const [first, second] = [gate(), gate()];
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const p = await ctx.newPage();
    p.setDefaultTimeout(WAIT);
    const errors: string[] = [];
    p.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    // Chromium reports the lost and the refused sockets on the console: those are this test's doing.
    p.on('console', (m) => {
      if (m.type() === 'error' && !/^WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/graphql' failed/.test(m.text())) errors.push(`console: ${m.text()}`);
    });
    // What the page asks: the turn's starts, and each subscription to its events with its `after`.
    const starts: unknown[] = [];
    p.on('request', (r) => {
      if (r.method() === 'POST' && r.url().endsWith('/graphql') && (r.postData() ?? '').includes('startChatTurn')) starts.push(r.postDataJSON());
    });
    const subscriptions: { turnId: string; after: number }[] = [];
    p.on('websocket', (ws) =>
      ws.on('framesent', (f) => {
        const m = JSON.parse(String(f.payload)) as { type: string; payload?: { query: string; variables: { turnId: string; after: number } } };
        if (m.type === 'subscribe' && m.payload!.query.includes('chatTurnEvents')) subscriptions.push(m.payload!.variables);
      }),
    );
    const completions = () => fake.requests.filter((r) => r.path.endsWith('/chat/completions')).length;
    const before = completions();
    const pieces = ['Rivers ', 'carve ', 'valleys ', 'over ', 'thousands ', 'of ', 'years.'];
    try {
      await p.goto(`${cutter.url}/console/`);
      const form = p.getByRole('form', { name: 'Sign in' });
      await form.getByLabel('Username or email').fill(other.input.username);
      await form.getByLabel('Password').fill(other.input.password);
      await form.getByLabel('Password').press('Enter');
      await p.getByRole('heading', { level: 1, name: 'Chat' }).waitFor();

      fake.enqueue({ kind: 'answer', tokens: pieces, holds: [{ afterTokens: 2, until: first.promise }, { afterTokens: 4, until: second.promise }] });
      await p.getByLabel('Provider').selectOption({ label: 'OpenAI-compatible' });
      const message = p.getByRole('textbox', { name: 'Message' });
      await message.fill('How are valleys made?');
      await message.press('Enter');
      const streaming = p.locator('article.msg[aria-busy="true"] .content');
      await eventually(() => text(streaming)).toBe('Rivers carve ');
      const turnId = subscriptions[0]!.turnId;
      expect(turnId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(subscriptions[0]).toEqual({ turnId, after: 0 });

      // The network goes: the browser's socket is cut mid-reply, and reconnecting fails for now.
      cutter.blocked = true;
      const resubscribed = subscriptions.length;
      expect(cutter.drop()).toBe(1);
      await eventually(async () => server.app.services.events.listeners('CHAT_TURN', turnId)).toBe(0);
      const status = p.locator('form.composer [role="status"]');
      await eventually(() => text(status)).toBe('The connection dropped; resuming the reply…');
      // The reply goes on meanwhile: two more pieces are kept for the browser.
      first.open();
      const events = async () => ((await api.get(`/api/core/chat/turns/${turnId}/events`, { token: await token() })).body.events as unknown[]).length;
      await eventually(events).toBe(5);
      expect(await text(streaming)).toBe('Rivers carve ');
      await p.screenshot({ path: join(SHOTS, '04b-chat-socket-dropped.png'), fullPage: true });

      // The network is back: the page resumes after what it had (START and two pieces), the
      // missed pieces come at once while the provider still holds the rest.
      cutter.blocked = false;
      await eventually(() => text(streaming)).toBe('Rivers carve valleys over ');
      expect(subscriptions[resubscribed]).toEqual({ turnId, after: 3 });
      await eventually(() => text(status)).toBe('The assistant is answering…');
      // The access token that socket presented expires (8 s here): the gateway closes it (4401
      // token_expired) and the page resumes quietly with a fresh one, after the same last event.
      await eventually(async () => subscriptions.length).toBeGreaterThanOrEqual(resubscribed + 2);
      expect(subscriptions[resubscribed + 1]).toEqual({ turnId, after: 5 });
      expect(await text(status)).toBe('The assistant is answering…');
      second.open();
      const reply = p.locator('article.msg.assistant:not([aria-busy])');
      await eventually(() => text(reply.locator('.content'))).toBe(pieces.join(''));
      expect(Number(await reply.getAttribute('data-deltas'))).toBe(pieces.length);
      expect(await p.locator('article.msg').count()).toBe(2);
      expect(await text(status)).toBe('Reply complete.');
      // Every resubscription asked only for what it had not shown.
      expect(subscriptions.every((s) => s.turnId === turnId)).toBe(true);
      expect(subscriptions.map((s) => s.after)).toEqual([...subscriptions.map((s) => s.after)].sort((a, b) => a - b));
      await accessible(p);
      await p.screenshot({ path: join(SHOTS, '04c-chat-resumed.png'), fullPage: true });

      // Started once, answered once, stored once.
      expect(starts).toHaveLength(1);
      expect(completions() - before).toBe(1);
      const { conversation_id: conversationId } = (await api.get(`/api/core/chat/turns/${turnId}/events`, { token: await token() })).body as { conversation_id: string };
      const stored = (await api.get(`/api/core/conversations/${conversationId}/messages`, { token: await token() })).body as { role: string; content: string; status: string }[];
      expect(stored.map((m) => [m.role, m.content, m.status])).toEqual([
        ['user', 'How are valleys made?', 'complete'],
        ['assistant', pieces.join(''), 'complete'],
      ]);
      expect((await api.get('/api/core/conversations', { token: await token() })).body).toHaveLength(1);
      expect(errors).toEqual([]);
    } finally {
      first.open();
      second.open();
      await ctx.close();
      await cutter.close();
    }
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

    fake.enqueue({ kind: 'answer', tokens: ['Ocean tides come from ', 'the gravity of the moon [1].'] });
    await page.getByLabel('Question', { exact: true }).fill('What causes ocean tides?');
    await page.getByRole('button', { name: 'Ask' }).click();
    const citations = page.getByRole('region', { name: 'Citations' });
    await citations.waitFor();
    expect(await text(citations)).toContain('tides.md');
    expect(await text(page.locator('.answer .content'))).toBe('Ocean tides come from the gravity of the moon [1].');
    // The provider was handed the document's passage as a numbered excerpt.
    expect(JSON.stringify(fake.requests.at(-1)!.body.messages)).toContain('caused by the gravity of the moon');
    await accessible();
    await shot('05-knowledge');
  });

  it('runs an avatar session over the live socket, typed and spoken: warning, transcript, audio, expressions, end; then the quota refusal', async () => {
    await go('Live', 'Xentree Live');
    const quota = page.getByTestId('quota');
    await eventually(() => text(quota)).toMatch(/^0 s of 50 s used this month \(free plan\); 50 s left\./);
    await page.getByRole('radio', { name: 'Avatar' }).check();
    await page.getByRole('button', { name: 'Start session' }).click();
    await page.getByTestId('session-info').filter({ hasText: 'Avatar session' }).waitFor();
    // The first heartbeat (after a second) carries the under-a-minute warning.
    await eventually(() => text(page.getByTestId('live-warning'))).toContain('Less than a minute of live time left');

    fake.enqueue({ kind: 'answer', tokens: ['Tides rise and fall ', 'twice a day.'] }, { kind: 'answer', tokens: ['Basil and mint love ', 'sunny windowsills!'] });
    await page.getByLabel('Type what you say').fill('Tell me about the tides');
    await page.getByLabel('Type what you say').press('Enter');
    const transcript = page.getByTestId('transcript');
    await transcript.locator('li[data-role="user"]').filter({ hasText: 'Tell me about the tides' }).waitFor();
    await transcript.locator('li[data-role="ai"]').first().waitFor();
    expect(await text(transcript.locator('li[data-role="ai"]'))).toBe('Xentree: Tides rise and fall twice a day.');
    expect(await text(page.getByTestId('audio-info'))).toMatch(/^Heard \d+ audio chunks? \(\d+\.\d s of speech\)\.$/);
    expect(Number((await text(page.getByTestId('audio-info'))).match(/Heard (\d+)/)?.[1])).toBeGreaterThan(0);
    expect(await text(page.getByTestId('avatar-expression'))).toBe('Expression: happy (50%)');
    await accessible();
    await shot('06-live-session');

    // Speaking: Chromium's fake microphone, captured and resampled by the console, streamed in
    // audio-input frames, transcribed by the gateway's speech-to-text, answered like a typed turn.
    await page.getByRole('button', { name: 'Start talking' }).click();
    await eventually(async () => Number((await text(page.getByTestId('mic-hint'))).match(/^Recording: ([\d.]+) s sent\.$/)?.[1] ?? 0)).toBeGreaterThanOrEqual(1);
    await page.getByRole('button', { name: 'Stop talking' }).click();
    await transcript.locator('li[data-role="user"]').filter({ hasText: 'what grows on sunny windowsills' }).waitFor();
    await transcript.locator('li[data-role="ai"]').filter({ hasText: 'Basil and mint love sunny windowsills!' }).waitFor();
    expect(await text(page.getByTestId('avatar-expression'))).toBe('Expression: excited (70%)');
    expect(stt.wavs).toHaveLength(1);
    const pcm = stt.wavs[0]!;
    expect(pcm.length / 48_000).toBeGreaterThanOrEqual(1); // seconds of 24 kHz 16-bit mono
    let peak = 0;
    for (let i = 0; i + 1 < pcm.length; i += 2) peak = Math.max(peak, Math.abs(pcm.readInt16LE(i)));
    expect(peak).toBeGreaterThan(1000); // the tone, not silence
    expect(await text(page.getByTestId('mic-hint'))).toMatch(/^Sent \d+\.\d s of audio\.$/);

    await page.getByRole('button', { name: 'End session' }).click();
    await eventually(() => text(page.getByTestId('live-status'))).toMatch(/^Session ended: you ended it\. \d+ s used; \d+ s left this month\.$/);
    // The transcript stays on screen after the end, and the quota meter moved.
    expect(await transcript.locator('li').count()).toBe(4);
    await eventually(async () => Number((await text(quota)).match(/^(\d+) s of 50 s used/)?.[1] ?? 0)).toBeGreaterThan(0);
    await shot('07-live-ended');

    // Less than the minimum start is left now: the console explains the refusal.
    await page.getByRole('button', { name: 'Start session' }).click();
    await eventually(() => text(page.getByTestId('live-warning'))).toMatch(/live minutes for this month are used up\. They renew on /);
    expect(await text(page.getByTestId('live-status'))).toBe('No session was started.');
    expect(await page.getByRole('button', { name: 'Start session' }).isEnabled()).toBe(true);
    await shot('08-live-quota-exceeded');
  });

  it('does XEL tasks: modules with progress, a graded answer, a writing evaluation, the streak and the weekly chart', async () => {
    await go('English', 'Xentree English');
    const modules = page.getByRole('list', { name: 'Modules' });
    await modules.locator('li[data-module]').first().waitFor();
    expect(await modules.locator('li[data-module]').count()).toBe(COURSE.length);
    const first = COURSE.find((m) => m.slug === 'a1-be-and-have')!;
    const card = modules.locator('li[data-module="a1-be-and-have"]');
    expect(await text(card)).toContain(`0 of ${first.tasks.length} tasks · not started`);
    expect(await text(page.getByTestId('xel-streak'))).toContain('0 days');

    // A multiple-choice task, answered right.
    await card.getByRole('button', { name: `Start ${first.title}` }).click();
    const t1 = first.tasks[0]!;
    if (t1.type !== 'multiple_choice') throw new Error('the course changed: a1-be-and-have t1 is no longer multiple choice');
    const choice = page.locator('li[data-task="t1"]');
    await choice.getByRole('radio', { name: t1.options.find((o) => o.id === t1.answer)!.text, exact: true }).check();
    await choice.getByRole('button', { name: 'Check' }).click();
    await eventually(() => text(choice.getByRole('status'))).toBe('Passed: 100 / 100, +10 XP.');
    expect(await text(choice)).toContain(t1.explanation);
    await eventually(() => text(card)).toContain(`1 of ${first.tasks.length} tasks · in progress`);
    // The dashboard: a one-day streak, and today's 10 XP as the last of seven bars.
    await eventually(() => text(page.getByTestId('xel-streak'))).toContain('1 day');
    const bars = page.getByRole('img', { name: /^XP earned in the last 7 days: 10,/ }).locator('rect.bar');
    expect(await bars.count()).toBe(7);
    expect(await bars.last().getAttribute('data-value')).toBe('10');
    await accessible();
    await shot('09-xel-task-and-dashboard');

    // A writing task: the embedded evaluator's band, CEFR estimate, criteria and corrections.
    const email = COURSE.find((m) => m.slug === 'b1-informal-email')!;
    const writing = email.tasks.find((t) => t.type === 'writing')!;
    await modules.locator('li[data-module="b1-informal-email"]').getByRole('button', { name: `Start ${email.title}` }).click();
    const task = page.locator(`li[data-task="${writing.key}"]`);
    await task.getByRole('textbox', { name: 'Your answer' }).fill(EMAIL);
    await task.getByRole('button', { name: 'Check' }).click();
    const evaluation = task.getByTestId('xel-evaluation');
    await evaluation.waitFor();
    expect(await text(evaluation.locator('h4'))).toMatch(/^Overall \d(\.\d)? \/ 9 · CEFR (A1|A2|B1|B2|C1|C2)/);
    expect(await evaluation.locator('ul').first().locator('li').count()).toBeGreaterThanOrEqual(3);
    expect(await text(evaluation)).toContain('Evaluated by embedded');
    // The seeded slip is among the corrections.
    expect(await text(evaluation)).toContain('recieved');
    await shot('10-xel-writing-evaluation');
  });

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
      body: JSON.stringify({ query: '{ organizations { edges { node { name } } } }' }),
    });
    expect(((await res.json()) as { data: { organizations: { edges: { node: { name: string } }[] } } }).data.organizations.edges.map((e) => e.node.name)).toEqual(['Acme Learning']);
    await accessible();
    await shot('11-organizations');
    // Shown once: coming back to the organization shows no key.
    await go('Chat', 'Chat');
    await go('Organizations', 'Organizations');
    await page.getByRole('button', { name: 'Acme Learning' }).click();
    await page.getByRole('heading', { level: 2, name: 'Acme Learning' }).waitFor();
    expect(await page.getByTestId('new-api-key').count()).toBe(0);
  });

  it('is readable on a phone: no sideways scrolling, navigation wraps', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    for (const [section, heading] of [['Chat', 'Chat'], ['Knowledge', 'Knowledge base'], ['Live', 'Xentree Live'], ['English', 'Xentree English'], ['Organizations', 'Organizations']] as const) {
      await go(section, heading);
      await accessible();
      expect(await page.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    }
    await go('Chat', 'Chat');
    await shot('12-phone-chat');
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

  it('met no script error, CSP violation or server error along the way', () => {
    expect(pageErrors).toEqual([]);
  });
});
