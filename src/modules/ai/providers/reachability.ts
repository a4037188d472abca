/** Caches whether an upstream answers, so listing providers does not probe on every call. */
export class Reachability {
  private cached: { at: number; value: Promise<boolean> } | null = null;

  constructor(
    private readonly probe: () => Promise<boolean>,
    private readonly ttlMs = 30_000,
  ) {}

  check(): Promise<boolean> {
    const now = Date.now();
    if (!this.cached || now - this.cached.at > this.ttlMs) {
      this.cached = { at: now, value: this.probe().catch(() => false) };
    }
    return this.cached.value;
  }
}
