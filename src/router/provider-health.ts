/**
 * The measured side of a provider's health: the latency EMA and the failure-rate score,
 * in floating-point milliseconds.
 */
export class ProviderHealth {
  /** Latency EMA in ms; 0 = not measured yet. */
  latencyMs = 0;
  /** Decaying failure score in [0, 1]. */
  failureRate = 0;
  /** When the last latency sample arrived (router clock); -Infinity = never. */
  lastSampleAt = Number.NEGATIVE_INFINITY;

  /** First sample sets the EMA; later ones weigh 1/8. Samples ≤ 0 (or NaN) are ignored. */
  recordLatency(sampleMs: number, now: number): void {
    if (!(sampleMs > 0) || !Number.isFinite(sampleMs)) return;
    this.latencyMs = this.latencyMs === 0 ? sampleMs : (this.latencyMs * 7 + sampleMs) / 8;
    this.lastSampleAt = now;
  }

  /** A success halves the score; below 0.01 it is 0. */
  recordSuccess(): void {
    const rate = this.failureRate * 0.5;
    this.failureRate = rate < 0.01 ? 0 : rate;
  }

  /** A failure moves the score 10 % of the way to 1: n failures from 0 give 1 − 0.9ⁿ. */
  recordFailure(): void {
    this.failureRate = Math.min(1, this.failureRate * 0.9 + 0.1);
  }
}
