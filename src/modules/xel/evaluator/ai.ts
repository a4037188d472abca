/**
 * The AI evaluator: the configured chat provider grades against the same rubric, asked for a
 * strict JSON schema at temperature 0. Its answer is validated; anything invalid, and any
 * provider failure, falls back to the embedded evaluator, and the result says so.
 */
import { z } from 'zod';
import type { Logger } from 'pino';
import type { ProviderRegistry } from '../../ai/index.js';
import { CEFR_LEVELS } from '../content/types.js';
import { cefrFromBand } from '../rules.js';
import { CEFR_CAVEAT, PRONUNCIATION_NOT_ASSESSED } from './embedded.js';
import { toHalfBand, type Correction, type Criterion, type Evaluation, type EvaluationRequest, type Evaluator } from './types.js';

const band = z.number().min(0).max(9);

const WRITING_CRITERIA = ['Task achievement', 'Coherence and cohesion', 'Lexical resource', 'Grammatical range and accuracy'] as const;
const SPEAKING_CRITERIA = ['Task response', 'Fluency and coherence', 'Lexical resource', 'Grammatical range and accuracy'] as const;

export const aiAnswerSchema = z.object({
  criteria: z.array(z.object({ name: z.string(), score: band, feedback: z.string().min(1).max(2000) })).min(4).max(4),
  overall_score: band,
  cefr_estimate: z.enum(CEFR_LEVELS),
  corrections: z.array(z.object({ text: z.string().min(1).max(200), message: z.string().min(1).max(500), suggestion: z.string().max(200) })).max(50),
});

const JSON_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['criteria', 'overall_score', 'cefr_estimate', 'corrections'],
  properties: {
    criteria: {
      type: 'array',
      items: { type: 'object', additionalProperties: false, required: ['name', 'score', 'feedback'], properties: { name: { type: 'string' }, score: { type: 'number' }, feedback: { type: 'string' } } },
    },
    overall_score: { type: 'number' },
    cefr_estimate: { type: 'string', enum: [...CEFR_LEVELS] },
    corrections: {
      type: 'array',
      items: { type: 'object', additionalProperties: false, required: ['text', 'message', 'suggestion'], properties: { text: { type: 'string' }, message: { type: 'string' }, suggestion: { type: 'string' } } },
    },
  },
};

export class AiEvaluator implements Evaluator {
  constructor(
    private readonly ai: ProviderRegistry,
    private readonly providerId: string,
    private readonly timeoutMs: number,
    private readonly fallback: Evaluator,
    private readonly log: Logger,
  ) {}

  async evaluate(req: EvaluationRequest): Promise<Evaluation> {
    let reason: string;
    try {
      const { provider, model } = this.ai.resolve(this.providerId, null);
      if (provider.id === 'local') {
        reason = 'no AI provider is configured';
      } else {
        const raw = await this.ask(req, provider.id, model);
        const parsed = parseAnswer(raw);
        if (parsed.success) return toEvaluation(req, parsed.data, `ai:${provider.id}/${model}`);
        reason = `the AI answer did not match the schema (${parsed.error})`;
      }
    } catch (e) {
      reason = `the AI provider failed (${e instanceof Error ? e.message : String(e)})`;
    }
    this.log.warn({ reason }, 'xel: AI evaluation fell back to the embedded evaluator');
    const result = await this.fallback.evaluate(req);
    return { ...result, evaluator: `embedded (fallback: ${reason})` };
  }

  private async ask(req: EvaluationRequest, providerId: string, model: string): Promise<string> {
    const { provider } = this.ai.resolve(providerId, model);
    const names = req.kind === 'writing' ? WRITING_CRITERIA : SPEAKING_CRITERIA;
    const system = [
      `You are a strict, fair English examiner. Grade the learner's ${req.kind} with the public IELTS band descriptors.`,
      `Give exactly these four criteria, in this order, each a band from 0 to 9 in steps of 0.5: ${names.join('; ')}.`,
      req.kind === 'speaking' ? 'You only have a transcript: do not grade pronunciation.' : '',
      'feedback: two or three concrete sentences quoting the learner. corrections: exact quotes of mistakes from the text with a short message and the corrected wording.',
      'Answer with JSON only, matching this schema:',
      JSON.stringify(JSON_SCHEMA),
    ]
      .filter(Boolean)
      .join('\n');
    const user = [
      req.prompt ? `Task: ${req.prompt}` : 'Task: (free practice)',
      req.level ? `Target level: ${req.level}` : '',
      req.durationSeconds ? `Duration: ${req.durationSeconds} seconds` : '',
      `Learner's ${req.kind === 'speaking' ? 'transcript' : 'text'}:\n"""\n${req.text}\n"""`,
    ]
      .filter(Boolean)
      .join('\n');
    let text = '';
    const signal = AbortSignal.timeout(this.timeoutMs);
    for await (const ev of provider.complete({
      model,
      messages: [
        { role: 'system', content: system },
        { role: 'user', content: user },
      ],
      retrieve: async () => [],
      signal,
      temperature: 0,
      jsonSchema: { name: 'xel_evaluation', schema: JSON_SCHEMA },
    })) {
      if (ev.type === 'delta') text += ev.text;
      if (text.length > 100_000) throw new Error('the answer is too long');
    }
    return text;
  }
}

function parseAnswer(raw: string): { success: true; data: z.infer<typeof aiAnswerSchema> } | { success: false; error: string } {
  // Some models wrap JSON in a fence despite being asked not to.
  const body = raw.trim().replace(/^```(?:json)?\s*/i, '').replace(/\s*```$/, '');
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { success: false, error: 'not JSON' };
  }
  const r = aiAnswerSchema.safeParse(json);
  if (!r.success) return { success: false, error: r.error.issues.map((i) => `${i.path.join('.') || 'answer'}: ${i.message}`).slice(0, 3).join('; ') };
  return { success: true, data: r.data };
}

function toEvaluation(req: EvaluationRequest, a: z.infer<typeof aiAnswerSchema>, evaluator: string): Evaluation {
  const names = req.kind === 'writing' ? WRITING_CRITERIA : SPEAKING_CRITERIA;
  const criteria: Criterion[] = names.map((name, i) => {
    const c = a.criteria.find((x) => x.name.toLowerCase() === name.toLowerCase()) ?? a.criteria[i]!;
    return { name, score: toHalfBand(c.score), assessed: true, feedback: c.feedback, measures: [], spans: [] };
  });
  const notAssessed: string[] = [];
  if (req.kind === 'speaking') {
    criteria.push({ ...PRONUNCIATION_NOT_ASSESSED, measures: [], spans: [] });
    notAssessed.push('pronunciation');
  }
  const corrections: Correction[] = [];
  let cursor = 0;
  for (const c of a.corrections) {
    let at = req.text.indexOf(c.text, cursor);
    if (at < 0) at = req.text.indexOf(c.text);
    if (at < 0) continue; // a quote that is not in the text is dropped, not invented
    cursor = at + c.text.length;
    corrections.push({ start: at, end: at + c.text.length, text: c.text, message: c.message, suggestions: c.suggestion ? [c.suggestion] : [], kind: 'AI' });
  }
  // The overall band is recomputed from the criteria, so it cannot disagree with them.
  const scored = criteria.filter((c) => c.assessed);
  const overall = toHalfBand(scored.reduce((s, c) => s + (c.score ?? 0), 0) / scored.length);
  return { overallScore: overall, cefrEstimate: cefrFromBand(overall), cefrCaveat: CEFR_CAVEAT, criteria, corrections, notAssessed, evaluator };
}
