/**
 * The guard of one upstream call: one `AbortLatch` (a cheap `AbortController`) handed to undici, one timer re-armed
 * with `refresh()` (never re-created), and the caller's signal forwarded without a closure
 * (the guard itself is the event listener). When the call fails it knows why: its own timer
 * (`timeout`), the caller's signal (`aborted`), or the transport (`connection`).
 */
import { AbortLatch, type AbortSignalLike } from '../../src/contract/abort-latch.ts';
import { ProviderError } from '../../src/contract/provider-error.ts';
import { PATTERN_SCRUBBER, scrubProviderError, type SecretScrubber } from '../../src/contract/secret-scrubber.ts';
import { transportProviderError } from './transport-error.ts';

/**
 * Per-call timeout and abort bookkeeping. Create one per upstream request, `start()` it
 * before sending, `refresh()` on every received chunk when the timeout is a gap timeout,
 * `finish()` when done (idempotent), and route every caught error through `failure()`.
 *
 * @example
 * ```ts
 * const call = new UpstreamCall('primary', options.signal, options.timeoutMs);
 * call.start();
 * try { return await pool.request({ ...request, signal: call.controller.signal }) }
 * catch (error) { throw call.failure(error) }
 * finally { call.finish() }
 * ```
 */
export class UpstreamCall {
  /** Aborted on timeout, on the caller's abort, or to release the request. */
  readonly controller = new AbortLatch();
  readonly provider: string;
  readonly callerSignal: AbortSignalLike | undefined;
  readonly timeoutMs: number;
  /** The provider's scrubber, for every error of this call that carries upstream text. */
  readonly scrubber: SecretScrubber;
  #timer: NodeJS.Timeout | undefined;
  #timedOut = false;
  #finished = false;
  #suspended = false;

  constructor(
    provider: string,
    callerSignal: AbortSignalLike | undefined,
    timeoutMs: number | undefined,
    scrubber: SecretScrubber = PATTERN_SCRUBBER,
  ) {
    this.provider = provider;
    this.scrubber = scrubber;
    this.callerSignal = callerSignal;
    this.timeoutMs = timeoutMs !== undefined && timeoutMs > 0 ? timeoutMs : 0;
  }

  /** Arms the timer and listens to the caller's signal. Throws `aborted` when the signal already fired. */
  start(): void {
    const signal = this.callerSignal;
    if (signal !== undefined) {
      if (signal.aborted) {
        this.#finished = true;
        throw this.abortedError(signal.reason);
      }
      signal.addEventListener('abort', this, { once: true });
    }
    if (this.timeoutMs > 0) this.#timer = setTimeout(fireTimeout, this.timeoutMs, this);
  }

  /** Restarts the timeout window (a chunk arrived). Cheap: re-arms the same timer. */
  refresh(): void {
    this.#timer?.refresh();
  }

  /**
   * Stops counting silence while the consumer is the slow side (the body is paused for
   * back-pressure); `resume()` starts a fresh window.
   */
  suspend(): void {
    this.#suspended = true;
  }

  /** Counts silence again, from now. */
  resume(): void {
    this.#suspended = false;
    this.#timer?.refresh();
  }

  /** True once the timer fired. */
  get timedOut(): boolean {
    return this.#timedOut;
  }

  /** Clears the timer and stops listening to the caller's signal. Safe to call more than once. */
  finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.callerSignal?.removeEventListener('abort', this);
  }

  /** The caller's signal fired: abort the upstream request (EventListenerObject protocol). */
  handleEvent(): void {
    this.controller.abort(this.callerSignal?.reason);
  }

  /** The timer fired: abort the upstream request as a timeout. */
  expire(): void {
    if (this.#finished) return;
    if (this.#suspended) {
      this.#timer?.refresh();
      return;
    }
    this.#timedOut = true;
    this.controller.abort();
  }

  /** Classifies any error caught during the call into a `ProviderError`. */
  failure(error: unknown): ProviderError {
    if (this.#timedOut) {
      return new ProviderError(`${this.provider}: upstream timed out after ${this.timeoutMs} ms`, {
        kind: 'timeout',
        provider: this.provider,
        cause: error,
      });
    }
    if (this.callerSignal?.aborted === true) return this.abortedError(error);
    return transportProviderError(error, this.provider);
  }

  /** `error` with its upstream text (message, code, body) scrubbed of secrets; the same object. */
  scrubbed(error: ProviderError): ProviderError {
    return scrubProviderError(error, this.scrubber);
  }

  /** The `aborted` error of this call. */
  abortedError(cause: unknown): ProviderError {
    return new ProviderError(`${this.provider}: request aborted by the caller`, {
      kind: 'aborted',
      provider: this.provider,
      cause,
    });
  }
}

function fireTimeout(call: UpstreamCall): void {
  call.expire();
}
