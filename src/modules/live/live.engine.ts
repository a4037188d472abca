import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../../common/clock.js';
import type { RequestContext } from '../../common/context.js';
import { AppError } from '../../common/errors.js';
import { str } from '../../common/validation.js';
import type { EventBus } from '../../common/pubsub.js';
import type { Config } from '../../config.js';
import { UpstreamError, type PromptMessage } from '../ai/index.js';
import type { ProviderRegistry } from '../ai/index.js';
import type { SearchService } from '../search/index.js';
import { User } from '../users/index.js';
import type { LiveSession } from './live.entities.js';
import type { LiveExpression, LiveViseme } from './live.enums.js';
import type { LiveTranscript } from './live.entities.js';
import { EspeakTts } from './speech/espeak.tts.js';
import { OpenAISpeechToText, OpenAITextToSpeech } from './speech/openai.speech.js';
import { SAMPLE_RATE } from './speech/pcm.js';
import type { Synthesis, TextToSpeech } from './speech/speech.types.js';
import { visemesFromPhonemes, visemesFromWords } from './speech/visemes.js';

/** Largest audio chunk a client may send: 2 s of 24 kHz 16-bit mono. */
export const MAX_AUDIO_BYTES = SAMPLE_RATE * 2 * 2;
/** The audio of one turn: 60 s at most. */
const MAX_TURN_AUDIO_BYTES = SAMPLE_RATE * 2 * 60;

/** The longest a turn's text may be, in characters. */
const MAX_TURN_CHARS = 4000;

/**
 * What a turn's text may be, whichever door it came through (sendLiveText, sendLiveAudio, the
 * socket's audio-input): 1 to 4000 characters once trimmed, without NUL characters (which a
 * stored transcript refuses too).
 */
export const turnText = () =>
  str()
    .trim()
    .min(1, 'must not be empty')
    .max(MAX_TURN_CHARS, `must be at most ${MAX_TURN_CHARS} characters`)
    .refine((t) => !t.includes('\u0000'), 'must not contain NUL characters');
/** Base64 of at most MAX_AUDIO_BYTES. */
const audioChunk = () => str().max(Math.ceil((MAX_AUDIO_BYTES * 4) / 3) + 4, `must be at most ${MAX_AUDIO_BYTES} bytes of audio`);

/** sendLiveText: words said in a session. */
export const sendTextSchema = z.object({ sessionId: str().uuid('must be an id'), text: turnText() });
/** sendLiveAudio, and the socket's audio-input frames (with the socket's session): the text as words, the audio as base64. */
export const sendAudioSchema = z.object({ sessionId: str().uuid('must be an id'), audio: audioChunk().nullish(), final: z.boolean({ error: 'must be true or false' }).nullish(), text: turnText().nullish() });

/** A turn answered: the reply's id (its audio and expression events carry it) and the transcript with both turns. */
export interface TurnResult {
  turnId: string;
  transcript: LiveTranscript;
}

/** Audio goes out in chunks of 200 ms. */
const CHUNK_BYTES = (SAMPLE_RATE * 2 * 200) / 1000;

/** Visemes of a sentence: from its phonemes and their timings when the voice gives them, else the per-word approximation. */
const visemes = (speech: Synthesis) => (speech.phonemes?.length ? visemesFromPhonemes(speech.phonemes, speech.durationMs) : visemesFromWords(speech.words, speech.durationMs));

const expressionOf = (text: string): { expression: LiveExpression; intensity: number } =>
  /\?\s*$/.test(text) ? { expression: 'curious', intensity: 0.6 } : /!/.test(text) ? { expression: 'excited', intensity: 0.7 } : /\b(nothing|sorry|cannot|can't)\b/i.test(text) ? { expression: 'concerned', intensity: 0.5 } : { expression: 'happy', intensity: 0.5 };

const sentences = (text: string): string[] => text.match(/[^.!?\n]+[.!?]*\s*/g)?.map((s) => s.trim()).filter(Boolean) ?? [];

/** What a turn emits, in the socket's documented shapes. */
export type TurnEmit = (type: 'transcript' | 'audio-response' | 'avatar-expression', data: Record<string, unknown>) => void;

/** Who hears a turn as it happens (the socket): its frames, and whether it still listens or was cancelled. */
export interface TurnListener {
  emit: TurnEmit;
  /** Nobody listens any more: nothing more is spoken (the reply is still stored). */
  stopped?: () => boolean;
  /** The turn's credentials were revoked: nothing more is spoken or stored. */
  cancelled?: () => boolean;
}

/** What a turn needs of LiveService (which owns the engine): appending a turn to the session's transcript. */
export interface TranscriptWriter {
  appendTurn(em: RequestContext['em'], session: LiveSession, turn: { role: 'user' | 'ai'; text: string; timestamp: string }): Promise<LiveTranscript>;
}

/**
 * One live turn, for LiveService (the API both doors use): the user's words
 * are stored in the transcript, the reply comes from the conversation providers and is
 * spoken sentence by sentence in 200 ms chunks (with avatar expressions for avatar
 * sessions), and the reply joins the transcript. Every event also goes to the event bus,
 * so GraphQL subscribers of the session hear turns from either door.
 */
export class LiveEngine {
  readonly tts: TextToSpeech;
  readonly stt: OpenAISpeechToText | null;

  constructor(
    private readonly config: Config,
    private readonly ai: ProviderRegistry,
    private readonly search: SearchService,
    private readonly live: TranscriptWriter,
    private readonly events: EventBus,
    private readonly clock: Clock,
  ) {
    const { stt, tts } = config.live;
    this.tts = tts ? new OpenAITextToSpeech(tts, config.ai.timeoutMs) : new EspeakTts();
    this.stt = stt ? new OpenAISpeechToText(stt, config.ai.timeoutMs) : null;
  }

  /** Releases the voice (with the app). */
  close(): void {
    this.tts.close?.();
    this.pending.clear();
  }

  /** Audio of each session's turn in progress, until its final chunk. */
  private readonly pending = new Map<string, { chunks: Buffer[]; bytes: number }>();

  /**
   * Takes a chunk of a turn's audio (base64 PCM) and, on the final one, the turn's words: the
   * caller's own text, else the audio through speech-to-text. Null until the turn is final.
   * @throws validation_error (oversized, no speech, no speech-to-text configured), upstream_unavailable
   */
  async acceptAudio(session: LiveSession, input: { audio?: string | undefined; text?: string | undefined; final: boolean }): Promise<string | null> {
    const buf = this.pending.get(session.id) ?? { chunks: [], bytes: 0 };
    if (input.audio) {
      const chunk = Buffer.from(input.audio, 'base64');
      if (chunk.length > MAX_AUDIO_BYTES) throw AppError.validation([{ loc: ['data', 'audio'], message: `must be at most ${MAX_AUDIO_BYTES} bytes of audio` }]);
      if (buf.bytes + chunk.length > MAX_TURN_AUDIO_BYTES) {
        this.pending.delete(session.id);
        throw AppError.validation([{ loc: ['data', 'audio'], message: 'a turn holds at most 60 s of audio; send final sooner' }]);
      }
      buf.chunks.push(chunk);
      buf.bytes += chunk.length;
      this.pending.set(session.id, buf);
    }
    if (!input.final) return null;
    this.pending.delete(session.id);
    const audio = Buffer.concat(buf.chunks);
    // The client's own transcript wins; otherwise speech-to-text, when configured.
    let text = input.text?.trim();
    if (!text && audio.length && this.stt) {
      try {
        text = (await this.stt.transcribe(audio, session.language)).trim();
      } catch (e) {
        throw new AppError('upstream_unavailable', `Speech to text failed: ${(e as Error).message}`);
      }
      if (!text) throw new AppError('validation_error', 'No speech was recognised in the audio', { fields: [{ loc: ['data', 'audio'], message: 'holds no recognisable speech' }] });
      // A minute of speech is far shorter than a turn may be: an endpoint that answers more misbehaved, and its words are not a turn.
      if (text.length > MAX_TURN_CHARS) throw new AppError('upstream_unavailable', `Speech to text failed: the speech-to-text endpoint answered ${text.length} characters, more than a turn's ${MAX_TURN_CHARS}`);
    }
    if (!text) {
      throw new AppError('validation_error', 'No speech-to-text provider is configured: send your transcript as data.text with the final audio-input', {
        fields: [{ loc: ['data', 'text'], message: 'is required while speech-to-text is not configured' }],
      });
    }
    return text;
  }

  /**
   * One turn. `stopped`: nobody listens any more (the reply is still stored); `cancelled`:
   * the turn's credentials were revoked, so nothing more is spoken or stored.
   */
  async turn(ctx: RequestContext, session: LiveSession, text: string, emit: TurnEmit, stopped: () => boolean = () => false, cancelled: () => boolean = () => false): Promise<TurnResult> {
    const out: TurnEmit = (type, data) => {
      emit(type, data);
      this.publish(session, type, data);
    };
    const turnId = randomUUID();
    const userTurn = { role: 'user' as const, text, timestamp: new Date(this.clock.now()).toISOString() };
    await this.live.appendTurn(ctx.em, session, userTurn);
    out('transcript', userTurn);

    const user = await ctx.em.fork().findOneOrFail(User, { id: session.user.id });
    const { provider, model } = this.ai.resolve(null, null);
    const system: PromptMessage = {
      role: 'system',
      content:
        'You are Xentree Live, a spoken conversation partner. Answer in one to three short sentences.' +
        (user.nickname ? ` The user's name is ${user.nickname}; address them by it.` : '') +
        (session.language ? ` Speak the language with the tag "${session.language}".` : ''),
    };
    let reply = '';
    const signal = AbortSignal.timeout(this.config.ai.timeoutMs);
    try {
      for await (const e of provider.complete({
        model,
        messages: [system, { role: 'user', content: text }],
        retrieve: (q) => this.search.retrieve(ctx, q, 3, ['message', 'note', 'transcript']),
        signal,
      })) {
        if (e.type === 'delta') reply += e.text;
      }
    } catch (e) {
      // The provider's failure (or its silence past the turn's time) is the documented upstream_unavailable, not a crash of ours.
      if (!(e instanceof UpstreamError) && !signal.aborted) throw e;
      const why = e instanceof UpstreamError ? e.message : `${provider.name} did not answer within ${this.config.ai.timeoutMs} ms`;
      throw new AppError('upstream_unavailable', `The AI provider failed: ${why}. Your words are in the transcript; try again.`, { provider: provider.id });
    }
    reply = reply.trim() || '…';

    // Spoken sentence by sentence, so the first audio leaves before the whole reply is synthesized.
    const parts = sentences(reply);
    let seq = 0;
    let offset = 0;
    for (const [i, sentence] of parts.entries()) {
      if (stopped()) break;
      const speech = await this.speak(sentence, session.language);
      if (session.sessionType === 'avatar') {
        out('avatar-expression', { turn_id: turnId, ...expressionOf(sentence), visemes: visemes(speech).map((v) => ({ ...v, offset_ms: v.offset_ms + offset })) });
      }
      for (let at = 0; at < speech.pcm.length; at += CHUNK_BYTES) {
        const last = i === parts.length - 1 && at + CHUNK_BYTES >= speech.pcm.length;
        out('audio-response', { turn_id: turnId, seq: seq++, audio: speech.pcm.subarray(at, at + CHUNK_BYTES).toString('base64'), text: last ? reply : '', final: last });
      }
      offset += speech.durationMs;
      // Let the chunks leave before the next sentence is synthesized (synthesis holds the thread).
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (cancelled()) throw new AppError('invalid_token', 'The credentials of this turn were revoked; its reply was not stored');
    const aiTurn = { role: 'ai' as const, text: reply, timestamp: new Date(this.clock.now()).toISOString() };
    const transcript = await this.live.appendTurn(ctx.em, session, aiTurn);
    out('transcript', aiTurn);
    return { turnId, transcript };
  }

  /** A sentence through the voice; a remote text-to-speech endpoint's failure is upstream_unavailable, as speech to text's is. */
  private async speak(sentence: string, language: string | null): Promise<Synthesis> {
    try {
      return await this.tts.synthesize(sentence, { language });
    } catch (e) {
      if (!(this.tts instanceof OpenAITextToSpeech)) throw e;
      throw new AppError('upstream_unavailable', `Text to speech failed: ${(e as Error).message}`);
    }
  }

  private publish(session: LiveSession, type: Parameters<TurnEmit>[0], d: Record<string, unknown>): void {
    const base = { sessionId: session.id, userId: session.user.id, at: new Date(this.clock.now()).toISOString() };
    if (type === 'transcript') this.events.publish('LIVE_EVENT', { ...base, type: 'transcript', role: d.role as string, text: d.text as string, timestamp: d.timestamp as string });
    else if (type === 'audio-response') {
      this.events.publish('LIVE_EVENT', { ...base, type: 'audio_response', turnId: d.turn_id as string, seq: d.seq as number, audio: d.audio as string, text: d.text as string, final: d.final as boolean });
    } else {
      const v = d.visemes as { offset_ms: number; viseme: LiveViseme }[];
      this.events.publish('LIVE_EVENT', { ...base, type: 'avatar_expression', turnId: d.turn_id as string, expression: d.expression as string, intensity: d.intensity as number, visemes: v.map((x) => ({ offsetMs: x.offset_ms, viseme: x.viseme })) });
    }
  }
}
