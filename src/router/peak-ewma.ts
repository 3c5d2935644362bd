/** Default time constant of the peak-EWMA's decay, ms (Finagle's and Linkerd's 10 s). */
export const DEFAULT_PEAK_EWMA_DECAY_MS = 10_000;

/**
 * A peak-sensitive moving average of latency (Finagle's and Linkerd's "peak EWMA"): a sample
 * above the estimate replaces it at once; a lower one pulls it down with weight
 * `1 − e^(−Δt/τ)`, Δt the time since the previous sample. While no sample arrives the
 * estimate decays toward zero with the same τ, so a provider left idle is tried again.
 * Time is the router's injectable clock.
 */
export class PeakEwma {
  readonly #decayMs: number;
  #estimateMs = 0;
  #stamp = 0;

  constructor(decayMs = DEFAULT_PEAK_EWMA_DECAY_MS) {
    this.#decayMs = decayMs;
  }

  /** True once a sample arrived. */
  get measured(): boolean {
    return this.#estimateMs > 0;
  }

  /** Adds a sample (ms) taken at `now`; samples ≤ 0 or not finite are ignored. */
  observe(sampleMs: number, now: number): void {
    if (!(sampleMs > 0) || !Number.isFinite(sampleMs)) return;
    if (this.#estimateMs === 0 || sampleMs >= this.#estimateMs) this.#estimateMs = sampleMs;
    else {
      const weight = Math.exp(-Math.max(0, now - this.#stamp) / this.#decayMs);
      this.#estimateMs = this.#estimateMs * weight + sampleMs * (1 - weight);
    }
    this.#stamp = now;
  }

  /** The estimate at `now`, in ms; 0 = never measured. Reading changes nothing. */
  estimate(now: number): number {
    const idleMs = now - this.#stamp;
    return idleMs <= 0 ? this.#estimateMs : this.#estimateMs * Math.exp(-idleMs / this.#decayMs);
  }
}
