import { parseRetryAfter } from '../ai/index.js';

export interface EmbeddingsConfig {
  baseUrl: string;
  apiKey: string | null;
  model: string;
}

const BATCH = 64;
const ATTEMPTS = 3;

/** Unit length, so a dot product is the cosine similarity. */
export function normalize(v: number[]): number[] {
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0)) || 1;
  return v.map((x) => x / norm);
}

export const dot = (a: readonly number[], b: readonly number[]): number => {
  let s = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) s += a[i]! * b[i]!;
  return s;
};

/** An OpenAI-compatible embeddings endpoint, in batches, retried on 429, 5xx and connection errors. */
export class Embedder {
  constructor(
    private readonly cfg: EmbeddingsConfig,
    private readonly timeoutMs: number,
  ) {}

  async embed(texts: string[]): Promise<number[][]> {
    const out: number[][] = [];
    for (let i = 0; i < texts.length; i += BATCH) out.push(...(await this.batch(texts.slice(i, i + BATCH))));
    return out;
  }

  private async batch(input: string[]): Promise<number[][]> {
    let lastError = '';
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      let res: Response;
      try {
        res = await fetch(`${this.cfg.baseUrl}/embeddings`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(this.cfg.apiKey ? { authorization: `Bearer ${this.cfg.apiKey}` } : {}) },
          body: JSON.stringify({ model: this.cfg.model, input }),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (e) {
        lastError = `could not be reached: ${(e as Error).message}`;
        await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
        continue;
      }
      if (res.ok) {
        const body = (await res.json()) as { data?: { index: number; embedding: number[] }[] };
        const data = body.data ?? [];
        if (data.length !== input.length || data.some((d) => !Array.isArray(d.embedding))) throw new Error('the embeddings endpoint answered with the wrong number of vectors');
        return [...data].sort((a, b) => a.index - b.index).map((d) => normalize(d.embedding));
      }
      lastError = `answered ${res.status}`;
      if (res.status !== 429 && res.status < 500) break;
      await new Promise((r) => setTimeout(r, Math.min(5000, parseRetryAfter(res.headers.get('retry-after')) ?? 100 * 2 ** attempt)));
    }
    throw new Error(`the embeddings endpoint ${lastError}`);
  }
}
