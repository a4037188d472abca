import { createServer, type IncomingMessage } from 'node:http';

/**
 * A local OpenAI-compatible /embeddings endpoint. Vectors are bags of words hashed into
 * 64 dimensions, with a few synonyms folded together, so "automobile" lands near "car"
 * although the words differ: enough to show what the semantic lane finds that full-text
 * search cannot. `failNext` makes the next calls answer 503.
 */
const SYNONYMS: Record<string, string> = { automobile: 'car', vehicle: 'car', cars: 'car', physician: 'doctor', medic: 'doctor', doctors: 'doctor' };
const DIMS = 64;

function hash(word: string): number {
  let h = 2166136261;
  for (const ch of word) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return (h >>> 0) % DIMS;
}

export function fakeVector(text: string): number[] {
  const v = new Array<number>(DIMS).fill(0);
  for (const raw of text.toLowerCase().match(/[a-z]+/g) ?? []) v[hash(SYNONYMS[raw] ?? raw)]! += 1;
  return v;
}

export async function startFakeEmbeddings() {
  let failures = 0;
  const requests: { model: string; input: string[] }[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { model: string; input: string[] };
      requests.push(body);
      if (failures > 0) {
        failures--;
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'overloaded' } }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', model: body.model, data: body.input.map((t, index) => ({ object: 'embedding', index, embedding: fakeVector(t) })), usage: { prompt_tokens: 1, total_tokens: 1 } }));
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    failNext: (n: number) => {
      failures = n;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
