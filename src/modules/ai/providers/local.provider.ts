import { clip } from '../../../common/text.js';
import type { ChatProvider, Citation, CompletionEvent, CompletionRequest, Passage } from '../ai.types.js';

export const LOCAL_MODEL = 'local-retrieval-v1';
const INTRO = "I'm Xentree's local retrieval assistant: there is no language model behind me, so I answer by quoting what you have stored.";

/** The newest user turn of the prompt: what the caller asked. */
const lastQuestion = (req: CompletionRequest): string => [...req.messages].reverse().find((m) => m.role === 'user')?.content ?? '';

const describe = (p: Passage): string => {
  const kind = { message: 'a message', note: 'your note', transcript: 'a live transcript', document: 'the document' }[p.type] ?? p.type;
  return `${kind} "${p.title}" (${p.createdAt.toISOString().slice(0, 10)})`;
};

/**
 * The embedded default: no model. It retrieves the passages of the caller's own content
 * that best match the question and quotes them with numbered citations, or says plainly
 * that nothing matched. Deterministic: the same content and question give the same answer.
 */
export class LocalProvider implements ChatProvider {
  readonly id = 'local' as const;
  readonly name = 'Local retrieval (no language model)';
  readonly configured = true;
  readonly models = [LOCAL_MODEL];
  readonly defaultModel = LOCAL_MODEL;
  readonly capabilities = ['chat', 'streaming', 'citations', 'offline'] as const;
  readonly description = 'Works offline. Not a language model: quotes the most relevant passages of your own content, with numbered citations.';

  reachable(): Promise<boolean> {
    return Promise.resolve(true);
  }

  async *complete(req: CompletionRequest): AsyncGenerator<CompletionEvent> {
    const question = lastQuestion(req).trim();
    const passages = question ? (await req.retrieve(question)).slice(0, 3) : [];
    let answer: string;
    if (!passages.length) {
      answer = `${INTRO}\n\nI found nothing in your notes, messages or transcripts that matches "${clip(question, 200)}".`;
    } else {
      const lines = passages.map((p, i) => `[${i + 1}] From ${describe(p)}: "${p.text}"`);
      answer = `${INTRO}\n\nThe most relevant passages I found:\n\n${lines.join('\n\n')}`;
      const citations: Citation[] = passages.map((p) => ({ documentId: p.id, type: p.type, title: p.title, snippet: p.text }));
      yield { type: 'citations', citations };
    }
    // Streamed word by word, like a model would, so clients exercise the same path.
    for (const piece of answer.match(/\S+\s*|\s+/g) ?? []) {
      if (req.signal.aborted) return;
      yield { type: 'delta', text: piece };
    }
  }
}
