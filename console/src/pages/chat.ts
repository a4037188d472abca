import { explain, request, subscribe } from '../api.js';
import { busy, field, formatDate, h, highlighted, replace, setStatus, statusLine } from '../dom.js';
import {
  ConsoleChatTurnEventsDocument,
  ConsoleConversationDocument,
  ConsoleConversationsDocument,
  ConsoleProvidersDocument,
  ConsoleSearchDocument,
  ConsoleStartChatTurnDocument,
  type AiProvider,
  type ConsoleChatTurnEventsSubscription,
} from '../generated/graphql.js';

type Citation = { documentId: string; type?: string; title: string; snippet: string };

/** An enum value as the page shows it and styles it: `ASSISTANT` → `assistant`. */
const word = (value: string): string => value.toLowerCase();

function citationList(citations: Citation[]): HTMLElement | null {
  if (!citations.length) return null;
  return h(
    'details',
    { class: 'citations' },
    h('summary', null, `${citations.length} source${citations.length > 1 ? 's' : ''}`),
    h('ol', null, citations.map((c) => h('li', null, h('strong', null, c.title), c.type ? ` (${word(c.type)})` : '', ' — ', highlighted(c.snippet)))),
  );
}

function bubble(kind: string, content: string, meta?: string, citations: Citation[] = []): HTMLElement {
  const role = word(kind);
  const who = role === 'user' ? 'You' : role === 'assistant' ? 'Assistant' : role;
  return h(
    'article',
    { class: `msg ${role}`, 'data-role': role },
    h('header', null, h('strong', null, who), meta ? h('small', null, ` · ${meta}`) : null),
    h('div', { class: 'content' }, content),
    citationList(citations),
  );
}

/** A random UUID (v4) for a turn id: crypto.randomUUID, which only secure contexts have, else from getRandomValues. */
function newTurnId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Chat with streamed replies, the provider picker, the conversation list, and search over my content. */
export function renderChat(main: HTMLElement): () => void {
  let conversationId: string | null = null;
  let stop: (() => void) | null = null;

  const listStatus = statusLine();
  const list = h('ul', { class: 'conversations', 'aria-label': 'Conversations' });
  const log = h('section', { class: 'log', role: 'log', 'aria-label': 'Messages', 'aria-live': 'polite', 'aria-relevant': 'additions' });
  const provider = h('select', { name: 'provider' }, h('option', { value: '' }, 'Default'));
  const message = h('textarea', { name: 'message', rows: 3, required: true, maxlength: 32000 });
  const send = h('button', { type: 'submit' }, 'Send');
  const chatStatus = statusLine();
  const heading = h('h2', { id: 'conv-h' }, 'New conversation');

  const providerHint = h('small', { class: 'hint', id: 'provider-desc' });
  provider.setAttribute('aria-describedby', 'provider-desc');
  void request(ConsoleProvidersDocument).then(
    ({ providers }) => {
      // "auto" means the first configured real provider, else the local one.
      const auto = providers.default === 'AUTO' ? (providers.providers.find((p) => p.kind !== 'LOCAL' && p.configured) ?? providers.providers.find((p) => p.kind === 'LOCAL')) : providers.providers.find((p) => p.kind === providers.default);
      replace(
        provider,
        h('option', { value: '' }, `Default${auto ? ` (${auto.name})` : ''}`),
        providers.providers.map((p) => h('option', { value: p.kind, disabled: !p.available }, `${p.name}${p.available ? '' : p.configured ? ' — not answering' : ' — not configured'}`)),
      );
      const describe = (): void => {
        const p = provider.value ? providers.providers.find((x) => x.kind === provider.value) : auto;
        providerHint.textContent = p ? `${p.description}${p.defaultModel ? ` Model: ${p.defaultModel}.` : ''}` : '';
      };
      provider.addEventListener('change', describe);
      describe();
    },
    (e) => setStatus(chatStatus, `Providers could not be loaded: ${explain(e)}`, 'error'),
  );

  async function loadList(): Promise<void> {
    try {
      const { conversations } = await request(ConsoleConversationsDocument, { first: 50 });
      replace(
        list,
        conversations.edges.length
          ? conversations.edges.map(({ node }) =>
              h(
                'li',
                null,
                h(
                  'button',
                  { type: 'button', class: 'link', 'data-id': node.id, ...(node.id === conversationId ? { 'aria-current': 'true' } : {}), onclick: () => void open(node.id) },
                  node.title ?? 'Untitled',
                  h('small', null, ` ${node.messageCount} messages`),
                ),
              ),
            )
          : h('li', { class: 'empty' }, 'No conversations yet.'),
      );
      setStatus(listStatus, '');
    } catch (e) {
      setStatus(listStatus, explain(e), 'error');
    }
  }

  async function open(id: string): Promise<void> {
    stop?.();
    conversationId = id;
    try {
      const { conversation } = await request(ConsoleConversationDocument, { id, last: 50 });
      if (!conversation) {
        // Deleted meanwhile (from another tab or door): start afresh.
        newConversation();
        setStatus(chatStatus, 'That conversation no longer exists.', 'error');
        void loadList();
        return;
      }
      heading.textContent = conversation.title ?? 'Untitled';
      replace(log, conversation.messages.edges.map(({ node: m }) => bubble(m.role, m.content, m.provider ? `${word(m.provider)}${m.status === 'PARTIAL' ? ', partial' : ''}` : formatDate(m.createdAt), m.citations)));
      for (const b of list.querySelectorAll('button')) b.toggleAttribute('aria-current', b.dataset.id === id);
      message.focus();
    } catch (e) {
      setStatus(chatStatus, explain(e), 'error');
    }
  }

  function newConversation(): void {
    stop?.();
    conversationId = null;
    heading.textContent = 'New conversation';
    log.replaceChildren();
    for (const b of list.querySelectorAll('button')) b.removeAttribute('aria-current');
    message.focus();
  }

  const form = h('form', { class: 'composer', 'aria-labelledby': 'conv-h' }, field('Provider', provider), providerHint, field('Message', message, 'Enter sends; Shift+Enter starts a new line.'), send, chatStatus);
  message.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const text = message.value.trim();
    if (!text) return;
    message.value = '';
    log.append(bubble('user', text));
    const reply = bubble('assistant', '', 'streaming…');
    const content = reply.querySelector('.content')!;
    reply.setAttribute('aria-busy', 'true');
    log.append(reply);
    reply.scrollIntoView({ block: 'end' });
    void busy(send, async () => {
      setStatus(chatStatus, 'The assistant is answering…');
      // The turn's id is ours: starting it again (a retry) starts nothing new, and its events can be resumed.
      const turnId = newTurnId();
      const before = conversationId;
      // Leaving (another conversation, another page) while the turn starts: nothing to follow.
      let left = false;
      stop = () => {
        left = true;
        stop = null;
      };
      try {
        await request(ConsoleStartChatTurnDocument, {
          input: { turnId, message: text, ...(provider.value ? { provider: provider.value as AiProvider } : {}), ...(conversationId ? { conversationId } : {}) },
        });
      } catch (e) {
        if (left) return;
        stop = null;
        reply.remove();
        setStatus(chatStatus, `The reply could not be started: ${explain(e)}`, 'error');
        return;
      }
      if (left) return;
      await new Promise<void>((resolve) => {
        let deltas = 0;
        /** The last event shown: a resubscription asks only for what came after it. */
        let lastSeq = 0;
        const finish = (): void => {
          stop = null;
          reply.removeAttribute('aria-busy');
          resolve();
        };
        stop = subscribe(
          ConsoleChatTurnEventsDocument,
          { turnId, after: lastSeq },
          {
            next: ({ chatTurnEvents: ev }: ConsoleChatTurnEventsSubscription) => {
              // Each event once, in order, whatever the connection did.
              if (ev.seq <= lastSeq) return;
              lastSeq = ev.seq;
              if (ev.type === 'START' && !conversationId) conversationId = ev.conversationId;
              if (ev.type === 'DELTA' && ev.delta) {
                content.textContent += ev.delta;
                reply.dataset.deltas = String(++deltas);
                reply.scrollIntoView({ block: 'end' });
              }
              if (ev.type === 'DONE' && ev.response) {
                const r = ev.response;
                conversationId = r.conversationId;
                const done = bubble('assistant', r.content, `${word(r.provider)} · ${r.model}${r.status === 'PARTIAL' ? ', partial' : ''}`, r.citations);
                // How many pieces the reply streamed in (the end-to-end test reads it).
                done.dataset.deltas = String(deltas);
                reply.replaceWith(done);
                setStatus(chatStatus, 'Reply complete.');
                void loadList();
              }
              if (ev.type === 'ERROR') {
                // Nothing was stored: a new conversation was not created either.
                conversationId = before;
                reply.remove();
                setStatus(chatStatus, `The reply failed: ${ev.error?.message ?? 'unknown error'} (nothing was stored).`, 'error');
              }
            },
            error: (err) => {
              reply.remove();
              // The turn goes on without us: its reply is stored with the conversation when it ends.
              setStatus(chatStatus, `${explain(err)} The reply is still stored when it ends: open the conversation to read it.`, 'error');
              void loadList();
              finish();
            },
            complete: finish,
          },
          {
            variables: () => ({ turnId, after: lastSeq }),
            dropped: () => setStatus(chatStatus, 'The connection dropped; resuming the reply…'),
            resumed: () => setStatus(chatStatus, 'The assistant is answering…'),
          },
        );
      });
    });
  });

  // Search across my messages, notes, transcripts and documents.
  const q = h('input', { name: 'q', type: 'search', required: true, maxlength: 500 });
  const searchButton = h('button', { type: 'submit' }, 'Search');
  const searchStatus = statusLine();
  const results = h('ol', { class: 'results', 'aria-label': 'Search results' });
  const searchForm = h('form', { role: 'search', 'aria-label': 'Search my content', class: 'inline' }, field('Search my content', q), searchButton);
  searchForm.addEventListener('submit', (e) => {
    e.preventDefault();
    void busy(searchButton, async () => {
      try {
        const asked = q.value.trim();
        const { search } = await request(ConsoleSearchDocument, { q: q.value, first: 20 });
        setStatus(searchStatus, `${search.totalCount} result${search.totalCount === 1 ? '' : 's'} for “${asked}”.`);
        replace(
          results,
          search.edges.map(({ node: r }) =>
            h(
              'li',
              null,
              h('span', { class: 'tag' }, word(r.type)),
              ' ',
              r.conversationId ? h('button', { type: 'button', class: 'link', onclick: () => void open(r.conversationId!) }, r.title || 'Untitled') : h('strong', null, r.title || 'Untitled'),
              h('div', null, highlighted(r.snippet)),
            ),
          ),
        );
      } catch (err) {
        setStatus(searchStatus, explain(err), 'error');
      }
    });
  });

  main.append(
    h('h1', null, 'Chat'),
    h(
      'div',
      { class: 'split' },
      h(
        'aside',
        { 'aria-labelledby': 'convs-h' },
        h('h2', { id: 'convs-h' }, 'Conversations'),
        h('button', { type: 'button', class: 'secondary', onclick: newConversation }, 'New conversation'),
        list,
        listStatus,
      ),
      h('section', { class: 'chat', 'aria-labelledby': 'conv-h' }, heading, log, form),
    ),
    h('section', { class: 'card', 'aria-labelledby': 'search-h' }, h('h2', { id: 'search-h' }, 'Search'), searchForm, searchStatus, results),
  );
  void loadList();
  return () => stop?.();
}
