import { AbortLatch, type AbortSignalLike } from '../contract/abort-latch.ts';
import type { RouterTimers } from './types.ts';

/**
 * The signal of one routed call's attempts and waits: aborted by the caller's signal, or by the
 * router's own timer when the request's `deadlineMs` is over (then `expired`), so the deadline
 * bounds the whole request even when an adapter does not honour its per-attempt timeout. One
 * object and one timer per routed call; the timer runs on the router's (injectable) timers.
 */
export class DeadlineLatch extends AbortLatch {
  /** True once the deadline passed (the latch was aborted by its timer, not by the caller). */
  expired = false;
  readonly #timers: RouterTimers;
  #timer: unknown;
  #caller: AbortSignalLike | undefined;
  #forward: (() => void) | undefined;

  constructor(timers: RouterTimers, delayMs: number, caller: AbortSignalLike | undefined) {
    super();
    this.#timers = timers;
    if (caller !== undefined) {
      if (caller.aborted) this.abort(caller.reason);
      else {
        this.#caller = caller;
        this.#forward = () => this.abort(caller.reason);
        caller.addEventListener('abort', this.#forward);
      }
    }
    this.#timer = timers.setTimeout(() => {
      this.#timer = undefined;
      if (this.aborted) return;
      this.expired = true;
      this.abort(new DOMException("The request's deadline passed", 'TimeoutError'));
    }, delayMs);
  }

  /** Stops the deadline timer (the call has its result); the caller's abort still reaches the latch. */
  disarm(): void {
    if (this.#timer === undefined) return;
    this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Stops the timer and stops listening to the caller's signal (the call and its stream are over). */
  release(): void {
    this.disarm();
    if (this.#forward === undefined) return;
    this.#caller?.removeEventListener('abort', this.#forward);
    this.#forward = undefined;
    this.#caller = undefined;
  }
}
