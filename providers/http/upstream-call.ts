/**
 * The guard of one upstream call: one `AbortLatch` (a cheap `AbortController`) handed to undici, one timer re-armed
 * with `refresh()` (never re-created within a phase), and the caller's signal forwarded without a closure
 * (the guard itself is the event listener). When the call fails it knows why: its own timer
 * (`timeout`), the caller's signal (`aborted`), or the transport (`connection`).
 *
 * A streamed call has two phases: until its first content chunk the timer is the first-token window
 * (from the start of the call, headers included), then it is the idle window, restarted by each event
 * that counts as progress (see `SseChunkStream`).
 */
import { AbortLatch, type AbortSignalLike } from '../../src/contract/abort-latch.ts';
import { ProviderError } from '../../src/contract/provider-error.ts';
import { PATTERN_SCRUBBER, scrubProviderError, type SecretScrubber } from '../../src/contract/secret-scrubber.ts';
import { transportProviderError } from './transport-error.ts';

/** The windows of a streamed call, in ms; absent or 0 means only the call's own timeout applies. */
export interface StreamWindows {
  firstTokenTimeoutMs?: number | undefined;
  streamIdleTimeoutMs?: number | undefined;
}

/** Which window the timer measures. */
type Phase = 'whole' | 'first_token' | 'idle';

/**
 * Per-call timeout and abort bookkeeping. Create one per upstream request, `start()` it
 * before sending, `contentArrived()` once a stream's first content chunk is in, `refresh()`
 * on every later event that counts as progress, `finish()` when done (idempotent), and route
 * every caught error through `failure()`.
 *
 * @example
 * ```ts
 * const call = new UpstreamCall('primary', options.signal, options.timeoutMs);
 * call.start();
 * try { pool.dispatch({ ...request, signal: call.controller.signal }, handler) }
 * catch (error) { throw call.failure(error) }
 * finally { call.finish() }
 * ```
 */
export class UpstreamCall {
  /** Aborted on timeout, on the caller's abort, or to release the request. */
  readonly controller = new AbortLatch();
  readonly provider: string;
  readonly callerSignal: AbortSignalLike | undefined;
  /** The window of the phase the timer measures now, in ms (0: none). */
  timeoutMs: number;
  /** The idle window that follows the first content chunk of a stream, in ms (0: none). */
  readonly #idleTimeoutMs: number;
  #phase: Phase;
  /** The provider's scrubber, for every error of this call that carries upstream text. */
  readonly scrubber: SecretScrubber;
  #timer: NodeJS.Timeout | undefined;
  #timedOut = false;
  #finished = false;
  #suspended = false;

  /**
   * `timeoutMs` bounds the whole call (a non-streamed response), or, with `stream` windows, each of a
   * stream's waits: the smaller of it and `firstTokenTimeoutMs` until the first content chunk, the smaller
   * of it and `streamIdleTimeoutMs` for each silence after.
   */
  constructor(
    provider: string,
    callerSignal: AbortSignalLike | undefined,
    timeoutMs: number | undefined,
    scrubber: SecretScrubber = PATTERN_SCRUBBER,
    stream?: StreamWindows,
  ) {
    this.provider = provider;
    this.scrubber = scrubber;
    this.callerSignal = callerSignal;
    const callTimeoutMs = positive(timeoutMs);
    if (stream === undefined) {
      this.#phase = 'whole';
      this.timeoutMs = callTimeoutMs;
      this.#idleTimeoutMs = callTimeoutMs;
    } else {
      this.#phase = 'first_token';
      this.timeoutMs = smallest(callTimeoutMs, positive(stream.firstTokenTimeoutMs));
      this.#idleTimeoutMs = smallest(callTimeoutMs, positive(stream.streamIdleTimeoutMs));
    }
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

  /** Restarts the timeout window (progress). Cheap: re-arms the same timer. */
  refresh(): void {
    this.#timer?.refresh();
  }

  /** A stream's first content chunk arrived: from now on the timer measures silences (the idle window). */
  contentArrived(): void {
    if (this.#phase !== 'first_token') return;
    this.#phase = 'idle';
    if (this.#finished) return;
    if (this.#idleTimeoutMs === this.timeoutMs) {
      this.#timer?.refresh();
      return;
    }
    this.timeoutMs = this.#idleTimeoutMs;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = this.timeoutMs > 0 ? setTimeout(fireTimeout, this.timeoutMs, this) : undefined;
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
      const what =
        this.#phase === 'first_token'
          ? `sent no content within ${this.timeoutMs} ms`
          : this.#phase === 'idle'
            ? `stream was silent for ${this.timeoutMs} ms`
            : `timed out after ${this.timeoutMs} ms`;
      return new ProviderError(`${this.provider}: upstream ${what}`, {
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

function positive(value: number | undefined): number {
  return value !== undefined && value > 0 ? value : 0;
}

/** The smaller of two windows, where 0 means none. */
function smallest(first: number, second: number): number {
  if (first === 0) return second;
  if (second === 0) return first;
  return Math.min(first, second);
}
