/** Settings of the retry budget (`router.retryBudget`). */
export interface RetryBudgetOptions {
  /** Extra attempts (retries and fallbacks together) allowed per request, over the window. Default 0.2. */
  ratio?: number;
  /** Extra attempts always allowed per second, however few requests came. Default 3. */
  minPerSecond?: number;
}

/** The budget's window, ms: extra attempts and requests are counted over the last 10 s. */
export const RETRY_BUDGET_WINDOW_MS = 10_000;
const SLOT_MS = 1_000;
const SLOTS = RETRY_BUDGET_WINDOW_MS / SLOT_MS;

/**
 * Envoy's retry budget for retries and fallbacks together: over the last 10 s, extra attempts
 * may be at most `ratio` × requests, or `minPerSecond` × 10 when that is more. Beyond it a
 * failed attempt is final, so an outage is not amplified by every request trying every
 * provider. Counts live in ten one-second slots on the router's clock: constant memory and time.
 */
export class RetryBudget {
  readonly ratio: number;
  readonly minPerSecond: number;
  readonly #requests = new Float64Array(SLOTS);
  readonly #extras = new Float64Array(SLOTS);
  #slot = 0;
  #slotStart = Number.NEGATIVE_INFINITY;

  constructor(options: RetryBudgetOptions = {}) {
    this.ratio = options.ratio ?? 0.2;
    this.minPerSecond = options.minPerSecond ?? 3;
  }

  /** A routed request started. */
  recordRequest(now: number): void {
    this.#advance(now);
    this.#requests[this.#slot] = (this.#requests[this.#slot] as number) + 1;
  }

  /** True, and the attempt counted, when one more retry or fallback fits the budget now. */
  tryAcquire(now: number): boolean {
    this.#advance(now);
    let requests = 0;
    let extras = 0;
    for (let slot = 0; slot < SLOTS; slot += 1) {
      requests += this.#requests[slot] as number;
      extras += this.#extras[slot] as number;
    }
    const allowed = Math.max(this.ratio * requests, this.minPerSecond * (RETRY_BUDGET_WINDOW_MS / 1000));
    if (extras + 1 > allowed) return false;
    this.#extras[this.#slot] = (this.#extras[this.#slot] as number) + 1;
    return true;
  }

  #advance(now: number): void {
    if (now < this.#slotStart + SLOT_MS) return;
    const elapsedSlots = Math.floor((now - this.#slotStart) / SLOT_MS);
    if (!Number.isFinite(elapsedSlots) || elapsedSlots >= SLOTS) {
      this.#requests.fill(0);
      this.#extras.fill(0);
      this.#slotStart = Math.floor(now / SLOT_MS) * SLOT_MS;
      return;
    }
    for (let step = 0; step < elapsedSlots; step += 1) {
      this.#slot = (this.#slot + 1) % SLOTS;
      this.#requests[this.#slot] = 0;
      this.#extras[this.#slot] = 0;
    }
    this.#slotStart += elapsedSlots * SLOT_MS;
  }
}
