import { ApiError, explain, request } from '../api.js';
import { busy, field, scrollable, h, highlighted, replace, setStatus, statusLine } from '../dom.js';
import {
  ConsoleDeleteDocumentDocument,
  ConsoleDocumentsDocument,
  ConsoleKnowledgeSearchDocument,
  ConsoleRagQueryDocument,
  ConsoleUploadDocumentDocument,
  type ConsoleDocumentFragment,
} from '../generated/graphql.js';

function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

const size = (n: number): string => (n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`);

/** The knowledge base: upload, the document list with its processing status, search, and grounded questions. */
export function renderKnowledge(main: HTMLElement): () => void {
  let poll: ReturnType<typeof setTimeout> | null = null;
  let left = false;
  /** The last upload, whose outcome the upload form reports once processing is over. */
  let watching: string | null = null;

  const docsStatus = statusLine();
  const tbody = h('tbody');
  const table = h(
    'table',
    { class: 'docs' },
    h('caption', null, 'Your documents'),
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Title'), h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col' }, 'Chunks'), h('th', { scope: 'col' }, 'Size'), h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')))),
    tbody,
  );

  const row = (d: ConsoleDocumentFragment): HTMLElement =>
    h(
      'tr',
      { 'data-status': d.status.toLowerCase() },
      h('th', { scope: 'row' }, d.title),
      h('td', null, h('span', { class: `tag ${d.status.toLowerCase()}` }, d.status.toLowerCase()), d.error ? h('small', null, ` ${d.error}`) : null),
      h('td', null, String(d.chunkCount)),
      h('td', null, size(d.sizeBytes)),
      h(
        'td',
        null,
        h('button', {
          type: 'button',
          class: 'secondary small',
          'aria-label': `Delete ${d.title}`,
          onclick: async () => {
            if (!confirm(`Delete “${d.title}”?`)) return;
            try {
              await request(ConsoleDeleteDocumentDocument, { input: { id: d.id } });
              setStatus(docsStatus, `Deleted “${d.title}”.`);
              void load();
            } catch (e) {
              setStatus(docsStatus, explain(e), 'error');
            }
          },
        }, 'Delete'),
      ),
    );

  async function load(): Promise<void> {
    if (poll) clearTimeout(poll);
    try {
      const { documents } = await request(ConsoleDocumentsDocument, { first: 100 });
      if (left) return;
      const items = documents.edges.map((e) => e.node);
      replace(tbody, items.length ? items.map(row) : h('tr', null, h('td', { colspan: 5, class: 'empty' }, 'No documents yet.')));
      const watched = items.find((d) => d.id === watching);
      if (watched && watched.status !== 'PROCESSING') {
        watching = null;
        if (watched.status === 'READY') setStatus(uploadStatus, `“${watched.title}” is ready: ${watched.chunkCount} passage${watched.chunkCount === 1 ? '' : 's'} indexed.`);
        else setStatus(uploadStatus, `“${watched.title}” could not be processed: ${watched.error ?? 'unknown reason'}.`, 'error');
      }
      // Documents are processed in the background: look again while any is still processing.
      if (items.some((d) => d.status === 'PROCESSING')) poll = setTimeout(() => void load(), 750);
    } catch (e) {
      setStatus(docsStatus, explain(e), 'error');
    }
  }

  // Upload: a file (text, Markdown, HTML, PDF) or pasted text.
  const file = h('input', { name: 'file', type: 'file', accept: '.txt,.md,.markdown,.html,.htm,.pdf,text/plain,text/markdown,text/html,application/pdf' });
  const title = h('input', { name: 'title', maxlength: 300 });
  const text = h('textarea', { name: 'content', rows: 4 });
  const uploadButton = h('button', { type: 'submit' }, 'Upload');
  const uploadStatus = statusLine();
  const upload = h(
    'form',
    { 'aria-labelledby': 'upload-h' },
    h('h2', { id: 'upload-h' }, 'Add a document'),
    field('File', file, 'Text, Markdown, HTML or PDF.'),
    field('Title (optional for files)', title),
    field('Or paste text', text),
    uploadButton,
    uploadStatus,
  );
  upload.addEventListener('submit', (e) => {
    e.preventDefault();
    void busy(uploadButton, async () => {
      const f = file.files?.[0];
      if (!f && !text.value.trim()) return setStatus(uploadStatus, 'Choose a file or paste some text.', 'error');
      if (!f && !title.value.trim()) return setStatus(uploadStatus, 'Give the pasted text a title.', 'error');
      setStatus(uploadStatus, 'Uploading…');
      try {
        const input = f
          ? { filename: f.name, ...(f.type ? { mimeType: f.type } : {}), contentBase64: base64(new Uint8Array(await f.arrayBuffer())), ...(title.value.trim() ? { title: title.value.trim() } : {}) }
          : { title: title.value.trim(), content: text.value, filename: `${title.value.trim()}.txt` };
        const {
          uploadDocument: { document: d },
        } = await request(ConsoleUploadDocumentDocument, { input });
        watching = d.id;
        setStatus(uploadStatus, `Uploaded “${d.title}”; processing…`);
        upload.reset();
        void load();
      } catch (err) {
        const tooLarge = err instanceof ApiError && err.code === 'payload_too_large';
        setStatus(uploadStatus, tooLarge ? `${explain(err)} The console sends files inside a GraphQL request; larger files go through POST /api/rag/documents.` : explain(err), 'error');
      }
    });
  });

  // Search the documents.
  const query = h('input', { name: 'query', type: 'search', required: true, maxlength: 500 });
  const searchButton = h('button', { type: 'submit' }, 'Search documents');
  const searchStatus = statusLine();
  const hits = h('ol', { class: 'results', 'aria-label': 'Document search results' });
  const search = h('form', { role: 'search', 'aria-label': 'Search documents', class: 'inline' }, field('Search documents', query), searchButton);
  search.addEventListener('submit', (e) => {
    e.preventDefault();
    void busy(searchButton, async () => {
      try {
        const { knowledgeSearch: r } = await request(ConsoleKnowledgeSearchDocument, { query: query.value, limit: 10 });
        setStatus(searchStatus, `${r.results.length} passage${r.results.length === 1 ? '' : 's'} found (${r.mode}).`);
        replace(hits, r.results.map((hit) => h('li', null, h('strong', null, hit.title), h('div', null, highlighted(hit.snippet)))));
      } catch (err) {
        setStatus(searchStatus, explain(err), 'error');
      }
    });
  });

  // Ask a grounded question.
  const question = h('input', { name: 'question', required: true, maxlength: 2000 });
  const askButton = h('button', { type: 'submit' }, 'Ask');
  const askStatus = statusLine();
  const answer = h('div', { class: 'answer', 'aria-live': 'polite' });
  const ask = h('form', { 'aria-labelledby': 'ask-h', class: 'inline' }, field('Question', question), askButton);
  ask.addEventListener('submit', (e) => {
    e.preventDefault();
    void busy(askButton, async () => {
      setStatus(askStatus, 'Looking through your documents…');
      try {
        const { ragQuery: r } = await request(ConsoleRagQueryDocument, { question: question.value });
        // Nullable so a failure keeps the rest of a document's answer; `request` throws on its error, so null here is only defensive.
        if (!r) {
          setStatus(askStatus, 'No answer came back; try again.', 'error');
          return;
        }
        setStatus(askStatus, `Answered by ${r.provider.toLowerCase()} (${r.model}).`);
        replace(
          answer,
          h('p', { class: 'content' }, r.answer),
          r.citations.length
            ? h('section', { 'aria-label': 'Citations' }, h('h3', null, 'Citations'), h('ol', { class: 'citations-list' }, r.citations.map((c) => h('li', null, h('strong', null, c.title), h('div', null, highlighted(c.snippet))))))
            : h('p', { class: 'hint' }, 'No document passage supports an answer.'),
        );
      } catch (err) {
        setStatus(askStatus, explain(err), 'error');
      }
    });
  });

  main.append(
    h('h1', null, 'Knowledge base'),
    h('div', { class: 'columns' }, h('section', { class: 'card' }, upload), h('section', { class: 'card' }, scrollable(table, 'Your documents'), docsStatus)),
    h('section', { class: 'card', 'aria-labelledby': 'ksearch-h' }, h('h2', { id: 'ksearch-h' }, 'Search'), search, searchStatus, hits),
    h('section', { class: 'card', 'aria-labelledby': 'ask-h' }, h('h2', { id: 'ask-h' }, 'Ask a question'), ask, askStatus, answer),
  );
  void load();
  return () => {
    left = true;
    if (poll) clearTimeout(poll);
  };
}
