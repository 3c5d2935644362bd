/** Samples kept for the quantile: recent enough to follow a change, many enough for a p95. */
const WINDOW = 512;
/** Samples needed before the quantile is trusted. */
const MIN_SAMPLES = 20;
/** Samples between recomputations (sorting 512 numbers is cheap when done once per 32 requests). */
const RECOMPUTE_EVERY = 32;

/**
 * A quantile (e.g. the p95) of recent times to first token, over the last 512 samples,
 * recomputed every 32 samples: the delay of `router.hedge.afterMs: "p95"`.
 */
export class FirstTokenQuantile {
  readonly #fraction: number;
  readonly #samples = new Float64Array(WINDOW);
  #count = 0;
  #sinceRecompute = 0;
  #value: number | undefined;

  constructor(fraction: number) {
    this.#fraction = fraction;
  }

  /** Adds one time to first token (whole answer when not streamed), ms. */
  observe(milliseconds: number): void {
    if (!(milliseconds > 0) || !Number.isFinite(milliseconds)) return;
    this.#samples[this.#count % WINDOW] = milliseconds;
    this.#count += 1;
    this.#sinceRecompute += 1;
    if (this.#count >= MIN_SAMPLES && (this.#value === undefined || this.#sinceRecompute >= RECOMPUTE_EVERY)) {
      this.#sinceRecompute = 0;
      const sorted = this.#samples.slice(0, Math.min(this.#count, WINDOW)).sort();
      this.#value = sorted[Math.min(sorted.length - 1, Math.ceil(this.#fraction * sorted.length) - 1)];
    }
  }

  /** The quantile, ms; undefined until 20 samples arrived. */
  get value(): number | undefined {
    return this.#value;
  }
}
