/** Audio for Xentree Live: base64 16-bit little-endian PCM, mono, 24 kHz, both ways. */
export const SAMPLE_RATE = 24_000;

export function pcmFromBase64(b64: string): Int16Array {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  const view = new DataView(bytes.buffer);
  const out = new Int16Array(bytes.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = view.getInt16(i * 2, true);
  return out;
}

export function base64FromPcm(pcm: Int16Array): string {
  const bytes = new Uint8Array(pcm.length * 2);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < pcm.length; i++) view.setInt16(i * 2, pcm[i]!, true);
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** Plays the reply's chunks back to back, in order, as they arrive. */
export class PcmPlayer {
  private readonly ctx: AudioContext;
  private nextAt = 0;
  private readonly turnStarts = new Map<string, number>();
  chunks = 0;
  seconds = 0;

  /** Create it inside a click or key handler: browsers start audio only after a gesture. */
  constructor() {
    this.ctx = new AudioContext();
    void this.ctx.resume().catch(() => undefined);
  }

  /** Queues a chunk; answers when (in ms from now) the turn it belongs to starts playing. */
  enqueue(turnId: string, b64: string): void {
    const pcm = pcmFromBase64(b64);
    this.chunks++;
    this.seconds += pcm.length / SAMPLE_RATE;
    if (!pcm.length) return;
    const buffer = this.ctx.createBuffer(1, pcm.length, SAMPLE_RATE);
    const data = buffer.getChannelData(0);
    for (let i = 0; i < pcm.length; i++) data[i] = pcm[i]! / 32768;
    const source = this.ctx.createBufferSource();
    source.buffer = buffer;
    source.connect(this.ctx.destination);
    const at = Math.max(this.ctx.currentTime + 0.05, this.nextAt);
    if (!this.turnStarts.has(turnId)) this.turnStarts.set(turnId, at);
    source.start(at);
    this.nextAt = at + buffer.duration;
  }

  /** Milliseconds from now until the turn's audio starts (0 when unknown or already playing). */
  msUntilTurn(turnId: string): number {
    const at = this.turnStarts.get(turnId);
    return at === undefined ? 0 : Math.max(0, (at - this.ctx.currentTime) * 1000);
  }

  close(): void {
    void this.ctx.close().catch(() => undefined);
  }
}

/**
 * The microphone, resampled to 24 kHz 16-bit mono and handed over in chunks of about
 * half a second (the gateway takes at most 2 s per frame).
 */
export class MicCapture {
  private ctx: AudioContext | null = null;
  private stream: MediaStream | null = null;
  private pending: number[] = [];
  private carry = 0;
  /** Seconds of audio handed over so far. */
  seconds = 0;

  constructor(
    private readonly onChunk: (b64: string) => void,
    private readonly onLevel: (rms: number) => void,
  ) {}

  static available(): boolean {
    return !!navigator.mediaDevices?.getUserMedia && typeof AudioWorkletNode !== 'undefined';
  }

  async start(): Promise<void> {
    this.stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true } });
    this.ctx = new AudioContext();
    await this.ctx.audioWorklet.addModule(`${import.meta.env.BASE_URL}mic-worklet.js`);
    const source = this.ctx.createMediaStreamSource(this.stream);
    const tap = new AudioWorkletNode(this.ctx, 'mic-tap');
    const mute = this.ctx.createGain();
    mute.gain.value = 0;
    source.connect(tap).connect(mute).connect(this.ctx.destination);
    const ratio = this.ctx.sampleRate / SAMPLE_RATE;
    tap.port.onmessage = (e: MessageEvent<Float32Array>) => {
      const block = e.data;
      let sum = 0;
      for (const v of block) sum += v * v;
      this.onLevel(Math.sqrt(sum / block.length));
      // Linear resampling from the device's rate to 24 kHz.
      let pos = this.carry;
      for (; pos < block.length - 1; pos += ratio) {
        const i = Math.floor(pos);
        const v = block[i]! + (block[i + 1]! - block[i]!) * (pos - i);
        this.pending.push(Math.max(-1, Math.min(1, v)));
      }
      this.carry = pos - (block.length - 1);
      if (this.pending.length >= SAMPLE_RATE / 2) this.flush();
    };
  }

  private flush(): void {
    if (!this.pending.length) return;
    const pcm = Int16Array.from(this.pending, (v) => Math.round(v * 32767));
    this.pending = [];
    this.seconds += pcm.length / SAMPLE_RATE;
    this.onChunk(base64FromPcm(pcm));
  }

  /** Stops and hands over what is left. */
  async stop(): Promise<void> {
    this.flush();
    for (const t of this.stream?.getTracks() ?? []) t.stop();
    await this.ctx?.close().catch(() => undefined);
    this.ctx = null;
    this.stream = null;
  }
}
