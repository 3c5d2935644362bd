/**
 * A cheap stand-in for `AbortController` on the hot path (docs/performance.md). The latch
 * is its own signal: `aborted`, `reason`, `addEventListener`/`removeEventListener` for
 * `'abort'`, which is all undici and the adapters read, so it can be handed to undici's
 * `request({ signal })` and passed as `CallOptions.signal`.
 */

/** A listener of the `abort` event: a function or an object with `handleEvent`. */
export type AbortListener =
  ((event: { readonly type: string }) => void) | { handleEvent(event: { readonly type: string }): void };

/** What Switchboard reads of an abort signal; a real `AbortSignal` satisfies it too. */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: AbortListener, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: AbortListener): void;
}

const ABORT_EVENT = Object.freeze({ type: 'abort' as const });

/**
 * A one-shot abort signal and its controller in one object. Listeners run once, in the order
 * they were added, when `abort()` is first called.
 *
 * @example
 * ```ts
 * const latch = new AbortLatch();
 * response.once('close', () => latch.abort(new Error('client went away')));
 * await adapter.chat(request, { signal: latch });
 * ```
 */
export class AbortLatch implements AbortSignalLike {
  aborted = false;
  reason: unknown = undefined;
  #listeners: AbortListener[] | undefined;

  /** Adds an `abort` listener (other event types are ignored; every listener is once-only). */
  addEventListener(type: 'abort', listener: AbortListener): void {
    if (type !== 'abort' || this.aborted) return;
    (this.#listeners ??= []).push(listener);
  }

  /** Removes a listener added with `addEventListener`. */
  removeEventListener(type: 'abort', listener: AbortListener): void {
    const listeners = this.#listeners;
    if (type !== 'abort' || listeners === undefined) return;
    const index = listeners.indexOf(listener);
    if (index !== -1) listeners.splice(index, 1);
  }

  /** Aborts once with `reason` (default an `AbortError`), calling every listener. */
  abort(reason?: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason ?? new DOMException('This operation was aborted', 'AbortError');
    const listeners = this.#listeners;
    this.#listeners = undefined;
    if (listeners === undefined) return;
    for (const listener of listeners) {
      if (typeof listener === 'function') listener(ABORT_EVENT);
      else listener.handleEvent(ABORT_EVENT);
    }
  }
}
